"""One look at a computation graph, taken once and read by every drawing and the player.

``GraphSnapshot.of(root)`` walks the graph that ``root`` was computed from and
writes down, for every node, all that the drawings (``microgradx.graph``,
``microgradx.network_view``), the step recorder (``microgradx.steps``) and the
player's page (``microgradx.page``) need, so that they agree node for node:

* **who it is**: its index ``i`` in ``topological_order(root)`` (the drawing's SVG
  id is ``value-{i}``), the name the texts call it and the drawing shows on it, its
  role (input, constant, parameter, intermediate, output), and the neuron it
  belongs to when a ``model`` is given;
* **what it holds**: its ``data``, its ``grad`` as found, its children, its op and
  the local derivative for each child;
* **its blame from this root alone** (``blame``): the chain rule replayed on a
  scratch list in exactly the order ``backward()`` uses, so every number is bit
  for bit what ``backward()`` computes from zeroed grads, with every term of the
  sum (``shares``) and the running total after each;
* **when it becomes known**: ``value_known_at[i]`` is its place in the forward
  pass (0 for a leaf, k for the k-th node computed, in reading order) and
  ``blame_reached[i]`` lists the shares of blame that reach it, each handed on at
  a place in the backward pass (``backward_position``: 0 for the seed, k for the
  k-th node handing on its blame). A view turns these places into its own steps.

Nothing in the graph is changed: no grad is touched.

**Names.** A node's label when it has one. An unlabelled node inside a neuron of
the ``model`` is named by its part: ``L1.N3.w·x`` (the weighted sum),
``L1.N3.w·x+b`` and ``L1.N3.out`` (after the activation). Any other node is named
by how it was computed when that is short (``x1 * w1``, ``guess - true price``),
a constant by its number (``2.0``), and anything else by its op and a count in
reading order (``product1``, ``tanh2``). Every name is drawn on its node.

**Reading order.** The forward pass is listed as a reader reads the code: a
node's inputs in order, the first input's whole computation first, so the first
neuron of a layer is computed first. Leaves are listed in the order the forward
pass first reads them. The backward pass keeps ``backward()``'s own order.
"""

from __future__ import annotations

from dataclasses import dataclass

from microgradx.engine import Value, topological_order
from microgradx.labels import format_number
from microgradx.messages import quoted
from microgradx.op_texts import _bracketed, _expression, _is_call, _op_word

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Any

ROLES = ("input", "constant", "parameter", "intermediate", "output")
"""What a node is: a fact given to the computation, a fixed number, a knob that
training nudges, a step in between, or the output the blame is about."""

LONGEST_EXPRESSION_NAME = 24
"""An unlabelled node is named by its formula only when that is at most this long."""


@dataclass(frozen=True)
class BlameShare:
    """One term of the chain rule: the blame a node hands one of its inputs.

    ``share = local_grad * node_grad``, and the input's running total goes from
    ``total_before`` to ``total_after = total_before + share``, exactly as in
    ``backward()``: ``child.grad += local_grad * node.grad``.
    """

    child: int
    """The input's index in ``topological_order(root)``."""
    slot: int
    """Which input of the node it is (0-based), as in ``node.children[slot]``."""
    local_grad: float
    node_grad: float
    share: float
    total_before: float
    total_after: float
    path: int
    """This is the path-th (1-based) share of blame that reaches the input."""
    paths: int
    """How many shares of blame reach the input in all."""
    node: int = -1
    """The index of the node that hands on this share."""


@dataclass(frozen=True)
class NeuronParts:
    """Where one neuron of the model sits in the graph (all numbers are node indices)."""

    layer: int
    """The layer's number, from 1."""
    number: int
    """The neuron's number in its layer, from 1."""
    name: str
    """How texts and drawings call it: ``L1.N3`` (from its knobs' labels)."""
    activation: str
    """The op of its activation (``relu``, ``tanh`` ...), or ``linear`` for none."""
    weights: tuple[int, ...]
    bias: int | None
    inputs: tuple[int | None, ...]
    """The value each weight multiplies (None where the graph does not show one)."""
    sums: tuple[int, ...]
    """Its weighted sum and the ops that add to it (``w·x``, ``+ b``)."""
    output: int | None
    """Its result: the activation's output, or the last sum for a linear neuron."""
    members: tuple[int, ...]
    """Every node drawn in its box: knobs, sums and activation."""


