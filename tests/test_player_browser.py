"""The player in a real browser: headless Chromium, driven by Selenium and chromedriver.

The page is opened from a file, as a learner would open it, and stepped with the
buttons, the keyboard and the slider; at each step the highlighted node and the
numbers on the page are checked against Python.

The browser (the ``driver`` fixture, one for the whole test run) is started by
``tests/browser.py``: it needs ``selenium`` (in the ``test`` extra), Chromium and its
chromedriver, and says what to do when they are missing.
"""

from __future__ import annotations

import pytest

from microgradx import Value, topological_order
from microgradx.graph import format_number
from microgradx.labels import blame_colour
from microgradx.network_view import stroke_colour
from microgradx.player import BackpropPlayer
from microgradx.render import RENDERER_ENV_VAR, available_renderers

RENDERERS = available_renderers()


class Page:
    """The player as the browser shows it."""

    def __init__(self, driver, path):
        from selenium.webdriver.common.by import By

        self.driver = driver
        self.by = By
        driver.get(path.as_uri())
        self.player = self.find(".mgx-player")

    def find(self, selector, within=None):
        return (within or self.driver).find_element(self.by.CSS_SELECTOR, selector)

    def find_all(self, selector, within=None):
        return (within or self.driver).find_elements(self.by.CSS_SELECTOR, selector)

    @property
    def step(self) -> int:
        return int(self.player.get_attribute("data-step"))

    def shown(self) -> dict:
        """What the page shows now, read in one go: the step, the panel, the highlights."""
        return self.driver.execute_script(SHOWN, self.player)

    def ids(self, css_class: str) -> set[str]:
        return set(self.shown()["highlighted"][css_class])

    def panel(self) -> dict:
        return self.shown()["panel"]

    def click(self, control: str) -> None:
        self.find(f".mgx-{control}").click()

    def slide_to(self, index: int) -> None:
        """Move the slider to step ``index``, as dragging it does."""
        self.driver.execute_script(
            "arguments[0].value = arguments[1];arguments[0].dispatchEvent(new Event('input'));",
            self.find(".mgx-slider"),
            index,
        )

    def press(self, *keys) -> None:
        """Key presses with nothing focused, as after opening the page."""
        from selenium.webdriver.common.action_chains import ActionChains

        self.driver.execute_script("document.activeElement && document.activeElement.blur()")
        ActionChains(self.driver).send_keys(*keys).perform()

    def errors(self) -> list[str]:
        return [
            entry["message"]
            for entry in self.driver.get_log("browser")
            if entry["level"] == "SEVERE"
        ]


def neuron_with_two_paths():
    """o = tanh(x1*w1 + x2*w2 + b) + w1: blame reaches w1 along two paths."""
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    t = n.tanh()
    t.label = "t"
    o = t + w1
    o.label = "o"
    return o


@pytest.fixture
def neuron_page(driver, tmp_path):
    root = neuron_with_two_paths()
    player = BackpropPlayer(root, title="A neuron")
    path = player.save(tmp_path / "neuron.html")
    return Page(driver, path), player, root


SHOWN = """
const player = arguments[0];
const text = (selector) => player.querySelector(selector).textContent;
const ids = (name) => Array.from(player.querySelectorAll(".mgx-graph ." + name), (e) => e.id);
return {
  step: Number(player.dataset.step),
  counter: text(".mgx-counter"),
  panel: {
    title: text(".mgx-panel .mgx-title-text"),
    lines: Array.from(player.querySelectorAll(".mgx-panel .mgx-lines > div"), (e) => e.textContent),
    note: text(".mgx-panel .mgx-note"),
  },
  highlighted: {
    "mgx-current": ids("mgx-current"),
    "mgx-flowing": ids("mgx-flowing"),
    "mgx-input": ids("mgx-input"),
  },
};
"""


def assert_page_shows(page, player, index):
    step = player.steps[index]
    shown = page.shown()
    assert shown["step"] == index
    assert shown["counter"] == f"{index + 1} / {len(player.steps)}"
    assert shown["panel"] == {"title": step.title, "lines": list(step.lines), "note": step.note}
    highlighted = {name: set(ids) for name, ids in shown["highlighted"].items()}
    assert highlighted == {
        "mgx-current": {f"value-{i}" for i in step.current},
        "mgx-flowing": set(step.flowing),
        "mgx-input": {f"value-{i}" for i in step.inputs},
    }


