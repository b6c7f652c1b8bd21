"""The step-through player: recorded steps, their arithmetic, and the page it writes.

The browser end of the player (buttons, keys, slider) is in test_player_browser.py.
"""

from __future__ import annotations

import html
import json
import re
import struct
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microgradx import Value, dot, sum_values, topological_order
from microgradx.graph import GraphTooLargeError, drawing_of, format_number
from microgradx.labels import visible_text
from microgradx.player import BackpropPlayer, _local_rule, _local_rule_note, explain, record_steps
from microgradx.testing import OPERATION_NAMES, expressions

random_graphs = expressions(max_inputs=4, max_steps=12)
DEMOS = Path(__file__).resolve().parent.parent / "demos"


def build(expression):
    return expression(*expression.input_values())


def same_bits(a: float, b: float) -> bool:
    """Exactly the same float, down to the sign of zero."""
    return struct.pack("<d", a) == struct.pack("<d", b)


def neuron():
    """The classic: o = tanh(x1*w1 + x2*w2 + b), with readable labels."""
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def steps_of(recording, phase):
    return [step for step in recording.steps if step.phase == phase]


# ----------------------------------------------------------------------
# The order of the steps
# ----------------------------------------------------------------------


@given(random_graphs)
def test_forward_steps_compute_each_node_after_its_inputs(expression):
    root = build(expression)
    order = topological_order(root)
    recording = record_steps(root)

    assert recording.steps[0].phase == "start"
    known = set(recording.steps[0].current)
    assert known == {i for i, node in enumerate(order) if not node.children}
    forward = [step.node for step in steps_of(recording, "forward")]
    for i in forward:
        assert {order.index(child) for child in order[i].children} <= known
        known.add(i)
    assert sorted(forward) == [i for i, node in enumerate(order) if node.children]
    assert known == set(range(len(order)))


@given(random_graphs)
def test_backward_steps_run_in_the_order_of_backward_after_the_seed(expression):
    root = build(expression)
    order = topological_order(root)
    recording = record_steps(root)
    phases = [step.phase for step in recording.steps]
    forward = [step.node for step in steps_of(recording, "forward")]
    backward = [step.node for step in steps_of(recording, "backward")]

    assert phases == ["start"] + ["forward"] * len(forward) + ["seed"] + ["backward"] * len(
        backward
    ) + ["done"]
    inner = topological_order(root, leaves=False)
    assert backward == [order.index(node) for node in reversed(inner)]
    seed = steps_of(recording, "seed")[0]
    assert seed.node == len(order) - 1
    assert seed.value == 1.0


def test_the_forward_pass_runs_in_reading_order_first_input_first():
    a, b, c, d = (Value(float(k), name) for k, name in enumerate("abcd", start=1))
    first, second = a * b, c * d
    first.label, second.label = "first", "second"
    total = first + second
    total.label = "total"
    recording = record_steps(total)

    titles = [step.title for step in steps_of(recording, "forward")]
    assert titles == [
        "Forward 1 of 3: compute first",
        "Forward 2 of 3: compute second",
        "Forward 3 of 3: compute total",
    ]
    start = recording.steps[0].lines
    assert [line.split(" =")[0] for line in start] == ["a", "b", "c", "d"]


def test_a_network_is_computed_first_neuron_first_leaves_in_the_order_they_are_read():
    from microgradx.nn import MLP

    model = MLP(2, [3, 1], seed=1)
    loss = (model([Value(1.0, "x1"), Value(2.0, "x2")]) - 1.0) ** 2
    recording = record_steps(loss, model=model)
    forward = [step.title for step in steps_of(recording, "forward")]

    assert forward[:3] == [
        "Forward 1 of 13: compute L1.N1.w·x",
        "Forward 2 of 13: compute L1.N1.w·x+b",
        "Forward 3 of 13: compute L1.N1.out",
    ]
    assert forward[3] == "Forward 4 of 13: compute L1.N2.w·x"
    names = [line.split(" =")[0] for line in recording.steps[0].lines]
    assert names[:4] == ["x1", "x2", "L1.N1.w1", "L1.N1.w2"]  # inputs first, then knobs
    assert names[4:7] == ["L1.N1.b", "L1.N2.w1", "L1.N2.w2"]


