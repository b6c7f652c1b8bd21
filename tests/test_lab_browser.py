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
from test_player_browser import Page, house_demo, text_sizes
from test_player_browser import viewport as viewport  # a fixture the tests below use

from microgradx import Value, ops, sum_values, topological_order
from microgradx.lab import rerun
from microgradx.labels import format_number
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
    print(
        "\npage sizes:", ", ".join(f"{name} {size / 1000:.0f} kB" for name, size in sizes.items())
    )
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

    @settings(max_examples=2, deadline=None, derandomize=True, phases=[Phase.generate])
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


# ----------------------------------------------------------------------
# The rules themselves: every primitive's js against its Python rule
# ----------------------------------------------------------------------

RULES = """
const [name, arguments_, compensated] = arguments;
const { rules } = window.microgradxLab.makeRules(compensated);
const { list, rule } = rules[name];
const write = window.microgradxPlayer.pythonRepr;  // every bit, the sign of 0, inf
return arguments_.map((inputs) => {
  try {
    const [out, local] = list ? rule(inputs) : rule(...inputs);
    return [write(out), local.map(write)];
  } catch (error) {
    return error instanceof RangeError ? "fails: " + error.message : "ERROR " + String(error);
  }
});
"""

EDGES = (0.0, -0.0, 1.0, -1.0, 2.0, -2.5, 0.5, 1e-300, -1e-300, 5e-324, 709.78, 709.79, 1e300)
"""Numbers at the edges of the ops' domains: 0 and -0, 1, tiny, huge, exp's limit."""


def rule_arguments(primitive, rng: random.Random) -> list[list[float]]:
    """Arguments for one primitive's rule: edge cases and random numbers, all shapes."""
    numbers = [*EDGES, *(rng.uniform(-10, 10) for _ in range(40))]
    if primitive.arity is None:  # sum and dot take one list: an even length suits both
        return [[rng.choice(numbers) for _ in range(2 * rng.randint(1, 4))] for _ in range(60)]
    settings = {
        "**n": (2.0, 3.0, -1.0, 0.5, -2.0, 1.5, -0.5, 0.0, 1.0, 2.5),
        "leaky_relu": (0.01, 0.3),
    }
    cases = []
    for _ in range(80):
        inputs = [rng.choice(numbers) for _ in range(primitive.arity)]
        if primitive.name in settings:
            inputs.append(rng.choice(settings[primitive.name]))
        cases.append(inputs)
    return cases


def test_every_rule_in_javascript_gives_the_python_rule_s_numbers(driver, tmp_path):
    """Each primitive's ``js`` against its Python ``numbers`` rule, at edges and at random:
    the same result and local derivatives, or both refuse (outside the op's domain)."""
    page = LabPage(driver, explain(Value(1.0, "x").tanh(), tmp_path / "rules.html", live=True))
    rng = random.Random(12)
    differences = Differences()
    refused = equal = 0
    for primitive in ops.PRIMITIVES.values():
        cases = rule_arguments(primitive, rng)
        results = driver.execute_script(RULES, primitive.name, cases, ops.SUM_IS_COMPENSATED)
        for inputs, result in zip(cases, results):
            where = f"{primitive.name}{tuple(inputs)}"
            try:
                out, local = (
                    primitive.numbers(inputs)
                    if primitive.arity is None
                    else (primitive.numbers(*inputs))
                )
                fine = math.isfinite(out)
            except (ops.OutOfDomain, OverflowError, ValueError, ZeroDivisionError):
                fine = False
            if not fine:  # the engine refuses: so must the page (or give a non-finite result)
                assert isinstance(result, str) or not math.isfinite(float(result[0])), where
                assert not (isinstance(result, str) and result.startswith("ERROR")), result
                refused += 1
                continue
            assert not isinstance(result, str), f"{where}: {result}"
            shown_out, shown_local = result
            if shown_out == repr(out) and shown_local == [repr(x) for x in local]:
                equal += 1  # to the last bit, and the sign of 0
                continue
            differences.add(float(shown_out), out, 0.0, f"{where} result")
            assert len(shown_local) == len(local), where
            for got, wanted in zip(shown_local, local):
                differences.add(float(got), wanted, 0.0, f"{where} local derivative")
    assert page.errors() == []
    print(
        f"\nevery rule, {equal + refused + differences.checked} cases at edges and at random: "
        f"{equal} equal to the last bit (and the sign of 0), {refused} refused by both; "
        f"otherwise {differences}"
    )