def test_the_page_opens_at_the_start_with_its_controls(neuron_page):
    page, player, _ = neuron_page

    assert_page_shows(page, player, 0)
    assert page.find(".mgx-controls").is_displayed()
    assert page.find(".mgx-legend").is_displayed()
    assert not page.find(".mgx-no-script").is_displayed()
    assert page.find(".mgx-all-steps").get_attribute("open") is None
    assert not page.find(".mgx-previous").is_enabled()
    assert page.find(".mgx-next").is_enabled()
    assert page.player.get_attribute("data-phase") == "start"
    # Tools built on the page (a live lab) get its data and its painter.
    hook = "const m = arguments[0].microgradx; return [typeof m.paint, m.data.nodes.length];"
    assert page.driver.execute_script(hook, page.player) == [
        "function",
        len(player.recording.nodes),
    ]
    assert page.errors() == []


def test_the_buttons_step_through_every_step_and_back(neuron_page):
    page, player, _ = neuron_page
    last = len(player.steps) - 1

    for index in range(1, last + 1):
        page.click("next")
        assert_page_shows(page, player, index)
    assert not page.find(".mgx-next").is_enabled()
    assert not page.find(".mgx-last").is_enabled()
    page.click("previous")
    assert_page_shows(page, player, last - 1)
    page.click("first")
    assert_page_shows(page, player, 0)
    page.click("last")
    assert_page_shows(page, player, last)
    assert page.errors() == []


def test_the_numbers_on_the_page_are_those_of_backward(neuron_page):
    page, player, root = neuron_page
    root.backward()
    by_label = {node.label: node for node in topological_order(root)}
    w1, n, x1 = by_label["w1"], by_label["n"], by_label["x1"]

    page.click("last")
    done = page.panel()["lines"]
    for label in ("x1", "x2", "w1", "w2", "b"):
        assert f"{label}.grad = {format_number(by_label[label].grad)}" in done

    seed = next(i for i, step in enumerate(player.steps) if step.phase == "seed")
    page.click("first")
    page.press(*[_keys().ARROW_RIGHT] * (seed + 2))  # the seed, o, then t
    lines = page.panel()["lines"]
    assert page.ids("mgx-current") == {f"value-{topological_order(root).index(by_label['t'])}"}
    assert (
        lines[1] == f"n.grad += 1 - t² (local {format_number(1 - by_label['t'].data ** 2)})"
        f" × t.grad (1.0) = {format_number(n.grad)}"
    )

    x1_w1 = next(
        i
        for i, step in enumerate(player.steps)
        if step.title.endswith("x1 * w1 hands on its blame")
    )
    page.press(_keys().HOME, *[_keys().ARROW_RIGHT] * x1_w1)
    lines = page.panel()["lines"]
    assert lines[1] == (
        f"x1.grad += w1 (local -3.0) × (x1 * w1).grad ({format_number(n.grad)}) "
        f"= {format_number(x1.grad)}"
    )
    assert lines[-1] == (
        f"  running total: w1.grad = 1.0 + {format_number(w1.grad - 1.0)} = "
        f"{format_number(w1.grad)}   (path 2 of 2)"
    )


def _keys():
    from selenium.webdriver.common.keys import Keys

    return Keys


def test_the_keyboard_steps_jumps_and_plays(neuron_page):
    page, player, _ = neuron_page
    keys = _keys()
    last = len(player.steps) - 1

    page.press(keys.ARROW_RIGHT, keys.ARROW_RIGHT, keys.ARROW_RIGHT)
    assert_page_shows(page, player, 3)
    page.press(keys.ARROW_LEFT)
    assert_page_shows(page, player, 2)
    page.press(keys.END)
    assert_page_shows(page, player, last)
    page.press(keys.HOME)
    assert_page_shows(page, player, 0)

    play = page.find(".mgx-play")
    page.press(keys.SPACE)
    assert play.get_attribute("aria-pressed") == "true"
    _wait_until(page.driver, lambda: page.step >= 2, seconds=10)
    page.press(keys.SPACE)
    assert play.get_attribute("aria-pressed") == "false"
    paused_at = page.step
    page.driver.implicitly_wait(0)
    _sleep(2.0)
    assert page.step == paused_at
    assert_page_shows(page, player, paused_at)