# ----------------------------------------------------------------------
# The arithmetic: every chain-rule term, and the totals backward() gives
# ----------------------------------------------------------------------


@given(random_graphs)
def test_blame_shares_add_up_to_exactly_the_gradients_of_backward(expression):
    root = build(expression)
    order = topological_order(root)
    recording = record_steps(root)
    root.backward()

    totals = [0.0] * len(order)
    totals[-1] = 1.0
    for step in steps_of(recording, "backward"):
        node = order[step.node]
        assert same_bits(step.value, node.grad)
        assert [share.slot for share in step.shares] == list(range(len(node.children)))
        for share in step.shares:
            assert order[share.child] is node.children[share.slot]
            assert same_bits(share.local_grad, node.local_grads[share.slot])
            assert same_bits(share.node_grad, node.grad)
            assert same_bits(share.share, share.local_grad * share.node_grad)
            assert same_bits(share.total_before, totals[share.child])
            assert same_bits(share.total_after, share.total_before + share.share)
            totals[share.child] = share.total_after
    for i, node in enumerate(order):
        assert same_bits(totals[i], node.grad), f"node {i} ({node!r})"
        assert same_bits(recording.grads[i], node.grad), f"node {i} ({node!r})"


@given(random_graphs)
def test_paths_are_counted_one_by_one_for_each_node(expression):
    root = build(expression)
    order = topological_order(root)
    recording = record_steps(root)
    uses = {i: 0 for i in range(len(order))}
    for node in order:
        for child in node.children:
            uses[order.index(child)] += 1

    seen = {i: [] for i in range(len(order))}
    for step in steps_of(recording, "backward"):
        for share in step.shares:
            seen[share.child].append((share.path, share.paths))
    for i, paths in seen.items():
        assert paths == [(k, uses[i]) for k in range(1, uses[i] + 1)]


def test_blame_from_two_paths_shows_its_running_total():
    a = Value(3.0, "a")
    b = a * a
    b.label = "b"
    c = b + a
    c.label = "c"
    recording = record_steps(c)

    step_c, step_b = steps_of(recording, "backward")
    assert step_c.lines == (
        "c.grad = 1.0 (complete: every path above it has reported)",
        "b.grad += 1.0 × c.grad (1.0) = 1.0",
        "a.grad += 1.0 × c.grad (1.0) = 1.0",
        "  running total: a.grad = 0.0 + 1.0 = 1.0   (path 1 of 3)",
    )
    assert step_b.lines == (
        "b.grad = 1.0 (complete: every path above it has reported)",
        "a.grad += a (local 3.0) × b.grad (1.0) = 3.0",
        "  running total: a.grad = 1.0 + 3.0 = 4.0   (path 2 of 3)",
        "a.grad += a (local 3.0) × b.grad (1.0) = 3.0",
        "  running total: a.grad = 4.0 + 3.0 = 7.0   (path 3 of 3)",
    )
    assert "adds up" in step_b.note
    # d(a*a + a)/da = 2a + 1 = 7 at a = 3
    assert steps_of(recording, "done")[0].lines == ("a.grad = 7.0",)