def reference_sum(terms: list[float], compensated: bool) -> float:
    """The built-in sum() of floats as CPython writes it (Python/bltinmodule.c): 0 + the
    first term, then each next one; from 3.12 on with Neumaier's compensation."""
    if not terms:
        return 0
    high, low = 0 + terms[0], 0.0
    for x in terms[1:]:
        t = high + x
        if not compensated:
            high = t
            continue
        low += (high - t) + x if abs(high) >= abs(x) else (x - t) + high
        high = t
    return high + low if low and math.isfinite(low) else high


def test_sums_add_up_as_the_python_that_wrote_the_page(driver, tmp_path):
    """sumOf is sum(): left to right up to 3.11, compensated from 3.12 on; both are
    checked against CPython's algorithm, and the one of this Python against sum()."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    LabPage(driver, explain(Value(1.0, "x").tanh(), tmp_path / "sums.html", live=True))
    script = (
        "const [lists, compensated] = arguments;"
        "const { sumOf } = window.microgradxLab.makeRules(compensated);"
        "return lists.map(sumOf);"
    )
    hard = [[1.0, 1e100, 1.0, -1e100], [0.1] * 10, [-0.0], [-0.0, -0.0], [1e308, 1e308, -1e308]]
    for compensated in (False, True):
        got = driver.execute_script(script, hard[:4], compensated)
        assert got == [reference_sum(terms, compensated) for terms in hard[:4]]
    assert [reference_sum(terms, ops.SUM_IS_COMPENSATED) for terms in hard] == [
        sum(t) for t in hard
    ]
    floats = st.floats(-1e10, 1e10, allow_nan=False) | st.floats(-1, 1, allow_nan=False)

    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.lists(floats, min_size=1, max_size=12), min_size=1, max_size=20))
    def sums_agree(lists):
        for compensated in (False, True):
            got = driver.execute_script(script, lists, compensated)
            assert got == [reference_sum(terms, compensated) for terms in lists]
        assert [reference_sum(t, ops.SUM_IS_COMPENSATED) for t in lists] == [sum(t) for t in lists]

    sums_agree()


def test_the_page_writes_full_numbers_as_python_s_repr(driver, tmp_path):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    LabPage(driver, explain(Value(1.0, "x").tanh(), tmp_path / "repr.html", live=True))
    script = "return arguments[0].map(window.microgradxPlayer.pythonRepr);"
    edges = [
        0.0,
        -0.0,
        1.0,
        2.0,
        -3.5,
        0.1,
        1e-4,
        1e-5,
        1.5e16,
        1e16,
        9999999999999998.0,
        123456789012345678.0,
        5e-324,
        1.7976931348623157e308,
        0.30000000000000004,
    ]
    assert driver.execute_script(script, edges) == [repr(x) for x in edges]

    @settings(max_examples=100, deadline=None)
    @given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=50))
    def reprs_agree(xs):
        assert driver.execute_script(script, xs) == [repr(x) for x in xs]

    reprs_agree()


# ----------------------------------------------------------------------
# Nudge, Undo, Reset
# ----------------------------------------------------------------------


def lab_data_of(page: LabPage) -> dict:
    return page.driver.execute_script(
        "return JSON.parse(arguments[0].querySelector('.mgx-lab-data').textContent);",
        page.player,
    )


def set_learning_rate(page: LabPage, rate: str) -> None:
    page.driver.execute_script("arguments[0].value = arguments[1];", page.find(".mgx-rate"), rate)


def nudge_in_python(root: Value, leaves: list, knobs: list[int], rate: float):
    """One SGD step on the knobs at the page's leaves: new leaves, and the blame's
    prediction of the output's change, -rate * sum(blame²) (summed as sum() does)."""
    order = topological_order(root)
    now = topological_order(
        rerun(root, {order[i]: x for i, x in enumerate(leaves) if x is not None})
    )
    new = list(leaves)
    for k in knobs:
        new[k] = leaves[k] - rate * now[k].grad
    predicted = -rate * sum([now[k].grad * now[k].grad for k in knobs])
    return new, now[-1].data, predicted


