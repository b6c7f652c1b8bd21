"""How a node's op is written for a learner: its formula, its local derivatives, a note.

The texts themselves live in the op's entry of the table of primitives
(``microgradx.ops``: ``expression``, ``rules``, ``note``, ``said``, ``noun``). This
module turns a node's ``op`` into them for the player and the drawings:

* ``_expression(op, operands)``: how a node is computed, ``x1 * w1``, ``tanh(n)``,
  ``(guess - true price)²``; the same for names and for numbers;
* ``_local_rule(op, slot, inputs, out)``: the local derivative for one input as a
  formula, ``1 - o²``, ``2 × (guess - true price)``;
* ``_local_rule_note(op)``: the rule in one sentence;
* ``_op_name(op)``: the op in words, "a dot product";
* ``_op_word(op)``: a noun for the op's result, used to name unlabelled values.

A hand-made op (a plain string, not an ``ops.Op``) has no entry: it is written as a
call, ``cube(x)``, with no formula for its local derivatives.
"""

from __future__ import annotations

from microgradx.ops import Op, bracketed, has_operator, is_call

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "_bracketed",
    "_expression",
    "_has_operator",
    "_is_call",
    "_local_rule",
    "_local_rule_note",
    "_op_name",
    "_op_word",
]

_bracketed = bracketed
_has_operator = has_operator
_is_call = is_call


def _expression(op: str, operands: Sequence[str]) -> str:
    """How a node is computed, written out: ``x1 * w1``, ``tanh(n)``, ``a + b + c``."""
    if isinstance(op, Op):
        return op.primitive.expression_text(operands, op.parameters)
    return f"{op}({', '.join(operands)})"


def _local_rule(op: str, slot: int, inputs: Sequence[str], out: str) -> str | None:
    """The local derivative d out / d input as a formula, or None for a hand-made op.

    ``inputs`` name the inputs' numbers (``x``, ``(a + b)``, or a constant like
    ``2.0``) and ``out`` the result's, as a learner writes them.
    """
    if isinstance(op, Op):
        return op.primitive.rule_text(slot, inputs, out, op.parameters)
    return None


def _local_rule_note(op: str) -> str:
    """The op's rule in one sentence ("" for a hand-made op)."""
    return op.primitive.note_text(op.parameters) if isinstance(op, Op) else ""


def _op_name(op: str) -> str:
    """The op in words: ``'+'``, ``tanh``, ``the power 2``, ``a dot product``."""
    return op.primitive.spoken(op.parameters) if isinstance(op, Op) else op


def _op_word(op: str) -> str:
    """A short noun for what an op makes, to name a value that has no label: ``product``."""
    word = op.primitive.noun if isinstance(op, Op) else op
    return word if word.isidentifier() else "value"
