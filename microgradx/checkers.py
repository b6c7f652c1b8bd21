"""The kinds of exercise, and how each one checks an answer and explains a mistake.

Every checker compares the learner's answer with what microgradx itself computes
(the forward pass, the local derivatives the ops record, ``backward()``), so an
exercise can never disagree with the engine it teaches. A wrong part of an
answer is matched against the **typical mistakes** for it (the sign of the
nudge, one path's blame instead of the sum of all paths, the local derivative
alone without the blame from above, the output used where the input belongs, ...)
and gets that mistake's hint; anything else gets the rule for that part.

* ``NumbersExercise``: a few named numbers (a guess and its error, a nudge).
* ``LocalDerivativeExercise``: the local derivative of one op for each input edge.
* ``BlameExercise``: the blame of every node of a small graph, found by hand.

The exercises whose answer is code (a hand-written ``backward()``, a central
difference) are checked in ``microgradx.code_checkers``.

Numbers count as right when ``|given - expected| <= 1e-4 + 5e-3 * |expected|``:
an answer read off a drawing (4 significant digits), or rounded to 3 significant
digits, is right.
"""

from __future__ import annotations

import difflib
import html
import math
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Real

from microgradx.engine import Value, topological_order
from microgradx.feedback import Feedback, Item
from microgradx.messages import quoted, shortened

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    Nodes = dict[str, Value]
    """The nodes of an exercise's graph, by label."""

__all__ = [
    "ABSOLUTE_TOLERANCE",
    "RELATIVE_TOLERANCE",
    "BlameExercise",
    "Exercise",
    "LocalDerivativeExercise",
    "Mistake",
    "NumbersExercise",
    "Slot",
]

ABSOLUTE_TOLERANCE = 1e-4
RELATIVE_TOLERANCE = 5e-3


def is_close(
    given: float,
    expected: float,
    atol: float = ABSOLUTE_TOLERANCE,
    rtol: float = RELATIVE_TOLERANCE,
) -> bool:
    """True when ``given`` is ``expected`` up to the rounding a learner may do."""
    return abs(given - expected) <= atol + rtol * abs(expected)


def number_text(x: float, digits: int = 6) -> str:
    """A number as a learner would write it: ``6``, ``-0.5``, ``0.786448``, ``1.2e-07``.

    ``digits`` significant digits at most (slopes measured by nudging use 10, so a
    small difference shows).
    """
    x = float(x) + 0.0  # -0.0 shows as 0
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.{digits}g}"


# ----------------------------------------------------------------------
# The base: an exercise has an id, a question, and a check
# ----------------------------------------------------------------------


class Exercise:
    """One exercise: ``show()`` it, then ``check(answer)`` returns a ``Feedback``."""

    placeholder_note = "Replace None with your answer, then run the cell again."

    def __init__(self, id: str, title: str, lesson: int, question: str) -> None:
        self.id = id
        self.title = title
        self.lesson = lesson
        self.question = question

    def check(self, answer: object) -> Feedback:
        """Compare ``answer`` with the right one; never raises on a wrong answer."""
        if answer is None:
            return self.feedback(
                (), self.placeholder_note, f"Your answer: {self.answer_template()}"
            )
        return self._check(answer)

    def _check(self, answer: object) -> Feedback:
        raise NotImplementedError

    def answer_template(self) -> str:
        """What an answer looks like, with ``...`` for the numbers."""
        raise NotImplementedError

    def feedback(self, items: Sequence[Item], *notes: str) -> Feedback:
        return Feedback(self.id, self.title, tuple(items), tuple(note for note in notes if note))

    def as_text(self) -> str:
        return (
            f"Exercise {self.id!r} (lesson {self.lesson}): {self.title}\n{self.question}\n"
            f"Answer: {self.answer_template()}\n"
            f"Check it: exercises.check({self.id!r}, answer)"
        )

    def __repr__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        paragraphs = "".join(
            f"<p style='margin:4px 0'>{html.escape(paragraph)}</p>"
            for paragraph in self.question.split("\n\n")
        )
        return (
            '<div class="microgradx-exercise" style="border-left:4px solid #1f6feb;'
            'padding:4px 10px;font-family:sans-serif">'
            f"<p style='margin:4px 0'><b>Exercise <code>{html.escape(self.id)}</code>: "
            f"{html.escape(self.title)}</b> (lesson {self.lesson})</p>{paragraphs}"
            f"{self._drawing_html()}"
            f"<p style='margin:4px 0'>Answer: <code>{html.escape(self.answer_template())}</code>"
            f"<br>Check it: <code>exercises.check({html.escape(repr(self.id))}, answer)</code>"
            "</p></div>"
        )

    def _drawing_html(self) -> str:
        return ""


