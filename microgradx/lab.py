"""The live lab: change a number, and watch every value and every blame move.

``explain(loss, "lab.html", live=True)`` (and ``BackpropPlayer(loss, live=True)``
in Jupyter) writes the player with a lab in it. Every leaf (each input, each knob,
each constant you gave a label) has a slider and a number box; moving one computes
the forward and the backward pass of the whole recorded graph again, in the page,
and every number and blame in the drawing changes at once. **Nudge** takes one step
of gradient descent on the knobs and shows the output before and after, beside the
change the blame predicted; **Undo** and **Reset** go back.

How the page computes, so that its numbers are the engine's:

* **forward**, node by node in topological order, each with its op's rule on
  numbers: the page's op functions are the ``js`` of every primitive in
  ``microgradx.ops``, with ``ops.JS_HELPERS`` (``rules_script``). The table is the
  only place an op's formula is written, once in Python and once in JavaScript,
  side by side;
* **backward**, as ``backward()``: the output's blame is 1, then every node, in
  ``backward()``'s order, hands each of its inputs (in order) its share,
  ``blame[input] += local derivative * blame[node]``, so every total is added up in
  the same order, bit for bit;
* **the nudge**, as ``SGD.step()``: ``knob - learning_rate * blame`` for every knob.
  To first order the output then changes by ``-learning_rate * sum(blame²)`` over
  the knobs: the prediction the page shows next to what really happened.

``rerun`` does the same computation with the engine itself, in Python. The page's
numbers equal it bit for bit where both sides compute with correctly rounded IEEE
arithmetic (``+ - * /``, ``sqrt``, the sums), and to the last bit or so at each
``exp``, ``log``, ``log1p``, ``tanh``, ``sin``, ``cos`` and ``**``: those are the
browser's own functions in the page and the C library's in Python, which may round
the last bit differently. (Measured with Chromium 156 and glibc 2.36, at 40,000
random points each: exp, log, log1p, tanh, sin and cos always agreed, and so did
``**``, except ``x ** 2`` and ``x ** 0.5`` in about 1 case in 1,000, where the
browser returns the correctly rounded ``x * x`` and ``sqrt(x)`` and glibc's ``pow``
is one ulp off.)

A **hand-made op** (a Value made with local derivatives of your own, whose op is a
plain string) cannot be computed again: the page does not have your code. It says
so, names the node, and keeps its number and local derivatives as recorded; the
rest of the graph is computed from them, and ``rerun`` does the same.

A number the page cannot compute (``log`` of a negative number, a result too large
for a float) is said in plain words, naming the node, and the drawing keeps the last
numbers that worked.
"""

from __future__ import annotations

import html
import json
import sys
from dataclasses import dataclass
from numbers import Real

from microgradx import ops
from microgradx.engine import Value, topological_order
from microgradx.labels import format_number
from microgradx.messages import quoted
from microgradx.op_texts import _expression
from microgradx.page import page_file

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

    from microgradx.snapshot import GraphSnapshot

__all__ = ["LabParts", "lab_data", "lab_parts", "rerun", "rules_script", "slider_range"]

SLIDER_STEPS = 500
"""A slider moves in this many steps from one end to the other."""

ROLE_WORDS = {"input": "input", "parameter": "knob", "constant": "constant"}
"""How the lab calls each role of a leaf."""

GROUP_TITLES = {
    "input": "Inputs",
    "parameter": "Knobs: the nudge moves each one by -learning rate × its blame",
    "constant": "Constants you named",
}


@dataclass(frozen=True)
class LabParts:
    """What the lab adds to the player's page."""

    switch: str
    """HTML: the buttons that choose between the lab and the steps ("" without steps)."""
    panel: str
    """HTML: the lab's panel: the nudge, the output, and a slider per leaf."""
    data: dict[str, Any]
    """The data its script reads (``lab_data``)."""
    script: str
    """JavaScript: the rules of the ops (``rules_script``) and ``player_page/lab.js``."""


# ----------------------------------------------------------------------
# Which leaves get a slider, and its range
# ----------------------------------------------------------------------


def lab_leaves(snapshot: GraphSnapshot) -> list[int]:
    """The leaves a learner can change: inputs, knobs and labelled constants, in that
    order, each in reading order. An unlabelled constant (the ``2.0`` of ``2 * x``)
    is part of the formula and stays as it is."""
    rank = {"input": 0, "parameter": 1, "constant": 2}
    changeable = [
        i
        for i in snapshot.leaves
        if snapshot.roles[i] in ("input", "parameter") or snapshot.labels[i]
    ]
    return sorted(changeable, key=lambda i: rank.get(snapshot.roles[i], 3))


