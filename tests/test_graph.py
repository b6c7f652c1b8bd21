"""The blame graph (microgradx.graph): what is drawn, how it is named, and how it is saved.

Drawn structure is checked in the SVG of every renderer found on this machine
(node and edge counts, ids, label text, valid XML); layouts differ between
renderers, so no test compares SVG bytes across them.
"""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
import unicodedata
import xml.etree.ElementTree as ElementTree
from decimal import Decimal
from pathlib import Path

import graphviz
import pytest
from fake_renderers import fake_renderer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microgradx import Value, sum_values, topological_order
from microgradx.graph import (
    DEFAULT_MAX_NODES,
    NEGATIVE_BLAME_COLOUR,
    POSITIVE_BLAME_COLOUR,
    RANKDIRS,
    ROLE_COLOURS,
    BlameGraph,
    GraphTooLargeError,
    draw_dot,
    escape_text,
    format_number,
    layout_size,
    render,
)
from microgradx.nn import MLP, Neuron
from microgradx.render import (
    RENDERER_ENV_VAR,
    TIMEOUT_ENV_VAR,
    Renderer,
    RendererNotFoundError,
    RenderError,
    UnsupportedFormatError,
    available_renderers,
    render_dot,
)

RENDERERS = available_renderers()
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(params=RENDERERS, ids=[renderer.name for renderer in RENDERERS])
def renderer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Renderer:
    """Each renderer in turn, also made the one find_renderer() returns."""
    monkeypatch.setenv(RENDERER_ENV_VAR, request.param.program)
    return request.param


@pytest.fixture
def wrong_renderer_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(RENDERER_ENV_VAR, "/no/such/program/dot")


# ----------------------------------------------------------------------
# Graphs to draw, and reading the SVG back
# ----------------------------------------------------------------------


def neuron() -> dict[str, Value]:
    """The classic neuron o = tanh(x1*w1 + x2*w2 + b), every value labelled."""
    v = {
        "x1": Value(2.0, label="x1"),
        "x2": Value(0.0, label="x2"),
        "w1": Value(-3.0, label="w1"),
        "w2": Value(1.0, label="w2"),
        "b": Value(6.8813735870195432, label="b"),
    }
    v["x1*w1"] = v["x1"] * v["w1"]
    v["x2*w2"] = v["x2"] * v["w2"]
    v["s"] = v["x1*w1"] + v["x2*w2"]
    v["n"] = v["s"] + v["b"]
    v["o"] = v["n"].tanh()
    for name in ("x1*w1", "x2*w2", "s", "n", "o"):
        v[name].label = name
    return v


def parameters_of(v: dict[str, Value]) -> list[Value]:
    return [v["w1"], v["w2"], v["b"]]


def svg_tree(graph: graphviz.Digraph, renderer: Renderer) -> ElementTree.Element:
    """The graph drawn by ``renderer``, parsed as XML (which fails on invalid XML)."""
    return ElementTree.fromstring(render_dot(graph.source, "svg", renderer))


def groups(tree: ElementTree.Element, kind: str) -> dict[str, ElementTree.Element]:
    """The SVG groups of one class ("node", "edge", "cluster") by id."""
    return {g.get("id"): g for g in tree.iter(f"{SVG}g") if g.get("class") == kind}


def texts(group: ElementTree.Element) -> list[str]:
    """The text pieces drawn in a group, with Graphviz's non-breaking spaces made plain."""
    return [shown(text.text or "") for text in group.iter(f"{SVG}text")]


def shown(text: str) -> str:
    """Text as a reader sees it: runs of spaces count as one, ends trimmed."""
    return " ".join(text.replace("\xa0", " ").split())


def expected_ids(root: Value) -> tuple[set[str], set[str]]:
    """The node and edge ids the contract promises for ``root``'s graph."""
    order = topological_order(root)
    index = {node: i for i, node in enumerate(order)}
    nodes, edges = set(), set()
    for i, node in enumerate(order):
        nodes.add(f"value-{i}")
        if node.children:
            nodes.add(f"op-{i}")
            edges.add(f"edge-op-{i}")
            edges.update(f"edge-{index[c]}-{i}-{k}" for k, c in enumerate(node.children))
    return nodes, edges


def node_index(root: Value, value: Value) -> int:
    return next(i for i, node in enumerate(topological_order(root)) if node is value)


# ----------------------------------------------------------------------
# What is drawn, in the SVG of every renderer
# ----------------------------------------------------------------------


def test_neuron_has_every_node_and_edge_with_the_documented_ids(renderer) -> None:
    v = neuron()
    tree = svg_tree(draw_dot(v["o"]), renderer)
    nodes, edges = expected_ids(v["o"])
    assert len(nodes) == 10 + 5
    assert len(edges) == 9 + 5
    assert set(groups(tree, "node")) == nodes
    assert set(groups(tree, "edge")) == edges


def test_value_nodes_show_label_data_and_blame_after_backward(renderer) -> None:
    v = neuron()
    v["o"].backward()
    drawn = groups(svg_tree(draw_dot(v["o"]), renderer), "node")
    expected = {
        "x1": ["x1", "data 2.0", "blame -1.5"],
        "w1": ["w1", "data -3.0", "blame 1.0"],
        "w2": ["w2", "data 1.0", "blame 0.0"],
        "b": ["b", "data 6.881", "blame 0.5"],
        "n": ["n", "data 0.8814", "blame 0.5"],
        "o": ["o", "data 0.7071", "blame 1.0"],
    }
    for name, pieces in expected.items():
        assert texts(drawn[f"value-{node_index(v['o'], v[name])}"]) == pieces


