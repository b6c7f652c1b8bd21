"""Every op's gradient agrees with central differences (Hypothesis property tests).

Central differences resolve a gradient only down to the rounding of f, about
2.2e-16 * |f| / h, so the inputs of one test share a magnitude (large ones are
tested together, in explicit examples), rather than mixing 1e-3 with 1e6 in one sum.

Edge points are forced in with @example: 0, negatives, large magnitudes. At the kinks
of abs, relu and leaky_relu the central difference averages the two one-sided slopes,
so the documented subgradient is checked directly instead.
"""

from __future__ import annotations

import math
import operator

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from microgradx import ops
from microgradx.engine import Value, dot, sum_values
from microgradx.gradcheck import gradcheck
from microgradx.testing import nonzero_reals, positive_reals, reals

ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
SMOOTH_EVERYWHERE = ["+", "-", "*"]

# ----------------------------------------------------------------------
# + - * /  between Values, and with a number on either side
# ----------------------------------------------------------------------


@pytest.mark.parametrize("op", SMOOTH_EVERYWHERE)
@given(x=reals(-1e6, 1e6), y=reals(-1e6, 1e6))
@example(x=0.0, y=0.0)
@example(x=-2.5, y=-0.0)
@example(x=1e150, y=-1e150)
@example(x=-1e150, y=-1e150)
def test_arithmetic_between_two_values(op: str, x: float, y: float) -> None:
    f = ARITHMETIC[op]
    assert f(Value(x), Value(y)).data == f(x, y)
    assert gradcheck(f, [x, y])


@given(x=reals(-1e6, 1e6), y=nonzero_reals(1e-3, 1e6))
@example(x=0.0, y=-1e-3)
@example(x=1e250, y=-1e50)
@example(x=1e300, y=-1e300)
def test_division_between_two_values(x: float, y: float) -> None:
    assert (Value(x) / Value(y)).data == x / y
    assert gradcheck(operator.truediv, [x, y])


@pytest.mark.parametrize(("x", "y"), [(1e100, -1e-100), (-1e-200, 1e-250), (1e-300, 1e300)])
def test_division_by_tiny_and_huge_divisors(x: float, y: float) -> None:
    """Near 0 the default step is 1e-6, absolute: it would jump across y = 0. One step
    size cannot suit both 1e100 and 1e-100, so each input is checked with its own."""
    assert gradcheck(lambda v: v / y, [x], eps=1e-6 * min(abs(x), 1.0))
    assert gradcheck(lambda v: x / v, [y], eps=1e-6 * min(abs(y), 1.0))


@pytest.mark.parametrize("op", SMOOTH_EVERYWHERE)
@given(x=reals(-1e6, 1e6), number=reals(-1e3, 1e3))
@example(x=0.0, number=0.0)
@example(x=-1e200, number=-3.0)
def test_arithmetic_with_a_number(op: str, x: float, number: float) -> None:
    f = ARITHMETIC[op]
    assert f(Value(x), number).data == f(x, number)
    assert f(number, Value(x)).data == f(number, x)
    assert gradcheck(lambda v: f(v, number), [x])
    assert gradcheck(lambda v: f(number, v), [x])


@given(x=nonzero_reals(1e-3, 1e6), number=nonzero_reals(1e-3, 1e3))
@example(x=-1e-3, number=-1e3)
@example(x=1e200, number=2.0)
def test_division_with_a_number_on_either_side(x: float, number: float) -> None:
    assert gradcheck(lambda v: v / number, [x])
    assert gradcheck(lambda v: number / v, [x])
    assert gradcheck(lambda v: 0.0 / v, [x])


@given(x=reals(-1e3, 1e3))
@example(x=0.0)
def test_integer_numbers_mix_in_too(x: float) -> None:
    assert gradcheck(lambda v: 3 * v - 2 + v * 4 - 1 / (v * v + 1), [x])


# ----------------------------------------------------------------------
# Powers: a number exponent, a Value exponent, a number base
# ----------------------------------------------------------------------


