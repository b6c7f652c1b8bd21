"""The network view: the blame game drawn layer by layer, one node per neuron.

``draw_dot(loss, model=model, view="network")`` draws what a network diagram
shows, with the numbers of one forward and backward pass:

* a node per **input** of the network: its name, its number and its blame (a
  sum over one path per neuron of the first layer);
* a node per **neuron**: its name (``L1.N3``; with its output's label, ``L2.N1:
  guess``), its bias with its value (``b 0.0``), its output (``out``) and the
  blame of that output, and a row of **knob cells**, one per weight (``w1``,
  ``w2`` ...; the edge of that weight ends on it). Once backward has run, the
  bias and each weight cell are coloured by that knob's blame. (The activation
  is named in the steps' texts, to keep 8 neurons in a row within 1,000 px);
* a node for the **loss**, with its formula (``error = (guess - true price)²``),
  and a node for each constant it reads (``true price``);
* an edge per **weight**, from the value it multiplies to its knob cell: the
  thicker the line, the larger the weight; dashed when the weight is negative;
  grey until backward has run, then coloured by the weight's blame (red > 0,
  blue < 0, stronger = more blame, as in the values view). No edge carries text:
  24 labels between two layers cannot be matched to their lines on a projector.
  The player spells out the numbers of one route (``Focus``: by default the most
  blamed route from the loss down to a first-layer weight) and lists every knob's.

Layers are drawn bottom to top (``rankdir="BT"``, the story's "the facts go in
at the bottom"), so that a layer of 8 neurons fits a classroom projector;
``rankdir="LR"`` draws inputs and layers in columns, left to right.

It needs a model (a ``microgradx.nn`` MLP, Layer or Neuron) whose every knob is
used once in the graph: one example's pass, not a batch.

Ids in the SVG: an input or constant node ``value-{i}`` and the loss node
``value-{i}`` (i as in ``topological_order(root)``, as in the values view), a
neuron ``neuron-{l}-{n}`` (1-based), a weight's edge ``weight-{i}`` (i: the
weight's index), the edge from a last-layer neuron or a constant to the loss
``to-loss-{i}`` (i: the index of the value that flows). Each layer is one rank
(a row, or a column with ``rankdir="LR"``), its neurons in order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from microgradx.graph import (
    Drawing,
    GraphTooLargeError,
    Slot,
    blame_texts,
    cell,
    new_graph,
    reserved_blame_texts,
    reserved_number_texts,
)
from microgradx.labels import (
    NEGATIVE_BLAME_COLOUR,
    NO_BLAME_COLOUR,
    POSITIVE_BLAME_COLOUR,
    ROLE_COLOURS,
    blame_colour,
    blame_strength,
    format_number,
    mix_colour,
    visible_text,
)
from microgradx.messages import quoted
from microgradx.op_texts import _expression
from microgradx.snapshot import LONGEST_EXPRESSION_NAME, GraphSnapshot, NeuronParts

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from microgradx.engine import Value

NO_BLAME_STROKE = (0xB4, 0xB4, 0xB4)
"""A weight's line before its blame is known; blame mixes it towards red or blue."""
FONT_SIZE = 10
"""Points, for every text of the network view: 13.3 pixels in a browser at natural size."""
PADDING = 2
"""The cellpadding of its tables."""
THINNEST_LINE = 0.8
THICKEST_LINE = 4.5
_PORT_SIDE = {"BT": "s", "TB": "n", "LR": "w", "RL": "e"}
_OUT_SIDE = {"BT": "n", "TB": "s", "LR": "e", "RL": "w"}


@dataclass(frozen=True)
class NetworkShape:
    """Where the network sits in a graph: its layers, inputs and loss."""

    layers: tuple[tuple[NeuronParts, ...], ...]
    inputs: tuple[int, ...]
    """The values the first layer reads, in the order of its weights."""
    before: tuple[int, ...]
    """Computed nodes the inputs are made from (drawn folded into the inputs)."""
    loss_part: tuple[int, ...]
    """Computed nodes after the network, in reading order (drawn as one loss node)."""
    loss_constants: tuple[int, ...]
    """Leaves the loss reads besides the network's outputs (``true price``)."""
    stage: tuple[int, ...]
    """Per node: 0 before the network, l for layer l, len(layers) + 1 for the loss."""