def test_op_nodes_show_the_op(renderer) -> None:
    v = neuron()
    drawn = groups(svg_tree(draw_dot(v["o"]), renderer), "node")
    for name, op in (("x1*w1", "*"), ("s", "+"), ("n", "+"), ("o", "tanh")):
        assert texts(drawn[f"op-{node_index(v['o'], v[name])}"]) == [op]


def test_edges_show_the_local_derivative(renderer) -> None:
    v = neuron()
    drawn = groups(svg_tree(draw_dot(v["o"]), renderer), "edge")
    o = v["o"]
    x1, w1, product = (node_index(o, v[name]) for name in ("x1", "w1", "x1*w1"))
    assert texts(drawn[f"edge-{x1}-{product}-0"]) == ["local -3.0"]
    assert texts(drawn[f"edge-{w1}-{product}-1"]) == ["local 2.0"]
    n, out = node_index(o, v["n"]), node_index(o, o)
    assert texts(drawn[f"edge-{n}-{out}-0"]) == ["local 0.5"]
    assert texts(drawn[f"edge-op-{out}"]) == []


def test_edges_can_show_the_blame_they_passed(renderer) -> None:
    v = neuron()
    v["o"].backward()
    drawn = groups(svg_tree(draw_dot(v["o"], show_passed_blame=True), renderer), "edge")
    x1, product = node_index(v["o"], v["x1"]), node_index(v["o"], v["x1*w1"])
    assert texts(drawn[f"edge-{x1}-{product}-0"]) == ["local -3.0", "passes blame -1.5"]


def test_a_reused_input_gets_an_edge_per_use(renderer) -> None:
    a = Value(3.0, label="a")
    square = a * a
    tree = svg_tree(draw_dot(square), renderer)
    edges = groups(tree, "edge")
    assert set(edges) == {"edge-0-1-0", "edge-0-1-1", "edge-op-1"}
    assert texts(edges["edge-0-1-0"]) == texts(edges["edge-0-1-1"]) == ["local 3.0"]


def test_before_backward_the_blame_reads_not_computed_yet(renderer) -> None:
    v = neuron()
    drawn = groups(svg_tree(draw_dot(v["o"]), renderer), "node")
    values = [group for node_id, group in drawn.items() if node_id.startswith("value-")]
    assert len(values) == 10
    for group in values:
        assert texts(group)[-1] == "blame not computed yet"


def test_zero_grad_makes_the_blame_not_computed_again() -> None:
    v = neuron()
    v["o"].backward()
    assert "blame -1.5" in draw_dot(v["o"]).source
    v["o"].zero_grad()
    source = draw_dot(v["o"]).source
    assert "blame -1.5" not in source
    assert source.count("blame not computed yet") == 10


def test_passed_blame_is_not_shown_before_backward() -> None:
    assert "passes blame" not in draw_dot(neuron()["o"], show_passed_blame=True).source


def test_the_legend_explains_the_colours(renderer) -> None:
    v = neuron()
    v["o"].backward()
    all_text = " ".join(texts(svg_tree(draw_dot(v["o"]), renderer)))
    for words in ("parameter", "input or constant", "output", "raising it raises the output"):
        assert words in all_text
    assert "role:" not in draw_dot(v["o"], legend=False).source


def test_model_clusters_are_drawn_with_their_ids(renderer) -> None:
    model = MLP(2, [2, 1], activation="tanh", seed=1)
    loss = (model([1.0, -2.0]) - 1.0) ** 2
    clusters = groups(svg_tree(draw_dot(loss, model=model), renderer), "cluster")
    assert set(clusters) == {"neuron-1-1", "neuron-1-2", "neuron-2-1"}
    assert texts(clusters["neuron-1-2"])[0] == "neuron L1.N2"


# ----------------------------------------------------------------------
# Hostile labels come out as literal text, in valid XML
# ----------------------------------------------------------------------

HOSTILE_LABELS = [
    ("<b>bold</b>", "<b>bold</b>"),
    ("<>", "<>"),
    ("<<table></table>>", "<<table></table>>"),
    ("a\\nb", "a\\nb"),
    ("\\N \\G \\L \\l \\E \\T \\H", "\\N \\G \\L \\l \\E \\T \\H"),
    ("ends with \\", "ends with \\"),
    ("{a|b} <port> x", "{a|b} <port> x"),
    ('say "hi"', 'say "hi"'),
    ("it's", "it's"),
    ("]", "]"),
    ("]]", "]]"),
    ("&amp; &#60; &lt;", "&amp; &#60; &lt;"),
    ("]]> <!-- -->", "]]> <!-- -->"),
    ("line\nbreak", "line\\nbreak"),
    ("tab\there", "tab\\there"),
    ("bell\x07 nul\x00 esc\x1b del\x7f", "bell\\x07 nul\\x00 esc\\x1b del\\x7f"),
    ("\u202eevil", "\\u202eevil"),
    ("lone \ud800 surrogate", "lone \\ud800 surrogate"),
    ("not a char \ufffe", "not a char \\ufffe"),
    ("javascript:alert(1)", "javascript:alert(1)"),
    ("Größe → ∂L/∂w 😀", "Größe → ∂L/∂w 😀"),
]


