"""The live lab, without a browser: what the page is given, and rerun() in Python.

``tests/test_lab_browser.py`` checks the page itself in Chromium.
"""

from __future__ import annotations

import json
import math
import re
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microgradx import MLP, Value, ops, topological_order
from microgradx.graph import drawing_of
from microgradx.lab import lab_data, rerun, rules_script, slider_range
from microgradx.labels import ROOMY_NUMBER, text_width
from microgradx.losses import mse
from microgradx.player import BackpropPlayer, explain
from microgradx.snapshot import GraphSnapshot


def neuron(label_constant: bool = False):
    x, w, b = Value(2.0, "x"), Value(-3.0, "w"), Value(0.5, "b")
    two = Value(2.0, "two" if label_constant else "")
    out = (x * w + b).tanh() * two + x.leaky_relu(0.1) ** 2
    out.label = "out"
    return out, x, w, b, two


def test_the_lab_data_says_how_to_compute_every_node():
    out, _, w, b, _ = neuron()
    snapshot = GraphSnapshot.of(out, parameters=[w, b])
    data = lab_data(snapshot, learning_rate=0.1, step_through=True)
    json.dumps(data, allow_nan=False)  # plain JSON: no nan, no inf
    order = topological_order(out)
    nodes = data["nodes"]
    assert len(nodes) == len(order)
    for node, value in zip(nodes, order):
        assert node["children"] == [order.index(c) for c in value.children]
        assert node["data"] == value.data and node["local"] == list(value.local_grads)
        if value.children:
            assert node["rule"] == value.op.primitive.name and node["rule"] in ops.PRIMITIVES
        else:
            assert node["rule"] is None and node["formula"] == ""
    power = next(n for n in nodes if n["rule"] == "**n")
    assert power["parameters"] == [2.0]
    assert next(n for n in nodes if n["rule"] == "leaky_relu")["parameters"] == [0.1]
    # A slider per input, knob and labelled constant; inputs first, then knobs.
    assert [leaf["name"] for leaf in data["leaves"]] == ["x", "w", "b"]
    assert [leaf["role"] for leaf in data["leaves"]] == ["input", "knob", "knob"]
    assert data["knobs"] == [order.index(w), order.index(b)]
    assert data["backwardOrder"] == list(snapshot.backward_order)
    assert data["compensatedSum"] is ops.SUM_IS_COMPENSATED
    assert data["outputName"] == "out" and data["handMade"] == [] and data["notices"] == []
    labelled, *_ = neuron(label_constant=True)
    names = [
        leaf["name"]
        for leaf in lab_data(GraphSnapshot.of(labelled), learning_rate=0.1, step_through=False)[
            "leaves"
        ]
    ]
    assert names == ["x", "w", "b", "two"]  # no knobs marked: w and b are inputs here


def test_a_hand_made_op_is_listed_with_a_notice_naming_it():
    x = Value(1.5, "x")
    cube = Value(x.data**3, "", (x,), (3 * x.data**2,), "cube")
    cube.label = "x cubed"
    out = cube * x
    data = lab_data(GraphSnapshot.of(out), learning_rate=0.1, step_through=True)
    i = topological_order(out).index(cube)
    assert data["handMade"] == [i]
    assert data["nodes"][i]["rule"] is None and data["nodes"][i]["children"]
    (notice,) = data["notices"]
    assert notice.startswith("x cubed is made by a hand-made op ('cube')")
    assert "data 3.375, local derivatives 6.75" in notice


def test_sliders_reach_past_zero_and_to_twice_the_number():
    assert slider_range(0.0) == (-1.0, 1.0, 0.002)
    assert slider_range(0.3) == (-1.0, 1.0, 0.002)
    assert slider_range(2.0) == (-5.0, 5.0, 0.01)
    assert slider_range(-3.0) == (-10.0, 10.0, 0.02)
    assert slider_range(6.88) == (-20.0, 20.0, 0.04)
    low, high, step = slider_range(1.5e308)
    assert math.isfinite(high) and low == -high and step > 0


@given(st.floats(-1e300, 1e300, allow_nan=False))
def test_every_leaf_starts_inside_its_slider(x):
    low, high, step = slider_range(x)
    assert low <= -2 * abs(x) and 2 * abs(x) <= high and step == high / 500


def test_rerun_is_the_engine_run_again_with_new_leaves():
    model = MLP(3, [4, 1], seed=3)
    inputs = [Value(0.5, "size"), Value(-1.0, "bedrooms"), Value(2.0, "location")]
    truth = Value(2.5, "true price")
    loss = mse(model(inputs), truth)
    loss.backward()
    before = [(node.data, node.grad) for node in topological_order(loss)]
    knob = model.layers[0].neurons[1].w[2]
    again = rerun(loss, {inputs[0]: -0.25, knob: 0.75, truth: 3.0})
    assert [(node.data, node.grad) for node in topological_order(loss)] == before  # unchanged
    # The same numbers as the model run again by hand, bit for bit.
    knob.data = 0.75
    model.zero_grad()
    by_hand = mse(model([Value(-0.25), Value(-1.0), Value(2.0)]), Value(3.0))
    by_hand.backward()
    assert [(n.data, n.grad) for n in topological_order(again)] == [
        (n.data, n.grad) for n in topological_order(by_hand)
    ]
    assert [n.label for n in topological_order(again)][:3] == [
        n.label for n in topological_order(loss)
    ][:3]


