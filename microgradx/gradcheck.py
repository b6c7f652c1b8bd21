"""Gradient checking: does backpropagation agree with the definition of a derivative?

The backward pass gets every input's gradient from the local derivatives the ops
recorded. A wrong local derivative gives a wrong number, not an error, so we check
backprop (the *analytic* gradient) against a *numerical* one that needs nothing but
the forward pass: nudge one input a little up and a little down and see how much the
output moves. That is the **central difference**::

    df/dx  ~  (f(x + h) - f(x - h)) / (2h)

Why central: by Taylor's theorem

    f(x + h) = f(x) + h f'(x) + h^2/2 f''(x) + h^3/6 f'''(x) + ...
    f(x - h) = f(x) - h f'(x) + h^2/2 f''(x) - h^3/6 f'''(x) + ...

so in the difference the f'' terms cancel and the error is h^2/6 f'''(x) + ... =
O(h^2): ten times smaller h, a hundred times smaller error. The one-sided
(f(x + h) - f(x)) / h keeps the f'' term and is only O(h).

h cannot be tiny either: f is computed with rounding errors of about
eps_machine * |f| (eps_machine = 2.2e-16), and dividing by 2h magnifies them. The two
errors balance near h = eps_machine^(1/3), about 6e-6 of the input's size. We use
``h = eps * max(1, |x|)`` with ``eps = 1e-6``: relative to x for large inputs,
absolute near 0.

Example::

    >>> from microgradx.gradcheck import gradcheck
    >>> gradcheck(lambda x, y: x * y + x.tanh(), [2.0, -3.0])
    True
"""

from __future__ import annotations

import math
from numbers import Real

from microgradx.engine import Value, is_grad_enabled
from microgradx.messages import quoted

TYPE_CHECKING = False  # the typing module is slow to import; type checkers read this block
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Union

    Number = Union[int, float]
    Input = Union[Value, Number]
    """An input to check: a plain number, or a Value (its number and label are used)."""
    Inputs = Union[Input, Sequence[Input]]
    """One input, or a sequence of them (one per argument of f)."""

DEFAULT_EPS = 1e-6
"""Relative size of the nudge: h = eps * max(1, |x|)."""
DEFAULT_ATOL = 1e-5
"""Absolute tolerance: gradients closer than this to each other always agree."""
DEFAULT_RTOL = 1e-3
"""Relative tolerance, as a fraction of |numerical gradient|."""


class GradientMismatch:
    """One input whose analytic (backprop) and numerical gradients disagree."""

    __slots__ = ("analytic", "difference", "index", "label", "numerical", "tolerance")

    def __init__(
        self,
        index: int,
        label: str,
        analytic: float,
        numerical: float,
        difference: float,
        tolerance: float,
    ) -> None:
        self.index = index
        self.label = label
        self.analytic = analytic
        self.numerical = numerical
        self.difference = difference
        self.tolerance = tolerance

    def __repr__(self) -> str:
        return (
            f"GradientMismatch(index={self.index}, label={self.label!r}, "
            f"analytic={self.analytic!r}, numerical={self.numerical!r}, "
            f"difference={self.difference!r}, tolerance={self.tolerance!r})"
        )

    def describe(self) -> str:
        """One line of the report, in plain words."""
        return (
            f"{_input_name(self.index, self.label)}: analytic (backprop) {self.analytic!r}, "
            f"numerical {self.numerical!r}, difference {self.difference:.3g} "
            f"> tolerance {self.tolerance:.3g}"
        )


class GradcheckError(AssertionError):
    """Backprop and central differences disagree on at least one input's gradient.

    An ``AssertionError``, so a failing ``gradcheck`` reads like a failed assert in
    a test. ``mismatches`` holds one ``GradientMismatch`` per disagreeing input.
    """

    def __init__(self, message: str, mismatches: list[GradientMismatch]) -> None:
        super().__init__(message)
        self.mismatches = mismatches