@pytest.mark.parametrize(("label", "seen"), HOSTILE_LABELS)
def test_hostile_value_labels_are_drawn_literally(renderer, label: str, seen: str) -> None:
    leaf = Value(1.5, label=label)
    result = leaf * 2.0
    result.label = label
    tree = svg_tree(draw_dot(result), renderer)
    drawn = groups(tree, "node")
    for value in (leaf, result):
        assert texts(drawn[f"value-{node_index(result, value)}"])[0] == shown(seen)
    assert not any(key.endswith("href") for e in tree.iter() for key in e.attrib)


@pytest.mark.parametrize(("op", "seen"), HOSTILE_LABELS)
def test_hostile_op_names_are_drawn_literally(renderer, op: str, seen: str) -> None:
    child = Value(1.0, label="x")
    result = Value(2.0, "", (child,), (1.0,), op)
    drawn = groups(svg_tree(draw_dot(result), renderer), "node")
    assert texts(drawn["op-1"]) == [shown(seen)]


VISIBLE_TEXT = st.text(max_size=30).map(
    lambda text: "".join(c for c in text if unicodedata.category(c)[0] not in "CZ" or c == " ")
)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(label=VISIBLE_TEXT)
def test_any_visible_label_is_drawn_literally(renderer, label: str) -> None:
    drawn = groups(svg_tree(draw_dot(Value(1.0, label=label)), renderer), "node")
    if shown(label):
        assert texts(drawn["value-0"])[0] == shown(label)
    else:
        non_blank = [text for text in texts(drawn["value-0"]) if text]
        assert non_blank[0].startswith("data")


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(label=st.text(max_size=30))
def test_any_label_at_all_gives_valid_xml(renderer, label: str) -> None:
    tree = svg_tree(draw_dot(Value(1.0, label=label)), renderer)
    for element in tree.iter():
        for text in (element.text or "", *element.attrib.values()):
            assert not any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in text)


@given(text=st.text())
def test_escaped_text_has_no_markup_and_only_doubled_backslashes(text: str) -> None:
    escaped = escape_text(text)
    assert not set(escaped) & set('<>"')
    assert not any(unicodedata.category(c) in ("Cc", "Cs") for c in escaped)
    assert "]" not in escaped
    assert re.fullmatch(r"([^&]|&(amp|lt|gt|quot|#93);)*", escaped)
    assert all(len(run) % 2 == 0 for run in re.findall(r"\\+", escaped))


# ----------------------------------------------------------------------
# Numbers
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (2.0, "2.0"),
        (-3.0, "-3.0"),
        (0.0, "0.0"),
        (-0.0, "0.0"),
        (6.8813735870195432, "6.881"),
        (-0.70710678, "-0.7071"),
        (1000.0, "1000.0"),
        (1234567.0, "1.235e+06"),
        (-1e-7, "-1e-07"),
        (3, "3.0"),
    ],
)
def test_numbers_show_four_significant_digits(x: float, text: str) -> None:
    assert format_number(x) == text


@given(x=st.floats(allow_nan=False, allow_infinity=False))
def test_formatted_numbers_keep_the_sign_and_four_digits(x: float) -> None:
    text = format_number(x)
    assert abs(Decimal(text) - Decimal(x)) <= abs(Decimal(x)) * Decimal("5e-4")
    assert text.startswith("-") == (x < 0)
    assert "." in text or "e" in text


# ----------------------------------------------------------------------
# Colours and roles
# ----------------------------------------------------------------------


def hex_colour(rgb: tuple[int, int, int]) -> str:
    return "#" + "".join(f"{channel:02x}" for channel in rgb)


def dot_line(source: str, name: str) -> str:
    return next(line for line in source.splitlines() if line.strip().startswith(f"{name} ["))


def cell_colour(line: str, text: str) -> str:
    """The bgcolor of the table cell holding ``text`` in one line of DOT."""
    match = re.search(r'<td bgcolor="(#[0-9a-f]{6})"[^>]*>' + re.escape(text) + "<", line)
    assert match, (text, line)
    return match.group(1)


def test_blame_colour_follows_sign_and_size() -> None:
    v = neuron()
    v["o"].backward()
    o = v["o"]
    source = draw_dot(o, parameters=parameters_of(v)).source
    largest_negative = dot_line(source, f"v{node_index(o, v['x1'])}")
    assert cell_colour(largest_negative, "blame -1.5") == hex_colour(NEGATIVE_BLAME_COLOUR)
    zero = dot_line(source, f"v{node_index(o, v['w2'])}")
    assert cell_colour(zero, "blame 0.0") == "#ffffff"
    red, green, blue = POSITIVE_BLAME_COLOUR
    two_thirds = (round(255 + (c - 255) * (1.0 / 1.5)) for c in (red, green, blue))
    positive = dot_line(source, f"v{node_index(o, v['w1'])}")
    assert cell_colour(positive, "blame 1.0") == hex_colour(tuple(two_thirds))


