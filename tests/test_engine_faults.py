"""The engine under faults: nothing lost, nothing silent (issue 10, the engine's part).

* backward() is all or nothing: an overflow (or Ctrl-C) part-way puts every grad back;
* no_grad() belongs to one thread (and one async task);
* local derivatives are always finite, and hand-made ops are checked;
* a Value never silently becomes a float, a bool, or equal to a number;
* labels are checked when assigned; graphs of any depth copy and pickle.
"""

from __future__ import annotations

import asyncio
import copy
import math
import pickle
import threading

import pytest

from microgradx import Value, grad, ops
from microgradx import engine as engine_module
from microgradx.engine import no_grad, topological_order

# ----------------------------------------------------------------------
# backward(): all or nothing
# ----------------------------------------------------------------------


def graph_that_overflows() -> tuple[Value, Value, Value, Value]:
    """out = (w * big) * big: fine forward, but the blame on w is big^2 = inf."""
    w, k = Value(1e-300, label="w"), Value(3.0, label="k")
    big = Value(1e200, label="big")
    out = ((w * big) * big) + k
    return out, w, k, big


def test_an_overflow_in_backward_leaves_every_grad_as_it_was() -> None:
    out, w, k, big = graph_that_overflows()
    # Blame held from earlier passes, by leaves and by an intermediate node.
    w.grad, k.grad, big.grad = 0.25, -1.5, 7.0
    inner = out.children[0]
    inner.grad = 2.0
    before = {node: node.grad for node in topological_order(out)}

    with pytest.raises(OverflowError, match="gave w a blame of inf") as error:
        out.backward()
    assert "Every grad was put back" in str(error.value)
    assert {node: node.grad for node in topological_order(out)} == before
    assert out.grad == 0.0  # so a retry is not refused as "already run"


def test_after_a_refused_backward_a_fixed_graph_gives_a_first_try_s_numbers() -> None:
    out, w, k, big = graph_that_overflows()
    with pytest.raises(OverflowError):
        out.backward()
    big.data = 2.0  # fix the cause, keep the same graph object
    fresh = ((Value(1e-300) * Value(2.0)) * Value(2.0)) + Value(3.0)
    fresh.backward()
    retry = ((w * big) * big) + k
    retry.backward()
    assert w.grad == 4.0 and k.grad == 1.0


