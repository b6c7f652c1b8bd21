"""grad (first and higher order), hessian and jvp, against central differences and backward().

Second derivatives are checked the way first derivatives are: gradcheck differentiates
the first derivative (itself a graph, from grad(..., create_graph=True)) by backprop
and compares that with central differences of the first derivative.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microgradx import Value, ops
from microgradx.autodiff import grad, hessian, jvp
from microgradx.engine import topological_order
from microgradx.gradcheck import gradcheck, numerical_grad
from microgradx.testing import OPERATION_NAMES, Expression, expressions, reals

FEW = settings(max_examples=25, deadline=None)

# ----------------------------------------------------------------------
# First order: the same numbers as backward(), and no .grad touched
# ----------------------------------------------------------------------


@given(expressions())
def test_grad_equals_backward_bit_for_bit_and_touches_no_grad(expression: Expression) -> None:
    leaves = expression.input_values()
    output = expression(*leaves)
    found = grad(output, leaves)
    assert all(node.grad == 0.0 for node in topological_order(output))
    output.backward()
    assert [g.data for g in found] == [leaf.grad for leaf in leaves]


def test_grad_of_an_input_the_output_does_not_use_is_zero() -> None:
    x, unused = Value(2.0, label="x"), Value(5.0, label="unused")
    dx, dunused = grad(x * x, [x, unused])
    assert (dx.data, dunused.data) == (4.0, 0.0)


def test_grad_with_respect_to_an_inner_node_is_its_blame() -> None:
    x = Value(0.5, label="x")
    inner = x * 3.0
    out = inner.tanh()
    (d_inner,) = grad(out, [inner])
    assert d_inner.data == 1.0 - math.tanh(1.5) ** 2


# ----------------------------------------------------------------------
# Second order, for every op of the table, and on random graphs
# ----------------------------------------------------------------------


def first_derivative(expression: Expression, i: int):
    """x -> d expression / d x_i, as a Value graph (so gradcheck can backprop through it)."""

    def derivative(*xs: Value) -> Value:
        return grad(expression(*xs), [xs[i]], create_graph=True)[0]

    return derivative


def test_every_op_of_the_table_is_generated_here() -> None:
    assert set(OPERATION_NAMES) == set(ops.PRIMITIVES)


@FEW
@pytest.mark.parametrize("name", OPERATION_NAMES)
@given(data=st.data())
def test_second_derivatives_of_each_op_equal_central_differences(
    name: str, data: st.DataObject
) -> None:
    expression = data.draw(expressions(operations=[name], min_steps=1, max_steps=2))
    inputs = expression.input_values()
    for i in range(len(inputs)):
        assert gradcheck(first_derivative(expression, i), inputs, rtol=1e-4, atol=1e-6)


@FEW
@given(expressions(max_steps=8))
def test_second_derivatives_of_random_graphs_equal_central_differences(
    expression: Expression,
) -> None:
    inputs = expression.input_values()
    for i in range(len(inputs)):
        assert gradcheck(first_derivative(expression, i), inputs, rtol=1e-4, atol=1e-6)


def tanh_derivatives(x: float) -> list[float]:
    """tanh and its first three derivatives, by hand: t' = 1 - t², t'' = -2 t t', ..."""
    t = math.tanh(x)
    d1 = 1.0 - t * t
    d2 = -2.0 * t * d1
    d3 = -2.0 * d1 * d1 - 2.0 * t * d2
    return [t, d1, d2, d3]


@pytest.mark.parametrize("x", [0.0, 0.7, -2.5, 20.0])
def test_grad_of_grad_of_grad_of_tanh(x: float) -> None:
    leaf = Value(x, label="x")
    derivative = leaf.tanh()
    found = []
    for _ in range(3):
        (derivative,) = grad(derivative, [leaf], create_graph=True)
        found.append(derivative.data)
    assert found == pytest.approx(tanh_derivatives(x)[1:], rel=1e-12, abs=1e-15)


# Edge points where a second derivative is easy to get wrong, against closed forms.
EDGE_SECOND_DERIVATIVES = [
    ("sigmoid at -1000 (saturated)", lambda v: v.sigmoid(), -1000.0, 0.0),
    ("sigmoid at 0", lambda v: v.sigmoid(), 0.0, 0.0),
    ("softplus at -50", lambda v: ops.softplus(v), -50.0, math.exp(-50.0)),
    ("softplus at 0", lambda v: ops.softplus(v), 0.0, 0.25),
    ("log1p at -0.5", lambda v: ops.log1p(v), -0.5, -4.0),
    ("x ** 0 at 3", lambda v: v**0, 3.0, 0.0),
    ("x ** 1 at -2", lambda v: v**1, -2.0, 0.0),
    ("x ** 2 at 0", lambda v: v**2, 0.0, 2.0),
    ("x ** 3 at -1", lambda v: v**3, -1.0, -6.0),
    ("2 ** x at 0", lambda v: 2.0**v, 0.0, math.log(2.0) ** 2),
    ("exp at 700", lambda v: v.exp(), 700.0, math.exp(700.0)),
    ("relu at 2 (straight)", lambda v: v.relu(), 2.0, 0.0),
    ("abs at -2 (straight)", lambda v: abs(v), -2.0, 0.0),
    ("sqrt at 4", lambda v: v.sqrt(), 4.0, -1.0 / 32.0),
    ("1 / x at -2", lambda v: 1.0 / v, -2.0, -0.25),
    ("sin at pi/2", lambda v: v.sin(), math.pi / 2, -1.0),
    ("cos at 0", lambda v: v.cos(), 0.0, -1.0),
]


@pytest.mark.parametrize(
    ("f", "x", "expected"),
    [case[1:] for case in EDGE_SECOND_DERIVATIVES],
    ids=[case[0] for case in EDGE_SECOND_DERIVATIVES],
)
def test_second_derivatives_at_edge_points(f, x: float, expected: float) -> None:
    leaf = Value(x, label="x")
    (first,) = grad(f(leaf), [leaf], create_graph=True)
    (second,) = grad(first, [leaf])
    assert second.data == pytest.approx(expected, rel=1e-12, abs=1e-300)


def test_a_gradient_graph_can_be_drawn_and_explained() -> None:
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    (dw,) = grad((x * w).tanh(), [w], create_graph=True)
    dw.label = "d out / d w"
    order = topological_order(dw)
    assert x in order and w in order  # the gradient is a graph of the original values
    from microgradx.graph import draw_dot

    source = draw_dot(dw).source
    assert "d out / d w" in source and "tanh" in source


def test_higher_order_through_a_hand_made_op_names_it() -> None:
    x = Value(2.0, label="x")
    cube = Value(x.data**3, "", (x,), (3 * x.data**2,), "cube")
    assert grad(cube, [x])[0].data == 12.0  # first order works: its numbers are known
    with pytest.raises(TypeError, match="hand-made op 'cube'"):
        grad(cube, [x], create_graph=True)


# ----------------------------------------------------------------------
# Hessians
# ----------------------------------------------------------------------


def test_hessian_of_a_known_function() -> None:
    # f = x^2 y + sin(x y):  f_xx = 2y - y^2 sin(xy), f_xy = 2x + cos(xy) - xy sin(xy)
    x, y = 1.5, -0.5
    h = hessian(lambda a, b: a * a * b + (a * b).sin(), [x, y])
    s, c = math.sin(x * y), math.cos(x * y)
    expected = [
        [2 * y - y * y * s, 2 * x + c - x * y * s],
        [2 * x + c - x * y * s, -x * x * s],
    ]
    for row, expected_row in zip(h, expected):
        assert row == pytest.approx(expected_row, rel=1e-12)


@FEW
@given(expressions(min_inputs=2, max_inputs=3, max_steps=8))
def test_hessians_of_random_graphs_are_symmetric_and_match_differences_of_grad(
    expression: Expression,
) -> None:
    numbers = list(expression.inputs)
    h = hessian(expression, numbers)
    scale = max(1.0, max(abs(entry) for row in h for entry in row))
    n = len(numbers)
    for i in range(n):
        for j in range(n):
            assert h[i][j] == pytest.approx(h[j][i], rel=1e-9, abs=1e-9 * scale)
    for i in range(n):
        # row i is the gradient of d f / d x_i, by central differences
        differences = numerical_grad(first_derivative(expression, i), numbers)
        assert h[i] == pytest.approx(differences, rel=1e-4, abs=1e-5 * scale)


# ----------------------------------------------------------------------
# Forward mode
# ----------------------------------------------------------------------


@given(expressions(), st.data())
def test_jvp_equals_the_reverse_mode_directional_derivative(
    expression: Expression, data: st.DataObject
) -> None:
    numbers = list(expression.inputs)
    tangents = data.draw(st.lists(reals(-2, 2), min_size=len(numbers), max_size=len(numbers)))
    value, directional = jvp(expression, numbers, tangents)
    leaves = expression.input_values()
    output = expression(*leaves)
    output.backward()
    reverse = sum(leaf.grad * t for leaf, t in zip(leaves, tangents))
    assert value == output.data
    assert directional == pytest.approx(reverse, rel=1e-9, abs=1e-9)


def test_jvp_along_each_axis_is_one_partial_derivative() -> None:
    def f(x: Value, y: Value) -> Value:
        return x * x * y

    assert jvp(f, [2.0, 3.0], [1.0, 0.0]) == (12.0, 12.0)  # d/dx = 2xy
    assert jvp(f, [2.0, 3.0], [0.0, 1.0]) == (12.0, 4.0)  # d/dy = x^2


# ----------------------------------------------------------------------
# Clear errors
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: grad(2.0, []), "differentiates a Value"),  # type: ignore[arg-type]
        (lambda: grad(Value(1.0), [1.0]), "Values to differentiate"),  # type: ignore[list-item]
        (lambda: grad(Value(1.0), [], create_graph=1), "True or False"),  # type: ignore[arg-type]
        (lambda: hessian(lambda a: a, []), "no inputs"),
        (lambda: hessian(3, [1.0]), "function of Values"),  # type: ignore[arg-type]
        (lambda: hessian(lambda a: 2.0, [1.0]), "must return a Value"),  # type: ignore[arg-type, return-value]
        (lambda: jvp(lambda a: a, [1.0], [1.0, 2.0]), "one tangent per input"),
        (lambda: jvp(lambda a: a, [1.0], "a"), "list of tangents"),
    ],
)
def test_bad_arguments_get_clear_errors(call, message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        call()