@dataclass(frozen=True)
class GraphSnapshot:
    """Everything about one graph that the drawings and the player read, by node index.

    Node ``i`` is ``values[i]``, the i-th Value of ``topological_order(root)``;
    every tuple below has one entry per node, in that order.
    """

    values: tuple[Value, ...]
    index: dict[Value, int]
    children: tuple[tuple[int, ...], ...]
    """The indices of each node's inputs, in order, repeats kept (``a * a``)."""
    local_grads: tuple[tuple[float, ...], ...]
    ops: tuple[str, ...]
    data: tuple[float, ...]
    grads: tuple[float, ...]
    """``node.grad`` as it was when the snapshot was taken."""
    labels: tuple[str, ...]
    names: tuple[str, ...]
    """What the texts call each node; the drawings show it on the node."""
    refs: tuple[str, ...]
    """The name as it stands before ``.grad``: ``(x1 * w1)``, ``(2.0)``, ``w1``."""
    numbers: tuple[str, ...]
    """The name as it stands for its number in a formula: ``(x1 * w1)``, ``2.0``, ``w1``."""
    roles: tuple[str, ...]
    """One of ``ROLES`` per node."""
    paths: tuple[int, ...]
    """How many times each node is used: the number of shares of blame it receives."""
    forward_order: tuple[int, ...]
    """The computed nodes in reading order: the forward pass, one node after another."""
    backward_order: tuple[int, ...]
    """The computed nodes in the order ``backward()`` hands on their blame."""
    leaves: tuple[int, ...]
    """The leaves, in the order the forward pass first reads them."""
    blame: tuple[float, ...]
    """d root / d node, from this root alone: the chain rule replayed, as ``backward()``."""
    shares: tuple[BlameShare, ...]
    """Every chain-rule term of the replay, in the order it is added."""
    value_known_at: tuple[int, ...]
    """0 for a leaf; k when the node is the k-th of ``forward_order``."""
    backward_position: tuple[int, ...]
    """0 for the root (the seed); k when the node is the k-th of ``backward_order``;
    -1 for a leaf (it hands on nothing)."""
    blame_reached: tuple[tuple[BlameShare, ...], ...]
    """The shares that reach each node, in order; the seed (root) has none."""
    neurons: tuple[NeuronParts, ...]
    """The model's neurons found in the graph, layer by layer (empty without a model)."""
    neuron_of: dict[int, tuple[int, int]]
    """Node index -> (layer, neuron) of the neuron whose box it is drawn in."""
    model_layers: tuple[int, ...]
    """How many neurons each layer of the model has (empty without a model)."""

    @property
    def root(self) -> int:
        """The index of the output: the last node."""
        return len(self.values) - 1

    def blame_to_show(self, progressive: bool) -> tuple[float, ...] | None:
        """The blame a drawing shows: None when there is none to show yet.

        A player (``progressive``) reveals the replayed blame step by step; a plain
        drawing shows ``.grad``, once ``backward()`` has run (the root's grad is then 1).
        """
        if progressive:
            return self.blame
        if self.grads[self.root] != 0.0:
            return self.grads
        return None

    @classmethod
    def of(
        cls,
        root: Value,
        *,
        parameters: Value | Iterable[Value] | None = None,
        model: Any = None,
        order: list[Value] | None = None,
    ) -> GraphSnapshot:
        """Take the snapshot of ``root``'s graph.

        ``parameters`` (Values) and ``model`` (a ``microgradx.nn`` Neuron, Layer or
        MLP, or anything with ``.parameters()``) mark the knobs; a model also gives
        the neurons. ``order`` is ``topological_order(root)`` when already at hand.
        """
        if not isinstance(root, Value):
            raise TypeError(
                f"a graph snapshot needs a Value (the output of a computation), got "
                f"{type(root).__name__}."
            )
        knobs = checked_values(parameters, "parameters")
        layers: list[list[Any]] = []
        if model is not None:
            knobs += model_parameters(model)
            layers = neurons_per_layer(model)
        return _SnapshotBuilder(root, order or topological_order(root), knobs, layers).build()