def numerical_grad(
    f: Callable[..., Value], inputs: Inputs, eps: float = DEFAULT_EPS
) -> list[float]:
    """The gradient of ``f`` at ``inputs`` by central differences, one float per input.

    For input i with number x, and h = eps * max(1, |x|)::

        df/dx_i  ~  (f(..., x + h, ...) - f(..., x - h, ...)) / ((x + h) - (x - h))

    Dividing by the distance actually stepped, (x + h) - (x - h), instead of 2h
    absorbs the rounding of x + h and x - h. The error is h^2/6 * f'''(x) + O(h^4)
    from the Taylor series, plus about 2.2e-16 * |f| / h from rounding.

    ``f`` gets one fresh leaf Value per input (with the input's label, if it is a
    Value) and must return a Value. The graph is recorded as usual, so that ``f``
    may itself take a derivative (``grad(..., create_graph=True)``), which needs it.

    Raises ``ValueError`` if f cannot be evaluated at a nudged point (the nudge
    crossed the edge of f's domain, for example log near 0): use a smaller eps, or
    a point further from the edge.
    """
    _check_function(f)
    numbers, labels = _numbers_and_labels(inputs)
    return _central_differences(f, numbers, labels, eps)


def gradcheck(
    f: Callable[..., Value],
    inputs: Inputs,
    *,
    eps: float = DEFAULT_EPS,
    atol: float = DEFAULT_ATOL,
    rtol: float = DEFAULT_RTOL,
) -> bool:
    """Check that backprop through ``f`` gives the right gradient for every input.

    ``f`` takes one Value per input and returns a Value; ``inputs`` are numbers or
    Values (a single one is fine too). gradcheck calls f on fresh leaf Values
    (your own Values are never touched), runs ``backward()``, and compares each
    input's analytic gradient ``a`` with the numerical one ``n`` from
    ``numerical_grad(f, inputs, eps)``. They agree when::

        |a - n|  <=  atol + rtol * |n|

    Returns True if every input agrees. Otherwise raises ``GradcheckError`` (an
    ``AssertionError``) that lists each disagreeing input by index and label with
    the analytic value, the numerical value, their difference and the tolerance.

    At a kink (relu or abs at 0) the central difference averages the two one-sided
    slopes, so it cannot judge the chosen subgradient there: check kinks directly.

    Example::

        >>> gradcheck(lambda w, x: (w * x).tanh(), [0.5, -2.0])
        True
    """
    _check_function(f)
    numbers, labels = _numbers_and_labels(inputs)
    for name, tolerance in (("atol", atol), ("rtol", rtol)):
        if (
            isinstance(tolerance, bool)
            or not isinstance(tolerance, Real)
            or not 0.0 <= _as_float(tolerance) < math.inf
        ):
            raise ValueError(
                f"gradcheck {name} must be a finite number >= 0, got {quoted(tolerance)}."
            )
    atol, rtol = float(atol), float(rtol)
    if not is_grad_enabled():
        raise RuntimeError(
            "gradcheck needs backpropagation, but it was called inside no_grad(), "
            "where no graph is recorded. Call it outside the 'with no_grad():' block."
        )
    leaves = [Value(x, label) for x, label in zip(numbers, labels)]
    output = _as_output(f(*leaves), f)
    output.backward()
    analytic = [leaf.grad for leaf in leaves]
    numerical = _central_differences(f, numbers, labels, eps)

    mismatches = []
    for index, (a, n) in enumerate(zip(analytic, numerical)):
        difference = abs(a - n)
        tolerance = atol + rtol * abs(n)
        if not difference <= tolerance:  # written so that a nan difference fails
            mismatches.append(GradientMismatch(index, labels[index], a, n, difference, tolerance))
    if mismatches:
        raise GradcheckError(
            _report(f, numbers, mismatches, eps=eps, atol=atol, rtol=rtol), mismatches
        )
    return True


# ----------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------


def _central_differences(
    f: Callable[..., Value], numbers: list[float], labels: list[str], eps: float
) -> list[float]:
    """numerical_grad for inputs already split into numbers and labels."""
    eps = _check_positive_finite("eps", eps)
    gradient = []
    for index, x in enumerate(numbers):
        h = eps * max(1.0, abs(x))
        above, below = x + h, x - h
        if above == below:
            raise ValueError(
                f"eps = {eps:g} is too small for {_input_name(index, labels[index])} = {x!r}: "
                f"the step h = {h:g} is lost in rounding (x + h == x - h). Use a larger eps."
            )
        f_above = _output_at(f, numbers, labels, index, above, h)
        f_below = _output_at(f, numbers, labels, index, below, h)
        gradient.append((f_above - f_below) / (above - below))
    return gradient


