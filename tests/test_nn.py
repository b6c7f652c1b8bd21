"""Neuron, Layer and MLP: what they compute, their names, seeds, errors, saving and loading."""

from __future__ import annotations

import json
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microgradx import Value
from microgradx.gradcheck import gradcheck
from microgradx.nn import MLP, Layer, Module, Neuron, StateDictError

inputs_3 = st.lists(st.floats(-5.0, 5.0, allow_nan=False), min_size=3, max_size=3)

# ----------------------------------------------------------------------
# What a neuron computes
# ----------------------------------------------------------------------

REFERENCE = {
    "relu": lambda s: max(s, 0.0),
    "tanh": math.tanh,
    "sigmoid": lambda s: 1.0 / (1.0 + math.exp(-s)),
    "leaky_relu": lambda s: s if s > 0 else 0.01 * s,
    "linear": lambda s: s,
}


@pytest.mark.parametrize("activation", sorted(REFERENCE))
@given(xs=inputs_3)
def test_neuron_is_activation_of_weighted_sum_plus_bias(activation, xs):
    neuron = Neuron(3, activation, seed=1)
    neuron.b.data = 0.25
    total = sum(w.data * x for w, x in zip(neuron.w, xs)) + 0.25
    assert neuron(xs).data == pytest.approx(REFERENCE[activation](total), rel=1e-12, abs=1e-12)


def test_neuron_graph_is_activation_of_one_dot_node_plus_bias():
    neuron = Neuron(3, "tanh", seed=0)
    x = [Value(1.0, label="a"), Value(2.0, label="b"), 3.0]
    out = neuron(x)
    assert out.op == "tanh"
    (summed,) = out.children
    assert summed.op == "+"
    weighted, bias = summed.children
    assert bias is neuron.b
    assert weighted.op == "dot"
    assert weighted.children[:3] == tuple(neuron.w)
    assert weighted.children[3:5] == (x[0], x[1])
    assert weighted.children[5].label == "x3"  # a plain number becomes a labelled input


def use_knobs(model, knobs):
    """Make the model compute with the given Values as its weights and biases."""
    remaining = iter(knobs)
    for layer in model.layers:
        for neuron in layer.neurons:
            neuron.w = [next(remaining) for _ in neuron.w]
            neuron.b = next(remaining)


@settings(max_examples=30)
@given(xs=inputs_3, seed=st.integers(0, 10**6))
def test_mlp_gradients_match_central_differences(xs, seed):
    model = MLP(3, [4, 3, 1], "tanh", seed=seed)
    start = [p.data for p in model.parameters()]

    def output(*values):
        use_knobs(model, values[3:])
        return model(list(values[:3]))

    assert gradcheck(output, [*xs, *start])


def test_blame_reaches_every_knob_and_the_inputs():
    model = MLP(2, [3, 1], "tanh", seed=3)
    x = [Value(0.5), Value(-1.5)]
    model(x).backward()
    assert all(p.grad != 0.0 for p in model.parameters())
    assert all(v.grad != 0.0 for v in x)


# ----------------------------------------------------------------------
# Shapes and names
# ----------------------------------------------------------------------


def test_layer_always_returns_a_list():
    assert len(Layer(2, 1, seed=0)([1.0, 2.0])) == 1
    assert len(Layer(2, 4, seed=0)([1.0, 2.0])) == 4


def test_mlp_returns_one_value_for_one_output_and_a_list_otherwise():
    assert isinstance(MLP(2, [16, 1, 1], seed=0)([1.0, 2.0]), Value)
    outputs = MLP(3, [4, 2], seed=0)([1.0, 2.0, 3.0])
    assert isinstance(outputs, list)
    assert len(outputs) == 2


def test_parameter_counts():
    assert len(Neuron(3).parameters()) == 4
    assert len(Layer(3, 5).parameters()) == 20
    assert len(MLP(2, [16, 16, 1]).parameters()) == (2 + 1) * 16 + (16 + 1) * 16 + 17


def test_knob_labels_follow_the_contract():
    assert [p.label for p in Neuron(2).parameters()] == ["w1", "w2", "b"]
    assert [p.label for p in Layer(1, 2).parameters()] == ["N1.w1", "N1.b", "N2.w1", "N2.b"]
    model = MLP(2, [3, 1])
    assert model.layers[0].neurons[2].w[1].label == "L1.N3.w2"
    assert model.layers[1].neurons[0].b.label == "L2.N1.b"


