"""The blame graph: a picture of a computation, with the blame backpropagation hands out.

``draw_dot(root)`` draws every Value that ``root`` was computed from:

* a **value node** per Value: its label (if any), its ``data``, and its gradient,
  shown as **blame**. Before ``root.backward()`` has run it reads "blame not
  computed yet" instead of a misleading 0. The test: ``root.grad == 0.0`` means
  backward has not run from this root, because ``backward()`` seeds the root's
  grad with 1.0 and ``zero_grad()`` sets it back to 0.0. (If backward ran from
  a later output, say a loss computed from ``root``, the blame shown is that
  output's, d loss / d value, which is what a lesson on a part of a loss wants.)
* an **op node** (``+``, ``*``, ``tanh``, ...) in front of every computed Value;
* an **edge** from each input to the op, labelled with the **local derivative**
  d(op result)/d(input). A reused input gets one edge per use (``a * a``: two).
  With ``show_passed_blame=True`` the edge also shows the blame it passed back:
  local derivative x the result's blame (the chain rule). The blame of a node is
  the sum over its outgoing edges.

Colours (the numbers are always printed too, so a grey-scale print loses nothing):

* the name and data cells are coloured by **role**: input or constant (grey),
  parameter (yellow, the knobs that training nudges; also drawn with a thick
  border), intermediate (white), output (green);
* the blame cell, once backward has run, by **blame**: red when the blame is
  positive (raising this value raises the output), blue when it is negative
  (raising it lowers the output), white at zero; the stronger the colour, the
  larger the blame compared with the largest one in the drawing.

A legend at the bottom repeats this. Parameters are known from ``parameters=``
or ``model=``; with a ``model`` (a ``microgradx.nn`` Neuron, Layer or MLP) the
nodes of each neuron are also grouped in a box, neurons inside a box per layer.
A neuron's box holds its parameters, every op computed directly from them (the
weighted sum ``w . x`` and the ``+ b``, or a chain of ``+`` over ``w_i * x_i``),
the ops computed only from those, and one activation (a one-input op) applied
to the result. Anything that mixes neurons, like the loss, stays outside. An op
node always sits next to its result.

Large graphs take Graphviz long to lay out, so ``draw_dot`` first counts the
nodes it would lay out (``layout_size``) and raises ``GraphTooLargeError``
above ``max_nodes`` (``DEFAULT_MAX_NODES``), with advice on how to proceed.

Names and ids are fixed, so that other tools can find things in the SVG. With i
the Value's index in ``topological_order(root)``: value node ``v{i}`` with
``id="value-{i}"``; its op node ``v{i}_op`` with ``id="op-{i}"``; the edge from
value j into op i as its k-th input (0-based) ``id="edge-{j}-{i}-{k}"``; the edge
from op i to value i ``id="edge-op-{i}"``; boxes ``id="layer-{l}"`` and
``id="neuron-{l}-{n}"`` (1-based). The same graph built twice gives the same DOT
text, byte for byte.
"""

from __future__ import annotations

import os
import unicodedata
from numbers import Integral
from pathlib import Path

import graphviz