def slider_range(x: float) -> tuple[float, float, float]:
    """(low, high, step) of the slider of a leaf that holds ``x``.

    From -R to R, where R is the first of 1, 2, 5, 10, 20, 50, ... that is at least
    2|x|, so that the slider can halve the number, double it, or change its sign;
    ``SLIDER_STEPS`` steps from end to end. The number box beside it takes any number.
    """
    wanted = 2.0 * abs(x)
    reach, factors = 1.0, (2.0, 2.5, 2.0)  # 1, 2, 5, 10, 20, 50, ...
    k = 0
    while reach < wanted:
        reach *= factors[k % 3]
        k += 1
    reach = min(reach, sys.float_info.max)  # a number near the largest float: up to it
    return -reach, reach, reach / SLIDER_STEPS


# ----------------------------------------------------------------------
# The data for the page's script
# ----------------------------------------------------------------------


def lab_data(
    snapshot: GraphSnapshot, *, learning_rate: float, step_through: bool
) -> dict[str, Any]:
    """What ``player_page/lab.js`` reads (one JSON object).

    * ``nodes``, one per node in topological order (node i is ``value-{i}`` in the
      drawing): ``name``, ``children`` (indices, in order), ``rule`` (the name of its
      primitive in ``ops.PRIMITIVES``, ``"+"``, ``"**n"``, ``"tanh"``; null for a leaf
      and for a hand-made op), ``parameters`` (the op's settings: the exponent of
      ``**2``, the slope of ``leaky_relu``), ``formula`` (how it is computed, with
      names: ``x1 * w1``; "" for a leaf), ``data`` and ``local`` (its number and
      local derivatives as recorded: a leaf's starting number, and what a hand-made
      op keeps).
    * ``leaves``: the changeable leaves (``lab_leaves``), each ``{node, name, role}``
      with role "input", "knob" or "constant"; ``knobs``: the knobs' indices.
    * ``backwardOrder``: the computed nodes in the order ``backward()`` hands on
      their blame.
    * ``handMade``: indices of the hand-made ops; ``notices``: what the page says
      about each.
    * ``outputName``: the output's name; ``learningRate``: the nudge's to start with;
      ``compensatedSum``: whether ``sum()`` of the Python that wrote the page is
      compensated (``ops.SUM_IS_COMPENSATED``); ``startWith``: "lab".
    * ``stepThrough``: whether the page also has the step-through.

    Numbers are JSON numbers: Python writes each float's shortest repr, and the
    page reads back the very same float.
    """
    nodes = []
    hand_made = []
    for i, op in enumerate(snapshot.ops):
        children = list(snapshot.children[i])
        rule = op.primitive.name if isinstance(op, ops.Op) else None
        if children and rule is None:
            hand_made.append(i)
        nodes.append(
            {
                "name": snapshot.names[i],
                "children": children,
                "rule": rule,
                "parameters": list(op.parameters) if isinstance(op, ops.Op) else [],
                "formula": _expression(op, [snapshot.names[j] for j in children])
                if children
                else "",
                "data": snapshot.data[i],
                "local": list(snapshot.local_grads[i]),
            }
        )
    leaves = lab_leaves(snapshot)
    return {
        "nodes": nodes,
        "leaves": [
            {"node": i, "name": leaf_name(snapshot, i), "role": ROLE_WORDS[snapshot.roles[i]]}
            for i in leaves
        ],
        "knobs": [i for i in leaves if snapshot.roles[i] == "parameter"],
        "backwardOrder": list(snapshot.backward_order),
        "handMade": hand_made,
        "notices": [hand_made_notice(snapshot, i) for i in hand_made],
        "outputName": snapshot.names[snapshot.root],
        "learningRate": learning_rate,
        "compensatedSum": ops.SUM_IS_COMPENSATED,
        "startWith": "lab",
        "stepThrough": step_through,
    }


def leaf_name(snapshot: GraphSnapshot, i: int) -> str:
    """What the lab calls a leaf: its label, or its role and first number."""
    if snapshot.labels[i]:
        return snapshot.labels[i]
    return f"{ROLE_WORDS[snapshot.roles[i]]} (was {format_number(snapshot.data[i])})"


