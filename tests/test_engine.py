"""The Value engine's behaviour: construction, graph bookkeeping, backward semantics,
no_grad and detach, error messages, numerical stability, a million-deep chain,
memory freed by reference counting, and micrograd compatibility."""

from __future__ import annotations

import gc
import math
import warnings
from contextlib import contextmanager
from fractions import Fraction

import pytest

from microgradx.engine import (
    CONSTANT_OP,
    Value,
    dot,
    is_grad_enabled,
    no_grad,
    sum_values,
    topological_order,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator


@contextmanager
def cyclic_collector_disabled() -> Iterator[None]:
    """Turn off the cyclic garbage collector: only reference counting frees memory."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# ----------------------------------------------------------------------
# Construction
# ----------------------------------------------------------------------


@pytest.mark.parametrize("number", [2, 2.0, True, Fraction(1, 4), -0.0, 1e308, 5e-324])
def test_any_real_number_becomes_a_float(number: object) -> None:
    value = Value(number)  # type: ignore[arg-type]
    assert type(value.data) is float
    assert value.data == float(number)  # type: ignore[arg-type]
    assert type(value.grad) is float and value.grad == 0.0
    assert value.label == "" and value.children == () and value.local_grads == ()
    assert value.op == ""


@pytest.mark.parametrize(
    "build",
    [
        lambda x: x * 1.5,
        lambda x: x + 2,  # an int
        lambda x: 0.5 - x,  # on the left
        lambda x: 2.0**x,
        lambda x: sum_values([x, 3.0]),
        lambda x: dot([x, 0.25], [x, x]),
    ],
)
def test_a_number_written_into_an_expression_becomes_a_constant_leaf(build) -> None:
    x = Value(1.0)
    out = build(x)
    numbers = [child for child in out.children if child is not x]
    assert numbers and all(child.op is CONSTANT_OP for child in numbers)
    assert all(child.op == "" and child.children == () for child in numbers)  # a leaf
    assert x.op is not CONSTANT_OP  # a Value you make is not a constant, even unnamed


def test_numpy_scalars_are_accepted() -> None:
    np = pytest.importorskip("numpy", reason="numpy is optional; this checks numpy scalars")
    for number in (np.float64(1.5), np.float32(1.5), np.int64(3), np.int8(-2)):
        value = Value(number)
        assert type(value.data) is float
        assert value.data == float(number)
    product = np.float64(2.0) * Value(3.0)  # numpy hands the op over to Value
    assert isinstance(product, Value) and product.data == 6.0


@pytest.mark.parametrize(
    ("bad", "type_name"),
    [("2.0", "str"), (None, "NoneType"), (1 + 2j, "complex"), ([1.0], "list"), ({}, "dict")],
)
def test_a_non_number_is_a_type_error_that_names_the_type(bad: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=type_name):
        Value(bad)  # type: ignore[arg-type]


def test_a_value_of_a_value_is_a_type_error_that_says_to_use_data() -> None:
    with pytest.raises(TypeError, match=r"Value.*\.data"):
        Value(Value(1.0))  # type: ignore[arg-type]


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_nan_and_inf_are_refused(number: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        Value(number)


def test_a_huge_int_gets_a_clear_error() -> None:
    with pytest.raises(OverflowError, match="too large"):
        Value(10**400)


def test_a_label_must_be_a_string() -> None:
    with pytest.raises(TypeError, match=r"label.*int"):
        Value(1.0, label=3)  # type: ignore[arg-type]


def test_repr_is_short_and_readable() -> None:
    w = Value(2.0, label="w1")
    w.grad = -1.5
    assert repr(w) == "Value(data=2.0, grad=-1.5, label='w1')"
    assert repr(Value(3)) == "Value(data=3.0, grad=0.0)"


def test_a_value_never_turns_into_a_plain_float_silently() -> None:
    """math.exp(v) would drop the graph (blame 0): it is an error that says to use v.exp()."""
    v = Value(2.5, label="v")
    with pytest.raises(TypeError, match=r"value\.exp\(\).*value\.data"):
        math.exp(v)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"value\.data"):
        float(v)
    assert f"{v:.2f}" == "2.50"  # formatting a number for print is fine


# ----------------------------------------------------------------------
# The graph: children in order, local derivatives, op names
# ----------------------------------------------------------------------


def test_children_keep_order_and_duplicates() -> None:
    a, b = Value(3.0, label="a"), Value(5.0, label="b")
    square = a * a
    assert square.children == (a, a)
    assert square.local_grads == (3.0, 3.0)
    square.backward()
    assert a.grad == 6.0  # 2a: one share of blame per edge

    difference = a - b
    assert difference.children == (a, b)
    assert difference.local_grads == (1.0, -1.0)

    total = sum_values([a, b, a])
    assert total.children == (a, b, a) and total.data == 11.0

    d = dot([a, b], [b, 2.0])
    assert d.children[:3] == (a, b, b)
    assert d.local_grads == (5.0, 2.0, 3.0, 5.0)  # the inputs' numbers, then the weights'


def test_plain_numbers_become_constant_leaves() -> None:
    x = Value(1.5)
    for result in (x + 2, 2 + x, x * 2, 2 * x, x - 2, 2 - x, x / 2, 2 / x):
        (constant,) = (child for child in result.children if child is not x)
        assert constant.data == 2.0 and constant.label == "" and constant.children == ()


def test_powers_record_their_exponent_as_the_op_or_as_a_child() -> None:
    x, y = Value(2.0), Value(3.0)
    square = x**2
    assert square.children == (x,) and square.op == "**2" and square.local_grads == (4.0,)
    power = x**y
    assert power.children == (x, y) and power.op == "**"
    exponential = 2**y
    assert exponential.children[1] is y and exponential.children[0].data == 2.0


def test_op_names() -> None:
    x, y = Value(0.5), Value(0.25)
    ops = {
        "+": x + y,
        "*": x * y,
        "tanh": x.tanh(),
        "**2": x**2,
        "sum": sum_values([x, y]),
        "dot": dot([x], [y]),
    }
    for name, node in ops.items():
        assert node.op == name
    others = [x - y, x / y, x**y, -x, abs(x), x.exp(), x.log(), x.sqrt(), x.sigmoid()]
    others += [x.relu(), x.leaky_relu(), x.sin(), x.cos()]
    names = [node.op for node in others]
    assert all(isinstance(name, str) and name for name in names)
    assert len(set(names)) == len(names), "each op has its own name"


def test_micrograd_names_prev_and_op() -> None:
    a = Value(3.0)
    square = a * a
    assert square._prev == {a}
    assert square._op == "*"
    assert a._prev == set() and a._op == ""


def test_gradients_are_floats_never_ints() -> None:
    x = Value(3)
    y = (x * 2 + 1) ** 2 - x / 4
    y.backward()
    for node in (x, y, *y.children):
        assert type(node.grad) is float
        assert type(node.data) is float


# ----------------------------------------------------------------------
# Comparisons and identity
# ----------------------------------------------------------------------


def test_comparisons_look_at_the_numbers_and_return_bools() -> None:
    small, big = Value(1.0), Value(2.0)
    reflected = 2 > small  # noqa: SIM300 (a number on the left uses Value's reflected op)
    results = [small < big, small <= big, big > small, big >= small, small < 2, reflected]
    assert results == [True] * 6
    assert all(type(result) is bool for result in results)
    assert not (big < small) and not (small > 1.0) and small >= 1.0 and small <= 1
    assert sorted([big, small]) == [small, big]


def test_equality_and_hashing_are_by_identity() -> None:
    a, b = Value(1.0), Value(1.0)
    assert a == a and a != b and (a == b) is False
    assert len({a, b, a}) == 2
    blame = {a: "first", b: "second"}
    assert blame[a] == "first" and blame[b] == "second"


def test_comparing_with_a_non_number_names_the_type() -> None:
    with pytest.raises(TypeError, match="str"):
        Value(1.0) < "2"  # type: ignore[operator]  # noqa: B015


# ----------------------------------------------------------------------
# backward() semantics
# ----------------------------------------------------------------------


def test_blame_from_several_paths_adds_up() -> None:
    x = Value(2.0)
    double, triple = x * 2, x * 3
    out = double * triple  # 6 x^2, a diamond
    out.backward()
    assert x.grad == 24.0  # 12 x
    assert out.grad == 1.0


def test_leaves_accumulate_across_roots() -> None:
    x = Value(2.0)
    first, second = x * 3, x * x
    first.backward()
    second.backward()
    assert x.grad == 3.0 + 4.0


def test_intermediate_nodes_never_double_count() -> None:
    x = Value(2.0)
    hidden = x * x
    first, second = hidden * 3, hidden * 5
    first.backward()
    assert hidden.grad == 3.0
    second.backward()
    assert hidden.grad == 5.0, "an intermediate node holds the blame of the last backward only"
    assert x.grad == 3.0 * 4.0 + 5.0 * 4.0


def test_a_second_backward_on_the_same_output_raises() -> None:
    x = Value(2.0)
    out = x * x
    out.backward()
    with pytest.raises(RuntimeError, match=r"zero_grad\(\)"):
        out.backward()
    assert x.grad == 4.0, "the refused backward must not have touched the gradients"


def test_zero_grad_zeroes_the_whole_graph_and_allows_backward_again() -> None:
    x, w = Value(2.0), Value(-1.0)
    hidden = x * w
    out = hidden.tanh() + w
    out.backward()
    first = (x.grad, w.grad)
    out.zero_grad()
    assert [node.grad for node in (x, w, hidden, out)] == [0.0] * 4
    out.backward()
    assert (x.grad, w.grad) == first


def test_backward_on_a_leaf_seeds_one() -> None:
    x = Value(4.0)
    x.backward()
    assert x.grad == 1.0


# ----------------------------------------------------------------------
# no_grad and detach
# ----------------------------------------------------------------------


def test_no_grad_makes_leaves_and_restores_the_mode() -> None:
    x = Value(2.0)
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        y = (x * 3).tanh() + 1
        with no_grad():
            assert not is_grad_enabled()
        assert not is_grad_enabled(), "leaving an inner no_grad keeps the outer one"
    assert is_grad_enabled()
    assert y.children == () and y.local_grads == () and y.op == ""
    assert y.data == pytest.approx(math.tanh(6.0) + 1)
    y.backward()
    assert x.grad == 0.0


def test_no_grad_restores_the_mode_after_an_error() -> None:
    with pytest.raises(ValueError), no_grad():
        Value(-1.0).log()
    assert is_grad_enabled()


def test_values_made_under_no_grad_are_constants_afterwards() -> None:
    x = Value(2.0)
    with no_grad():
        frozen = x * 10
    out = frozen * x
    out.backward()
    assert x.grad == 20.0


def test_detach_makes_an_unconnected_leaf_with_the_same_number_and_label() -> None:
    x = Value(2.0, label="x")
    scaled = x * 3
    scaled.label = "scaled"
    cut = scaled.detach()
    assert cut is not scaled
    assert (cut.data, cut.label, cut.children, cut.op) == (6.0, "scaled", (), "")
    out = cut * x
    out.backward()
    assert x.grad == 6.0, "no blame flows through the detached copy"
    assert scaled.grad == 0.0


# ----------------------------------------------------------------------
# Bad math: clear errors that name the op and the input
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("compute", "error", "words"),
    [
        (lambda: Value(0.0).log(), ValueError, ["log", "0"]),
        (lambda: Value(-1.0).log(), ValueError, ["log", "-1"]),
        (lambda: Value(-1.0, label="price").log(), ValueError, ["log", "price", "-1"]),
        (lambda: Value(-1.0).sqrt(), ValueError, ["sqrt", "-1"]),
        (lambda: Value(0.0).sqrt(), ValueError, ["sqrt", "slope"]),
        (lambda: Value(-8.0) ** (1 / 3), ValueError, ["-8", "0.333"]),
        (lambda: Value(-8.0) ** Value(1 / 3), ValueError, ["-8", "positive base"]),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, ["** -1", "0"]),
        (lambda: Value(0.0) ** 0.5, ValueError, ["** 0.5", "slope"]),
        (lambda: Value(1.0) / 0, ZeroDivisionError, ["division by zero", "0.0"]),
        (lambda: 1 / Value(0.0), ZeroDivisionError, ["division by zero"]),
        (lambda: Value(3.0) / Value(0.0, label="count"), ZeroDivisionError, ["count"]),
        (lambda: Value(1000.0).exp(), OverflowError, ["exp", "1000"]),
        (lambda: Value(1e200) * Value(1e200), OverflowError, ["*", "1e+200"]),
        (lambda: Value(1.5e308) + 1.5e308, OverflowError, ["+"]),
        (lambda: Value(10.0) ** 400, OverflowError, ["10", "400"]),
        (lambda: 2 ** Value(2000.0), OverflowError, ["2000"]),
    ],
)
def test_bad_math_gets_an_error_naming_the_op_and_the_input(
    compute: object, error: type[Exception], words: list[str]
) -> None:
    with pytest.raises(error) as caught:
        compute()  # type: ignore[operator]
    message = str(caught.value)
    for word in words:
        assert word in message
    assert len(message) > 40, "the message explains the problem, not just names it"


@pytest.mark.parametrize(
    ("compute", "type_name"),
    [
        (lambda: Value(1.0) + "a", "str"),
        (lambda: "a" * Value(1.0), "str"),
        (lambda: Value(1.0) - None, "NoneType"),
        (lambda: Value(1.0) * [2.0], "list"),
        (lambda: Value(1.0) ** "2", "str"),
        (lambda: sum_values([Value(1.0), "x"]), "str"),
        (lambda: Value(1.0).leaky_relu("0.1"), "str"),
    ],
)
def test_bad_operands_are_type_errors_naming_the_type(compute: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=type_name):
        compute()  # type: ignore[operator]


def test_n_ary_ops_check_their_sizes() -> None:
    with pytest.raises(ValueError, match="empty"):
        sum_values([])
    with pytest.raises(ValueError, match="2 weights and 1 inputs"):
        dot([Value(1.0), Value(2.0)], [Value(3.0)])


def test_overflowing_blame_in_backward_is_an_error_not_a_silent_inf() -> None:
    a, b = Value(1e200, label="a"), Value(1e-200, label="b")
    out = (a * b) * 1e200
    with pytest.raises(OverflowError, match="gave b a blame of inf"):
        out.backward()


# ----------------------------------------------------------------------
# Numerical stability
# ----------------------------------------------------------------------


def test_tanh_and_sigmoid_saturate_exactly_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Value(1000.0).tanh().data == 1.0
        assert Value(-1000.0).tanh().data == -1.0
        assert Value(-1000.0).sigmoid().data == 0.0
        assert Value(1000.0).sigmoid().data == 1.0
        assert Value(-1e308).sigmoid().data == 0.0
        for x in (1000.0, -1000.0):
            for op in (Value.tanh, Value.sigmoid):
                leaf = Value(x)
                op(leaf).backward()
                assert leaf.grad == 0.0


def test_exp_works_right_up_to_the_largest_float() -> None:
    largest_input = math.log(1.7976931348623157e308)
    assert Value(largest_input).exp().data == pytest.approx(1.7976931348623157e308, rel=1e-12)
    assert Value(-1000.0).exp().data == 0.0


def test_division_whose_slope_overflows_is_an_error_naming_the_op() -> None:
    """1e-300 / 5e-324 fits in a float, but its local derivative 1 / 5e-324 does not."""
    with pytest.raises(OverflowError, match=r"x / d with d = 4\.94066e-324 has a slope too large"):
        Value(1e-300, label="x") / Value(5e-324, label="d")
    assert (Value(1e-300) / Value(1e-10)).data == 1e-300 / 1e-10


# ----------------------------------------------------------------------
# Depth: a chain of a million ops
# ----------------------------------------------------------------------


def test_a_chain_a_million_ops_deep_runs_forward_and_backward() -> None:
    """Recursion would overflow at a depth of about a thousand; backward is iterative.

    The cyclic collector is off while the chain lives: the graph has no cycles (see
    the memory tests below), so the collector would only re-scan a million live
    nodes again and again, which doubles the time of this test.
    """
    depth = 1_000_000
    with cyclic_collector_disabled():
        x = Value(1.0)
        y = x
        for _ in range(depth):
            y = y + x  # y = (k + 1) x: every step adds one more path from y to x
        assert y.data == depth + 1.0
        y.backward()
        assert x.grad == depth + 1.0
        assert y.children[0].grad == 1.0, "the node below the root gets its blame exactly once"
        del y  # freed here, by reference counting, without a deep recursion


# ----------------------------------------------------------------------
# Memory: a dropped graph is freed at once, by reference counting
# ----------------------------------------------------------------------


def count_live(cls: type) -> int:
    """How many instances of ``cls`` exist. gc.get_objects() lists every object the
    collector tracks (a Value holds references, so it is tracked) without collecting."""
    return sum(1 for obj in gc.get_objects() if isinstance(obj, cls))


def build_and_train_a_small_model(value_class: type) -> object:
    """A 3-input neuron on 50 examples with a squared error, with backward run."""
    weights = [value_class(0.1 * (i + 1)) for i in range(3)]
    loss = value_class(0.0)
    for example in range(50):
        inputs = [(example + i) / 50 for i in range(3)]
        guess = value_class(0.5)
        for w, x in zip(weights, inputs):
            guess = guess + w * x
        error = guess + (-1.0)
        loss = loss + error * error
    loss.backward()
    return loss


def test_a_dropped_graph_is_freed_without_the_cyclic_collector() -> None:
    gc.collect()  # earlier tests may have left garbage; start from a clean baseline
    with cyclic_collector_disabled():
        before = count_live(Value)
        loss = build_and_train_a_small_model(Value)
        assert count_live(Value) > before + 500, "the graph must exist before we drop it"
        del loss
        assert count_live(Value) == before, "every node was freed by reference counting"

        # Control: the same count does see a graph kept alive by a reference cycle,
        # so the assertion above could fail.
        loss = build_and_train_a_small_model(Value)
        cycle: list[object] = [loss]
        cycle.append(cycle)
        del loss, cycle
        assert count_live(Value) > before + 500
        gc.collect()
        assert count_live(Value) == before


def test_a_closure_based_engine_needs_the_cyclic_collector() -> None:
    """micrograd's _backward closures point back at their node: a cycle per node."""
    micrograd_engine = pytest.importorskip(
        "micrograd.engine", reason="micrograd is not a dependency; this is a comparison only"
    )
    closure_value = micrograd_engine.Value
    gc.collect()
    with cyclic_collector_disabled():
        before = count_live(closure_value)
        build_and_train_a_small_model(closure_value)
        assert count_live(closure_value) > before + 500, "left for the cyclic collector"
        gc.collect()
        assert count_live(closure_value) == before


def collections_so_far() -> list[int]:
    """How many times the cyclic collector has run, per generation."""
    return [generation["collections"] for generation in gc.get_stats()]


def test_backward_never_wakes_the_cyclic_collector() -> None:
    """backward() makes no per-node objects that the collector tracks.

    The collector runs once 700 more tracked objects (tuples, lists, Values...) are
    alive than at its last run, so any such object kept per node during backward()
    would start a collection on this graph of 100,000 nodes.
    """
    y = Value(0.5)
    for _ in range(20_000):
        y = (y * 1.0001 + 0.1).tanh()
    gc.collect()
    before = collections_so_far()
    y.backward()
    assert collections_so_far() == before

    # Control: keeping one small tuple per node does wake it.
    kept = [(node, node.grad) for node in topological_order(y)]
    assert collections_so_far() != before, f"{len(kept)} tuples kept, no collection"


# ----------------------------------------------------------------------
# micrograd compatibility: a teaching script runs by changing the import
# ----------------------------------------------------------------------


def micrograd_lecture_script(value_class: type) -> list[tuple[float, float]]:
    """A micrograd-style script: a neuron with relu, a loss with every op micrograd has."""
    Value = value_class  # the script is written as in a lecture
    x1, x2 = Value(2.0), Value(-1.5)
    w1, w2, b = Value(-3.0), Value(1.25), Value(6.5)
    n = x1 * w1 + x2 * w2 + b
    o = n.relu()
    h = (o * 2 - 1) ** 2 + 1 / (o + 1) - (x1 / w2) + 3 * x2 - 0.5 + (-w1) ** 3
    p = Value(-0.5).relu() + Value(0.7).relu() * h + (h - 4) / 3
    p.backward()
    return [(v.data, v.grad) for v in (x1, x2, w1, w2, b, n, o, h, p)]


def test_a_micrograd_teaching_script_gives_micrograd_numbers() -> None:
    micrograd_engine = pytest.importorskip(
        "micrograd.engine", reason="micrograd is not a dependency; this is a comparison only"
    )
    ours = micrograd_lecture_script(Value)
    theirs = micrograd_lecture_script(micrograd_engine.Value)
    assert ours == [pytest.approx(pair, rel=1e-12) for pair in theirs]


def test_the_lecture_neuron_with_tanh_and_exp() -> None:
    """The neuron of the micrograd lecture, with tanh written directly and via exp.

    Its weights are chosen so that n = 0.8814 and o = tanh(n) = 1/sqrt(2); then
    do/dn = 1 - o^2 = 0.5, and each input's blame is 0.5 times its weight.
    """
    for use_exp in (False, True):
        x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
        w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
        b = Value(6.8813735870195432, label="b")
        n = x1 * w1 + x2 * w2 + b
        if use_exp:
            e = (2 * n).exp()
            o = (e - 1) / (e + 1)
        else:
            o = n.tanh()
        o.backward()
        assert o.data == pytest.approx(1 / math.sqrt(2), rel=1e-12)
        assert n.grad == pytest.approx(0.5, rel=1e-12)
        grads = [x1.grad, w1.grad, x2.grad, w2.grad, b.grad]
        assert grads == pytest.approx([-1.5, 1.0, 0.5, 0.0, 0.5], rel=1e-12)


def test_the_lecture_backprop_by_hand_with_backward_of_each_node() -> None:
    """The lecture sets o.grad = 1 and calls _backward() on each node from the output
    down: every node hands its blame to its children, as backward() does in one go."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x2w2 = x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    o = n.tanh()
    o.grad = 1.0
    for node in (o, n, b, x1w1x2w2, x2w2, x1w1, x2, w2, x1, w1):  # leaves do nothing
        node._backward()
    by_hand = [node.grad for node in (n, x1w1x2w2, x1, w1, x2, w2, b)]

    for node in topological_order(o):
        node.grad = 0.0
    o.backward()
    assert by_hand == [node.grad for node in (n, x1w1x2w2, x1, w1, x2, w2, b)]
    assert by_hand[2:] == pytest.approx([-1.5, 1.0, 0.5, 0.0, 0.5], rel=1e-12)