def test_the_slider_jumps_to_a_step(neuron_page):
    page, player, _ = neuron_page
    keys = _keys()
    slider = page.find(".mgx-slider")
    last = len(player.steps) - 1

    slider.send_keys(keys.END)
    assert_page_shows(page, player, last)
    slider.send_keys(keys.HOME)
    assert_page_shows(page, player, 0)
    slider.send_keys(keys.ARROW_RIGHT)  # the slider's own key: one step, not two
    assert_page_shows(page, player, 1)
    middle = last // 2
    page.driver.execute_script(
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
        slider,
        middle,
    )
    assert_page_shows(page, player, middle)
    assert slider.get_attribute("aria-valuetext").startswith(
        f"Step {middle + 1} of {len(player.steps)}: "
    )


def assert_last_step_lists_every_grad(page, model):
    """The last step lists every knob's blame, as backward() computed it, with no JS error."""
    page.click("last")
    done = page.panel()["lines"]
    for name, parameter in model.named_parameters():
        assert f"{parameter.label}.grad = {format_number(parameter.grad)}" in done, name
    assert page.errors() == []


def test_a_network_and_its_loss_step_correctly(driver, tmp_path):
    from microgradx.losses import mse
    from microgradx.nn import MLP

    model = MLP(3, [8, 1], seed=7)
    loss = mse(model([Value(0.5, "size"), Value(-1.0, "bedrooms"), Value(2.0, "location")]), 2.5)
    loss.label = "error"
    player = BackpropPlayer(loss, model=model)
    page = Page(driver, player.save(tmp_path / "network.html"))
    loss.backward()

    for index in (0, 7, len(player.steps) // 2, len(player.steps) - 2):
        page.slide_to(index)
        assert_page_shows(page, player, index)
    assert_last_step_lists_every_grad(page, model)


def test_the_house_price_demo_page_steps_correctly(driver, tmp_path, monkeypatch):
    """The page the main demo writes: opened as a learner would, stepped, and checked."""
    demo, model, first = house_demo(tmp_path, monkeypatch)
    demo.save_pictures(first.loss, model)
    page = Page(driver, tmp_path / "house_prices_backprop.html")
    player = BackpropPlayer(first.loss, model=model)

    page.click("next")
    assert_page_shows(page, player, 1)
    page.press("\ue014", "\ue014")  # the right arrow key, twice
    assert_page_shows(page, player, 3)
    for index in (len(player.steps) // 2, len(player.steps) - 2):
        page.slide_to(index)
        assert_page_shows(page, player, index)
    assert_last_step_lists_every_grad(page, model)


def test_hostile_labels_are_shown_and_never_run(driver, tmp_path):
    x = Value(2.0, "</script><script>window.pwned = 1</script>")
    w = Value(3.0, '<img src=x onerror="window.pwned = 2">')
    out = x * w
    out.label = "\"'&<b>out</b>"
    player = BackpropPlayer(out, title="<script>window.pwned = 3</script>")
    page = Page(driver, player.save(tmp_path / "hostile.html"))

    assert page.driver.execute_script("return window.pwned === undefined")
    assert page.driver.title == "<script>window.pwned = 3</script>"
    page.click("next")
    assert page.panel()["lines"][0] == (
        "\"'&<b>out</b> = </script><script>window.pwned = 1</script> * "
        '<img src=x onerror="window.pwned = 2"> = 2.0 * 3.0 = 6.0'
    )
    assert page.find_all("img") == []
    assert page.driver.execute_script("return window.pwned === undefined")


def test_two_players_in_one_notebook_page_work_on_their_own(driver, tmp_path):
    first = BackpropPlayer(neuron_with_two_paths())
    second = BackpropPlayer(Value(2.0, "a") * Value(3.0, "b"))
    path = tmp_path / "notebook.html"
    path.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
        f"<p>cell 1</p>{first._repr_html_()}<p>cell 2</p>{second._repr_html_()}</body></html>",
        encoding="utf-8",
    )
    page = Page(driver, path)
    players = page.find_all(".mgx-player")
    keys = _keys()

    assert [p.get_attribute("data-mgx-started") for p in players] == ["", ""]
    page.find(".mgx-next", players[1]).click()
    assert [p.get_attribute("data-step") for p in players] == ["0", "1"]
    page.press(keys.ARROW_RIGHT)  # nothing focused: a notebook keeps its keys
    assert [p.get_attribute("data-step") for p in players] == ["0", "1"]
    players[0].click()
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(page.driver).send_keys(keys.ARROW_RIGHT, keys.ARROW_RIGHT).perform()
    assert [p.get_attribute("data-step") for p in players] == ["2", "1"]
    assert page.errors() == []


def test_without_javascript_every_step_is_listed_as_text(driver, tmp_path):
    player = BackpropPlayer(neuron_with_two_paths())
    path = player.save(tmp_path / "no-script.html")
    driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        page = Page(driver, path)
        assert page.find(".mgx-no-script").is_displayed()
        assert not page.find(".mgx-controls").is_displayed()
        assert not page.find(".mgx-legend").is_displayed()
        assert not page.find(".mgx-panel").is_displayed()
        items = page.find_all(".mgx-all-steps li")
        assert len(items) == len(player.steps)
        assert all(item.is_displayed() for item in items)
        assert player.steps[-1].lines[0] in items[-1].text
    finally:
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})