def test_named_parameters_use_the_labels_names_in_order():
    model = MLP(2, [3, 2], seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert names == [p.label for p in model.parameters()]
    assert names[:4] == ["L1.N1.w1", "L1.N1.w2", "L1.N1.b", "L1.N2.w1"]
    assert len(set(names)) == len(names)


def test_default_activations_match_micrograd_relu_then_linear():
    model = MLP(2, [4, 4, 1])
    assert [layer.activation for layer in model.layers] == ["relu", "relu", "linear"]
    assert Neuron(2).activation == "relu"


def test_activations_per_layer():
    model = MLP(2, [4, 4, 1], "tanh", output_activation="sigmoid")
    assert [layer.activation for layer in model.layers] == ["tanh", "tanh", "sigmoid"]
    model = MLP(2, [4, 4, 1], ["sigmoid", "relu", "tanh"])
    assert [layer.activation for layer in model.layers] == ["sigmoid", "relu", "tanh"]


def test_repr_is_readable():
    assert repr(Neuron(3, "tanh")) == "Neuron(3 inputs, tanh)"
    assert repr(Layer(3, 4)) == "Layer(3 -> 4, relu)"
    assert repr(MLP(2, [16, 1])) == (
        "MLP(2 inputs, 65 parameters)\n  L1: Layer(2 -> 16, relu)\n  L2: Layer(16 -> 1, linear)"
    )


# ----------------------------------------------------------------------
# Starting values and seeds
# ----------------------------------------------------------------------


def test_same_seed_same_model_other_seed_other_model():
    assert MLP(3, [4, 1], seed=7).state_dict() == MLP(3, [4, 1], seed=7).state_dict()
    assert MLP(3, [4, 1], seed=7).state_dict() != MLP(3, [4, 1], seed=8).state_dict()


def test_a_random_generator_can_be_the_seed():
    first = MLP(3, [4, 1], seed=random.Random(5)).state_dict()
    assert first == MLP(3, [4, 1], seed=random.Random(5)).state_dict()
    assert first == MLP(3, [4, 1], seed=5).state_dict()


def test_without_a_seed_pythons_shared_generator_is_used_like_micrograd():
    random.seed(1337)
    first = MLP(3, [4, 1]).state_dict()
    random.seed(1337)
    assert MLP(3, [4, 1]).state_dict() == first


def test_weights_start_within_one_over_root_nin_and_biases_at_zero():
    model = MLP(16, [64, 9, 1], seed=0)
    for layer, nin in zip(model.layers, [16, 64, 9]):
        weights = [w.data for neuron in layer.neurons for w in neuron.w]
        assert max(abs(w) for w in weights) <= 1 / math.sqrt(nin)
        assert max(abs(w) for w in weights) > 0.8 / math.sqrt(nin)  # the range is used
        assert all(neuron.b.data == 0.0 for neuron in layer.neurons)


def test_init_scale_sets_the_range():
    weights = [w.data for w in Neuron(100, init_scale=1.0, seed=0).w]
    assert max(abs(w) for w in weights) > 0.9


# ----------------------------------------------------------------------
# micrograd compatibility
# ----------------------------------------------------------------------


def test_same_outputs_and_gradients_as_micrograd():
    micrograd_nn = pytest.importorskip("micrograd.nn")
    random.seed(0)
    theirs = micrograd_nn.MLP(3, [4, 4, 1])
    ours = MLP(3, [4, 4, 1])
    for mine, their in zip(ours.parameters(), theirs.parameters()):
        mine.data = their.data
    x = [0.5, -1.0, 2.0]
    their_out, our_out = theirs(x), ours(x)
    assert our_out.data == pytest.approx(their_out.data)
    their_out.backward()
    our_out.backward()
    for mine, their in zip(ours.parameters(), theirs.parameters()):
        assert mine.grad == pytest.approx(their.grad)


def test_micrograd_style_training_loop_runs():
    model = MLP(2, [4, 1], seed=0)
    xs, ys = [[2.0, 3.0], [3.0, -1.0]], [1.0, -1.0]
    first = None
    for _ in range(20):
        loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.02 * p.grad
        first = first if first is not None else loss.data
    assert loss.data < first


def test_zero_grad_clears_every_knob():
    model = MLP(2, [3, 1], "tanh", seed=0)
    model([1.0, 2.0]).backward()
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_a_plain_module_has_no_knobs():
    assert Module().parameters() == []
    assert Module().state_dict() == {}


# ----------------------------------------------------------------------
# Bad input gets a clear error
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: MLP(3, [4, 1])([1.0, 2.0]), ValueError, "expects 3 inputs, got 2"),
        (lambda: Neuron(2)([1.0, 2.0, 3.0]), ValueError, "expects 2 inputs, got 3"),
        (lambda: Layer(2, 3)([1.0]), ValueError, "expects 2 inputs, got 1"),
        (lambda: MLP(1, [1])(2.0), TypeError, "model([2.0])"),
        (lambda: MLP(2, [1])("ab"), TypeError, "list of 2 inputs"),
        (lambda: MLP(2, [1])([1.0, "b"]), TypeError, "input x2"),
        (lambda: MLP(2, [1])([1.0, None]), TypeError, "NoneType"),
        (lambda: MLP(2, 16), TypeError, "[16]"),
        (lambda: MLP(2, []), ValueError, "at least one layer"),
        (lambda: MLP(2, [4, 0]), ValueError, "positive whole number, got 0"),
        (lambda: MLP(0, [4]), ValueError, "positive whole number, got 0"),
        (lambda: Neuron(2.5), ValueError, "positive whole number"),
        (lambda: MLP(2, [4, 1], "softmax"), ValueError, "losses.softmax"),
        (lambda: Neuron(2, "Relu"), ValueError, "'relu', 'tanh'"),
        (lambda: MLP(2, [4, 1], ["relu"]), ValueError, "one name per layer"),
        (
            lambda: MLP(2, [4, 1], ["relu", "tanh"], output_activation="tanh"),
            ValueError,
            "not both",
        ),
        (lambda: MLP(2, [4, 1], seed="1"), TypeError, "seed"),
        (lambda: MLP(2, [4, 1], seed=1.5), TypeError, "seed"),
        (lambda: Neuron(2, init_scale=0), ValueError, "init_scale"),
    ],
)
def test_bad_input_gets_a_clear_error(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)


