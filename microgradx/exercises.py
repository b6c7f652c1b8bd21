"""Exercises with feedback: the learner answers, microgradx says what is right and why not.

In a notebook::

    from microgradx import exercises

    exercises.show("blame-by-hand")            # the question, with its graph
    answer = {"L": 1.0, "d": -2.0, ...}        # your numbers, found by hand
    exercises.check("blame-by-hand", answer)   # ✓ or ✗ for every node, with hints

``check`` returns a ``Feedback`` and never raises on a wrong answer (or on
``None``, the placeholder): ``feedback.passed`` says whether all is right, and in a
test ``feedback.assert_passed()`` raises ``ExerciseFailed``. Every wrong part is
named as the drawing names it (``node a``, ``edge a → *``), with the expected and
the given number and a hint: the typical mistake it looks like (one path instead
of all, the sign of the nudge, the output where the input belongs, ...) or the
rule to apply. The expected numbers are computed by microgradx itself.

The exercises, by lesson (``lessons/`` in the repository):

1. ``guess-and-error``, ``mean-squared-error``
2. ``local-derivatives-mul``, ``local-derivatives-tanh``, ``blame-by-hand``,
   ``blame-of-a-neuron``
3. ``blame-of-reuse``, ``blame-of-a-diamond``, ``power-rule``, ``write-backward``
4. ``one-nudge``, ``nudges-on-a-parabola``
5. ``blame-through-relu``, ``network-nudge``
6. ``hinge-blame``
7. ``central-difference``, ``nudge-every-knob``
8. ``vanishing-blame``
"""

from __future__ import annotations

import math

from microgradx.checkers import (
    BlameExercise,
    Exercise,
    LocalDerivativeExercise,
    Mistake,
    NumbersExercise,
    Slot,
    bracketed_number,
    number_text,
)
from microgradx.code_checkers import (
    BackwardExercise,
    CentralDifferenceExercise,
    Loss,
    NumericalGradientExercise,
    Slope,
    TestGraph,
)
from microgradx.engine import Value
from microgradx.feedback import ExerciseFailed, Feedback, Item
from microgradx.messages import quoted

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from microgradx.checkers import Nodes
    from microgradx.code_checkers import Leaf

__all__ = [
    "EXERCISES",
    "Exercise",
    "ExerciseFailed",
    "Feedback",
    "Item",
    "check",
    "for_lesson",
    "show",
]


def show(exercise_id: str) -> Exercise:
    """The exercise called ``exercise_id``; in a notebook it shows its question."""
    return _exercise(exercise_id)


def check(exercise_id: str, answer: object) -> Feedback:
    """Check ``answer`` to the exercise ``exercise_id``; never raises on a wrong answer."""
    return _exercise(exercise_id).check(answer)


def for_lesson(lesson: int) -> list[Exercise]:
    """The exercises of lesson ``lesson``, in order."""
    return [exercise for exercise in EXERCISES.values() if exercise.lesson == lesson]


def _exercise(exercise_id: str) -> Exercise:
    if exercise_id not in EXERCISES:
        import difflib

        close = difflib.get_close_matches(str(exercise_id), list(EXERCISES), n=1)
        guess = f" Did you mean {close[0]!r}?" if close else ""
        raise KeyError(
            f"There is no exercise {quoted(exercise_id)}.{guess} "
            f"The exercises are: {', '.join(EXERCISES)}."
        )
    return EXERCISES[exercise_id]


def _named(value: Value, label: str) -> Value:
    value.label = label
    return value


# ----------------------------------------------------------------------
# Lesson 1: one neuron makes a guess; the error
# ----------------------------------------------------------------------


def _guess_and_error() -> list[Slot]:
    size, w, b, true_price = 2.0, 1.5, 0.5, 4.0
    guess = Value(w) * size + b
    error = (guess - true_price) ** 2
    miss = guess.data - true_price
    square = f"The error is (guess - true price)² = ({number_text(guess.data)} - 4)²."
    return [
        Slot(
            "guess",
            "guess",
            guess.data,
            "guess = w × size + b = 1.5 × 2 + 0.5.",
            (
                Mistake(w * size, "That is w × size without the bias: add b."),
                Mistake(
                    true_price, "That is the true price; the guess is what the neuron computes."
                ),
            ),
        ),
        Slot(
            "error",
            "error",
            error.data,
            square,
            (
                Mistake(miss, f"That is the miss, guess - true price. {square}"),
                Mistake(abs(miss), f"That is the size of the miss; the error squares it. {square}"),
            ),
        ),
    ]


