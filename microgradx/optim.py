"""Optimizers: nudge every knob against its blame.

After ``loss.backward()`` each knob (parameter) holds its blame in ``.grad``:
how much the loss grows when the knob grows a little. ``step()`` moves every
knob a little the other way. In plain gradient descent the nudge is exactly
``learning rate x blame``::

    p.data -= lr * p.grad

Knobs are leaves of the graph, and leaves *add up* blame over ``backward()``
calls. So a training step zeroes the old blame first::

    optimizer = SGD(model.parameters(), lr=0.05)
    for step in range(100):
        loss = mse([model(x) for x in xs], ys)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

**All or nothing.** ``step()`` first works out every new number (each knob, and
the optimizer's own memory: SGD's velocities, Adam's running mean and square
and its step count) and checks that all are finite. Only then does it change
anything. A refused step raises ``FloatingPointError`` naming the knob, and
leaves the knobs and the optimizer exactly as they were, so that after fixing
the cause (a smaller learning rate, smaller blame) the next step gives exactly
the numbers a first try would have given.

**Settings** (``lr``, ``momentum``, ``weight_decay``, ``betas``, ``eps``) can be
changed between steps; each is checked before it is stored, so a rejected value
raises an error and the old one stays.
"""

from __future__ import annotations

import math
from numbers import Real

from microgradx.engine import Value
from microgradx.messages import quoted, shortened

TYPE_CHECKING = False  # the typing module is slow to import; type checkers read this block
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = ["SGD", "Adam", "Optimizer"]


class Optimizer:
    """What every optimizer has: the knobs, a learning rate, a weight decay,
    ``zero_grad()`` and ``step()``."""

    def __init__(self, params: Iterable[Value], lr: float, weight_decay: float = 0.0) -> None:
        self.params = _parameter_list(params, type(self).__name__)
        self.lr = lr
        self.weight_decay = weight_decay

    @property
    def lr(self) -> float:
        """The learning rate: how big a nudge each unit of blame earns. Change it freely."""
        return self._lr

    @lr.setter
    def lr(self, lr: float) -> None:
        self._lr = _number(lr, "lr (the learning rate)", self, above=0.0, hint=" Try 0.01 to 0.1.")

    @property
    def weight_decay(self) -> float:
        """The pull of every knob towards 0 (0 for none)."""
        return self._weight_decay

    @weight_decay.setter
    def weight_decay(self, weight_decay: float) -> None:
        self._weight_decay = _number(weight_decay, "weight_decay", self, low=0.0)

    def zero_grad(self) -> None:
        """Set every knob's blame to 0.0 (call it before each ``backward()``)."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Nudge every knob against its blame."""
        raise NotImplementedError(f"{type(self).__name__} must define step().")

    def _blames(self, weight_decay: float) -> list[float]:
        """Each knob's blame plus ``weight_decay`` x its value, once each is known to be finite."""
        blames = []
        for i, p in enumerate(self.params):
            blame = p.grad + weight_decay * p.data
            if not math.isfinite(blame):
                decay = f" plus weight decay {weight_decay!r} x {p.data!r}" if weight_decay else ""
                raise FloatingPointError(
                    f"{type(self).__name__}.step() refused: the blame of {self._knob(i)} is "
                    f"{p.grad!r}{decay}, which is not a finite number. Check the loss for an "
                    "overflow. No knob was changed."
                )
            blames.append(blame)
        return blames

    def _new_knobs(self, nudges: Sequence[float]) -> list[float]:
        """``p.data - nudge`` for every knob, or an error if one would become inf or nan."""
        new = []
        for i, (p, nudge) in enumerate(zip(self.params, nudges)):
            value = p.data - nudge
            if not math.isfinite(value):
                raise FloatingPointError(
                    f"{type(self).__name__}.step() would set {self._knob(i)} to "
                    f"{value!r} (its value is {p.data!r}, its blame {p.grad!r}): "
                    f"training has diverged. Lower the learning rate (now {self.lr!r}) or "
                    "scale the inputs and targets to about -1..1. No knob was changed."
                )
            new.append(value)
        return new

    def _set_knobs(self, values: Sequence[float]) -> None:
        for p, value in zip(self.params, values):
            p.data = value

    def _knob(self, i: int) -> str:
        """The i-th knob, named for a message: its label, or its place in the list."""
        label = self.params[i].label
        return shortened(label) if label else f"parameter {i} (of {len(self.params)}, unlabelled)"


