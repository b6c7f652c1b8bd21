"""Tapes: a replay gives what a freshly built graph and backward() give, bit for bit.

Equality here is ``==`` on floats (the same bits up to the sign of zero, which is
checked separately): a tape runs the same rules, and adds blame up in the same order.
"""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from microgradx import MLP, Adam, Tape, Value, dot, sum_values
from microgradx.losses import l2_penalty, mse
from microgradx.ops import PRIMITIVES
from microgradx.tape import BatchTape, TapeMismatchError
from microgradx.testing import Expression, expressions, reals

FEW = settings(max_examples=30)


def fresh_leaves(expression: Expression, numbers: list[float]) -> list[Value]:
    return [Value(x, label) for x, label in zip(numbers, expression.labels)]


def eager(expression: Expression, numbers: list[float]) -> tuple[float, list[float]]:
    """The output and every input's grad, from a graph built anew and backward()."""
    leaves = fresh_leaves(expression, numbers)
    output = expression(*leaves)
    output.backward()
    return output.data, [leaf.grad for leaf in leaves]


def every_step_is_used(expression: Expression) -> bool:
    """Whether the output depends on every step (a tape records only the output's graph)."""
    first_step = len(expression.inputs)
    used = {first_step + len(expression.steps) - 1}
    for position in range(first_step + len(expression.steps) - 1, first_step - 1, -1):
        if position in used:
            step = expression.steps[position - first_step]
            used.update(a for a in step.arguments if isinstance(a, int))
    return all(first_step + k in used for k in range(len(expression.steps)))


def outcome(run):
    """What a run gives: ("ok", result) or ("error", type, message)."""
    try:
        return ("ok", run())
    except (ArithmeticError, ValueError) as error:
        return ("error", type(error), str(error))


# ----------------------------------------------------------------------
# Replay equals eager mode
# ----------------------------------------------------------------------


@given(expressions())
def test_a_replay_at_the_recorded_numbers_equals_backward(expression: Expression) -> None:
    leaves = expression.input_values()
    output = expression(*leaves)
    tape = Tape(output)
    assert tape.replay() == output.data
    replayed = [leaf.grad for leaf in leaves]
    assert (output.data, replayed) == eager(expression, list(expression.inputs))


@given(expressions(), st.data())
def test_a_replay_at_new_numbers_equals_a_fresh_graph_or_fails_the_same_way(
    expression: Expression, data: st.DataObject
) -> None:
    """New inputs may leave an op's domain: then both must fail, with the same error."""
    assume(every_step_is_used(expression))
    leaves = expression.input_values()
    tape = Tape(expression(*leaves))
    numbers = data.draw(st.lists(reals(-5, 5), min_size=len(leaves), max_size=len(leaves)))
    for leaf, number in zip(leaves, numbers):
        leaf.data = number
        leaf.grad = 0.0

    def replayed() -> tuple[float, list[float]]:
        return tape.replay(), [leaf.grad for leaf in leaves]

    graph = outcome(lambda: expression(*fresh_leaves(expression, numbers)))
    expected, got = outcome(lambda: eager(expression, numbers)), outcome(replayed)
    if graph[0] == "ok" and expected[0] == "error":  # backward() failed: it names itself
        assert got[:2] == expected[:2], got
        assert got[2].startswith("Tape.replay() gave")
    else:
        assert got == expected
    if got[0] == "error":
        assert [leaf.grad for leaf in leaves] == [0.0] * len(leaves)  # all or nothing


@FEW
@given(expressions(min_steps=30, max_steps=60, max_inputs=2))
def test_deep_random_chains_replay_exactly(expression: Expression) -> None:
    leaves = expression.input_values()
    output = expression(*leaves)
    Tape(output).replay()
    assert [leaf.grad for leaf in leaves] == eager(expression, list(expression.inputs))[1]


def hinge_l2(model: MLP, scores: list[Value], labels: list[Value]) -> Value:
    terms = [(1 - y * s).relu() for s, y in zip(scores, labels)]
    return sum_values(terms) / len(terms) + l2_penalty(model, 1e-4)


