"""Two moons: a small network learns to tell two interleaved half-circles apart.

    python demos/moons.py            # train, show progress, save the pictures
    python demos/moons.py --quiet    # only the result
    python demos/moons.py --tape     # the same training, replayed from a tape: compare the times

The classic micrograd demo: 2 inputs (a point's x and y), two hidden layers of
16 ReLU neurons, and 1 output score whose sign is the class. The loss is the
max-margin (hinge) loss plus a small L2 penalty that keeps the weights small.

To stay fast, each step scores a random batch of 20 of the 100 points (a
mini-batch), and Adam makes the nudges: every knob moves by about the same
small amount per step, so 150 quick steps are enough.

Every step builds the same graph with new numbers. With ``--tape`` the graph of
one batch is recorded once (``microgradx.BatchTape``) and each step refills its
input and label leaves and replays it: the same numbers, in less time.

With matplotlib installed (``pip install "microgradx[demos]"``) it saves the
decision boundary and the loss curve as PNG files in ``demos/output/``.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from pathlib import Path

from progress import Progress

from microgradx import BatchTape, Value, no_grad, sum_values
from microgradx.files import write_atomically
from microgradx.losses import hinge, l2_penalty
from microgradx.nn import MLP
from microgradx.optim import Adam

TYPE_CHECKING = False
if TYPE_CHECKING:
    from matplotlib.figure import Figure

OUTPUT = Path(__file__).resolve().parent / "output"
POINTS = 100
NOISE = 0.1
STEPS = 150
BATCH = 20
LEARNING_RATE = 0.05
SEED = 1337
L2_STRENGTH = 1e-4
INSTALL_HINT = (
    'pip install "microgradx[demos]"  (in a clone of the repository: pip install -e ".[demos]")'
)

Point = tuple[float, float]


def make_moons(count: int, noise: float, rng: random.Random) -> tuple[list[Point], list[int]]:
    """Two interleaved half-circles with a little Gaussian noise; labels -1 and +1.

    The upper moon is the half circle (cos t, sin t) for t in [0, pi], label -1;
    the lower one is (1 - cos t, 0.5 - sin t), label +1.
    """
    points, labels = [], []
    for i in range(count):
        upper = i < count // 2
        t = math.pi * rng.random()
        x, y = (math.cos(t), math.sin(t)) if upper else (1 - math.cos(t), 0.5 - math.sin(t))
        points.append((x + rng.gauss(0, noise), y + rng.gauss(0, noise)))
        labels.append(-1 if upper else 1)
    return points, labels


def build_model(seed: int = SEED) -> MLP:
    return MLP(2, [16, 16, 1], seed=seed)


def accuracy(model: MLP, points: list[Point], labels: list[int]) -> float:
    """The fraction of points whose score has the sign of their label."""
    with no_grad():
        right = sum((model(list(p)).data > 0) == (y > 0) for p, y in zip(points, labels))
    return right / len(points)


def margin_loss(scores: list[Value], labels: list[Value]) -> Value:
    """The hinge loss written out, mean of relu(1 - y * score), for labels that are Values.

    ``losses.hinge`` takes its labels as plain numbers, which a tape would keep as
    the first batch's; here they are leaves that the tape refills every step.
    """
    terms = [(1 - y * s).relu() for s, y in zip(scores, labels)]
    return sum_values(terms) / len(terms)


def train(
    model: MLP,
    points: list[Point],
    labels: list[int],
    steps: int = STEPS,
    seed: int = SEED,
    quiet: bool = True,
    tape: bool = False,
) -> list[float]:
    """Adam on mini-batches of hinge loss + L2; returns the loss of every step's batch.

    With ``tape=True`` the graph of a batch is recorded once and replayed every step,
    refilled with that step's points and labels: the same losses, faster.
    """
    rng = random.Random(seed)
    optimizer = Adam(model.parameters(), lr=LEARNING_RATE)
    progress = Progress(steps, quiet)
    losses = []
    recorded = None
    for step in range(1, steps + 1):
        batch = rng.sample(range(len(points)), BATCH)
        batch_points, batch_labels = [points[i] for i in batch], [labels[i] for i in batch]
        optimizer.zero_grad()
        if tape:
            if recorded is None:
                recorded = BatchTape(
                    model,
                    lambda scores, ys: (
                        margin_loss(scores, ys) + l2_penalty(model.parameters(), L2_STRENGTH)
                    ),
                    batch_points,
                    batch_labels,
                )
            loss_now = recorded.replay(batch_points, batch_labels)
        else:
            scores = [model(p) for p in batch_points]
            loss = hinge(scores, batch_labels) + l2_penalty(model.parameters(), L2_STRENGTH)
            loss.backward()
            loss_now = loss.data
        optimizer.step()
        losses.append(loss_now)
        progress.update(step, f"batch loss {loss_now:.4f}")
    progress.close()
    return losses


def save_pictures(
    model: MLP,
    points: list[Point],
    labels: list[int],
    losses: list[float],
    folder: Path,
    grid_cells: int = 40,
) -> list[Path] | None:
    """The decision boundary and the loss curve as PNGs; None if matplotlib is missing.

    The boundary is where the score crosses 0, on a grid of grid_cells x grid_cells points.
    Each picture replaces its old file in one step (write_atomically), so an error
    half-way never leaves a broken PNG.
    """
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")  # write files; no window needed
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    boundary, curve = folder / "moons_boundary.png", folder / "moons_loss.png"

    xs, ys = _grid(points, grid_cells)
    with no_grad():
        scores = [[model([x, y]).data for x in xs] for y in ys]
    figure, axes = plt.subplots(figsize=(6, 5))
    axes.contourf(xs, ys, scores, levels=[-1e9, 0, 1e9], colors=["#9ecae1", "#fdae6b"], alpha=0.6)
    axes.contour(xs, ys, scores, levels=[0], colors="black", linewidths=1)
    for label, colour, name in [
        (-1, "#3182bd", "class -1 (upper moon)"),
        (1, "#e6550d", "class +1 (lower moon)"),
    ]:
        chosen = [p for p, y in zip(points, labels) if y == label]
        axes.scatter(*zip(*chosen), c=colour, edgecolors="black", s=28, label=name)
    axes.set_title("Two moons: the network's decision boundary (score = 0)")
    axes.legend(loc="upper right")
    figure.tight_layout()
    _save_png(figure, boundary)
    plt.close(figure)

    figure, axes = plt.subplots(figsize=(6, 4))
    steps = range(1, len(losses) + 1)
    axes.plot(steps, losses, color="#9ecae1", linewidth=1, label="loss of each batch")
    axes.plot(steps, _running_mean(losses, 10), color="#08519c", label="mean of the last 10")
    axes.legend()
    axes.set_xlabel("training step")
    axes.set_ylabel("loss (hinge + L2)")
    axes.set_yscale("log")
    axes.set_title("Loss during training")
    axes.grid(True, alpha=0.3)
    figure.tight_layout()
    _save_png(figure, curve)
    plt.close(figure)
    return [boundary, curve]


def _save_png(figure: Figure, path: Path) -> None:
    """``figure.savefig`` into ``path``, replacing the old file in one step."""
    write_atomically(path, lambda file: figure.savefig(file, format="png", dpi=100))


def _shown(path: Path) -> Path:
    """The path relative to the current folder when it is inside it."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def _running_mean(values: list[float], window: int) -> list[float]:
    return [
        sum(values[max(0, i - window + 1) : i + 1]) / (i + 1 - max(0, i - window + 1))
        for i in range(len(values))
    ]


