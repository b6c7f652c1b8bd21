"""microgradx.exercises: every exercise accepts its reference solution, and rejects
typical wrong answers, naming the node or edge that is wrong, with a fitting hint.

The reference solutions are written here by hand (or with the math module), not
taken from microgradx, so they check the exercises' own expected numbers too.
"""

from __future__ import annotations

import math
import re

import pytest

from microgradx import Value, exercises
from microgradx.checkers import BlameExercise, LocalDerivativeExercise, NumbersExercise, is_close
from microgradx.feedback import ExerciseFailed, Feedback


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


# ----------------------------------------------------------------------
# Learners' code: right and wrong versions of a hand-written backward()
# ----------------------------------------------------------------------


class MyValue:
    """A reference answer to write-backward: a tiny Value with a correct backward()."""

    def __init__(self, data, children=(), local_grads=()):
        self.data = data
        self.grad = 0.0
        self.children = children
        self.local_grads = local_grads

    def __add__(self, other):
        return type(self)(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other):
        return type(self)(self.data * other.data, (self, other), (other.data, self.data))

    def order(self):
        """Every node, each after its children (reverse postorder, recursive: small graphs)."""
        order, seen = [], set()

        def visit(node):
            if node not in seen:
                seen.add(node)
                for child in node.children:
                    visit(child)
                order.append(node)

        visit(self)
        return order

    def backward(self):
        self.grad = 1.0
        for node in reversed(self.order()):
            for child, local in zip(node.children, node.local_grads):
                child.grad += local * node.grad


class OverwritesBlame(MyValue):
    """child.grad = ... instead of +=: blame from a second path replaces the first."""

    def backward(self):
        self.grad = 1.0
        for node in reversed(self.order()):
            for child, local in zip(node.children, node.local_grads):
                child.grad = local * node.grad


class ForgetsTheSeed(MyValue):
    def backward(self):
        for node in reversed(self.order()):
            for child, local in zip(node.children, node.local_grads):
                child.grad += local * node.grad


class RecursiveBackward(MyValue):
    """Each node hands its whole blame down again every time a parent calls it."""

    def backward(self):
        if self.grad == 0.0:
            self.grad = 1.0
        for child, local in zip(self.children, self.local_grads):
            child.grad += local * self.grad
            child.backward()


class BreadthFirst(MyValue):
    """Visits nodes in breadth-first order: a node may pass blame on before all has arrived."""

    def backward(self):
        self.grad = 1.0
        queue, seen = [self], {self}
        while queue:
            node = queue.pop(0)
            for child, local in zip(node.children, node.local_grads):
                child.grad += local * node.grad
                if child not in seen:
                    seen.add(child)
                    queue.append(child)


class ChildrenInASet(MyValue):
    """Keeps each child once (micrograd's set): x * x loses one of its two edges."""

    def backward(self):
        self.grad = 1.0
        for node in reversed(self.order()):
            for child, local in dict(zip(node.children, node.local_grads)).items():
                child.grad += local * node.grad


class SwappedProduct(MyValue):
    def __mul__(self, other):
        return type(self)(self.data * other.data, (self, other), (self.data, other.data))


class NotWrittenYet(MyValue):
    def backward(self):
        pass


class NoBackward:
    def __init__(self, data):
        self.data, self.grad = data, 0.0

    def __add__(self, other):
        return NoBackward(self.data + other.data)

    def __mul__(self, other):
        return NoBackward(self.data * other.data)


# ----------------------------------------------------------------------
# Learners' code: central differences, right and wrong
# ----------------------------------------------------------------------