@given(x=reals(-100.0, 100.0), n=st.integers(0, 5))
@example(x=0.0, n=0)
@example(x=0.0, n=1)
@example(x=0.0, n=2)
@example(x=-3.0, n=3)
@example(x=1e100, n=3)
def test_power_with_a_whole_exponent_on_any_base(x: float, n: int) -> None:
    assert (Value(x) ** n).data == pytest.approx(x**n, rel=1e-15)
    assert gradcheck(lambda v: v**n, [x])


@given(x=nonzero_reals(1e-2, 100.0), n=st.integers(-3, -1))
@example(x=-1e-2, n=-3)
@example(x=1e100, n=-3)
def test_power_with_a_negative_whole_exponent_away_from_zero(x: float, n: int) -> None:
    assert gradcheck(lambda v: v**n, [x])


@given(x=positive_reals(1e-3, 1e3), n=reals(-3.0, 3.0))
@example(x=1e-3, n=0.5)
@example(x=1.0, n=-0.5)
@example(x=1e3, n=-3.0)
@example(x=2.0, n=0.0)
def test_power_with_a_fractional_exponent_on_a_positive_base(x: float, n: float) -> None:
    assert gradcheck(lambda v: v**n, [x])


def test_power_at_a_zero_base_uses_the_power_rule() -> None:
    for n, slope in [(1, 1.0), (2, 0.0), (3, 0.0), (1.5, 0.0), (0, 0.0)]:
        x = Value(0.0)
        (x**n).backward()
        assert x.grad == slope


@given(a=positive_reals(1e-3, 1e3), b=reals(-3.0, 3.0))
@example(a=1.0, b=0.0)
@example(a=1e-3, b=-3.0)
@example(a=1e3, b=3.0)
@example(a=0.5, b=-2.5)
def test_power_with_a_value_exponent(a: float, b: float) -> None:
    assert (Value(a) ** Value(b)).data == pytest.approx(a**b, rel=1e-15)
    assert gradcheck(operator.pow, [a, b])


@given(base=positive_reals(0.1, 10.0), x=reals(-20.0, 20.0))
@example(base=1.0, x=0.0)
@example(base=10.0, x=20.0)
@example(base=0.1, x=-20.0)
def test_a_number_to_a_value_power(base: float, x: float) -> None:
    assert (base ** Value(x)).data == pytest.approx(base**x, rel=1e-15)
    assert gradcheck(lambda v: base**v, [x])


def test_zero_to_a_value_power_at_least_one() -> None:
    for b, base_slope in [(1.0, 1.0), (2.0, 0.0), (3.5, 0.0)]:
        a, exponent = Value(0.0), Value(b)
        (a**exponent).backward()
        assert (a.grad, exponent.grad) == (base_slope, 0.0)


# ----------------------------------------------------------------------
# Functions of one Value
# ----------------------------------------------------------------------


@given(x=reals(-1e6, 1e6))
@example(x=0.0)
@example(x=-1e300)
def test_negation(x: float) -> None:
    assert (-Value(x)).data == -x
    assert gradcheck(operator.neg, [x])


@given(x=nonzero_reals(1e-3, 1e6))
@example(x=-1e-3)
@example(x=1e300)
@example(x=-1e300)
def test_abs_away_from_its_kink(x: float) -> None:
    assert abs(Value(x)).data == abs(x)
    assert gradcheck(abs, [x])


@given(x=reals(-745.0, 709.0))
@example(x=0.0)
@example(x=-745.0)
@example(x=709.0)
def test_exp(x: float) -> None:
    assert Value(x).exp().data == math.exp(x)
    assert gradcheck(lambda v: v.exp(), [x])


@given(x=positive_reals(1e-3, 1e300))
@example(x=1.0)
@example(x=1e-3)
def test_log_of_positive_numbers(x: float) -> None:
    assert Value(x).log().data == math.log(x)
    assert gradcheck(lambda v: v.log(), [x])


