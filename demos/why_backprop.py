"""Why backpropagation is such a big deal: every knob's blame, three ways, timed.

    python demos/why_backprop.py            # networks up to about 1,000 knobs
    python demos/why_backprop.py --quick    # small networks only (a few seconds)

To nudge every knob the right way, training needs every knob's blame: how much the
error changes when that knob changes a little. There are three ways to get it:

1. **Nudge each knob and look** (finite differences): move one knob up a little,
   measure the error, move it down, measure again, put it back. Two forward passes
   per knob: a network with a million knobs needs two million passes per step.
2. **Forward mode**: push one knob's "wiggle" forward through the network, node by
   node, by the chain rule (``microgradx.jvp``). Exact, but still one pass per knob.
3. **Backpropagation**: one forward pass, then one backward pass hands *every* knob
   its blame at once (``loss.backward()``).

All three give the same numbers (checked below). The first two cost passes in
proportion to the number of knobs, and each pass costs in proportion to the number
of knobs too: their time grows like knobs². Backprop's grows like knobs. Before
backpropagation, that difference kept networks small; after it, they could grow.

The network is written here as a plain function of a flat list of knobs, so all
three methods run the very same arithmetic.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path

from microgradx import Value, dot, jvp, no_grad
from microgradx.files import write_atomically

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

OUTPUT = Path(__file__).resolve().parent / "output"
INPUTS = 4
HIDDEN_WIDTHS = (2, 4, 8, 14, 22, 30)
"""Two hidden layers of each width: 19, 45, 121, 295, 639 and 1,111 knobs."""
QUICK_WIDTHS = (2, 3, 4)
NUDGE = 1e-6
SEED = 3
INSTALL_HINT = 'pip install -e ".[demos]" (from the clone, with the venv active)'


def layer_sizes(width: int) -> list[int]:
    """Inputs, two hidden layers of ``width`` neurons, one output."""
    return [INPUTS, width, width, 1]


def knob_count(sizes: Sequence[int]) -> int:
    """Each neuron has one weight per input and a bias."""
    return sum((fan_in + 1) * neurons for fan_in, neurons in zip(sizes, sizes[1:]))


def error(knobs: Sequence[Value], sizes: Sequence[int], x: Sequence[float], y: float) -> Value:
    """The squared error of the network's guess for one example.

    ``knobs`` holds every weight and bias, neuron by neuron (its weights, then its
    bias). Hidden neurons use tanh; the output neuron is linear.
    """
    layer: list[Value | float] = list(x)
    position = 0
    for depth, neurons in enumerate(sizes[1:], start=1):
        fan_in = len(layer)
        outputs = []
        for _ in range(neurons):
            weights = knobs[position : position + fan_in]
            bias = knobs[position + fan_in]
            position += fan_in + 1
            total = dot(weights, layer) + bias
            outputs.append(total if depth == len(sizes) - 1 else total.tanh())
        layer = list(outputs)
    guess = layer[0]
    assert isinstance(guess, Value)
    return (guess - y) ** 2


# ----------------------------------------------------------------------
# The three ways to every knob's blame
# ----------------------------------------------------------------------


def by_nudging(f: Callable[..., Value], numbers: list[float]) -> list[float]:
    """Central differences: two forward passes per knob (no graph is needed)."""
    blame = []
    with no_grad():
        for i, number in enumerate(numbers):
            up = [Value(n) for n in numbers]
            down = [Value(n) for n in numbers]
            up[i], down[i] = Value(number + NUDGE), Value(number - NUDGE)
            blame.append((f(*up).data - f(*down).data) / (2 * NUDGE))
    return blame


def by_forward_mode(f: Callable[..., Value], numbers: list[float]) -> list[float]:
    """One forward-mode pass per knob: its tangent is 1, every other knob's 0."""
    blame = []
    for i in range(len(numbers)):
        direction = [0.0] * len(numbers)
        direction[i] = 1.0
        blame.append(jvp(f, numbers, direction)[1])
    return blame


def by_backprop(f: Callable[..., Value], numbers: list[float]) -> list[float]:
    """One forward pass and one backward pass, for every knob at once."""
    knobs = [Value(n) for n in numbers]
    f(*knobs).backward()
    return [knob.grad for knob in knobs]


METHODS = {
    "nudging each knob": by_nudging,
    "forward mode": by_forward_mode,
    "backprop": by_backprop,
}


@dataclass
class Row:
    """One network: its number of knobs, and per method the seconds and the difference
    from backprop's blame (relative to the largest blame)."""

    knobs: int
    seconds: dict[str, float]
    difference: dict[str, float]

    def speedup(self) -> float:
        """How many times faster backprop is than nudging each knob."""
        return self.seconds["nudging each knob"] / self.seconds["backprop"]


def timed(
    method: Callable[..., list[float]], f: Callable[..., Value], numbers: list[float]
) -> tuple[float, list[float]]:
    """(seconds, blame): the fastest of up to 5 runs (fewer when a run is slow), so that
    a busy machine matters less."""
    best, spent, blame = math.inf, 0.0, []
    for _ in range(5):
        started = time.perf_counter()
        blame = method(f, numbers)
        seconds = time.perf_counter() - started
        best, spent = min(best, seconds), spent + seconds
        if spent > 0.5:
            break
    return best, blame


