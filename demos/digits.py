"""Digits: a network learns to read handwritten digits, trained from a tape.

    python demos/digits.py              # train, show progress, save the digits it gets wrong
    python demos/digits.py --quiet      # only the result
    python demos/digits.py --epochs 2   # a shorter run

scikit-learn ships 1,797 small pictures of handwritten digits, 8 x 8 grey pixels each
(``load_digits``: no download). A fifth of them are held out: the network never
trains on them, so its accuracy there shows how well it reads digits it has not seen.

The network reads the 64 pixels (scaled to 0..1), has one hidden layer of 32 ReLU
neurons, and gives 10 scores, one per digit; the highest score is its answer. The
loss is softmax cross-entropy, and Adam nudges the knobs after every batch of 32
pictures. That is about 150,000 edges of the graph per step, built and walked
hundreds of times: too slow to wait for when the graph is built anew every step.
So the graph of one batch is recorded once on a tape (``microgradx.BatchTape``), and
every step refills the batch's pixel and answer leaves and replays it.

It needs scikit-learn for the pictures, and matplotlib to save the digits it gets
wrong as ``demos/output/digits_mistakes.png``: ``pip install "microgradx[digits]"``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

from progress import Progress

from microgradx import BatchTape, Value, dot, no_grad, sum_values
from microgradx.files import write_atomically
from microgradx.losses import logsumexp
from microgradx.nn import MLP
from microgradx.optim import Adam

TYPE_CHECKING = False
if TYPE_CHECKING:
    from matplotlib.figure import Figure

OUTPUT = Path(__file__).resolve().parent / "output"
HIDDEN = 32
BATCH = 32
EPOCHS = 6
LEARNING_RATE = 0.01
HELD_OUT = 0.2
SEED = 0
INSTALL_HINT = (
    'pip install "microgradx[digits]"  (in a clone of the repository: pip install -e ".[digits]")'
)

Picture = list[float]


def load_pictures() -> tuple[list[Picture], list[int]]:
    """The 1,797 digits as lists of 64 pixels from 0 (white) to 1 (black), and their digits."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    pictures = [[float(pixel) / 16.0 for pixel in row] for row in digits.data]
    return pictures, [int(digit) for digit in digits.target]


def split(
    pictures: list[Picture], digits: list[int], held_out: float, seed: int
) -> tuple[list[int], list[int]]:
    """Shuffled positions of the training pictures and of the held-out ones."""
    order = list(range(len(pictures)))
    random.Random(seed).shuffle(order)
    cut = round(len(order) * held_out)
    return order[cut:], order[:cut]


def one_hot(digit: int) -> list[float]:
    """The answer as ten numbers: 1.0 for the right digit, 0.0 for the others."""
    return [1.0 if k == digit else 0.0 for k in range(10)]


def cross_entropy(scores: list[list[Value]], answers: list[list[Value]]) -> Value:
    """Softmax cross-entropy, the mean over the batch of log(sum_k e^z_k) - z_right.

    Written for a tape: the right digit's score is picked by a dot product with
    its one-hot row of leaf Values, which the tape refills every step. Picking it
    by index (``z[digit]``) would fix the first batch's digits on the tape.
    (``logsumexp`` subtracts the largest score, a plain number taken when the tape
    is recorded: any fixed number gives the same loss, and it keeps e^ from
    overflowing while the scores stay within about 700 of it.)
    """
    terms = [logsumexp(z) - dot(answer, z) for z, answer in zip(scores, answers)]
    return sum_values(terms) / len(terms)


def build_model(seed: int = SEED) -> MLP:
    return MLP(64, [HIDDEN, 10], activation="relu", seed=seed)


def guess(model: MLP, picture: Picture) -> int:
    """The digit the network reads: the one with the highest score."""
    with no_grad():
        scores = [score.data for score in model(picture)]
    return max(range(10), key=scores.__getitem__)


def accuracy(model: MLP, pictures: list[Picture], digits: list[int], chosen: list[int]) -> float:
    return sum(guess(model, pictures[i]) == digits[i] for i in chosen) / len(chosen)