# ----------------------------------------------------------------------
# Named numbers
# ----------------------------------------------------------------------


@dataclass(frozen=True)
class Mistake:
    """A typical wrong answer for one slot, and the hint that explains it."""

    value: float
    hint: str


@dataclass(frozen=True)
class Slot:
    """One number the learner is asked for.

    ``key`` is the name in the answer's dict; ``where`` is how feedback names it
    (``node a``, ``edge a → *``); ``rule`` is the hint for a wrong answer that is
    none of the typical ``mistakes``.
    """

    key: str
    where: str
    expected: float
    rule: str
    mistakes: tuple[Mistake, ...] = ()

    def judge(self, given: float) -> Item:
        if is_close(given, self.expected):
            return Item(self.where, True, number_text(self.expected), number_text(given))
        return Item(
            self.where, False, number_text(self.expected), number_text(given), self.hint_for(given)
        )

    def hint_for(self, given: float) -> str:
        for mistake in self.mistakes:
            if is_close(given, mistake.value) and not is_close(mistake.value, self.expected):
                return mistake.hint
        if not is_close(self.expected, 0.0) and is_close(given, -self.expected):
            return f"The size is right but the sign is flipped. {self.rule}"
        return self.rule


class NumbersExercise(Exercise):
    """A few named numbers, each with its typical mistakes.

    The answer is a dict from each slot's key to a number (or one bare number
    when there is one slot).
    """

    def __init__(
        self, id: str, title: str, lesson: int, question: str, slots: Callable[[], list[Slot]]
    ) -> None:
        super().__init__(id, title, lesson, question)
        self._make_slots = slots

    def slots(self) -> list[Slot]:
        """The slots, computed afresh (from the exercise's own graph, if any)."""
        return self._make_slots()

    def answer_template(self) -> str:
        keys = [slot.key for slot in self.slots()]
        if len(keys) == 1:
            return "a number"
        return "{" + ", ".join(f"{key!r}: ..." for key in keys) + "}"

    def _check(self, answer: object) -> Feedback:
        slots = self.slots()
        if len(slots) == 1 and not isinstance(answer, Mapping):
            answer = {slots[0].key: answer}
        if not isinstance(answer, Mapping):
            return self.feedback(
                (),
                f"The answer should be a dict of numbers, like {self.answer_template()}; "
                f"got {type(answer).__name__} {quoted(answer)}.",
            )
        items = []
        for slot in slots:
            if slot.key not in answer:
                items.append(
                    Item(
                        slot.where,
                        False,
                        number_text(slot.expected),
                        "nothing",
                        f"Add {slot.key!r}: ... to your answer.",
                    )
                )
                continue
            number, problem = as_number(answer[slot.key])
            if problem:
                items.append(
                    Item(slot.where, False, number_text(slot.expected), problem[0], problem[1])
                )
            else:
                items.append(slot.judge(number))
        return self.feedback(items, _unknown_keys_note(answer, [slot.key for slot in slots]))


def as_number(given: object) -> tuple[float, tuple[str, str] | None]:
    """``given`` as a float, or (what it is, a hint) when it is not a plain number."""
    if given is None:
        return 0.0, ("None", "Put a number in place of None.")
    if isinstance(given, bool):
        return 0.0, (repr(given), "That is True or False, not a number.")
    if isinstance(given, Value):
        return 0.0, (
            shortened(repr(given)),
            "That is a Value; give a plain number (its .data or its .grad).",
        )
    if isinstance(given, str):
        return 0.0, (quoted(given), "That is text; write the number without quotes.")
    if isinstance(given, Real):
        number = float(given)
        if math.isfinite(number):
            return number, None
        return 0.0, (repr(number), "That is not a finite number.")
    return 0.0, (f"a {type(given).__name__}", "Give a plain number (an int or a float).")


def _unknown_keys_note(answer: Mapping[Any, object], keys: Sequence[str]) -> str:
    unknown = [key for key in answer if key not in keys]
    if not unknown:
        return ""
    notes = []
    for key in unknown:
        same_letters = [name for name in keys if name.lower() == str(key).lower()]
        close = same_letters or difflib.get_close_matches(str(key), keys, n=1)
        notes.append(f"{quoted(key)} (did you mean {close[0]!r}?)" if close else quoted(key))
    return (
        f"Not part of this exercise: {', '.join(notes)}. The names are: "
        f"{', '.join(repr(key) for key in keys)}."
    )


