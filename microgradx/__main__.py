"""``python -m microgradx graph "tanh(x*w + b)" x=2 w=-3 b=6.88``: see microgradx.cli."""

import sys

from microgradx.cli import main

if __name__ == "__main__":
    sys.exit(main())
