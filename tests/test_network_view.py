"""The network view (microgradx.network_view) and its steps: one node per neuron, a step per layer.

The drawing is checked in the SVG of every renderer found (ids, texts, one edge per
weight); the steps against backward(). The browser end is in test_player_browser.py.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ElementTree

import pytest

from microgradx import Value, topological_order
from microgradx.graph import GraphTooLargeError, draw_dot, format_number, render
from microgradx.losses import mse
from microgradx.network_view import choose_focus, network_shape, stroke_colour
from microgradx.nn import MLP, Neuron
from microgradx.player import BackpropPlayer, explain
from microgradx.render import RENDERER_ENV_VAR, available_renderers, render_dot
from microgradx.snapshot import GraphSnapshot
from microgradx.steps import record_steps

RENDERERS = available_renderers()
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(params=RENDERERS, ids=[renderer.name for renderer in RENDERERS])
def renderer(request, monkeypatch):
    monkeypatch.setenv(RENDERER_ENV_VAR, request.param.program)
    return request.param


def house(seed=7):
    """A small house-price network and one example's loss, after backward()."""
    model = MLP(3, [4, 1], seed=seed)
    inputs = [Value(0.5, "size"), Value(-1.0, "bedrooms"), Value(2.0, "location")]
    guess = model(inputs)
    guess.label = "guess"
    loss = mse(guess, Value(2.5, "true price"))
    loss.label = "error"
    loss.backward()
    return model, inputs, guess, loss


def groups(tree, kind):
    return {g.get("id"): g for g in tree.iter(f"{SVG}g") if g.get("class") == kind}


def texts(group):
    return [" ".join((t.text or "").replace("\xa0", " ").split()) for t in group.iter(f"{SVG}text")]


# ----------------------------------------------------------------------
# The drawing
# ----------------------------------------------------------------------


def test_one_node_per_input_neuron_and_loss_and_one_edge_per_weight(renderer):
    model, inputs, _guess, loss = house()
    order = topological_order(loss)
    tree = ElementTree.fromstring(render_dot(draw_dot(loss, model=model, view="network").source))
    nodes, edges = groups(tree, "node"), groups(tree, "edge")

    index = {node: i for i, node in enumerate(order)}
    truth = next(node for node in order if node.label == "true price")
    assert set(nodes) == (
        {f"value-{index[x]}" for x in inputs}
        | {f"neuron-1-{n}" for n in range(1, 5)}
        | {"neuron-2-1", f"value-{index[loss]}", f"value-{index[truth]}"}
    )
    weights = [w for layer in model.layers for n in layer.neurons for w in n.w]
    assert {f"weight-{index[w]}" for w in weights} <= set(edges)
    assert len([e for e in edges if e.startswith("weight-")]) == len(weights) == 16
    first = model.layers[0].neurons[0]
    out = next(node for node in order if node.op == "relu" and first.b in node.children[0].children)
    assert texts(nodes["neuron-1-1"]) == [
        "L1.N1",
        f"b {format_number(first.b.data)}",
        f"out {format_number(out.data)}",
        f"blame {format_number(out.grad)}",
        "w1",
        "w2",
        "w3",
    ]
    assert texts(nodes["neuron-2-1"])[0] == "L2.N1: guess"
    assert texts(nodes[f"value-{index[loss]}"])[0] == "error = (guess - true price)²"
    assert texts(nodes[f"value-{index[inputs[0]]}"])[:2] == ["size", "data 0.5"]
    assert texts(nodes[f"value-{index[inputs[0]]}"])[3] == "sum of 4 paths"


def test_a_neuron_shows_the_blame_of_its_output_and_its_knob_cells_are_coloured():
    model, _inputs, _guess, loss = house()
    order = topological_order(loss)
    source = draw_dot(loss, model=model, view="network").source
    out = model.layers[0].neurons[1]
    hidden = next(
        node for node in order if node.op == "relu" and node.children[0].children[1] is out.b
    )
    line = next(line for line in source.splitlines() if 'id="neuron-1-2"' in line)
    assert f"blame {format_number(hidden.grad)}" in line
    assert f"b {format_number(out.b.data)}" in line
    assert 'port="w1"' in line and 'port="w3"' in line and 'port="b"' in line


def test_weight_lines_show_size_by_thickness_sign_by_dashes_and_blame_by_colour():
    model, _inputs, _guess, loss = house()
    order = topological_order(loss)
    snapshot = GraphSnapshot.of(loss, model=model)
    source = draw_dot(loss, model=model, view="network").source
    largest = max(abs(node.grad) for node in order)
    widths = {}
    for w in (w for layer in model.layers for n in layer.neurons for w in n.w):
        i = order.index(w)
        line = next(line for line in source.splitlines() if f'id="weight-{i}"' in line)
        widths[w] = float(re.search(r'penwidth="?([\d.]+)', line).group(1))
        assert ("style=dashed" in line) == (w.data < 0)
        assert f'color="{stroke_colour(w.grad, largest)}"' in line
        assert snapshot.blame[i] == w.grad
    ranked = sorted(widths, key=lambda w: abs(w.data))
    assert widths[ranked[0]] < widths[ranked[-1]]