# ----------------------------------------------------------------------
# Local derivatives of one op
# ----------------------------------------------------------------------


class LocalDerivativeExercise(NumbersExercise):
    """The local derivative of one op's result with respect to each of its inputs.

    ``build()`` returns the op's result, computed from labelled leaves. The slots
    are the edges of the drawing, ``edge a → *``; the expected numbers are the
    ``local_grads`` the op records. Typical mistakes are added for every edge:
    the other input's local derivative (swapped), the op's output, and the input's
    own value. ``mistakes`` adds more, by input label.
    """

    def __init__(
        self,
        id: str,
        title: str,
        lesson: int,
        question: str,
        build: Callable[[], Value],
        rules: Mapping[str, str],
        mistakes: Callable[[Nodes], dict[str, list[Mistake]]] | None = None,
    ) -> None:
        super().__init__(id, title, lesson, question, self._local_slots)
        self.build = build
        self.rules = rules
        self.extra_mistakes = mistakes

    def _local_slots(self) -> list[Slot]:
        out = self.build()
        nodes: Nodes = {child.label: child for child in out.children}
        nodes[out.label or "out"] = out
        extra = self.extra_mistakes(nodes) if self.extra_mistakes else {}
        slots = []
        for k, (child, local) in enumerate(zip(out.children, out.local_grads)):
            name = child.label
            mistakes = list(extra.get(name, []))
            for j, other in enumerate(out.local_grads):
                if j != k:
                    mistakes.append(
                        Mistake(
                            other,
                            f"That is the local derivative on the edge from "
                            f"{out.children[j].label}: the two are swapped. {self.rules[name]}",
                        )
                    )
            mistakes.append(
                Mistake(
                    out.data,
                    f"That is the op's result ({out.label or 'out'} = {number_text(out.data)}), "
                    f"not its slope. {self.rules[name]}",
                )
            )
            mistakes.append(
                Mistake(child.data, f"That is {name}'s own value, not a slope. {self.rules[name]}")
            )
            slots.append(
                Slot(name, f"edge {name} → {out.op}", local, self.rules[name], tuple(mistakes))
            )
        return slots


# ----------------------------------------------------------------------
# The blame of every node of a graph
# ----------------------------------------------------------------------


@dataclass(frozen=True)
class Use:
    """One edge out of a node: it feeds ``parent`` as input ``slot``, with ``local``."""

    parent: Value
    slot: int
    local: float


class BlameExercise(NumbersExercise):
    """The blame (d output / d node) of nodes of a small labelled graph, by hand.

    ``build()`` returns the output of a graph whose computed nodes all carry
    labels (leaves without a label are constants, drawn as their number). The
    expected blames come from ``backward()``. For every node, the typical mistakes
    are found from the graph itself: the local derivative on one edge alone
    (forgetting to multiply by the blame from above), the blame from one path
    only (forgetting that paths add up), the blame of the other input of the same
    op (swapped), and the node's value instead of its blame. ``mistakes`` adds
    more, by label, computed from the graph after ``backward()``. ``rankdir`` is the
    drawing's direction (``"TB"``, top to bottom, suits a wide graph).
    """

    def __init__(
        self,
        id: str,
        title: str,
        lesson: int,
        question: str,
        build: Callable[[], Value],
        asked: Sequence[str] | None = None,
        parameters: Sequence[str] = (),
        mistakes: Callable[[Nodes], dict[str, list[Mistake]]] | None = None,
        rankdir: str = "LR",
    ) -> None:
        super().__init__(id, title, lesson, question, self._blame_slots)
        self.build = build
        self.rankdir = rankdir
        self.asked = tuple(asked) if asked is not None else None
        self.parameters = tuple(parameters)
        self.extra_mistakes = mistakes

    def graph(self) -> tuple[Value, Nodes]:
        """A fresh copy of the graph, before ``backward()``: (output, nodes by label)."""
        root = self.build()
        order = topological_order(root)
        nodes: Nodes = {}
        for node in order:
            if node.children and not node.label:
                raise ValueError(f"exercise {self.id!r}: every computed node needs a label")
            if node.label:
                if node.label in nodes:
                    raise ValueError(
                        f"exercise {self.id!r}: the label {node.label!r} is used twice"
                    )
                nodes[node.label] = node
        return root, nodes

    def draw(self) -> Any:
        """The graph's drawing before backward: data and local derivatives, no blame."""
        from microgradx.graph import draw_dot

        root, nodes = self.graph()
        knobs = [nodes[name] for name in self.parameters]
        return draw_dot(root, rankdir=self.rankdir, parameters=knobs)

    def _drawing_html(self) -> str:
        return _drawing_or_note(self.draw)

    def _blame_slots(self) -> list[Slot]:
        root, nodes = self.graph()
        root.backward()
        uses = edges_out_of(root)
        extra = self.extra_mistakes(nodes) if self.extra_mistakes else {}
        order = [node.label for node in reversed(topological_order(root)) if node.label]
        asked = self.asked if self.asked is not None else tuple(order)
        slots = []
        for name in asked:
            node = nodes[name]
            mistakes = list(extra.get(name, []))
            if node is root:
                rule = (
                    f"{name} is the output: its blame for itself is d {name} / d {name} = 1. "
                    "Every backward pass starts there."
                )
            else:
                mistakes.extend(_typical_blame_mistakes(node, uses[node]))
                rule = _chain_rule_text(node, uses[node])
            slots.append(Slot(name, f"node {name}", node.grad, rule, tuple(mistakes)))
        return slots


