"""The main demo: a small network learns to price houses, and shows how.

    python demos/house_prices.py            # the whole story
    python demos/house_prices.py --quiet    # only the final table

It tells the story of backpropagation with the numbers of its own run:

1. Forward pass: the facts about one house go in, a guess at its price comes out.
2. The error: how far the guess is from the true price.
3. Backward pass: every knob (weight, bias) gets its share of the blame, its
   gradient, by the chain rule from local derivatives. Blame from several
   paths adds up.
4. The nudge: every knob moves by learning rate x blame, and the same house
   gets a better guess.
5. Training: the same four steps over all the houses, many times; then the
   final guesses beside the true prices, for houses it saw and houses it did not.

The houses are made up (seeded, so every run is the same) but plausible: the
price per square metre rises with the location score, and bedrooms add a bit.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from progress import Progress

from microgradx import Value, no_grad
from microgradx.losses import mse
from microgradx.nn import MLP
from microgradx.optim import SGD

PRICE_UNIT = 100_000
"""The network works in prices of $100,000: a guess of 4.2 means $420,000."""

FEATURES = ("size", "bedrooms", "location")
HIDDEN_NEURONS = 8
LEARNING_RATE = 0.1
STEPS = 250
SEED = 7
OUTPUT = Path(__file__).resolve().parent / "output"
"""Where the blame graph and the step-through page are written (git-ignored)."""


@dataclass(frozen=True)
class House:
    size: float  # square metres
    bedrooms: int
    location: float  # 1 (far from everything) to 10 (the best street in town)
    price: float  # dollars

    def facts(self) -> list[float]:
        return [self.size, self.bedrooms, self.location]

    def describe(self) -> str:
        return f"{self.size:.0f} m², {self.bedrooms} bedrooms, location {self.location:.1f}/10"


def make_houses(count: int, rng: random.Random) -> list[House]:
    """Made-up houses: the price per m² grows with location; bedrooms add a little."""
    houses = []
    for _ in range(count):
        size = rng.uniform(50, 250)
        bedrooms = min(6, max(1, round(size / 45 + rng.gauss(0, 0.6))))
        location = rng.uniform(1, 10)
        price = 40_000 + size * (1_000 + 350 * location) + 12_000 * bedrooms
        price += rng.gauss(0, 15_000)
        houses.append(House(size, bedrooms, location, round(price, -3)))
    return houses


class Scaling:
    """Each fact as "how many spreads from the average": (x - mean) / standard deviation.

    The knobs start small (about -1 to 1), so the network learns best when its
    inputs are about that size too. A raw size of 180 (m²) next to a location
    of 7 would make the size knobs take all the blame and the nudges too big.
    """

    def __init__(self, houses: list[House]) -> None:
        columns = list(zip(*(house.facts() for house in houses)))
        self.means = [statistics.fmean(column) for column in columns]
        self.spreads = [statistics.pstdev(column) for column in columns]

    def inputs(self, house: House) -> list[float]:
        return [(x - m) / s for x, m, s in zip(house.facts(), self.means, self.spreads)]


def build_model(houses: list[House], seed: int) -> MLP:
    """3 facts in, HIDDEN_NEURONS ReLU neurons, 1 price out (in units of PRICE_UNIT).

    The output neuron's bias starts at the average price, so the first guesses
    are ordinary prices and training learns the differences between houses.
    """
    model = MLP(len(FEATURES), [HIDDEN_NEURONS, 1], seed=seed)
    model.layers[-1].neurons[0].b.data = statistics.fmean(h.price for h in houses) / PRICE_UNIT
    return model


def say(text: str) -> None:
    """Print a sentence of the story, wrapped and indented."""
    print(textwrap.fill(text, width=92, initial_indent="   ", subsequent_indent="   "))


def dollars(amount: float) -> str:
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.0f}"


def guess_price(model: MLP, scaling: Scaling, house: House) -> float:
    """The model's guess for one house, in dollars."""
    return model(scaling.inputs(house)).data * PRICE_UNIT


def average_error(model: MLP, scaling: Scaling, houses: list[House]) -> float:
    """The mean of |guess - true price| over the houses, in dollars."""
    return statistics.fmean(abs(guess_price(model, scaling, h) - h.price) for h in houses)