def test_the_steps_of_a_neuron_read_like_the_chain_rule():
    recording = record_steps(neuron())
    forward = {step.title: step.lines for step in steps_of(recording, "forward")}

    assert forward["Forward 1 of 5: compute x1 * w1"] == (
        "x1 * w1 = 2.0 * (-3.0) = -6.0",
        "local derivatives, kept for the backward pass:",
        "  d (x1 * w1) / d x1 = w1 = -3.0",
        "  d (x1 * w1) / d w1 = x1 = 2.0",
    )
    assert forward["Forward 2 of 5: compute x2 * w2"][0] == "x2 * w2 = 0.0 * 1.0 = 0.0"
    assert forward["Forward 5 of 5: compute o"][:3] == (
        "o = tanh(n) = tanh(0.8814) = 0.7071",
        "local derivatives, kept for the backward pass:",
        "  d o / d n = 1 - o² = 0.5",
    )
    backward = {step.title: step.lines for step in steps_of(recording, "backward")}
    assert backward["Backward 1 of 5: o hands on its blame"][1] == (
        "n.grad += 1 - o² (local 0.5) × o.grad (1.0) = 0.5"
    )
    assert backward["Backward 4 of 5: x1 * w1 hands on its blame"][1:] == (
        "x1.grad += w1 (local -3.0) × (x1 * w1).grad (0.5) = -1.5",
        "w1.grad += x1 (local 2.0) × (x1 * w1).grad (0.5) = 1.0",
    )
    assert steps_of(recording, "done")[0].lines == (
        "x1.grad = -1.5",
        "w1.grad = 1.0",
        "x2.grad = 0.5",
        "w2.grad = 0.0",
        "b.grad = 0.5",
    )


def test_the_power_rule_reads_as_a_learner_writes_it():
    guess, truth = Value(4.3, "guess"), Value(2.75, "true price")
    error = (guess - truth) ** 2
    error.label = "error"
    recording = record_steps(error)
    forward = steps_of(recording, "forward")

    assert forward[0].lines[0] == "guess - true price = 4.3 - 2.75 = 1.55"
    assert forward[1].lines[0] == "error = (guess - true price)² = 1.55² = 2.402"
    assert forward[1].lines[2] == (
        "  d error / d (guess - true price) = 2 × (guess - true price) = 3.1"
    )
    backward = steps_of(recording, "backward")[0]
    assert backward.lines[1] == (
        "(guess - true price).grad += 2 × (guess - true price) (local 3.1) × error.grad (1.0) = 3.1"
    )
    assert "** 1" not in " ".join(line for step in recording.steps for line in step.lines)
    cube = guess**3
    assert steps_of(record_steps(cube), "forward")[0].lines[2] == (
        "  d (guess³) / d guess = 3 × guess² = 55.47"
    )


def test_constants_and_repeated_inputs_are_named_clearly():
    x = Value(-2.0, "x")
    y = 3.0 * x * x
    y.label = "y"
    forward = steps_of(record_steps(y), "forward")

    assert forward[0].lines[0] == "3.0 * x = 3.0 * (-2.0) = -6.0"
    assert forward[0].lines[2:] == (
        "  d (3.0 * x) / d (3.0) = x = -2.0",
        "  d (3.0 * x) / d x = 3.0",
    )
    assert forward[1].lines[2:] == (
        "  d y / d (3.0 * x) = x = -2.0",
        "  d y / d x = (3.0 * x) = -6.0",
    )


def test_a_long_unlabelled_expression_is_named_by_its_op_and_a_count():
    x = Value(1.0, "x")
    long = ((x + 1.0) * (x + 2.0) + (x + 3.0)).tanh()
    recording = record_steps(long)
    names = [node.name for node in recording.nodes]

    assert names[-2] == "sum1"  # "(x + 1.0) * (x + 2.0) + (x + 3.0)" is long
    assert names[-1] == "tanh(sum1)"
    assert "x + 1.0" in names and "(x + 1.0) * (x + 2.0)" in names
    assert not [name for name in names if re.fullmatch(r"v\d+", name)]


@pytest.mark.parametrize("name", OPERATION_NAMES)
@given(data=st.data())
def test_every_op_of_the_engine_gets_a_formula_and_a_note(name, data):
    root = build(data.draw(expressions(operations=[name], max_steps=1)))
    forward = steps_of(record_steps(root), "forward")[-1]

    local_lines = forward.lines[2:]
    assert len(local_lines) == len(root.children)
    for line, local_grad in zip(local_lines, root.local_grads):
        assert line.endswith(f"= {format_number(local_grad)}")
    inputs = [f"a{k}.data" for k in range(len(root.children))]
    for slot in range(len(root.children)):
        assert _local_rule(root.op, slot, inputs, "y.data") is not None
    assert _local_rule_note(root.op)