def test_roles_are_coloured_and_parameters_have_a_thick_border() -> None:
    v = neuron()
    o = v["o"]
    source = draw_dot(o, parameters=parameters_of(v)).source
    weight = dot_line(source, f"v{node_index(o, v['w1'])}")
    assert 'border="3"' in weight
    assert f'bgcolor="{ROLE_COLOURS["parameter"]}"' in weight
    data_input = dot_line(source, f"v{node_index(o, v['x1'])}")
    assert 'border="0"' in data_input
    assert f'bgcolor="{ROLE_COLOURS["input"]}"' in data_input
    output = dot_line(source, f"v{node_index(o, o)}")
    assert f'bgcolor="{ROLE_COLOURS["output"]}"' in output
    middle = dot_line(source, f"v{node_index(o, v['n'])}")
    assert f'bgcolor="{ROLE_COLOURS["intermediate"]}"' in middle
    unmarked = draw_dot(o).source.splitlines()
    value_lines = [line for line in unmarked if line.strip().startswith("v")]
    assert not any(ROLE_COLOURS["parameter"] in line for line in value_lines)


# ----------------------------------------------------------------------
# Clusters per neuron and layer
# ----------------------------------------------------------------------


def cluster_members(source: str) -> dict[str, set[int]]:
    """DOT cluster id -> indices of the value nodes declared inside it (nested too)."""
    members: dict[str, set[int]] = {}
    open_clusters: list[str] = []
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith("subgraph cluster"):
            open_clusters.append("")
        elif stripped == "}" and open_clusters:
            open_clusters.pop()
        elif open_clusters and open_clusters[-1] == "" and 'id="' in stripped:
            open_clusters[-1] = re.search(r'id="([^"]+)"', stripped).group(1)
            members[open_clusters[-1]] = set()
        elif match := re.match(r"v(\d+) \[", stripped):
            for cluster in open_clusters:
                members[cluster].add(int(match.group(1)))
    return members


def test_mlp_nodes_are_grouped_by_neuron_and_layer() -> None:
    model = MLP(2, [2, 1], activation="tanh", seed=0)
    guess = model([1.0, -2.0])
    loss = (guess - 1.0) ** 2
    order = topological_order(loss)
    index = {node: i for i, node in enumerate(order)}
    members = cluster_members(draw_dot(loss, model=model).source)

    first = model.layers[0].neurons[0]
    weighted_sum = next(n for n in order if n.op == "dot" and n.children[0] is first.w[0])
    plus_bias = next(n for n in order if first.b in n.children)
    activation = next(n for n in order if n.children == (plus_bias,))
    assert members["neuron-1-1"] == {
        index[node] for node in (*first.w, first.b, weighted_sum, plus_bias, activation)
    }
    assert "layer-1" not in members  # the inputs sit next to the neurons, not in a box
    assert index[guess] in members["neuron-2-1"]
    clustered = set().union(*members.values())
    outside = {i for i, node in enumerate(order) if i not in clustered}
    assert outside == {index[node] for node in order if node.label in ("x1", "x2")} | {
        index[loss],
        index[loss.children[0]],
        index[loss.children[0].children[1]],
    }


def test_op_nodes_sit_in_the_cluster_of_their_result() -> None:
    model = Neuron(2, "tanh", seed=0)
    out = model([1.0, 2.0])
    source = draw_dot(out, model=model).source
    inside = source.split("subgraph cluster")[1]
    for i, node in enumerate(topological_order(out)):
        if node.children:
            assert f"v{i}_op [" in inside


class MicrogradStyleNeuron:
    """A duck-typed neuron that sums w_i * x_i one + at a time, like micrograd."""

    def __init__(self) -> None:
        self.w = [Value(0.5, label="w1"), Value(-1.0, label="w2")]
        self.b = Value(0.25, label="b")

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def __call__(self, x: list[float]) -> Value:
        total = self.b
        for wi, xi in zip(self.w, x):
            total = total + wi * xi
        return total.relu()


def test_a_duck_typed_neuron_summed_step_by_step_is_one_cluster() -> None:
    model = MicrogradStyleNeuron()
    out = model([2.0, 3.0])
    loss = out * out
    members = cluster_members(draw_dot(loss, model=model).source)
    order = topological_order(loss)
    computed_inside = {i for i, node in enumerate(order) if node.label == "" and node is not loss}
    constants = {i for i, node in enumerate(order) if not node.children and node.label == ""}
    assert list(members) == ["neuron-1-1"]
    assert members["neuron-1-1"] == (computed_inside - constants) | {
        i for i, node in enumerate(order) if node.label in ("w1", "w2", "b")
    }


def test_model_must_have_parameters() -> None:
    with pytest.raises(TypeError, match=r"\.parameters\(\)"):
        draw_dot(Value(1.0), model=object())


def test_parameters_must_be_values() -> None:
    with pytest.raises(TypeError, match="parameters must contain only Values"):
        draw_dot(Value(1.0), parameters=[1.0])


def test_draw_dot_needs_a_value() -> None:
    with pytest.raises(TypeError, match="draw_dot\\(\\) draws a Value"):
        draw_dot(3.0)  # type: ignore[arg-type]


# ----------------------------------------------------------------------
# Names, determinism and options
# ----------------------------------------------------------------------


def test_node_names_follow_the_topological_order() -> None:
    v = neuron()
    source = draw_dot(v["o"]).source
    for i, node in enumerate(topological_order(v["o"])):
        line = dot_line(source, f"v{i}")
        assert f'id="value-{i}"' in line
        assert f"<b>{escape_text(node.label)}</b>" in line
        assert f"data {format_number(node.data)}<" in line


def test_the_same_graph_built_twice_gives_the_same_dot() -> None:
    first, second = neuron(), neuron()
    assert draw_dot(first["o"]).source == draw_dot(second["o"]).source
    first["o"].backward()
    second["o"].backward()
    assert draw_dot(first["o"]).source == draw_dot(second["o"]).source


