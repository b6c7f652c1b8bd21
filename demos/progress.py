"""The demos' progress display: a tqdm bar in a terminal, else plain lines.

Without tqdm (from the clone, with the venv active: ``pip install -e ".[demos]"``), or
when the output goes to a file or a pipe (where a bar's redrawing would leave a tangle
of half lines), it prints a line every tenth of the way; with ``quiet`` it shows nothing.
"""

from __future__ import annotations

import sys


class Progress:
    """Shows how far training has come, with a short status such as the current loss."""

    def __init__(self, steps: int, quiet: bool = False, description: str = "training") -> None:
        self.steps, self.quiet, self.description, self.bar = steps, quiet, description, None
        if not quiet and sys.stdout.isatty():
            try:
                from tqdm import tqdm
            except ImportError:
                pass
            else:
                self.bar = tqdm(total=steps, desc=description, unit="step", file=sys.stdout)

    def update(self, step: int, status: str) -> None:
        """Step ``step`` (counting from 1) is done; ``status`` says how it went."""
        if self.bar is not None:
            self.bar.set_postfix_str(status, refresh=False)
            self.bar.update()
        elif not self.quiet and (step % max(1, self.steps // 10) == 0 or step == self.steps):
            print(f"{self.description}: step {step:>4}/{self.steps}: {status}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
