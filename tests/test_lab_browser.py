"""The live lab in a real browser: its numbers against the engine's, op by op.

Each page is opened from a file in headless Chromium (one browser for the whole run,
see ``tests/browser.py``) and driven as a learner drives it: sliders moved, numbers
typed, Nudge, Undo and Reset pressed. After every change, every node the drawing
shows carries its number and its blame in full (``data-value``, ``data-blame``, as
Python's ``repr`` writes them), and each is checked against ``microgradx.lab.rerun``:
the same graph built again by the engine, in Python, at the page's leaf numbers, and
``backward()`` run on it.

What "equal" means here. The page runs each op's ``js`` rule and adds blame in
``backward()``'s order, with IEEE doubles as Python, so + - * /, sqrt and the sums
agree bit for bit. exp, log, log1p, tanh, sin, cos and ``**`` are the browser's own
functions, and Python's are the C library's: they may round the last bit
differently. (Measured with Chromium 156 and glibc 2.36 at 40,000 random points
each: exp, log, log1p, tanh, sin and cos always agreed, and so did ``**``, except
``x ** 2`` and ``x ** 0.5`` in about 1 case in 1,000: the browser returns the
correctly rounded ``x * x`` and ``sqrt(x)``, glibc's ``pow`` one ulp off.) So for
every node, its number and its blame must satisfy

    |page - python| <= 1e-12 * max(|page|, |python|)

(1e-12 relative to the number itself, about 4,500 ulps), or, where the graph itself
magnifies a last-bit difference beyond that (blame through a saturated tanh, whose
local derivative 1 - t² cancels), be within ``ULPS`` times what a one-ulp change in
every library result moves that number in Python (``library_spread``: the graph run
again with every such result rounded one ulp up, and once down). Each test prints the
largest relative difference it saw, on which op's node, and how many numbers needed
the second allowance.

Recomputing the house demo's graph after a slider move is timed in the page and
printed (not asserted: timings on a shared machine say little).
"""

from __future__ import annotations

import math
import random
import statistics
import types
from contextlib import contextmanager

import pytest
from test_player_browser import Page, house_demo, set_viewport, text_sizes

from microgradx import Value, ops, sum_values, topological_order
from microgradx.labels import format_number
from microgradx.lab import rerun
from microgradx.player import BackpropPlayer, explain

RELATIVE = 1e-12
"""How close each number of the page must be to Python's (see the module docstring)."""
ULPS = 4
"""... or within this many times what a one-ulp change of every library result causes."""
LIBRARY_FUNCTIONS = ("exp", "log", "log1p", "tanh", "sin", "cos")
"""The functions of ``math`` the rules call whose results the browser may round otherwise
(``sqrt`` is correctly rounded on both sides)."""

READ = """
const player = arguments[0];
const lab = player.microgradx.lab;
const holders = Array.from(player.querySelectorAll(".mgx-graph [data-mgx-holds]"), (e) => [
  Number(e.getAttribute("data-mgx-holds")), e.getAttribute("data-value"),
  e.getAttribute("data-blame"),
]);
const problem = player.querySelector(".mgx-lab-problem");
return {
  holders: holders,
  leaves: lab.leaves(),
  problem: problem.hidden ? null : problem.textContent,
  output: player.querySelector(".mgx-lab-output").getAttribute("data-value"),
  timing: Object.assign({}, lab.timing),
};
"""

MOVE = """
const [player, node, value, how] = arguments;
const row = player.querySelector('.mgx-leaf[data-mgx-leaf="' + node + '"]');
const control = row.querySelector(how === "slider" ? ".mgx-leaf-slider" : ".mgx-leaf-number");
control.value = String(value);
const started = performance.now();
control.dispatchEvent(new Event(how === "slider" ? "input" : "change", {bubbles: true}));
const handled = performance.now();
document.body.offsetHeight;  // lay the page out: the new texts measured and placed
const laidOut = performance.now();
const tried = Number(control.value);  // where the slider is: on its grid of steps
if (how === "slider") control.dispatchEvent(new Event("change", {bubbles: true}));
return [handled - started, laidOut - started, tried];
"""


class LabPage(Page):
    """A page with the live lab, as the browser shows it."""

    def read(self) -> dict:
        return self.driver.execute_script(READ, self.player)

    def leaf_controls(self) -> list[dict]:
        return self.driver.execute_script(
            """return Array.from(arguments[0].querySelectorAll(".mgx-leaf"), (row) => {
                 const s = row.querySelector(".mgx-leaf-slider");
                 return {node: Number(row.getAttribute("data-mgx-leaf")), min: Number(s.min),
                         max: Number(s.max), step: Number(s.step)};
               });""",
            self.player,
        )

    def move(self, node: int, value: float, how: str = "slider") -> tuple[float, float, float]:
        """Move a leaf's slider (or type into its number box and press Enter).

        Returns the time the page took to handle it and to lay itself out (ms), and
        the number tried (a slider's lands on its grid of steps).
        """
        return tuple(self.driver.execute_script(MOVE, self.player, node, value, how))

    def press(self, control: str) -> None:
        self.find(f".mgx-{control}").click()