def _mean_squared_error() -> list[Slot]:
    houses = {"A": (3.0, 4.0), "B": (2.0, 2.5), "C": (6.0, 4.0)}
    slots = []
    for name, (guess, true_price) in houses.items():
        miss = guess - true_price
        slots.append(
            Slot(
                name,
                f"squared error of house {name}",
                miss**2,
                f"House {name}: (guess - true)² = "
                f"({number_text(guess)} - {number_text(true_price)})².",
                (Mistake(miss, f"That is house {name}'s miss; square it."),),
            )
        )
    misses = [g - t for g, t in houses.values()]
    mean = sum(m * m for m in misses) / len(misses)
    rule = (
        "The mean squared error is the sum of the squared errors divided by the number of houses."
    )
    slots.append(
        Slot(
            "mean",
            "mean squared error",
            mean,
            rule,
            (
                Mistake(
                    sum(misses) / 3, f"That is the mean miss: misses of both signs cancel. {rule}"
                ),
                Mistake(mean * 3, f"That is the sum; divide by the number of houses, 3. {rule}"),
                Mistake(
                    sum(abs(m) for m in misses) / 3,
                    f"That is the mean size of the misses; square each first. {rule}",
                ),
            ),
        )
    )
    return slots


# ----------------------------------------------------------------------
# Lesson 2: blame by the chain rule
# ----------------------------------------------------------------------


def _product() -> Value:
    return _named(Value(3.0, label="a") * Value(-2.0, label="b"), "out")


def _tanh_of_n() -> Value:
    return _named(Value(0.5, label="n").tanh(), "o")


def _tanh_mistakes(nodes: Nodes) -> dict[str, list[Mistake]]:
    n, o = nodes["n"].data, nodes["o"].data
    return {
        "n": [
            Mistake(
                1 - n * n,
                "That is 1 - n², with the input n. The rule uses the output: "
                "d o / d n = 1 - o², with o = tanh(n).",
            ),
            Mistake(1 - o, "That is 1 - o; the rule squares o: d o / d n = 1 - o²."),
        ]
    }


def _karpathy_graph() -> Value:
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    e = _named(a * b, "e")
    d = _named(e + c, "d")
    f = Value(-2.0, label="f")
    return _named(d * f, "L")


def _one_neuron() -> Value:
    x, w, b = Value(2.0, label="x"), Value(-0.5, label="w"), Value(0.5, label="b")
    xw = _named(x * w, "x*w")
    n = _named(xw + b, "n")
    return _named(n.tanh(), "o")


def _neuron_mistakes(nodes: Nodes) -> dict[str, list[Mistake]]:
    n = nodes["n"].data
    wrong_slope = 1 - n * n
    why = "tanh's local derivative is 1 - o² (the output o), not 1 - n² (the input n)."
    return {
        name: [
            Mistake(wrong_slope * factor, f"That uses 1 - n² = {number_text(wrong_slope)}. {why}")
        ]
        for name, factor in (("n", 1.0), ("b", 1.0), ("x*w", 1.0), ("x", -0.5), ("w", 2.0))
    }


# ----------------------------------------------------------------------
# Lesson 3: paths add up
# ----------------------------------------------------------------------


def _reuse() -> Value:
    a = Value(3.0, label="a")
    s = _named(a * a, "s")
    return _named(s + a, "t")


def _reuse_mistakes(nodes: Nodes) -> dict[str, list[Mistake]]:
    a = nodes["a"].data
    return {
        "a": [
            Mistake(
                2 * a,
                "That is the blame through s alone (both edges of a * a). a also feeds t "
                "directly: add that path's blame, 1 × blame(t).",
            ),
            Mistake(
                a + 1,
                "That counts one edge of s = a * a. a * a has two edges from a, each with "
                "local derivative a: blame from both adds up.",
            ),
        ]
    }


def _diamond() -> Value:
    x, y = Value(3.0, label="x"), Value(-2.0, label="y")
    u = _named(x + y, "u")
    v = _named(x * y, "v")
    return _named(u * v, "L")


def _power() -> Value:
    return _named(Value(2.0, label="x") ** 4, "out")


