"""The player in a real browser: headless Chromium, driven by Selenium and chromedriver.

The page is opened from a file, as a learner would open it, and stepped with the
buttons, the keyboard and the slider; at each step the highlighted node and the
numbers on the page are checked against Python.

Needs ``selenium`` (in the ``test`` extra), Chromium and its chromedriver (Debian:
``apt-get install chromium chromium-driver``). Found on the PATH, or set
MICROGRADX_CHROMIUM and MICROGRADX_CHROMEDRIVER to their paths. Without them the
tests are skipped, except when the environment variable CI is set: then they fail.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from microgradx import Value, topological_order
from microgradx.graph import format_number
from microgradx.player import BackpropPlayer

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
LAUNCH_FLAGS = (
    "--headless",
    "--no-sandbox",  # needed when running as root, as CI does
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def no_browser(reason: str) -> None:
    if in_ci():
        pytest.fail(f"{reason}. CI is set, so the browser test must run: install it.")
    pytest.skip(f"{reason}: the browser test of the player is skipped")


def find_program(variable: str, names: tuple[str, ...]) -> str | None:
    if os.environ.get(variable):
        return os.environ[variable]
    return next((shutil.which(name) for name in names if shutil.which(name)), None)


@pytest.fixture(scope="module")
def driver():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        no_browser("selenium is not installed (pip install selenium)")
    chromium = find_program("MICROGRADX_CHROMIUM", BROWSER_NAMES)
    chromedriver = find_program("MICROGRADX_CHROMEDRIVER", ("chromedriver",))
    if chromium is None:
        no_browser("no Chromium found (apt-get install chromium, or set MICROGRADX_CHROMIUM)")
    if chromedriver is None:
        no_browser(
            "no chromedriver found (apt-get install chromium-driver, "
            "or set MICROGRADX_CHROMEDRIVER)"
        )
    profile = tempfile.mkdtemp(prefix="microgradx-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*LAUNCH_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(options=options, service=Service(chromedriver))
    yield browser
    browser.quit()
    shutil.rmtree(profile, ignore_errors=True)


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
    title: text(".mgx-panel .mgx-step-title"),
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
        lines[1] == f"n.grad += 1 - t.data² (local {format_number(1 - by_label['t'].data ** 2)})"
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
        f"x1.grad += w1.data (local -3.0) × (x1 * w1).grad ({format_number(n.grad)}) "
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
    import importlib.util
    import sys
    from pathlib import Path

    demos = Path(__file__).resolve().parent.parent / "demos"
    monkeypatch.syspath_prepend(str(demos))
    spec = importlib.util.spec_from_file_location(
        "demo_house_prices_page", demos / "house_prices.py"
    )
    demo = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, demo)
    spec.loader.exec_module(demo)
    monkeypatch.setattr(demo, "OUTPUT", tmp_path)

    data = demo.make_data()
    model = demo.build_model(data.train, demo.SEED)
    first = demo.forward_and_backward(model, data.scaling, data.train[0])
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
        "\"'&<b>out</b> = (</script><script>window.pwned = 1</script>) * "
        '(<img src=x onerror="window.pwned = 2">) = 2.0 * 3.0 = 6.0'
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