def test_the_same_model_built_twice_gives_the_same_dot() -> None:
    def source() -> str:
        model = MLP(3, [4, 4, 1], seed=7)
        loss = (model([1.0, 2.0, 3.0]) - 1.0) ** 2
        loss.backward()
        return draw_dot(loss, model=model, show_passed_blame=True).source

    assert source() == source()


@pytest.mark.parametrize("rankdir", RANKDIRS)
def test_every_rankdir_is_accepted(rankdir: str) -> None:
    assert f"rankdir={rankdir}" in draw_dot(Value(1.0), rankdir=rankdir).source


@pytest.mark.parametrize("rankdir", ["lr", "TOP", "", "LR ", 3])
def test_other_rankdirs_are_a_clear_error(rankdir) -> None:
    with pytest.raises(ValueError, match="rankdir must be one of LR, TB, RL, BT"):
        draw_dot(Value(1.0), rankdir=rankdir)


def test_the_default_rankdir_is_left_to_right() -> None:
    assert "rankdir=LR" in draw_dot(Value(1.0), rankdir=None).source
    assert "rankdir=LR" in draw_dot(Value(1.0)).source


def test_draw_dot_is_called_like_micrograds() -> None:
    graph = draw_dot(Value(1.0), "png", "TB")
    assert isinstance(graph, graphviz.Digraph)
    assert isinstance(graph, BlameGraph)
    assert graph.format == "png"
    assert "rankdir=TB" in graph.source


# ----------------------------------------------------------------------
# The size guard
# ----------------------------------------------------------------------


def test_layout_size_counts_drawn_and_hidden_nodes() -> None:
    a, b = Value(1.0), Value(2.0)
    assert layout_size(topological_order(a * b)) == (4, 3)
    x, w = Value(1.0), Value(2.0)
    # x*w at op rank 2, (x*w)*w at op rank 6: w's second edge skips 5 ranks.
    assert layout_size(topological_order((x * w) * w)) == (6, 1 + 1 + 1 + 1 + 5 + 1)


def test_the_guard_allows_exactly_max_nodes_and_refuses_one_more() -> None:
    root = neuron()["o"]
    drawn, hidden = layout_size(topological_order(root))
    draw_dot(root, max_nodes=drawn + hidden)
    with pytest.raises(GraphTooLargeError) as caught:
        draw_dot(root, max_nodes=drawn + hidden - 1)
    assert isinstance(caught.value, ValueError)
    message = str(caught.value)
    assert f"{drawn + hidden} nodes" in message
    assert f"max_nodes={drawn + hidden - 1}" in message
    assert f"draw_dot(root, max_nodes={drawn + hidden})" in message
    assert "smaller part" in message