def _power_mistakes(nodes: Nodes) -> dict[str, list[Mistake]]:
    x = nodes["x"].data
    rule = "The power rule: d/dx x⁴ = 4·x³ (the power drops by one)."
    return {
        "x": [
            Mistake(4 * x**4, f"That is 4·x⁴: the power must drop by one. {rule}"),
            Mistake(3 * x**3, f"That is 3·x³: the factor is the old power, 4. {rule}"),
            Mistake(x**3, f"That is x³ without the factor 4. {rule}"),
        ]
    }


def _leaf_pair(leaf: Leaf) -> tuple[Any, Any]:
    return leaf(2.0, "a"), leaf(-3.0, "b")


def _graph_product(leaf: Leaf) -> dict[str, Any]:
    a, b = _leaf_pair(leaf)
    return {"a": a, "b": b, "out": a * b}


def _graph_chain(leaf: Leaf) -> dict[str, Any]:
    a, b = _leaf_pair(leaf)
    c = leaf(10.0, "c")
    e = a * b
    return {"a": a, "b": b, "c": c, "e": e, "out": e + c}


def _graph_square(leaf: Leaf) -> dict[str, Any]:
    x = leaf(3.0, "x")
    return {"x": x, "out": x * x}


def _graph_diamond(leaf: Leaf) -> dict[str, Any]:
    x, y = leaf(3.0, "x"), leaf(-2.0, "y")
    u, v = x + y, x * y
    return {"x": x, "y": y, "u": u, "v": v, "out": u * v}


def _graph_two_depths(leaf: Leaf) -> dict[str, Any]:
    a, b = leaf(2.0, "a"), leaf(3.0, "b")
    e = a * b
    f = e + a
    g = f + b
    return {"a": a, "b": b, "e": e, "f": f, "g": g, "out": g * e}


BACKWARD_GRAPHS = (
    TestGraph("out = a * b", _graph_product, "One op: each input gets local × 1."),
    TestGraph("out = a * b + c", _graph_chain, "A chain: blame passes through e to a and b."),
    TestGraph(
        "out = x * x",
        _graph_square,
        "x is used twice by the same '*' (two edges, each with local derivative x).",
    ),
    TestGraph(
        "out = (x + y) * (x * y)",
        _graph_diamond,
        "A diamond: x and y each reach out along two paths, through u and through v.",
    ),
    TestGraph(
        "out = (a*b + a + b) * (a*b)",
        _graph_two_depths,
        "e = a*b is used at two depths: by out directly and, through f and g, again.",
    ),
)


# ----------------------------------------------------------------------
# Lesson 4: the nudge
# ----------------------------------------------------------------------


def _one_nudge() -> list[Slot]:
    rate = 0.1
    knobs = {"w": (0.8, 2.5), "b": (-0.3, -1.0)}
    slots = []
    for name, (data, blame) in knobs.items():
        rule = (
            f"new {name} = old - learning rate × blame = {number_text(data)} - "
            f"{rate} × {bracketed_number(blame)}."
        )
        slots.append(
            Slot(
                name,
                f"new {name}",
                data - rate * blame,
                rule,
                (
                    Mistake(
                        data + rate * blame,
                        f"That moves {name} with its blame, which makes the error larger. "
                        f"A nudge goes against the blame. {rule}",
                    ),
                    Mistake(data - blame, f"That forgets the learning rate. {rule}"),
                    Mistake(
                        rate * blame, f"That is the nudge itself; subtract it from {name}. {rule}"
                    ),
                    Mistake(data, f"That is {name} before the nudge. {rule}"),
                ),
            )
        )
    return slots


def _parabola() -> list[Slot]:
    rate, w = 0.25, Value(0.0, label="w")
    slots = []
    for step in (1, 2):
        loss = (w - 3.0) ** 2
        loss.backward()
        old, blame = w.data, w.grad
        new = old - rate * blame
        rule = (
            f"At w = {number_text(old)} the blame is 2 × (w - 3) = {number_text(blame)}; "
            f"new w = {number_text(old)} - {rate} × {bracketed_number(blame)}."
        )
        mistakes = [
            Mistake(old + rate * blame, f"That moves w with the blame, uphill. {rule}"),
            Mistake(old - blame, f"That forgets the learning rate. {rule}"),
        ]
        if step == 2:
            mistakes.append(
                Mistake(
                    old - rate * -6.0,
                    f"That reuses the blame of step 1; find the blame again at the new w. {rule}",
                )
            )
        slots.append(Slot(f"step {step}", f"w after step {step}", new, rule, tuple(mistakes)))
        w = Value(new, label="w")
    return slots