# ----------------------------------------------------------------------
# Checking what the caller passed
# ----------------------------------------------------------------------


def checked_values(values: object, name: str) -> list[Value]:
    """``values`` (None, one Value, or an iterable of Values) as a list, or a clear error."""
    if values is None:
        return []
    if isinstance(values, Value):
        return [values]
    if callable(getattr(values, "parameters", None)):
        raise TypeError(
            f"{name} takes Values, got the model {type(values).__name__} itself. Pass "
            f"model=... to mark its knobs and box its neurons, or {name}=model.parameters()."
        )
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(
            f"{name} must be a Value or a list of Values, got {type(values).__name__} "
            f"{quoted(values)}. Pass e.g. {name}=model.parameters() or {name}=[w, b]."
        )
    checked = list(values)
    for value in checked:
        if not isinstance(value, Value):
            raise TypeError(
                f"{name} must contain only Values, got {type(value).__name__} {quoted(value)}. "
                f"Pass e.g. {name}=model.parameters()."
            )
    return checked


def model_parameters(model: Any) -> list[Value]:
    if not callable(getattr(model, "parameters", None)):
        raise TypeError(
            f"model must be a microgradx.nn module (something with .parameters()), "
            f"got {type(model).__name__}. To mark knobs without a model, pass parameters=."
        )
    return checked_values(model.parameters(), "model.parameters()")


def neurons_per_layer(model: Any) -> list[list[Any]]:
    """The model's neurons, layer by layer: an MLP has .layers, a Layer .neurons."""
    if hasattr(model, "layers"):
        return [list(layer.neurons) for layer in model.layers]
    if hasattr(model, "neurons"):
        return [list(model.neurons)]
    if hasattr(model, "w"):
        return [[model]]
    return []


def _neuron_knobs(neuron: Any) -> list[Value]:
    bias = getattr(neuron, "b", None)
    return list(neuron.w) + ([bias] if bias is not None else [])


# ----------------------------------------------------------------------
# Taking the snapshot
# ----------------------------------------------------------------------


