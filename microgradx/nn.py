"""Neural networks made of Values: Neuron, Layer, MLP.

A neuron holds knobs: one weight per input and a bias. Its forward pass makes
a weighted sum of its inputs, adds the bias and squashes the result with an
activation function::

    out = activation(w1*x1 + w2*x2 + ... + wn*xn + b)

A ``Layer`` is a row of neurons that all read the same inputs, and an ``MLP``
(multi-layer perceptron) is a stack of layers, each feeding the next. Every
knob is a leaf ``Value``, so after ``loss.backward()`` each one holds its share
of the blame in ``.grad``, ready to be nudged by an optimizer.

**Starting values.** Weights start uniformly random in ``[-s, s]`` with
``s = 1 / sqrt(nin)`` (``nin`` = inputs per neuron, the same range as PyTorch's
``nn.Linear``); biases start at 0. Shrinking the range as inputs grow keeps the
weighted sum about the size of one input, however many inputs there are, so
deep or wide networks neither blow up nor go flat at the start. Pass
``init_scale=1.0`` for micrograd's range ``[-1, 1]``.

**Reproducible starts.** ``seed`` is an ``int`` or a ``random.Random``. With
``seed=None`` the weights come from Python's shared ``random`` generator, so
``random.seed(1337)`` before building a model works as it does in micrograd.

**Names.** Every knob carries a label: ``w1, w2, ..., b`` on a bare neuron;
``N3.w2`` in a layer; ``L1.N3.w2`` in an MLP (layer, neuron and weight numbers
count from 1). ``named_parameters()`` and ``state_dict()`` use the same names.

**micrograd's keyword.** ``Neuron(nin, nonlin=False)`` and ``Layer(nin, nout,
nonlin=True)`` work as in micrograd: ``nonlin=True`` is a ReLU neuron,
``nonlin=False`` a linear one (it may not be combined with another ``activation``).

**Saving.** ``model.save(path)`` writes every knob to a JSON file in one step
(``microgradx.files.write_atomically``): on any error, a full disk or a killed
process included, the old file is unchanged. A knob that is not a finite number
cannot be saved (JSON has no inf or nan), and ``save`` says which one.
``model.load(path)`` and ``load_state_dict`` check everything first: any bad file
or state (broken JSON, numbers too large, nesting too deep, names that are not
text, values that are not numbers) is a ``StateDictError`` that names the
problem, and the model is left unchanged.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from numbers import Integral, Real

from microgradx.engine import Value, _dot_of_values
from microgradx.messages import PATH_LIMIT, quoted, shortened

TYPE_CHECKING = False  # the typing module is slow to import; type checkers read this block
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from os import PathLike
    from pathlib import Path
    from typing import Any, Union

    Operand = Union[Value, int, float]
    Seed = Union[int, random.Random, None]

__all__ = ["ACTIVATIONS", "MLP", "Layer", "Module", "Neuron", "StateDictError"]


def _linear(x: Value) -> Value:
    """The identity: the neuron's weighted sum passes through unchanged."""
    return x


ACTIVATIONS: dict[str, Callable[[Value], Value]] = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "leaky_relu": Value.leaky_relu,
    "linear": _linear,
}
"""The activation functions a neuron can use, by name."""

_FILE_FORMAT = "microgradx-state-dict"
_FILE_VERSION = 1


class StateDictError(ValueError):
    """Saved knob values that do not fit the model, or a model file that cannot be read."""