# ----------------------------------------------------------------------
# The first step, told in full
# ----------------------------------------------------------------------


@dataclass
class FirstStep:
    """One house's forward and backward pass, kept for telling (and drawing)."""

    house: House
    inputs: list[Value]  # the scaled facts, labelled "size", "bedrooms", "location"
    guess: Value  # the network's output, in units of PRICE_UNIT
    loss: Value  # the squared error; loss.backward() has run, every node holds its blame


def forward_and_backward(model: MLP, scaling: Scaling, house: House) -> FirstStep:
    """Guess one house's price, measure the error, and hand every knob its blame."""
    inputs = [Value(x, label=name) for x, name in zip(scaling.inputs(house), FEATURES)]
    guess = model(inputs)
    guess.label = "guess"
    loss = mse(guess, Value(house.price / PRICE_UNIT, label="true price"))
    loss.label = "error"
    model.zero_grad()
    loss.backward()
    return FirstStep(house, inputs, guess, loss)


def tell_forward(step: FirstStep, model: MLP) -> None:
    house, guess = step.house, step.guess.data * PRICE_UNIT
    miss = guess - house.price
    print("1. FORWARD PASS: a guess")
    say(f"House: {house.describe()}. True price: {dollars(house.price)}.")
    facts = ", ".join(f"{v.label} {v.data:+.2f}" for v in step.inputs)
    say(
        f"The scaled facts go in at the bottom ({facts}), pass through {HIDDEN_NEURONS} "
        f"hidden neurons to 1 output ({len(model.parameters())} knobs in all), and out "
        f"comes a guess: {dollars(guess)}. (The weights start random; the output's bias "
        f"starts at the average price, {dollars(model.layers[-1].neurons[0].b.data * PRICE_UNIT)},"
        " so even the first guess is an ordinary price.)"
    )
    print()
    print("2. THE ERROR")
    say(f"The guess is {dollars(abs(miss))} too {'low' if miss < 0 else 'high'}.")
    say(
        f"Error = (guess - true)^2, in units of {dollars(PRICE_UNIT)}: "
        f"({step.guess.data:.3f} - {house.price / PRICE_UNIT:.3f})^2 = {step.loss.data:.4f}"
    )
    print()


def most_blamed_hidden_neuron(model: MLP) -> int:
    """The number (from 1) of the hidden neuron whose output knob got the most blame."""
    output_weights = model.layers[-1].neurons[0].w
    return 1 + max(range(len(output_weights)), key=lambda j: abs(output_weights[j].grad))


def tell_blame(step: FirstStep, model: MLP) -> list[Value]:
    """Print the blame on a few knobs; returns those knobs."""
    output = model.layers[-1].neurons[0]
    j = most_blamed_hidden_neuron(model)
    hidden = model.layers[0].neurons[j - 1]
    blame_on_guess = step.guess.grad
    with no_grad():
        hidden_output = model.layers[0](step.inputs)[j - 1].data
    relu_slope = 1.0 if hidden_output > 0.0 else 0.0
    state = "on" if relu_slope else "off"
    print("3. BACKWARD PASS: blame")
    say(
        f"The output gets the first blame: d error / d guess = 2 x (guess - true) "
        f"= {blame_on_guess:+.4f}. Each node passes blame down to its inputs, times its "
        "local derivative. A few of the knobs:"
    )
    print(f"   {'knob':<10} {'value':>9} {'blame':>9}   why")
    rows = [
        (output.b, "the output's bias adds straight into the guess: blame x 1"),
        (output.w[j - 1], f"blame x (output of hidden neuron {j}: {hidden_output:.4f})"),
        (hidden.b, f"blame x L2.N1.w{j} x ReLU slope ({relu_slope:g}: the neuron is {state})"),
        (hidden.w[0], f"blame x L2.N1.w{j} x ReLU slope x size ({step.inputs[0].data:+.2f})"),
    ]
    for knob, why in rows:
        print(f"   {knob.label:<10} {knob.data:>+9.4f} {knob.grad:>+9.4f}   {why}")
    chain = blame_on_guess * output.w[j - 1].data * relu_slope * step.inputs[0].data
    factors = [blame_on_guess, output.w[j - 1].data, relu_slope, step.inputs[0].data]
    say(
        f"The chain rule by hand for {hidden.w[0].label}: "
        + " x ".join(f"{factor:+.4g}" for factor in factors)
        + f" = {chain:+.4f}, {_compared_with_backward(chain, hidden.w[0].grad)}."
    )
    size = step.inputs[0]
    paths = [n.b.grad * n.w[0].data for n in model.layers[0].neurons if n.b.grad != 0.0]
    terms = " + ".join(f"({p:+.3f})" for p in paths)
    say(
        f"Blame from several paths adds up: the size input feeds all {HIDDEN_NEURONS} "
        f"hidden neurons, and its blame is the sum over the {len(paths)} that are switched "
        f"on: {terms} = {sum(paths):+.4f}, {_compared_with_backward(sum(paths), size.grad)}."
    )
    say("A negative blame means: raise this knob and the error falls; positive: lower it.")
    print()
    return [knob for knob, _ in rows]


