"""Losses: one number that says how wrong the guesses are.

Training makes this number small. Every loss here is built from the engine's
ops, so ``loss.backward()`` hands blame back through it like through any other
part of the graph, and each local derivative is the engine's own.

Losses over several examples take their **mean**, so the size of a good
learning rate does not depend on how many examples there are. A loss of a
single example may be given plain values instead of lists.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

from microgradx import ops
from microgradx.engine import Value, dot, sum_values
from microgradx.messages import quoted

TYPE_CHECKING = False  # the typing module is slow to import; type checkers read this block
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Union

    from microgradx.nn import Module

    Operand = Union[Value, int, float]

__all__ = [
    "binary_cross_entropy_with_logits",
    "hinge",
    "l2_penalty",
    "logsumexp",
    "mse",
    "softmax",
    "softmax_cross_entropy",
]


def mse(predictions: Operand | Sequence[Operand], targets: Operand | Sequence[Operand]) -> Value:
    """Mean squared error.

    L = (1/n) * sum_i (p_i - t_i)^2,   dL/dp_i = 2 (p_i - t_i) / n

    A guess $80,000 too low costs as much as one $80,000 too high, and a big
    miss costs far more than a small one.
    """
    guesses = _operands(predictions, "mse", "predictions")
    truths = _operands(targets, "mse", "targets")
    _same_length(guesses, truths, "mse", "prediction", "target")
    return _mean([(p - t) ** 2 for p, t in zip(guesses, truths)])


def hinge(scores: Operand | Sequence[Operand], labels: float | Sequence[float]) -> Value:
    """Max-margin (hinge) loss for labels -1 and +1, as in micrograd's demo.

    L = (1/n) * sum_i max(0, 1 - y_i * s_i),
    dL/ds_i = -y_i / n while the margin y_i * s_i < 1, else 0.

    A score counts as right when it has the label's sign with a margin of at
    least 1; only scores short of that margin get any blame.
    """
    outputs = _operands(scores, "hinge", "scores")
    ys = _numbers(labels, "hinge", "labels")
    _same_length(outputs, ys, "hinge", "score", "label")
    for i, y in enumerate(ys, start=1):
        if y not in (-1.0, 1.0):
            raise ValueError(
                f"hinge labels must be -1 or +1, got {quoted(y)} at position {i}. "
                "For labels 0 and 1, use 2 * label - 1."
            )
    return _mean([(1 - y * s).relu() for s, y in zip(outputs, ys)])


def binary_cross_entropy_with_logits(
    logits: Operand | Sequence[Operand], targets: float | Sequence[float]
) -> Value:
    """Binary cross-entropy of raw scores (logits) z against targets y in [0, 1].

    With p = sigmoid(z), the probability the model gives to class 1:

    L = (1/n) * sum_i -[y_i log p_i + (1 - y_i) log(1 - p_i)]
      = (1/n) * sum_i [y_i softplus(-z_i) + (1 - y_i) softplus(z_i)],
    with softplus(z) = log(1 + e^z) = -log(1 - sigmoid(z)), and
    dL/dz_i = (sigmoid(z_i) - y_i) / n.

    The second form never takes log(0), never overflows, and keeps its relative
    precision for confident predictions: at logit 50 and label 1 the loss is
    softplus(-50) = 1.9e-22, where log(sigmoid(50)) rounds to 0. A label of 1 or
    0 takes one term only.
    """
    outputs = _operands(logits, "binary_cross_entropy_with_logits", "logits")
    ys = _numbers(targets, "binary_cross_entropy_with_logits", "targets")
    _same_length(outputs, ys, "binary_cross_entropy_with_logits", "logit", "target")
    for i, y in enumerate(ys, start=1):
        if not 0.0 <= y <= 1.0:
            raise ValueError(
                f"binary_cross_entropy_with_logits targets must be between 0 and 1 "
                f"(a class 0 or 1, or a probability), got {quoted(y)} at position {i}."
            )
    return _mean([_binary_cross_entropy(z, y) for z, y in zip(outputs, ys)])


def softmax_cross_entropy(
    logits: Sequence[Operand] | Sequence[Sequence[Operand]], targets: int | Sequence[int]
) -> Value:
    """Cross-entropy of raw class scores (logits) against the true class.

    For one example with scores z_1..z_k and true class y (counted from 0):

    L = -log softmax(z)_y = logsumexp(z) - z_y,   dL/dz_i = softmax(z)_i - [i == y]

    It is computed as (z_m - z_y) + log1p(sum over i != m of e^(z_i - z_m)), with m
    the largest score: no e^ overflows, and nothing large is subtracted from
    something nearly as large, so the loss is exact to the last bits even at
    logits like 1000 vs 990 (log1p(e^-10) = 4.5399e-05, not 1000.0000454 - 1000).

    Give one example as ``(scores, class_index)``, or several as
    ``(list of score lists, list of class indices)``: the loss is then the mean.
    """
    batch: Sequence[object]
    if isinstance(targets, Integral):
        batch, classes = [logits], [targets]
    else:
        batch = _examples(logits)
        classes = list(targets)  # type: ignore[arg-type]
        _same_length(batch, classes, "softmax_cross_entropy", "score list", "target")
    losses = []
    for i, (scores, target) in enumerate(zip(batch, classes), start=1):
        z = _operands(scores, "softmax_cross_entropy", f"scores of example {i}")
        _check_class_index(target, len(z), i)
        top = _largest(z)
        losses.append((z[top] - z[target]) + _log_of_one_plus_the_rest(z, top))
    return _mean(losses)


def l2_penalty(parameters: Iterable[Value] | Module, alpha: float) -> Value:
    """L2 regularisation: alpha * sum_j p_j^2,   d/dp_j = 2 * alpha * p_j.

    Added to a loss, it blames every knob in proportion to its size, so big
    weights shrink unless the data needs them. The sum of squares is one
    ``dot`` node: the dot product of the knobs with themselves. ``parameters``
    is a list of knobs (``model.parameters()``) or the model itself.
    """
    given: object = parameters
    if callable(getattr(given, "parameters", None)):
        given = given.parameters()  # type: ignore[attr-defined]
    if isinstance(given, Value):
        given = [given]
    if isinstance(given, (str, bytes)) or not hasattr(given, "__iter__"):
        raise TypeError(
            f"l2_penalty needs the model's parameters, got {type(given).__name__} "
            f"{quoted(given)}. Pass model.parameters() or the model itself."
        )
    knobs = list(given)
    for knob in knobs:
        if not isinstance(knob, Value):
            raise TypeError(
                f"l2_penalty needs the model's parameters (Values), got "
                f"{type(knob).__name__} {quoted(knob)}. Pass model.parameters()."
            )
    if not knobs:
        raise ValueError("l2_penalty got no parameters. Pass model.parameters().")
    strength = _finite(alpha)
    if strength is None or not strength >= 0:
        raise ValueError(
            f"l2_penalty alpha (the penalty's strength) must be a finite number >= 0, "
            f"got {quoted(alpha)}. Typical values are 1e-5 to 1e-2."
        )
    return strength * dot(knobs, knobs)


def logsumexp(values: Sequence[Operand]) -> Value:
    """log(e^v_1 + ... + e^v_n), without overflow.

    Computed as v_m + log1p(sum over i != m of e^(v_i - v_m)), with v_m the
    largest: every e^(v_i - v_m) is at most 1, and log1p stays precise when the
    others are small. d/dv_i = softmax(v)_i.
    """
    vs = _operands(values, "logsumexp", "values")
    top = _largest(vs)
    return vs[top] + _log_of_one_plus_the_rest(vs, top)


def softmax(values: Sequence[Operand]) -> list[Value]:
    """Scores turned into probabilities that add up to 1.

    p_i = e^v_i / sum_j e^v_j, computed with the largest score m subtracted
    first (e^(v_i - m) / sum_j e^(v_j - m), the same number, no overflow).
    dp_i/dv_j = p_i ([i == j] - p_j).
    """
    vs = _operands(values, "softmax", "values")
    m = max(v.data for v in vs)
    exps = [(v - m).exp() for v in vs]
    total = sum_values(exps)
    return [e / total for e in exps]


# ----------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------


def _binary_cross_entropy(z: Value, y: float) -> Value:
    """-[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))] = y softplus(-z) + (1 - y) softplus(z)."""
    if y == 1.0:
        return ops.softplus(-z)
    if y == 0.0:
        return ops.softplus(z)
    return y * ops.softplus(-z) + (1.0 - y) * ops.softplus(z)


def _largest(values: list[Value]) -> int:
    """The position of the largest value (the first, if several are equal)."""
    return max(range(len(values)), key=lambda i: values[i].data)


def _log_of_one_plus_the_rest(values: list[Value], top: int) -> Value | float:
    """log(sum_i e^(v_i - v_top)) = log1p(sum over i != top of e^(v_i - v_top)).

    The term for ``top`` itself is e^0 = 1, which log1p adds exactly. With a single
    value there is no rest, and the result is log(1) = 0.
    """
    rest = [(v - values[top]).exp() for i, v in enumerate(values) if i != top]
    return ops.log1p(sum_values(rest)) if rest else 0.0


def _mean(terms: list[Value]) -> Value:
    """(1/n) * (t_1 + ... + t_n); a single term is returned as it is."""
    if len(terms) == 1:
        return terms[0]
    return sum_values(terms) / len(terms)


def _is_sequence(x: object) -> bool:
    return hasattr(x, "__len__") and hasattr(x, "__getitem__") and not isinstance(x, (str, bytes))


def _finite(x: object) -> float | None:
    """``x`` as a float if it is a finite real number (not a bool), else None."""
    if isinstance(x, bool) or not isinstance(x, Real):
        return None
    try:
        number = float(x)
    except OverflowError:  # a whole number too large for a float
        return None
    return number if math.isfinite(number) else None


def _not_finite(loss: str, what: str, item: object, i: int) -> ValueError:
    return ValueError(
        f"{loss} {what} must be finite numbers, got {quoted(item)} at position {i}. "
        "nan or inf in the data usually means a missing or broken value: clean the data first."
    )


def _operands(x: object, loss: str, what: str) -> list[Value]:
    """A single value or a list of them, as a non-empty list of Values."""
    items = list(x) if _is_sequence(x) else [x]  # type: ignore[call-overload]
    if not items:
        raise ValueError(f"{loss} got no {what}: it needs at least one.")
    values = []
    for i, item in enumerate(items, start=1):
        if isinstance(item, Value):
            values.append(item)
        elif isinstance(item, Real) and not isinstance(item, bool):
            number = _finite(item)
            if number is None:
                raise _not_finite(loss, what, item, i)
            values.append(Value(number))
        else:
            raise TypeError(
                f"{loss} {what} must be numbers or Values, got {type(item).__name__} "
                f"{quoted(item)} at position {i}."
            )
    return values


def _numbers(x: object, loss: str, what: str) -> list[float]:
    """A single number or a list of them (labels are data, not Values), as finite floats."""
    items = list(x) if _is_sequence(x) else [x]  # type: ignore[call-overload]
    numbers = []
    for i, item in enumerate(items, start=1):
        if isinstance(item, bool) or not isinstance(item, Real):
            hint = " Use its number: value.data." if isinstance(item, Value) else ""
            raise TypeError(
                f"{loss} {what} must be plain numbers, got {type(item).__name__} "
                f"{quoted(item)} at position {i}.{hint}"
            )
        number = _finite(item)
        if number is None:
            raise _not_finite(loss, what, item, i)
        numbers.append(number)
    return numbers


def _same_length(
    first: Sequence[object], second: Sequence[object], loss: str, one: str, other: str
) -> None:
    if len(first) != len(second):
        raise ValueError(
            f"{loss} needs one {other} per {one}, got {len(first)} {one}s and "
            f"{len(second)} {other}s."
        )


def _examples(logits: object) -> list[Sequence[Operand]]:
    if not _is_sequence(logits) or not all(_is_sequence(row) for row in logits):  # type: ignore[attr-defined]
        raise TypeError(
            "softmax_cross_entropy with a list of targets needs a list of score lists "
            "(one list of class scores per example). For one example, pass a single "
            "class index: softmax_cross_entropy(scores, 2)."
        )
    return list(logits)  # type: ignore[call-overload, no-any-return]


def _check_class_index(target: object, n_classes: int, example: int) -> None:
    if isinstance(target, bool) or not isinstance(target, Integral):
        raise TypeError(
            f"softmax_cross_entropy targets are class indices (whole numbers from 0), "
            f"got {type(target).__name__} {quoted(target)} for example {example}."
        )
    if not 0 <= int(target) < n_classes:
        raise ValueError(
            f"softmax_cross_entropy target {target} for example {example} is not a class: "
            f"with {n_classes} scores, classes are 0 to {n_classes - 1}."
        )
