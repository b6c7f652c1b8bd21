"""gradcheck and numerical_grad: they pass correct functions, catch wrong derivatives,
report them clearly, and the central difference is as accurate as its math says."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given

from microgradx.engine import Value, no_grad
from microgradx.gradcheck import GradcheckError, gradcheck, numerical_grad
from microgradx.testing import positive_reals, reals


def wrong_square(x: Value) -> Value:
    """x ** 2 with a deliberately wrong local derivative: 3x instead of 2x."""
    return Value(x.data**2, "", (x,), (3.0 * x.data,), "wrong_square")


def scaled_square(x: Value, factor: float) -> Value:
    """x ** 2 whose local derivative is off by ``factor`` (1.0 is correct)."""
    return Value(x.data**2, "", (x,), (factor * 2.0 * x.data,), "scaled_square")


# ----------------------------------------------------------------------
# Correct functions pass
# ----------------------------------------------------------------------


def test_gradcheck_returns_true_for_a_correct_function() -> None:
    assert gradcheck(lambda x, y: x * y + x.tanh() - (y / x).exp(), [1.5, -0.5]) is True


def test_gradcheck_accepts_values_numbers_and_a_single_input() -> None:
    assert gradcheck(lambda w, x: w * x, [Value(2.0, label="w"), 3]) is True
    assert gradcheck(lambda x: x.sin(), 0.3) is True
    assert gradcheck(lambda x: x.sin(), Value(0.3)) is True


def test_gradcheck_passes_functions_that_ignore_an_input() -> None:
    assert gradcheck(lambda x, unused: x * 2.0, [1.0, 5.0]) is True
    assert gradcheck(lambda x: Value(4.0), [1.0]) is True


def test_gradcheck_passes_the_identity() -> None:
    assert gradcheck(lambda x: x, [7.0]) is True


@given(reals(-3, 3), reals(-3, 3), positive_reals(0.1, 10))
def test_gradcheck_passes_a_neuron_with_a_loss(w: float, x: float, target: float) -> None:
    def loss(w: Value, x: Value, target: Value) -> Value:
        guess = (w * x + 0.5).tanh()
        return (guess - target) ** 2

    assert gradcheck(loss, [w, x, target])


def test_gradcheck_does_not_touch_the_callers_values() -> None:
    w = Value(2.0, label="w")
    gradcheck(lambda w: w * w, [w])
    assert w.grad == 0.0
    assert w.data == 2.0


# ----------------------------------------------------------------------
# Wrong derivatives are reported clearly
# ----------------------------------------------------------------------


def test_gradcheck_reports_a_wrong_derivative_with_index_label_and_numbers() -> None:
    x, w = Value(2.0, label="x"), Value(1.5, label="w")
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x, w: wrong_square(x) * w, [x, w])
    error = caught.value
    assert isinstance(error, AssertionError)
    assert len(error.mismatches) == 1
    mismatch = error.mismatches[0]
    assert (mismatch.index, mismatch.label) == (0, "x")
    # d/dx (x^2 w) is 2 x w = 6; the wrong node claims 3 x w = 9.
    assert mismatch.analytic == 9.0
    assert mismatch.numerical == pytest.approx(6.0, rel=1e-8)
    assert mismatch.difference == pytest.approx(3.0, rel=1e-8)
    assert mismatch.tolerance == pytest.approx(1e-5 + 1e-3 * 6.0, rel=1e-6)

    message = str(error)
    assert "input 0 'x'" in message
    assert "analytic (backprop) 9.0" in message
    assert f"numerical {mismatch.numerical!r}" in message
    assert "difference 3 > tolerance 0.00601" in message
    assert "atol = 1e-05, rtol = 0.001" in message
    assert "input 1" not in message, "the correct input w must not be reported"


def test_gradcheck_names_unlabelled_inputs_by_index() -> None:
    with pytest.raises(GradcheckError, match=r"input 1: analytic \(backprop\) 12\.0") as caught:
        gradcheck(lambda a, b: a + wrong_square(b), [1.0, 4.0])
    assert [m.index for m in caught.value.mismatches] == [1]


def test_gradcheck_reports_every_wrong_input() -> None:
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda a, b: wrong_square(a) + wrong_square(b), [1.0, -2.0])
    assert [m.index for m in caught.value.mismatches] == [0, 1]
    assert "disagree on 2 of 2 gradients" in str(caught.value)


def test_gradcheck_catches_a_graph_cut_by_using_data() -> None:
    """Using .data inside f cuts the graph: backprop sees no path, the nudge does."""
    with pytest.raises(GradcheckError, match="analytic"):
        gradcheck(lambda x, y: x * y.data, [2.0, 3.0])


def test_gradcheck_tolerances_decide_a_slightly_wrong_derivative() -> None:
    def slightly_wrong(x: Value) -> Value:
        return scaled_square(x, 1.0001)

    assert gradcheck(slightly_wrong, [3.0]) is True  # within rtol = 1e-3
    with pytest.raises(GradcheckError):
        gradcheck(slightly_wrong, [3.0], rtol=1e-6)
    assert gradcheck(lambda x: scaled_square(x, 1.1), [3.0], atol=1.0) is True


# ----------------------------------------------------------------------
# Bad use gets a clear error
# ----------------------------------------------------------------------


def test_f_returning_a_number_is_a_type_error_naming_the_type() -> None:
    def returns_float(x: Value) -> float:
        return x.data * 2.0

    with pytest.raises(TypeError, match=r"f \(.*returns_float\) must return a Value, got float"):
        gradcheck(returns_float, [1.0])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must return a Value, got NoneType"):
        numerical_grad(lambda x: None, [1.0])  # type: ignore[arg-type,return-value]


@pytest.mark.parametrize(
    ("bad_input", "type_name"), [("2.0", "str"), (None, "NoneType"), (1j, "complex")]
)
def test_a_non_number_input_is_a_type_error_naming_its_index_and_type(
    bad_input: object, type_name: str
) -> None:
    with pytest.raises(TypeError, match=f"input 1 must be a number or a Value, got {type_name}"):
        gradcheck(lambda a, b: a * b, [1.0, bad_input])  # type: ignore[list-item]


def test_a_non_finite_input_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="input 0 is nan"):
        gradcheck(lambda x: x, [math.nan])


@pytest.mark.parametrize("eps", [0.0, -1e-6, math.inf, math.nan])
def test_eps_must_be_positive_and_finite(eps: float) -> None:
    with pytest.raises(ValueError, match="eps must be a positive finite number"):
        numerical_grad(lambda x: x, [1.0], eps=eps)


def test_tolerances_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="rtol must be a finite number >= 0"):
        gradcheck(lambda x: x, [1.0], rtol=-1.0)


def test_gradcheck_inside_no_grad_explains_itself() -> None:
    with no_grad(), pytest.raises(RuntimeError, match="inside no_grad"):
        gradcheck(lambda x: x * x, [1.0])


def test_a_nudge_across_the_edge_of_the_domain_is_explained() -> None:
    with pytest.raises(ValueError, match="nudged from 1e-07 to -9e-07") as caught:
        numerical_grad(lambda x: x.sqrt(), [1e-7])
    assert "smaller eps" in str(caught.value)
    assert isinstance(caught.value.__cause__, ValueError)
    assert numerical_grad(lambda x: x.sqrt(), [1e-7], eps=1e-10)[0] == pytest.approx(
        0.5 / math.sqrt(1e-7), rel=1e-6
    )


def test_errors_of_f_at_the_inputs_themselves_are_left_alone() -> None:
    with pytest.raises(ValueError, match="log") as caught:
        gradcheck(lambda x: x.log(), [-1.0])
    assert "nudged" not in str(caught.value)


# ----------------------------------------------------------------------
# numerical_grad accuracy
# ----------------------------------------------------------------------


def test_numerical_grad_of_a_quadratic_is_exact_up_to_rounding() -> None:
    """For a polynomial of degree <= 2 the central difference has no truncation error."""
    gradient = numerical_grad(lambda x, y: 3.0 * x * x - x * y + 2.0 * y, [1.25, -2.0])
    assert gradient == pytest.approx([3.0 * 2 * 1.25 + 2.0, -1.25 + 2.0], rel=1e-9)


@given(reals(-10, 10))
def test_numerical_grad_matches_known_derivatives(x: float) -> None:
    """Truncation (h^2/6 |f'''|) plus rounding (2.2e-16 |f| / h) stays far below 1e-7."""
    (sin_slope,) = numerical_grad(lambda a: a.sin(), [x])
    (exp_slope,) = numerical_grad(lambda a: a.exp(), [x])
    (tanh_slope,) = numerical_grad(lambda a: a.tanh(), [x])
    assert sin_slope == pytest.approx(math.cos(x), abs=1e-8)
    assert exp_slope == pytest.approx(math.exp(x), rel=1e-7)
    assert tanh_slope == pytest.approx(1.0 - math.tanh(x) ** 2, abs=1e-8)


def test_the_error_of_central_differences_shrinks_like_eps_squared() -> None:
    """The error is eps^2/6 * f'''(x): ten times smaller eps, a hundred times smaller error."""
    x = 0.5  # |x| < 1, so the step is h = eps
    errors = [
        abs(numerical_grad(lambda v: v.exp(), [x], eps=eps)[0] - math.exp(x))
        for eps in (1e-2, 1e-3)
    ]
    for eps, error in zip((1e-2, 1e-3), errors):
        assert error == pytest.approx(eps**2 / 6 * math.exp(x), rel=1e-2)
    assert errors[0] / errors[1] == pytest.approx(100.0, rel=2e-2)


def test_the_step_is_relative_for_large_inputs() -> None:
    """At x = 1e200 an absolute step of 1e-6 would vanish in rounding; h = eps * |x| does not."""
    assert numerical_grad(lambda x: x * 3.0, [1e200]) == pytest.approx([3.0], rel=1e-9)
    assert numerical_grad(lambda x: x.log(), [1e200]) == pytest.approx([1e-200], rel=1e-6)


def test_numerical_grad_passes_labels_to_f() -> None:
    seen: list[str] = []

    def f(x: Value) -> Value:
        seen.append(x.label)
        return x

    numerical_grad(f, [Value(1.0, label="price")])
    assert seen == ["price", "price"]


def test_a_step_lost_in_rounding_is_an_error_not_a_division_by_zero() -> None:
    with pytest.raises(ValueError, match="too small for input 0 = 1e\\+100"):
        numerical_grad(lambda x: x * 2.0, [1e100], eps=1e-200)


@pytest.mark.parametrize(
    ("inputs", "words"),
    [
        (None, "inputs must be a number, a Value, or a list of them"),
        ("1.5", "inputs must be a number, a Value, or a list of them"),
        ([10**400], "gradients need finite numbers"),
        ([True], "must be a number or a Value, got bool"),
    ],
)
def test_bad_inputs_get_a_clear_error(inputs, words) -> None:
    with pytest.raises((TypeError, ValueError), match=re.escape(words)):
        gradcheck(lambda x: x * 2, inputs)


def test_f_must_be_a_function() -> None:
    with pytest.raises(TypeError, match="f must be a function"):
        gradcheck(None, [1.0])
    with pytest.raises(TypeError, match="f must be a function"):
        numerical_grad(3.0, [1.0])


@pytest.mark.parametrize(
    "settings",
    [{"eps": 10**400}, {"eps": True}, {"atol": 10**400}, {"rtol": math.inf}, {"atol": "0"}],
)
def test_bad_settings_get_a_clear_error(settings) -> None:
    with pytest.raises(ValueError, match="must be a"):
        gradcheck(lambda x: x * 2, [1.0], **settings)


def test_a_huge_label_is_quoted_shortly() -> None:
    with pytest.raises(GradcheckError) as caught:
        gradcheck(
            lambda x: Value(x.data * 2, label="wrong") * 1.0 + x * 0.0,
            [Value(1.0, label="x" * 100_000)],
        )
    assert len(str(caught.value)) < 2000