def central_difference(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / (2 * h)


def forward_difference(f, x, h=1e-5):
    return (f(x + h) - f(x)) / h


def divides_by_h(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / h


def lower_point_first(f, x, h=1e-5):
    return (f(x - h) - f(x + h)) / (2 * h)


def tiny_step(f, x, h=1e-13):
    return (f(x + h) - f(x - h)) / (2 * h)


def forgets_to_return(f, x, h=1e-5):
    (f(x + h) - f(x - h)) / (2 * h)


def raises(f, x):
    raise ZeroDivisionError("oops")


def numerical_gradient(f, knobs, h=1e-5):
    slopes = []
    for i in range(len(knobs)):
        up, down = list(knobs), list(knobs)
        up[i] += h
        down[i] -= h
        slopes.append((f(up) - f(down)) / (2 * h))
    return slopes


def one_sided_gradient(f, knobs, h=1e-5):
    base, slopes = f(knobs), []
    for i in range(len(knobs)):
        up = list(knobs)
        up[i] += h
        slopes.append((f(up) - base) / h)
    return slopes


def never_puts_knobs_back(f, knobs, h=1e-5):
    slopes = []
    for i in range(len(knobs)):
        knobs[i] += h
        above = f(knobs)
        knobs[i] -= 2 * h
        below = f(knobs)
        slopes.append((above - below) / (2 * h))
    return slopes


def gradient_over_h(f, knobs, h=1e-5):
    return [2 * slope for slope in numerical_gradient(f, knobs, h)]


# ----------------------------------------------------------------------
# Reference solutions, by hand
# ----------------------------------------------------------------------

TANH_SLOPE = 1 - math.tanh(0.5) ** 2  # 0.786448, the same at n = -0.5
S1 = sigmoid(0.0)
S2 = sigmoid(S1)
S3 = sigmoid(S2)

SOLUTIONS = {
    "guess-and-error": {"guess": 3.5, "error": 0.25},
    "mean-squared-error": {"A": 1.0, "B": 0.25, "C": 4.0, "mean": 1.75},
    "local-derivatives-mul": {"a": -2.0, "b": 3.0},
    "local-derivatives-tanh": TANH_SLOPE,
    "blame-by-hand": {"L": 1, "d": -2, "f": 4, "e": -2, "c": -2, "a": 6, "b": -4},
    "blame-of-a-neuron": {
        "o": 1.0,
        "n": TANH_SLOPE,
        "b": TANH_SLOPE,
        "x*w": TANH_SLOPE,
        "x": -0.5 * TANH_SLOPE,
        "w": 2.0 * TANH_SLOPE,
    },
    "blame-of-reuse": {"t": 1, "s": 1, "a": 7},
    "blame-of-a-diamond": {"L": 1, "u": -6, "v": 1, "x": -8, "y": -3},
    "power-rule": 32,
    "write-backward": MyValue,
    "one-nudge": {"w": 0.55, "b": -0.2},
    "nudges-on-a-parabola": {"step 1": 1.5, "step 2": 2.25},
    "blame-through-relu": {"v1": -1, "v2": 0, "c": -2, "w1": -8, "b1": -4, "w2": 0, "b2": 0},
    "network-nudge": {"c": 1.2, "w1": 1.3, "b2": 1.0},
    "hinge-blame": {"A": 0, "B": -1, "C": 1},
    "central-difference": central_difference,
    "nudge-every-knob": numerical_gradient,
    "vanishing-blame": {
        "s3": 1.0,
        "s2": S3 * (1 - S3),
        "s1": S3 * (1 - S3) * S2 * (1 - S2),
        "x": S3 * (1 - S3) * S2 * (1 - S2) * S1 * (1 - S1),
    },
}


def changed(exercise_id, **numbers):
    """The reference solution with some numbers replaced (keys with spaces via **{...})."""
    answer = dict(SOLUTIONS[exercise_id])
    answer.update(numbers)
    return answer


# Each: (exercise, wrong answer, the item that must be named wrong, words the hint must hold).
WRONG_ANSWERS = [
    ("guess-and-error", changed("guess-and-error", guess=3.0), "guess", "without the bias"),
    ("guess-and-error", changed("guess-and-error", error=-0.5), "error", "the miss"),
    ("guess-and-error", changed("guess-and-error", error=0.5), "error", "squares it"),
    (
        "mean-squared-error",
        changed("mean-squared-error", A=-1.0),
        "squared error of house A",
        "square it",
    ),
    (
        "mean-squared-error",
        changed("mean-squared-error", mean=5.25),
        "mean squared error",
        "That is the sum",
    ),
    (
        "mean-squared-error",
        changed("mean-squared-error", mean=0.167),
        "mean squared error",
        "cancel",
    ),
    (
        "mean-squared-error",
        changed("mean-squared-error", mean=1.167),
        "mean squared error",
        "square each first",
    ),
    ("local-derivatives-mul", {"a": 3, "b": -2}, "edge a → *", "swapped"),
    ("local-derivatives-mul", {"a": -6, "b": 3}, "edge a → *", "not its slope"),
    ("local-derivatives-mul", {"a": 1, "b": 3}, "edge a → *", "local derivative of +"),
    ("local-derivatives-tanh", 0.75, "edge n → tanh", "the input n"),
    ("local-derivatives-tanh", math.tanh(0.5), "edge n → tanh", "not its slope"),
    ("local-derivatives-tanh", 1 - math.tanh(0.5), "edge n → tanh", "squares o"),
    (
        "blame-by-hand",
        changed("blame-by-hand", a=-3),
        "node a",
        "local derivative on the edge from a into '*' (which makes e) alone",
    ),
    ("blame-by-hand", changed("blame-by-hand", a=-4), "node a", "the blame of b"),
    ("blame-by-hand", changed("blame-by-hand", a=2), "node a", "value (data)"),
    ("blame-by-hand", changed("blame-by-hand", L=0), "node L", "is the output"),
    ("blame-by-hand", changed("blame-by-hand", e=-1), "node e", "adds the local derivative"),
    ("blame-of-a-neuron", changed("blame-of-a-neuron", n=0.75), "node n", "1 - n²"),
    (
        "blame-of-a-neuron",
        changed("blame-of-a-neuron", x=-0.5),
        "node x",
        "local derivative on the edge from x",
    ),
    (
        "blame-of-a-neuron",
        changed("blame-of-a-neuron", w=-0.5 * TANH_SLOPE),
        "node w",
        "the blame of x",
    ),
    ("blame-of-reuse", changed("blame-of-reuse", a=6), "node a", "through s alone"),
    ("blame-of-reuse", changed("blame-of-reuse", a=4), "node a", "one edge of s"),
    ("blame-of-reuse", changed("blame-of-reuse", a=1), "node a", "one path only, through t"),
    (
        "blame-of-a-diamond",
        changed("blame-of-a-diamond", x=-6),
        "node x",
        "one path only, through u",
    ),
    (
        "blame-of-a-diamond",
        changed("blame-of-a-diamond", x=-2),
        "node x",
        "one path only, through v",
    ),
    (
        "blame-of-a-diamond",
        changed("blame-of-a-diamond", y=-6),
        "node y",
        "one path only, through u",
    ),
    ("blame-of-a-diamond", changed("blame-of-a-diamond", u=1), "node u", "the blame of v"),
    ("power-rule", 64, "edge x → **4", "drop by one"),
    ("power-rule", 24, "edge x → **4", "the old power"),
    ("power-rule", 16, "edge x → **4", "not its slope"),
    ("power-rule", 8, "edge x → **4", "without the factor 4"),
    ("write-backward", OverwritesBlame, "graph out = x * x: x.grad", "+="),
    ("write-backward", ForgetsTheSeed, "graph out = a * b: out.grad", "self.grad = 1.0"),
    (
        "write-backward",
        RecursiveBackward,
        "graph out = (a*b + a + b) * (a*b): a.grad",
        "too much blame",
    ),
    (
        "write-backward",
        BreadthFirst,
        "graph out = (a*b + a + b) * (a*b): a.grad",
        "reverse topological order",
    ),
    ("write-backward", ChildrenInASet, "graph out = x * x: x.grad", "one path only"),
    ("write-backward", SwappedProduct, "graph out = a * b: a.grad", "Check __mul__"),
    ("write-backward", NotWrittenYet, "graph out = a * b: out.grad", "self.grad = 1.0"),
    ("write-backward", NoBackward, "graph out = a * b", "raised this"),
    ("one-nudge", changed("one-nudge", w=1.05), "new w", "against the blame"),
    ("one-nudge", changed("one-nudge", w=-1.7), "new w", "forgets the learning rate"),
    ("one-nudge", changed("one-nudge", b=-0.1), "new b", "the nudge itself"),
    ("one-nudge", changed("one-nudge", w=0.8), "new w", "before the nudge"),
    (
        "nudges-on-a-parabola",
        changed("nudges-on-a-parabola", **{"step 1": -1.5}),
        "w after step 1",
        "uphill",
    ),
    (
        "nudges-on-a-parabola",
        changed("nudges-on-a-parabola", **{"step 1": 6}),
        "w after step 1",
        "learning rate",
    ),
    (
        "nudges-on-a-parabola",
        changed("nudges-on-a-parabola", **{"step 2": 3.0}),
        "w after step 2",
        "reuses the blame of step 1",
    ),
    ("blame-through-relu", changed("blame-through-relu", w2=-6), "node w2", "switched off"),
    ("blame-through-relu", changed("blame-through-relu", b2=-3), "node b2", "switched off"),
    ("blame-through-relu", changed("blame-through-relu", c=-1), "node c", "the 2"),
    ("blame-through-relu", changed("blame-through-relu", v2=-3), "node v2", "the blame of h2"),
    ("network-nudge", changed("network-nudge", c=0.8), "new c", "with the blame"),
    ("network-nudge", changed("network-nudge", w1=8.5), "new w1", "learning rate"),
    ("network-nudge", changed("network-nudge", b2=1.3), "new b2", "does not move"),
    ("hinge-blame", changed("hinge-blame", A=-1), "blame on score A", "past the margin"),
    ("hinge-blame", changed("hinge-blame", B=1), "blame on score B", "the blame is -y"),
    ("hinge-blame", changed("hinge-blame", C=-1), "blame on score C", "the blame is -y"),
    ("hinge-blame", changed("hinge-blame", B=0.6), "blame on score B", "the loss, not"),
    ("central-difference", forward_difference, "f(x) = x³ at x = 2", "one-sided"),
    ("central-difference", divides_by_h, "f(x) = sin(x) at x = 1", "divide by 2h, not h"),
    ("central-difference", lower_point_first, "f(x) = exp(x) at x = 0.5", "sign is flipped"),
    ("central-difference", tiny_step, "f(x) = x³ at x = 2", "rounding errors"),
    ("central-difference", forgets_to_return, "f(x) = x³ at x = 2", "Return the slope"),
    ("central-difference", raises, "f(x) = x³ at x = 2", "raised this"),
    ("nudge-every-knob", one_sided_gradient, "knob w1", "one-sided"),
    ("nudge-every-knob", one_sided_gradient, "forward passes (calls of f)", "2 forward passes"),
    ("nudge-every-knob", never_puts_knobs_back, "knob w2", "put each knob back"),
    ("nudge-every-knob", never_puts_knobs_back, "the knobs after the call", "restore"),
    ("nudge-every-knob", gradient_over_h, "knob b", "divide by 2h"),
    ("vanishing-blame", changed("vanishing-blame", x=0.0), "node x", "x(1 - x), the input"),
    (
        "vanishing-blame",
        changed("vanishing-blame", s2=S2 * (1 - S2)),
        "node s2",
        "s2(1 - s2), the input",
    ),
    (
        "vanishing-blame",
        changed("vanishing-blame", s1=S3 * (1 - S3) + S2 * (1 - S2)),
        "node s1",
        "multiply them instead",
    ),
]


# ----------------------------------------------------------------------
# The catalogue
# ----------------------------------------------------------------------


def test_there_are_at_least_twelve_exercises_and_every_lesson_has_some():
    assert len(exercises.EXERCISES) >= 12
    for lesson in range(1, 9):
        assert exercises.for_lesson(lesson), f"lesson {lesson} has no exercise"


def test_every_exercise_has_a_reference_solution_and_three_wrong_answers():
    assert set(SOLUTIONS) == set(exercises.EXERCISES)
    for exercise_id in exercises.EXERCISES:
        wrong = [row for row in WRONG_ANSWERS if row[0] == exercise_id]
        assert len(wrong) >= 3, f"{exercise_id} has {len(wrong)} wrong answers in the tests"


def test_an_unknown_exercise_is_a_key_error_that_suggests_the_nearest():
    with pytest.raises(KeyError, match="Did you mean 'blame-by-hand'"):
        exercises.check("blame-by-han", {})


# ----------------------------------------------------------------------
# Right answers pass
# ----------------------------------------------------------------------


@pytest.mark.parametrize("exercise_id", list(SOLUTIONS))
def test_the_reference_solution_passes(exercise_id):
    feedback = exercises.check(exercise_id, SOLUTIONS[exercise_id])
    assert feedback.assert_passed() is feedback
    assert feedback.passed and not feedback.wrong
    assert str(feedback).startswith("✓")
    assert "right" in str(feedback)


@pytest.mark.parametrize(
    "exercise_id", [i for i, e in exercises.EXERCISES.items() if isinstance(e, NumbersExercise)]
)
def test_answers_rounded_to_three_significant_digits_pass(exercise_id):
    answer = SOLUTIONS[exercise_id]
    if isinstance(answer, dict):
        rounded = {key: float(f"{value:.3g}") for key, value in answer.items()}
    else:
        rounded = float(f"{answer:.3g}")
    exercises.check(exercise_id, rounded).assert_passed()


def test_a_single_number_answer_may_also_be_a_dict():
    exercises.check("power-rule", {"x": 32}).assert_passed()


# ----------------------------------------------------------------------
# Wrong answers are rejected, naming the node or edge, with a hint
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exercise_id", "answer", "name", "hint"),
    WRONG_ANSWERS,
    ids=[f"{row[0]}:{row[2]}:{row[3][:20]}" for row in WRONG_ANSWERS],
)
def test_a_typical_wrong_answer_is_rejected_with_the_right_name_and_hint(
    exercise_id, answer, name, hint
):
    feedback = exercises.check(exercise_id, answer)
    assert not feedback.passed
    wrong_names = [item.name for item in feedback.wrong]
    assert name in wrong_names, f"{name!r} not among the wrong items {wrong_names}:\n{feedback}"
    item = feedback.item(name)
    assert hint in item.hint, f"hint for {name!r} lacks {hint!r}:\n{feedback}"
    text = str(feedback)
    assert f"✗ {name}: expected {item.expected}, you gave {item.given}." in text
    assert item.expected and item.given
    with pytest.raises(ExerciseFailed, match=re.escape(name)):
        feedback.assert_passed()


def test_only_the_wrong_node_is_marked_wrong():
    feedback = exercises.check("blame-by-hand", changed("blame-by-hand", a=-3))
    assert [item.name for item in feedback.wrong] == ["node a"]
    assert feedback.item("node a").expected == "6"
    assert feedback.item("node a").given == "-3"
    assert feedback.item("node b").correct
    assert "1 of 7 need another look" in feedback.headline()


def test_a_flipped_sign_says_so():
    feedback = exercises.check("blame-by-hand", changed("blame-by-hand", b=4))
    assert "sign is flipped" in feedback.item("node b").hint


def test_an_answer_that_is_no_typical_mistake_gets_the_rule():
    feedback = exercises.check("blame-of-a-diamond", changed("blame-of-a-diamond", x=123))
    hint = feedback.item("node x").hint
    assert hint.startswith("Chain rule: blame(x) = ")
    assert "blame(u)" in hint and "blame(v)" in hint


def test_the_write_backward_feedback_names_the_first_wrong_node_nearest_the_output():
    feedback = exercises.check("write-backward", ForgetsTheSeed)
    names = [item.name for item in feedback.wrong]
    assert all(name.endswith("out.grad") for name in names)
    assert len(names) == len(exercises.EXERCISES["write-backward"].graphs)
    assert "more nodes of this graph are wrong too" in feedback.wrong[0].hint


# ----------------------------------------------------------------------
# The placeholder and answers of the wrong kind: feedback, never an error
# ----------------------------------------------------------------------


@pytest.mark.parametrize("exercise_id", list(exercises.EXERCISES))
def test_the_placeholder_none_gets_feedback_not_an_error(exercise_id):
    feedback = exercises.check(exercise_id, None)
    assert isinstance(feedback, Feedback)
    assert not feedback.passed
    assert "Replace None" in str(feedback)
    assert "not answered yet" in feedback.headline()
    assert "Replace None" in feedback._repr_html_()


@pytest.mark.parametrize(
    ("answer", "given", "hint"),
    [
        ({"a": "-2", "b": 3}, "'-2'", "without quotes"),
        ({"a": Value(-2.0), "b": 3}, "Value(", "plain number"),
        ({"a": True, "b": 3}, "True", "not a number"),
        ({"a": float("nan"), "b": 3}, "nan", "not a finite number"),
        ({"a": [1], "b": 3}, "a list", "plain number"),
        ({"a": None, "b": 3}, "None", "in place of None"),
        ({"b": 3}, "nothing", "Add 'a'"),
    ],
)
def test_an_answer_that_is_not_a_number_is_explained(answer, given, hint):
    item = exercises.check("local-derivatives-mul", answer).item("edge a → *")
    assert not item.correct
    assert given in item.given and hint in item.hint


def test_unknown_names_in_an_answer_are_pointed_out_with_the_nearest():
    feedback = exercises.check("blame-by-hand", changed("blame-by-hand", l=1))
    assert "Not part of this exercise: 'l' (did you mean 'L'?)" in str(feedback)


def test_a_dict_is_asked_for_when_there_are_several_numbers():
    feedback = exercises.check("one-nudge", 0.55)
    assert not feedback.passed
    assert "should be a dict of numbers, like {'w': ..., 'b': ...}" in str(feedback)


@pytest.mark.parametrize(
    "exercise_id", ["write-backward", "central-difference", "nudge-every-knob"]
)
def test_code_exercises_explain_an_answer_that_is_not_code(exercise_id):
    feedback = exercises.check(exercise_id, 42)
    assert not feedback.passed
    assert "got int 42" in str(feedback)


def test_a_learner_function_that_returns_the_wrong_shape_is_explained():
    feedback = exercises.check("nudge-every-knob", lambda f, knobs: 0.5)
    assert "Return one slope per knob" in feedback.item("your function").hint


def test_a_checked_answer_leaves_the_learner_objects_alone():
    answer = dict(SOLUTIONS["blame-by-hand"])
    exercises.check("blame-by-hand", answer)
    assert answer == SOLUTIONS["blame-by-hand"]


# ----------------------------------------------------------------------
# Names are the drawing's; the question does not give the answer away
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "exercise_id", [i for i, e in exercises.EXERCISES.items() if isinstance(e, BlameExercise)]
)
def test_every_node_named_in_blame_feedback_is_a_label_in_the_drawing(exercise_id):
    exercise = exercises.EXERCISES[exercise_id]
    source = exercise.draw().source
    assert "blame not computed yet" in source  # the drawing does not show the answers
    feedback = exercises.check(exercise_id, {})
    for item in feedback.items:
        label = item.name.removeprefix("node ")
        assert f"<b>{label}</b>" in source, f"{label!r} is not drawn"