def _wait_until(driver, condition, seconds):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, seconds, poll_frequency=0.1).until(lambda _: condition())


def _sleep(seconds):
    import time

    time.sleep(seconds)


# ----------------------------------------------------------------------
# The classroom: the house demo's page in both views, at 1024x768
# ----------------------------------------------------------------------

CLASSROOM = (1024, 768)
"""A school projector's size, in CSS pixels of the page (the inner window)."""
NOTEBOOK_WIDTH = 800
"""About the width of a notebook's output cell."""
SMALLEST_TEXT_PX = 12.0


def set_viewport(driver, width: int, height: int) -> None:
    """Make the page's own window (innerWidth x innerHeight) exactly width x height."""
    driver.set_window_size(width, height)
    inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    driver.set_window_size(2 * width - inner[0], 2 * height - inner[1])


@pytest.fixture
def viewport(driver):
    """Set the window's size for one test, and put it back after."""
    before = driver.get_window_size()
    yield lambda width, height: set_viewport(driver, width, height)
    driver.set_window_size(before["width"], before["height"])


def house_demo(tmp_path, monkeypatch):
    """The main demo's first house: its model, its loss after backward, its pages."""
    import importlib.util
    import sys
    from pathlib import Path

    demos = Path(__file__).resolve().parent.parent / "demos"
    monkeypatch.syspath_prepend(str(demos))
    spec = importlib.util.spec_from_file_location(
        "demo_house_prices_views", demos / "house_prices.py"
    )
    demo = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, demo)
    spec.loader.exec_module(demo)
    monkeypatch.setattr(demo, "OUTPUT", tmp_path)
    data = demo.make_data()
    model = demo.build_model(data.train, demo.SEED)
    first = demo.forward_and_backward(model, data.scaling, data.train[0])
    return demo, model, first


# What the drawing shows now: every marked piece, and each value group's numbers.
DRAWN = """
const player = arguments[0];
const figure = player.querySelector(".mgx-graph");
const pieces = Array.from(figure.querySelectorAll("[data-mgx]"), (e) => ({
  kind: e.getAttribute("data-mgx"),
  node: Number(e.getAttribute("data-mgx-node")),
  child: Number(e.getAttribute("data-mgx-child") || 0),
  prefix: e.getAttribute("data-mgx-prefix") || "",
  unknownFill: e.getAttribute("data-mgx-fill"),
  text: e.tagName.toLowerCase() === "text" ? e.textContent : null,
  fill: e.getAttribute("fill"),
  stroke: e.getAttribute("stroke"),
}));
return pieces;
"""


