"""Feedback on a learner's answer: what is right, what is not, and a hint for each.

A checker in ``microgradx.exercises`` returns a ``Feedback``. It never raises on a
wrong answer, so a notebook cell just shows it: as coloured HTML in Jupyter, as
plain text in a terminal (``print(feedback)``). Each ``Item`` is one thing that
was checked, named as the learner sees it in the drawing (a node ``a``, the edge
from ``a`` into ``*``), with the expected and the given number and, when wrong, a
hint. ``feedback.passed`` is True when every item is right; in a test,
``feedback.assert_passed()`` raises ``ExerciseFailed`` (an ``AssertionError``)
with the whole text when it is not.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

__all__ = ["ExerciseFailed", "Feedback", "Item"]

RIGHT_MARK = "✓"
WRONG_MARK = "✗"


class ExerciseFailed(AssertionError):
    """Raised by ``Feedback.assert_passed()`` when an answer is not (all) right."""


@dataclass(frozen=True)
class Item:
    """One checked part of an answer: a node's blame, an edge's local derivative, ...

    ``name`` is what the learner sees (``node a``, ``edge a → *``); ``expected``
    and ``given`` are shown as written (numbers already formatted); ``hint`` says
    why the given answer is wrong and how to find the right one (empty when right).
    """

    name: str
    correct: bool
    expected: str
    given: str
    hint: str = ""

    def as_text(self) -> str:
        mark = RIGHT_MARK if self.correct else WRONG_MARK
        if self.correct:
            return f"  {mark} {self.name}: {self.given}, right."
        line = f"  {mark} {self.name}: expected {self.expected}, you gave {self.given}."
        if self.hint:
            line += f"\n      {self.hint}"
        return line


@dataclass(frozen=True)
class Feedback:
    """What a checker found: a headline, one ``Item`` per checked part, and notes.

    ``passed`` is True only when there are items and every one is correct.
    """

    exercise: str
    """The exercise's id, as in ``exercises.check(id, answer)``."""
    title: str
    items: tuple[Item, ...]
    notes: tuple[str, ...] = field(default=())
    """Sentences shown under the items: a general hint, or what to try next."""

    @property
    def passed(self) -> bool:
        return bool(self.items) and all(item.correct for item in self.items)

    @property
    def wrong(self) -> tuple[Item, ...]:
        """The items that are not right, in the order they were checked."""
        return tuple(item for item in self.items if not item.correct)

    def item(self, name: str) -> Item:
        """The item called ``name`` (``KeyError`` if there is none)."""
        for item in self.items:
            if item.name == name:
                return item
        raise KeyError(f"no item {name!r}; the items are {[i.name for i in self.items]}")

    def headline(self) -> str:
        if self.passed and len(self.items) == 1:
            return f"{RIGHT_MARK} {self.title}: right. Well done!"
        if self.passed:
            return f"{RIGHT_MARK} {self.title}: all {len(self.items)} right. Well done!"
        if not self.items:
            return f"{WRONG_MARK} {self.title}: not answered yet."
        if len(self.items) == 1:
            return f"{WRONG_MARK} {self.title}: not right yet."
        return (
            f"{WRONG_MARK} {self.title}: {len(self.wrong)} of {len(self.items)} need another look."
        )

    def __str__(self) -> str:
        lines = [self.headline(), *(item.as_text() for item in self.items)]
        lines.extend(f"  {note}" for note in self.notes)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def assert_passed(self) -> Feedback:
        """Return self if every item is right; else raise ``ExerciseFailed`` with the text."""
        if not self.passed:
            raise ExerciseFailed(str(self))
        return self

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.passed else "#b42318"
        rows = "".join(_item_row(item) for item in self.items)
        table = (
            '<table style="border-collapse:collapse;margin:4px 0">'
            f"<tr><th></th><th style='{_HEADER}'>what</th><th style='{_HEADER}'>you gave</th>"
            f"<th style='{_HEADER}'>expected</th><th style='{_HEADER}'>hint</th></tr>"
            f"{rows}</table>"
            if self.items
            else ""
        )
        notes = "".join(f"<p style='margin:4px 0'>{html.escape(note)}</p>" for note in self.notes)
        return (
            f'<div class="microgradx-feedback" style="border-left:4px solid {colour};'
            'padding:4px 10px;font-family:sans-serif">'
            f"<p style='margin:4px 0;color:{colour};font-weight:bold'>"
            f"{html.escape(self.headline())}</p>{table}{notes}</div>"
        )


_HEADER = "text-align:left;padding:2px 8px;white-space:nowrap"


def _item_row(item: Item) -> str:
    mark, colour = (RIGHT_MARK, "#1a7f37") if item.correct else (WRONG_MARK, "#b42318")
    cell = "padding:2px 8px;vertical-align:top"
    number = f"{cell};white-space:nowrap"
    expected = "" if item.correct else html.escape(item.expected)
    return (
        f"<tr><td style='{cell};color:{colour};font-weight:bold'>{mark}</td>"
        f"<td style='{number}'><b>{html.escape(item.name)}</b></td>"
        f"<td style='{number}'>{html.escape(item.given)}</td>"
        f"<td style='{number}'>{expected}</td>"
        f"<td style='{cell}'>{html.escape(item.hint)}</td></tr>"
    )