# ----------------------------------------------------------------------
# Lesson 5: a network
# ----------------------------------------------------------------------

_NETWORK_KNOBS = ("v1", "v2", "c", "w1", "b1", "w2", "b2")


def _small_network() -> Value:
    size = Value(2.0, label="size")
    w1, b1 = Value(0.5, label="w1"), Value(-0.5, label="b1")
    w2, b2 = Value(-1.0, label="w2"), Value(1.0, label="b2")
    v1, v2, c = Value(2.0, label="v1"), Value(1.5, label="v2"), Value(1.0, label="c")
    z1 = _named(_named(w1 * size, "w1*size") + b1, "z1")
    z2 = _named(_named(w2 * size, "w2*size") + b2, "z2")
    h1, h2 = _named(z1.relu(), "h1"), _named(z2.relu(), "h2")
    hidden = _named(_named(v1 * h1, "v1*h1") + _named(v2 * h2, "v2*h2"), "v1*h1 + v2*h2")
    guess = _named(hidden + c, "guess")
    miss = _named(guess - Value(3.0, label="true price"), "miss")
    return _named(miss**2, "error")


def _network_mistakes(nodes: Nodes) -> dict[str, list[Mistake]]:
    off = (
        "h2 = relu(z2) is switched off (z2 < 0): its local derivative is 0, so no blame "
        "passes down to z2, w2 or b2."
    )
    no_two = "d error / d miss = 2 × miss: the 2 comes from the square."
    h2_blame = nodes["h2"].grad
    return {
        "c": [Mistake(nodes["c"].grad / 2, f"That leaves out the 2. {no_two}")],
        "v1": [Mistake(nodes["v1"].grad / 2, f"That leaves out the 2. {no_two}")],
        "w2": [Mistake(h2_blame * nodes["size"].data, f"That passes blame through h2. {off}")],
        "b2": [Mistake(h2_blame, f"That passes blame through h2. {off}")],
    }


def _network_nudge() -> list[Slot]:
    error = _small_network()
    error.backward()
    from microgradx.engine import topological_order

    nodes = {node.label: node for node in topological_order(error) if node.label}
    rate = 0.1
    slots = []
    for name in ("c", "w1", "b2"):
        knob = nodes[name]
        rule = (
            f"new {name} = {number_text(knob.data)} - {rate} × blame({name}), with the blame "
            "from the exercise blame-through-relu."
        )
        slots.append(
            Slot(
                name,
                f"new {name}",
                knob.data - rate * knob.grad,
                rule,
                (
                    Mistake(knob.data + rate * knob.grad, f"That goes with the blame. {rule}"),
                    Mistake(knob.data - knob.grad, f"That forgets the learning rate. {rule}"),
                    Mistake(
                        knob.data - rate * -3.0,
                        "That uses a blame of -3 (h2's). b2's blame is 0: h2 is switched off, "
                        f"so b2 does not move. {rule}",
                    ),
                ),
            )
        )
    return slots


# ----------------------------------------------------------------------
# Lesson 6: two moons, the max-margin loss
# ----------------------------------------------------------------------


def _hinge_blame() -> list[Slot]:
    points = {"A": (1.0, 2.0), "B": (1.0, 0.4), "C": (-1.0, 0.3)}
    slots = []
    for name, (label, score) in points.items():
        s = Value(score, label=f"score {name}")
        loss = (1.0 - label * s).relu()
        loss.backward()
        rule = (
            f"Point {name}: y = {number_text(label)}, score {number_text(score)}, "
            f"y × score = {number_text(label * score)}. Its loss max(0, 1 - y × score) has "
            "blame -y on its score while y × score < 1, and 0 once it is past the margin."
        )
        mistakes = [Mistake(loss.data, f"That is the loss, not its blame. {rule}")]
        if s.grad == 0.0:
            mistakes.append(
                Mistake(-label, f"Point {name} is past the margin: its loss is flat, 0. {rule}")
            )
        else:
            mistakes.append(
                Mistake(
                    label,
                    f"Raising the score of a +1 point lowers its loss (and "
                    f"raises a -1 point's): the blame is -y. {rule}",
                )
            )
        slots.append(Slot(name, f"blame on score {name}", s.grad, rule, tuple(mistakes)))
    return slots


# ----------------------------------------------------------------------
# Lesson 7: nudging each knob, and why backprop is better
# ----------------------------------------------------------------------