def test_a_single_value_has_a_start_a_seed_and_a_done_step():
    recording = record_steps(Value(4.0, "x"))

    assert [step.phase for step in recording.steps] == ["start", "seed", "done"]
    assert recording.steps[-1].lines == ("x.grad = 1.0",)


def test_dot_and_sum_are_written_out_term_by_term():
    w1, w2, x1, x2 = Value(0.5, "w1"), Value(-1.0, "w2"), Value(2.0, "x1"), Value(3.0, "x2")
    s = sum_values([dot([w1, w2], [x1, x2]), x1])
    s.label = "s"
    forward = steps_of(record_steps(s), "forward")

    assert forward[0].lines[0] == "w1 * x1 + w2 * x2 = 0.5 * 2.0 + (-1.0) * 3.0 = -2.0"
    assert "  d (w1 * x1 + w2 * x2) / d w2 = x2 = 3.0" in forward[0].lines
    assert "  d (w1 * x1 + w2 * x2) / d x2 = w2 = -1.0" in forward[0].lines
    assert forward[1].lines[0] == "s = w1 * x1 + w2 * x2 + x1 = -2.0 + 2.0 = 0.0"


# ----------------------------------------------------------------------
# The Values are left as they were
# ----------------------------------------------------------------------


def grads_of(root):
    return [node.grad for node in topological_order(root)]


def test_a_player_before_backward_leaves_every_grad_at_zero():
    root = neuron()
    player = BackpropPlayer(root)

    assert grads_of(root) == [0.0] * len(grads_of(root))
    assert "blame 0.5" in player.svg  # the drawing shows the blame all the same
    root.backward()  # and backward() still runs: nothing was left behind
    assert root.grad == 1.0


def test_a_player_after_backward_leaves_the_grads_as_they_were():
    root = neuron()
    x1 = topological_order(root)[[n.label for n in topological_order(root)].index("x1")]
    x1.grad = 10.0  # blame left over from an earlier loss
    root.backward()
    before = grads_of(root)

    recording = BackpropPlayer(root).recording
    fresh = neuron()
    fresh.backward()

    assert grads_of(root) == before
    assert recording.grads == grads_of(fresh)  # the blame of this output alone


def test_the_steps_are_the_same_before_and_after_backward():
    root = neuron()
    before = record_steps(root)
    root.backward()

    assert record_steps(root) == before


# ----------------------------------------------------------------------
# The page
# ----------------------------------------------------------------------


class _Tags(HTMLParser):
    """Every start tag of a page, with its attributes, and the text of its scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def parse(page: str) -> _Tags:
    parser = _Tags()
    parser.feed(page)
    parser.close()
    return parser


def script_text(page: str) -> str:
    """The raw text of the page's JSON block."""
    parser = parse(page)
    script_tags = [attrs for tag, attrs in parser.tags if tag == "script"]
    [text] = [
        text
        for attrs, text in zip(script_tags, parser.scripts)
        if attrs.get("type") == "application/json"
    ]
    return text


def script_data(page: str) -> dict:
    return json.loads(script_text(page))


def test_explain_writes_one_self_contained_page(tmp_path):
    path = explain(neuron(), tmp_path / "neuron.html")
    page = path.read_text(encoding="utf-8")
    tags = parse(page).tags

    assert path == tmp_path / "neuron.html"
    assert page.startswith("<!DOCTYPE html>")
    assert [tag for tag, _ in tags].count("svg") == 1
    assert [tag for tag, _ in tags].count("script") == 2
    assert not [attrs for tag, attrs in tags if tag in ("link", "img", "iframe", "object")]
    assert not [attrs for tag, attrs in tags if tag == "script" and "src" in attrs]
    external = re.findall(r"(?:https?:)?//[^\s\"'<>]+", page)
    assert set(external) <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert "@import" not in page and "url(" not in page