def test_ten_training_steps_of_an_mlp_match_eager_mode_bit_for_bit() -> None:
    rng = random.Random(5)
    points = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(30)]
    labels = [1.0 if x * y > 0 else -1.0 for x, y in points]
    eager_model, taped_model = MLP(2, [8, 8, 1], seed=3), MLP(2, [8, 8, 1], seed=3)
    eager_opt, taped_opt = (
        Adam(eager_model.parameters(), 0.05),
        Adam(taped_model.parameters(), 0.05),
    )
    inputs = [[Value(x), Value(y)] for x, y in points]
    targets = [Value(y) for y in labels]
    tape = Tape(hinge_l2(taped_model, [taped_model(x) for x in inputs], targets))
    for _ in range(10):
        loss = hinge_l2(eager_model, [eager_model(p) for p in points], [Value(y) for y in labels])
        eager_opt.zero_grad()
        loss.backward()
        taped_opt.zero_grad()
        assert tape.replay() == loss.data
        assert [p.grad for p in taped_model.parameters()] == [
            p.grad for p in eager_model.parameters()
        ]
        eager_opt.step()
        taped_opt.step()
    assert [p.data for p in taped_model.parameters()] == [p.data for p in eager_model.parameters()]


@pytest.mark.parametrize(
    "op", [Value.relu, abs, lambda v: v.leaky_relu(0.1)], ids=["relu", "abs", "leaky_relu"]
)
def test_ops_with_branches_take_the_branch_the_new_numbers_call_for(op) -> None:
    x, w = Value(2.0, label="x"), Value(0.5, label="w")
    tape = Tape(op(x * w) * 3.0)
    for number in (2.0, -2.0, 0.0, 4.0, -0.5):
        x.data, x.grad, w.grad = number, 0.0, 0.0
        got = tape.replay(), x.grad, w.grad
        a, b = Value(number), Value(0.5)
        out = op(a * b) * 3.0
        out.backward()
        assert got == (out.data, a.grad, b.grad), number


def test_a_replay_after_zero_grad_equals_a_fresh_backward_and_grads_add_up_without_it() -> None:
    model = MLP(3, [4, 1], activation="tanh", seed=1)
    x = [Value(0.3), Value(-1.2), Value(2.0)]
    tape = Tape(mse([model(x)], [0.7]))
    tape.replay()
    once = [p.grad for p in model.parameters()]
    tape.replay()  # no zero_grad: blame adds up, as with two backward() calls
    assert [p.grad for p in model.parameters()] == [g + g for g in once]
    model.zero_grad()
    tape.replay()
    assert [p.grad for p in model.parameters()] == once
    model.zero_grad()
    mse([model(x)], [0.7]).backward()
    assert [p.grad for p in model.parameters()] == once


def test_leaves_used_twice_and_shared_nodes_add_up_in_order() -> None:
    a, b = Value(1.5, label="a"), Value(-0.25, label="b")

    def build(a: Value, b: Value) -> Value:
        t = a * a + a * b
        return dot([t, a, t], [t, b, b]) + sum_values([t, t, a]) + (t * t).tanh()

    tape = Tape(build(a, b))
    for numbers in ((1.5, -0.25), (0.1, 3.0), (-2.0, 0.7)):
        a.data, b.data = numbers
        a.grad = b.grad = 0.0
        result = tape.replay()
        fresh = [Value(n) for n in numbers]
        out = build(*fresh)
        out.backward()
        assert (result, a.grad, b.grad) == (out.data, fresh[0].grad, fresh[1].grad)


def test_a_grad_set_to_minus_zero_by_hand_ends_as_backward_leaves_it() -> None:
    """A node without blame is skipped; x + 0.0 changes only -0.0, so that case is exact too."""
    x, y = Value(-1.0), Value(0.0)
    tape = Tape(x.relu() * y)  # the relu node gets no blame (y is 0)
    x.grad = -0.0
    tape.replay()
    a, b = Value(-1.0), Value(0.0)
    a.grad = -0.0
    (a.relu() * b).backward()
    assert math.copysign(1.0, x.grad) == math.copysign(1.0, a.grad)


# ----------------------------------------------------------------------
# Errors: the same as eager mode, and all or nothing
# ----------------------------------------------------------------------


def eager_error(run) -> tuple[type, str]:
    try:
        run()
    except Exception as error:
        return type(error), str(error)
    raise AssertionError("eager mode raised nothing")