def expected_states(player, index):
    """What the drawing may show at step ``index``, worked out from the steps alone.

    A value is known from the step that computes it (a forward step naming the node,
    or listing it among the step's subjects) on; a leaf from the start. Blame reaches
    a node with the shares of each backward step (the root's with the seed step), in
    order: its running total and path count after the last share so far.
    """
    snapshot = player.drawing.snapshot
    count = len(snapshot.values)
    known = [not snapshot.children[i] for i in range(count)]
    blame = [None] * count
    path = [0] * count
    handed = [False] * count
    for step in player.steps[: index + 1]:
        if step.phase == "forward":
            for i in (step.node, *step.current):
                if i is not None:
                    known[i] = True
            if player.view == "network":  # a layer step computes its neurons' inner values
                for neuron in snapshot.neurons:
                    if neuron.output in step.current:
                        for i in neuron.members:
                            known[i] = True
        if step.phase == "seed":
            blame[snapshot.root], path[snapshot.root] = 1.0, 0
        for share in step.shares:
            blame[share.child], path[share.child] = share.total_after, share.path
            handed[share.node] = True
    return known, blame, path, handed


def check_drawing_at(page, player, index, final_grads=None):
    """Every number on the drawing at step ``index`` is one that has been computed."""
    snapshot = player.drawing.snapshot
    known, blame, path, handed = expected_states(player, index)
    largest = max(abs(b) for b in snapshot.blame)
    pieces = page.driver.execute_script(DRAWN, page.player)
    assert pieces, "nothing in the drawing is marked for repainting"
    for piece in pieces:
        i = piece["node"]
        paths = snapshot.paths[i]
        complete = blame[i] is not None and (paths == 0 or path[i] == paths)
        where = f"step {index}, node {i} ({snapshot.names[i]}), {piece['kind']}"
        if piece["kind"] == "data":
            number = format_number(snapshot.data[i]) if known[i] else "?"
            assert piece["text"] == piece["prefix"] + number, where
        elif piece["kind"] == "blame":
            if blame[i] is None:
                assert piece["text"] == "blame ?", where
            elif complete:
                assert piece["text"] == f"blame {format_number(blame[i])}", where
                if final_grads is not None:
                    assert piece["text"] == f"blame {format_number(final_grads[i])}", where
            else:
                assert piece["text"] == f"so far {format_number(blame[i])}", where
        elif piece["kind"] == "paths":
            if blame[i] is None:
                assert piece["text"] == f"from {paths} paths", where
            elif complete:
                assert piece["text"] == f"sum of {paths} paths", where
            else:
                assert piece["text"] == f"{path[i]} of {paths} paths", where
        elif piece["kind"] == "cell":
            wanted = piece["unknownFill"] if blame[i] is None else blame_colour(blame[i], largest)
            assert piece["fill"] == wanted, where
        elif piece["kind"] == "stroke":
            assert piece["stroke"] == stroke_colour(blame[i], largest), where
        elif piece["kind"] == "local":
            local = snapshot.local_grads[i][piece["child"]]
            assert piece["text"] == ("local " + (format_number(local) if known[i] else "?")), where
        elif piece["kind"] == "passed":
            share = snapshot.local_grads[i][piece["child"]] * snapshot.blame[i]
            wanted = format_number(share) if handed[i] else "?"
            assert piece["text"] == f"passes blame {wanted}", where
    return pieces


def step_through_checking_every_step(page, player, final_grads):
    last = len(player.steps) - 1
    page.click("first")
    for index in range(last + 1):
        if index:
            page.click("next")
        assert page.step == index
        pieces = check_drawing_at(page, player, index, final_grads)
        if index == 0:  # before the forward pass: no number computed, no blame anywhere
            assert not [p for p in pieces if p["kind"] == "blame" and p["text"] != "blame ?"]
            assert not [p for p in pieces if p["kind"] == "cell" and p["fill"] != p["unknownFill"]]
    blames = [p for p in pieces if p["kind"] == "blame"]
    assert blames and all(p["text"].startswith("blame ") and p["text"] != "blame ?" for p in blames)
    assert page.errors() == []