def test_rerun_keeps_a_hand_made_op_as_recorded():
    x = Value(1.5, "x")
    cube = Value(x.data**3, "", (x,), (3 * x.data**2,), "cube")
    out = cube * x
    again = topological_order(rerun(out, {x: 2.0}))
    i = topological_order(out).index(cube)
    assert again[i].data == 3.375 and again[i].local_grads == (6.75,)
    assert again[-1].data == 3.375 * 2.0


def test_rerun_says_what_is_wrong_with_its_numbers():
    x, w = Value(2.0, "x"), Value(-3.0, "w")
    out = (x * w).exp()
    with pytest.raises(ValueError, match="leaves of this graph only"):
        rerun(out, {out: 1.0})
    with pytest.raises(ValueError, match="leaves of this graph only"):
        rerun(out, {Value(1.0, "elsewhere"): 1.0})
    with pytest.raises(TypeError, match="needs a number for"):
        rerun(out, {x: "2"})
    with pytest.raises(TypeError, match="needs a number for"):
        rerun(out, {x: True})
    with pytest.raises(TypeError, match="dict from leaves to numbers"):
        rerun(out, [1.0, 2.0])
    with pytest.raises(OverflowError, match="exp"):
        rerun(out, {x: 1000.0, w: 1.0})
    assert out.data == math.exp(-6.0)


def test_the_rules_script_is_the_table_s_javascript():
    script = rules_script()
    for primitive in ops.PRIMITIVES.values():
        assert primitive.js in script, primitive.name
    assert ops.JS_HELPERS.strip().splitlines()[0].strip() in script
    assert f"const LARGEST_EXP_INPUT = {ops.LARGEST_EXP_INPUT!r};" in ops.JS_HELPERS
    assert "</" not in script


@pytest.mark.skipif(sys.implementation.name != "cpython", reason="about CPython's sum()")
def test_the_summation_of_this_python_is_known():
    assert ops.SUM_IS_COMPENSATED is (sys.version_info >= (3, 12))


def test_a_live_page_is_one_file_with_the_lab_in_it(tmp_path):
    out, _, w, b, _ = neuron()
    page = explain(out, tmp_path / "lab.html", parameters=[w, b], live=True).read_text("utf-8")
    assert 'data-lab="on"' in page and 'data-showing="lab"' in page
    assert page.count('class="mgx-leaf"') == 3
    assert 'class="mgx-lab-data"' in page and "function makeRules(COMPENSATED_SUM)" in page
    assert 'aria-label="w, any number"' in page
    assert not re.search(r"""(src|href)=["']?https?:""", page)  # nothing from the network
    alone = BackpropPlayer(out, parameters=[w, b], live=True, step_through=False).to_html()
    assert '<details class="mgx-all-steps"' not in alone and 'class="mgx-modes"' not in alone
    steps_only = BackpropPlayer(out, parameters=[w, b]).to_html()
    assert 'class="mgx-lab' not in steps_only and 'data-showing="steps"' in steps_only


def test_the_live_options_are_checked():
    out, *_ = neuron()
    with pytest.raises(TypeError, match="live must be True or False"):
        BackpropPlayer(out, live="yes")
    with pytest.raises(ValueError, match="would show nothing"):
        BackpropPlayer(out, live=False, step_through=False)


def test_live_cells_have_room_for_a_long_number():
    out, *_ = neuron()
    source = drawing_of(out, progressive=True, live=True).graph.source
    widths = [int(w) for w in re.findall(r'<td bgcolor="[^"]*" width="(\d+)">data ', source)]
    assert widths and min(widths) >= text_width(f"data {ROOMY_NUMBER}", 11)


def test_every_node_s_numbers_are_written_on_the_drawing_in_full():
    out, _, w, b, _ = neuron()
    svg = BackpropPlayer(out, parameters=[w, b]).svg
    order = topological_order(out)
    for i, node in enumerate(order):
        group = re.search(rf'<g id="value-{i}"[^>]*>', svg).group(0)
        assert f'data-mgx-holds="{i}"' in group
        assert f'data-value="{node.data!r}"' in group
    model = MLP(2, [3, 1], seed=1)
    loss = mse(model([Value(1.0, "a"), Value(-2.0, "b")]), 1.0)
    svg = BackpropPlayer(loss, model=model, view="network").svg
    order = topological_order(loss)
    for neuron_ in (n for layer in model.layers for n in layer.neurons):
        for knob in (*neuron_.w, neuron_.b):
            assert f'data-mgx-holds="{order.index(knob)}"' in svg, knob.label
    # the knobs, 4 neurons, the inputs a and b, the target 1.0 and the loss
    assert svg.count("data-mgx-holds") == len(model.parameters()) + 4 + 2 + 1 + 1