@given(x=positive_reals(1e-3, 1e300))
@example(x=1e-3)
@example(x=4.0)
def test_sqrt_of_positive_numbers(x: float) -> None:
    assert Value(x).sqrt().data == math.sqrt(x)
    assert gradcheck(lambda v: v.sqrt(), [x])


@pytest.mark.parametrize("x", [1e-8, 1e-100, 1e-300])
def test_log_and_sqrt_near_zero_with_a_step_scaled_to_the_input(x: float) -> None:
    """The default step (1e-6 near 0) would cross 0; a step of x * 1e-6 does not."""
    assert gradcheck(lambda v: v.log(), [x], eps=x * 1e-6)
    assert gradcheck(lambda v: v.sqrt(), [x], eps=x * 1e-6)


@given(x=reals(-1e3, 1e3))
@example(x=0.0)
@example(x=-20.0)
@example(x=1000.0)
@example(x=-1000.0)
def test_tanh(x: float) -> None:
    assert Value(x).tanh().data == math.tanh(x)
    assert gradcheck(lambda v: v.tanh(), [x])


@given(x=reals(-1e3, 1e3))
@example(x=0.0)
@example(x=-40.0)
@example(x=1000.0)
@example(x=-1000.0)
def test_sigmoid(x: float) -> None:
    if x >= -700.0:  # below that exp(-x) overflows, and sigmoid(x) < 1e-304
        assert Value(x).sigmoid().data == pytest.approx(1.0 / (1.0 + math.exp(-x)), rel=1e-14)
    else:
        assert 0.0 <= Value(x).sigmoid().data < 1e-304
    assert gradcheck(lambda v: v.sigmoid(), [x])


@given(x=nonzero_reals(1e-3, 1e6))
@example(x=-1e-3)
@example(x=1e300)
def test_relu_away_from_its_kink(x: float) -> None:
    assert Value(x).relu().data == max(0.0, x)
    assert gradcheck(lambda v: v.relu(), [x])


@given(x=nonzero_reals(1e-3, 1e6), slope=reals(-2.0, 2.0))
@example(x=-5.0, slope=0.0)
@example(x=-1e300, slope=0.01)
def test_leaky_relu_away_from_its_kink(x: float, slope: float) -> None:
    assert Value(x).leaky_relu(slope).data == (x if x > 0 else slope * x)
    assert gradcheck(lambda v: v.leaky_relu(slope), [x])
    assert gradcheck(lambda v: v.leaky_relu(), [x])


@pytest.mark.parametrize("zero", [0.0, -0.0])
def test_the_kinks_use_the_documented_subgradient(zero: float) -> None:
    """d|x|/dx and d relu/dx are 0 at 0; d leaky_relu/dx is its slope at 0."""
    for op, slope in [
        (abs, 0.0),
        (Value.relu, 0.0),
        (Value.leaky_relu, 0.01),
        (lambda v: v.leaky_relu(0.2), 0.2),
    ]:
        x = Value(zero)
        out = op(x)
        assert out.data == 0.0
        out.backward()
        assert x.grad == slope


@pytest.mark.parametrize("function", ["sin", "cos"])
@given(x=reals(-1e3, 1e3))
@example(x=0.0)
@example(x=math.pi / 2)
@example(x=-math.pi)
@example(x=1e3)
def test_sin_and_cos(function: str, x: float) -> None:
    assert getattr(Value(x), function)().data == getattr(math, function)(x)
    assert gradcheck(lambda v: getattr(v, function)(), [x])


@pytest.mark.parametrize("function", ["sin", "cos"])
def test_sin_and_cos_at_large_inputs_with_an_absolute_step(function: str) -> None:
    """A relative step at x = 1e6 would span many periods; eps = 1e-12 makes h = 1e-6."""
    assert gradcheck(lambda v: getattr(v, function)(), [1e6], eps=1e-12)


# ----------------------------------------------------------------------
# N-ary ops: sum_values and dot
# ----------------------------------------------------------------------