# ----------------------------------------------------------------------
# state_dict, saving and loading
# ----------------------------------------------------------------------


def test_state_dict_round_trip():
    source, target = MLP(3, [4, 1], seed=1), MLP(3, [4, 1], seed=2)
    target.load_state_dict(source.state_dict())
    assert target.state_dict() == source.state_dict()
    assert target([1.0, 2.0, 3.0]).data == source([1.0, 2.0, 3.0]).data


def test_save_and_load_a_file(tmp_path):
    source, target = MLP(3, [4, 2], "tanh", seed=1), MLP(3, [4, 2], "tanh", seed=2)
    path = source.save(tmp_path / "model.json")
    assert target.load(path) is target
    assert target.state_dict() == source.state_dict()  # floats survive JSON exactly
    contents = json.loads(path.read_text())
    assert contents["model"] == "MLP(3 inputs, 26 parameters)"
    assert list(contents["parameters"])[:2] == ["L1.N1.w1", "L1.N1.w2"]


@pytest.mark.parametrize(
    ("state", "words"),
    [
        ({"L1.N1.w1": 1.0}, "missing"),
        ({**MLP(2, [2, 1], seed=0).state_dict(), "L1.N1.w3": 0.5}, "not in this model"),
        ({**MLP(2, [2, 1], seed=0).state_dict(), "L2.N1.b": float("nan")}, "L2.N1.b"),
        ({**MLP(2, [2, 1], seed=0).state_dict(), "L2.N1.b": "0.5"}, "finite number"),
        ({**MLP(2, [2, 1], seed=0).state_dict(), "L2.N1.b": True}, "finite number"),
        ([1.0, 2.0], "maps knob names"),
    ],
)
def test_a_state_that_does_not_fit_is_refused_and_changes_nothing(state, words):
    model = MLP(2, [2, 1], seed=9)
    before = model.state_dict()
    with pytest.raises(StateDictError) as info:
        model.load_state_dict(state)
    assert words in str(info.value)
    assert model.state_dict() == before