def test_before_backward_the_lines_are_grey_and_blame_reads_not_computed_yet():
    model = MLP(2, [2, 1], seed=3)
    loss = (model([1.0, 2.0]) - 1.0) ** 2
    source = draw_dot(loss, model=model, view="network").source
    assert "blame not computed yet" in source
    assert stroke_colour(None, 1.0) in source
    assert "blame -" not in source and "blame 0." not in source


def test_the_network_view_draws_inputs_and_layers_in_columns_when_asked(renderer):
    model, _inputs, _guess, loss = house()
    graph = draw_dot(loss, model=model, view="network", rankdir="LR")
    assert "rankdir=LR" in graph.source
    assert "rankdir=BT" in draw_dot(loss, model=model, view="network").source
    tree = ElementTree.fromstring(render_dot(graph.source))
    assert "neuron-1-4" in groups(tree, "node")


def test_render_writes_the_network_view(tmp_path):
    model, _inputs, _guess, loss = house()
    path = render(loss, tmp_path / "network.svg", model=model, view="network")
    assert "neuron-2-1" in groups(ElementTree.parse(path).getroot(), "node")


# ----------------------------------------------------------------------
# Clear errors
# ----------------------------------------------------------------------


def test_the_network_view_without_a_model_says_what_to_pass():
    loss = Value(2.0, "x") * 3.0
    for call in (
        lambda: draw_dot(loss, view="network"),
        lambda: render(loss, "x.svg", view="network"),
        lambda: explain(loss, view="network"),
        lambda: BackpropPlayer(loss, view="network"),
        lambda: record_steps(loss, view="network"),
    ):
        with pytest.raises(ValueError, match=r"needs the model: pass it as model=, e\.g\."):
            call()


@pytest.mark.parametrize("view", ["network ", "Values", "graph", "", None, 3])
def test_a_view_that_does_not_exist_is_a_clear_error(view):
    with pytest.raises(ValueError, match=r"view must be .values. .* or .network."):
        draw_dot(Value(1.0), view=view)
    with pytest.raises(ValueError, match="view must be"):
        BackpropPlayer(Value(1.0), view=view)


def test_a_batch_is_refused_with_the_reason_and_the_fix():
    model = MLP(2, [2, 1], seed=0)
    loss = mse([model([1.0, 2.0]), model([0.0, 1.0])], [1.0, 0.0])
    with pytest.raises(ValueError, match=r"'L1\.N1\.w1' is used 2 times .* one example"):
        draw_dot(loss, model=model, view="network")


def test_a_model_that_did_not_compute_the_graph_is_refused():
    model, other = MLP(2, [2, 1], seed=0), MLP(2, [2, 1], seed=1)
    loss = model([1.0, 2.0]) * 1.0
    with pytest.raises(ValueError, match=r"not in this graph\. Pass the model that computed"):
        draw_dot(loss, model=other, view="network")


def test_a_single_neuron_is_a_network_of_one():
    neuron = Neuron(2, "tanh", seed=0)
    out = neuron([Value(1.0, "x1"), Value(-1.0, "x2")])
    out.backward()
    source = draw_dot(out, model=neuron, view="network").source
    assert 'id="neuron-1-1"' in source and "<b>neuron</b>" in source
    recording = record_steps(out, view="network", model=neuron)
    assert [step.phase for step in recording.steps] == [
        "start",
        "forward",
        "seed",
        "backward",
        "done",
    ]


def test_the_size_guard_counts_neurons_and_weights():
    model, _inputs, _guess, loss = house()
    with pytest.raises(GraphTooLargeError, match="max_nodes=10"):
        draw_dot(loss, model=model, view="network", max_nodes=10)


# ----------------------------------------------------------------------
# The steps, layer by layer
# ----------------------------------------------------------------------


def test_the_network_steps_go_layer_by_layer_and_end_with_the_nudge():
    model, _inputs, guess, loss = house()
    recording = record_steps(loss, view="network", model=model)
    titles = [step.title for step in recording.steps]

    assert titles[0] == "Start: the facts go in at the bottom"
    assert titles[1] == "Forward 1 of 2: layer 1 computes its 4 neurons"
    assert titles[2] == "Forward 2 of 2: layer 2 computes its 1 neuron"
    assert titles[3] == f"The loss: error = {format_number(loss.data)}"
    assert titles[4] == "Backward pass begins: the loss hands blame to guess"
    assert titles[5] == "Backward: layer 2 hands blame to layer 1"
    assert titles[6] == "Backward: layer 1 hands blame to its knobs and to the inputs"
    assert titles[7].startswith("The nudge: every knob moves against its blame")
    miss = format_number(guess.data - 2.5)
    assert recording.steps[3].lines[-1] == (
        f"error = (guess - true price)² = {f'({miss})' if miss[0] == '-' else miss}² = "
        f"{format_number(loss.data)}"
    )