def edges_out_of(root: Value) -> dict[Value, list[Use]]:
    """For every node, the edges out of it: which node it feeds, as which input, how."""
    uses: dict[Value, list[Use]] = {node: [] for node in topological_order(root)}
    for node in topological_order(root):
        for slot, (child, local) in enumerate(zip(node.children, node.local_grads)):
            uses[child].append(Use(node, slot, local))
    return uses


def _times(n: int) -> str:
    return "twice" if n == 2 else f"{n} times"


def _edge_name(node: Value, use: Use) -> str:
    return f"the edge from {node.label} into '{use.parent.op}' (which makes {use.parent.label})"


def _chain_rule_text(node: Value, uses: list[Use]) -> str:
    """blame(x) = local × blame(parent) + ..., with this graph's names and numbers."""
    terms = " + ".join(f"{bracketed_number(use.local)} × blame({use.parent.label})" for use in uses)
    return (
        f"Chain rule: blame({node.label}) = {terms}: for each edge out of {node.label}, "
        "its local derivative × the blame of the node it feeds."
    )


def bracketed_number(x: float) -> str:
    """A number to multiply with: ``2``, ``(-3)``."""
    text = number_text(x)
    return f"({text})" if text.startswith("-") else text


def _typical_blame_mistakes(node: Value, uses: list[Use]) -> list[Mistake]:
    rule = _chain_rule_text(node, uses)
    mistakes = []
    for use in uses:
        if len(uses) > 1:
            mistakes.append(
                Mistake(
                    use.local * use.parent.grad,
                    f"That is the blame from one path only, through {use.parent.label}. "
                    f"{node.label} is used {_times(len(uses))}, and the blame from every path "
                    f"adds up. {rule}",
                )
            )
        mistakes.append(
            Mistake(
                use.local,
                f"That is the local derivative on {_edge_name(node, use)} alone: multiply it "
                f"by the blame of {use.parent.label}. {rule}",
            )
        )
        if len(uses) == 1:
            mistakes.append(
                Mistake(
                    use.local + use.parent.grad,
                    f"That adds the local derivative to the blame of {use.parent.label}: "
                    f"multiply them instead. {rule}",
                )
            )
        for sibling_slot, sibling in enumerate(use.parent.children):
            swapped = use.parent.local_grads[sibling_slot] != use.local
            if sibling_slot != use.slot and sibling is not node and sibling.label and swapped:
                mistakes.append(
                    Mistake(
                        use.parent.local_grads[sibling_slot] * use.parent.grad,
                        f"That is the blame of {sibling.label}, the other input of "
                        f"'{use.parent.op}': swapped? {rule}",
                    )
                )
    mistakes.append(
        Mistake(
            node.data,
            f"That is {node.label}'s value (data), not its blame. {rule}",
        )
    )
    return mistakes


def _drawing_or_note(draw: Callable[[], Any]) -> str:
    """The SVG of a drawing for HTML, or a note saying why it cannot be drawn."""
    from microgradx.render import RendererNotFoundError, RenderError, render_dot

    try:
        svg = render_dot(draw().source, "svg").decode("utf-8")
    except (RendererNotFoundError, RenderError) as error:
        return f"<pre>(The graph cannot be drawn here: {html.escape(str(error))})</pre>"
    svg = svg[svg.index("<svg") :]
    return f'<div style="max-width:100%;overflow-x:auto">{svg}</div>'  # wide: it scrolls