class _SnapshotBuilder:
    """Fills in a GraphSnapshot; each method works out one kind of fact."""

    def __init__(
        self, root: Value, order: list[Value], knobs: list[Value], layers: list[list[Any]]
    ) -> None:
        self.root = root
        self.order = order
        self.index = {node: i for i, node in enumerate(order)}
        self.children = tuple(tuple(self.index[c] for c in node.children) for node in order)
        self.knobs = {self.index[k] for k in knobs if k in self.index}
        self.layers = layers

    def build(self) -> GraphSnapshot:
        order, count = self.order, len(self.order)
        reading = self.reading_order()
        forward = tuple(i for i in reading if self.children[i])
        value_known_at = [0] * count
        for place, i in enumerate(forward, start=1):
            value_known_at[i] = place
        leaves = self.leaves_in_reading_order(forward, reading)
        paths = [0] * count
        for children in self.children:
            for j in children:
                paths[j] += 1
        backward = tuple(
            self.index[node] for node in reversed(topological_order(self.root, leaves=False))
        )
        blame, shares = self.replay(backward, paths)
        position = [-1] * count
        position[count - 1] = 0
        for place, i in enumerate(backward, start=1):
            position[i] = place
        reached: list[list[BlameShare]] = [[] for _ in range(count)]
        for share in shares:
            reached[share.child].append(share)
        neurons, neuron_of = _Neurons(self).find()
        roles = self.roles(neurons)
        namer = _Namer(self, neurons, roles)
        names, refs, numbers = namer.name_all(reading)
        return GraphSnapshot(
            values=tuple(order),
            index=self.index,
            children=self.children,
            local_grads=tuple(tuple(node.local_grads) for node in order),
            ops=tuple(node.op for node in order),
            data=tuple(node.data for node in order),
            grads=tuple(node.grad for node in order),
            labels=tuple(node.label for node in order),
            names=names,
            refs=refs,
            numbers=numbers,
            roles=roles,
            paths=tuple(paths),
            forward_order=forward,
            backward_order=backward,
            leaves=leaves,
            blame=tuple(blame),
            shares=tuple(shares),
            value_known_at=tuple(value_known_at),
            backward_position=tuple(position),
            blame_reached=tuple(tuple(r) for r in reached),
            neurons=neurons,
            neuron_of=neuron_of,
            model_layers=tuple(len(layer) for layer in self.layers),
        )

    def reading_order(self) -> list[int]:
        """Every node after its inputs, each input's computation whole and in order.

        A depth-first search that visits a node's inputs first to last and lists a
        node when all of them are listed (postorder), without recursion.
        """
        children = self.children
        root = len(self.order) - 1
        listed: list[int] = []
        visited = {root}
        stack = [(root, 0)]
        while stack:
            i, k = stack[-1]
            if k < len(children[i]):
                stack[-1] = (i, k + 1)
                child = children[i][k]
                if child not in visited:
                    visited.add(child)
                    stack.append((child, 0))
            else:
                stack.pop()
                listed.append(i)
        return listed

    def leaves_in_reading_order(
        self, forward: Sequence[int], reading: Sequence[int]
    ) -> tuple[int, ...]:
        """The leaves in the order the forward pass first reads them."""
        first: dict[int, None] = {}
        for i in forward:
            for j in self.children[i]:
                if not self.children[j]:
                    first.setdefault(j, None)
        for i in reading:  # a graph that is one leaf
            if not self.children[i]:
                first.setdefault(i, None)
        return tuple(first)

    def replay(
        self, backward: Sequence[int], paths: Sequence[int]
    ) -> tuple[list[float], list[BlameShare]]:
        """The chain rule on a scratch list, node by node in ``backward()``'s order."""
        blame = [0.0] * len(self.order)
        blame[-1] = 1.0
        seen = [0] * len(self.order)
        shares = []
        for i in backward:
            node_grad = blame[i]
            for slot, (j, local_grad) in enumerate(
                zip(self.children[i], self.order[i].local_grads)
            ):
                share = local_grad * node_grad
                total_before = blame[j]
                blame[j] = total_before + share
                seen[j] += 1
                shares.append(
                    BlameShare(
                        child=j,
                        slot=slot,
                        local_grad=local_grad,
                        node_grad=node_grad,
                        share=share,
                        total_before=total_before,
                        total_after=blame[j],
                        path=seen[j],
                        paths=paths[j],
                        node=i,
                    )
                )
        return blame, shares

    def roles(self, neurons: Sequence[NeuronParts]) -> tuple[str, ...]:
        """A role per node: with a model, only the network's own inputs are inputs."""
        network_inputs = {j for n in neurons if n.layer == 1 for j in n.inputs if j is not None}
        roles = []
        for i, node in enumerate(self.order):
            if i == len(self.order) - 1:
                roles.append("output")
            elif i in self.knobs:
                roles.append("parameter")
            elif node.children:
                roles.append("intermediate")
            elif neurons:
                roles.append("input" if i in network_inputs else "constant")
            else:
                roles.append("input" if node.label else "constant")
        return tuple(roles)


