"""The classic single neuron, o = tanh(x1*w1 + x2*w2 + b), and the blame it hands out.

Run ``python demos/neuron_graph.py``. The forward pass computes the output o; the
backward pass hands every value its share of the blame, d o / d value, by the
chain rule from local derivatives. The blame graph is written as SVG to
``demos/output/neuron.svg``: open it in a browser. Without a Graphviz renderer
(or with one that fails) it says so and what would fix it, and exits with 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

from microgradx import Value
from microgradx.graph import render
from microgradx.render import RendererNotFoundError, RenderError, UnsupportedFormatError

OUTPUT = Path(__file__).resolve().parent / "output" / "neuron.svg"
KNOBS = ("w1", "w2", "b")
"""The neuron's parameters: the values training would nudge."""


def build_neuron() -> dict[str, Value]:
    """Every value of the neuron by its label, from the inputs to the output "o"."""
    v = {
        "x1": Value(2.0, label="x1"),
        "x2": Value(0.0, label="x2"),
        "w1": Value(-3.0, label="w1"),
        "w2": Value(1.0, label="w2"),
        "b": Value(6.8813735870195432, label="b"),  # chosen so that n is about 0.8814
    }
    v["x1*w1"] = v["x1"] * v["w1"]
    v["x2*w2"] = v["x2"] * v["w2"]
    v["x1*w1 + x2*w2"] = v["x1*w1"] + v["x2*w2"]
    v["n"] = v["x1*w1 + x2*w2"] + v["b"]
    v["o"] = v["n"].tanh()
    for label, value in v.items():
        value.label = label
    return v


def main() -> None:
    v = build_neuron()
    o = v["o"]
    print(f"forward:  n = {v['n'].data:.4f},  o = tanh(n) = {o.data:.4f}")
    o.backward()
    print("backward: every value's blame, d o / d value:")
    print(f"  n's blame is tanh's local derivative, 1 - o^2 = {v['n'].grad:.4f}")
    for label in ("x1", "x2", *KNOBS):
        print(f"  {label:2} = {v[label].data:7.4f}   blame {v[label].grad:7.4f}")

    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    try:
        render(o, OUTPUT, parameters=[v[label] for label in KNOBS], show_passed_blame=True)
    except (RendererNotFoundError, RenderError, UnsupportedFormatError) as error:
        sys.exit(f"The blame graph cannot be drawn here.\n{error}")
    print(f"blame graph written to {OUTPUT}")


if __name__ == "__main__":
    main()