def _compared_with_backward(by_hand: float, found: float) -> str:
    if math.isclose(by_hand, found, rel_tol=1e-9, abs_tol=1e-12):
        return "the same as backward() found"
    return f"but backward() found {found:+.4f}: something is wrong"


def tell_nudge(step: FirstStep, model: MLP, scaling: Scaling, knobs: list[Value]) -> float:
    """Nudge every knob by learning rate x blame; print a few; returns the new guess."""
    before = {knob: knob.data for knob in knobs}
    SGD(model.parameters(), lr=LEARNING_RATE).step()
    print("4. THE NUDGE: learning rate x blame")
    say(f"Every knob moves against its blame: new = old - {LEARNING_RATE} x blame.")
    for knob in knobs:
        print(
            f"   {knob.label:<10} {before[knob]:+.4f} - {LEARNING_RATE} x ({knob.grad:+.4f}) "
            f"= {knob.data:+.4f}"
        )
    house = step.house
    old_miss = abs(step.guess.data * PRICE_UNIT - house.price)
    new_guess = guess_price(model, scaling, house)
    new_miss = abs(new_guess - house.price)
    say(
        f"All {len(model.parameters())} knobs are nudged. The same house now: guess "
        f"{dollars(new_guess)}, off by {dollars(new_miss)} instead of {dollars(old_miss)}: "
        f"{'closer' if new_miss < old_miss else 'NOT closer'}."
    )
    print()
    return new_guess


# ----------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------


def train(
    model: MLP,
    scaling: Scaling,
    houses: list[House],
    steps: int = STEPS,
    learning_rate: float = LEARNING_RATE,
    quiet: bool = True,
) -> list[float]:
    """Full-batch gradient descent on the mean squared error; returns the loss per step."""
    inputs = [scaling.inputs(house) for house in houses]
    targets = [house.price / PRICE_UNIT for house in houses]
    optimizer = SGD(model.parameters(), lr=learning_rate)
    progress = Progress(steps, quiet, description="   training")
    losses = []
    for step in range(1, steps + 1):
        guesses = [model(x) for x in inputs]
        loss = mse(guesses, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.data)
        miss = statistics.fmean(abs(g.data - t) for g, t in zip(guesses, targets))
        progress.update(step, f"average error {dollars(miss * PRICE_UNIT)}")
    progress.close()
    return losses


def print_table(model: MLP, scaling: Scaling, houses: list[House], title: str) -> None:
    print(f"   {title}")
    print(f"   {'size':>7} {'bed':>4} {'loc':>5} {'true price':>12} {'guess':>12} {'off by':>10}")
    for house in houses:
        guess = guess_price(model, scaling, house)
        print(
            f"   {house.size:>5.0f}m² {house.bedrooms:>4} {house.location:>5.1f} "
            f"{dollars(house.price):>12} {dollars(guess):>12} {dollars(guess - house.price):>10}"
        )
    print(
        f"   average error of these {len(houses)}: {dollars(average_error(model, scaling, houses))}"
    )
    print()


# ----------------------------------------------------------------------
# The whole story
# ----------------------------------------------------------------------


@dataclass
class Data:
    train: list[House]
    unseen: list[House]
    scaling: Scaling


def make_data(seed: int = SEED, train_count: int = 40, unseen_count: int = 6) -> Data:
    houses = make_houses(train_count + unseen_count, random.Random(seed))
    train_houses, unseen = houses[:train_count], houses[train_count:]
    return Data(train_houses, unseen, Scaling(train_houses))