class Module:
    """Anything with knobs (parameters): the base of Neuron, Layer and MLP.

    A subclass lists its knobs in ``named_parameters()``; everything else here
    (``parameters``, ``zero_grad``, saving and loading) builds on that list.
    """

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Every knob with its name, in a fixed order. A plain Module has none."""
        return []

    def parameters(self) -> list[Value]:
        """Every knob (weights and biases), in the order of ``named_parameters()``."""
        return [parameter for _, parameter in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every knob's blame to 0.0.

        Knobs are leaves, and leaves *add up* the blame of every ``backward()``;
        call this before each training step so a step sees only its own blame.
        """
        for parameter in self.parameters():
            parameter.grad = 0.0

    def state_dict(self) -> dict[str, float]:
        """The value of every knob by name, e.g. ``{"L1.N1.w1": 0.42, ...}``."""
        return {name: parameter.data for name, parameter in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, float]) -> None:
        """Set every knob from ``state`` (as made by ``state_dict()``).

        The names must match this model's exactly, and every value must be a
        finite number. Everything is checked before anything changes: on a
        mismatch this raises ``StateDictError`` and the model stays as it was.
        """
        new_values = _checked_state(self, state)
        for name, parameter in self.named_parameters():
            parameter.data = new_values[name]

    def save(self, path: str | PathLike[str]) -> Path:
        """Write every knob's value to a JSON file; returns the file's path.

        The file records the model's description too, so a later ``load()``
        into a model of another shape can say what the file was saved from.
        The file is replaced in one step: on any error the old one is unchanged.
        A knob that is not a finite number raises ``ValueError`` naming it, and
        nothing is written.
        """
        import json  # here, not at the top: json and pathlib slow down `import microgradx`
        from pathlib import Path

        from microgradx.files import write_atomically

        path = Path(path)
        contents = {
            "format": _FILE_FORMAT,
            "version": _FILE_VERSION,
            "model": _one_line(repr(self)),
            "parameters": _finite_knobs(self),
        }
        text = json.dumps(contents, indent=2, allow_nan=False) + "\n"
        write_atomically(path, text)
        return path

    def load(self, path: str | PathLike[str]) -> Module:
        """Set every knob from a file written by ``save()``; returns the model.

        A corrupt file, a file of another kind, or knobs that do not match this
        model raise ``StateDictError``, and the model stays as it was.
        """
        from pathlib import Path

        path = Path(path)
        contents = _read_model_file(path)
        try:
            self.load_state_dict(contents["parameters"])
        except StateDictError as error:
            saved_from = contents.get("model", "an unknown model")
            saved_from = (
                shortened(saved_from) if isinstance(saved_from, str) else quoted(saved_from)
            )
            raise StateDictError(
                f"cannot load {shortened(str(path), PATH_LIMIT)} (saved from {saved_from}) "
                f"into {_one_line(repr(self))}: {error}"
            ) from None
        return self


class Neuron(Module):
    """One neuron: ``activation(w1*x1 + ... + wn*xn + b)``.

    ``activation`` is one of ``ACTIVATIONS``: "relu" (the default, as in
    micrograd), "tanh", "sigmoid", "leaky_relu" or "linear". micrograd's
    ``nonlin=True`` (relu) or ``nonlin=False`` (linear) may be given instead.
    """

    def __init__(
        self,
        nin: int,
        activation: str = "relu",
        *,
        nonlin: bool | None = None,
        seed: Seed = None,
        init_scale: float | None = None,
        name: str = "",
    ) -> None:
        self.nin = _positive_int(nin, "Neuron nin (the number of inputs)")
        self.activation = _activation_choice(activation, nonlin, "Neuron")
        self._activate = ACTIVATIONS[self.activation]
        uniform = _uniform_sampler(seed)
        scale = _init_scale(init_scale, self.nin)
        prefix = f"{name}." if name else ""
        self.w = [
            Value(uniform(-scale, scale), label=f"{prefix}w{i}") for i in range(1, self.nin + 1)
        ]
        self.b = Value(0.0, label=f"{prefix}b")

    def __call__(self, x: Sequence[Operand]) -> Value:
        """The neuron's output for the inputs ``x`` (numbers or Values)."""
        return self._fire(_input_values(x, self.nin, self))

    def _fire(self, x: tuple[Value, ...]) -> Value:
        """The forward pass for inputs already checked by ``_input_values``."""
        return self._activate(_dot_of_values(tuple(self.w), x) + self.b)

    def named_parameters(self) -> list[tuple[str, Value]]:
        names = [f"w{i}" for i in range(1, self.nin + 1)] + ["b"]
        return list(zip(names, [*self.w, self.b]))

    @property
    def nonlin(self) -> bool:
        """micrograd's name: False for a linear neuron, True for any other activation."""
        return self.activation != "linear"

    def __repr__(self) -> str:
        return f"Neuron({_count(self.nin, 'input')}, {self.activation})"


