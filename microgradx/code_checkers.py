"""Exercises whose answer is code: a hand-written ``backward()``, a slope by nudging.

The learner's code runs on test inputs, and what it computes is compared with
microgradx: every ``data`` and ``grad`` of the learner's own Value class on test
graphs, or a measured slope against the exact derivative and against backprop.
Whatever the learner's code raises is caught and reported as feedback. (Code
that never returns, an endless loop, cannot be caught: interrupt the kernel.)

* ``BackwardExercise``: a tiny Value-like class with a hand-written ``backward()``,
  run on test graphs (the ``x * x`` reuse, a diamond, a node used at two depths).
* ``CentralDifferenceExercise``: a function that measures a slope by nudging, run
  on test functions while recording where it calls them.
* ``NumericalGradientExercise``: the same for every knob of a loss at once, with
  the forward passes counted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from microgradx.checkers import (
    Exercise,
    Use,
    as_number,
    edges_out_of,
    is_close,
    number_text,
)
from microgradx.engine import Value, topological_order
from microgradx.feedback import Feedback, Item
from microgradx.messages import quoted, shortened

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from microgradx.checkers import Nodes

    Leaf = Callable[[float, str], Any]
    """Makes a leaf of a test graph from a number and a name."""

__all__ = [
    "SLOPE_ABSOLUTE_TOLERANCE",
    "SLOPE_RELATIVE_TOLERANCE",
    "BackwardExercise",
    "CentralDifferenceExercise",
    "Loss",
    "NumericalGradientExercise",
    "Slope",
    "TestGraph",
]

SLOPE_ABSOLUTE_TOLERANCE = 1e-8
SLOPE_RELATIVE_TOLERANCE = 1e-6
"""A slope measured by a central difference with h = 1e-5 is off by about 1e-10 of
its size; a one-sided one, or one with h far too small or too large, by more than this."""


def is_close_slope(given: float, expected: float) -> bool:
    """True when a measured slope is as close as a good central difference gets."""
    return is_close(given, expected, SLOPE_ABSOLUTE_TOLERANCE, SLOPE_RELATIVE_TOLERANCE)


def slope_text(x: float) -> str:
    """A measured slope, with enough digits to show the error of a one-sided difference."""
    return number_text(x, 10)


# ----------------------------------------------------------------------
# A hand-written backward(), run on test graphs
# ----------------------------------------------------------------------


@dataclass(frozen=True)
class TestGraph:
    """A graph built from ``+`` and ``*`` only, by ``build(leaf)``.

    ``build`` gets a function ``leaf(number, name)`` that makes a leaf (a
    microgradx Value for the reference, the learner's class for the answer) and
    returns every node by name, the output as ``"out"``.
    """

    name: str
    build: Callable[[Leaf], dict[str, Any]]
    why: str
    """What this graph tests, for the hint."""

    __test__ = False  # not a pytest test class

    def reference(self) -> Nodes:
        """The graph in microgradx Values, labelled by name, after ``backward()``."""
        nodes: Nodes = self.build(lambda number, name: Value(number, label=name))
        for name, node in nodes.items():
            node.label = name
        nodes["out"].backward()
        return nodes


RAN = "backward() to run"
"""What is expected of a graph on which the learner's class raised an error."""


class BackwardExercise(Exercise):
    """The learner's own tiny Value class, with a hand-written ``backward()``.

    The answer is the class. The checker makes leaves with ``YourClass(number)``,
    combines them with ``+`` and ``*`` into each test graph, calls
    ``out.backward()`` and compares every node's ``data`` and ``grad`` with what
    microgradx computes for the same graph.
    """

    def __init__(
        self, id: str, title: str, lesson: int, question: str, graphs: Sequence[TestGraph]
    ) -> None:
        super().__init__(id, title, lesson, question)
        self.graphs = tuple(graphs)
        self.placeholder_note = (
            "Replace None with your class (the name of the class, without brackets), "
            "then run the cell again."
        )

    def answer_template(self) -> str:
        return "your class, e.g. MyValue"

    def draw(self, name: str) -> Any:
        """The drawing of the test graph called ``name``, with microgradx's blame."""
        from microgradx.graph import draw_dot

        for graph in self.graphs:
            if graph.name == name:
                return draw_dot(graph.reference()["out"])
        raise KeyError(f"no test graph {name!r}; they are {[g.name for g in self.graphs]}")

    def _check(self, answer: object) -> Feedback:
        if not callable(answer):
            return self.feedback(
                (),
                f"The answer should be your class (like MyValue), got "
                f"{type(answer).__name__} {quoted(answer)}.",
            )
        items: list[Item] = []
        repeated = 0
        for graph in self.graphs:
            for item in self._check_graph(graph, answer):
                if item.expected == RAN and any(item.given == seen.given for seen in items):
                    repeated += 1  # the same error again: once is enough
                else:
                    items.append(item)
        note = f"The same error came up in {repeated} more test graphs." if repeated else ""
        return self.feedback(items, note)

    def _check_graph(self, graph: TestGraph, your_class: Callable[[float], Any]) -> list[Item]:
        reference = graph.reference()
        try:
            nodes = graph.build(lambda number, name: your_class(number))
            nodes["out"].backward()
        except Exception as error:  # the learner's code: report it, never raise
            return [
                Item(
                    f"graph {graph.name}",
                    False,
                    RAN,
                    f"{type(error).__name__}: {shortened(str(error))}",
                    "Your class raised this while the graph was built or backward() ran. "
                    "It needs __init__(self, data), __add__, __mul__ and backward(); "
                    "each node keeps .data and .grad.",
                )
            ]
        order = [n.label for n in reversed(topological_order(reference["out"]))]
        uses = edges_out_of(reference["out"])
        wrong = []
        for name in order:
            expected, yours = reference[name], nodes[name]
            data, problem = as_number(getattr(yours, "data", None))
            if problem or not is_close(data, expected.data):
                wrong.append(
                    Item(
                        f"graph {graph.name}: {name}.data",
                        False,
                        number_text(expected.data),
                        problem[0] if problem else number_text(data),
                        "The forward pass computes the wrong number: check __add__ and "
                        "__mul__ (each returns a new node with the sum or the product).",
                    )
                )
                break
            grad, problem = as_number(getattr(yours, "grad", None))
            if problem or not is_close(grad, expected.grad):
                hint = _backward_hint(expected, reference["out"], uses[expected], grad, graph.why)
                wrong.append(
                    Item(
                        f"graph {graph.name}: {name}.grad",
                        False,
                        number_text(expected.grad),
                        problem[0] if problem else number_text(grad),
                        hint,
                    )
                )
        if wrong:
            return [_first_of(wrong)]
        return [Item(f"graph {graph.name}", True, "", f"all {len(order)} grads match microgradx")]


def _first_of(wrong: list[Item]) -> Item:
    """The wrong node nearest the output, which is the one to fix first."""
    first = wrong[0]
    if len(wrong) == 1:
        return first
    others = len(wrong) - 1
    more = f"{others} more node{'s' if others > 1 else ''} of this graph"
    return Item(
        first.name,
        False,
        first.expected,
        first.given,
        f"{first.hint} ({more} {'are' if others > 1 else 'is'} wrong too: fix this one first, "
        "nearest the output.)",
    )


def _backward_hint(node: Value, out: Value, uses: list[Use], given: float, why: str) -> str:
    name = node.label
    if node is out:
        return (
            "The output's blame for itself is 1: start backward() with self.grad = 1.0, "
            "before handing any blame down."
        )
    if is_close(given, 0.0):
        return (
            f"No blame reached {name}. backward() must visit every node, from the output "
            "down, and hand each child its share: child.grad += local_grad * node.grad."
        )
    shares = [use.local * use.parent.grad for use in uses]
    if len(uses) > 1 and any(is_close(given, share) for share in shares):
        return (
            f"{name} got the blame of one path only. {why} Use += so that blame from "
            "every path adds up: child.grad += local_grad * node.grad (not =)."
        )
    for use in uses:
        for slot, sibling in enumerate(use.parent.children):
            swapped = use.parent.local_grads[slot] * use.parent.grad
            if slot != use.slot and use.parent.op == "*" and is_close(given, swapped):
                return (
                    f"That is the blame of {sibling.label}: in a * b the local derivative "
                    "for a is b's data and for b it is a's data. Check __mul__."
                )
    if abs(given) > abs(node.grad):
        return (
            f"{name} got too much blame: some blame was handed down twice. Each node must "
            "pass its blame on exactly once, after all of its own blame has arrived: "
            "visit the nodes once each, in reverse topological order (do not call "
            f"backward() again on the children). {why}"
        )
    return (
        f"{name} got too little (or the wrong) blame: a node passed its blame on before all "
        "of its own blame had arrived. Visit the nodes in reverse topological order: a "
        f"node only after every node that uses it. {why}"
    )


# ----------------------------------------------------------------------
# Numerical gradients: a slope measured by nudging
# ----------------------------------------------------------------------


@dataclass(frozen=True)
class Slope:
    """A test function of one number, its point, and its exact derivative there."""

    name: str
    f: Callable[[float], float]
    x: float
    derivative: float


class _Recorded:
    """Wraps f and remembers every point it was called at (the forward passes)."""

    def __init__(self, f: Callable[[float], float]) -> None:
        self.f = f
        self.points: list[float] = []

    def __call__(self, x: float) -> float:
        self.points.append(float(x))
        return self.f(float(x))


class CentralDifferenceExercise(Exercise):
    """A function ``slope(f, x)`` that measures df/dx by a central difference.

    It must call ``f`` at ``x - h`` and ``x + h`` and return
    ``(f(x + h) - f(x - h)) / (2h)``. The checker runs it on test functions,
    records where it called ``f``, and compares the result with the exact
    derivative.
    """

    def __init__(
        self, id: str, title: str, lesson: int, question: str, slopes: Sequence[Slope]
    ) -> None:
        super().__init__(id, title, lesson, question)
        self.slopes = tuple(slopes)
        self.placeholder_note = (
            "Replace None with your function (its name, without brackets), then run the cell again."
        )

    def answer_template(self) -> str:
        return "your function, e.g. central_difference"

    def _check(self, answer: object) -> Feedback:
        if not callable(answer):
            return self.feedback(
                (),
                f"The answer should be your function (like central_difference), got "
                f"{type(answer).__name__} {quoted(answer)}.",
            )
        return self.feedback([self._check_slope(slope, answer) for slope in self.slopes])

    def _check_slope(self, slope: Slope, function: Callable[..., object]) -> Item:
        name, expected = slope.name, slope_text(slope.derivative)
        recorded = _Recorded(slope.f)
        try:
            result = function(recorded, slope.x)
        except Exception as error:  # the learner's code: report it, never raise
            return Item(
                name,
                False,
                expected,
                f"{type(error).__name__}: {shortened(str(error))}",
                "Your function raised this. It gets f (a function of one number) and x, "
                "and returns a number.",
            )
        number, problem = as_number(result)
        if problem:
            return Item(name, False, expected, problem[0], problem[1] + " Return the slope.")
        hint = _nudge_hint(recorded.points, slope.x, number, slope.derivative)
        if hint:
            return Item(name, False, expected, slope_text(number), hint)
        return Item(name, True, expected, slope_text(number))


def _nudge_hint(points: list[float], x: float, given: float, derivative: float) -> str:
    """Why a measured slope is wrong, from where f was called; "" if it is right."""
    if not points:
        return "Your function never called f: call it at x + h and at x - h."
    away = sorted({p for p in points if p != x})
    above, below = [p for p in away if p > x], [p for p in away if p < x]
    if not above or not below:
        return (
            f"f was called only at {', '.join(slope_text(p) for p in sorted(set(points)))}: "
            "on one side of x (a one-sided difference, whose error shrinks only like h). "
            "Call f at x + h and at x - h and divide by 2h: the error of that central "
            "difference shrinks like h²."
        )
    h = (away[-1] - away[0]) / 2
    if len(away) > 2 or not math.isclose(away[0] + away[-1], 2 * x, rel_tol=1e-9, abs_tol=1e-12):
        return (
            f"f was called at {', '.join(slope_text(p) for p in away)}: not one step h "
            "on both sides of x. Use x + h and x - h with the same h."
        )
    if is_close_slope(given, derivative):
        return ""
    if is_close(given, 2 * derivative):
        return "That is twice the slope: the two points are 2h apart, so divide by 2h, not h."
    if is_close(given, -derivative):
        return "The sign is flipped: it is (f(x + h) - f(x - h)) / 2h, the upper point first."
    if h < 1e-9:
        return (
            f"The step h = {h:.3g} is so small that rounding errors in f swamp the "
            "difference: use h about 1e-5."
        )
    if h >= 1e-2:
        return f"The step h = {h:.3g} is too large: the error grows like h². Use h about 1e-5."
    return "The slope is (f(x + h) - f(x - h)) / (2h), with a small h such as 1e-5."


@dataclass(frozen=True)
class Loss:
    """A test loss of several knobs: ``f(list of numbers) -> number``, and its knobs."""

    f: Callable[[Sequence[Value]], Value]
    """Builds the loss from one Value per knob (run with floats for the learner)."""
    knobs: tuple[float, ...]
    names: tuple[str, ...]


class NumericalGradientExercise(Exercise):
    """A function ``numerical_gradient(f, knobs)``: every knob's slope by nudging.

    ``f`` takes a list of numbers (the knobs) and returns the loss as a number. The
    answer must return one slope per knob, nudging each knob up and down while the
    others stay put. The checker compares with backprop, counts the forward passes
    (calls of f) and checks that the caller's list of knobs is left as it was.
    """

    def __init__(self, id: str, title: str, lesson: int, question: str, loss: Loss) -> None:
        super().__init__(id, title, lesson, question)
        self.loss = loss
        self.placeholder_note = (
            "Replace None with your function (its name, without brackets), then run the cell again."
        )

    def answer_template(self) -> str:
        return "your function, e.g. numerical_gradient"

    def backprop_gradient(self) -> list[float]:
        leaves = [Value(x, label=name) for x, name in zip(self.loss.knobs, self.loss.names)]
        self.loss.f(leaves).backward()
        return [leaf.grad for leaf in leaves]

    def _check(self, answer: object) -> Feedback:
        if not callable(answer):
            return self.feedback(
                (),
                f"The answer should be your function (like numerical_gradient), got "
                f"{type(answer).__name__} {quoted(answer)}.",
            )
        knobs = list(self.loss.knobs)
        calls: list[list[float]] = []

        def f(values: Sequence[float]) -> float:
            calls.append([float(v) for v in values])
            return self.loss.f([Value(float(v)) for v in values]).data

        given_knobs = list(knobs)
        try:
            result = answer(f, given_knobs)
        except Exception as error:  # the learner's code: report it, never raise
            return self.feedback(
                [
                    Item(
                        "your function",
                        False,
                        "a list of slopes",
                        f"{type(error).__name__}: {shortened(str(error))}",
                        "It gets f (a function of a list of numbers) and the list of knobs, "
                        "and returns one slope per knob.",
                    )
                ]
            )
        if not isinstance(result, (list, tuple)) or len(result) != len(knobs):
            return self.feedback(
                [
                    Item(
                        "your function",
                        False,
                        f"a list of {len(knobs)} slopes",
                        shortened(repr(result)),
                        "Return one slope per knob, in the knobs' order.",
                    )
                ]
            )
        gradient = self.backprop_gradient()
        items = [self._knob_item(i, result[i], gradient[i], calls) for i in range(len(knobs))]
        items.append(self._passes_item(calls))
        notes = []
        if given_knobs != knobs:
            notes.append(
                "Your function changed the list of knobs it was given and did not put every "
                "knob back: copy the list, or restore each knob after nudging it."
            )
            items.append(
                Item(
                    "the knobs after the call",
                    False,
                    _numbers(knobs),
                    _numbers(given_knobs),
                    "Leave the knobs as they were: restore each one after nudging it.",
                )
            )
        return self.feedback(items, *notes)

    def _knob_item(self, i: int, given: object, expected: float, calls: list[list[float]]) -> Item:
        name = f"knob {self.loss.names[i]}"
        number, problem = as_number(given)
        if problem:
            return Item(name, False, slope_text(expected), problem[0], problem[1])
        base = self.loss.knobs
        moving = [c for c in calls if c[i] != base[i]]
        others_away = any(c[j] != base[j] for c in moving for j in range(len(base)) if j != i)
        if others_away and not is_close_slope(number, expected):
            return Item(
                name,
                False,
                slope_text(expected),
                slope_text(number),
                f"When f was called to nudge {self.loss.names[i]}, another knob was still away "
                "from its value: put each knob back before you nudge the next.",
            )
        points = [c[i] for c in calls if all(c[j] == base[j] for j in range(len(base)) if j != i)]
        hint = _nudge_hint(points, base[i], number, expected)
        if hint:
            return Item(name, False, slope_text(expected), slope_text(number), hint)
        return Item(name, True, slope_text(expected), slope_text(number))

    def _passes_item(self, calls: list[list[float]]) -> Item:
        n = len(self.loss.knobs)
        count = len(calls)
        right = count in (2 * n, 2 * n + 1)
        return Item(
            "forward passes (calls of f)",
            right,
            f"{2 * n} (2 per knob)",
            str(count),
            ""
            if right
            else (
                f"A central difference needs 2 forward passes per knob: {2 * n} for {n} "
                "knobs. Backprop needs 1 forward and 1 backward pass for all of them."
            ),
        )


def _numbers(values: Sequence[float]) -> str:
    return "[" + ", ".join(number_text(v) for v in values) + "]"