@pytest.mark.parametrize(
    "exercise_id",
    [i for i, e in exercises.EXERCISES.items() if isinstance(e, LocalDerivativeExercise)],
)
def test_every_edge_named_in_local_derivative_feedback_is_in_the_drawing(exercise_id):
    from microgradx.graph import draw_dot

    exercise = exercises.EXERCISES[exercise_id]
    source = draw_dot(exercise.build()).source
    for item in exercises.check(exercise_id, {}).items:
        child, op = item.name.removeprefix("edge ").split(" → ")
        assert f"<b>{child}</b>" in source
        assert f"label=<{op}>" in source


def test_blame_slots_follow_the_graph_from_the_output_down():
    keys = [slot.key for slot in exercises.EXERCISES["blame-by-hand"].slots()]
    assert keys[0] == "L"
    assert keys.index("d") < keys.index("e") < keys.index("a")


def test_every_typical_mistake_is_rejected_with_a_hint_unless_it_is_the_right_number():
    """Each listed mistake, given as the answer, is called wrong with a mistake's hint; a
    mistake that happens to equal the right number here (blame 1 from above) counts as right."""
    rejected = 0
    for exercise in exercises.EXERCISES.values():
        if not isinstance(exercise, NumbersExercise):
            continue
        for slot in exercise.slots():
            hints = [mistake.hint for mistake in slot.mistakes]
            for mistake in slot.mistakes:
                item = slot.judge(mistake.value)
                if is_close(mistake.value, slot.expected):
                    assert item.correct
                else:
                    assert not item.correct and item.hint in hints, (exercise.id, slot.key)
                    rejected += 1
    assert rejected > 100