from microgradx.engine import Value, topological_order
from microgradx.files import write_atomically
from microgradx.messages import PATH_LIMIT, quoted
from microgradx.render import (
    Renderer,
    RendererNotFoundError,
    RenderError,
    UnsupportedFormatError,
    render_dot,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, Union

    PathLike = Union[str, "os.PathLike[str]"]

RANKDIRS = ("LR", "TB", "RL", "BT")
"""Layout directions: left to right, top to bottom, right to left, bottom to top."""

DEFAULT_MAX_NODES = 2500
"""The size guard: more nodes to lay out than this raises GraphTooLargeError.

It counts what Graphviz lays out (``layout_size``): the drawn value and op nodes
plus the hidden ones it adds along edges. Layout time grows faster than that
number. CPU seconds for SVG, system dot 2.43 / graphviz-pure 0.2.2, measured
with docs/measure_renderers.py: 0.03 / 0.02 s at 120 nodes to lay out (57
drawn), 0.4 / 0.4 s at 1,450, 1.0 / 0.6 s at 2,600, 1.5 / 1.5 s at 2,700,
6.4 / 2.9 s at 4,500, 19 / 6 s at 7,300. 2,500 keeps a drawing near a second:
an MLP(4, [16, 16, 1]) on one example fits. Drawn nodes alone are no guide: a
chain of 40 steps sharing one weight draws 282 nodes but lays out 9,960, and
dot takes more than two minutes.
"""

SAVE_FORMATS = {".svg": "svg", ".png": "png", ".jpg": "jpg", ".jpeg": "jpeg", ".pdf": "pdf"}
"""File formats ``render()`` writes, by file name suffix. PDF needs the system Graphviz
``dot``; graphviz-pure writes the others."""

ROLE_COLOURS = {
    "input": "#e6e6e6",
    "parameter": "#ffe680",
    "intermediate": "#ffffff",
    "output": "#b8e6b0",
}
ROLE_NAMES = {
    "input": "input or constant",
    "parameter": "parameter",
    "intermediate": "intermediate",
    "output": "output",
}
POSITIVE_BLAME_COLOUR = (0xEF, 0x8A, 0x62)
"""Fill for the largest positive blame; smaller blame mixes it with white."""
NEGATIVE_BLAME_COLOUR = (0x67, 0xA9, 0xCF)
"""Fill for the largest negative blame (blue and red stay distinct for colour-blind readers)."""

FONT = "Helvetica"
"""One font name, not a list: graphviz-pure sizes text with built-in metrics for
Helvetica, Times and a few others, and falls back to Times for unknown names."""


class GraphTooLargeError(ValueError):
    """The graph has more nodes than ``max_nodes``: laying it out would take too long."""


# ----------------------------------------------------------------------
# The public API
# ----------------------------------------------------------------------


def draw_dot(
    root: Value,
    format: str = "svg",
    rankdir: str = "LR",
    *,
    parameters: Value | Iterable[Value] | None = None,
    model: Any = None,
    show_passed_blame: bool = False,
    legend: bool = True,
    max_nodes: int | None = DEFAULT_MAX_NODES,
) -> BlameGraph:
    """The blame graph of ``root`` as a ``graphviz.Digraph`` (see the module docstring).

    ``format`` and ``rankdir`` are as in micrograd's ``draw_dot``. ``parameters``
    (a Value or a list of Values) and ``model`` (anything with ``.parameters()``)
    mark the knobs; a ``model`` also groups nodes per neuron and layer.
    ``max_nodes=None`` turns the size guard off. In a notebook the result shows
    itself as SVG.
    """
    if not isinstance(root, Value):
        raise TypeError(
            f"draw_dot() draws a Value, got {type(root).__name__} {quoted(root)}. "
            "Pass the output of a computation, e.g. draw_dot(loss)."
        )
    if rankdir not in RANKDIRS:
        raise ValueError(
            f"rankdir must be one of {', '.join(RANKDIRS)} (left to right, top to bottom, "
            f"right to left, bottom to top), got {quoted(rankdir)}."
        )
    max_nodes = _checked_max_nodes(max_nodes)
    order = topological_order(root)
    _check_size(order, max_nodes)
    knobs = set(_checked_values(parameters, "parameters"))
    layers: list[list[Any]] = []
    if model is not None:
        knobs.update(_model_parameters(model))
        layers = _neurons_per_layer(model)
    layer_boxes = not hasattr(model, "w")  # a bare neuron gets no layer box
    builder = _BlameGraphBuilder(order, knobs, layers, layer_boxes, show_passed_blame, legend)
    return builder.build(format, rankdir)


def render(
    root: Value,
    path: PathLike,
    *,
    renderer: Renderer | None = None,
    timeout: float | None = None,
    **draw_options: Any,
) -> Path:
    """Draw the blame graph of ``root`` into the file ``path``; return its path.

    The format follows the suffix: ``.svg``, ``.png``, ``.jpg``/``.jpeg`` or ``.pdf``
    (PDF needs the system Graphviz). ``draw_options`` go to ``draw_dot`` (``rankdir``,
    ``model``, ...); ``renderer`` defaults to ``find_renderer()``; ``timeout`` is the
    renderer's time limit in seconds (see ``microgradx.render.render_timeout``). The
    file is replaced in one step: on any error the old file, if any, is unchanged.
    """
    return draw_dot(root, **draw_options).write(path, renderer=renderer, timeout=timeout)


class BlameGraph(graphviz.Digraph):
    """A ``graphviz.Digraph`` that draws with the renderer microgradx finds.

    It renders with ``find_renderer()`` (so ``pip install`` alone is enough),
    writes a file by its suffix with ``write()``, and shows itself inline in Jupyter,
    or, with no renderer, a plain-text note on how to get one. Its ``render()``,
    ``pipe()`` and ``save()`` take graphviz's arguments but run microgradx's
    renderer, with its time and output limits, and write every file in one step
    (``microgradx.files.write_atomically``).
    """

    def write(
        self, path: PathLike, renderer: Renderer | None = None, *, timeout: float | None = None
    ) -> Path:
        """Write the drawing to ``path`` (``.svg``, ``.png``, ``.jpg``, ``.jpeg`` or ``.pdf``);
        return the path. On any error the old file, if any, is unchanged."""
        path = Path(path)
        file_format = SAVE_FORMATS.get(path.suffix.lower())
        if file_format is None:
            raise UnsupportedFormatError(
                f"Cannot save a blame graph as {quoted(str(path), PATH_LIMIT)}: the file name "
                f"must end in {', '.join(SAVE_FORMATS)} (.pdf needs the system Graphviz)."
            )
        write_atomically(path, render_dot(self.source, file_format, renderer, timeout=timeout))
        return path

    def pipe(
        self,
        format: str | None = None,
        renderer: str | Renderer | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        *,
        engine: str | None = None,
        encoding: str | None = None,
    ) -> Any:
        """``graphviz.Digraph.pipe``: the drawing as bytes (or text, given an ``encoding``),
        drawn by microgradx's renderer (``renderer`` may be a ``microgradx.render.Renderer``).
        """
        chosen = self._our_renderer(renderer, formatter, neato_no_op, engine)
        data = render_dot(self.source, format or self.format, chosen)
        return data.decode(encoding) if encoding is not None else data

    def save(
        self,
        filename: PathLike | None = None,
        directory: PathLike | None = None,
        *,
        skip_existing: bool | None = False,
    ) -> str:
        """``graphviz.Digraph.save``: write the DOT text to ``directory/filename``, in one step."""
        if filename is not None:
            self.filename = os.fspath(filename)
        if directory is not None:
            self.directory = os.fspath(directory)
        filepath = str(self.filepath)
        if skip_existing and os.path.exists(filepath):
            return filepath
        Path(filepath).parent.mkdir(parents=True, exist_ok=True)
        write_atomically(filepath, self.source.encode(self.encoding))
        return filepath

    def render(
        self,
        filename: PathLike | None = None,
        directory: PathLike | None = None,
        view: bool = False,
        cleanup: bool = False,
        format: str | None = None,
        renderer: str | Renderer | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        quiet_view: bool = False,
        *,
        outfile: PathLike | None = None,
        engine: str | None = None,
        raise_if_result_exists: bool = False,
        overwrite_source: bool = False,
    ) -> str:
        """``graphviz.Digraph.render``, with microgradx's renderer; return the picture's path.

        The files are graphviz's: the DOT text goes to ``directory/filename``
        (default ``BlameGraph.gv``) and the picture beside it with the format appended
        (``BlameGraph.gv.svg``), or to ``outfile`` (its format from its suffix unless
        ``format`` is given). Both are written in one step each, after the drawing
        has succeeded, so a failed render leaves every file as it was; with
        ``cleanup=True`` the DOT text is not written at all. ``view=True`` opens
        the picture in the system's viewer, as graphviz does. ``quiet`` is
        accepted and has no effect (the renderer's messages only appear in errors).
        """
        chosen = self._our_renderer(renderer, formatter, neato_no_op, engine)
        folder = Path(os.fspath(directory if directory is not None else self.directory))
        if outfile is not None:
            picture = Path(os.fspath(outfile))
            if directory is None:
                picture = Path(self.directory) / picture
            picture_format = format or picture.suffix[1:].lower()
            if not picture_format:
                raise ValueError(
                    f"Cannot tell the format of outfile {quoted(str(picture), PATH_LIMIT)} from "
                    "its suffix: pass format='svg' (or 'png', ...) or name it e.g. graph.svg."
                )
            name = (
                os.fspath(filename)
                if filename is not None
                else os.fspath(Path(os.fspath(outfile)).with_suffix(".gv"))
            )
            source = folder / name
        else:
            name = os.fspath(filename) if filename is not None else self.filename
            source = folder / name
            picture_format = format or self.format
            picture = Path(f"{os.fspath(source)}.{picture_format}")
        if raise_if_result_exists and picture.exists():
            raise graphviz.FileExistsError(
                f"output file exists: {quoted(str(picture), PATH_LIMIT)}"
            )
        if not overwrite_source and picture.resolve() == source.resolve():
            raise ValueError(
                f"outfile {quoted(picture.name)} must be different from the DOT file "
                f"{quoted(source.name)} (pass overwrite_source=True to override)."
            )
        drawing = render_dot(self.source, picture_format, chosen)
        if not cleanup:
            source.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(source, self.source.encode(self.encoding))
        picture.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(picture, drawing)
        self.filename = name
        if directory is not None:
            self.directory = os.fspath(directory)
        if view or quiet_view:
            self._view(picture, format=picture_format, quiet=quiet_view)
        return os.fspath(picture)

    @staticmethod
    def _our_renderer(
        renderer: str | Renderer | None,
        formatter: str | None,
        neato_no_op: bool | int | None,
        engine: str | None,
    ) -> Renderer | None:
        """The microgradx Renderer to use (None: find one), refusing graphviz options it lacks."""
        unsupported = [
            f"{name}={quoted(value)}"
            for name, value in (
                ("renderer", None if isinstance(renderer, Renderer) else renderer),
                ("formatter", formatter),
                ("neato_no_op", neato_no_op or None),
                ("engine", None if engine in (None, "dot") else engine),
            )
            if value is not None
        ]
        if unsupported:
            raise ValueError(
                f"A blame graph is laid out by dot and drawn by microgradx's renderer, "
                f"which does not take {', '.join(unsupported)}. For other graphviz options, "
                "use graphviz.Source(graph.source) with a system Graphviz."
            )
        return renderer if isinstance(renderer, Renderer) else None

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **_: Any
    ) -> dict[str, str]:
        """What Jupyter shows: the SVG, or a plain-text explanation of what is missing."""
        try:
            return {"image/svg+xml": render_dot(self.source, "svg").decode("utf-8")}
        except RendererNotFoundError as error:
            return {"text/plain": f"The blame graph cannot be drawn here.\n{error}"}
        except (RenderError, UnsupportedFormatError) as error:
            return {"text/plain": f"The blame graph could not be drawn.\n{error}"}

    def _repr_svg_(self) -> str | None:
        """The SVG for front ends that ask for it directly, or None when it cannot be drawn."""
        return self._repr_mimebundle_().get("image/svg+xml")


