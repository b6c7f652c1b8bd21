"""Optimizers: one step matches the formula worked by hand, and steps reduce a loss."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microgradx import Value
from microgradx.losses import mse
from microgradx.messages import quoted
from microgradx.nn import MLP
from microgradx.optim import SGD, Adam

finite = st.floats(-100.0, 100.0, allow_nan=False)


def knob(data, grad, label="w"):
    p = Value(data, label=label)
    p.grad = grad
    return p


# ----------------------------------------------------------------------
# One step, worked by hand
# ----------------------------------------------------------------------


@given(finite, finite, st.floats(1e-4, 1.0))
def test_plain_sgd_nudges_by_learning_rate_times_blame(data, grad, lr):
    p = knob(data, grad)
    SGD([p], lr=lr).step()
    assert p.data == data - lr * grad


def test_sgd_weight_decay_adds_a_pull_towards_zero():
    p = knob(2.0, 0.5)
    SGD([p], lr=0.1, weight_decay=0.01).step()
    assert p.data == pytest.approx(2.0 - 0.1 * (0.5 + 0.01 * 2.0))


def test_sgd_momentum_keeps_a_running_nudge():
    p = knob(1.0, 2.0)
    optimizer = SGD([p], lr=0.1, momentum=0.9)
    optimizer.step()  # v = 2.0
    assert p.data == pytest.approx(1.0 - 0.1 * 2.0)
    p.grad = -1.0
    optimizer.step()  # v = 0.9 * 2.0 - 1.0 = 0.8
    assert p.data == pytest.approx(0.8 - 0.1 * 0.8)


def test_adam_first_step_moves_each_knob_by_about_lr_whatever_its_blame():
    big, tiny, none = knob(1.0, 1000.0), knob(1.0, -0.001), knob(1.0, 0.0)
    Adam([big, tiny, none], lr=0.01).step()
    assert big.data == pytest.approx(1.0 - 0.01)
    assert tiny.data == pytest.approx(1.0 + 0.01, rel=1e-6)
    assert none.data == 1.0


def test_adam_two_steps_match_the_formula():
    lr, b1, b2, eps = 0.1, 0.8, 0.9, 1e-8
    p = knob(0.5, 2.0)
    optimizer = Adam([p], lr=lr, betas=(b1, b2), eps=eps, weight_decay=0.1)
    expected, m, v = 0.5, 0.0, 0.0
    for t, grad in enumerate([2.0, -1.0], start=1):
        p.grad = grad
        g = grad + 0.1 * expected
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        expected -= lr * (m / (1 - b1**t)) / (math.sqrt(v / (1 - b2**t)) + eps)
        optimizer.step()
        assert p.data == pytest.approx(expected, rel=1e-12)


def test_zero_grad_clears_every_blame():
    params = [knob(1.0, 3.0), knob(2.0, -1.0)]
    SGD(params, lr=0.1).zero_grad()
    assert [p.grad for p in params] == [0.0, 0.0]


def test_a_knob_listed_twice_is_nudged_once():
    p = knob(1.0, 1.0)
    SGD([p, p], lr=0.5).step()
    assert p.data == 0.5


def test_the_learning_rate_can_change_between_steps_and_is_checked():
    p = knob(1.0, 1.0)
    optimizer = SGD([p], lr=0.5)
    optimizer.lr = 0.25
    optimizer.step()
    assert p.data == 0.75
    with pytest.raises(ValueError, match="greater than 0"):
        optimizer.lr = 0.0


# ----------------------------------------------------------------------
# Steps reduce a loss
# ----------------------------------------------------------------------


def train(make_optimizer, steps=60):
    model = MLP(2, [6, 1], seed=0)
    xs = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [-1.0, 0.5]]
    ys = [1.0, -1.0, 0.5, 0.0]
    optimizer = make_optimizer(model.parameters())
    losses = []
    for _ in range(steps):
        loss = mse([model(x) for x in xs], ys)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.data)
    return losses


@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda ps: SGD(ps, lr=0.1),
        lambda ps: SGD(ps, lr=0.05, momentum=0.9),
        lambda ps: SGD(ps, lr=0.1, weight_decay=1e-3),
        lambda ps: Adam(ps, lr=0.02),
    ],
    ids=["sgd", "sgd-momentum", "sgd-weight-decay", "adam"],
)
def test_optimizers_reduce_a_loss(make_optimizer):
    losses = train(make_optimizer)
    assert losses[-1] < 0.2 * losses[0]


@pytest.mark.parametrize("optimizer", [SGD, Adam])
def test_a_quadratic_bowl_is_descended_to_its_bottom(optimizer):
    w = Value(-4.0, label="w")
    step = optimizer([w], lr=0.1)
    for _ in range(300):
        loss = (w - 3.0) ** 2
        step.zero_grad()
        loss.backward()
        step.step()
    assert w.data == pytest.approx(3.0, abs=1e-2)


# ----------------------------------------------------------------------
# Bad input gets a clear error
# ----------------------------------------------------------------------


def test_a_step_that_would_make_a_knob_infinite_is_refused_and_changes_nothing():
    safe, wild = knob(1.0, 1.0, "safe"), knob(1.0, 1e308, "L1.N1.w1")
    optimizer = SGD([safe, wild], lr=1e10)
    with pytest.raises(FloatingPointError, match=r"L1\.N1\.w1.*diverged.*learning rate"):
        optimizer.step()
    assert (safe.data, wild.data) == (1.0, 1.0)


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: SGD([], lr=0.1), ValueError, "empty list of parameters"),
        (lambda: SGD(Value(1.0), lr=0.1), TypeError, "single Value"),
        (lambda: SGD(MLP(1, [1]), lr=0.1), TypeError, "model.parameters()"),
        (lambda: SGD([1.0], lr=0.1), TypeError, "must be Values, got float"),
        (lambda: SGD([Value(1.0)], lr=0), ValueError, "greater than 0"),
        (lambda: SGD([Value(1.0)], lr=-0.1), ValueError, "greater than 0"),
        (lambda: SGD([Value(1.0)], lr="0.1"), TypeError, "must be a number, got str"),
        (lambda: SGD([Value(1.0)], lr=math.nan), ValueError, "finite"),
        (lambda: SGD([Value(1.0)], lr=0.1, momentum=1.0), ValueError, "below 1"),
        (lambda: SGD([Value(1.0)], lr=0.1, weight_decay=-1), ValueError, "at least 0"),
        (lambda: Adam([Value(1.0)], betas=(0.9,)), ValueError, "pair"),
        (lambda: Adam([Value(1.0)], betas=(0.9, 1.0)), ValueError, "below 1"),
        (lambda: Adam([Value(1.0)], eps=0.0), ValueError, "eps"),
    ],
)
def test_bad_settings_get_a_clear_error(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)


# ----------------------------------------------------------------------
# A refused step changes nothing; a retry gives a first try's numbers
# ----------------------------------------------------------------------


def optimizer_state(optimizer) -> dict:
    """Everything a step may change: the knobs and the optimizer's own memory."""
    state = {"knobs": [p.data for p in optimizer.params]}
    for name in ("velocities", "means", "squares", "steps"):
        if hasattr(optimizer, name):
            value = getattr(optimizer, name)
            state[name] = list(value) if isinstance(value, list) else value
    return state