def hand_made_notice(snapshot: GraphSnapshot, i: int) -> str:
    """What the page says about a hand-made op it cannot compute."""
    locals_ = ", ".join(format_number(x) for x in snapshot.local_grads[i])
    return (
        f"{snapshot.names[i]} is made by a hand-made op ({quoted(str(snapshot.ops[i]))}): "
        "its number and local derivatives were computed by your own code, which this "
        "page does not have. It keeps them as recorded (data "
        f"{format_number(snapshot.data[i])}, local derivatives {locals_}) whatever its "
        "inputs are, and everything computed from it uses that number."
    )


# ----------------------------------------------------------------------
# The script: the rules of the ops, then lab.js
# ----------------------------------------------------------------------


def rules_script() -> str:
    """``makeRules(COMPENSATED_SUM)``: every primitive's rule in JavaScript.

    It returns ``{rules, sumOf}``: ``rules[name]`` is ``{list, rule}``, the primitive's
    ``js`` exactly as the table has it (``list``: it takes its inputs as one array,
    as ``sum`` and ``dot`` do), and ``sumOf`` is the built-in ``sum()`` of the Python
    that wrote the page. Generated from ``ops.PRIMITIVES`` and ``ops.JS_HELPERS``.
    """
    entries = []
    for primitive in ops.PRIMITIVES.values():
        takes_list = "true" if primitive.arity is None else "false"
        name = json.dumps(primitive.name)
        entries.append(f"      {name}: {{ list: {takes_list}, rule: {primitive.js} }},")
    lines = ops.JS_HELPERS.strip().splitlines()
    helpers = "\n".join(f"  {line}" if line else "" for line in lines)
    script = (
        "// The rules of the ops, from microgradx/ops.py (each primitive's `js`, and\n"
        "// JS_HELPERS): written by microgradx.lab.rules_script, not by hand.\n"
        "function makeRules(COMPENSATED_SUM) {\n"
        f"{helpers}\n"
        "  return {\n"
        "    sumOf: sumOf,\n"
        "    rules: {\n" + "\n".join(entries) + "\n    },\n  };\n}\n"
    )
    if "</" in script:
        raise ValueError("a rule's JavaScript contains '</', which would end the page's script")
    return script


def lab_script(lab_js: str) -> str:
    """The lab's whole script: the rules, then ``lab.js``, in one function scope."""
    return f'(function () {{\n"use strict";\n{rules_script()}\n{lab_js}\n}})();'


# ----------------------------------------------------------------------
# The markup
# ----------------------------------------------------------------------


def lab_parts(snapshot: GraphSnapshot, *, learning_rate: float, step_through: bool) -> LabParts:
    """Everything the lab adds to a player's page."""
    data = lab_data(snapshot, learning_rate=learning_rate, step_through=step_through)
    return LabParts(
        switch=_SWITCH if step_through else "",
        panel=lab_panel(snapshot, data),
        data=data,
        script=lab_script(page_file("lab.js")),
    )


def lab_panel(snapshot: GraphSnapshot, data: dict[str, Any]) -> str:
    """The lab's panel: its buttons, the output, and a fieldset of sliders per role."""
    groups = []
    for role in ("input", "parameter", "constant"):
        word = ROLE_WORDS[role]
        rows = [_leaf_row(snapshot, leaf) for leaf in data["leaves"] if leaf["role"] == word]
        if rows:
            groups.append(
                f'<fieldset class="mgx-leaf-group"><legend>{html.escape(GROUP_TITLES[role])}'
                f" ({len(rows)})</legend>\n{''.join(rows)}</fieldset>"
            )
    no_knobs = "" if data["knobs"] else _NO_KNOBS
    return _PANEL.format(
        rate=html.escape(repr(data["learningRate"])),
        no_knobs=no_knobs,
        groups="\n".join(groups),
    )


def _leaf_row(snapshot: GraphSnapshot, leaf: dict[str, Any]) -> str:
    i = leaf["node"]
    low, high, step = slider_range(snapshot.data[i])
    name = html.escape(leaf["name"])
    number = repr(snapshot.data[i])
    return (
        f'<div class="mgx-leaf" data-mgx-leaf="{i}"><span class="mgx-leaf-name">{name}</span>'
        f'<input type="range" class="mgx-leaf-slider" aria-label="{name}" min="{low!r}" '
        f'max="{high!r}" step="{step!r}" value="{number}">'
        f'<input type="number" class="mgx-leaf-number" aria-label="{name}, any number" '
        f'step="any" value="{number}"></div>\n'
    )