SLOPES = (
    Slope("f(x) = x³ at x = 2", lambda x: x**3, 2.0, 12.0),
    Slope("f(x) = sin(x) at x = 1", math.sin, 1.0, math.cos(1.0)),
    Slope("f(x) = exp(x) at x = 0.5", math.exp, 0.5, math.exp(0.5)),
)


def _neuron_loss(knobs: Sequence[Value]) -> Value:
    w1, w2, b = knobs
    guess = (w1 * 2.0 + w2 * -1.0 + b).tanh()
    return (guess - 0.5) ** 2


# ----------------------------------------------------------------------
# Lesson 8: vanishing blame
# ----------------------------------------------------------------------


def _sigmoid_stack() -> Value:
    x = Value(0.0, label="x")
    s1 = _named(x.sigmoid(), "s1")
    s2 = _named(s1.sigmoid(), "s2")
    return _named(s2.sigmoid(), "s3")


def _sigmoid_mistakes(nodes: Nodes) -> dict[str, list[Mistake]]:
    """The local derivative computed from the input z, as z(1 - z), instead of s(1 - s)."""
    chain = [("s3", "s2"), ("s2", "s1"), ("s1", "x")]
    why = "sigmoid's local derivative is s(1 - s) with its output s, not its input."
    mistakes: dict[str, list[Mistake]] = {}
    for output, below in chain:
        z = nodes[below].data
        wrong = z * (1 - z) * nodes[output].grad
        mistakes[below] = [Mistake(wrong, f"That uses {below}(1 - {below}), the input. {why}")]
    return mistakes


# ----------------------------------------------------------------------
# The catalogue
# ----------------------------------------------------------------------