def train(
    model: MLP,
    pictures: list[Picture],
    digits: list[int],
    training: list[int],
    epochs: int = EPOCHS,
    seed: int = SEED,
    quiet: bool = True,
) -> list[float]:
    """Adam on batches of cross-entropy, replayed from a tape; returns each step's loss.

    Each epoch goes once through the training pictures in a new random order, in
    batches of BATCH (the last few pictures that do not fill a batch wait for the
    next epoch's order).
    """
    rng = random.Random(seed)
    optimizer = Adam(model.parameters(), lr=LEARNING_RATE)
    steps_per_epoch = len(training) // BATCH
    progress = Progress(epochs * steps_per_epoch, quiet)
    tape = None
    losses: list[float] = []
    for _ in range(epochs):
        order = training[:]
        rng.shuffle(order)
        for start in range(0, steps_per_epoch * BATCH, BATCH):
            batch = order[start : start + BATCH]
            inputs = [pictures[i] for i in batch]
            answers = [one_hot(digits[i]) for i in batch]
            if tape is None:  # the first batch's graph, recorded once
                tape = BatchTape(model, cross_entropy, inputs, answers)
            optimizer.zero_grad()
            losses.append(tape.replay(inputs, answers))
            optimizer.step()
            progress.update(len(losses), f"batch loss {losses[-1]:.4f}")
    progress.close()
    return losses


def save_mistakes(
    pictures: list[Picture], digits: list[int], mistakes: list[tuple[int, int]], path: Path
) -> Path | None:
    """The held-out digits it got wrong, each titled "7 read as 1"; None without matplotlib.

    The file is replaced in one step (write_atomically).
    """
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")  # write files; no window needed
    import matplotlib.pyplot as plt

    shown = mistakes[:40]
    columns = 10
    rows = max(1, -(-len(shown) // columns))
    figure, axes = plt.subplots(rows, columns, figsize=(columns * 1.1, rows * 1.35 + 0.6))
    cells = axes.flat if hasattr(axes, "flat") else [axes]
    for cell in cells:
        cell.axis("off")
    for cell, (i, read) in zip(axes.flat, shown):
        cell.imshow([pictures[i][row * 8 : row * 8 + 8] for row in range(8)], cmap="gray_r")
        cell.set_title(f"{digits[i]} read as {read}", fontsize=8)
    title = f"The {len(mistakes)} held-out digits it read wrong"
    figure.suptitle(title + (f" (the first {len(shown)})" if len(shown) < len(mistakes) else ""))
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    _save_png(figure, path)
    plt.close(figure)
    return path


def _save_png(figure: Figure, path: Path) -> None:
    """``figure.savefig`` into ``path``, replacing the old file in one step."""
    write_atomically(path, lambda file: figure.savefig(file, format="png", dpi=100))


def _shown(path: Path) -> Path:
    """The path relative to the current folder when it is inside it."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--epochs", type=int, default=EPOCHS, help=f"passes over the data ({EPOCHS})"
    )
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed ({SEED})")
    parser.add_argument("--quiet", action="store_true", help="print only the result")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    started = time.perf_counter()
    try:
        pictures, digits = load_pictures()
    except ImportError:
        print(f"This demo reads scikit-learn's digits, and scikit-learn is missing: {INSTALL_HINT}")
        return 1
    training, held_out = split(pictures, digits, HELD_OUT, args.seed)
    model = build_model(args.seed)
    if not args.quiet:
        print(
            f"Digits: {len(pictures):,} pictures of 8 x 8 pixels; training on {len(training):,}, "
            f"holding out {len(held_out)}"
        )
        print(f"{model!r}")
        print(
            f"Recording one batch of {BATCH} pictures on a tape, then replaying it "
            f"{len(training) // BATCH} times an epoch, for {args.epochs} epochs"
        )
    training_started = time.perf_counter()
    train(model, pictures, digits, training, args.epochs, args.seed, quiet=args.quiet)
    training_seconds = time.perf_counter() - training_started
    mistakes = [(i, read) for i in held_out if (read := guess(model, pictures[i])) != digits[i]]
    right = 1 - len(mistakes) / len(held_out)
    print(
        f"After {args.epochs} epochs: {right:.1%} of the {len(held_out)} held-out digits read "
        f"right ({accuracy(model, pictures, digits, training):.1%} of the training ones); "
        f"{time.perf_counter() - started:.1f} s in all, {training_seconds:.1f} s of it training"
    )
    picture = save_mistakes(pictures, digits, mistakes, OUTPUT / "digits_mistakes.png")
    if picture is None:
        print(f"To save the digits it gets wrong as a PNG: {INSTALL_HINT}")
    else:
        print(f"Saved {_shown(picture)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