class SGD(Optimizer):
    """Gradient descent: every knob moves by ``learning rate x blame``.

    Plain (the defaults):   p <- p - lr * grad

    ``weight_decay`` w adds w * p to the blame (the blame of an extra loss
    (w/2) * p^2), pulling every knob a little towards 0.

    ``momentum`` mu keeps a running nudge, like a ball rolling downhill:
    v <- mu * v + blame,   p <- p - lr * v.
    The running nudges are ``velocities``, one per knob.
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr, weight_decay)
        self.momentum = momentum
        self.velocities = [0.0] * len(self.params)

    @property
    def momentum(self) -> float:
        """How much of the last nudge carries over, from 0 (none) to below 1."""
        return self._momentum

    @momentum.setter
    def momentum(self, momentum: float) -> None:
        self._momentum = _number(momentum, "momentum", self, low=0.0, below=1.0)

    def step(self) -> None:
        """Nudge every knob by ``lr x blame`` (with momentum: by ``lr x`` the running blame)."""
        blames = self._blames(self.weight_decay)
        if self.momentum:
            velocities = [self.momentum * v + g for v, g in zip(self.velocities, blames)]
        else:
            velocities = list(self.velocities)
        moves = velocities if self.momentum else blames
        for i, move in enumerate(moves):
            if not math.isfinite(move):
                raise FloatingPointError(
                    f"SGD.step() refused: the running nudge (velocity) of {self._knob(i)} "
                    f"would overflow to {move!r}. Lower the learning rate or the momentum "
                    f"(now {self.momentum!r}). No knob was changed."
                )
        new = self._new_knobs([self.lr * move for move in moves])
        self.velocities = velocities
        self._set_knobs(new)


class Adam(Optimizer):
    """Adam: a nudge scaled for each knob by the size of its recent blame.

    With g the blame (plus weight_decay * p), at step t:

        m <- beta1 * m + (1 - beta1) * g        (running mean of the blame)
        v <- beta2 * v + (1 - beta2) * g^2      (running mean of its square)
        m_hat = m / (1 - beta1^t),  v_hat = v / (1 - beta2^t)   (both start at 0)
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)

    Every knob moves by about ``lr`` per step, whether its blame is large or
    tiny, which makes Adam forgiving about the learning rate. (This is
    PyTorch's ``torch.optim.Adam`` with its defaults.) ``means`` and
    ``squares`` hold m and v for each knob, ``steps`` the step count t.

    The square g^2 overflows once |g| passes about 1.3e154; a running square of
    inf would freeze that knob for good without a word, so such a step is
    refused instead, naming the knob (scale the loss down).
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr, weight_decay)
        self.betas = betas
        self.eps = eps
        self.means = [0.0] * len(self.params)
        self.squares = [0.0] * len(self.params)
        self.steps = 0

    @property
    def betas(self) -> tuple[float, float]:
        """(beta1, beta2): how slowly the running mean and the running square forget."""
        return (self._beta1, self._beta2)

    @betas.setter
    def betas(self, betas: tuple[float, float]) -> None:
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Adam betas must be a pair like (0.9, 0.999), got {quoted(betas)}.")
        beta1 = _number(betas[0], "betas[0]", self, low=0.0, below=1.0)
        beta2 = _number(betas[1], "betas[1]", self, low=0.0, below=1.0)
        self._beta1, self._beta2 = beta1, beta2

    @property
    def beta1(self) -> float:
        """The first of ``betas``: the running mean keeps this share of itself each step."""
        return self._beta1

    @beta1.setter
    def beta1(self, beta1: float) -> None:
        self.betas = (beta1, self._beta2)

    @property
    def beta2(self) -> float:
        """The second of ``betas``: the running square keeps this share of itself each step."""
        return self._beta2

    @beta2.setter
    def beta2(self, beta2: float) -> None:
        self.betas = (self._beta1, beta2)

    @property
    def eps(self) -> float:
        """A small number added to the blame's size so that Adam never divides by 0."""
        return self._eps

    @eps.setter
    def eps(self, eps: float) -> None:
        self._eps = _number(eps, "eps", self, above=0.0, hint=" It prevents dividing by 0.")

    def step(self) -> None:
        """Nudge every knob by ``lr x`` its blame's running mean / running size."""
        beta1, beta2 = self.betas
        blames = self._blames(self.weight_decay)
        steps = self.steps + 1
        mean_correction = 1.0 - beta1**steps
        square_correction = 1.0 - beta2**steps
        means, squares, nudges = [], [], []
        for i, blame in enumerate(blames):
            m = beta1 * self.means[i] + (1.0 - beta1) * blame
            v = beta2 * self.squares[i] + (1.0 - beta2) * blame * blame
            size = math.sqrt(v / square_correction) if math.isfinite(v) else math.inf
            if not (math.isfinite(m) and math.isfinite(size)):
                raise FloatingPointError(
                    f"Adam.step() refused: {self._knob(i)} has blame {blame!r}, too large for "
                    "Adam's running square of the blame (it would overflow to inf, and the "
                    "knob would never move again). Scale the loss down, or the inputs and "
                    "targets to about -1..1. No knob was changed."
                )
            means.append(m)
            squares.append(v)
            mean = m / mean_correction
            nudges.append(self.lr * mean / (size + self.eps))
        new = self._new_knobs(nudges)
        self.means, self.squares, self.steps = means, squares, steps
        self._set_knobs(new)