class _Neurons:
    """Finds each neuron of the model in the graph: its knobs, sums and activation.

    The rule, applied in topological order: a knob is its neuron's; an op with an
    input that is a knob of exactly one neuron is that neuron's (a "sum": ``w · x``,
    ``+ b``, ``w_i * x_i``); an op with several inputs that all are sums of the same
    neuron is another sum of it; a one-input op on a sum is the neuron's activation
    (for a ``microgradx.nn`` neuron, only its own activation function). Anything that
    mixes neurons, like the loss, belongs to none.
    """

    def __init__(self, builder: _SnapshotBuilder) -> None:
        self.builder = builder

    def find(self) -> tuple[tuple[NeuronParts, ...], dict[int, tuple[int, int]]]:
        if not self.builder.layers:
            return (), {}
        index, order = self.builder.index, self.builder.order
        owner: dict[int, tuple[int, int]] = {}
        kind: dict[int, str] = {}
        activation_of: dict[tuple[int, int], str | None] = {}
        model_neurons: dict[tuple[int, int], Any] = {}
        for layer_number, neurons in enumerate(self.builder.layers, start=1):
            for neuron_number, neuron in enumerate(neurons, start=1):
                key = (layer_number, neuron_number)
                model_neurons[key] = neuron
                activation_of[key] = getattr(neuron, "activation", None)
                for knob in _neuron_knobs(neuron):
                    if knob in index and index[knob] not in owner:
                        owner[index[knob]], kind[index[knob]] = key, "parameter"
        children = self.builder.children
        for i, node in enumerate(order):
            if not children[i] or i in owner:
                continue
            kinds = [kind.get(j) for j in children[i]]
            direct = {owner[j] for j, k in zip(children[i], kinds) if k == "parameter"}
            inside = {owner.get(j) for j in children[i]}
            if len(direct) == 1:
                owner[i], kind[i] = direct.pop(), "sum"
            elif len(kinds) == 1 and kinds[0] == "sum":
                key = owner[children[i][0]]
                wanted = activation_of[key]
                if wanted is None or (wanted != "linear" and node.op == wanted):
                    owner[i], kind[i] = key, "activation"
            elif not direct and len(inside) == 1 and all(k == "sum" for k in kinds):
                only = inside.pop()
                if only is not None:
                    owner[i], kind[i] = only, "sum"
        parts = []
        for key, neuron in model_neurons.items():
            members = sorted(i for i, k in owner.items() if k == key)
            if not members:
                continue
            parts.append(self.parts(key, neuron, members, kind))
        return tuple(parts), dict(sorted(owner.items()))

    def parts(
        self, key: tuple[int, int], neuron: Any, members: list[int], kind: dict[int, str]
    ) -> NeuronParts:
        index, children = self.builder.index, self.builder.children
        weights = tuple(index[w] for w in neuron.w if w in index)
        bias = getattr(neuron, "b", None)
        bias_index = index.get(bias) if bias is not None else None
        sums = tuple(i for i in members if kind[i] == "sum")
        activations = [i for i in members if kind[i] == "activation"]
        used_by_sums = {j for i in sums for j in children[i]}
        last_sums = [i for i in sums if i not in used_by_sums]
        output = activations[-1] if activations else (last_sums[-1] if last_sums else None)
        activation = self.builder.order[activations[-1]].op if activations else "linear"
        return NeuronParts(
            layer=key[0],
            number=key[1],
            name=_neuron_name(self.builder.order, weights, key),
            activation=activation,
            weights=weights,
            bias=bias_index,
            inputs=tuple(self.input_of(w, sums) for w in weights),
            sums=sums,
            output=output,
            members=tuple(members),
        )

    def input_of(self, weight: int, sums: Sequence[int]) -> int | None:
        """The value that ``weight`` multiplies, in the first sum that uses it."""
        order, children = self.builder.order, self.builder.children
        for i in sums:
            inputs = children[i]
            if weight not in inputs:
                continue
            slot = inputs.index(weight)
            if order[i].op == "dot":
                half = len(inputs) // 2
                return inputs[slot + half] if slot < half else inputs[slot - half]
            if order[i].op == "*" and len(inputs) == 2:
                return inputs[1 - slot]
        return None