# ----------------------------------------------------------------------
# Text: one escaping helper for all user text, and number formatting
# ----------------------------------------------------------------------

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def escape_text(text: str) -> str:
    """``text`` made safe to appear, literally, inside a Graphviz HTML-like label.

    * Invisible characters (control characters, lone surrogates, non-characters
      and bidi overrides) become visible Python escapes: a newline shows as ``\\n``.
      Graphviz would drop them or write invalid XML.
    * A backslash is doubled: Graphviz replaces ``\\N``, ``\\G`` ... with node and
      graph names even inside HTML-like labels.
    * ``& < > "`` become XML entities, so ``<b>`` or ``{a|b}`` is shown, not parsed;
      so does ``]`` (dot 2.43 rejects a label whose text is only ``]``).
    """
    visible = "".join(_visible(character) for character in text)
    return (
        visible.replace("\\", "\\\\")
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("]", "&#93;")
    )


def _visible(character: str) -> str:
    category = unicodedata.category(character)
    if category in ("Cc", "Cs") or character in _BIDI_CONTROLS or character in "\ufffe\uffff":
        return repr(character)[1:-1]
    return character


def format_number(x: float) -> str:
    """``x`` with 4 significant digits, always with a decimal point or exponent.

    ``2.0`` (not ``2``), ``6.881``, ``-0.7071``, ``1.235e+06``; ``-0.0`` shows as ``0.0``.
    """
    text = f"{float(x) + 0.0:.4g}"
    if "." in text or "e" in text or "n" in text:
        return text
    return text + ".0"