class Differences:
    """The largest relative difference between the page and Python, and where."""

    def __init__(self) -> None:
        self.largest = 0.0
        self.where = "no difference"
        self.checked = 0
        self.magnified = 0

    def add(self, got: float, wanted: float, spread: float, where: str) -> None:
        """``spread``: how far a one-ulp change of each library result moves it."""
        self.checked += 1
        if got == wanted:
            return
        difference = abs(got - wanted)
        relative = difference / max(abs(got), abs(wanted))
        if relative > RELATIVE:
            assert difference <= ULPS * spread, (
                f"{where}: page {got!r}, Python {wanted!r} (relative difference "
                f"{relative:.3g}; one ulp in each library function moves it {spread:.3g})"
            )
            self.magnified += 1
        if relative > self.largest:
            self.largest, self.where = relative, where

    def __str__(self) -> str:
        return (
            f"{self.checked} numbers checked, largest relative difference "
            f"{self.largest:.3g} ({self.where}); beyond 1e-12 only as the graph magnifies "
            f"a last-bit difference: {self.magnified}"
        )


@contextmanager
def library_rounded(direction: int):
    """The rules of ``microgradx.ops`` with every result of exp, log, log1p, tanh, sin,
    cos and ``**`` moved by one ulp: up (direction 1) or down (-1)."""
    factor = 1.0 + direction * 2.0**-52
    nudged = types.SimpleNamespace(**{name: getattr(math, name) for name in dir(math)})
    for name in LIBRARY_FUNCTIONS:
        function = getattr(math, name)
        setattr(nudged, name, lambda x, function=function: function(x) * factor)
    real_power = ops._real_power
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ops, "math", nudged)
        patch.setattr(ops, "_real_power", lambda x, n, text: real_power(x, n, text) * factor)
        yield


def library_spread(root: Value, leaves: dict) -> list[tuple[float, float]]:
    """Per node, how far its number and its blame move in Python when every library
    result is rounded one ulp up, or down: what the graph makes of a last bit."""
    base = topological_order(rerun(root, leaves))
    spread = [(0.0, 0.0)] * len(base)
    for direction in (1, -1):
        with library_rounded(direction):
            moved = topological_order(rerun(root, leaves))
        spread = [
            (max(v, abs(m.data - b.data)), max(g, abs(m.grad - b.grad)))
            for (v, g), m, b in zip(spread, moved, base)
        ]
    return spread


def op_of(node: Value) -> str:
    return str(node.op) if node.children else "leaf"


def check_against_python(root: Value, shown: dict, differences: Differences) -> list[Value]:
    """Every number the page shows equals the engine's at the page's leaf numbers."""
    order = topological_order(root)
    leaves = {order[i]: x for i, x in enumerate(shown["leaves"]) if x is not None}
    again = topological_order(rerun(root, leaves))
    assert len(again) == len(order)
    spread = library_spread(root, leaves)
    assert shown["holders"], "the drawing shows no node's numbers"
    for i, value, blame in shown["holders"]:
        where = f"node {i} ({op_of(order[i])})"
        assert value is not None and blame is not None, where
        differences.add(float(value), again[i].data, spread[i][0], f"value of {where}")
        differences.add(float(blame), again[i].grad, spread[i][1], f"blame of {where}")
    differences.add(float(shown["output"]), again[-1].data, spread[-1][0], "the output")
    return again


def python_fails(root: Value, leaves: list) -> bool:
    order = topological_order(root)
    try:
        rerun(root, {order[i]: x for i, x in enumerate(leaves) if x is not None})
    except (ValueError, ZeroDivisionError, OverflowError):
        return True
    return False


# ----------------------------------------------------------------------
# The house demo's graph: 20 slider positions, in both views, timed
# ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def house(tmp_path_factory):
    """The main demo's first house, and its lab pages in both views."""
    monkeypatch = pytest.MonkeyPatch()
    folder = tmp_path_factory.mktemp("house")
    demo, model, first = house_demo(folder, monkeypatch)
    written = demo.save_pictures(first.loss, model)
    pages = {
        view: explain(first.loss, folder / f"lab-{view}.html", model=model, view=view, live=True)
        for view in ("values", "network")
    }
    yield first.loss, model, pages, written
    monkeypatch.undo()