def test_the_house_demo_pages_reveal_exactly_what_is_computed_at_every_step(
    driver, tmp_path, monkeypatch
):
    demo, model, first = house_demo(tmp_path, monkeypatch)
    written = demo.save_pictures(first.loss, model)
    assert sorted(path.name for path in written) == [
        "house_prices_backprop.html",
        "house_prices_blame_graph.svg",
        "house_prices_lab.html",
        "house_prices_network.svg",
        "house_prices_network_backprop.html",
    ]
    grads = [node.grad for node in topological_order(first.loss)]  # backward() ran
    for view, name in (
        ("values", "house_prices_backprop.html"),
        ("network", "house_prices_network_backprop.html"),
    ):
        page = Page(driver, tmp_path / name)
        player = BackpropPlayer(first.loss, model=model, view=view)
        assert page.player.get_attribute("data-view") == view
        step_through_checking_every_step(page, player, grads)
        assert (tmp_path / name).stat().st_size < 1_000_000


def test_running_totals_show_while_blame_arrives_along_several_paths(driver, tmp_path):
    """a feeds b = a * a and c = b + a: its blame arrives along 3 paths, 1 + 3 + 3 = 7."""
    a = Value(3.0, "a")
    b = a * a
    b.label = "b"
    c = b + a
    c.label = "c"
    player = BackpropPlayer(c)
    page = Page(driver, player.save(tmp_path / "paths.html"))
    a_index = topological_order(c).index(a)
    seen = []
    for index in range(len(player.steps)):
        page.slide_to(index)
        check_drawing_at(page, player, index)
        pieces = page.driver.execute_script(DRAWN, page.player)
        mine = {p["kind"]: p for p in pieces if p["node"] == a_index and p["text"] is not None}
        seen.append((mine["blame"]["text"], mine["paths"]["text"]))
    assert [pair for k, pair in enumerate(seen) if k == 0 or pair != seen[k - 1]] == [
        ("blame ?", "from 3 paths"),
        ("so far 1.0", "1 of 3 paths"),  # from c = b + a
        ("blame 7.0", "sum of 3 paths"),  # b = a * a hands on two shares at once: 1 + 3 + 3
    ]


def text_sizes(driver, player_element):
    """Every visible text of the player: its rendered size in px, and where it is cut off.

    HTML text: the computed font size. SVG text: its font size times the drawing's
    current scale. A text in a drawing's node is "cut off" when it sticks out of the
    smallest table cell that holds its middle.
    """
    return driver.execute_script(
        """
const player = arguments[0];
const sizes = [];
const cut = [];
const walker = document.createTreeWalker(player, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
  const node = walker.currentNode;
  const element = node.parentElement;
  if (!node.textContent.trim() || !element || element.closest("style, script, title")) continue;
  if (!element.getClientRects().length) continue;  // hidden
  const style = getComputedStyle(element);
  if (style.visibility === "hidden" || style.display === "none") continue;
  let px = parseFloat(style.fontSize);
  if (element instanceof SVGElement) {
    const text = element.closest("text");
    px = parseFloat(text.getAttribute("font-size")) * text.getScreenCTM().a;
    const group = text.closest("g.node");
    if (group) {
      const box = text.getBBox();
      const middle = [box.x + box.width / 2, box.y + box.height / 2];
      let best = null;
      for (const polygon of group.querySelectorAll("polygon, path")) {
        const b = polygon.getBBox();
        if (b.width < 1 || b.height < 1) continue;
        const inside = middle[0] >= b.x && middle[0] <= b.x + b.width
          && middle[1] >= b.y && middle[1] <= b.y + b.height;
        if (inside && (!best || b.width * b.height < best.width * best.height)) best = b;
      }
      if (best && (box.x < best.x - 0.5 || box.x + box.width > best.x + best.width + 0.5)) {
        cut.push(text.textContent);
      }
    }
  }
  sizes.push([node.textContent.trim().slice(0, 40), px]);
}
return {sizes: sizes, cut: cut};
""",
        player_element,
    )