# ----------------------------------------------------------------------
# Checks
# ----------------------------------------------------------------------


def _check_size(order: list[Value], max_nodes: int | None) -> None:
    """Refuse to lay out more than ``max_nodes`` nodes (see ``layout_size``)."""
    drawn, hidden = layout_size(order)
    if max_nodes is None or drawn + hidden <= max_nodes:
        return
    raise GraphTooLargeError(
        f"This blame graph is too large to lay out quickly: Graphviz would place "
        f"{drawn + hidden} nodes, more than max_nodes={max_nodes}. That is {drawn} "
        f"drawn nodes (values and ops) plus {hidden} hidden ones it adds along edges "
        "(one per edge label, and one per step an edge skips: a value used far from "
        "where it was made, like a weight shared by every step of a long chain, adds "
        "many). Layout time grows fast with this number: about a second at 2,500, "
        "20 seconds at 7,000, minutes at 10,000. To proceed, draw a smaller "
        "part: draw_dot(v) for a value nearer the inputs, the loss of one example "
        "instead of a batch, or fewer steps of a chain. Or raise the limit and wait: "
        f"draw_dot(root, max_nodes={drawn + hidden})."
    )


def layout_size(order: list[Value]) -> tuple[int, int]:
    """How many nodes Graphviz lays out for this graph: (drawn, hidden).

    ``drawn`` counts value and op nodes. ``hidden`` estimates the nodes that
    Graphviz's ``dot`` adds. It places nodes in ranks (columns, when drawn left
    to right). Because edges carry labels, it puts a label rank between any two
    ranks, so an edge spans at least 2 ranks and gets a hidden node in each rank
    it crosses (the first one holds its label). Ranks are estimated as ``dot``
    places them: an op 2 ranks after its latest input, its value 2 after the op,
    and an input leaf 2 ranks before its first use.
    """
    value_rank: dict[Value, int] = {}
    for node in order:
        if node.children:
            value_rank[node] = max(value_rank.get(child, 0) for child in node.children) + 4
    leaf_rank: dict[Value, int] = {}
    for node in order:
        for child in node.children:
            if not child.children:
                first_use = value_rank[node] - 4
                leaf_rank[child] = min(leaf_rank.get(child, first_use), first_use)
    hidden = 0
    for node in order:
        if node.children:
            op_rank = value_rank[node] - 2
            hidden += 1  # the edge from the op to its value
            for child in node.children:
                child_rank = value_rank[child] if child.children else leaf_rank[child]
                hidden += op_rank - child_rank - 1
    ops = len(value_rank)
    return len(order) + ops, hidden


