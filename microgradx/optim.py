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
"""

from __future__ import annotations

import math
from numbers import Real

from microgradx.engine import Value

TYPE_CHECKING = False  # the typing module is slow to import; type checkers read this block
if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["SGD", "Adam", "Optimizer"]


class Optimizer:
    """What every optimizer has: the knobs, a learning rate, ``zero_grad()`` and ``step()``."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        self.params = _parameter_list(params, type(self).__name__)
        self.lr = lr

    @property
    def lr(self) -> float:
        """The learning rate: how big a nudge each unit of blame earns. Change it freely."""
        return self._lr

    @lr.setter
    def lr(self, lr: float) -> None:
        self._lr = _number(lr, "lr (the learning rate)", type(self).__name__, low=-math.inf)
        if self._lr <= 0.0:
            raise ValueError(
                f"{type(self).__name__} lr (the learning rate) must be greater than 0, "
                f"got {lr!r}. Try 0.01 to 0.1."
            )

    def zero_grad(self) -> None:
        """Set every knob's blame to 0.0 (call it before each ``backward()``)."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Nudge every knob against its blame."""
        raise NotImplementedError(f"{type(self).__name__} must define step().")

    def _nudge(self, nudges: list[float]) -> None:
        """``p.data -= nudge`` for every knob, once it is sure no knob becomes inf or nan."""
        for p, nudge in zip(self.params, nudges):
            if not math.isfinite(p.data - nudge):
                raise FloatingPointError(
                    f"{type(self).__name__}.step() would set {p.label or 'a parameter'} to "
                    f"{p.data - nudge!r} (its value is {p.data!r}, its blame {p.grad!r}): "
                    f"training has diverged. Lower the learning rate (now {self.lr!r}) or "
                    "scale the inputs and targets to about -1..1. No knob was changed."
                )
        for p, nudge in zip(self.params, nudges):
            p.data -= nudge


class SGD(Optimizer):
    """Gradient descent: every knob moves by ``learning rate x blame``.

    Plain (the defaults):   p <- p - lr * grad

    ``weight_decay`` w adds w * p to the blame (the blame of an extra loss
    (w/2) * p^2), pulling every knob a little towards 0.

    ``momentum`` mu keeps a running nudge, like a ball rolling downhill:
    v <- mu * v + blame,   p <- p - lr * v.
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = _number(momentum, "momentum", "SGD", low=0.0, below=1.0)
        self.weight_decay = _number(weight_decay, "weight_decay", "SGD", low=0.0)
        self.velocities = [0.0] * len(self.params)

    def step(self) -> None:
        """Nudge every knob by ``lr x blame`` (with momentum: by ``lr x`` the running blame)."""
        nudges = []
        for i, p in enumerate(self.params):
            blame = p.grad + self.weight_decay * p.data
            if self.momentum:
                self.velocities[i] = self.momentum * self.velocities[i] + blame
                blame = self.velocities[i]
            nudges.append(self.lr * blame)
        self._nudge(nudges)


class Adam(Optimizer):
    """Adam: a nudge scaled for each knob by the size of its recent blame.

    With g the blame (plus weight_decay * p), at step t:

        m <- beta1 * m + (1 - beta1) * g        (running mean of the blame)
        v <- beta2 * v + (1 - beta2) * g^2      (running mean of its square)
        m_hat = m / (1 - beta1^t),  v_hat = v / (1 - beta2^t)   (both start at 0)
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)

    Every knob moves by about ``lr`` per step, whether its blame is large or
    tiny, which makes Adam forgiving about the learning rate.
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Adam betas must be a pair like (0.9, 0.999), got {betas!r}.")
        self.beta1 = _number(betas[0], "betas[0]", "Adam", low=0.0, below=1.0)
        self.beta2 = _number(betas[1], "betas[1]", "Adam", low=0.0, below=1.0)
        self.eps = _number(eps, "eps", "Adam", low=0.0)
        if self.eps == 0.0:
            raise ValueError("Adam eps must be greater than 0 (it prevents dividing by 0).")
        self.weight_decay = _number(weight_decay, "weight_decay", "Adam", low=0.0)
        self.means = [0.0] * len(self.params)
        self.squares = [0.0] * len(self.params)
        self.steps = 0

    def step(self) -> None:
        """Nudge every knob by ``lr x`` its blame's running mean / running size."""
        self.steps += 1
        mean_correction = 1.0 - self.beta1**self.steps
        square_correction = 1.0 - self.beta2**self.steps
        nudges = []
        for i, p in enumerate(self.params):
            blame = p.grad + self.weight_decay * p.data
            self.means[i] = self.beta1 * self.means[i] + (1.0 - self.beta1) * blame
            self.squares[i] = self.beta2 * self.squares[i] + (1.0 - self.beta2) * blame * blame
            mean = self.means[i] / mean_correction
            size = math.sqrt(self.squares[i] / square_correction)
            nudges.append(self.lr * mean / (size + self.eps))
        self._nudge(nudges)


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
                f"{optimizer} parameters must be Values, got {type(p).__name__} {p!r}. {hint}"
            )
        if p not in seen:
            seen.add(p)
            knobs.append(p)
    if not knobs:
        raise ValueError(f"{optimizer} got an empty list of parameters. {hint}")
    return knobs


def _number(x: object, name: str, optimizer: str, low: float, below: float | None = None) -> float:
    """``x`` as a float with ``low <= x`` (and ``x < below``), or a clear error."""
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{optimizer} {name} must be a number, got {type(x).__name__} {x!r}.")
    if not math.isfinite(x):
        raise ValueError(f"{optimizer} {name} must be a finite number, got {x!r}.")
    if x < low or (below is not None and x >= below):
        limits = f"at least {low:g}" + (f" and below {below:g}" if below is not None else "")
        raise ValueError(f"{optimizer} {name} must be {limits}, got {x!r}.")
    return float(x)
