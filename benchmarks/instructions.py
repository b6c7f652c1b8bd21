"""Instructions per node (or per demo step), counted by valgrind: figures that do not move.

Wall-clock times on a shared machine move by up to 2x from one run to the next.
The number of machine instructions the interpreter runs for the same work hardly
moves at all, so it is the figure to compare two versions of the engine by.
Run it from the repository root, after ``pip install -e .``::

    python benchmarks/instructions.py          # about 5 minutes
    python benchmarks/instructions.py --only tape   # the workloads with "tape" in their name

It needs valgrind (``apt-get install valgrind``). Each workload runs twice under
``valgrind --tool=callgrind``, at two sizes, and the difference between the two
counts is divided by the difference in size: start-up and imports cancel out.
Instruction counts leave out what cache misses cost, so the garbage collector,
which walks memory all over, takes more time than its share of instructions.

This file is a script that prints figures; nothing here asserts anything.
"""

from __future__ import annotations

import argparse
import gc
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

import bench

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

CHAIN_LINKS = (4_000, 24_000)
SUM_TERMS = (5_000, 30_000)
BACKWARD_LINKS = 20_000
"""backward alone runs on a chain of 2e4 links (1e5 nodes), once and then three times."""

WORKLOADS = {
    "demo step": (1, 3),
    "demo step, tape": (1, 3),
    "chain tanh, forward + backward": CHAIN_LINKS,
    "chain tanh, forward + backward, gc off": CHAIN_LINKS,
    "sum of products, forward + backward": SUM_TERMS,
    "chain tanh, backward alone": (1, 3),
    "chain tanh, replay from a tape": (1, 3),
}
"""Each workload runs at two sizes: steps, links, terms, or backward passes (or replays)."""


def run(workload: str, size: int) -> None:
    """The workload at one size, in this process (valgrind counts it from outside)."""
    engine = bench.MicrogradXTape() if workload == "demo step, tape" else bench.MicrogradX()
    if workload.startswith("demo step"):  # the tape is recorded in build_demo, at both sizes
        model = engine.build_demo(bench.micrograd_style_weights())
        points, labels = bench.make_moons()
        for step in range(size):
            engine.demo_step(model, points, labels, step)
    elif workload == "chain tanh, backward alone":
        _, root = bench.build_graph(engine, "chain", BACKWARD_LINKS, "tanh")
        for _ in range(size):
            root.grad = 0.0  # the leaves keep adding up: harmless here
            root.backward()
    elif workload == "chain tanh, replay from a tape":
        from microgradx.tape import Tape

        tape = Tape(bench.build_graph(engine, "chain", BACKWARD_LINKS, "tanh")[1])
        for _ in range(size):
            tape.replay()  # the leaves keep adding up: harmless here
    else:
        if workload.endswith("gc off"):
            gc.disable()
        kind = "chain" if workload.startswith("chain") else "sum"
        _, root = bench.build_graph(engine, kind, size, "tanh")
        root.backward()


def units(workload: str, size: int) -> int:
    """How many of the workload's units (steps or graph nodes) one run at ``size`` has."""
    if workload.startswith("demo step"):
        return size
    if workload in ("chain tanh, backward alone", "chain tanh, replay from a tape"):
        return size * bench.graph_nodes("chain", BACKWARD_LINKS)
    return bench.graph_nodes("chain" if workload.startswith("chain") else "sum", size)


def count(workload: str, size: int) -> int:
    """Instructions run by ``python instructions.py --run workload size``."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        str(Path(__file__).resolve()),
        "--run",
        workload,
        str(size),
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stderr
    match = re.search(r"Collected : (\d+)", output)
    if match is None:
        raise RuntimeError(f"valgrind printed no instruction count:\n{output}")
    return int(match.group(1))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", nargs=2, metavar=("WORKLOAD", "SIZE"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--only", metavar="WORDS", help="run only the workloads whose name contains WORDS"
    )
    args = parser.parse_args(argv)
    if args.run:
        run(args.run[0], int(args.run[1]))
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed: apt-get install valgrind (or your system's package).")
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"microgradx {bench.MicrogradX().version}, {python}, valgrind callgrind")
    for workload, (small, large) in WORKLOADS.items():
        if args.only and args.only not in workload:
            continue
        extra = count(workload, large) - count(workload, small)
        per_unit = extra / (units(workload, large) - units(workload, small))
        if workload.startswith("demo step"):
            print(f"{workload}: {per_unit / 1e6:,.0f} million instructions per step")
        else:
            print(f"{workload}: {per_unit:,.0f} instructions per node")


if __name__ == "__main__":
    main()
