"""Measure how long each Graphviz renderer takes to draw blame graphs of growing size.

Run ``python docs/measure_renderers.py`` (add ``--quick`` to skip the slow sizes).
It prints one row per graph, renderer and format: the nodes Graphviz lays out
(drawn value and op nodes + the hidden ones it adds along edges, see
``microgradx.graph.layout_size``) and the renderer's CPU and wall time. CPU time
is the steadier figure on a busy machine. Renders that take longer than
``TIMEOUT`` seconds are stopped and shown as ">TIMEOUT".

The graphs are the kinds teachers draw: a squared-error loss of a seeded MLP on
one example; a neuron's loss summed over a batch of examples; and a chain of
``x = tanh(x * w + 0.1)`` steps sharing one weight (the hard case: every use of
``w`` is a long edge). These figures chose ``microgradx.graph.DEFAULT_MAX_NODES``.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time

from microgradx import Value, sum_values, topological_order
from microgradx.graph import draw_dot, layout_size
from microgradx.nn import MLP, Neuron
from microgradx.render import Renderer, available_renderers

TIMEOUT = 120.0


def mlp_loss(width: int) -> Value:
    """Squared error of MLP(4, [width, width, 1]) on one example."""
    model = MLP(4, [width, width, 1], activation="tanh", seed=0)
    return (model([0.5, -1.0, 0.25, 2.0]) - 1.0) ** 2


def batch_loss(examples: int) -> Value:
    """Squared error of one tanh neuron summed over a batch of examples."""
    neuron = Neuron(2, "tanh", seed=0)
    errors = [(neuron([0.1 * i, -0.2 * i]) - 1.0) ** 2 for i in range(examples)]
    return sum_values(errors)


def shared_weight_chain(steps: int) -> Value:
    """x = tanh(x * w + 0.1), ``steps`` times, with the same weight w."""
    x = Value(0.5, label="x")
    w = Value(0.9, label="w")
    for _ in range(steps):
        x = (x * w + 0.1).tanh()
    return x


GRAPHS = [
    ("neuron", batch_loss, 1),
    ("batch", batch_loss, 4),
    ("mlp", mlp_loss, 4),
    ("mlp", mlp_loss, 8),
    ("mlp", mlp_loss, 16),
    ("batch", batch_loss, 40),
    ("chain", shared_weight_chain, 10),
    ("chain", shared_weight_chain, 20),
]
SLOW_GRAPHS = [
    ("mlp", mlp_loss, 24),
    ("batch", batch_loss, 155),
    ("mlp", mlp_loss, 32),
    ("batch", batch_loss, 250),
    ("chain", shared_weight_chain, 30),
    ("chain", shared_weight_chain, 40),
]


def timed_render(source: str, renderer: Renderer, file_format: str) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one render; inf when it passed TIMEOUT."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        subprocess.run(
            [renderer.program, f"-T{file_format}"],
            input=source.encode("utf-8"),
            capture_output=True,
            check=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return float("inf"), float("inf")
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return cpu, wall


def seconds(value: float) -> str:
    return f">{TIMEOUT:.0f}" if value == float("inf") else f"{value:.3f}"


def main() -> None:
    graphs = GRAPHS if "--quick" in sys.argv else GRAPHS + SLOW_GRAPHS
    renderers = available_renderers()
    header = ("graph", "drawn", "hidden", "layout", "renderer", "format", "cpu s", "wall s")
    print("{:10} {:>6} {:>6} {:>6}  {:14} {:6}  {:7} {}".format(*header))
    for kind, make, size in graphs:
        root = make(size)
        root.backward()
        drawn, hidden = layout_size(topological_order(root))
        source = draw_dot(root, max_nodes=None).source
        for renderer in renderers:
            formats = ["svg", "png", "pdf"] if drawn < 100 else ["svg"]
            for file_format in formats:
                if file_format not in renderer.formats:
                    continue
                cpu, wall = timed_render(source, renderer, file_format)
                print(
                    f"{kind + str(size):10} {drawn:6} {hidden:6} {drawn + hidden:6}  "
                    f"{renderer.name:14} {file_format:6}  {seconds(cpu):7} {seconds(wall)}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