def _neuron_name(order: Sequence[Value], weights: Sequence[int], key: tuple[int, int]) -> str:
    """``L1.N3`` from knob labels like ``L1.N3.w1``; ``neuron`` for a bare one (``w1``)."""
    prefixes = {order[w].label.rpartition(".")[0] for w in weights}
    if len(prefixes) == 1:
        prefix = prefixes.pop()
        if all(order[w].label.rpartition(".")[2].startswith("w") for w in weights):
            return prefix or "neuron"
    return f"L{key[0]}.N{key[1]}"


class _Namer:
    """Gives every node the name its texts use (see the module docstring)."""

    def __init__(
        self, builder: _SnapshotBuilder, neurons: Sequence[NeuronParts], roles: Sequence[str]
    ) -> None:
        self.builder = builder
        self.roles = roles
        self.part_names: dict[int, str] = {}
        for neuron in neurons:
            self.part_names.update(self.neuron_part_names(neuron))
        self.taken = {node.label for node in builder.order if node.label}
        self.counts: dict[str, int] = {}

    def neuron_part_names(self, neuron: NeuronParts) -> dict[int, str]:
        """``L1.N3.w·x``, ``L1.N3.w·x+b``, ``L1.N3.out`` for a neuron's unlabelled parts."""
        order, children = self.builder.order, self.builder.children
        prefix = "" if neuron.name == "neuron" else f"{neuron.name}."
        names = {}
        weighted = [i for i in neuron.sums if order[i].op == "dot"]
        if len(weighted) == 1:
            names[weighted[0]] = f"{prefix}w·x"
            plus_bias = [
                i
                for i in neuron.sums
                if order[i].op == "+" and set(children[i]) == {weighted[0], neuron.bias}
            ]
            if len(plus_bias) == 1:
                names[plus_bias[0]] = f"{prefix}w·x+b"
        if neuron.output is not None and neuron.activation != "linear":
            names[neuron.output] = f"{prefix}out"
        return {i: name for i, name in names.items() if not order[i].label}

    def name_all(
        self, reading: Sequence[int]
    ) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        order = self.builder.order
        names = [""] * len(order)
        kinds = [""] * len(order)
        for i in reading:
            names[i], kinds[i] = self.name(i, names)
        refs = tuple(_reference(name, kind) for name, kind in zip(names, kinds))
        numbers = tuple(_bracketed(name) for name in names)
        return tuple(names), refs, numbers

    def name(self, i: int, names: list[str]) -> tuple[str, str]:
        """Node i's name, and its kind: label, part, constant, formula or numbered."""
        node = self.builder.order[i]
        if node.label:
            return node.label, "label"
        if i in self.part_names and self.part_names[i] not in self.taken:
            return self.claim(self.part_names[i]), "part"
        if not node.children:
            return format_number(node.data), "constant"
        formula = _expression(node.op, [names[j] for j in self.builder.children[i]])
        if len(formula) <= LONGEST_EXPRESSION_NAME and formula not in self.taken:
            return self.claim(formula), "formula"
        return self.claim(self.numbered(_op_word(node.op))), "numbered"

    def numbered(self, word: str) -> str:
        while True:
            self.counts[word] = self.counts.get(word, 0) + 1
            name = f"{word}{self.counts[word]}"
            if name not in self.taken:
                return name

    def claim(self, name: str) -> str:
        self.taken.add(name)
        return name


def _reference(name: str, kind: str) -> str:
    """The name as it stands before ``.grad``: ``(x1 * w1).grad``, ``(2.0).grad``, ``w1.grad``.

    A formula, a constant, or a label with spaces or operators in it gets brackets;
    a call like ``tanh(n)`` and the names made up here (``L1.N3.w·x+b``) do not.
    """
    if kind in ("part", "numbered") or _is_call(name):
        return name
    if kind in ("formula", "constant") or any(c in name for c in " +-*/") or name[:1].isdigit():
        return name if name.startswith("(") and _bracketed(name) == name else f"({name})"
    return name
