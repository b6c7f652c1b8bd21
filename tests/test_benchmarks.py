"""The benchmark scripts run: their figures are not checked (they are for reading), their
workloads and their report are.

Nothing here times anything: the scripts print figures, and these tests only check
that they do, on tiny sizes, for microgradx alone.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def run_script(*arguments: str) -> str:
    finished = subprocess.run(
        [sys.executable, *arguments],
        capture_output=True,
        text=True,
        cwd=BENCHMARKS.parent,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stderr
    return finished.stdout


def test_the_quick_benchmark_prints_every_workload_and_the_loss_check() -> None:
    report = run_script(
        str(BENCHMARKS / "bench.py"), "--quick", "--engines", "microgradx", "--repeats", "1"
    )
    for row in (
        "| demo step (per step, timed as a loop) | microgradx |",
        "| demo step (per step, timed as a loop) | microgradx, plain sum() |",
        "| demo step (per step, timed as a loop) | microgradx, tape |",
        "| chain tanh, 2e+04 links (1e+05 nodes): replay from a tape (per node) | microgradx |",
        "| chain tanh, 2e+04 links (1e+05 nodes): forward + backward (per node) | microgradx |",
        "| sum of products, 2.5e+04 terms (1e+05 nodes): forward + backward (per node) |",
        "forward + backward, gc off (per node) | microgradx |",
        "backward alone (per node) | microgradx |",
        "topological_order alone (per node) | microgradx |",
        "| sum of products | microgradx |",
        "import microgradx: ",
        "- demo graph, microgradx: 11,181 nodes per step",
        "- demo, tape against eager mode: equal to 1e-12: over 10 steps the largest loss gap "
        "is 0.0e+00 and the largest gap in any knob's grad 0.0e+00",
    ):
        assert row in report, f"missing {row!r} in:\n{report}"


def test_every_instruction_count_workload_runs() -> None:
    """valgrind is not needed for this: each workload runs once at a small size."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import instructions
    finally:
        sys.path.remove(str(BENCHMARKS))
    for workload, (small, large) in instructions.WORKLOADS.items():
        run_script(str(BENCHMARKS / "instructions.py"), "--run", workload, "1")
        assert 0 < instructions.units(workload, small) < instructions.units(workload, large)