@given(numbers=st.lists(reals(-1e3, 1e3), min_size=1, max_size=10))
@example(numbers=[0.0])
@example(numbers=[1e300, -3e300, 5e299])
def test_sum_values(numbers: list[float]) -> None:
    assert sum_values(numbers).data == pytest.approx(
        math.fsum(numbers), abs=1e-9 * max(map(abs, numbers))
    )
    assert gradcheck(lambda *terms: sum_values(terms), numbers)


@given(a=reals(-1e3, 1e3), b=reals(-1e3, 1e3))
def test_sum_values_with_repeats_and_numbers(a: float, b: float) -> None:
    def f(a: Value, b: Value) -> Value:
        return sum_values([a, b, a, 2.5, b, b])

    assert gradcheck(f, [a, b])
    leaf_a, leaf_b = Value(a), Value(b)
    f(leaf_a, leaf_b).backward()
    assert (leaf_a.grad, leaf_b.grad) == (2.0, 3.0)


@given(pairs=st.lists(st.tuples(reals(-10, 10), reals(-10, 10)), min_size=1, max_size=8))
@example(pairs=[(0.0, 0.0)])
@example(pairs=[(1e150, -1e150), (-2e150, 3e150)])
def test_dot(pairs: list[tuple[float, float]]) -> None:
    weights = [w for w, _ in pairs]
    inputs = [x for _, x in pairs]
    k = len(pairs)
    expected = math.fsum(w * x for w, x in pairs)
    scale = max(abs(w * x) for w, x in pairs)
    assert dot(weights, inputs).data == pytest.approx(expected, abs=1e-9 * scale)
    assert gradcheck(lambda *v: dot(v[:k], v[k:]), weights + inputs)


@given(a=reals(-10, 10), b=reals(-10, 10))
def test_dot_with_repeats_and_numbers(a: float, b: float) -> None:
    assert gradcheck(lambda a, b: dot([a, b], [a, b]), [a, b])  # a^2 + b^2
    assert gradcheck(lambda a, b: dot([a, 2.0, b], [3.0, a, a]), [a, b])
    leaf = Value(a)
    dot([leaf, 2.0], [3.0, leaf]).backward()
    assert leaf.grad == 5.0


# ----------------------------------------------------------------------
# log1p and softplus: precise where the answer is tiny, no overflow at +-1000
# ----------------------------------------------------------------------


@given(x=reals(-0.999, 1e6))
@example(x=0.0)
@example(x=-0.5)
@example(x=1e-20)
def test_log1p(x: float) -> None:
    assert ops.log1p(Value(x)).data == math.log1p(x)
    assert gradcheck(ops.log1p, [x], eps=1e-6 * min(1.0, x + 1.0))


def test_log1p_keeps_its_precision_for_tiny_inputs_and_refuses_minus_one() -> None:
    assert ops.log1p(Value(1e-20)).data == 1e-20  # log(1 + 1e-20) would give 0.0
    with pytest.raises(ValueError, match=r"log1p\(x\) = log\(1 \+ x\) is undefined for x = -1"):
        ops.log1p(Value(-1.0, label="x"))


@given(x=reals(-700, 700))
@example(x=0.0)
@example(x=-50.0)
@example(x=50.0)
def test_softplus(x: float) -> None:
    expected = max(x, 0.0) + math.log1p(math.exp(-abs(x)))
    assert ops.softplus(Value(x)).data == pytest.approx(expected, rel=1e-15, abs=0.0)
    assert gradcheck(ops.softplus, [x])


@pytest.mark.parametrize(
    ("x", "value", "slope"),
    [
        (-1000.0, 0.0, 0.0),
        (-50.0, 1.9287498479639178e-22, 1.9287498479639178e-22),
        (0.0, math.log(2.0), 0.5),
        (50.0, 50.0, 1.0),
        (1000.0, 1000.0, 1.0),
    ],
)
def test_softplus_at_the_extremes(x: float, value: float, slope: float) -> None:
    leaf = Value(x)
    out = ops.softplus(leaf)
    out.backward()
    assert out.data == pytest.approx(value, rel=1e-15)
    assert leaf.grad == pytest.approx(slope, rel=1e-15)