class Layer(Module):
    """``nout`` neurons that all read the same ``nin`` inputs.

    Calling a layer always returns a list, one output per neuron (even when
    there is only one). ``activation`` (or micrograd's ``nonlin``) is each
    neuron's, as in ``Neuron``.
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        *,
        nonlin: bool | None = None,
        seed: Seed = None,
        init_scale: float | None = None,
        name: str = "",
    ) -> None:
        self.nin = _positive_int(nin, "Layer nin (the number of inputs)")
        nout = _positive_int(nout, "Layer nout (the number of neurons)")
        self.activation = _activation_choice(activation, nonlin, "Layer")
        rng = _shared_rng(seed)
        prefix = f"{name}." if name else ""
        self.neurons = [
            Neuron(self.nin, self.activation, seed=rng, init_scale=init_scale, name=f"{prefix}N{j}")
            for j in range(1, nout + 1)
        ]

    def __call__(self, x: Sequence[Operand]) -> list[Value]:
        """Each neuron's output for the inputs ``x``, as a list."""
        return self._fire(_input_values(x, self.nin, self))

    def _fire(self, x: Sequence[Value]) -> list[Value]:
        """The forward pass for inputs already checked by ``_input_values``."""
        shared_inputs = tuple(x)
        return [neuron._fire(shared_inputs) for neuron in self.neurons]

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [
            (f"N{j}.{name}", parameter)
            for j, neuron in enumerate(self.neurons, start=1)
            for name, parameter in neuron.named_parameters()
        ]

    def __repr__(self) -> str:
        return f"Layer({self.nin} -> {len(self.neurons)}, {self.activation})"


class MLP(Module):
    """A multi-layer perceptron: layers of sizes ``nouts``, each feeding the next.

    ``MLP(3, [8, 8, 1])`` reads 3 inputs and has two hidden layers of 8 neurons
    and one output neuron. ``activation`` is used by every layer but the last,
    which is ``output_activation`` ("linear" unless given): micrograd's MLP
    does the same with ReLU. Or give ``activation`` as a list, one name per
    layer. Calling the MLP returns a single Value when the last layer has one
    neuron, otherwise a list.

    **Types.** The call is typed ``Any``: whether it gives a Value or a list
    depends on the last layer's size, a number type checkers cannot see. So
    ``loss = (model(x) - y) ** 2`` and ``scores = model(x)[0]`` both type-check
    (for a model of the matching shape); annotate the result, e.g.
    ``guess: Value = model(x)``, to have the rest of your code checked.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str | Sequence[str] = "relu",
        *,
        output_activation: str | None = None,
        seed: Seed = None,
        init_scale: float | None = None,
    ) -> None:
        self.nin = _positive_int(nin, "MLP nin (the number of inputs)")
        sizes = _layer_sizes(nouts)
        activations = _layer_activations(activation, output_activation, len(sizes))
        rng = _shared_rng(seed)
        layer_inputs = [self.nin, *sizes[:-1]]
        self.layers = [
            Layer(n_in, n_out, act, seed=rng, init_scale=init_scale, name=f"L{i}")
            for i, (n_in, n_out, act) in enumerate(zip(layer_inputs, sizes, activations), start=1)
        ]

    def __call__(self, x: Sequence[Operand]) -> Any:
        """The network's output: a Value if the last layer has one neuron, else a list.

        Typed ``Any`` (see the class docstring): the return type depends on the
        model's shape, which type checkers cannot see.
        """
        outputs: Sequence[Value] = _input_values(x, self.nin, self)
        for layer in self.layers:
            outputs = layer._fire(outputs)
        return outputs[0] if len(outputs) == 1 else outputs

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [
            (f"L{i}.{name}", parameter)
            for i, layer in enumerate(self.layers, start=1)
            for name, parameter in layer.named_parameters()
        ]

    def __repr__(self) -> str:
        layers = "".join(f"\n  L{i}: {layer!r}" for i, layer in enumerate(self.layers, start=1))
        n_parameters = _count(len(self.parameters()), "parameter")
        return f"MLP({_count(self.nin, 'input')}, {n_parameters}){layers}"


# ----------------------------------------------------------------------
# Checking arguments, with errors that say what to do
# ----------------------------------------------------------------------


def _positive_int(n: object, what: str) -> int:
    """``n`` as an int >= 1 (numpy's whole numbers too), or a clear error."""
    if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
        shown = quoted(n) if isinstance(n, Real) else f"{type(n).__name__} {quoted(n)}"
        raise ValueError(f"{what} must be a positive whole number, got {shown}.")
    return int(n)


def _activation_name(name: object) -> str:
    if not isinstance(name, str) or name not in ACTIVATIONS:
        choices = ", ".join(repr(choice) for choice in ACTIVATIONS)
        hint = (
            " For no activation at all (a linear neuron), write activation='linear'."
            if name is None
            else " (For softmax, make the last layer linear and use microgradx.losses.softmax "
            "on its outputs.)"
        )
        raise ValueError(f"unknown activation {quoted(name)}: choose one of {choices}.{hint}")
    return name


def _activation_choice(activation: object, nonlin: object, where: str) -> str:
    """The activation name from ``activation``, or from micrograd's ``nonlin`` switch."""
    if nonlin is None:
        return _activation_name(activation)
    if not (isinstance(nonlin, Integral) and nonlin in (0, 1)):
        raise TypeError(
            f"{where} nonlin is micrograd's switch: True for a relu neuron, False for a "
            f"linear one; got {type(nonlin).__name__} {quoted(nonlin)}."
        )
    if activation != "relu":
        raise ValueError(
            f"{where} got both activation={quoted(activation)} and nonlin={bool(nonlin)}: give "
            "one of them (nonlin=True means activation='relu', nonlin=False 'linear')."
        )
    return "relu" if nonlin else "linear"


def _layer_sizes(nouts: object) -> list[int]:
    if isinstance(nouts, (str, bytes, Mapping)) or not hasattr(nouts, "__iter__"):
        shown = quoted(nouts)
        raise TypeError(
            f"MLP nouts is the list of layer sizes, e.g. [16, 16, 1], got {shown}. "
            f"For a single layer, write [{shown}]."
        )
    sizes = [_positive_int(n, "each MLP layer size in nouts") for n in nouts]
    if not sizes:
        raise ValueError("MLP nouts needs at least one layer size, e.g. [16, 16, 1].")
    return sizes


def _layer_activations(
    activation: str | Sequence[str], output_activation: str | None, n_layers: int
) -> list[str]:
    """One activation name per layer."""
    if isinstance(activation, str) or activation is None:
        last = "linear" if output_activation is None else output_activation
        return [_activation_name(activation)] * (n_layers - 1) + [_activation_name(last)]
    if output_activation is not None:
        raise ValueError(
            "give either a list of activations (one per layer, the last one included) "
            "or output_activation, not both."
        )
    if not hasattr(activation, "__iter__"):
        _activation_name(activation)  # raises, naming it
    activations = [_activation_name(name) for name in activation]
    if len(activations) != n_layers:
        raise ValueError(
            f"the list of activations needs one name per layer: {n_layers} layers, "
            f"got {len(activations)} names {quoted(activations)}."
        )
    return activations


def _init_scale(init_scale: float | None, nin: int) -> float:
    if init_scale is None:
        return 1.0 / math.sqrt(nin)
    scale = _finite_float(init_scale)
    if scale is None or not scale > 0:
        raise ValueError(
            f"init_scale must be a positive finite number (weights start in [-init_scale, "
            f"init_scale]), got {quoted(init_scale)}."
        )
    return scale


def _finite_float(x: object) -> float | None:
    """``x`` as a float if it is a finite real number (not a bool), else None."""
    if isinstance(x, bool) or not isinstance(x, Real):
        return None
    try:
        number = float(x)
    except (OverflowError, ValueError):  # a whole number too large for a float
        return None
    return number if math.isfinite(number) else None


def _shared_rng(seed: Seed) -> random.Random | None:
    """One generator to share among all neurons of a model (None: Python's shared one)."""
    if seed is None or isinstance(seed, random.Random):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, Integral):
        raise TypeError(
            f"seed must be an int, a random.Random or None, got {type(seed).__name__} "
            f"{quoted(seed)}."
        )
    return random.Random(int(seed))