PICTURES = {
    "values": ("house_prices_blame_graph.svg", "house_prices_backprop.html"),
    "network": ("house_prices_network.svg", "house_prices_network_backprop.html"),
}
"""The files save_pictures writes into OUTPUT, per view: the drawing, and its page."""
LAB_PAGE = "house_prices_lab.html"
"""The live lab of the first guess (network view): a slider per input, knob and the
true price, and Nudge."""


def save_pictures(loss: Value, model: MLP, focus: Value | None = None) -> list[Path]:
    """Write the first guess's blame graph and its step-through page, in both views,
    and its live lab.

    The values view draws every value and op; the network view one node per neuron,
    one line per weight. ``loss`` is the error of one house right after backward(),
    before any knob is nudged, so every node shows the numbers of the pass just told.
    ``focus`` is the knob whose chain rule the network page spells out. The lab
    (network view) lets a learner change the house, any knob or the true price and
    watch every number move, and take one nudge at a time. Returns the files written
    (none when no Graphviz renderer is found).
    """
    from microgradx.graph import render
    from microgradx.player import explain
    from microgradx.render import RendererNotFoundError, RenderError

    OUTPUT.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        for view, (drawing, page) in PICTURES.items():
            written.append(render(loss, OUTPUT / drawing, model=model, view=view))
            written.append(
                explain(
                    loss,
                    OUTPUT / page,
                    model=model,
                    view=view,
                    focus=focus if view == "network" else None,
                    title=f"A house price, step by step ({view} view)",
                )
            )
        written.append(
            explain(
                loss,
                OUTPUT / LAB_PAGE,
                model=model,
                view="network",
                focus=focus,
                live=True,
                learning_rate=LEARNING_RATE,
                title="A house price: the live lab",
            )
        )
    except (RendererNotFoundError, RenderError) as error:
        print(f"   (No blame graph: {error})")
        return written
    print("   The whole pass, drawn two ways: every value with its blame and every edge with")
    print("   its local derivative (values view), and the network, one node per neuron and one")
    print("   line per weight (network view); each with a page that replays it step by step.")
    print("   Open them in a browser:")
    for path in written[:-1]:
        print(f"     {path}")
    print("   And the live lab: change the house, a knob or the true price, and every number")
    print("   and blame moves; press Nudge to take one step and compare the new error with")
    print("   what the blame predicted:")
    print(f"     {written[-1]}")
    print()
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=STEPS, help=f"training steps ({STEPS})")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed ({SEED})")
    parser.add_argument("--quiet", action="store_true", help="print only the final table")
    args = parser.parse_args(argv)
    if args.steps < 0:
        parser.error("--steps must be 0 or more")

    started = time.perf_counter()
    data = make_data(args.seed)
    model = build_model(data.train, args.seed)

    first = forward_and_backward(model, data.scaling, data.train[0])
    if not args.quiet:
        print("A small network learns to price houses.")
        print("   " + repr(model).replace("\n", "\n   "))
        print()
        tell_forward(first, model)
        knobs = tell_blame(first, model)
        save_pictures(first.loss, model, focus=knobs[-1])
    if args.quiet:
        SGD(model.parameters(), lr=LEARNING_RATE).step()
    else:
        tell_nudge(first, model, data.scaling, knobs)
        print(
            f"5. TRAINING: the same, for all {len(data.train)} houses at once, {args.steps} times"
        )
    train(model, data.scaling, data.train, args.steps, LEARNING_RATE, quiet=args.quiet)
    print()
    print("FINAL GUESSES")
    print_table(
        model, data.scaling, data.train[:6], f"Houses it trained on (6 of {len(data.train)}):"
    )
    print_table(model, data.scaling, data.unseen, "Houses it never saw:")
    seconds = time.perf_counter() - started
    seen = dollars(average_error(model, data.scaling, data.train))
    unseen = dollars(average_error(model, data.scaling, data.unseen))
    print(
        f"Average error: {seen} on the {len(data.train)} training houses, {unseen} on the "
        f"{len(data.unseen)} unseen ones. ({seconds:.1f} s)"
    )


if __name__ == "__main__":
    main()
