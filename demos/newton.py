"""Second derivatives in action: Newton's method against gradient descent, steps counted.

    python demos/newton.py

Gradient descent only knows the slope: it nudges every knob by learning rate x blame,
and the learning rate must be small enough for the steepest direction, so along a
shallow, curved valley it crawls. Newton's method also knows the *curvature*: the
second derivatives, the Hessian matrix H. It jumps to where a parabola with that
slope and that curvature bottoms out:

    step = -H^(-1) x gradient

The valley is Rosenbrock's banana, f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, with its
bottom at (1, 1), started from (-1.2, 1). microgradx gives both derivatives from the
same graph: ``grad(f, ...)`` the slope, ``hessian(f, ...)`` the curvature, computed by
differentiating the gradient graph again (``grad(..., create_graph=True)``).

Newton's first steps jump far (its parabola is only a local guess), yet it lands on
the bottom in 6 steps; gradient descent follows the valley floor for about 43,000.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from microgradx import Value, grad, hessian
from microgradx.files import write_atomically

OUTPUT = Path(__file__).resolve().parent / "output"
START = (-1.2, 1.0)
TOLERANCE = 1e-8
"""Stop when the slope is this small in both directions."""
LEARNING_RATE = 0.001
"""About the largest that works: the valley's steepest curvature is near 1,000."""
MAX_STEPS = 100_000


def banana(x: Value, y: Value) -> Value:
    """Rosenbrock's function: a long, curved valley with its bottom at (1, 1)."""
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def slope(point: tuple[float, float]) -> tuple[float, float]:
    """The gradient (d f / d x, d f / d y) at a point, by backprop."""
    x, y = Value(point[0], label="x"), Value(point[1], label="y")
    dx, dy = grad(banana(x, y), [x, y])
    return dx.data, dy.data


def newton_step(point: tuple[float, float]) -> tuple[float, float]:
    """Solve H step = -gradient for the 2 x 2 Hessian H (by Cramer's rule)."""
    gx, gy = slope(point)
    (a, b), (c, d) = hessian(banana, list(point))
    determinant = a * d - b * c
    step_x = -(d * gx - b * gy) / determinant
    step_y = -(a * gy - c * gx) / determinant
    return point[0] + step_x, point[1] + step_y


def gradient_step(point: tuple[float, float]) -> tuple[float, float]:
    gx, gy = slope(point)
    return point[0] - LEARNING_RATE * gx, point[1] - LEARNING_RATE * gy


def minimise(step, max_steps: int) -> list[tuple[float, float]]:  # type: ignore[no-untyped-def]
    """The points visited from START until the slope is below TOLERANCE (or max_steps)."""
    path = [START]
    while len(path) <= max_steps and max(map(abs, slope(path[-1]))) > TOLERANCE:
        path.append(step(path[-1]))
    return path


def describe(name: str, path: list[tuple[float, float]], max_steps: int) -> str:
    x, y = path[-1]
    steps = len(path) - 1
    reached = max(map(abs, slope(path[-1]))) <= TOLERANCE
    outcome = "reached the bottom" if reached else f"still not there after {max_steps:,} steps"
    return f"   {name:<17} {steps:>7,} steps   ends at ({x:.8f}, {y:.8f})   {outcome}"


def save_plot(paths: dict[str, list[tuple[float, float]]], path: Path) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=120)
    xs = [-1.6 + 3.2 * i / 200 for i in range(201)]
    ys = [-3.4 + 5.1 * j / 200 for j in range(201)]
    heights = [[math.log10(1e-3 + (1 - x) ** 2 + 100 * (y - x * x) ** 2) for x in xs] for y in ys]
    axes.contour(xs, ys, heights, levels=20, cmap="Greys", linewidths=0.6)
    for (name, points), style in zip(paths.items(), ("o-", ".-")):
        shown = points if len(points) < 200 else points[:: len(points) // 200] + points[-1:]
        axes.plot(*zip(*shown), style, label=f"{name}: {len(points) - 1:,} steps", markersize=3)
    axes.plot([1], [1], "k*", markersize=12, label="the bottom (1, 1)")
    axes.set_title("Newton's method uses the curvature; gradient descent only the slope")
    axes.set_xlabel("x")
    axes.set_ylabel("y")
    axes.legend(loc="lower left")
    figure.tight_layout()
    write_atomically(path, lambda file: figure.savefig(file, format="png"))
    plt.close(figure)
    return path


def main(argv: list[str] | None = None) -> dict[str, list[tuple[float, float]]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-steps", type=int, default=MAX_STEPS, help=f"({MAX_STEPS:,})")
    parser.add_argument("--no-plot", action="store_true", help="do not save the picture")
    args = parser.parse_args(argv)

    (a, b), (c, d) = hessian(banana, list(START))
    print(f"The banana valley from {START}: slope {slope(START)}")
    print(f"   its curvature there (the Hessian): [[{a:.1f}, {b:.1f}], [{c:.1f}, {d:.1f}]]")
    paths = {
        "Newton's method": minimise(newton_step, args.max_steps),
        "gradient descent": minimise(gradient_step, args.max_steps),
    }
    for name, path in paths.items():
        print(describe(name, path, args.max_steps))
    if not args.no_plot:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        picture = save_plot(paths, OUTPUT / "newton.png")
        if picture:
            print(f"   The paths: {picture}")
        else:
            print('   (No plot: matplotlib is missing: pip install -e ".[demos]")')
    return paths


if __name__ == "__main__":
    main()