def refusable(make):
    """Two knobs after two ordinary steps, and a blame that the third step must refuse."""
    safe, wild = knob(1.0, 0.5, "safe"), knob(2.0, -0.25, "L1.N1.w1")
    optimizer = make([safe, wild])
    for grads in [(0.5, -0.25), (0.3, 0.1)]:
        safe.grad, wild.grad = grads
        optimizer.step()
    return optimizer, safe, wild


OPTIMIZERS_AND_BAD_BLAME = [
    (lambda ps: SGD(ps, lr=10.0), 1e308),  # the nudge 10 * 1e308 overflows
    (lambda ps: SGD(ps, lr=0.1, momentum=0.9), math.inf),  # a blame that is not finite
    (lambda ps: SGD(ps, lr=10.0, momentum=0.9, weight_decay=0.01), 1e308),
    (lambda ps: Adam(ps, lr=0.01), 1e200),  # its square overflows
    (lambda ps: Adam(ps, lr=0.01, weight_decay=0.1), -1e160),
]
IDS = ["sgd", "sgd-momentum-inf", "sgd-momentum-decay", "adam", "adam-decay"]


@pytest.mark.parametrize(("make", "bad_blame"), OPTIMIZERS_AND_BAD_BLAME, ids=IDS)
def test_a_refused_step_leaves_knobs_and_optimizer_state_as_they_were(make, bad_blame):
    optimizer, safe, wild = refusable(make)
    before = optimizer_state(optimizer)
    safe.grad, wild.grad = 0.2, bad_blame
    with pytest.raises(FloatingPointError, match=r"L1\.N1\.w1.*No knob was changed"):
        optimizer.step()
    assert optimizer_state(optimizer) == before


@pytest.mark.parametrize(("make", "bad_blame"), OPTIMIZERS_AND_BAD_BLAME, ids=IDS)
def test_a_retry_after_fixing_the_blame_gives_exactly_a_first_trys_numbers(make, bad_blame):
    retried, safe, wild = refusable(make)
    safe.grad, wild.grad = 0.2, bad_blame
    with pytest.raises(FloatingPointError):
        retried.step()
    safe.grad, wild.grad = 0.2, 0.7  # fixed
    retried.step()
    retried.step()

    first_try, safe2, wild2 = refusable(make)
    safe2.grad, wild2.grad = 0.2, 0.7
    first_try.step()
    first_try.step()
    assert optimizer_state(retried) == optimizer_state(first_try)  # bit for bit