@pytest.mark.parametrize(
    ("build", "good", "bad"),
    [
        (lambda x: x.log(), 3.0, -1.0),
        (lambda x: (x * 2.0).log(), 3.0, 0.0),
        (lambda x: (x - 1.0).sqrt(), 3.0, 0.5),
        (lambda x: 1.0 / x, 3.0, 0.0),
        (lambda x: (x * 800.0).exp(), 0.5, 1.0),
        (lambda x: x**0.5, 3.0, -4.0),
        (lambda x: (x * 1e200) * 1e200, 1e-200, 1.0),  # the result overflows
        (lambda x: (x * 1e300 * 1e10).sin(), 1e-300, 1.0),  # an overflow, then sin(inf)
    ],
)
def test_errors_during_a_replay_are_eager_modes_errors(build, good: float, bad: float) -> None:
    x = Value(good, label="x")
    tape = Tape(build(x) + x)
    x.data, x.grad = bad, 0.25
    with pytest.raises(Exception) as raised:
        tape.replay()
    assert (type(raised.value), str(raised.value)) == eager_error(
        lambda: build(Value(bad, label="x"))
    )
    assert x.grad == 0.25  # all or nothing


def test_a_domain_error_names_the_op_and_the_input() -> None:
    price = Value(4.0, label="price")
    tape = Tape(price.log() * 2.0)
    price.data = -3.0
    with pytest.raises(ValueError, match=r"log\(price\) is undefined for price = -3"):
        tape.replay()


def test_blame_that_overflows_is_an_error_and_no_grad_changes() -> None:
    x, w = Value(1.0, label="x"), Value(2.0, label="w")
    tape = Tape((x * 1e200).sin() * 1e200 + w)
    x.grad, w.grad = 0.5, 0.25
    with pytest.raises(OverflowError, match=r"blame of -?inf.*Every grad was put back"):
        tape.replay()
    assert (x.grad, w.grad) == (0.5, 0.25)
    with pytest.raises(OverflowError):
        ((Value(1.0) * 1e200).sin() * 1e200).backward()  # as eager mode does


def test_a_leaf_set_to_nan_is_named() -> None:
    x = Value(1.0, label="x")
    tape = Tape(x * 2.0)
    x.data = math.nan
    with pytest.raises(ValueError, match="x holds nan"):
        tape.replay()


def test_hand_made_ops_are_refused_by_name() -> None:
    x = Value(2.0, label="x")
    cube = Value(x.data**3, "cube of x", (x,), (3 * x.data**2,), "cube")
    with pytest.raises(TypeError, match=r"hand-made op 'cube' \(the node 'cube of x'\)"):
        Tape(cube + 1.0)


@pytest.mark.parametrize(
    ("output", "error", "words"),
    [(2.0, TypeError, "graph of a Value"), (Value(2.0, label="w"), ValueError, "w = 2.0, a leaf")],
)
def test_a_tape_needs_a_graph(output, error, words) -> None:
    with pytest.raises(error, match=words):
        Tape(output)


# ----------------------------------------------------------------------
# check(), write_back()
# ----------------------------------------------------------------------


def test_check_passes_for_the_same_graph_and_names_a_baked_in_number() -> None:
    x = Value(0.5, label="x")
    label = 1.0
    tape = Tape((1 - label * x).relu())
    assert tape.check((1 - label * x).relu())
    label = -1.0  # a label given as a plain number was fixed on the tape
    with pytest.raises(
        TapeMismatchError,
        match=r"the number -1\.0 \(constant 0\) where the tape has 1\.0.*refill",
    ):
        tape.check((1 - label * x).relu())


def test_check_names_a_graph_that_took_another_path() -> None:
    x = Value(0.5, label="x")

    def build() -> Value:
        return x.tanh() if x.data > 0 else x.sigmoid()  # control flow in the user's code

    tape = Tape(build())
    x.data = -0.5
    with pytest.raises(TapeMismatchError, match="'sigmoid' of 1 inputs where the tape has 'tanh'"):
        tape.check(build())


def test_check_names_a_number_computed_from_data() -> None:
    x = Value(0.5, label="x")
    tape = Tape(x * 2.0 + x.data)  # x.data became a constant
    x.data = 3.0
    with pytest.raises(TapeMismatchError, match=r"the number 3\.0 .* the tape has 0\.5"):
        tape.check(x * 2.0 + x.data)