def _checked_max_nodes(max_nodes: object) -> int | None:
    """``max_nodes`` as an int (None: no limit), or a clear error."""
    if max_nodes is None:
        return None
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, Integral) or max_nodes < 1:
        raise ValueError(
            f"max_nodes must be a whole number of nodes >= 1 (or None for no limit), "
            f"got {type(max_nodes).__name__} {quoted(max_nodes)}."
        )
    return int(max_nodes)


def _checked_values(values: object, name: str) -> list[Value]:
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


def _model_parameters(model: Any) -> list[Value]:
    if not callable(getattr(model, "parameters", None)):
        raise TypeError(
            f"model must be a microgradx.nn module (something with .parameters()), "
            f"got {type(model).__name__}. To mark knobs without a model, pass parameters=."
        )
    return _checked_values(model.parameters(), "model.parameters()")


def _neurons_per_layer(model: Any) -> list[list[Any]]:
    """The model's neurons, layer by layer: an MLP has .layers, a Layer .neurons."""
    if hasattr(model, "layers"):
        return [list(layer.neurons) for layer in model.layers]
    if hasattr(model, "neurons"):
        return [list(model.neurons)]
    if hasattr(model, "w"):
        return [[model]]
    return []


def _neuron_parameters(neuron: Any) -> list[Value]:
    bias = getattr(neuron, "b", None)
    return list(neuron.w) + ([bias] if bias is not None else [])


# ----------------------------------------------------------------------
# Building the DOT text
# ----------------------------------------------------------------------