_ALL: list[Exercise] = [
    NumbersExercise(
        "guess-and-error",
        "A guess and its error",
        1,
        "A neuron with one input guesses a price (in $100,000) from a size (in 100 m²): "
        "guess = w × size + b, with w = 1.5 and b = 0.5. A house of size 2 (200 m²) "
        "sold for 4 ($400,000). What is the guess, and the error (guess - true price)²?",
        _guess_and_error,
    ),
    NumbersExercise(
        "mean-squared-error",
        "The error over several houses",
        1,
        "Three houses: A guessed 3, sold for 4; B guessed 2, sold for 2.5; C guessed 6, "
        "sold for 4. What is each house's squared error, and their mean?",
        _mean_squared_error,
    ),
    LocalDerivativeExercise(
        "local-derivatives-mul",
        "Local derivatives of a product",
        2,
        "out = a * b with a = 3 and b = -2. What is the local derivative on each edge: "
        "d out / d a (key 'a') and d out / d b (key 'b')?",
        _product,
        rules={
            "a": "Nudge a by a little ε and out moves by b × ε: d out / d a = b.",
            "b": "Nudge b by a little ε and out moves by a × ε: d out / d b = a.",
        },
        mistakes=lambda nodes: {
            name: [Mistake(1.0, "1 is the local derivative of +, not of *.")] for name in "ab"
        },
    ),
    LocalDerivativeExercise(
        "local-derivatives-tanh",
        "The local derivative of tanh",
        2,
        "o = tanh(n) at n = 0.5 (o ≈ 0.4621). What is the local derivative d o / d n? "
        "(The rule: 1 - tanh(n)².)",
        _tanh_of_n,
        rules={"n": "d o / d n = 1 - tanh(n)² = 1 - o², with the output o."},
        mistakes=_tanh_mistakes,
    ),
    BlameExercise(
        "blame-by-hand",
        "Blame by hand",
        2,
        "e = a * b, d = e + c, L = d * f, with a = 2, b = -3, c = 10, f = -2. Find every "
        "node's blame, d L / d node, from L down to the leaves. The drawing shows each "
        "value and the local derivative on every edge.",
        _karpathy_graph,
    ),
    BlameExercise(
        "blame-of-a-neuron",
        "The blame inside one neuron",
        2,
        "One neuron: o = tanh(x*w + b) with x = 2, w = -0.5, b = 0.5. Find the blame "
        "d o / d node of every node. (1 - o² is tanh's local derivative.)",
        _one_neuron,
        parameters=("w", "b"),
        mistakes=_neuron_mistakes,
    ),
    BlameExercise(
        "blame-of-reuse",
        "A value used more than once",
        3,
        "s = a * a and t = s + a, with a = 3. Find the blame d t / d node of t, s and a. "
        "a is used three times: twice by '*', once by '+'.",
        _reuse,
        mistakes=_reuse_mistakes,
    ),
    BlameExercise(
        "blame-of-a-diamond",
        "A diamond: two paths to the top",
        3,
        "u = x + y, v = x * y, L = u * v, with x = 3 and y = -2. Find the blame "
        "d L / d node of every node. x and y each reach L along two paths.",
        _diamond,
    ),
    LocalDerivativeExercise(
        "power-rule",
        "The power rule",
        3,
        "out = x ** 4 at x = 2. What is the local derivative d out / d x? (x ** 4 is "
        "x * x * x * x: four uses of x, whose blame adds up.)",
        _power,
        rules={"x": "The power rule: d/dx x⁴ = 4·x³."},
        mistakes=_power_mistakes,
    ),
    BackwardExercise(
        "write-backward",
        "Write backward() yourself",
        3,
        "Write a tiny Value class: __init__(self, data), __add__ and __mul__ (each "
        "returns a new node that remembers its children and local derivatives), and "
        "backward(). The checker builds test graphs with it, among them x * x and a "
        "diamond, runs out.backward() and compares every grad with microgradx's.",
        BACKWARD_GRAPHS,
    ),
    NumbersExercise(
        "one-nudge",
        "One nudge",
        4,
        "Two knobs: w = 0.8 with blame 2.5, and b = -0.3 with blame -1. With a learning "
        "rate of 0.1, what are w and b after one nudge?",
        _one_nudge,
    ),
    NumbersExercise(
        "nudges-on-a-parabola",
        "Two steps downhill",
        4,
        "loss(w) = (w - 3)², whose blame is d loss / d w = 2 × (w - 3). Start at w = 0 "
        "with a learning rate of 0.25. What is w after one step, and after two?",
        _parabola,
    ),
    BlameExercise(
        "blame-through-relu",
        "Blame through a small network",
        5,
        "A network with two ReLU neurons guesses a price: z1 = w1*size + b1, "
        "h1 = relu(z1), the same for z2 and h2, guess = v1*h1 + v2*h2 + c, "
        "error = (guess - true price)². Find the blame d error / d knob of the seven "
        "knobs. Look at h2 first: is it switched on?",
        _small_network,
        asked=_NETWORK_KNOBS,
        parameters=_NETWORK_KNOBS,
        mistakes=_network_mistakes,
        rankdir="TB",
    ),
    NumbersExercise(
        "network-nudge",
        "Nudge the network",
        5,
        "With the blames of blame-through-relu and a learning rate of 0.1, what are "
        "c, w1 and b2 after one nudge? (Before: c = 1, w1 = 0.5, b2 = 1.)",
        _network_nudge,
    ),
    NumbersExercise(
        "hinge-blame",
        "Which points pull on the boundary?",
        6,
        "The max-margin loss of one point is max(0, 1 - y × score), with label y = +1 or "
        "-1. Point A: y = +1, score 2. Point B: y = +1, score 0.4. Point C: y = -1, "
        "score 0.3. What is the blame d loss / d score of each point?",
        _hinge_blame,
    ),
    CentralDifferenceExercise(
        "central-difference",
        "Measure a slope by nudging",
        7,
        "Write central_difference(f, x): it nudges x a little up and a little down, "
        "calls f at x + h and x - h, and returns (f(x + h) - f(x - h)) / (2h), with a "
        "small h such as 1e-5. The checker tries it on x³, sin and exp.",
        SLOPES,
    ),
    NumericalGradientExercise(
        "nudge-every-knob",
        "Every knob's slope, by nudging",
        7,
        "Write numerical_gradient(f, knobs): f takes a list of numbers (the knobs) and "
        "returns the loss. Return one slope per knob, each by a central difference, "
        "nudging one knob at a time and putting it back. The checker compares with "
        "backprop and counts how often you called f.",
        Loss(_neuron_loss, (0.3, -0.2, 0.1), ("w1", "w2", "b")),
    ),
    BlameExercise(
        "vanishing-blame",
        "Blame through a stack of sigmoids",
        8,
        "s1 = sigmoid(x), s2 = sigmoid(s1), s3 = sigmoid(s2), with x = 0. Find the blame "
        "d s3 / d node of every node. The local derivative of s = sigmoid(z) is s(1 - s).",
        _sigmoid_stack,
        mistakes=_sigmoid_mistakes,
    ),
]

EXERCISES: dict[str, Exercise] = {exercise.id: exercise for exercise in _ALL}
"""Every exercise by its id, in the order of the lessons."""