LAYOUT = """
const player = arguments[0];
const rect = (selector) => {
  const e = player.querySelector(selector);
  const r = e.getBoundingClientRect();
  return {top: r.top, bottom: r.bottom, left: r.left, right: r.right,
          width: r.width, height: r.height};
};
const figure = player.querySelector(".mgx-graph");
const lines = player.querySelector(".mgx-panel .mgx-lines > div");
const current = player.querySelector(".mgx-graph .mgx-current");
const currentRect = current ? current.getBoundingClientRect() : null;
return {
  scrollY: window.scrollY, innerWidth: innerWidth, innerHeight: innerHeight,
  figure: rect(".mgx-graph"), svg: rect(".mgx-graph svg"),
  scroll: [figure.scrollWidth, figure.clientWidth, figure.scrollHeight, figure.clientHeight],
  title: rect(".mgx-panel .mgx-title-text"), note: rect(".mgx-panel .mgx-note"),
  firstLine: lines ? lines.getBoundingClientRect().bottom : null,
  current: currentRect && {left: currentRect.left, right: currentRect.right,
                           top: currentRect.top, bottom: currentRect.bottom},
  scale: Number(player.dataset.scale),
};
"""


@pytest.mark.parametrize(
    "renderer", [r.program for r in RENDERERS], ids=[r.name for r in RENDERERS]
)
def test_both_views_read_at_classroom_size(driver, tmp_path, monkeypatch, viewport, renderer):
    """1024x768: every text at 12 px or more, no text cut off, the step's text on screen.

    The network view fits the drawing's box (no scrolling); the values view scrolls
    inside it and keeps the step's node in view. With each renderer found: they size
    text with different fonts' metrics.
    """
    monkeypatch.setenv(RENDERER_ENV_VAR, renderer)
    demo, model, first = house_demo(tmp_path, monkeypatch)
    demo.save_pictures(first.loss, model)
    viewport(*CLASSROOM)
    figures = {}
    for view, name in (
        ("network", "house_prices_network_backprop.html"),
        ("values", "house_prices_backprop.html"),
    ):
        page = Page(driver, tmp_path / name)
        player = BackpropPlayer(first.loss, model=model, view=view)
        assert driver.execute_script("return [innerWidth, innerHeight]") == list(CLASSROOM)
        smallest = []
        for index in range(len(player.steps)):
            page.slide_to(index)
            measured = text_sizes(driver, page.player)
            assert measured["cut"] == [], (view, index)
            smallest.append(min(px for _, px in measured["sizes"]))
            too_small = [(t, px) for t, px in measured["sizes"] if px < SMALLEST_TEXT_PX - 0.01]
            assert too_small == [], (view, index, too_small[:5])
            layout = driver.execute_script(LAYOUT, page.player)
            assert layout["scrollY"] == 0
            for part in ("title", "note"):
                assert layout[part]["top"] >= 0, part
                assert layout[part]["bottom"] <= CLASSROOM[1], part
            assert layout["firstLine"] <= CLASSROOM[1]
            if view == "network":
                width, client_width, height, client_height = layout["scroll"]
                assert width <= client_width + 1 and height <= client_height + 1, layout
            elif len(player.steps[index].current) == 1:  # one node: it is kept in view
                figure = layout["figure"]
                box = layout["current"]
                assert figure["left"] <= box["left"] and box["right"] <= figure["right"] + 1
                assert figure["top"] <= box["top"] and box["bottom"] <= figure["bottom"] + 1
        figures[view] = (min(smallest), layout["svg"], layout["scale"])
        assert page.errors() == []
    print(f"\n{renderer} at {CLASSROOM[0]}x{CLASSROOM[1]}: smallest text, drawing, scale:")
    for view, (px, svg, scale) in figures.items():
        print(
            f"  {view}: {px:.1f} px, drawing {svg['width']:.0f} x {svg['height']:.0f} px, "
            f"scale {scale}"
        )