def _uniform_sampler(seed: Seed) -> Callable[[float, float], float]:
    rng = _shared_rng(seed)
    return random.uniform if rng is None else rng.uniform


def _input_values(x: object, nin: int, module: Module) -> tuple[Value, ...]:
    """The inputs as Values: plain numbers become leaves labelled x1, x2, ..."""
    if isinstance(x, (Value, Real, str, bytes)) or not hasattr(x, "__iter__"):
        raise TypeError(
            f"{_one_line(repr(module))} must be called on a list of {_count(nin, 'input')} "
            f"(numbers or Values), got {type(x).__name__} {quoted(x)}."
            + (f" Wrap a single input in a list: model([{quoted(x)}])." if nin == 1 else "")
        )
    inputs = list(x)
    if len(inputs) != nin:
        raise ValueError(
            f"{_one_line(repr(module))} expects {_count(nin, 'input')}, "
            f"got {len(inputs)}: {quoted(inputs)}."
        )
    values = []
    for i, item in enumerate(inputs, start=1):
        if isinstance(item, Value):
            values.append(item)
            continue
        number = _finite_float(item)
        if number is None and isinstance(item, Real) and not isinstance(item, bool):
            raise ValueError(
                f"input x{i} of {_one_line(repr(module))} must be a finite number or a Value, "
                f"got {quoted(item)}."
            )
        if number is None:
            raise TypeError(
                f"input x{i} of {_one_line(repr(module))} must be a number or a Value, "
                f"got {type(item).__name__} {quoted(item)}."
            )
        values.append(Value(number, label=f"x{i}"))
    return tuple(values)