def test_a_file_from_another_shape_says_what_it_was_saved_from(tmp_path):
    path = MLP(3, [4, 1], seed=0).save(tmp_path / "model.json")
    model = MLP(2, [4, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(StateDictError, match=r"saved from MLP\(3 inputs, 21 parameters\)"):
        model.load(path)
    assert model.state_dict() == before


@pytest.mark.parametrize(
    ("contents", "words"),
    [
        ('{"format": "microgradx-state-dict", "version": 1, "parameters": {"L1', "broken"),
        ("", "broken"),
        ('{"weights": [1, 2]}', "not a microgradx model file"),
        ("[1, 2, 3]", "not a microgradx model file"),
        ('{"format": "microgradx-state-dict", "version": 99, "parameters": {}}', "version 99"),
        ('{"format": "microgradx-state-dict", "version": 1, "parameters": [1]}', "parameters"),
    ],
)
def test_a_corrupt_file_is_refused_and_changes_nothing(tmp_path, contents, words):
    path = tmp_path / "model.json"
    path.write_text(contents)
    model = MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(StateDictError) as info:
        model.load(path)
    assert words in str(info.value)
    assert model.state_dict() == before


def test_a_binary_file_is_refused(tmp_path):
    path = tmp_path / "model.json"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(StateDictError, match="not a microgradx model file"):
        MLP(2, [1], seed=0).load(path)


# ----------------------------------------------------------------------
# micrograd's nonlin keyword
# ----------------------------------------------------------------------


def test_nonlin_is_micrograds_switch_between_relu_and_linear():
    assert Neuron(2, nonlin=True).activation == "relu"
    assert Neuron(2, nonlin=False).activation == "linear"
    assert Layer(2, 3, nonlin=False).activation == "linear"
    assert all(n.activation == "linear" for n in Layer(2, 3, nonlin=False).neurons)
    assert Neuron(2, nonlin=False).nonlin is False
    assert Neuron(2, "tanh").nonlin is True
    neuron = Neuron(2, nonlin=False, seed=0)
    neuron.b.data = -10.0
    assert neuron([0.0, 0.0]).data == -10.0  # linear: no relu cuts it to 0


def test_micrograd_style_mlp_code_with_nonlin_runs():
    """micrograd's MLP builds Layer(..., nonlin=i != len(nouts) - 1)."""
    sizes = [3, 4, 4, 1]
    layers = [Layer(sizes[i], sizes[i + 1], nonlin=i != len(sizes) - 2) for i in range(3)]
    assert [layer.activation for layer in layers] == ["relu", "relu", "linear"]


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: Neuron(2, "tanh", nonlin=True), ValueError, "give one of them"),
        (lambda: Neuron(2, nonlin="yes"), TypeError, "micrograd's switch"),
        (lambda: Layer(2, 2, nonlin=2), TypeError, "micrograd's switch"),
    ],
)
def test_nonlin_mistakes_get_a_clear_error(call, error, words):
    with pytest.raises(error, match=words):
        call()


# ----------------------------------------------------------------------
# More mistakes, each with an error naming the argument
# ----------------------------------------------------------------------


def test_numpy_whole_numbers_are_fine_sizes_and_seeds():
    numpy = pytest.importorskip("numpy")
    model = MLP(numpy.int64(2), [numpy.int32(3), numpy.int64(1)], seed=numpy.int64(0))
    assert model.nin == 2 and type(model.nin) is int
    assert [len(layer.neurons) for layer in model.layers] == [3, 1]
    assert model.state_dict() == MLP(2, [3, 1], seed=0).state_dict()
    assert len(MLP(2, numpy.array([3, 1]), seed=0).layers) == 2


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: MLP(2, [3, 1], activation=None), ValueError, "activation='linear'"),
        (lambda: Neuron(2, activation=None), ValueError, "activation='linear'"),
        (lambda: MLP(2, [3, 1], activation=3), ValueError, "unknown activation 3"),
        (lambda: Neuron(2, init_scale=math.inf), ValueError, "init_scale must be a positive"),
        (lambda: Neuron(2, init_scale=math.nan), ValueError, "init_scale"),
        (lambda: Neuron(2, init_scale=10**400), ValueError, "init_scale"),
        (lambda: MLP(2, [1])([math.nan, 1.0]), ValueError, "input x1"),
        (lambda: MLP(2, [1])([1.0, 10**400]), ValueError, "input x2"),
        (lambda: MLP(2, "16"), TypeError, "list of layer sizes"),
    ],
)
def test_more_mistakes_get_an_error_naming_the_argument(call, error, words):
    with pytest.raises(error) as caught:
        call()
    assert words in str(caught.value)