def test_nudge_undo_and_reset_give_python_s_numbers(driver, house):
    loss, _, pages, _ = house
    page = LabPage(driver, pages["network"])
    knobs = lab_data_of(page)["knobs"]
    assert len(knobs) == 41
    differences = Differences()
    recorded = page.read()
    controls = {c["node"]: c for c in page.leaf_controls()}
    size = next(c for c in controls.values() if c["node"] not in knobs)
    page.move(size["node"], 0.5 * size["max"])  # a house that is not the recorded one
    history = [page.read()]
    for rate in ("0.1", "0.05"):
        set_learning_rate(page, rate)
        before = page.read()
        wanted, output_before, predicted = nudge_in_python(
            loss, before["leaves"], knobs, float(rate)
        )
        page.press("nudge")
        after = page.read()
        assert after["problem"] is None
        assert after["leaves"] == wanted  # knob - learning rate x blame, to the last bit
        check_against_python(loss, after, differences)
        report = page.find(".mgx-lab-report")
        assert report.get_attribute("data-before") == repr(output_before)
        assert report.get_attribute("data-after") == after["output"]
        assert report.get_attribute("data-predicted") == repr(predicted)
        assert f"The blame predicted {format_number(predicted)}" in report.text
        history.append(after)
    set_learning_rate(page, "20")  # far too big: the error jumps past the low point
    page.press("nudge")
    jumped = page.read()
    rose = float(jumped["output"]) > float(history[-1]["output"])
    assert ("Instead of falling, error rose" in page.find(".mgx-lab-report").text) == rose
    assert rose, "a learning rate of 20 should overshoot on this house"
    for earlier in reversed(history):
        page.press("undo")
        shown = page.read()
        assert shown["leaves"] == earlier["leaves"]
        assert shown["holders"] == earlier["holders"]
    page.press("undo")  # the move of the house's size
    assert page.read()["holders"] == recorded["holders"]
    assert not page.find(".mgx-undo").is_enabled()  # nothing left to undo
    assert not page.find(".mgx-reset").is_enabled()  # as recorded
    page.move(size["node"], 0.5 * size["max"])
    page.press("nudge")
    page.press("reset")
    assert page.read()["holders"] == recorded["holders"]
    assert not page.find(".mgx-reset").is_enabled()
    page.press("undo")  # Reset can be undone too
    nudged = page.read()["leaves"]
    assert nudged != history[0]["leaves"] and nudged != recorded["leaves"]
    set_learning_rate(page, "-1")
    page.press("nudge")
    assert "learning rate must be a positive number" in page.read()["problem"]
    assert page.read()["leaves"] == nudged
    assert page.errors() == []
    print(f"\nnudges, undo and reset on the house: {differences}")


# ----------------------------------------------------------------------
# A hand-made op, and numbers the page cannot compute
# ----------------------------------------------------------------------


def hand_made_graph() -> tuple[Value, Value, Value, Value]:
    """out = tanh(cube(x) * w + x), with cube made by hand (its own local derivative)."""
    x, w = Value(1.5, "x"), Value(0.2, "w")
    cube = Value(x.data**3, "", (x,), (3 * x.data**2,), "cube")
    cube.label = "x cubed"
    out = (cube * w + x).tanh()
    out.label = "out"
    return out, x, w, cube


def test_a_hand_made_op_is_named_kept_as_recorded_and_consistent(driver, tmp_path):
    out, x, w, cube = hand_made_graph()
    page = LabPage(driver, explain(out, tmp_path / "hand.html", parameters=[w], live=True))
    notice = page.find(".mgx-lab-notice")
    assert notice.is_displayed()
    assert "x cubed" in notice.text and "'cube'" in notice.text
    assert "hand-made" in notice.text and "keeps them as recorded" in notice.text
    order = topological_order(out)
    i = order.index(cube)
    assert "mgx-fixed" in page.find(f'[id="value-{i}"]').get_attribute("class")
    differences = Differences()
    for leaf, value in ((x, 2.5), (w, -0.7), (x, -1.0)):
        page.move(order.index(leaf), value, how="number")
        shown = page.read()
        assert shown["problem"] is None
        assert float(shown["leaves"][order.index(leaf)]) == value
        again = check_against_python(out, shown, differences)
        held = {node: value for node, value, _ in shown["holders"]}
        assert held[i] == repr(cube.data)  # kept as recorded, whatever x is
        assert again[i].data == cube.data
    assert page.errors() == []