def _grid(points: list[Point], cells: int) -> tuple[list[float], list[float]]:
    """Evenly spaced x and y coordinates covering the points with a margin."""
    low_x, high_x = min(p[0] for p in points) - 0.5, max(p[0] for p in points) + 0.5
    low_y, high_y = min(p[1] for p in points) - 0.5, max(p[1] for p in points) + 0.5
    xs = [low_x + (high_x - low_x) * i / (cells - 1) for i in range(cells)]
    ys = [low_y + (high_y - low_y) * i / (cells - 1) for i in range(cells)]
    return xs, ys


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=STEPS, help=f"training steps ({STEPS})")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed ({SEED})")
    parser.add_argument("--quiet", action="store_true", help="print only the result")
    parser.add_argument(
        "--tape", action="store_true", help="record one batch's graph once and replay it each step"
    )
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error("--steps must be at least 1")

    started = time.perf_counter()
    points, labels = make_moons(POINTS, NOISE, random.Random(args.seed))
    model = build_model(args.seed)
    if not args.quiet:
        print(f"Two moons: {POINTS} points, {model!r}")
        if args.tape:
            print("Recording one batch's graph on a tape, then replaying it every step")
    losses = train(model, points, labels, args.steps, args.seed, quiet=args.quiet, tape=args.tape)
    seconds = time.perf_counter() - started
    how = "replayed from a tape" if args.tape else "building the graph every step"
    print(
        f"After {args.steps} steps: accuracy {accuracy(model, points, labels):.0%} on all "
        f"{POINTS} points ({seconds:.1f} s, {how})"
    )
    pictures = save_pictures(model, points, labels, losses, OUTPUT)
    if pictures is None:
        print(f"To get the decision boundary and loss curve as PNGs: {INSTALL_HINT}")
    else:
        for picture in pictures:
            print(f"Saved {_shown(picture)}")


if __name__ == "__main__":
    main()