def test_the_house_demo_writes_its_lab_page_under_a_megabyte(house):
    _, _, pages, written = house
    lab = [path for path in written if path.name == "house_prices_lab.html"]
    assert lab, [path.name for path in written]
    sizes = {path.name: path.stat().st_size for path in [*lab, *pages.values()]}
    print("\npage sizes:", ", ".join(f"{name} {size / 1000:.0f} kB" for name, size in sizes.items()))
    assert all(size < 1_000_000 for size in sizes.values()), sizes
    assert 'data-lab="on"' in lab[0].read_text(encoding="utf-8")


@pytest.mark.parametrize("view", ["values", "network"])
def test_twenty_slider_positions_on_the_house_graph_give_python_numbers(driver, house, view):
    loss, _, pages, _ = house
    page = LabPage(driver, pages[view])
    differences = Differences()
    check_against_python(loss, page.read(), differences)  # as recorded
    controls = page.leaf_controls()
    rng = random.Random(f"house-{view}")
    handled, laid_out, computed = [], [], []
    for _ in range(20):
        control = rng.choice(controls)
        value = rng.uniform(control["min"], control["max"])
        times = page.move(control["node"], value)
        shown = page.read()
        assert shown["problem"] is None, shown["problem"]
        check_against_python(loss, shown, differences)
        handled.append(times[0])
        laid_out.append(times[1])
        computed.append(shown["timing"]["compute"])
    assert page.errors() == []
    print(f"\nhouse graph, {view} view ({len(topological_order(loss))} nodes): {differences}")
    print(
        f"  a slider move, in headless Chromium: recomputed and repainted in "
        f"{statistics.median(handled):.1f} ms (median of 20; the most {max(handled):.1f} ms; "
        f"of which the arithmetic {statistics.median(computed):.2f} ms), laid out "
        f"{statistics.median(laid_out):.1f} ms (the most {max(laid_out):.1f} ms)"
    )


# ----------------------------------------------------------------------
# Random graphs covering every op of the table
# ----------------------------------------------------------------------


def graph_with_every_op(draw):
    """The sum of one random expression per op of the table, and two with all of them."""
    from hypothesis import strategies as st

    from microgradx.testing import OPERATION_NAMES, expressions

    parts = [draw(expressions(operations=[name], max_steps=3)) for name in OPERATION_NAMES]
    parts += draw(st.lists(expressions(max_steps=10), min_size=2, max_size=2))
    outputs = []
    for k, expression in enumerate(parts):
        inputs = [Value(x, f"e{k}.x{j}") for j, x in enumerate(expression.inputs)]
        outputs.append(expression(*inputs))
    root = sum_values(outputs)
    root.label = "total"
    return root


def test_random_graphs_with_every_op_give_python_numbers(driver, tmp_path):
    """20 slider positions on random graphs that hold every op of ops.PRIMITIVES.

    Half the moves are small (a few slider steps), half go anywhere on the slider;
    a position where Python cannot compute the graph (log of a negative number ...)
    must show the page's message and keep the last good numbers.
    """
    from hypothesis import Phase, given, settings
    from hypothesis import strategies as st

    differences = Differences()
    refused = []

    @settings(max_examples=3, deadline=None, derandomize=True, phases=[Phase.generate])
    @given(st.data())
    def pages_agree(data):
        root = graph_with_every_op(data.draw)
        used = {op.primitive.name for op in (n.op for n in topological_order(root)) if op}
        assert used == set(ops.PRIMITIVES)
        page = LabPage(driver, explain(root, tmp_path / "random.html", live=True))
        check_against_python(root, page.read(), differences)
        controls = page.leaf_controls()
        rng = random.Random(data.draw(st.integers(0, 2**32)))
        agreed = 0
        for attempt in range(80):
            if agreed == 20:
                break
            control = rng.choice(controls)
            before = page.read()
            now = before["leaves"][control["node"]]
            if attempt % 2:
                value = now + rng.randint(-20, 20) * control["step"]
            else:
                value = rng.uniform(control["min"], control["max"])
            *_, value = page.move(control["node"], value)
            shown = page.read()
            tried = list(before["leaves"])
            tried[control["node"]] = value
            if shown["problem"] is not None:  # the page could not compute: nor can Python
                assert python_fails(root, tried), shown["problem"]
                assert shown["holders"] == before["holders"], "the numbers must stay as they were"
                assert shown["leaves"] == before["leaves"]
                refused.append(shown["problem"])
                continue
            assert shown["leaves"] == tried
            check_against_python(root, shown, differences)
            agreed += 1
        assert agreed == 20, f"only {agreed} of 80 positions could be computed"
        assert page.errors() == []

    pages_agree()
    print(f"\nrandom graphs with every op: {differences}")
    print(f"  positions the page refused, as Python does: {len(refused)}")
    if refused:
        print(f"  for example: {refused[0]}")