def test_explain_writes_to_backprop_html_by_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    assert explain(Value(1.0, "x")).name == "backprop.html"
    assert (tmp_path / "backprop.html").is_file()


def test_the_page_carries_the_steps_as_texts_for_the_script():
    root = neuron()
    player = BackpropPlayer(root, title="A neuron")
    data = script_data(player.to_html())

    assert data["keyboard"] == "page"
    assert len(data["steps"]) == len(player.steps)
    for shown, step in zip(data["steps"], player.steps):
        assert shown["title"] == step.title
        assert shown["lines"] == list(step.lines)
        assert shown["current"] == list(step.current)
        assert shown["flowing"] == list(step.flowing)
    assert "<title>A neuron</title>" in player.to_html()


@settings(max_examples=25)  # each example runs Graphviz
@given(random_graphs)
def test_every_id_the_script_looks_for_is_in_the_drawing(expression):
    root = build(expression)
    player = BackpropPlayer(root)
    svg = ElementTree.fromstring(player.svg)
    ids = {element.get("id") for element in svg.iter() if element.get("id")}

    order = topological_order(root)
    assert {f"value-{i}" for i in range(len(order))} <= ids
    for step in player.steps:
        assert set(step.flowing) <= ids
    for node in player.recording.nodes:
        assert set(node.op_parts) <= ids


def test_the_same_graph_gives_the_same_page_byte_for_byte():
    assert BackpropPlayer(neuron()).to_html() == BackpropPlayer(neuron()).to_html()


def test_the_notebook_view_is_a_fragment_with_its_own_keyboard_focus():
    player = BackpropPlayer(neuron())
    fragment = player._repr_html_()
    data = script_data(fragment)

    assert fragment.startswith('<div class="mgx-player"')
    assert "<html" not in fragment and "<body" not in fragment
    assert 'tabindex="0"' in fragment
    assert data["keyboard"] == "player"
    # Without scripts the fragment still shows every step as text.
    assert '<details class="mgx-all-steps" open>' in fragment
    assert fragment.count("<li>") == len(player.steps)


HOSTILE_LABELS = [
    "</script><script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\"quoted\" 'single' & <b>bold</b>",
    "<!--",
    "</SCRIPT >",
    "ünïcødé π 🚀 \u2028 line",
    "${alert(1)} `backtick`",
]


@pytest.mark.parametrize("label", HOSTILE_LABELS)
def test_hostile_labels_are_shown_as_text_and_never_run(label, tmp_path):
    x = Value(2.0, label)
    out = x * Value(3.0, "w") + x
    out.label = label + " out"
    player = BackpropPlayer(out, title=label)
    page = player.to_html()
    parser = parse(page)

    assert [tag for tag, _ in parser.tags].count("script") == 2
    assert len(re.findall(r"</script", page, re.IGNORECASE)) == 2
    assert "img" not in [tag for tag, _ in parser.tags]
    for tag, attrs in parser.tags:
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
    data = script_data(page)
    assert any(label in line for step in data["steps"] for line in step["lines"])
    assert not set("<>&") & set(script_text(page))
    assert html.escape(label) in page  # in the text-only list of steps
    assert f"<title>{html.escape(label)}</title>" in page


def test_a_graph_above_the_node_limit_gets_the_drawings_error(tmp_path):
    x = Value(1.0, "x")
    y = x
    for _ in range(10):
        y = y * 1.0001
    path = tmp_path / "big.html"

    with pytest.raises(GraphTooLargeError, match="max_nodes=10"):
        explain(y, path, max_nodes=10)
    with pytest.raises(GraphTooLargeError):
        BackpropPlayer(y, max_nodes=10)
    assert not path.exists()
    assert x.grad == 0.0


def test_the_default_node_limit_is_the_drawings():
    y = Value(1.0, "x")
    for _ in range(1300):  # 1301 values and 1300 ops: above 2,500
        y = y + 1.0

    with pytest.raises(GraphTooLargeError):
        BackpropPlayer(y)