@dataclass(frozen=True)
class Focus:
    """The one route whose chain rule the player spells out, from the loss down.

    ``route[0]`` is (an output neuron, the slot of its weight on the route);
    each next pair is the neuron that weight reads from, and its weight. The last
    weight is a first-layer weight: the one whose blame is written out in full.
    """

    route: tuple[tuple[NeuronParts, int], ...]

    @property
    def weight(self) -> int:
        neuron, slot = self.route[-1]
        return neuron.weights[slot]

    def weights(self) -> set[int]:
        return {neuron.weights[slot] for neuron, slot in self.route}


def network_shape(snapshot: GraphSnapshot, model: Any) -> NetworkShape:
    """The layers of ``model`` found in the graph, or a clear error saying why not."""
    name = type(model).__name__
    if not snapshot.model_layers:
        raise ValueError(
            f"view='network' draws a model's neurons, but the model ({name}) has none "
            "that it can find: pass a microgradx.nn MLP, Layer or Neuron."
        )
    found = {(n.layer, n.number): n for n in snapshot.neurons}
    layers = []
    for layer, size in enumerate(snapshot.model_layers, start=1):
        missing = [f"L{layer}.N{n}" for n in range(1, size + 1) if (layer, n) not in found]
        if missing:
            raise ValueError(
                f"view='network' needs the graph of one pass through the model, but "
                f"{', '.join(missing[:3])} of the model {'is' if len(missing) == 1 else 'are'} "
                "not in this graph. Pass the model that computed this output."
            )
        layers.append(tuple(found[(layer, n)] for n in range(1, size + 1)))
    for neuron in snapshot.neurons:
        for knob in (*neuron.weights, *([neuron.bias] if neuron.bias is not None else [])):
            if snapshot.paths[knob] != 1:
                raise ValueError(
                    f"view='network' draws one use of each knob, but "
                    f"{quoted(snapshot.names[knob])} is used {snapshot.paths[knob]} times in "
                    "this graph (a batch of examples, or a penalty on the knobs?). Draw the "
                    "loss of one example: draw_dot(loss_of_one_example, model=model, "
                    "view='network'), or use the values view."
                )
        if neuron.output is None or None in neuron.inputs:
            raise ValueError(
                f"view='network' cannot find the weighted sum and output of neuron "
                f"{neuron.name} in this graph; use the values view (view='values')."
            )
    inputs = tuple(dict.fromkeys(j for n in layers[0] for j in n.inputs if j is not None))
    outputs = {n.output: n for layer in layers for n in layer}
    for upper in layers[1:]:
        for neuron in upper:
            strays = [j for j in neuron.inputs if j is not None and j not in outputs]
            if strays:
                raise ValueError(
                    f"view='network' draws each layer reading the layer below it, but "
                    f"{neuron.name} reads {quoted(snapshot.names[strays[0]])}, which is not "
                    "a neuron's output; use the values view (view='values')."
                )
    stage = _stages(snapshot, layers)
    last = len(layers) + 1
    loss_part = tuple(i for i in snapshot.forward_order if stage[i] == last)
    constants = tuple(
        dict.fromkeys(
            j for i in loss_part for j in snapshot.children[i] if not snapshot.children[j]
        )
    )
    before = tuple(i for i in snapshot.forward_order if stage[i] == 0)
    return NetworkShape(tuple(layers), inputs, before, loss_part, constants, tuple(stage))


def _stages(snapshot: GraphSnapshot, layers: Sequence[Sequence[NeuronParts]]) -> list[int]:
    """Which part of the drawing holds each node: 0 inputs, l layer l, L+1 the loss."""
    stage = [0] * len(snapshot.values)
    for layer in layers:
        for neuron in layer:
            for i in neuron.members:
                stage[i] = neuron.layer
    last = len(layers) + 1
    in_network = set(snapshot.neuron_of)
    readers: list[list[int]] = [[] for _ in snapshot.values]
    for i, children in enumerate(snapshot.children):  # topological order: inputs first
        for j in children:
            readers[j].append(i)
        if i not in in_network and any(j in in_network or stage[j] == last for j in children):
            stage[i] = last
    for i, children in enumerate(snapshot.children):  # the constants the loss reads
        loose = not children and i not in in_network and readers[i]
        if loose and all(stage[p] == last for p in readers[i]):
            stage[i] = last
    return stage