def test_write_back_shows_the_last_replay_on_the_recorded_nodes() -> None:
    x, w = Value(1.0, label="x"), Value(-2.0, label="w")
    hidden = x * w
    hidden.label = "hidden"
    out = hidden.tanh()
    tape = Tape(out)
    with pytest.raises(RuntimeError, match="replay"):
        tape.write_back()
    x.data = 0.25
    tape.replay()
    assert hidden.data == -2.0  # replays leave the recorded nodes alone
    tape.write_back()
    fresh_x, fresh_w = Value(0.25), Value(-2.0)
    fresh_hidden = fresh_x * fresh_w
    fresh_out = fresh_hidden.tanh()
    fresh_out.backward()
    assert (hidden.data, hidden.grad, hidden.local_grads) == (
        fresh_hidden.data,
        fresh_hidden.grad,
        fresh_hidden.local_grads,
    )
    assert (out.data, out.grad, out.local_grads) == (fresh_out.data, 1.0, fresh_out.local_grads)


def test_numbers_written_into_the_expression_are_constants_read_once() -> None:
    x, unnamed = Value(0.5, label="x"), Value(3.0)  # a Value you hold is a leaf, named or not
    y = (x * 1.5 + 2) * unnamed - Value(0.25) + 1.0  # 1.5, 2 and 1.0 are written in
    tape = Tape(y.tanh())
    assert tape.leaves[:2] == [x, unnamed] and len(tape.leaves) == 3  # Value(0.25): a leaf
    assert [constant.data for constant in tape.constants] == [1.5, 2.0, 1.0]
    assert repr(tape).endswith("from 3 leaves and 3 constants)")
    assert [constant.op for constant in tape.constants] == ["", "", ""]  # read as leaves' ops
    tape.constants[0].data = 99.0  # no code holds a constant: the tape read it once
    x.data = -0.75
    replayed = tape.replay()
    fresh_x = Value(-0.75)
    fresh_unnamed = Value(3.0)
    assert replayed == ((fresh_x * 1.5 + 2) * fresh_unnamed - Value(0.25) + 1.0).tanh().data


def test_replays_leave_constants_alone_and_write_back_gives_their_blame() -> None:
    def build(x: Value, w: Value) -> Value:
        return ((x * 0.5 + w) * 3.0).tanh() * 2.0

    x, w = Value(1.0, label="x"), Value(-2.0, label="w")
    tape = Tape(build(x, w))
    assert [c.data for c in tape.constants] == [0.5, 3.0, 2.0]
    for step in range(3):
        x.data = 0.3 * step - 0.2
        tape.replay()
    assert [c.grad for c in tape.constants] == [0.0, 0.0, 0.0]  # replays do not touch them
    tape.write_back()
    fresh = build(Value(x.data), Value(w.data))
    fresh.backward()
    fresh_grads = [c.grad for c in Tape(fresh).constants]  # the same constants, in order
    assert [c.grad for c in tape.constants] == fresh_grads  # the last replay's blame
    assert all(grad != 0.0 for grad in fresh_grads)


def test_blame_that_overflows_into_a_constant_is_an_error_as_in_eager_mode() -> None:
    x = Value(1e200, label="x")
    tape = Tape((x * 1e-200) * 1e200)  # the blame of 1e-200 is x * 1e200: inf
    x.grad = 0.5
    with pytest.raises(OverflowError, match=r"blame of inf.*Every grad was put back"):
        tape.replay()
    assert x.grad == 0.5
    with pytest.raises(OverflowError, match="blame of inf"):
        ((Value(1e200) * 1e-200) * 1e200).backward()  # as eager mode does


# ----------------------------------------------------------------------
# BatchTape
# ----------------------------------------------------------------------


def test_a_batch_tape_trains_as_eager_mode_does_on_changing_batches() -> None:
    rng = random.Random(2)
    points = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(40)]
    labels = [1.0 if x > y else -1.0 for x, y in points]
    eager_model, taped_model = MLP(2, [6, 1], seed=4), MLP(2, [6, 1], seed=4)
    batches = [rng.sample(range(40), 8) for _ in range(6)]
    tape = BatchTape(
        taped_model,
        lambda scores, ys: hinge_l2(taped_model, scores, ys),
        [points[i] for i in batches[0]],
        [labels[i] for i in batches[0]],
    )
    assert len(tape.inputs) == 8 and tape.inputs[0][1].label == "x1.2"
    for batch in batches:
        eager_model.zero_grad()
        loss = hinge_l2(
            eager_model, [eager_model(points[i]) for i in batch], [labels[i] for i in batch]
        )
        loss.backward()
        taped_model.zero_grad()
        assert tape.replay([points[i] for i in batch], [labels[i] for i in batch]) == loss.data
        assert [p.grad for p in taped_model.parameters()] == [
            p.grad for p in eager_model.parameters()
        ]
        for model in (eager_model, taped_model):
            for p in model.parameters():
                p.data -= 0.1 * p.grad