# ----------------------------------------------------------------------
# How feedback and exercises show themselves
# ----------------------------------------------------------------------


def test_feedback_html_marks_each_item_and_escapes_text():
    feedback = exercises.check("blame-of-reuse", {"t": 1, "s": 1, "a": "<b>"})
    page = feedback._repr_html_()
    assert "&lt;b&gt;" in page and "<b>node a</b>" in page
    assert page.count("✓") == 2 and page.count("✗") == 2  # two right rows; headline + one row
    assert "#b42318" in page  # red for a wrong answer


def test_right_feedback_is_green_and_says_well_done():
    feedback = exercises.check("power-rule", 32)
    assert "Well done" in str(feedback)
    assert "#1a7f37" in feedback._repr_html_()


def test_an_exercise_shows_its_question_template_and_how_to_check():
    exercise = exercises.show("blame-by-hand")
    text = repr(exercise)
    assert "Blame by hand" in text
    assert "{'L': ..., 'd': ..., 'e': ..., 'a': ..., 'b': ..., 'c': ..., 'f': ...}" in text
    assert "exercises.check('blame-by-hand', answer)" in text
    page = exercise._repr_html_()
    assert "<svg" in page  # the graph is drawn inline
    assert "exercises.check(&#x27;blame-by-hand&#x27;, answer)" in page


def test_an_exercise_without_a_renderer_shows_a_note_instead_of_the_drawing(monkeypatch):
    monkeypatch.setenv("MICROGRADX_DOT", "/nonexistent/dot")
    page = exercises.show("blame-of-a-diamond")._repr_html_()
    assert "<svg" not in page
    assert "cannot be drawn here" in page


def test_the_write_backward_test_graphs_can_be_drawn_by_name():
    exercise = exercises.EXERCISES["write-backward"]
    source = exercise.draw("out = x * x").source
    assert source.count("-> v1_op") == 2  # x enters '*' twice
    with pytest.raises(KeyError, match="no test graph"):
        exercise.draw("nope")


def test_an_error_in_the_learners_class_is_reported_once_with_its_message():
    feedback = exercises.check("write-backward", NoBackward)
    assert len(feedback.items) == 1
    assert "AttributeError: 'NoBackward' object has no attribute 'backward'" in str(feedback)
    assert "The same error came up in 4 more test graphs." in str(feedback)