def test_an_interrupt_part_way_through_backward_puts_every_grad_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl-C arrives after the blame has been added everywhere: all of it is undone."""
    x = Value(0.5, label="x")
    x.grad = 10.0
    out = (x * x).tanh() * x
    before = {node: node.grad for node in topological_order(out)}

    def interrupted(*arguments: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(engine_module, "_check_blame_is_finite", interrupted)
    with pytest.raises(KeyboardInterrupt):
        out.backward()
    assert {node: node.grad for node in topological_order(out)} == before


def test_backward_still_accumulates_leaf_blame_across_outputs() -> None:
    x = Value(2.0, label="x")
    (x * 3.0).backward()
    (x * x).backward()
    assert x.grad == 3.0 + 4.0


# ----------------------------------------------------------------------
# no_grad() per thread and per async task
# ----------------------------------------------------------------------


def test_no_grad_in_one_thread_does_not_stop_another_thread_recording() -> None:
    inside, recorded = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def evaluating() -> None:
        with no_grad():
            inside.set()
            results["evaluated"] = Value(2.0) * Value(3.0)
            recorded.wait(timeout=10)

    def training() -> None:
        inside.wait(timeout=10)  # the other thread is inside no_grad() right now
        x = Value(2.0, label="x")
        y = x * x
        y.backward()
        results["children"] = y.children
        results["grad"] = x.grad
        recorded.set()

    threads = [threading.Thread(target=evaluating), threading.Thread(target=training)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(results["children"]) == 2  # type: ignore[arg-type]
    assert results["grad"] == 4.0
    assert results["evaluated"].children == ()  # type: ignore[union-attr]
    assert engine_module.is_grad_enabled()


def test_overlapping_no_grad_blocks_in_two_threads_never_switch_recording_off_for_good() -> None:
    """Thread A enters, thread B enters, A leaves, B leaves: both threads record after."""
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    after: dict[str, bool] = {}

    def a() -> None:
        with no_grad():
            a_in.set()
            b_in.wait(timeout=10)
        a_out.set()
        after["a"] = len((Value(1.0) + Value(2.0)).children) == 2

    def b() -> None:
        a_in.wait(timeout=10)
        with no_grad():
            b_in.set()
            a_out.wait(timeout=10)
        after["b"] = len((Value(1.0) + Value(2.0)).children) == 2

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert after == {"a": True, "b": True}
    assert len((Value(1.0) + Value(2.0)).children) == 2  # and the main thread too


def test_no_grad_belongs_to_its_async_task() -> None:
    async def evaluate(started: asyncio.Event, finish: asyncio.Event) -> Value:
        with no_grad():
            started.set()
            await finish.wait()
            return Value(2.0) * Value(3.0)

    async def main() -> tuple[int, int]:
        started, finish = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(evaluate(started, finish))
        await started.wait()  # the other task is inside no_grad() now
        recorded = Value(2.0) * Value(3.0)
        finish.set()
        evaluated = await task
        return len(recorded.children), len(evaluated.children)

    assert asyncio.run(main()) == (2, 0)


# ----------------------------------------------------------------------
# Local derivatives are finite; hand-made ops are checked
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Value(0.5, label="x") ** math.inf, r"x \*\* n needs a finite exponent"),
        (
            lambda: Value(1e-160, label="x") ** -1,
            r"the slope n·x\^\(n-1\) of x .* too large",
        ),
        (lambda: Value(5e-324, label="x").log(), r"log\(x\) at x = 4.94066e-324 has a slope"),
        (lambda: Value(2.0) ** Value(1e308, label="b"), "too large for a float"),
        (lambda: Value(1.0).leaky_relu(math.nan), "finite number"),
    ],
)
def test_an_op_whose_local_derivative_is_not_finite_is_refused(make, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises((ValueError, OverflowError), match=message):
        make()


def test_every_built_in_node_has_finite_local_derivatives() -> None:
    x = Value(1e-150, label="x")
    nodes = [x**-1, x.log(), 1.0 / x, x.sqrt(), ops.log1p(x), ops.softplus(x)]
    for node in nodes:
        assert all(math.isfinite(local) for local in node.local_grads), node.op


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        (((Value(1.0),), ()), ValueError, "1 children but 0 local derivatives"),
        (((), (1.0,)), ValueError, "0 children but 1 local derivatives"),
        (((Value(1.0) for _ in range(1)), (1.0,)), TypeError, "(?i)a generator would be used up"),
        (((2.0,), (1.0,)), TypeError, "every child must be a Value"),
        (((Value(1.0),), (math.nan,)), ValueError, "must be a finite number"),
        (((Value(1.0),), ("3",)), TypeError, "must be a number"),
    ],
)
def test_a_hand_made_op_is_checked(arguments, error, message: str) -> None:  # type: ignore[no-untyped-def]
    children, local_grads = arguments
    with pytest.raises(error, match=message):
        Value(1.0, "", children, local_grads, "cube")


def test_a_hand_made_op_with_a_list_of_children_works() -> None:
    x = Value(2.0, label="x")
    cube = Value(8.0, "", [x], [12.0], "cube")
    cube.backward()
    assert cube.children == (x,) and x.grad == 12.0


# ----------------------------------------------------------------------
# A Value is a node, not a number: conversions and comparisons say so
# ----------------------------------------------------------------------


def test_math_functions_refuse_a_value_and_name_the_fix() -> None:
    for function in (math.exp, math.log, math.sqrt, math.tanh, float):
        with pytest.raises(TypeError, match=r"value\.exp\(\)"):
            function(Value(2.0))  # type: ignore[arg-type]


def test_truth_and_equality_with_numbers_are_errors_with_advice() -> None:
    v = Value(0.0)
    with pytest.raises(TypeError, match=r"value\.data > 0"):
        bool(v)
    with pytest.raises(TypeError, match=r"value\.data == 1\.0"):
        _ = Value(1.0) == 1.0
    with pytest.raises(TypeError, match=r"value\.data != 2"):
        _ = Value(1.0) != 2


def test_values_are_equal_only_to_themselves_and_hash_by_identity() -> None:
    a, b = Value(1.0), Value(1.0)
    assert a == a and a != b and (a == b) is False
    assert len({a, b, a}) == 2 and {a: 1}[a] == 1
    assert a in [b, a] and [b, a].index(a) == 1
    assert (a == "text") is False and a != None  # noqa: E711
    assert Value(1.0) <= 1.0 and Value(2.0) > Value(1.0)  # ordering reads the numbers


def test_formatting_a_value_formats_its_number() -> None:
    assert f"{Value(0.123456):.3f}" == "0.123"
    assert f"{Value(2.0, label='x')}" == "Value(data=2.0, grad=0.0, label='x')"


# ----------------------------------------------------------------------
# Labels are checked when they are set
# ----------------------------------------------------------------------


@pytest.mark.parametrize("bad", [3, None, b"x", ["x"]])
def test_a_label_that_is_not_text_is_refused_when_assigned(bad: object) -> None:
    out = Value(1.0) + Value(2.0)
    with pytest.raises(TypeError, match="label must be a str"):
        out.label = bad  # type: ignore[assignment]
    assert out.label == ""
    with pytest.raises(TypeError, match="label must be a str"):
        Value(1.0, label=bad)  # type: ignore[arg-type]


def test_a_huge_label_is_quoted_short_in_the_error() -> None:
    with pytest.raises(TypeError) as error:
        Value(1.0, label=["x" * 100_000])  # type: ignore[arg-type]
    assert len(str(error.value)) < 400


# ----------------------------------------------------------------------
# Copying and pickling at any depth
# ----------------------------------------------------------------------


def deep_chain(depth: int) -> tuple[Value, Value]:
    x = Value(0.5, label="x")
    y = x
    for _ in range(depth):
        y = (y * 1.0001).tanh()
    return x, y


@pytest.mark.parametrize("depth", [500, 100_000])
def test_a_deep_graph_pickles_and_deep_copies_without_recursion(depth: int) -> None:
    x, y = deep_chain(depth)
    y.backward()
    for copied in (pickle.loads(pickle.dumps(y)), copy.deepcopy(y)):
        assert copied is not y and copied.data == y.data and copied.grad == y.grad
        order = topological_order(copied)
        assert len(order) == len(topological_order(y))
        (copied_x,) = [node for node in order if node.label == "x"]
        assert copied_x.grad == x.grad
        assert copied_x is not x


def test_a_copied_graph_keeps_its_ops_and_can_be_differentiated_again() -> None:
    x = Value(0.3, label="x")
    y = (x**2).sigmoid() + ops.softplus(x)
    copied = pickle.loads(pickle.dumps(y))
    assert [str(node.op) for node in topological_order(copied)] == [
        str(node.op) for node in topological_order(y)
    ]
    assert copied.op.primitive is ops.add
    (leaf,) = [node for node in topological_order(copied) if node.label == "x"]
    (second,) = grad(grad(copied, [leaf], create_graph=True)[0], [leaf])
    (expected,) = grad(grad(y, [x], create_graph=True)[0], [x])
    assert second.data == expected.data


def test_pickling_a_graph_with_its_leaves_keeps_them_shared() -> None:
    w = Value(0.5, label="w")
    loss = (w * 3.0) ** 2
    loss_copy, w_copy = pickle.loads(pickle.dumps([loss, w]))
    assert w_copy in topological_order(loss_copy)