def network_names(snapshot: GraphSnapshot, shape: NetworkShape) -> list[str]:
    """What the network view calls each node, so that its texts name what it draws.

    A neuron's unlabelled output is ``L1.N3.out`` (its node shows "L1.N3" and
    "out"), also when the neuron is linear; the loss's unlabelled steps are named
    by their formulas again with those names.
    """
    names = list(snapshot.names)
    for layer in shape.layers:
        for neuron in layer:
            out = neuron.output
            if out is not None and not snapshot.labels[out]:
                names[out] = "out" if neuron.name == "neuron" else f"{neuron.name}.out"
    for i in shape.loss_part:
        children = snapshot.children[i]
        was = _expression(snapshot.ops[i], [snapshot.names[j] for j in children])
        if snapshot.labels[i] or snapshot.names[i] != was:
            continue
        formula = _expression(snapshot.ops[i], [names[j] for j in children])
        if len(formula) <= LONGEST_EXPRESSION_NAME:
            names[i] = formula
    return names


def loss_title(snapshot: GraphSnapshot, shape: NetworkShape, names: Sequence[str]) -> str:
    """The loss node's title: ``error = (guess - true price)²``, written from what is drawn."""
    root = snapshot.root
    inside = set(shape.loss_part)
    formula: dict[int, str] = {}
    for i in shape.loss_part:
        operands = [formula[j] if j in inside else names[j] for j in snapshot.children[i]]
        formula[i] = _expression(snapshot.ops[i], operands)
    text = formula.get(root, "")
    if not text or len(text) > 60 or text == names[root]:
        return names[root]
    return f"{names[root]} = {text}"


def choose_focus(
    snapshot: GraphSnapshot, shape: NetworkShape, weight: Value | None = None
) -> Focus:
    """The route to spell out: through ``weight`` if given, else the most blamed one.

    From the output neuron with the most blame, each step down takes the weight
    with the largest blame (ties: the first), until a first-layer weight. With
    ``weight`` (a weight of the model), the route is that weight's neuron, and above
    it the weights from it that carry the most blame.
    """
    blame = snapshot.blame
    by_output = {n.output: n for layer in shape.layers for n in layer}
    if weight is None:
        top = max(shape.layers[-1], key=lambda n: abs(blame[n.output or 0]))
        route = []
        neuron = top
        while True:
            slot = max(range(len(neuron.weights)), key=lambda k: abs(blame[neuron.weights[k]]))
            route.append((neuron, slot))
            source = neuron.inputs[slot]
            if neuron.layer == 1 or source not in by_output:
                break
            neuron = by_output[source]
        return Focus(tuple(route))
    index = snapshot.index.get(weight)
    owner = next((n for layer in shape.layers for n in layer if index in n.weights), None)
    if index is None or owner is None:
        raise ValueError(
            f"focus must be one of the model's weights, got {quoted(weight)}. "
            "Pass e.g. focus=model.layers[0].neurons[2].w[0]."
        )
    route = [(owner, owner.weights.index(index))]
    neuron = owner
    while neuron.layer < len(shape.layers):
        readers = [
            (n, n.inputs.index(neuron.output))
            for n in shape.layers[neuron.layer]
            if neuron.output in n.inputs
        ]
        reader, slot = max(readers, key=lambda pair: abs(blame[pair[0].weights[pair[1]]]))
        route.insert(0, (reader, slot))
        neuron = reader
    return Focus(tuple(route))


def stroke_colour(grad: float | None, largest: float) -> str:
    """A weight's line: grey before its blame is known, then mixed towards red or blue.

    (The player's script has the same function, ``strokeColour``.)
    """
    if grad is None or grad == 0.0 or largest == 0.0 or math.isnan(grad):
        return mix_colour(NO_BLAME_STROKE, NO_BLAME_STROKE, 0.0)
    full = POSITIVE_BLAME_COLOUR if grad > 0.0 else NEGATIVE_BLAME_COLOUR
    return mix_colour(NO_BLAME_STROKE, full, blame_strength(grad, largest))


def _cell(
    text: str | Sequence[str], *, fill: str, reserve: Sequence[str] = (), bold: bool = False
) -> str:
    return cell(text, fill=fill, reserve=reserve, bold=bold, font_size=FONT_SIZE, padding=PADDING)