def _numbers_and_labels(inputs: Inputs) -> tuple[list[float], list[str]]:
    """The inputs' numbers as floats and their labels ("" for plain numbers)."""
    if isinstance(inputs, (Value, Real)):
        inputs = [inputs]
    if isinstance(inputs, (str, bytes)) or not hasattr(inputs, "__iter__"):
        raise TypeError(
            "inputs must be a number, a Value, or a list of them (one per argument of f), "
            f"got {type(inputs).__name__} {quoted(inputs)}. For example: "
            "gradcheck(f, [0.5, -2.0])."
        )
    numbers: list[float] = []
    labels: list[str] = []
    for index, item in enumerate(inputs):  # type: ignore[arg-type]
        if isinstance(item, Value):
            numbers.append(item.data)
            labels.append(item.label)
        elif isinstance(item, Real) and not isinstance(item, bool):
            number = _as_float(item)
            if not math.isfinite(number):
                raise ValueError(
                    f"{_input_name(index, '')} is {quoted(item)}: gradients need finite numbers."
                )
            numbers.append(number)
            labels.append("")
        else:
            raise TypeError(
                f"{_input_name(index, '')} must be a number or a Value, "
                f"got {type(item).__name__} ({quoted(item)})."
            )
    return numbers, labels


def _as_float(x: Real) -> float:
    """``float(x)``, with a whole number too large for a float given as inf."""
    try:
        return float(x)
    except OverflowError:
        return math.inf if int(x) > 0 else -math.inf  # type: ignore[call-overload]


def _check_function(f: object) -> None:
    if not callable(f):
        raise TypeError(
            f"f must be a function that takes one Value per input and returns a Value, got "
            f"{type(f).__name__} {quoted(f)}. For example: gradcheck(lambda x: x.tanh(), [0.5])."
        )


def _check_positive_finite(name: str, number: object) -> float:
    if isinstance(number, bool) or not isinstance(number, Real):
        value = math.nan
    else:
        value = _as_float(number)
    if not 0.0 < value < math.inf:
        raise ValueError(f"{name} must be a positive finite number, got {quoted(number)}.")
    return value


def _output_at(
    f: Callable[..., Value],
    numbers: list[float],
    labels: list[str],
    index: int,
    nudged: float,
    h: float,
) -> float:
    """f's output number with input ``index`` moved to ``nudged``, the others unchanged."""
    leaves = [Value(x, label) for x, label in zip(numbers, labels)]
    leaves[index] = Value(nudged, labels[index])
    try:
        output = f(*leaves)
    except (ArithmeticError, ValueError) as error:
        raise ValueError(
            f"numerical_grad could not evaluate f with {_input_name(index, labels[index])} "
            f"nudged from {numbers[index]!r} to {nudged!r} (step h = {h:.3g}): "
            f"{type(error).__name__}: {error} The nudge crossed the edge of f's "
            "domain. Use a smaller eps, or a point further from the edge."
        ) from error
    return _as_output(output, f).data


def _as_output(output: object, f: Callable[..., Value]) -> Value:
    if not isinstance(output, Value):
        raise TypeError(
            f"f ({_function_name(f)}) must return a Value, got {type(output).__name__} "
            f"({quoted(output)}). Build the result from the Values f receives, for example "
            "'return x * y', not 'return x.data * y.data'."
        )
    return output


def _input_name(index: int, label: str) -> str:
    return f"input {index} {quoted(label)}" if label else f"input {index}"


def _function_name(f: Callable[..., Value]) -> str:
    return getattr(f, "__qualname__", None) or repr(f)


def _report(
    f: Callable[..., Value],
    numbers: list[float],
    mismatches: list[GradientMismatch],
    *,
    eps: float,
    atol: float,
    rtol: float,
) -> str:
    """The GradcheckError message: what disagrees, by how much, and what to suspect."""
    lines = [
        f"gradcheck failed for f ({_function_name(f)}) at inputs {quoted(tuple(numbers))}: "
        f"backprop and central differences disagree on {len(mismatches)} of "
        f"{len(numbers)} gradients.",
        *(f"  {mismatch.describe()}" for mismatch in mismatches),
        f"tolerance = atol + rtol * |numerical| with atol = {atol:g}, rtol = {rtol:g}; "
        f"numerical = (f(x + h) - f(x - h)) / 2h with h = eps * max(1, |x|), eps = {eps:g}.",
        "The analytic gradient comes from the local derivatives of the ops in f: "
        "a wrong local derivative is the usual cause. Near a kink (relu, abs at 0) or "
        "a pole, the numerical gradient itself is unreliable.",
    ]
    return "\n".join(lines)