def _parameter_list(params: object, optimizer: str) -> list[Value]:
    """The knobs as a list without repeats, or an error saying what to pass instead."""
    hint = f"Pass the model's knobs: {optimizer}(model.parameters(), lr=...)."
    if isinstance(params, Value):
        raise TypeError(f"{optimizer} needs a list of parameters, got a single Value. {hint}")
    if not hasattr(params, "__iter__"):
        raise TypeError(
            f"{optimizer} needs a list of parameters (Values), got {type(params).__name__}. {hint}"
        )
    knobs: list[Value] = []
    seen: set[Value] = set()
    for p in params:
        if not isinstance(p, Value):
            raise TypeError(
                f"{optimizer} parameters must be Values, got {type(p).__name__} {quoted(p)}. {hint}"
            )
        if p not in seen:
            seen.add(p)
            knobs.append(p)
    if not knobs:
        raise ValueError(f"{optimizer} got an empty list of parameters. {hint}")
    return knobs


def _number(
    x: object,
    name: str,
    optimizer: Optimizer,
    *,
    low: float | None = None,
    above: float | None = None,
    below: float | None = None,
    hint: str = "",
) -> float:
    """``x`` as a finite float with ``low <= x`` or ``above < x`` (and ``x < below``), or an
    error naming the optimizer and the setting. Nothing is stored here: the caller stores the
    result only once this has returned."""
    where = f"{type(optimizer).__name__} {name}"
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{where} must be a number, got {type(x).__name__} {quoted(x)}.{hint}")
    try:
        number = float(x)
    except OverflowError:  # a whole number like 10**400, too large for a float
        number = math.inf
    if not math.isfinite(number):
        raise ValueError(f"{where} must be a finite number, got {quoted(x)}.{hint}")
    if (
        (low is not None and number < low)
        or (above is not None and number <= above)
        or (below is not None and number >= below)
    ):
        limits = [f"at least {low:g}"] if low is not None else []
        limits += [f"greater than {above:g}"] if above is not None else []
        limits += [f"below {below:g}"] if below is not None else []
        raise ValueError(f"{where} must be {' and '.join(limits)}, got {quoted(x)}.{hint}")
    return number
