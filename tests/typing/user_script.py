"""A typed script of the kind a learner writes, checked with mypy --strict by test_typing.py.

It must type-check with no errors and no casts: drawing, the player, a one-output MLP,
losses, optimizers, derivatives as functions, and the table of ops.
"""

from __future__ import annotations

from microgradx import (
    MLP,
    SGD,
    Adam,
    BackpropPlayer,
    Value,
    draw_dot,
    explain,
    grad,
    gradcheck,
    hessian,
    jvp,
    no_grad,
    ops,
)
from microgradx.graph import render
from microgradx.losses import binary_cross_entropy_with_logits, hinge, l2_penalty, mse
from microgradx.nn import Neuron


def house_price_step(model: MLP, facts: list[float], price: float) -> float:
    guess = model(facts)  # one output: a Value
    guess.label = "guess"
    loss = mse(guess, price) + l2_penalty(model.parameters(), 1e-4)
    optimizer = SGD(model.parameters(), lr=0.05)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.data


def classify(model: MLP, points: list[list[float]], labels: list[float]) -> float:
    scores = [model(point) for point in points]
    loss = hinge(scores, labels)
    adam = Adam(model.parameters(), lr=0.01)
    adam.zero_grad()
    loss.backward()
    adam.step()
    with no_grad():
        right: int = sum((model(p).data > 0) == (y > 0) for p, y in zip(points, labels))
    return right / len(points)


def draw(loss: Value, model: MLP) -> None:
    graph = draw_dot(loss, model=model)
    print(graph.source[:10])
    render(loss, "loss.svg", model=model, view="network")
    explain(loss, "loss.html", model=model)
    player = BackpropPlayer(loss)
    print(player.steps[0].title)


def derivatives() -> tuple[float, float, float]:
    x = Value(0.5, label="x")
    (first,) = grad(x.tanh(), [x], create_graph=True)
    (second,) = grad(first, [x])
    curvature = hessian(lambda a, b: a * a * b, [2.0, 3.0])
    _, directional = jvp(lambda a: ops.softplus(a), [1.0], [1.0])
    return second.data, curvature[0][1], directional


def main() -> None:
    model = MLP(3, [4, 1], seed=0)
    print(house_price_step(model, [1.0, 0.5, -0.2], 2.0))
    two_moons = MLP(2, [8, 1], "tanh", seed=1)
    print(classify(two_moons, [[0.0, 1.0], [1.0, 0.0]], [-1.0, 1.0]))
    neuron = Neuron(2, nonlin=False)
    out = neuron([1.0, 2.0])
    print(binary_cross_entropy_with_logits(out, 1.0).data)
    print(gradcheck(lambda w, v: (w * v).tanh(), [0.5, -2.0]))
    print(derivatives())
    guess = model([0.1, 0.2, 0.3])
    draw(mse(guess, 1.0), model)


if __name__ == "__main__":
    main()
