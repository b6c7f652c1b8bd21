"""Losses: their values against the formulas, their gradients against central differences."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from microgradx import Value
from microgradx.gradcheck import gradcheck
from microgradx.losses import (
    binary_cross_entropy_with_logits,
    hinge,
    l2_penalty,
    logsumexp,
    mse,
    softmax,
    softmax_cross_entropy,
)

# Edge points first (0, negatives, large magnitudes), then anything in between.
edges = st.sampled_from([0.0, -0.0, 1.0, -1.0, 1e-9, -2.5, 50.0, -50.0])
moderate = st.floats(-30.0, 30.0, allow_nan=False) | edges
huge = st.sampled_from([1000.0, -1000.0, 700.0, -745.0])
logit = moderate | huge


def lists(elements, min_size=1, max_size=5):
    return st.lists(elements, min_size=min_size, max_size=max_size)


def backprop(loss_of, numbers):
    """The loss Value and the gradient of every input, by backward()."""
    inputs = [Value(x) for x in numbers]
    loss = loss_of(inputs)
    loss.backward()
    return loss, [x.grad for x in inputs]


# ----------------------------------------------------------------------
# Mean squared error
# ----------------------------------------------------------------------


@given(st.data(), lists(moderate))
def test_mse_value_and_gradient(data, predictions):
    targets = data.draw(lists(moderate, len(predictions), len(predictions)))
    n = len(predictions)
    loss, grads = backprop(lambda ps: mse(ps, targets), predictions)
    expected = sum((p - t) ** 2 for p, t in zip(predictions, targets)) / n
    assert loss.data == pytest.approx(expected, rel=1e-12, abs=1e-12)
    for grad, p, t in zip(grads, predictions, targets):
        assert grad == pytest.approx(2 * (p - t) / n, rel=1e-12, abs=1e-12)
    assert gradcheck(lambda *ps: mse(list(ps), targets), predictions)


def test_mse_of_one_guess_needs_no_lists():
    guess = Value(4.2)
    loss = mse(guess, 5.0)
    loss.backward()
    assert loss.data == pytest.approx(0.64)
    assert guess.grad == pytest.approx(2 * (4.2 - 5.0))


def test_mse_targets_may_be_values_and_get_blame_too():
    guess, truth = Value(3.0), Value(1.0)
    mse([guess], [truth]).backward()
    assert (guess.grad, truth.grad) == (4.0, -4.0)


# ----------------------------------------------------------------------
# Hinge (max-margin)
# ----------------------------------------------------------------------


@given(st.data(), lists(moderate))
def test_hinge_value_and_gradient(data, scores):
    labels = data.draw(lists(st.sampled_from([-1, 1]), len(scores), len(scores)))
    assume(all(abs(1 - y * s) > 1e-3 for s, y in zip(scores, labels)))  # away from the kink
    n = len(scores)
    loss, grads = backprop(lambda ss: hinge(ss, labels), scores)
    assert loss.data == pytest.approx(
        sum(max(0.0, 1 - y * s) for s, y in zip(scores, labels)) / n, abs=1e-12
    )
    for grad, s, y in zip(grads, scores, labels):
        assert grad == pytest.approx(-y / n if y * s < 1 else 0.0)
    assert gradcheck(lambda *ss: hinge(list(ss), labels), scores)


def test_hinge_blames_only_scores_short_of_the_margin():
    right, short, wrong = Value(2.0), Value(0.5), Value(-1.0)
    loss = hinge([right, short, wrong], [1, 1, 1])
    loss.backward()
    assert loss.data == pytest.approx((0.0 + 0.5 + 2.0) / 3)
    assert [right.grad, short.grad, wrong.grad] == pytest.approx([0.0, -1 / 3, -1 / 3])


# ----------------------------------------------------------------------
# Binary cross-entropy from logits
# ----------------------------------------------------------------------


def sigmoid(z):
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


def softplus(z):
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


@given(st.data(), lists(logit))
def test_binary_cross_entropy_value_and_gradient(data, logits):
    targets = data.draw(lists(st.sampled_from([0, 1]) | st.floats(0, 1), len(logits), len(logits)))
    n = len(logits)
    loss, grads = backprop(lambda zs: binary_cross_entropy_with_logits(zs, targets), logits)
    expected = sum(softplus(z) - y * z for z, y in zip(logits, targets)) / n
    assert loss.data == pytest.approx(expected, rel=1e-9, abs=1e-12)
    for grad, z, y in zip(grads, logits, targets):
        assert grad == pytest.approx((sigmoid(z) - y) / n, rel=1e-9, abs=1e-12)
    assert gradcheck(lambda *zs: binary_cross_entropy_with_logits(list(zs), targets), logits)


@pytest.mark.parametrize(
    ("z", "y", "loss", "grad"),
    [
        (1000.0, 1, 0.0, 0.0),
        (1000.0, 0, 1000.0, 1.0),
        (-1000.0, 0, 0.0, 0.0),
        (-1000.0, 1, 1000.0, -1.0),
        (0.0, 1, math.log(2), -0.5),
        (0.0, 0, math.log(2), 0.5),
    ],
)
def test_binary_cross_entropy_is_exact_at_extreme_logits_and_at_zero(z, y, loss, grad):
    logit_value = Value(z)
    result = binary_cross_entropy_with_logits(logit_value, y)
    result.backward()
    assert result.data == pytest.approx(loss, abs=1e-12)
    assert logit_value.grad == pytest.approx(grad, abs=1e-12)


# ----------------------------------------------------------------------
# Softmax, log-sum-exp and softmax cross-entropy
# ----------------------------------------------------------------------


def reference_logsumexp(zs):
    m = max(zs)
    return m + math.log(sum(math.exp(z - m) for z in zs))


@given(lists(logit, min_size=1, max_size=6))
def test_logsumexp_value_and_gradient_is_softmax(zs):
    loss, grads = backprop(logsumexp, zs)
    assert loss.data == pytest.approx(reference_logsumexp(zs), rel=1e-12, abs=1e-12)
    probabilities = [p.data for p in softmax(zs)]
    assert grads == pytest.approx(probabilities, abs=1e-12)
    assert gradcheck(lambda *vs: logsumexp(list(vs)), zs)


@given(lists(logit, min_size=1, max_size=6))
def test_softmax_is_a_probability_distribution(zs):
    probabilities = [p.data for p in softmax(zs)]
    assert all(0.0 <= p <= 1.0 for p in probabilities)
    assert sum(probabilities) == pytest.approx(1.0)
    assert probabilities[zs.index(max(zs))] == max(probabilities)  # the top score wins


@given(lists(moderate, min_size=2, max_size=5), st.data())
def test_softmax_gradient(zs, data):
    i = data.draw(st.integers(0, len(zs) - 1))
    j = data.draw(st.integers(0, len(zs) - 1))
    _, grads = backprop(lambda vs: softmax(vs)[i], zs)
    p = [q.data for q in softmax(zs)]
    assert grads[j] == pytest.approx(p[i] * ((i == j) - p[j]), abs=1e-12)
    assert gradcheck(lambda *vs: softmax(list(vs))[i], zs)


@given(lists(logit, min_size=2, max_size=6), st.data())
def test_softmax_cross_entropy_value_and_gradient(zs, data):
    target = data.draw(st.integers(0, len(zs) - 1))
    loss, grads = backprop(lambda vs: softmax_cross_entropy(vs, target), zs)
    assert loss.data == pytest.approx(reference_logsumexp(zs) - zs[target], rel=1e-9, abs=1e-12)
    p = [q.data for q in softmax(zs)]
    expected = [pi - (i == target) for i, pi in enumerate(p)]
    assert grads == pytest.approx(expected, abs=1e-12)
    assert gradcheck(lambda *vs: softmax_cross_entropy(list(vs), target), zs)


def test_softmax_cross_entropy_of_a_batch_is_the_mean():
    batch = [[Value(1.0), Value(2.0), Value(0.5)], [Value(-1.0), Value(3.0), Value(0.0)]]
    loss = softmax_cross_entropy(batch, [0, 1])
    one = softmax_cross_entropy([1.0, 2.0, 0.5], 0).data
    two = softmax_cross_entropy([-1.0, 3.0, 0.0], 1).data
    assert loss.data == pytest.approx((one + two) / 2)
    loss.backward()
    assert sum(v.grad for v in batch[0]) == pytest.approx(0.0, abs=1e-12)
    assert batch[1][1].grad < 0  # raising the true class's score lowers the loss


def test_softmax_cross_entropy_is_stable_at_extreme_logits():
    zs = [Value(1000.0), Value(-1000.0), Value(0.0)]
    loss = softmax_cross_entropy(zs, 1)
    loss.backward()
    assert loss.data == pytest.approx(2000.0)
    assert [z.grad for z in zs] == pytest.approx([1.0, -1.0, 0.0])


# ----------------------------------------------------------------------
# L2 penalty
# ----------------------------------------------------------------------


@given(lists(moderate, max_size=8), st.floats(0.0, 10.0))
def test_l2_penalty_value_and_gradient(weights, alpha):
    loss, grads = backprop(lambda ws: l2_penalty(ws, alpha), weights)
    assert loss.data == pytest.approx(alpha * sum(w * w for w in weights), rel=1e-12, abs=1e-12)
    assert grads == pytest.approx([2 * alpha * w for w in weights], rel=1e-12, abs=1e-12)
    assert gradcheck(lambda *ws: l2_penalty(ws, alpha), weights)


# ----------------------------------------------------------------------
# Bad input gets a clear error
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: mse([1.0, 2.0], [1.0]), ValueError, "one target per prediction"),
        (lambda: mse([], []), ValueError, "at least one"),
        (lambda: mse(["a"], [1.0]), TypeError, "str"),
        (lambda: hinge([1.0, 2.0], [1, 0]), ValueError, "-1 or +1"),
        (lambda: hinge([1.0], [1, 1]), ValueError, "one label per score"),
        (lambda: hinge([1.0], [Value(1.0)]), TypeError, "value.data"),
        (lambda: binary_cross_entropy_with_logits([1.0], [2]), ValueError, "between 0 and 1"),
        (lambda: binary_cross_entropy_with_logits([1.0], [None]), TypeError, "NoneType"),
        (lambda: softmax_cross_entropy([1.0, 2.0], 2), ValueError, "classes are 0 to 1"),
        (lambda: softmax_cross_entropy([1.0, 2.0], -1), ValueError, "not a class"),
        (lambda: softmax_cross_entropy([[1.0, 2.0]], [0.5]), TypeError, "class indices"),
        (lambda: softmax_cross_entropy([[1.0, 2.0]], [0, 1]), ValueError, "one target"),
        (lambda: softmax_cross_entropy([1.0, 2.0], [0]), TypeError, "list of score lists"),
        (lambda: l2_penalty([1.0], 0.1), TypeError, "model.parameters()"),
        (lambda: l2_penalty([], 0.1), ValueError, "no parameters"),
        (lambda: l2_penalty([Value(1.0)], -1), ValueError, ">= 0"),
        (lambda: softmax([]), ValueError, "at least one"),
    ],
)
def test_bad_input_gets_a_clear_error(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)


# ----------------------------------------------------------------------
# Common mistakes, each with an error naming the argument and the position
# ----------------------------------------------------------------------


def test_l2_penalty_takes_the_model_itself():
    from microgradx.nn import MLP

    model = MLP(2, [3, 1], seed=0)
    assert l2_penalty(model, 0.1).data == l2_penalty(model.parameters(), 0.1).data
    assert l2_penalty(Value(3.0), 0.5).data == 4.5  # a single knob


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: l2_penalty(3, 0.1), TypeError, "Pass model.parameters() or the model itself"),
        (lambda: l2_penalty([Value(1.0)], math.inf), ValueError, "alpha"),
        (lambda: l2_penalty([Value(1.0)], math.nan), ValueError, "alpha"),
        (lambda: l2_penalty([Value(1.0)], 10**400), ValueError, "alpha"),
        (
            lambda: mse([1.0, 2.0], [1.0, math.nan]),
            ValueError,
            "targets must be finite numbers, got nan at position 2",
        ),
        (
            lambda: mse([1.0, math.inf], [1.0, 2.0]),
            ValueError,
            "predictions must be finite numbers, got inf at position 2",
        ),
        (lambda: mse([1.0], [10**400]), ValueError, "at position 1"),
        (
            lambda: hinge([1.0, 2.0], [1, math.nan]),
            ValueError,
            "labels must be finite numbers, got nan at position 2",
        ),
        (lambda: binary_cross_entropy_with_logits([0.0], [math.nan]), ValueError, "at position 1"),
        (lambda: softmax([1.0, math.nan]), ValueError, "at position 2"),
    ],
)
def test_mistakes_get_an_error_naming_the_argument(call, error, words):
    with pytest.raises(error) as caught:
        call()
    assert words in str(caught.value)


def test_errors_quote_huge_inputs_shortly():
    with pytest.raises(TypeError) as caught:
        mse(["x" * 100_000], [1.0])
    assert len(str(caught.value)) < 300


# ----------------------------------------------------------------------
# Relative precision for confident predictions (log1p and softplus from the table)
# ----------------------------------------------------------------------


@pytest.mark.parametrize("logit", [20.0, 50.0, 300.0])
def test_binary_cross_entropy_keeps_its_precision_when_the_model_is_confident_and_right(
    logit: float,
) -> None:
    """The true loss -log(sigmoid(z)) = log1p(e^-z): 1.9e-22 at z = 50, not 0."""
    z = Value(logit)
    loss = binary_cross_entropy_with_logits(z, 1)
    loss.backward()
    assert loss.data == math.log1p(math.exp(-logit))
    assert loss.data > 0.0
    assert z.grad == pytest.approx(-math.exp(-logit) / (1.0 + math.exp(-logit)), rel=1e-15)
    assert binary_cross_entropy_with_logits(Value(-logit), 0).data == loss.data


def test_binary_cross_entropy_with_a_probability_target_is_still_its_formula() -> None:
    z, y = 0.8, 0.25
    expected = y * math.log1p(math.exp(-z)) + (1 - y) * (z + math.log1p(math.exp(-z)))
    assert binary_cross_entropy_with_logits(Value(z), y).data == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("target", [0, 1])
def test_softmax_cross_entropy_is_exact_to_the_last_bits_at_large_close_logits(
    target: int,
) -> None:
    """Logits 1000 and 990: the loss of the top class is log1p(e^-10), computed exactly."""
    expected = [math.log1p(math.exp(-10.0)), 10.0 + math.log1p(math.exp(-10.0))][target]
    zs = [Value(1000.0), Value(990.0)]
    loss = softmax_cross_entropy(zs, target)
    loss.backward()
    assert loss.data == expected
    p_top = 1.0 / (1.0 + math.exp(-10.0))
    expected_grads = [p_top - (target == 0), (1.0 - p_top) - (target == 1)]
    assert [z.grad for z in zs] == pytest.approx(expected_grads, rel=1e-12, abs=1e-16)


def test_logsumexp_adds_the_small_terms_with_log1p() -> None:
    assert logsumexp([1000.0, 990.0]).data == 1000.0 + math.log1p(math.exp(-10.0))
    assert logsumexp([3.0]).data == 3.0