def test_a_batch_tape_takes_rows_of_targets_and_refuses_another_batch_size() -> None:
    model = MLP(2, [3], seed=0)
    tape = BatchTape(model, lambda outs, ys: mse(outs[0], ys[0]), [[1.0, 2.0]], [[0.0, 1.0, 0.0]])
    assert [y.data for y in tape.targets[0]] == [0.0, 1.0, 0.0]
    tape.replay([[0.5, 0.5]], [[1.0, 0.0, 0.0]])
    assert [y.data for y in tape.targets[0]] == [1.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="batches of 1 examples, got 2"):
        tape.replay([[0.5, 0.5], [1.0, 1.0]], [[1.0, 0.0, 0.0]] * 2)
    with pytest.raises(ValueError, match="finite"):
        tape.replay([[math.inf, 0.5]], [[1.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match="example 1 of the inputs has 3 numbers"):
        tape.replay([[1.0, 2.0, 3.0]], [[1.0, 0.0, 0.0]])
    assert [x.data for x in tape.inputs[0]] == [0.5, 0.5]  # a refused batch changes nothing


# ----------------------------------------------------------------------
# The replay's program (microgradx.tape_code)
# ----------------------------------------------------------------------


def same_bits(a: list[float], b: list[float]) -> bool:
    """Equal, and with the same sign, zeros included."""
    return a == b and [math.copysign(1.0, x) for x in a] == [math.copysign(1.0, x) for x in b]


@settings(max_examples=60)
@given(expressions(max_steps=12), st.data())
def test_runs_of_ops_done_in_one_step_replay_exactly(
    expression: Expression, data: st.DataObject
) -> None:
    """The same expression on three sets of inputs: every run of ops repeats, so its
    ops are done in one step of their own (a branch of the program), as the neurons of a
    network are; the replay equals eager mode, grads and the signs of zeros included."""
    assume(every_step_is_used(expression))
    width = len(expression.inputs)

    def build(numbers: list[float]) -> tuple[Value, list[Value]]:
        leaves = [Value(x, f"x{i}") for i, x in enumerate(numbers)]
        parts = [expression(*leaves[k * width : (k + 1) * width]) for k in range(3)]
        return sum_values(parts), leaves

    output, leaves = build(list(expression.inputs) * 3)
    tape = Tape(output)
    numbers = data.draw(st.lists(reals(-3, 3), min_size=3 * width, max_size=3 * width))
    for leaf, number in zip(leaves, numbers):
        leaf.data = number

    def eager_run() -> tuple[float, list[float]]:
        fresh, fresh_leaves_ = build(numbers)
        fresh.backward()
        return fresh.data, [leaf.grad for leaf in fresh_leaves_]

    expected = outcome(eager_run)
    got = outcome(lambda: (tape.replay(), [leaf.grad for leaf in leaves]))
    assert got[0] == expected[0]  # both fail (maybe at another copy first), or neither
    if got[0] == "ok":
        assert got[1][0] == expected[1][0]
        assert same_bits(got[1][1], expected[1][1])


def test_a_neuron_is_one_step_dot_then_bias_then_activation() -> None:
    model = MLP(3, [4, 1], seed=1)
    inputs = [[Value(0.1 * i), Value(-0.2), Value(0.3)] for i in range(5)]
    tape = Tape(sum_values([model(x) for x in inputs]))
    source = tape.source()
    assert "# dot then + then relu" in source
    assert "append(sum(map(mul, values[a], values[b])))" not in source  # in a run: x = ...
    assert "x = sum(map(mul, values[a], values[b]))" in source
    compile(source, "<shown>", "exec")  # what it shows is the program it runs


def test_many_exponents_share_one_branch_and_rare_runs_are_cut_into_ops() -> None:
    x = Value(0.5, "x")
    terms = [(x * float(k)) ** (1.0 + k / 100) for k in range(200)]  # 200 settings of **n
    tape = Tape(sum_values(terms))
    branches = tape.source().count("code == ") // 2  # each branch is in forward and backward
    assert branches <= 4, tape.source()
    tape.replay()
    eager_x = Value(0.5, "x")
    sum_values([(eager_x * float(k)) ** (1.0 + k / 100) for k in range(200)]).backward()
    assert x.grad == eager_x.grad


def test_only_the_most_common_runs_get_a_branch() -> None:
    from microgradx.tape_code import COMMON_RUNS

    rng = random.Random(2)
    x = Value(0.3, "x")
    ops = [
        lambda v: v.tanh(),
        lambda v: v.relu(),
        lambda v: -v,
        lambda v: abs(v),
        lambda v: v.sin(),
    ]
    parts = []
    for _ in range(300):  # runs of three ops, of 125 kinds, each made from x
        v = x * 1.5
        for _ in range(2):
            v = rng.choice(ops)(v)
        parts.append(v)
    tape = Tape(sum_values(parts))
    runs = [line for line in tape.source().splitlines() if "code == " in line and " then " in line]
    assert 0 < len(runs) // 2 <= COMMON_RUNS
    tape.replay()


@pytest.mark.parametrize(
    "name", [name for name, p in PRIMITIVES.items() if p.inline is not None and p.arity]
)
def test_an_op_written_out_gives_its_rules_numbers_bit_for_bit(name: str) -> None:
    primitive = PRIMITIVES[name]
    result, slopes = primitive.inline  # type: ignore[misc]
    names = ["x0", "x1"][: primitive.arity]
    arguments = ", ".join(names)
    written_out = eval(f"lambda {arguments}: {result.format(*names)}", {"math": math})
    rng = random.Random(7)
    edges = [0.0, -0.0, 1e-300, -1e-300, 0.5, -0.5, 1.0, -1.0, 20.0, -20.0, 1e200, -1e200]
    for _ in range(300):
        numbers = [rng.choice(edges) if rng.random() < 0.4 else rng.uniform(-30, 30) for _ in names]
        out, locals_ = primitive.numbers(*numbers)
        assert same_bits([written_out(*numbers)], [out]), (name, numbers)
        for slope, local in zip(slopes, locals_):
            text = slope.format(*names, out="out")
            given_out = eval(f"lambda {arguments}, out: {text}", {"math": math})
            assert same_bits([given_out(*numbers, out)], [local]), (name, numbers, slope)


def test_a_dot_written_out_gives_its_rules_numbers() -> None:
    result, slopes = PRIMITIVES["dot"].inline  # type: ignore[misc]
    env = {"mul": __import__("operator").mul}
    rng = random.Random(3)
    for n in (1, 2, 5, 16):
        weights = [rng.uniform(-2, 2) for _ in range(n)]
        inputs = [rng.choice([0.0, -0.0, rng.uniform(-2, 2)]) for _ in range(n)]
        out, locals_ = PRIMITIVES["dot"].numbers(weights + inputs)
        assert (
            eval(result.format("weights", "inputs"), env, {"weights": weights, "inputs": inputs})
            == out
        )
        halves = [
            eval(s.format("weights", "inputs"), env, {"weights": weights, "inputs": inputs})
            for s in slopes
        ]
        assert same_bits([*halves[0], *halves[1]], list(locals_))


def test_every_op_written_out_follows_in_a_run_from_either_side() -> None:
    """Runs like (a * w).tanh() * c and c - (a + w): each op written out, on both sides."""
    two = [lambda p, q: p + q, lambda p, q: p - q, lambda p, q: p * q]
    one = [lambda p: p.tanh(), lambda p: p.relu(), lambda p: -p, abs, lambda p: p.sin()]

    def build(numbers: list[float]) -> tuple[Value, list[Value]]:
        leaves = [Value(x, f"x{i}") for i, x in enumerate(numbers)]
        parts = []
        for k in range(0, len(leaves), 3):
            a, w, c = leaves[k : k + 3]
            for f in two:
                for g in one:
                    for h in two:
                        parts += [h(g(f(a, w)), c), h(c, g(f(a, w)))]
        return sum_values(parts), leaves

    rng = random.Random(11)
    output, leaves = build([rng.uniform(-1, 1) for _ in range(6)])
    tape = Tape(output)
    assert tape.source().count(" then ") >= 2 * 30  # the runs have branches of their own
    for _ in range(3):
        numbers = [rng.uniform(-2, 2) for _ in leaves]
        for leaf, number in zip(leaves, numbers):
            leaf.data, leaf.grad = number, 0.0
        fresh, fresh_leaves_ = build(numbers)
        fresh.backward()
        assert tape.replay() == fresh.data
        assert same_bits([leaf.grad for leaf in leaves], [leaf.grad for leaf in fresh_leaves_])