class _BlameGraphBuilder:
    """Turns the nodes of one graph, in topological order, into a BlameGraph."""

    def __init__(
        self,
        order: list[Value],
        parameters: set[Value],
        layers: list[list[Any]],
        layer_boxes: bool,
        show_passed_blame: bool,
        legend: bool,
    ) -> None:
        self.order = order
        self.root = order[-1]
        self.index = {node: i for i, node in enumerate(order)}
        self.parameters = parameters
        self.layers = layers
        self.layer_boxes = layer_boxes
        self.blame_computed = self.root.grad != 0.0
        self.show_passed_blame = show_passed_blame and self.blame_computed
        self.legend = legend
        self.largest_blame = max(abs(node.grad) for node in order)
        self.neuron_of = _neuron_membership(order, layers)

    def build(self, format: str, rankdir: str) -> BlameGraph:
        graph = BlameGraph(
            format=format,
            graph_attr={"rankdir": rankdir, "fontname": FONT, "fontsize": "11"},
            node_attr={"fontname": FONT, "fontsize": "12"},
            edge_attr={"fontname": FONT, "fontsize": "10"},
        )
        if self.legend:
            graph.attr(label=self._legend(), labelloc="b", labeljust="l")
        self._add_clusters(graph)
        for i in range(len(self.order)):
            if i not in self.neuron_of:
                self._add_nodes(graph, i)
        for i, node in enumerate(self.order):
            self._add_edges(graph, i, node)
        return graph

    # --- nodes ---------------------------------------------------------

    def _add_clusters(self, graph: BlameGraph) -> None:
        """A box per layer holding a box per neuron, each with the neuron's nodes."""
        members: dict[tuple[int, int], list[int]] = {}
        for i, neuron in sorted(self.neuron_of.items()):
            members.setdefault(neuron, []).append(i)
        for layer_number, neurons in enumerate(self.layers, start=1):
            if not self.layer_boxes:
                self._add_neuron_boxes(graph, layer_number, len(neurons), members)
                continue
            with graph.subgraph(name=f"cluster_layer{layer_number}") as layer_box:
                layer_box.attr(
                    id=f"layer-{layer_number}",
                    label=f"<{escape_text(f'layer {layer_number}')}>",
                    style="dashed",
                    color="#888888",
                )
                self._add_neuron_boxes(layer_box, layer_number, len(neurons), members)

    def _add_neuron_boxes(
        self,
        graph: graphviz.Digraph,
        layer_number: int,
        neuron_count: int,
        members: dict[tuple[int, int], list[int]],
    ) -> None:
        for neuron_number in range(1, neuron_count + 1):
            with graph.subgraph(name=f"cluster_{layer_number}_{neuron_number}") as box:
                box.attr(
                    id=f"neuron-{layer_number}-{neuron_number}",
                    label=f"<{escape_text(f'neuron {neuron_number}')}>",
                    style="rounded",
                    color="#aaaaaa",
                )
                for i in members.get((layer_number, neuron_number), []):
                    self._add_nodes(box, i)

    def _add_nodes(self, graph: graphviz.Digraph, i: int) -> None:
        """Value node v{i}, and its op node v{i}_op when the value was computed."""
        node = self.order[i]
        graph.node(f"v{i}", label=self._value_label(node), id=f"value-{i}", shape="plain")
        if node.children:
            graph.node(
                f"v{i}_op",
                label=f"<{escape_text(node.op)}>",
                id=f"op-{i}",
                shape="ellipse",
                margin="0.05,0.02",
                height="0.3",
            )

    def _role(self, node: Value) -> str:
        if node is self.root:
            return "output"
        if node in self.parameters:
            return "parameter"
        return "intermediate" if node.children else "input"

    def _value_label(self, node: Value) -> str:
        """One row: name | data | blame, as an HTML-like table."""
        role = self._role(node)
        fill = ROLE_COLOURS[role]
        cells = []
        if node.label:
            cells.append(f'<td bgcolor="{fill}"><b>{escape_text(node.label)}</b></td>')
        cells.append(f'<td bgcolor="{fill}">data {format_number(node.data)}</td>')
        if self.blame_computed:
            blame_fill = _blame_colour(node.grad, self.largest_blame)
            cells.append(f'<td bgcolor="{blame_fill}">blame {format_number(node.grad)}</td>')
        else:
            cells.append("<td>blame not computed yet</td>")
        border = 3 if role == "parameter" else 0
        return (
            f'<<table border="{border}" cellborder="1" cellspacing="0" cellpadding="4">'
            f"<tr>{''.join(cells)}</tr></table>>"
        )

    # --- edges ---------------------------------------------------------

    def _add_edges(self, graph: BlameGraph, i: int, node: Value) -> None:
        """An edge per input use, labelled with its local derivative; then op -> value."""
        for k, (child, local_grad) in enumerate(zip(node.children, node.local_grads)):
            j = self.index[child]
            text = f"local {format_number(local_grad)}"
            if self.show_passed_blame:
                text += f"<br/>passes blame {format_number(local_grad * node.grad)}"
            graph.edge(f"v{j}", f"v{i}_op", label=f"<{text}>", id=f"edge-{j}-{i}-{k}")
        if node.children:
            graph.edge(f"v{i}_op", f"v{i}", id=f"edge-op-{i}")

    # --- legend --------------------------------------------------------

    def _legend(self) -> str:
        role_cells = "".join(
            f'<td bgcolor="{ROLE_COLOURS[role]}" border="{3 if role == "parameter" else 1}">'
            f"{escape_text(name)}</td>"
            for role, name in ROLE_NAMES.items()
        )
        rows = [f'<tr><td border="0" align="left">role:</td>{role_cells}</tr>']
        if self.blame_computed:
            positive = _blame_colour(1.0, 1.0)
            negative = _blame_colour(-1.0, 1.0)
            rows.append(
                '<tr><td border="0" align="left">blame:</td>'
                f'<td bgcolor="{positive}" colspan="2">&gt; 0: raising it raises the output</td>'
                f'<td bgcolor="{negative}" colspan="2">&lt; 0: raising it lowers the output</td>'
                "</tr>"
                '<tr><td border="0"></td><td border="0" colspan="4" align="left">'
                "stronger colour = more blame; edge labels: local derivatives</td></tr>"
            )
        else:
            rows.append(
                '<tr><td border="0" align="left">blame:</td><td border="0" colspan="4" '
                'align="left">not computed yet: call backward() on the output</td></tr>'
            )
        return (
            '<<table border="0" cellborder="1" cellspacing="2" cellpadding="3">'
            f"{''.join(rows)}</table>>"
        )