def test_a_number_the_page_cannot_compute_is_said_and_the_last_good_ones_stay(driver, tmp_path):
    x = Value(2.0, "x")
    y = (x - 1.0).log()
    y.label = "y"
    out = y * y + x
    out.label = "out"
    page = LabPage(driver, explain(out, tmp_path / "domain.html", live=True))
    order = topological_order(out)
    good = page.read()
    page.move(order.index(x), 0.5, how="number")  # log(0.5 - 1): no real number
    shown = page.read()
    assert shown["problem"].startswith("Cannot compute y = log(x - 1.0), with x - 1.0 = -0.5: ")
    assert "needs a positive number" in shown["problem"]
    assert shown["holders"] == good["holders"] and shown["leaves"] == good["leaves"]
    assert all(math.isfinite(float(v)) and math.isfinite(float(b)) for _, v, b in shown["holders"])
    box = page.find(f'.mgx-leaf[data-mgx-leaf="{order.index(x)}"] .mgx-leaf-number')
    assert box.get_attribute("aria-invalid") == "true"
    assert page.find(".mgx-lab-problem").get_attribute("role") == "alert"
    page.move(order.index(x), 0.2)  # the slider too: dragged there, and let go
    assert page.read()["holders"] == good["holders"]
    slider = page.find(f'.mgx-leaf[data-mgx-leaf="{order.index(x)}"] .mgx-leaf-slider')
    assert float(slider.get_attribute("value")) == 2.0  # let go: back to the last good number
    page.move(order.index(x), 3.0, how="number")
    shown = page.read()
    assert shown["problem"] is None and box.get_attribute("aria-invalid") is None
    check_against_python(out, shown, Differences())
    page.move(order.index(x), "twelve", how="number")
    assert "x needs a number" in page.read()["problem"]
    assert page.read()["leaves"] == shown["leaves"]
    assert page.errors() == []


# ----------------------------------------------------------------------
# Keys, labels, and the two things a page can show
# ----------------------------------------------------------------------


def focused(driver) -> str:
    return driver.execute_script(
        "const e = document.activeElement;"
        "return (e.className || e.tagName) + (e.getAttribute('aria-label') ? ' ' + "
        "e.getAttribute('aria-label') : '');"
    )