def weight_edge_id(weight: int) -> str:
    return f"weight-{weight}"


class NetworkView:
    """Turns a snapshot and its model into the network view's DOT text and slots."""

    def __init__(
        self,
        snapshot: GraphSnapshot,
        model: Any,
        *,
        progressive: bool,
        legend: bool,
        max_nodes: int | None,
        focus: Value | None,
        live: bool = False,
    ) -> None:
        self.snapshot = snapshot
        self.live = live  # the live lab: every cell showing a number has room for any number
        self.shape = network_shape(snapshot, model)
        self.names = network_names(snapshot, self.shape)
        self.progressive = progressive
        self.legend = legend
        self.blame = snapshot.blame_to_show(progressive)
        self.largest_blame = max(abs(b) for b in self.blame) if self.blame else 0.0
        self.focus = choose_focus(snapshot, self.shape, focus) if self.blame else None
        self.slots: dict[str, list[Slot]] = {}
        weights = [w for layer in self.shape.layers for n in layer for w in n.weights]
        self.largest_weight = max((abs(snapshot.data[w]) for w in weights), default=0.0)
        self.check_size(max_nodes, len(weights))

    def check_size(self, max_nodes: int | None, edges: int) -> None:
        nodes = len(self.shape.inputs) + sum(len(layer) for layer in self.shape.layers) + 2
        if max_nodes is not None and nodes + edges > max_nodes:
            raise GraphTooLargeError(
                f"This network view is too large to lay out quickly: {nodes} nodes and "
                f"{edges} weights, more than max_nodes={max_nodes}. Draw a smaller model, "
                f"or raise the limit and wait: max_nodes={nodes + edges}."
            )

    def build(self, format: str, rankdir: str) -> Drawing:
        self.rankdir = rankdir
        graph = new_graph(format, rankdir, nodesep="0.06", ranksep="0.3")
        graph.node_attr["fontsize"] = str(FONT_SIZE)
        if self.legend:
            graph.attr(label=self.legend_label(), labelloc="t", labeljust="l")
        with graph.subgraph(name="inputs") as row:
            row.attr(rank="same")
            for i in self.shape.inputs:
                row.node(f"v{i}", label=self.value_label(i), id=f"value-{i}", shape="plain")
        for layer in self.shape.layers:
            self.add_layer(graph, layer)
        self.add_loss(graph)
        for layer in self.shape.layers:
            for neuron in layer:
                self.add_weight_edges(graph, neuron)
        return Drawing(
            graph, self.snapshot, "network", self.slots, focus=self.focus, holders=self.holders()
        )

    def holders(self) -> dict[str, int]:
        """The groups that stand for one node: inputs, constants and the loss, and each
        neuron (for its output). Knob cells carry their own numbers (``Slot.holds``)."""
        holders = {
            group: slots[0].node
            for group, slots in self.slots.items()
            if group.startswith("value-")
        }
        for layer in self.shape.layers:
            for neuron in layer:
                assert neuron.output is not None  # checked by network_shape
                holders[f"neuron-{neuron.layer}-{neuron.number}"] = neuron.output
        return holders

    # --- nodes ---------------------------------------------------------

    def value_label(self, i: int, title: str | None = None) -> str:
        """An input, a constant or the loss: its name and number, and below, its blame."""
        snapshot = self.snapshot
        role = snapshot.roles[i]
        fill = ROLE_COLOURS["input" if role == "constant" else role]
        slots = self.slots.setdefault(f"value-{i}", [])
        name = title or snapshot.names[i]
        slots.append(Slot("name", i, visible_text(name)))
        data = f"data {format_number(snapshot.data[i])}"
        slots.append(Slot("data", i, data, prefix="data "))
        roomy = reserved_number_texts("data ", self.live)
        top = [_cell(name, fill=fill, bold=True), _cell(data, fill=fill, reserve=roomy)]
        if title:  # the loss: its formula is long, so its number goes below it
            rows = [top[:1], [top[1], self.blame_cell(i, slots)]]
        else:
            rows = [top, [self.blame_cell(i, slots)]]
        return f"<{_grid(rows, border=0)}>"

    def blame_cell(self, i: int, slots: list[Slot]) -> str:
        blame = None if self.blame is None else self.blame[i]
        first, second = blame_texts(self.snapshot, i, blame)
        reserve = reserved_blame_texts(self.snapshot, i, self.live) if self.progressive else ()
        fill = NO_BLAME_COLOUR if blame is None else blame_colour(blame, self.largest_blame)
        slots.append(Slot("blame", i, first, fill=NO_BLAME_COLOUR))
        if second:
            slots.append(Slot("paths", i, second))
        return _cell([first, second] if second else first, fill=fill, reserve=reserve)

    def add_layer(self, graph: Any, layer: Sequence[NeuronParts]) -> None:
        """A layer's neurons side by side (one rank), in order."""
        with graph.subgraph(name=f"layer{layer[0].layer}") as row:
            row.attr(rank="same")
            for neuron in layer:
                row.node(
                    _neuron_node(neuron),
                    label=self.neuron_label(neuron),
                    id=f"neuron-{neuron.layer}-{neuron.number}",
                    shape="plain",
                )
            for left, right in zip(layer, layer[1:]):
                row.edge(_neuron_node(left), _neuron_node(right), style="invis")

    def neuron_label(self, neuron: NeuronParts) -> str:
        """Name and bias, output, its blame; and a cell per weight, where its edge ends.

        In the live lab, where each number needs room for any number, the bias gets a
        row of its own, so that a layer of 8 neurons still fits a classroom screen.
        """
        snapshot = self.snapshot
        out = neuron.output
        assert out is not None  # checked by network_shape
        slots = self.slots.setdefault(f"neuron-{neuron.layer}-{neuron.number}", [])
        title = neuron.name
        if snapshot.labels[out]:
            title = f"{neuron.name}: {snapshot.labels[out]}"
        role_fill = ROLE_COLOURS["output" if out == snapshot.root else "intermediate"]
        knob_fill = ROLE_COLOURS["parameter"]
        top = [_cell(title, fill=role_fill, bold=True)]
        slots.append(Slot("name", out, visible_text(title)))
        if neuron.bias is not None:
            text = f"b {format_number(snapshot.data[neuron.bias])}"
            top.append(self.knob_cell(neuron.bias, text, port="b", prefix="b "))
            slots.append(Slot("data", neuron.bias, text, fill=knob_fill, prefix="b ", holds=True))
        data = f"out {format_number(snapshot.data[out])}"
        slots.append(Slot("data", out, data, prefix="out "))
        out_cell = _cell(data, fill=role_fill, reserve=reserved_number_texts("out ", self.live))
        rows = [top] if not self.live else [[cell] for cell in top]  # the lab: the bias below
        body = [*rows, [out_cell], [self.blame_cell(out, slots)]]
        knobs = []
        for k, w in enumerate(neuron.weights, start=1):
            text = f"w{k}"
            knobs.append(self.knob_cell(w, text, port=f"w{k}"))
            slots.append(Slot("name", w, text, fill=knob_fill, holds=True))
        frame = '<table border="1" cellborder="0" cellspacing="0" cellpadding="0" style="rounded">'
        if self.rankdir in ("LR", "RL"):
            knob_column = _grid([[knob] for knob in knobs], border=0)
            parts = [knob_column, _grid(body, border=0)]
            if self.rankdir == "RL":
                parts.reverse()
            return f"<{frame}<tr>{''.join(f'<td>{part}</td>' for part in parts)}</tr></table>>"
        rows = [*body, knobs] if self.rankdir == "BT" else [knobs, *body]
        return f"<{_grid(rows, border=1, rounded=True)}>"

    def knob_cell(self, knob: int, text: str, port: str, prefix: str = "") -> str:
        """A knob's cell: ``w1`` (its name) or, with a ``prefix``, its number: ``b 0.0``."""
        blame = None if self.blame is None else self.blame[knob]
        fill = (
            ROLE_COLOURS["parameter"] if blame is None else blame_colour(blame, self.largest_blame)
        )
        roomy = reserved_number_texts(prefix, self.live) if prefix else []
        return _cell(text, fill=fill, reserve=roomy).replace("<td ", f'<td port="{port}" ', 1)

    def add_loss(self, graph: Any) -> None:
        """The loss node, fed by the last layer and the constants the loss reads."""
        snapshot, shape = self.snapshot, self.shape
        root = snapshot.root
        if not shape.loss_part:
            return
        for j in shape.loss_constants:
            graph.node(f"v{j}", label=self.value_label(j), id=f"value-{j}", shape="plain")
            graph.edge(f"v{j}", f"v{root}", id=f"to-loss-{j}")
        title = loss_title(snapshot, shape, self.names)
        graph.node(
            f"v{root}", label=self.value_label(root, title), id=f"value-{root}", shape="plain"
        )
        side = _OUT_SIDE[self.rankdir]
        for neuron in shape.layers[-1]:
            out = neuron.output
            graph.edge(
                f"{_neuron_node(neuron)}:{side}", f"v{root}", id=f"to-loss-{out}", penwidth="1.2"
            )

    # --- edges ---------------------------------------------------------

    def add_weight_edges(self, graph: Any, neuron: NeuronParts) -> None:
        snapshot = self.snapshot
        side, out_side = _PORT_SIDE[self.rankdir], _OUT_SIDE[self.rankdir]
        by_output = {n.output: n for layer in self.shape.layers for n in layer}
        for k, (w, source) in enumerate(zip(neuron.weights, neuron.inputs), start=1):
            assert source is not None
            tail = (
                f"{_neuron_node(by_output[source])}:{out_side}"
                if source in by_output
                else f"v{source}"
            )
            weight = snapshot.data[w]
            blame = None if self.blame is None else self.blame[w]
            attributes = {
                "id": weight_edge_id(w),
                "penwidth": f"{self.line_width(weight):.2f}",
                "color": stroke_colour(blame, self.largest_blame),
                "arrowsize": "0.5",
            }
            if weight < 0.0:
                attributes["style"] = "dashed"
            slots = [Slot("stroke", w)]
            self.slots[weight_edge_id(w)] = slots
            graph.edge(tail, f"{_neuron_node(neuron)}:w{k}:{side}", **attributes)

    def line_width(self, weight: float) -> float:
        if self.largest_weight == 0.0:
            return THINNEST_LINE
        share = abs(weight) / self.largest_weight
        return THINNEST_LINE + (THICKEST_LINE - THINNEST_LINE) * share

    # --- legend --------------------------------------------------------

    def legend_label(self) -> str:
        positive, negative = blame_colour(1.0, 1.0), blame_colour(-1.0, 1.0)
        rows = [
            '<tr><td border="0" align="left">lines: one per weight; thicker = larger '
            "weight; dashed = negative weight</td></tr>"
        ]
        if self.blame is not None:
            rows.append(
                '<tr><td border="0" align="left">colours: blame, '
                f'<font color="{_darker(positive)}">red &gt; 0</font> (raising it raises '
                f'the output), <font color="{_darker(negative)}">blue &lt; 0</font> '
                "(raising it lowers it); stronger = more</td></tr>"
            )
        else:
            rows.append(
                '<tr><td border="0" align="left">blame not computed yet: call backward() '
                "on the output</td></tr>"
            )
        return f'<<table border="0" cellspacing="0" cellpadding="1">{"".join(rows)}</table>>'


def _darker(colour: str) -> str:
    """A darker shade of ``#rrggbb``, for text in that colour on white."""
    channels = [int(colour[k : k + 2], 16) for k in (1, 3, 5)]
    return "#" + "".join(f"{round(c * 0.7):02x}" for c in channels)


def _neuron_node(neuron: NeuronParts) -> str:
    return f"n{neuron.layer}_{neuron.number}"


def _grid(rows: Sequence[Sequence[str]], *, border: int, rounded: bool = False) -> str:
    """An HTML-like table of rows of ``<td>`` cells; a short row's first cell spans the rest."""
    columns = max(len(row) for row in rows)
    lines = []
    for row in rows:
        cells = list(row)
        if len(cells) < columns:
            span = columns - len(cells) + 1
            cells[0] = cells[0].replace("<td ", f'<td colspan="{span}" ', 1)
        lines.append(f"<tr>{''.join(cells)}</tr>")
    style = ' style="rounded"' if rounded else ""
    return (
        f'<table border="{border}" cellborder="1" cellspacing="0" '
        f'cellpadding="{PADDING}"{style}>{"".join(lines)}</table>'
    )