def _blame_colour(grad: float, largest: float) -> str:
    """White mixed with red (grad > 0) or blue (grad < 0) in proportion to |grad| / largest."""
    if grad == 0.0 or largest == 0.0:
        return "#ffffff"
    full = POSITIVE_BLAME_COLOUR if grad > 0.0 else NEGATIVE_BLAME_COLOUR
    strength = abs(grad) / largest
    mixed = (round(255 + (channel - 255) * strength) for channel in full)
    return "#" + "".join(f"{channel:02x}" for channel in mixed)


def _neuron_membership(order: list[Value], layers: list[list[Any]]) -> dict[int, tuple[int, int]]:
    """Index of each node -> (layer number, neuron number) of the box it belongs in.

    The rule (see the module docstring), applied in topological order:
    a parameter is its neuron's; an op with an input that is a parameter of
    exactly one neuron is that neuron's (a "sum": ``w . x``, ``+ b``, ``w_i * x_i``);
    a one-input op on a sum is that neuron's too (its activation); an op with
    several inputs that all are sums of the same neuron is another sum of it.
    """
    owner: dict[Value, tuple[int, int]] = {}
    kind: dict[Value, str] = {}
    for layer_number, neurons in enumerate(layers, start=1):
        for neuron_number, neuron in enumerate(neurons, start=1):
            for parameter in _neuron_parameters(neuron):
                owner.setdefault(parameter, (layer_number, neuron_number))
                kind.setdefault(parameter, "parameter")
    for node in order:
        if not node.children or node in owner:
            continue
        kinds = [kind.get(child) for child in node.children]
        direct = {owner[c] for c, k in zip(node.children, kinds) if k == "parameter"}
        inside = {owner.get(c) for c in node.children}
        if len(direct) == 1:
            owner[node], kind[node] = direct.pop(), "sum"
        elif len(kinds) == 1 and kinds[0] == "sum":
            owner[node], kind[node] = owner[node.children[0]], "activation"
        elif not direct and len(inside) == 1 and all(k == "sum" for k in kinds):
            owner[node], kind[node] = inside.pop(), "sum"
    index = {node: i for i, node in enumerate(order)}
    return {index[node]: neuron for node, neuron in owner.items() if node in index}