def test_the_lab_works_from_the_keyboard(driver, tmp_path):
    from selenium.webdriver.common.keys import Keys

    x, w = Value(2.0, "x"), Value(-3.0, "w")
    out = (x * w + 1.0).tanh()
    out.label = "out"
    page = LabPage(driver, explain(out, tmp_path / "keys.html", parameters=[w], live=True))
    order = topological_order(out)
    # Tab goes through the page in reading order (disabled Undo and Reset are skipped;
    # the drawing takes the focus too when it scrolls, for its arrow keys).
    driver.execute_script("document.activeElement && document.activeElement.blur()")
    seen = []
    while len(seen) < 7:
        page.driver.switch_to.active_element.send_keys(Keys.TAB)
        if not focused(driver).startswith("mgx-graph"):
            seen.append(focused(driver))
    assert seen == [
        "mgx-show-lab",
        "mgx-show-steps",
        "mgx-zoom Size of the drawing",
        "mgx-nudge",
        "mgx-rate",
        "mgx-leaf-slider x",
        "mgx-leaf-number x, any number",
    ]
    # Arrow keys on a slider move it one step, and the graph follows.
    slider = page.find(f'.mgx-leaf[data-mgx-leaf="{order.index(x)}"] .mgx-leaf-slider')
    step = float(slider.get_attribute("step"))
    slider.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    shown = page.read()
    assert shown["leaves"][order.index(x)] == 2.0 + 2 * step
    assert (
        slider.get_attribute("aria-valuetext") == f"{2.0 + 2 * step!r}; out = {shown_output(shown)}"
    )
    check_against_python(out, shown, Differences())
    # The number box takes a number with Enter; the page's own arrow keys stay with the lab.
    box = page.find(f'.mgx-leaf[data-mgx-leaf="{order.index(x)}"] .mgx-leaf-number')
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("0.25", Keys.ENTER)
    assert page.read()["leaves"][order.index(x)] == 0.25
    step_before = page.player.get_attribute("data-step")
    driver.execute_script("document.activeElement.blur()")
    page.driver.find_element(page.by.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
    assert page.player.get_attribute("data-step") == step_before
    # Enter in the learning rate box nudges.
    rate = page.find(".mgx-rate")
    rate.send_keys(Keys.CONTROL, "a")
    rate.send_keys("0.5", Keys.ENTER)
    assert "learning rate 0.5" in page.find(".mgx-lab-report").text
    # Every control has a name a screen reader says; results are announced.
    unnamed = driver.execute_script(
        "return Array.from(arguments[0].querySelectorAll('.mgx-lab input, .mgx-lab button'))"
        ".filter((e) => !(e.getAttribute('aria-label') || e.closest('label')"
        " || e.textContent.trim())).map((e) => e.outerHTML);",
        page.player,
    )
    assert unnamed == []
    assert page.find(".mgx-lab-report").get_attribute("aria-live") == "polite"
    assert page.errors() == []


def shown_output(shown: dict) -> str:
    return format_number(float(shown["output"]))


def test_lab_and_steps_take_turns_each_with_its_own_numbers(driver, house):
    loss, model, pages, _ = house
    page = LabPage(driver, pages["values"])
    recorded = page.read()["holders"]
    controls = page.leaf_controls()
    page.move(controls[0]["node"], controls[0]["max"] * 0.9)
    live = page.read()["holders"]
    assert live != recorded
    page.press("show-steps")
    assert page.player.get_attribute("data-showing") == "steps"
    assert page.find(".mgx-panel").is_displayed() and not page.find(".mgx-lab").is_displayed()
    assert page.find(".mgx-next").is_displayed()
    page.press("last")  # the recording's last step: every number, as recorded
    assert page.read()["holders"] == recorded
    player = BackpropPlayer(loss, model=model)
    assert page.find(".mgx-panel .mgx-title-text").text == player.steps[-1].title
    page.press("show-lab")
    assert page.player.get_attribute("data-showing") == "lab"
    assert page.read()["holders"] == live  # the lab's numbers are kept
    from selenium.webdriver.support.ui import Select

    Select(page.find(".mgx-zoom")).select_by_value("natural")  # a new size, the same numbers
    assert page.read()["holders"] == live
    assert not page.find(".mgx-next").is_displayed() and page.find(".mgx-lab").is_displayed()
    assert page.find(".mgx-show-lab").get_attribute("aria-pressed") == "true"
    assert page.errors() == []


def test_the_lab_on_its_own_has_no_step_through(driver, tmp_path):
    out, _, w, _ = hand_made_graph()
    path = explain(out, tmp_path / "alone.html", parameters=[w], live=True, step_through=False)
    page = LabPage(driver, path)
    assert page.find_all(".mgx-modes") == [] and page.find_all(".mgx-all-steps") == []
    assert not page.find(".mgx-next").is_displayed() and not page.find(".mgx-panel").is_displayed()
    assert page.find(".mgx-zoom").is_displayed() and page.find(".mgx-lab").is_displayed()
    page.move(topological_order(out).index(w), 0.9, how="number")
    check_against_python(out, page.read(), Differences())
    assert page.errors() == []


def test_two_labs_in_one_notebook_page_work_on_their_own(driver, tmp_path):
    first, _, w, _ = hand_made_graph()
    a, b = Value(2.0, "a"), Value(3.0, "b")
    second = (a * b).exp()
    second.label = "e"
    cells = [
        BackpropPlayer(first, parameters=[w], live=True)._repr_html_(),
        BackpropPlayer(second, live=True)._repr_html_(),
    ]
    path = tmp_path / "notebook.html"
    path.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
        + "".join(f'<div class="cell" style="width:800px">{c}</div>' for c in cells)
        + "</body></html>",
        encoding="utf-8",
    )
    page = LabPage(driver, path)
    players = page.find_all(".mgx-player")
    assert [p.get_attribute("data-mgx-lab-started") for p in players] == ["", ""]
    second_page = LabPage.__new__(LabPage)
    second_page.driver, second_page.by, second_page.player = driver, page.by, players[1]
    first_before = page.read()
    second_page.move(topological_order(second).index(a), 0.5, how="number")
    check_against_python(second, second_page.read(), Differences())
    assert page.read()["holders"] == first_before["holders"]  # the first lab did not move
    assert page.errors() == []