def test_errors_quote_huge_inputs_shortly():
    model = MLP(2, [1], seed=0)
    for call in (
        lambda: model("x" * 100_000),
        lambda: model([1.0, "x" * 100_000]),
        lambda: model([1.0] * 100_000),
    ):
        with pytest.raises((TypeError, ValueError)) as caught:
            call()
        assert len(str(caught.value)) < 400


# ----------------------------------------------------------------------
# Saving refuses what JSON cannot hold; every bad file is a StateDictError
# ----------------------------------------------------------------------


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_save_refuses_a_knob_that_is_not_finite_and_writes_nothing(tmp_path, bad):
    model = MLP(2, [2, 1], seed=0)
    path = model.save(tmp_path / "model.json")
    good = path.read_text()
    model.layers[1].neurons[0].b.data = bad
    with pytest.raises(ValueError, match=r"cannot save knob L2\.N1\.b = .*Nothing was written"):
        model.save(path)
    assert path.read_text() == good
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_save_replaces_the_file_in_one_step(tmp_path, monkeypatch):
    from microgradx import files

    path = MLP(2, [2, 1], seed=0).save(tmp_path / "model.json")
    good = path.read_text()

    def disk_full(descriptor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        MLP(2, [2, 1], seed=1).save(path)
    assert path.read_text() == good
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def model_file(w1_text: str) -> str:
    """A model file for MLP(1, [1]) whose knob L1.N1.w1 is written as ``w1_text``."""
    return (
        '{"format": "microgradx-state-dict", "version": 1, "model": "MLP", '
        f'"parameters": {{"L1.N1.w1": {w1_text}, "L1.N1.b": 0.0}}}}'
    )


@pytest.mark.parametrize(
    ("w1_text", "words"),
    [
        ("1" * 5000, "holds a number that cannot be read"),
        ("1" + "0" * 400, "L1.N1.w1 must be a finite number"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("NaN", "L1.N1.w1 must be a finite number"),
        ("Infinity", "L1.N1.w1 must be a finite number"),
        ('{"a": 1}', "must be a finite number, got dict"),
    ],
    ids=["too-many-digits", "huge-integer", "deep-nesting", "nan", "infinity", "wrong-type"],
)
def test_every_bad_file_is_a_state_dict_error_and_changes_nothing(tmp_path, w1_text, words):
    path = tmp_path / "model.json"
    path.write_text(model_file(w1_text))
    model = MLP(1, [1], seed=0)
    before = model.state_dict()
    with pytest.raises(StateDictError) as caught:
        model.load(path)
    assert words in str(caught.value)
    assert len(str(caught.value)) < 600
    assert model.state_dict() == before


def test_a_good_model_file_written_by_hand_loads():
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.json"
        path.write_text(model_file("0.5"))
        assert MLP(1, [1], seed=0).load(path).state_dict() == {"L1.N1.w1": 0.5, "L1.N1.b": 0.0}


@pytest.mark.parametrize(
    ("state", "words"),
    [
        ({1: 0.5, "L1.N1.b": 0.0}, "knob names are text"),
        ({None: 0.5}, "knob names are text"),
        ({"L1.N1.w1": 10**400, "L1.N1.b": 0.0}, "L1.N1.w1 must be a finite number"),
        ({"L1.N1.w1": [0.5], "L1.N1.b": 0.0}, "got list"),
        ({"L1.N1.w1": 0.5, "L1.N1.b": 0.0, "x" * 100_000: 1.0}, "not in this model"),
    ],
    ids=["int-key", "none-key", "huge-integer", "list-value", "huge-name"],
)
def test_every_bad_state_dict_is_a_state_dict_error_and_changes_nothing(state, words):
    model = MLP(1, [1], seed=0)
    before = model.state_dict()
    with pytest.raises(StateDictError) as caught:
        model.load_state_dict(state)
    assert words in str(caught.value)
    assert len(str(caught.value)) < 600
    assert model.state_dict() == before


def test_a_load_error_quotes_a_huge_model_description_shortly(tmp_path):
    path = tmp_path / "model.json"
    path.write_text(
        '{"format": "microgradx-state-dict", "version": 1, "model": "'
        + "M" * 1_000_000
        + '", "parameters": {"a": 1.0}}'
    )
    with pytest.raises(StateDictError) as caught:
        MLP(1, [1], seed=0).load(path)
    assert len(str(caught.value)) < 600