def test_players_and_drawings_fit_a_notebook_cell(driver, tmp_path, monkeypatch, viewport):
    """An 800 px output cell: players and inline drawings fit its width, and zoom out to 100%."""
    from microgradx.graph import draw_dot

    _, model, first = house_demo(tmp_path, monkeypatch)
    cells = [
        BackpropPlayer(first.loss, model=model, view="network")._repr_html_(),
        BackpropPlayer(first.loss, model=model)._repr_html_(),
        BackpropPlayer(neuron_with_two_paths())._repr_html_(),
        draw_dot(neuron_with_two_paths())._repr_mimebundle_()["text/html"],
        draw_dot(first.loss, model=model)._repr_mimebundle_()["text/html"],
    ]
    path = tmp_path / "notebook.html"
    path.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">'
        + "".join(f'<div class="cell" style="width:{NOTEBOOK_WIDTH}px">{c}</div>' for c in cells)
        + "</body></html>",
        encoding="utf-8",
    )
    viewport(NOTEBOOK_WIDTH + 40, 900)
    page = Page(driver, path)
    widths = driver.execute_script(
        """return Array.from(document.querySelectorAll('.cell'), (cell) => {
             const svg = cell.querySelector('svg');
             return [cell.getBoundingClientRect().width, svg.getBoundingClientRect().width,
                     svg.width.baseVal.value, cell.scrollWidth];
           });"""
    )
    for cell_width, shown, natural, scroll_width in widths:
        assert shown <= cell_width + 0.5 and shown <= natural + 0.5  # fitted, never enlarged
        assert scroll_width <= cell_width + 1  # nothing sticks out of the cell
    assert widths[4][1] < widths[4][2] / 3  # the values view of the house is scaled down
    # Zoom to natural size: the player's menu, and the drawing's checkbox.
    players = page.find_all(".mgx-player")
    from selenium.webdriver.support.ui import Select

    Select(page.find(".mgx-zoom", players[1])).select_by_value("natural")
    natural = driver.execute_script(
        "const s = arguments[0].querySelector('svg'); "
        "return [s.getBoundingClientRect().width, s.width.baseVal.value];",
        players[1],
    )
    assert abs(natural[0] - natural[1]) < 1
    boxes = page.find_all(".mgx-zoom[type=checkbox]")
    boxes[1].click()
    shown = driver.execute_script(
        "const s = document.querySelectorAll('.cell')[4].querySelector('svg'); "
        "return [s.getBoundingClientRect().width, s.width.baseVal.value];"
    )
    assert abs(shown[0] - shown[1]) < 1
    assert page.errors() == []
    print(f"\nnotebook cell {NOTEBOOK_WIDTH} px: shown / natural width of each drawing:")
    for _, shown_width, natural_width, _ in widths:
        print(f"  {shown_width:.0f} / {natural_width:.0f} px")


def test_the_script_writes_numbers_and_colours_exactly_as_python(driver, tmp_path):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from microgradx.labels import blame_colour as python_colour

    path = BackpropPlayer(Value(1.0, "x")).save(tmp_path / "one.html")
    Page(driver, path)
    edge_cases = [
        0.0,
        -0.0,
        1.0,
        2.0,
        -3.0,
        6.8813735870195432,
        0.70710678,
        1000.0,
        1234.0,
        9999.0,
        9999.5,
        12345.0,
        1.0625,
        1.0615,
        0.00010625,
        1.0625e21,
        1e-7,
        5e-324,
        1.7976931348623157e308,
        0.1,
        0.5,
        1e16,
        123456789.0,
        -0.0001234,
        0.0001,
        99995.0,
        0.99995,
    ]
    script = "return arguments[0].map(window.microgradxPlayer.formatNumber);"
    assert driver.execute_script(script, edge_cases) == [format_number(x) for x in edge_cases]

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=50))
    def numbers_agree(xs):
        assert driver.execute_script(script, xs) == [format_number(x) for x in xs]

    numbers_agree()
    pairs = [(g, 3.0) for g in (-3.0, -1.5, -0.3, 0.0, 0.1, 1.5, 3.0, 4.5)] + [(0.5, 1.0)]
    colours = driver.execute_script(
        "return arguments[0].map(([g, l]) => window.microgradxPlayer.blameColour(g, l));", pairs
    )
    assert colours == [python_colour(g, largest) for g, largest in pairs]