# ----------------------------------------------------------------------
# On a classroom screen and in a notebook: numbers stay in their boxes
# ----------------------------------------------------------------------

EXTREMES = {"size": -7.777e100, "bedrooms": 1.234567e-150, "location": -0.001234567}
"""Leaves set to numbers whose texts are as long as any (three-digit exponents)."""

PAGE_LAYOUT = """
const player = arguments[0];
const box = (selector) => {
  const r = player.querySelector(selector).getBoundingClientRect();
  return [r.left, r.top, r.right, r.bottom];
};
const figure = player.querySelector(".mgx-graph");
return {
  scrollY: window.scrollY, innerWidth: innerWidth, innerHeight: innerHeight,
  bar: box(".mgx-lab-bar"), nudge: box(".mgx-nudge"), lab: box(".mgx-lab"),
  drawing: [figure.scrollWidth, figure.clientWidth, figure.scrollHeight, figure.clientHeight],
  scale: Number(player.dataset.scale),
};
"""


def set_extremes(page: LabPage, root: Value) -> None:
    order = topological_order(root)
    for leaf in order:
        if leaf.label in EXTREMES:
            page.move(order.index(leaf), EXTREMES[leaf.label], how="number")
    assert page.read()["problem"] is None


@pytest.mark.parametrize("view", ["network", "values"])
def test_at_classroom_size_the_lab_fits_and_no_number_spills_out(driver, house, viewport, view):
    from test_player_browser import CLASSROOM, SMALLEST_TEXT_PX

    loss, _, pages, _ = house
    viewport(*CLASSROOM)
    page = LabPage(driver, pages[view])
    set_extremes(page, loss)
    page.press("nudge")
    layout = driver.execute_script(PAGE_LAYOUT, page.player)
    assert layout["scrollY"] == 0, layout  # the drawing and the lab fill the window
    for part in ("bar", "nudge", "lab"):  # the sliders scroll inside the lab's box
        left, top, right, bottom = layout[part]
        assert left >= 0 and right <= CLASSROOM[0] and top >= 0 and bottom <= CLASSROOM[1], part
    if view == "network":  # a layer of 8 neurons fits the screen's width, as in the player
        width, client_width, _, _ = layout["drawing"]
        assert width <= client_width + 1, layout
    measured = text_sizes(driver, page.player)
    assert measured["cut"] == [], measured["cut"][:5]
    assert min(px for _, px in measured["sizes"]) >= SMALLEST_TEXT_PX - 0.01
    long_texts = driver.execute_script(
        "return Array.from(arguments[0].querySelectorAll('.mgx-graph text[textLength]'),"
        " (e) => e.textContent);",
        page.player,
    )
    assert any("e+1" in text or "e-1" in text for text in long_texts)  # narrowed to fit
    assert page.errors() == []
    print(
        f"\n{view} view lab at {CLASSROOM[0]}x{CLASSROOM[1]}: drawing scale {layout['scale']}, "
        f"{len(long_texts)} long numbers narrowed to fit their cells"
    )


def test_in_a_notebook_cell_the_lab_fits_its_width(driver, house, viewport, tmp_path):
    from test_player_browser import NOTEBOOK_WIDTH

    loss, model, _, _ = house
    cell = BackpropPlayer(loss, model=model, view="network", live=True)._repr_html_()
    path = tmp_path / "notebook.html"
    path.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">'
        f'<div class="cell" style="width:{NOTEBOOK_WIDTH}px">{cell}</div></body></html>',
        encoding="utf-8",
    )
    viewport(NOTEBOOK_WIDTH + 40, 900)
    page = LabPage(driver, path)
    set_extremes(page, loss)
    widths = driver.execute_script(
        "const cell = document.querySelector('.cell');"
        "return [cell.getBoundingClientRect().width, cell.scrollWidth,"
        " cell.querySelector('.mgx-lab').scrollWidth, cell.querySelector('.mgx-lab').clientWidth];"
    )
    assert widths[1] <= widths[0] + 1 and widths[2] <= widths[3] + 1, widths
    assert text_sizes(driver, page.player)["cut"] == []
    assert page.errors() == []