def test_a_big_graph_is_refused_by_default_and_drawn_without_a_limit() -> None:
    big = sum_values([Value(float(i)) for i in range(DEFAULT_MAX_NODES // 2)])
    with pytest.raises(GraphTooLargeError):
        draw_dot(big)
    assert draw_dot(big, max_nodes=None).source.count("->") == DEFAULT_MAX_NODES // 2 + 1


def test_a_long_chain_sharing_a_weight_is_refused_before_it_hangs() -> None:
    x, w = Value(0.5), Value(0.9)
    for _ in range(40):
        x = (x * w + 0.1).tanh()
    drawn, _ = layout_size(topological_order(x))
    assert drawn < DEFAULT_MAX_NODES / 5
    with pytest.raises(GraphTooLargeError, match="shared by every step"):
        draw_dot(x)


def test_a_very_deep_graph_is_refused_quickly_without_recursion_errors() -> None:
    x = Value(0.5)
    for _ in range(100_000):
        x = x * 1.0
    drawn, hidden = layout_size(topological_order(x))
    assert drawn == 200_001 + 100_000
    with pytest.raises(GraphTooLargeError, match=f"would place {drawn + hidden} nodes"):
        draw_dot(x)


def test_render_checks_the_size_too(tmp_path: Path) -> None:
    with pytest.raises(GraphTooLargeError):
        render(neuron()["o"], tmp_path / "n.svg", max_nodes=3)
    assert not (tmp_path / "n.svg").exists()


# ----------------------------------------------------------------------
# Saving by suffix, the graphviz API, and notebooks
# ----------------------------------------------------------------------


def test_render_writes_svg_by_suffix(renderer, tmp_path: Path) -> None:
    v = neuron()
    path = render(v["o"], str(tmp_path / "neuron.svg"), parameters=parameters_of(v))
    assert path == tmp_path / "neuron.svg"
    assert set(groups(ElementTree.parse(path).getroot(), "node")) == expected_ids(v["o"])[0]


@pytest.mark.parametrize("name", ["neuron.png", "NEURON.PNG"])
def test_render_writes_png_by_suffix(renderer, tmp_path: Path, name: str) -> None:
    path = render(neuron()["o"], tmp_path / name)
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_render_writes_pdf_or_explains_which_renderer_can(renderer, tmp_path: Path) -> None:
    path = tmp_path / "neuron.pdf"
    if "pdf" in renderer.formats:
        assert render(neuron()["o"], path).read_bytes().startswith(b"%PDF-")
    else:
        with pytest.raises(UnsupportedFormatError, match="apt/brew/choco install graphviz"):
            render(neuron()["o"], path)
        assert not path.exists()


@pytest.mark.parametrize("name", ["neuron.jpg", "NEURON.JPEG"])
def test_render_writes_jpeg_by_suffix(renderer, tmp_path: Path, name: str) -> None:
    path = render(neuron()["o"], tmp_path / name)
    assert path.read_bytes().startswith(b"\xff\xd8\xff")


@pytest.mark.parametrize("name", ["neuron.gif", "neuron", "neuron.svg.txt"])
def test_render_refuses_other_suffixes(tmp_path: Path, name: str) -> None:
    with pytest.raises(
        UnsupportedFormatError, match=r"must end in \.svg, \.png, \.jpg, \.jpeg, \.pdf"
    ):
        render(neuron()["o"], tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_the_graphviz_api_uses_the_renderer_found(renderer, tmp_path: Path) -> None:
    graph = draw_dot(neuron()["o"])
    svg = graph.pipe(format="svg")
    assert set(groups(ElementTree.fromstring(svg), "node")) == expected_ids(neuron()["o"])[0]
    written = graph.render(filename="neuron", directory=tmp_path, format="png")
    assert Path(written).read_bytes().startswith(b"\x89PNG")


def test_notebooks_show_svg_fitted_to_the_cell_with_a_switch_to_natural_size(renderer) -> None:
    graph = draw_dot(neuron()["o"])
    bundle = graph._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml", "text/html"]
    tree = ElementTree.fromstring(bundle["image/svg+xml"])
    assert len(groups(tree, "node")) == 15
    assert tree.get("style") == "max-width: 100%; height: auto;"  # scaled down, never up
    assert graph._repr_svg_() == bundle["image/svg+xml"]
    page = bundle["text/html"]
    assert bundle["image/svg+xml"] in page
    assert re.search(r'<input type="checkbox" class="mgx-zoom" id="(mgx-drawing-\d+)-zoom">', page)
    assert "natural size</label>" in page
    assert ".mgx-zoom:checked ~ .mgx-drawing-box svg { max-width: none !important; }" in page


def test_without_a_renderer_notebooks_show_the_fix_not_a_traceback(no_renderer) -> None:
    graph = draw_dot(neuron()["o"])
    bundle = graph._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert "pip install graphviz-pure" in bundle["text/plain"]
    assert "Traceback" not in bundle["text/plain"]
    assert graph._repr_svg_() is None


def test_without_a_renderer_the_dot_text_is_still_there(no_renderer, tmp_path: Path) -> None:
    graph = draw_dot(neuron()["o"])
    assert graph.source.startswith("digraph {")
    assert 'id="value-9"' in graph.source
    with pytest.raises(RendererNotFoundError, match="pip install graphviz-pure"):
        render(neuron()["o"], tmp_path / "neuron.svg")
    assert not (tmp_path / "neuron.svg").exists()
    with pytest.raises(RendererNotFoundError):
        graph.pipe(format="svg")


def test_a_wrong_renderer_variable_in_a_notebook_says_what_is_wrong(
    wrong_renderer_variable,
) -> None:
    text = draw_dot(neuron()["o"])._repr_mimebundle_()["text/plain"]
    assert "MICROGRADX_DOT is set to '/no/such/program/dot'" in text
    if RENDERERS:  # it must not suggest installing what is already installed
        assert "pip install" not in text
        assert "would use" in text


def test_a_renderer_that_writes_nothing_is_shown_as_a_note_in_a_notebook(
    monkeypatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(RENDERER_ENV_VAR, str(fake_renderer(tmp_path, "empty")))
    bundle = draw_dot(neuron()["o"])._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert "wrote nothing (0 bytes)" in bundle["text/plain"]


# ----------------------------------------------------------------------
# Every file is written in one step, and only after the drawing succeeded
# ----------------------------------------------------------------------

needs_posix = pytest.mark.skipif(sys.platform == "win32", reason="fake renderers are scripts")


@needs_posix
@pytest.mark.parametrize("behaviour", ["empty", "garbage", "fails"])
def test_a_failed_drawing_leaves_the_old_picture(monkeypatch, tmp_path: Path, behaviour) -> None:
    monkeypatch.setenv(RENDERER_ENV_VAR, str(fake_renderer(tmp_path / "bin", behaviour)))
    picture = tmp_path / "neuron.svg"
    picture.write_text("<svg>the old drawing</svg>")
    with pytest.raises(RenderError):
        render(neuron()["o"], picture)
    assert picture.read_text() == "<svg>the old drawing</svg>"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["bin", "neuron.svg"]


def test_a_disk_error_while_writing_leaves_the_old_picture(
    renderer, monkeypatch, tmp_path: Path
) -> None:
    from microgradx import files

    picture = tmp_path / "neuron.png"
    picture.write_bytes(b"old")

    def disk_full(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        render(neuron()["o"], picture)
    assert picture.read_bytes() == b"old"
    assert [path.name for path in tmp_path.iterdir()] == ["neuron.png"]


@needs_posix
def test_graphviz_style_render_writes_nothing_when_the_drawing_fails(
    monkeypatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(RENDERER_ENV_VAR, str(fake_renderer(tmp_path / "bin", "garbage")))
    (tmp_path / "neuron.gv").write_text("the old DOT text")
    (tmp_path / "neuron.gv.svg").write_text("the old picture")
    with pytest.raises(RenderError):
        draw_dot(neuron()["o"]).render(filename="neuron.gv", directory=tmp_path)
    assert (tmp_path / "neuron.gv").read_text() == "the old DOT text"
    assert (tmp_path / "neuron.gv.svg").read_text() == "the old picture"


@needs_posix
def test_graphviz_style_pipe_has_the_time_limit(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv(RENDERER_ENV_VAR, str(fake_renderer(tmp_path, "hang")))
    monkeypatch.setenv(TIMEOUT_ENV_VAR, "0.5")
    with pytest.raises(RenderError, match=r"within 0\.5 seconds"):
        draw_dot(neuron()["o"]).pipe(format="svg")


def test_graphviz_style_render_puts_files_where_graphviz_does(
    renderer, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    graph = draw_dot(neuron()["o"])
    assert graph.render() == "BlameGraph.gv.svg"
    assert graph.render(filename="f1") == "f1.svg"
    assert graph.render(filename="f2.gv", directory="d") == os.path.join("d", "f2.gv.svg")
    assert draw_dot(neuron()["o"]).render(outfile="o.png") == "o.png"
    assert draw_dot(neuron()["o"]).render(outfile="o.jpg") == "o.jpg"
    assert draw_dot(neuron()["o"]).render(filename="f4", format="png") == "f4.png"
    assert draw_dot(neuron()["o"]).render(filename="clean", cleanup=True) == "clean.svg"
    written = {str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*") if path.is_file()}
    assert written == {
        "BlameGraph.gv",
        "BlameGraph.gv.svg",
        "f1",
        "f1.svg",
        os.path.join("d", "f2.gv"),
        os.path.join("d", "f2.gv.svg"),
        "o.gv",
        "o.png",
        "o.jpg",
        "f4",
        "f4.png",
        "clean.svg",
    }
    for name in ("f1", "f4", "o.gv", "BlameGraph.gv"):
        assert (tmp_path / name).read_text().startswith("digraph {")
    assert not (tmp_path / "clean").exists()  # cleanup=True: no DOT file left
    assert (tmp_path / "o.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "o.jpg").read_bytes().startswith(b"\xff\xd8\xff")
    with pytest.raises(graphviz.FileExistsError):
        draw_dot(neuron()["o"]).render(outfile="o.png", raise_if_result_exists=True)


def test_graphviz_style_render_can_open_a_viewer(renderer, tmp_path: Path, monkeypatch) -> None:
    opened = []

    def view(self, path, format, quiet) -> None:
        opened.append((Path(path).name, format))

    monkeypatch.setattr(BlameGraph, "_view", view)
    draw_dot(neuron()["o"]).render(filename="n", directory=tmp_path, view=True)
    assert opened == [("n.svg", "svg")]


@pytest.mark.parametrize(
    "options",
    [{"engine": "neato"}, {"renderer": "cairo"}, {"formatter": "core"}, {"neato_no_op": True}],
)
def test_graphviz_options_our_renderer_lacks_are_refused_clearly(options, tmp_path) -> None:
    with pytest.raises(ValueError, match="does not take"):
        draw_dot(neuron()["o"]).render(filename="n", directory=tmp_path, **options)
    with pytest.raises(ValueError, match=r"graphviz\.Source"):
        draw_dot(neuron()["o"]).pipe(**options)
    assert list(tmp_path.iterdir()) == []


def test_graphviz_style_save_is_atomic(monkeypatch, tmp_path: Path) -> None:
    from microgradx import files

    graph = draw_dot(neuron()["o"])
    assert graph.save("n.gv", directory=tmp_path) == os.path.join(str(tmp_path), "n.gv")
    assert (tmp_path / "n.gv").read_text() == graph.source

    def disk_full(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", disk_full)
    with pytest.raises(OSError):
        draw_dot(Value(1.0) * 2).save("n.gv", directory=tmp_path)
    assert (tmp_path / "n.gv").read_text() == graph.source
    assert [path.name for path in tmp_path.iterdir()] == ["n.gv"]


# ----------------------------------------------------------------------
# Common mistakes in draw_dot's arguments
# ----------------------------------------------------------------------


def test_parameters_may_be_a_single_value() -> None:
    v = neuron()
    assert (
        draw_dot(v["o"], parameters=v["w1"]).source == draw_dot(v["o"], parameters=[v["w1"]]).source
    )


@pytest.mark.parametrize(
    ("parameters", "words"),
    [
        (3, "must be a Value or a list of Values, got int 3"),
        ("w1", "must be a Value or a list of Values, got str"),
        (MLP(2, [1], seed=0), "got the model MLP itself. Pass model="),
        ([1.0], "must contain only Values, got float"),
    ],
)
def test_wrong_parameters_get_a_clear_error(parameters, words) -> None:
    with pytest.raises(TypeError) as caught:
        draw_dot(neuron()["o"], parameters=parameters)
    assert words in str(caught.value)


@pytest.mark.parametrize("max_nodes", [0, -5, "100", 2.5, True])
def test_a_bad_max_nodes_gets_a_clear_error(max_nodes) -> None:
    with pytest.raises(ValueError, match="max_nodes must be a whole number of nodes >= 1"):
        draw_dot(neuron()["o"], max_nodes=max_nodes)


def test_a_numpy_whole_number_is_a_fine_max_nodes() -> None:
    numpy = pytest.importorskip("numpy")
    draw_dot(neuron()["o"], max_nodes=numpy.int64(100))


def test_errors_quote_huge_arguments_shortly() -> None:
    with pytest.raises(TypeError) as caught:
        draw_dot("x" * 100_000)
    assert len(str(caught.value)) < 300
    with pytest.raises(ValueError) as caught:
        draw_dot(neuron()["o"], rankdir="L" * 100_000)
    assert len(str(caught.value)) < 300


def test_importing_microgradx_does_not_import_graphviz() -> None:
    code = "import sys, microgradx; print('graphviz' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


# ----------------------------------------------------------------------
# The demo and the README image
# ----------------------------------------------------------------------

REPOSITORY = Path(__file__).resolve().parent.parent


def test_the_neuron_demo_prints_the_blame_and_writes_the_graph() -> None:
    demo = REPOSITORY / "demos" / "neuron_graph.py"
    result = subprocess.run([sys.executable, str(demo)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "o = tanh(n) = 0.7071" in result.stdout
    assert "x1 =  2.0000   blame -1.5000" in result.stdout
    written = Path(result.stdout.strip().splitlines()[-1].split(" written to ")[1])
    assert written == REPOSITORY / "demos" / "output" / "neuron.svg"
    assert len(groups(ElementTree.parse(written).getroot(), "node")) == 15


def test_the_neuron_demo_without_a_renderer_says_what_would_fix_it(no_renderer, capsys) -> None:
    demo = runpy.run_path(str(REPOSITORY / "demos" / "neuron_graph.py"))
    with pytest.raises(SystemExit) as caught:
        demo["main"]()
    message = str(caught.value.code)
    assert message.startswith("The blame graph cannot be drawn here.")
    assert "pip install graphviz-pure" in message
    assert "o = tanh(n) = 0.7071" in capsys.readouterr().out  # the numbers came first


@needs_posix
def test_the_neuron_demo_with_a_broken_renderer_exits_without_a_traceback(tmp_path) -> None:
    demo = REPOSITORY / "demos" / "neuron_graph.py"
    environment = {**os.environ, RENDERER_ENV_VAR: str(fake_renderer(tmp_path, "garbage"))}
    result = subprocess.run(
        [sys.executable, str(demo)], capture_output=True, text=True, env=environment, timeout=120
    )
    assert result.returncode == 1
    assert result.stderr.startswith("The blame graph cannot be drawn here.")
    assert "is not an SVG file" in result.stderr
    assert "Traceback" not in result.stderr


def test_without_a_renderer_every_entry_point_says_the_same_thing(
    no_renderer, tmp_path: Path, capsys
) -> None:
    """draw_dot in a notebook, render(), the neuron demo and the command line."""
    from microgradx.cli import main as cli_main
    from microgradx.render import find_renderer

    with pytest.raises(RendererNotFoundError) as caught:
        find_renderer()
    said = " ".join(str(caught.value).split())
    assert "pip install graphviz-pure" in said and "draw_dot(root).source" in said

    notebook = draw_dot(neuron()["o"])._repr_mimebundle_()["text/plain"]
    with pytest.raises(RendererNotFoundError) as rendered:
        render(neuron()["o"], tmp_path / "n.svg")
    demo = runpy.run_path(str(REPOSITORY / "demos" / "neuron_graph.py"))
    with pytest.raises(SystemExit) as demo_exit:
        demo["main"]()
    capsys.readouterr()
    assert cli_main(["graph", "x*w", "x=1", "w=2", "-o", str(tmp_path / "n.svg")]) == 1
    command_line = capsys.readouterr().err
    for text in (notebook, str(rendered.value), str(demo_exit.value.code), command_line):
        assert said in " ".join(text.split())
    assert "--dot prints the DOT text" in command_line


def test_the_readme_image_shows_what_the_drawing_code_draws_now(tmp_path: Path) -> None:
    if not any(renderer.name == "graphviz-pure" for renderer in RENDERERS):
        pytest.skip("docs/make_images.py draws with graphviz-pure, which is not installed")
    draw_neuron = runpy.run_path(str(REPOSITORY / "docs" / "make_images.py"))["draw_neuron"]
    fresh = ElementTree.parse(draw_neuron(tmp_path / "neuron.svg")).getroot()
    committed = ElementTree.parse(REPOSITORY / "docs" / "neuron.svg").getroot()
    for kind in ("node", "edge"):
        fresh_groups, committed_groups = groups(fresh, kind), groups(committed, kind)
        assert set(fresh_groups) == set(committed_groups), "run python docs/make_images.py"
        for group_id, group in fresh_groups.items():
            assert texts(group) == texts(committed_groups[group_id]), group_id


README_WIDTH_PX = 830
"""About the widest GitHub shows a picture in a README."""


def test_the_readme_image_is_legible_at_readme_width() -> None:
    """At 830 px wide, the smallest text of docs/neuron.svg is still about 12 px tall."""
    svg = ElementTree.parse(REPOSITORY / "docs" / "neuron.svg").getroot()
    width_px = float(svg.get("width").removesuffix("pt")) * 4 / 3
    scale = min(1.0, README_WIDTH_PX / width_px)
    sizes = [float(t.get("font-size")) * 4 / 3 * scale for t in svg.iter(f"{SVG}text")]
    print(f"\ndocs/neuron.svg: {width_px:.0f} px wide, smallest text {min(sizes):.1f} px at 830 px")
    assert min(sizes) >= 11.5
    assert scale > 0.85  # it was 0.37 (5-6 px text) drawn left to right