def test_adam_refuses_a_blame_whose_square_would_overflow_instead_of_freezing_the_knob():
    p = knob(1.0, 1e200, "L2.N1.b")
    optimizer = Adam([p], lr=0.1)
    with pytest.raises(FloatingPointError, match=r"L2\.N1\.b.*running square"):
        optimizer.step()
    assert optimizer.squares == [0.0] and optimizer.steps == 0
    p.grad = 1.0
    optimizer.step()
    assert p.data == pytest.approx(0.9)  # it still moves


def test_adam_takes_a_large_blame_whose_square_fits():
    p = knob(1.0, 1e150)
    Adam([p], lr=0.1).step()
    assert p.data == pytest.approx(0.9)


def test_an_unlabelled_knob_is_named_by_its_place():
    p = Value(1.0)
    p.grad = math.inf
    with pytest.raises(FloatingPointError, match=r"parameter 1 \(of 2, unlabelled\)"):
        SGD([Value(0.0), p], lr=0.1).step()


# ----------------------------------------------------------------------
# Settings are checked before they are stored
# ----------------------------------------------------------------------

BAD_SETTINGS = [
    (lambda ps: SGD(ps, lr=0.1), "lr", -0.5, ValueError, "greater than 0"),
    (lambda ps: SGD(ps, lr=0.1), "lr", 10**400, ValueError, "lr (the learning rate) must be"),
    (lambda ps: SGD(ps, lr=0.1), "lr", "0.1", TypeError, "must be a number"),
    (lambda ps: SGD(ps, lr=0.1, momentum=0.5), "momentum", 1.5, ValueError, "below 1"),
    (lambda ps: SGD(ps, lr=0.1, momentum=0.5), "momentum", math.nan, ValueError, "finite"),
    (lambda ps: SGD(ps, lr=0.1), "weight_decay", -1.0, ValueError, "at least 0"),
    (lambda ps: Adam(ps), "lr", math.inf, ValueError, "finite"),
    (lambda ps: Adam(ps), "betas", (0.9, 1.0), ValueError, "betas[1]"),
    (lambda ps: Adam(ps), "betas", (2.0, 0.9), ValueError, "betas[0]"),
    (lambda ps: Adam(ps), "betas", 0.9, ValueError, "pair"),
    (lambda ps: Adam(ps), "beta1", -0.1, ValueError, "betas[0]"),
    (lambda ps: Adam(ps), "beta2", 1.0, ValueError, "betas[1]"),
    (lambda ps: Adam(ps), "eps", 0.0, ValueError, "eps"),
    (lambda ps: Adam(ps), "weight_decay", 10**400, ValueError, "weight_decay"),
]


@pytest.mark.parametrize(
    ("make", "name", "bad", "error", "words"),
    BAD_SETTINGS,
    ids=[f"{name}={quoted(bad, 12)}" for _, name, bad, _, _ in BAD_SETTINGS],
)
def test_a_rejected_setting_never_sticks(make, name, bad, error, words):
    p = knob(1.0, 1.0)
    optimizer = make([p])
    before = getattr(optimizer, name)
    with pytest.raises(error) as caught:
        setattr(optimizer, name, bad)
    assert words in str(caught.value)
    assert len(str(caught.value)) < 300
    assert getattr(optimizer, name) == before
    optimizer.step()
    assert p.data < 1.0  # still descends: no rejected value took effect


@pytest.mark.parametrize(
    ("call", "words"),
    ids=["lr", "eps", "momentum"],
    argvalues=[
        (lambda: SGD([Value(1.0)], lr=10**400), "SGD lr (the learning rate) must be a finite"),
        (lambda: Adam([Value(1.0)], lr=0.1, eps=10**400), "Adam eps must be a finite"),
        (lambda: SGD([Value(1.0)], lr=0.1, momentum=10**400), "SGD momentum must be a finite"),
    ],
)
def test_huge_whole_numbers_get_an_error_naming_the_argument(call, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        call()


def test_settings_can_be_changed_between_steps():
    p = knob(1.0, 1.0)
    optimizer = Adam([p], lr=0.1)
    optimizer.betas = (0.5, 0.6)
    optimizer.eps = 1e-6
    assert (optimizer.beta1, optimizer.beta2, optimizer.eps) == (0.5, 0.6, 1e-6)
    optimizer.step()
    assert p.data == pytest.approx(1.0 - 0.1 * 1.0 / (1.0 + 1e-6))