_SWITCH = """<div class="mgx-modes" role="group" aria-label="What the page shows" hidden>
  <button type="button" class="mgx-show-lab" aria-pressed="true">Live lab</button>
  <button type="button" class="mgx-show-steps" aria-pressed="false">Step through</button>
</div>"""

_NO_KNOBS = """<p class="mgx-lab-hint">No knobs to nudge: this graph has none marked. Pass
them as parameters=[w, b] (or model=model) to explain().</p>"""

_PANEL = """<section class="mgx-lab" aria-label="Live lab" hidden>
  <div class="mgx-lab-bar">
    <p class="mgx-lab-output"></p>
    <div class="mgx-lab-actions" role="group" aria-label="Nudge the knobs">
      <button type="button" class="mgx-nudge"
        title="Every knob moves by -learning rate × its blame">Nudge the knobs</button>
      <label class="mgx-rate-label">learning rate
        <input type="number" class="mgx-rate" value="{rate}" min="0" step="any"
          inputmode="decimal"></label>
      <button type="button" class="mgx-undo" disabled>Undo</button>
      <button type="button" class="mgx-reset" title="Back to the recorded numbers"
        disabled>Reset</button>
    </div>
  </div>
  {no_knobs}
  <p class="mgx-lab-report" aria-live="polite"></p>
  <p class="mgx-lab-problem" role="alert" hidden></p>
  <p class="mgx-lab-notice" hidden></p>
  <div class="mgx-leaves">
{groups}
  </div>
</section>"""


# ----------------------------------------------------------------------
# The same computation in Python, with the engine
# ----------------------------------------------------------------------


def rerun(root: Value, numbers: Mapping[Value, float]) -> Value:
    """``root``'s graph built again by the engine, with some leaves set to new numbers.

    ``numbers`` maps leaves of the graph (inputs, knobs, constants) to their new
    numbers; the other leaves keep theirs. Every computed node is made again by its
    op's primitive from the new inputs, a hand-made op keeps its recorded number and
    local derivatives (as the lab does), and ``backward()`` runs on the new output.
    Returns the new output: ``topological_order`` of it lists the new nodes in the
    order of the old ones. The old graph is not changed.

    >>> from microgradx import Value
    >>> w, x = Value(-3.0, label="w"), Value(2.0, label="x")
    >>> loss = (w * x + 1.0) ** 2
    >>> again = rerun(loss, {w: 0.5})
    >>> again.data, again.grad
    (4.0, 1.0)
    """
    if not isinstance(root, Value):
        raise TypeError(f"rerun() needs the output Value of a graph, got {type(root).__name__}.")
    order = topological_order(root)
    new_numbers = _checked_numbers(order, numbers)
    made: dict[Value, Value] = {}
    for node in order:
        if not node.children:
            made[node] = Value(new_numbers.get(node, node.data), node.label)
            continue
        inputs = [made[child] for child in node.children]
        if isinstance(node.op, ops.Op):
            again = _apply(node.op, inputs)
        else:
            again = Value(node.data, "", inputs, node.local_grads, node.op)
        if node.label:
            again.label = node.label
        made[node] = again
    new_root = made[root]
    new_root.backward()
    return new_root


def _apply(op: ops.Op, inputs: Sequence[Value]) -> Value:
    """The engine's node for ``op`` on ``inputs``: ``ops.tanh(x)``, ``ops.sum_([a, b])``."""
    primitive = op.primitive
    if primitive.arity is None:
        return primitive(list(inputs))
    return primitive(*inputs, *op.parameters)


def _checked_numbers(order: Sequence[Value], numbers: object) -> dict[Value, float]:
    if not hasattr(numbers, "items"):
        raise TypeError(
            f"rerun() takes the new numbers as a dict from leaves to numbers, like "
            f"{{w: 0.5}}, got {type(numbers).__name__} {quoted(numbers)}."
        )
    leaves = {node for node in order if not node.children}
    checked: dict[Value, float] = {}
    for leaf, number in numbers.items():
        if not isinstance(leaf, Value) or leaf not in leaves:
            raise ValueError(
                f"rerun() can set the leaves of this graph only (its inputs, knobs and "
                f"constants), got {quoted(leaf)}."
            )
        if isinstance(number, bool) or not isinstance(number, Real):
            raise TypeError(
                f"rerun() needs a number for {quoted(leaf)}, got {type(number).__name__} "
                f"{quoted(number)}."
            )
        checked[leaf] = float(number)
    return checked