def test_drawing_options_reach_the_drawing():
    top_to_bottom = BackpropPlayer(neuron(), rankdir="TB").svg
    left_to_right = BackpropPlayer(neuron()).svg

    assert top_to_bottom != left_to_right
    with pytest.raises(ValueError, match="rankdir"):
        BackpropPlayer(neuron(), rankdir="sideways")


@pytest.mark.parametrize("not_a_value", [3.0, "loss", [Value(1.0)], None])
def test_anything_but_a_value_gets_a_clear_type_error(not_a_value):
    with pytest.raises(TypeError, match="needs a Value"):
        explain(not_a_value)
    with pytest.raises(TypeError, match="needs a Value"):
        record_steps(not_a_value)


def test_a_title_that_is_not_text_gets_a_clear_type_error():
    with pytest.raises(TypeError, match="title must be a str"):
        BackpropPlayer(Value(1.0), title=42)


@settings(max_examples=25)  # each example runs Graphviz
@given(st.lists(st.text(max_size=8), min_size=1, max_size=4))
def test_any_labels_survive_the_round_trip_through_the_page(labels):
    leaves = [Value(float(k + 1), label) for k, label in enumerate(labels)]
    root = sum_values(leaves)
    data = script_data(BackpropPlayer(root).to_html())
    recording = record_steps(root)

    assert [step["lines"] for step in data["steps"]] == [
        list(step.lines) for step in recording.steps
    ]


# ----------------------------------------------------------------------
# What the drawing shows when: the timeline of every node
# ----------------------------------------------------------------------


@given(random_graphs)
def test_a_value_shows_after_its_inputs_and_blame_only_after_it_is_handed_on(expression):
    root = build(expression)
    recording = record_steps(root)
    timeline = recording.timeline
    snapshot_order = topological_order(root)
    index = {node: i for i, node in enumerate(snapshot_order)}
    last = len(recording.steps) - 1

    for i, node in enumerate(snapshot_order):
        for child in node.children:
            assert timeline.value_step[i] > timeline.value_step[index[child]]
        steps = [step for step, _, _ in timeline.blame_steps[i]]
        assert steps == sorted(steps) and steps, i
        for share in recording.steps[steps[0]].shares:  # blame arrives from a handing step
            assert share.node == recording.steps[steps[0]].node
        if node.children:
            hand = timeline.hand_step[i]
            assert hand is not None and hand >= max(steps) > timeline.value_step[i] - 1
        final_total = timeline.blame_steps[i][-1][1]
        assert same_bits(final_total, recording.grads[i])
        assert max(steps) < last  # the last step shows every final blame
    assert timeline.blame_steps[-1][0] == (
        next(k for k, s in enumerate(recording.steps) if s.phase == "seed"),
        1.0,
        0,
    )


@given(random_graphs)
def test_every_name_the_steps_use_is_shown_on_the_drawing(expression):
    root = build(expression)
    player_drawing = drawing_of(root, progressive=True)
    recording = record_steps(root)
    shown = {
        (slot.node, slot.text)
        for slots in player_drawing.slots.values()
        for slot in slots
        if slot.kind in ("name", "data")
    }
    snapshot = player_drawing.snapshot
    for i, info in enumerate(recording.nodes):
        name = visible_text(info.name)
        if snapshot.labels[i] or snapshot.children[i]:
            assert (i, name) in shown, name
        else:  # a constant is named by its number
            assert (i, f"data {name}") in shown
    for step in recording.steps:
        assert not re.search(r"\bv\d+\b", " ".join((step.title, step.note, *step.lines)))


def test_the_house_demo_names_its_true_price_and_its_neurons_parts(monkeypatch):
    import runpy

    monkeypatch.syspath_prepend(str(DEMOS))
    demo = runpy.run_path(str(DEMOS / "house_prices.py"), run_name="house_demo")
    data = demo["make_data"]()
    model = demo["build_model"](data.train, demo["SEED"])
    first = demo["forward_and_backward"](model, data.scaling, data.train[0])
    names = [node.name for node in record_steps(first.loss, model=model).nodes]

    assert "true price" in names
    assert "guess - true price" in names
    assert {"L1.N1.w·x", "L1.N1.w·x+b", "L1.N1.out", "L2.N1.w·x"} <= set(names)
    player = BackpropPlayer(first.loss, model=model)
    page = player.to_html()
    assert "rest the mouse" not in page
    assert len(page.encode("utf-8")) < 1_000_000