def largest_difference(found: list[float], exact: list[float]) -> float:
    """The largest difference, relative to the largest blame."""
    scale = max(1.0, max(abs(b) for b in exact))
    return max(abs(a - b) for a, b in zip(found, exact)) / scale


def measure(width: int, rng: random.Random) -> Row:
    sizes = layer_sizes(width)
    numbers = [rng.uniform(-1.0, 1.0) / math.sqrt(INPUTS) for _ in range(knob_count(sizes))]
    x = [rng.uniform(-1.0, 1.0) for _ in range(INPUTS)]

    def f(*knobs: Value) -> Value:
        return error(knobs, sizes, x, 0.5)

    results = {name: timed(method, f, numbers) for name, method in METHODS.items()}
    exact = results["backprop"][1]
    return Row(
        knobs=len(numbers),
        seconds={name: seconds for name, (seconds, _) in results.items()},
        difference={name: largest_difference(blame, exact) for name, (_, blame) in results.items()},
    )


# ----------------------------------------------------------------------
# The table and the picture
# ----------------------------------------------------------------------


def print_table(rows: list[Row]) -> None:
    header = "".join(f"{name:>20}" for name in METHODS)
    print(f"   {'knobs':>6}{header}{'backprop wins by':>19}")
    for row in rows:
        times = "".join(f"{_shown(row.seconds[name]):>20}" for name in METHODS)
        print(f"   {row.knobs:>6}{times}{row.speedup():>18,.0f}x")


def _shown(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds < 1 else f"{seconds:,.2f} s"


def check_agreement(rows: list[Row]) -> float:
    """Raise unless all three agree; return how far nudging was from backprop at worst.

    Forward mode and backprop are exact (to rounding); central differences with a
    nudge of 1e-6 are accurate to about 1e-9 of the largest blame here.
    """
    for row in rows:
        if row.difference["forward mode"] > 1e-12 or row.difference["nudging each knob"] > 1e-6:
            raise AssertionError(f"the three methods disagree for {row.knobs} knobs: {row}")
    return max(row.difference["nudging each knob"] for row in rows)


def growth_per_doubling(rows: list[Row]) -> dict[str, float]:
    """How much longer each method takes when the knobs double: 2 ** (the slope of the
    straight line that fits log(seconds) against log(knobs) best)."""
    xs = [math.log2(row.knobs) for row in rows]
    x_mean = sum(xs) / len(xs)
    growth = {}
    for name in METHODS:
        ys = [math.log2(row.seconds[name]) for row in rows]
        y_mean = sum(ys) / len(ys)
        slope = sum((x - x_mean) * (y - y_mean) for x, y in zip(xs, ys)) / sum(
            (x - x_mean) ** 2 for x in xs
        )
        growth[name] = 2.0**slope
    return growth


def save_plot(rows: list[Row], path: Path) -> Path | None:
    """Time against knobs, log-log, with the ratio at the largest size; None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    knobs = [row.knobs for row in rows]
    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=120)
    for name, marker in zip(METHODS, "osD"):
        axes.loglog(knobs, [row.seconds[name] for row in rows], marker=marker, label=name)
    last = rows[-1]
    slow, fast = last.seconds["nudging each knob"], last.seconds["backprop"]
    axes.annotate(
        "", xy=(last.knobs, fast), xytext=(last.knobs, slow), arrowprops={"arrowstyle": "<->"}
    )
    axes.text(
        last.knobs * 0.9,
        math.sqrt(slow * fast),
        f"backprop {last.speedup():,.0f}x faster\nthan nudging each knob\nat {last.knobs:,} knobs",
        ha="right",
        va="center",
    )
    axes.set_xlabel("number of knobs (weights and biases)")
    axes.set_ylabel("seconds to get every knob's blame")
    axes.set_title("Every knob's blame: one backward pass beats a pass per knob")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    write_atomically(path, lambda file: figure.savefig(file, format="png"))
    plt.close(figure)
    return path


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small networks only")
    parser.add_argument("--no-plot", action="store_true", help="do not save the picture")
    args = parser.parse_args(argv)

    print("Every knob's blame, three ways, for growing networks (one example, squared error):")
    rng = random.Random(SEED)
    rows = []
    for width in QUICK_WIDTHS if args.quick else HIDDEN_WIDTHS:
        rows.append(measure(width, rng))
        print(f"   measured a network of {rows[-1].knobs} knobs")
    print()
    print_table(rows)
    worst = check_agreement(rows)
    growth = growth_per_doubling(rows)
    print()
    print(
        "   All three agree: forward mode equals backprop to rounding, and nudging is within "
        f"{worst:.1e} of the largest blame."
    )
    print(
        f"   Each time the knobs double, nudging takes {growth['nudging each knob']:.1f}x as "
        f"long, forward mode {growth['forward mode']:.1f}x, backprop {growth['backprop']:.1f}x."
    )
    if not args.no_plot:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        picture = save_plot(rows, OUTPUT / "why_backprop.png")
        if picture is None:
            print(f"   (No plot: matplotlib is missing. Install it with {INSTALL_HINT}.)")
        else:
            print(f"   The plot: {picture}")
    return rows


if __name__ == "__main__":
    main()