def test_every_share_of_blame_is_handed_on_once_and_adds_up_to_backward():
    model, _inputs, _guess, loss = house()
    order = topological_order(loss)
    recording = record_steps(loss, view="network", model=model)
    shares = [share for step in recording.steps for share in step.shares]
    snapshot = GraphSnapshot.of(loss, model=model)

    assert sorted((s.node, s.child, s.slot) for s in shares) == sorted(
        (s.node, s.child, s.slot) for s in snapshot.shares
    )
    totals = {}
    for share in shares:
        totals[share.child] = share.total_after
    for i, node in enumerate(order):
        if i in totals:
            assert totals[i] == node.grad  # bit for bit: backward() ran from zero grads


def test_the_chain_rule_of_one_weight_is_spelled_out_from_the_loss_down():
    model, _inputs, guess, loss = house()
    hidden = model.layers[0].neurons[2]
    recording = record_steps(loss, view="network", model=model, focus=hidden.w[0])
    layer_1 = recording.steps[6]
    output_weight = model.layers[1].neurons[0].w[2]
    relu_slope = 1.0 if hidden.b.grad != 0.0 else 0.0

    assert layer_1.lines[0] == (
        "chain rule for L1.N3.w1: d error / d L1.N3.w1 = size × relu slope × L2.N1.w3 × guess.grad"
    )
    factors = [0.5, relu_slope, output_weight.data, guess.grad]
    assert layer_1.lines[1] == (
        "   = "
        + " × ".join(f"({format_number(x)})" if x < 0 else format_number(x) for x in factors)
        + f" = {format_number(hidden.w[0].grad)}"
    )
    assert math.isclose(math.prod(factors), hidden.w[0].grad, rel_tol=1e-12, abs_tol=1e-15)
    assert recording.steps[1].lines[0].startswith("L1.N3.out = relu(L1.N3.w1 × size + ")


def test_the_most_blamed_route_is_chosen_when_no_focus_is_given():
    model, inputs, _guess, loss = house()
    snapshot = GraphSnapshot.of(loss, model=model)
    focus = choose_focus(snapshot, network_shape(snapshot, model))
    (_output, slot), (_hidden, weight_slot) = focus.route
    output_weights = model.layers[1].neurons[0].w
    assert slot == max(range(4), key=lambda k: abs(output_weights[k].grad))
    chosen = model.layers[0].neurons[slot]
    assert weight_slot == max(range(3), key=lambda k: abs(chosen.w[k].grad))
    with pytest.raises(ValueError, match="focus must be one of the model's weights"):
        BackpropPlayer(loss, model=model, view="network", focus=inputs[0])


def test_the_last_step_lists_every_knob_with_its_blame_and_its_nudge():
    model, _inputs, _guess, loss = house()
    recording = record_steps(loss, view="network", model=model, learning_rate=0.5)
    lines = recording.steps[-1].lines
    for _, knob in model.named_parameters():
        new = knob.data - 0.5 * knob.grad
        assert any(
            line.startswith(f"{knob.label}.grad = {format_number(knob.grad)}   nudge: ")
            and line.endswith(f"= {format_number(new)}")
            for line in lines
        ), knob.label
    with pytest.raises(ValueError, match="learning_rate must be a positive number"):
        record_steps(loss, view="network", model=model, learning_rate=0)


def test_every_name_in_a_network_step_is_on_the_drawing():
    """Names are the drawn ones: inputs, neurons (L1.N3), their cells (w1, b, out)."""
    model, inputs, _guess, loss = house()
    player = BackpropPlayer(loss, model=model, view="network")
    shown = " ".join(
        slot.text for slots in player.drawing.slots.values() for slot in slots if slot.text
    )
    for step in player.steps:
        for name in re.findall(r"\b(L\d+\.N\d+)(?:\.(w\d+|b|out))?", " ".join(step.lines)):
            neuron, part = name
            assert neuron in shown
            assert not part or part in ("out", "b") or part in shown
        assert "v" + "1" not in re.findall(r"\bv\d+\b", " ".join(step.lines))
    for x in inputs:
        assert x.label in shown


def test_a_linear_neurons_output_is_named_as_the_drawing_shows_it():
    """An unlabelled output neuron is L2.N1.out in the texts, as its node says; a loss
    whose steps are not all named on the drawing is told by its outputs' blame."""
    from microgradx.losses import softmax_cross_entropy

    model = MLP(2, [3, 2], seed=2)
    loss = softmax_cross_entropy(model([1.0, 2.0]), 1)
    recording = record_steps(loss, view="network", model=model)
    text = " ".join(line for step in recording.steps for line in step.lines)
    assert "L2.N1.out" in text and "w·x+b" not in text
    seed = next(step for step in recording.steps if step.phase == "seed")
    assert seed.lines[1].startswith("L2.N1.out.grad = d ")
    assert len(seed.lines) == 3  # the loss's own blame, then one line per output