# ----------------------------------------------------------------------
# No renderer: the same clear words as draw_dot, never a traceback
# ----------------------------------------------------------------------


def test_without_a_renderer_a_notebook_shows_the_fix_and_explain_raises_it(tmp_path, no_renderer):
    from microgradx.render import RendererNotFoundError

    output = tmp_path / "out"
    output.mkdir()
    player = BackpropPlayer(neuron())  # records and lays out without drawing

    bundle = player._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert "pip install graphviz-pure" in bundle["text/plain"]
    assert "Traceback" not in bundle["text/plain"]
    assert player._repr_html_() is None
    with pytest.raises(RendererNotFoundError, match="pip install graphviz-pure"):
        explain(neuron(), output / "page.html")
    assert list(output.iterdir()) == []  # no page, and no temporary file left either


def test_a_renderer_that_fails_gives_the_render_error(tmp_path, monkeypatch):
    from microgradx.render import RENDERER_ENV_VAR, RenderError

    failing = tmp_path / "dot"
    failing.write_text("#!/bin/sh\necho 'cannot lay this out' >&2\nexit 3\n")
    failing.chmod(0o755)
    monkeypatch.setenv(RENDERER_ENV_VAR, str(failing))
    player = BackpropPlayer(neuron())
    assert "could not draw its graph" in player._repr_mimebundle_()["text/plain"]
    with pytest.raises(RenderError, match="cannot lay this out"):
        player.save(tmp_path / "page.html")


# ----------------------------------------------------------------------
# The data the page's script reads
# ----------------------------------------------------------------------


def test_the_page_data_holds_every_nodes_numbers_and_when_they_show():
    root = neuron()
    player = BackpropPlayer(root)
    data = script_data(player.to_html())
    order = topological_order(root)
    root.backward()

    assert data["view"] == "values" and data["zoom"] == "readable"
    assert len(data["nodes"]) == len(order)
    for i, (shown, node) in enumerate(zip(data["nodes"], order)):
        assert shown["data"] == node.data and shown["blame"] == node.grad
        assert shown["children"] == [order.index(c) for c in node.children]
        assert shown["local"] == list(node.local_grads)
        assert shown["shownIn"] == f"value-{i}"
        assert shown["valueStep"] == player.recording.timeline.value_step[i]
        assert shown["blameSteps"][-1][1] == node.grad
    assert data["largestBlame"] == max(abs(node.grad) for node in order)


def test_the_drawing_marks_every_number_the_script_repaints():
    player = BackpropPlayer(neuron())
    svg = ElementTree.fromstring(player.svg)
    marked = [e for e in svg.iter() if e.get("data-mgx")]
    kinds = {e.get("data-mgx") for e in marked}
    assert kinds == {"name", "data", "blame", "cell", "local"}
    count = len(topological_order(neuron()))
    assert len([e for e in marked if e.get("data-mgx") == "data"]) == count
    assert len([e for e in marked if e.get("data-mgx") == "blame"]) == count
    for element in marked:
        if element.get("data-mgx") in ("data", "blame"):
            assert element.get("text-anchor") == "middle"  # centred: new text stays in its cell


def test_a_player_takes_the_view_and_its_options(tmp_path):
    from microgradx.nn import MLP

    model = MLP(2, [2, 1], seed=0)
    loss = (model([Value(1.0, "x1"), Value(2.0, "x2")]) - 1.0) ** 2
    page = explain(loss, tmp_path / "network.html", model=model, view="network").read_text()
    assert 'data-view="network"' in page
    assert script_data(page)["view"] == "network"
    with pytest.raises(ValueError, match="learning_rate"):
        BackpropPlayer(loss, model=model, view="network", learning_rate=-1)