def _count(n: int, noun: str) -> str:
    """'1 input', '3 inputs'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _one_line(text: str) -> str:
    """A multi-line repr squeezed onto one line, for messages and files."""
    return text.split("\n", 1)[0]


# ----------------------------------------------------------------------
# Saving and loading
# ----------------------------------------------------------------------


def _finite_knobs(module: Module) -> dict[str, float]:
    """``module.state_dict()``, once every knob is known to be a finite number."""
    state = module.state_dict()
    for name, number in state.items():
        if _finite_float(number) is None:
            raise ValueError(
                f"cannot save knob {name} = {quoted(number)}: a model file holds finite numbers "
                "only (JSON has no inf or nan). Training has probably diverged: lower the "
                "learning rate and train again. Nothing was written."
            )
    return {name: float(number) for name, number in state.items()}


def _checked_state(module: Module, state: object) -> dict[str, float]:
    """``state`` as {name: float}, or a StateDictError saying what does not fit."""
    if not isinstance(state, Mapping):
        raise StateDictError(
            f"a state dict maps knob names to numbers, got {type(state).__name__}."
        )
    expected = [name for name, _ in module.named_parameters()]
    given = list(state)
    not_text = [name for name in given if not isinstance(name, str)]
    if not_text:
        raise StateDictError(
            f"knob names are text, like 'L1.N1.w1'; this state has {_some(not_text)} "
            f"that {'is' if len(not_text) == 1 else 'are'} not."
        )
    missing = [name for name in expected if name not in state]
    known = set(expected)
    unexpected = [name for name in given if name not in known]
    if missing or unexpected:
        problems = []
        if missing:
            problems.append(f"missing {_some(missing)}")
        if unexpected:
            problems.append(f"not in this model: {_some(unexpected)}")
        raise StateDictError(
            f"the knob names do not match: this model has {len(expected)} knobs, the state "
            f"has {len(given)}; " + "; ".join(problems) + ". Build the model with the same "
            "sizes as the one that was saved."
        )
    values = {}
    for name in expected:
        number = _finite_float(state[name])
        if number is None:
            raise StateDictError(
                f"knob {name} must be a finite number, got {type(state[name]).__name__} "
                f"{quoted(state[name])}."
            )
        values[name] = number
    return values


def _some(names: Iterable[object], shown: int = 5) -> str:
    """'2 (L1.N1.w3, L1.N2.w3)': how many, and the first few, each cut short if long."""
    names = list(names)
    listed = ", ".join(
        shortened(name) if isinstance(name, str) else quoted(name) for name in names[:shown]
    )
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return f"{len(names)} ({listed}{more})"


def _read_model_file(path: Path) -> dict[str, Any]:
    """The parsed contents of a file written by ``Module.save``, or a StateDictError."""
    import json

    where = shortened(str(path), PATH_LIMIT)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise StateDictError(f"{where} is not a microgradx model file (not text).") from None
    try:
        contents = json.loads(text)
    except json.JSONDecodeError as error:
        raise StateDictError(
            f"{where} is not a valid model file: its JSON is broken ({error}). "
            "The file may be truncated or edited by hand; save the model again."
        ) from None
    except RecursionError:
        raise StateDictError(
            f"{where} is not a model file: its JSON is nested too deeply to read "
            "(a model file holds one flat table of numbers)."
        ) from None
    except ValueError as error:  # e.g. a whole number with more digits than Python reads
        raise StateDictError(
            f"{where} is not a valid model file: it holds a number that cannot be read "
            f"({shortened(str(error))})."
        ) from None
    if not isinstance(contents, dict) or contents.get("format") != _FILE_FORMAT:
        raise StateDictError(
            f'{where} is not a microgradx model file (no "format": "{_FILE_FORMAT}"). '
            "Model files are written by model.save(path)."
        )
    if contents.get("version") != _FILE_VERSION:
        raise StateDictError(
            f"{where} has model file version {quoted(contents.get('version'))}; this "
            f"microgradx reads version {_FILE_VERSION}."
        )
    if not isinstance(contents.get("parameters"), dict):
        raise StateDictError(f'{where} has no "parameters" table of knob values.')
    return contents
