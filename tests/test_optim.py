"""Optimizers: one step matches the formula worked by hand, and steps reduce a loss."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microgradx import Value
from microgradx.losses import mse
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
