"""The demos' own code trains to its targets, with the demos' fixed seeds.

The demos are scripts, not a package, so they are loaded from their files.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import pytest

DEMOS = Path(__file__).resolve().parent.parent / "demos"


def load_demo(name: str):
    """Import a demo script as a module (with demos/ on the path, as when it runs)."""
    if str(DEMOS) not in sys.path:
        sys.path.insert(0, str(DEMOS))
    spec = importlib.util.spec_from_file_location(f"demo_{name}", DEMOS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def house_prices():
    return load_demo("house_prices")


@pytest.fixture(scope="module")
def moons():
    return load_demo("moons")


# ----------------------------------------------------------------------
# House prices
# ----------------------------------------------------------------------


def test_house_data_is_seeded_and_plausible(house_prices):
    data = house_prices.make_data(seed=7)
    assert data.train == house_prices.make_data(seed=7).train
    assert data.train != house_prices.make_data(seed=8).train
    for house in data.train + data.unseen:
        assert 50 <= house.size <= 250
        assert 1 <= house.bedrooms <= 6
        assert 1 <= house.location <= 10
        assert 80_000 < house.price < 1_500_000


def test_scaled_facts_average_zero_with_spread_one(house_prices):
    data = house_prices.make_data(seed=7)
    columns = list(zip(*(data.scaling.inputs(house) for house in data.train)))
    for column in columns:
        mean = sum(column) / len(column)
        spread = (sum((x - mean) ** 2 for x in column) / len(column)) ** 0.5
        assert mean == pytest.approx(0.0, abs=1e-12)
        assert spread == pytest.approx(1.0)


def test_the_narrated_nudge_brings_the_guess_closer(house_prices, capsys):
    data = house_prices.make_data(seed=7)
    model = house_prices.build_model(data.train, seed=7)
    house = data.train[0]
    step = house_prices.forward_and_backward(model, data.scaling, house)
    assert step.loss.data == pytest.approx((step.guess.data - house.price / 1e5) ** 2)
    assert step.guess.grad == pytest.approx(2 * (step.guess.data - house.price / 1e5))
    knobs = house_prices.tell_blame(step, model)
    new_guess = house_prices.tell_nudge(step, model, data.scaling, knobs)
    assert abs(new_guess - house.price) < abs(step.guess.data * 1e5 - house.price)
    told = " ".join(capsys.readouterr().out.split())
    assert told.count("the same as backward() found") == 2  # the chain rule, the paths
    assert "something is wrong" not in told
    assert "closer" in told and "NOT closer" not in told


def test_house_model_learns_prices_to_within_15000_dollars(house_prices):
    data = house_prices.make_data(seed=7)
    model = house_prices.build_model(data.train, seed=7)
    before = house_prices.average_error(model, data.scaling, data.train)
    losses = house_prices.train(model, data.scaling, data.train)
    assert losses[-1] < 0.05 * losses[0]
    assert before > 100_000
    assert house_prices.average_error(model, data.scaling, data.train) < 12_000
    assert house_prices.average_error(model, data.scaling, data.unseen) < 15_000


def test_house_demo_runs_quietly_and_deterministically(house_prices, capsys):
    house_prices.main(["--quiet", "--steps", "20"])
    first = capsys.readouterr().out
    house_prices.main(["--quiet", "--steps", "20"])
    second = capsys.readouterr().out
    assert "FINAL GUESSES" in first
    assert first.rsplit("(", 1)[0] == second.rsplit("(", 1)[0]  # all but the run time


# ----------------------------------------------------------------------
# Two moons
# ----------------------------------------------------------------------


def test_moons_data_has_two_balanced_classes(moons):
    points, labels = moons.make_moons(100, 0.1, random.Random(0))
    assert len(points) == 100
    assert sorted(set(labels)) == [-1, 1]
    assert labels.count(1) == 50
    upper = [p for p, y in zip(points, labels) if y == -1]
    lower = [p for p, y in zip(points, labels) if y == 1]
    assert sum(y for _, y in upper) / 50 > 0.4 > sum(y for _, y in lower) / 50


def test_moons_model_reaches_95_percent(moons):
    points, labels = moons.make_moons(moons.POINTS, moons.NOISE, random.Random(moons.SEED))
    model = moons.build_model(moons.SEED)
    assert moons.accuracy(model, points, labels) < 0.9
    losses = moons.train(model, points, labels, moons.STEPS, moons.SEED)
    assert len(losses) == moons.STEPS
    assert moons.accuracy(model, points, labels) >= 0.95


def test_moons_on_a_tape_trains_to_the_same_numbers_as_building_the_graph(moons, capsys):
    points, labels = moons.make_moons(moons.POINTS, moons.NOISE, random.Random(moons.SEED))
    eager_model, taped_model = moons.build_model(moons.SEED), moons.build_model(moons.SEED)
    eager = moons.train(eager_model, points, labels, 25, moons.SEED)
    taped = moons.train(taped_model, points, labels, 25, moons.SEED, tape=True)
    assert taped == eager
    assert taped_model.state_dict() == eager_model.state_dict()
    moons.main(["--steps", "5", "--quiet", "--tape"])
    assert "replayed from a tape" in capsys.readouterr().out


def test_moons_pictures_are_png_files(moons, tmp_path):
    pytest.importorskip("matplotlib")
    points, labels = moons.make_moons(20, 0.1, random.Random(0))
    model = moons.build_model(0)
    losses = moons.train(model, points, labels, steps=3)
    pictures = moons.save_pictures(model, points, labels, losses, tmp_path, grid_cells=10)
    assert [p.name for p in pictures] == ["moons_boundary.png", "moons_loss.png"]
    for picture in pictures:
        assert picture.read_bytes().startswith(b"\x89PNG")


def test_moons_without_matplotlib_says_how_to_get_the_pictures(moons, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setattr(moons, "POINTS", 20)
    moons.main(["--steps", "10"])
    told = capsys.readouterr().out
    assert "step   10/10" in told
    assert 'pip install "microgradx[demos]"' in told


def test_moons_pictures_are_replaced_in_one_step(moons, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from microgradx import files

    for name in ("moons_boundary.png", "moons_loss.png"):
        (tmp_path / name).write_bytes(b"the old picture")
    points, labels = moons.make_moons(20, 0.1, random.Random(0))
    model = moons.build_model(0)

    def disk_full(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        moons.save_pictures(model, points, labels, [1.0, 0.5], tmp_path, grid_cells=5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["moons_boundary.png", "moons_loss.png"]
    assert (tmp_path / "moons_boundary.png").read_bytes() == b"the old picture"


def test_the_house_demo_without_a_working_renderer_says_so_and_goes_on(
    house_prices, capsys, monkeypatch, tmp_path
):
    from fake_renderers import fake_renderer

    if sys.platform == "win32":
        pytest.skip("fake renderers are scripts")
    monkeypatch.setenv("MICROGRADX_DOT", str(fake_renderer(tmp_path, "garbage")))
    monkeypatch.setattr(house_prices, "OUTPUT", tmp_path / "output")
    data = house_prices.make_data()
    model = house_prices.build_model(data.train, house_prices.SEED)
    first = house_prices.forward_and_backward(model, data.scaling, data.train[0])
    house_prices.save_pictures(first.loss, model)
    told = capsys.readouterr().out
    assert "(No blame graph: The Graphviz renderer" in told
    assert "is not an SVG file" in told


# ----------------------------------------------------------------------
# Why backprop, and Newton's method (the demos of derivatives as functions)
# ----------------------------------------------------------------------


def test_why_backprop_gets_the_same_blame_three_ways_and_backprop_wins(capsys) -> None:
    why = load_demo("why_backprop")
    rows = why.main(["--quick", "--no-plot"])
    assert [row.knobs for row in rows] == [19, 31, 45]
    for row in rows:
        assert row.difference["forward mode"] <= 1e-12
        assert row.difference["nudging each knob"] <= 1e-6
    assert rows[-1].seconds["backprop"] < rows[-1].seconds["nudging each knob"]
    told = capsys.readouterr().out
    assert "All three agree" in told and "backprop wins by" in told


def test_why_backprop_counts_knobs_as_the_network_has_them() -> None:
    why = load_demo("why_backprop")
    from microgradx import MLP

    for width in (2, 5):
        model = MLP(why.INPUTS, [width, width, 1])
        assert why.knob_count(why.layer_sizes(width)) == len(model.parameters())


def test_newton_reaches_the_bottom_of_the_banana_in_a_handful_of_steps(capsys) -> None:
    newton = load_demo("newton")
    paths = newton.main(["--max-steps", "2000", "--no-plot"])
    newton_path, descent_path = paths["Newton's method"], paths["gradient descent"]
    assert len(newton_path) - 1 <= 8
    assert newton_path[-1] == pytest.approx((1.0, 1.0), abs=1e-8)
    assert len(descent_path) - 1 == 2000  # gradient descent is still crawling along the valley
    told = capsys.readouterr().out
    assert "reached the bottom" in told and "still not there after 2,000 steps" in told


# ----------------------------------------------------------------------
# Digits (trained from a tape; needs scikit-learn, in the test and digits extras)
# ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def digits():
    pytest.importorskip("sklearn", reason="the digits demo needs scikit-learn (the test extra)")
    return load_demo("digits")


def test_digits_short_run_prints_what_it_does_and_saves_its_mistakes(
    digits, capsys, monkeypatch, tmp_path
):
    pytest.importorskip("matplotlib")
    monkeypatch.setattr(digits, "OUTPUT", tmp_path)
    assert digits.main(["--epochs", "1"]) == 0
    out = capsys.readouterr().out
    assert "Digits: 1,797 pictures of 8 x 8 pixels; training on 1,438, holding out 359" in out
    assert "Recording one batch of 32 pictures on a tape" in out
    assert "After 1 epochs: " in out and "held-out digits read right" in out
    assert (tmp_path / "digits_mistakes.png").read_bytes().startswith(b"\x89PNG")


def test_digits_reads_90_percent_of_held_out_digits(digits):
    """The demo's own settings (about 20 s of training here; not timed)."""
    pictures, answers = digits.load_pictures()
    training, held_out = digits.split(pictures, answers, digits.HELD_OUT, digits.SEED)
    assert not set(training) & set(held_out)
    model = digits.build_model(digits.SEED)
    assert digits.accuracy(model, pictures, answers, held_out) < 0.3
    losses = digits.train(model, pictures, answers, training, digits.EPOCHS, digits.SEED)
    assert len(losses) == digits.EPOCHS * (len(training) // digits.BATCH)
    assert digits.accuracy(model, pictures, answers, held_out) >= 0.90


def test_digits_without_scikit_learn_says_how_to_get_it(digits, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    assert digits.main(["--quiet"]) == 1
    assert 'pip install "microgradx[digits]"' in capsys.readouterr().out
