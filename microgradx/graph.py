"""The blame graph: a picture of a computation, with the blame backpropagation hands out.

``draw_dot(root)`` draws it in one of two views. ``view="values"`` (the default)
draws every Value that ``root`` was computed from:

* a **value node** per Value: its name, its ``data``, and its gradient, shown as
  **blame**. The name is its label, or the name the player's steps use for it
  (``x1 * w1``, ``L1.N3.w·x``, ``product2``; see ``microgradx.snapshot``), so every
  name a text uses can be found in the drawing; a constant shows only its number.
  Before ``root.backward()`` has run it reads "blame not computed yet" instead of
  a misleading 0. The test: ``root.grad == 0.0`` means backward has not run from
  this root, because ``backward()`` seeds the root's grad with 1.0 and
  ``zero_grad()`` sets it back to 0.0. (If backward ran from a later output, say a
  loss computed from ``root``, the blame shown is that output's, d loss / d value,
  which is what a lesson on a part of a loss wants.) A value used more than once
  also says how many paths its blame is the sum of: "sum of 8 paths".
* an **op node** (``+``, ``*``, ``tanh``, ...) in front of every computed Value;
* an **edge** from each input to the op, labelled with the **local derivative**
  d(op result)/d(input). A reused input gets one edge per use (``a * a``: two).
  With ``show_passed_blame=True`` the edge also shows the blame it passed back:
  local derivative x the result's blame (the chain rule). The blame of a node is
  the sum over its outgoing edges. The label of an edge from a value used three
  times or more (an input feeding every neuron of a layer) is tied to its edge by
  a short line, so that each label can be matched to its edge.

``view="network"`` (with ``model=``) draws the network instead: one node per
input, per neuron and for the loss, one edge per weight; see
``microgradx.network_view``.

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
nodes of each neuron are also grouped in a box named after the neuron (``L1.N3``).
A neuron's box holds its parameters, every op computed directly from them (the
weighted sum ``w . x`` and the ``+ b``, or a chain of ``+`` over ``w_i * x_i``),
the ops computed only from those, and its activation. Anything that mixes
neurons, like the loss, stays outside, and so do the network's inputs, drawn
next to the first neuron that reads them. An op node always sits next to its
result. Nodes are laid out in reading order: the first neuron at the top.

Large graphs take Graphviz long to lay out, so ``draw_dot`` first counts the
nodes it would lay out (``layout_size``) and raises ``GraphTooLargeError``
above ``max_nodes`` (``DEFAULT_MAX_NODES``), with advice on how to proceed.

In a notebook a drawing fits the width of the output cell (it is never enlarged),
with a "natural size" switch to see it at full size.

Names and ids are fixed, so that other tools can find things in the SVG. With i
the Value's index in ``topological_order(root)``: value node ``v{i}`` with
``id="value-{i}"``; its op node ``v{i}_op`` with ``id="op-{i}"``; the edge from
value j into op i as its k-th input (0-based) ``id="edge-{j}-{i}-{k}"``; the edge
from op i to value i ``id="edge-op-{i}"``; neuron boxes ``id="neuron-{l}-{n}"``
(1-based layer and neuron numbers). The same graph built twice gives the same
DOT text, byte for byte.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from numbers import Integral
from pathlib import Path

import graphviz

from microgradx.engine import Value, topological_order
from microgradx.files import write_atomically
from microgradx.labels import (
    FONT,
    NEGATIVE_BLAME_COLOUR,
    NO_BLAME_COLOUR,
    POSITIVE_BLAME_COLOUR,
    ROLE_COLOURS,
    ROLE_NAMES,
    ROOMY_NUMBER,
    blame_colour,
    escape_text,
    format_number,
    text_width,
    visible_text,
)
from microgradx.messages import PATH_LIMIT, quoted
from microgradx.notebook import drawing_bundle
from microgradx.render import (
    Renderer,
    RendererNotFoundError,
    RenderError,
    UnsupportedFormatError,
    render_dot,
)
from microgradx.snapshot import GraphSnapshot

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Any, Union

    PathLike = Union[str, "os.PathLike[str]"]

__all__ = [
    "DEFAULT_MAX_NODES",
    "FONT",
    "NEGATIVE_BLAME_COLOUR",
    "POSITIVE_BLAME_COLOUR",
    "RANKDIRS",
    "ROLE_COLOURS",
    "SAVE_FORMATS",
    "VIEWS",
    "BlameGraph",
    "GraphTooLargeError",
    "draw_dot",
    "escape_text",
    "format_number",
    "layout_size",
    "render",
]

RANKDIRS = ("LR", "TB", "RL", "BT")
"""Layout directions: left to right, top to bottom, right to left, bottom to top."""

VIEWS = ("values", "network")
"""What a drawing shows: every value and op, or the network's neurons and weights."""

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

VALUE_FONT_SIZE = 11
"""Points, for the text in value boxes; edge labels and the legend use 10 (in a
browser at natural size, 10 points are 13.3 pixels)."""
SMALL_FONT_SIZE = 10
CELL_PADDING = 4


class GraphTooLargeError(ValueError):
    """The graph has more nodes than ``max_nodes``: laying it out would take too long."""


# ----------------------------------------------------------------------
# The public API
# ----------------------------------------------------------------------


def draw_dot(
    root: Value,
    format: str = "svg",
    rankdir: str | None = None,
    *,
    parameters: Value | Iterable[Value] | None = None,
    model: Any = None,
    view: str = "values",
    show_passed_blame: bool = False,
    legend: bool = True,
    max_nodes: int | None = DEFAULT_MAX_NODES,
) -> BlameGraph:
    """The blame graph of ``root`` as a ``graphviz.Digraph`` (see the module docstring).

    ``format`` and ``rankdir`` are as in micrograd's ``draw_dot``; ``rankdir``
    defaults to LR (left to right), and to BT (inputs at the bottom) in the
    network view. ``parameters`` (Values) and ``model`` (anything with
    ``.parameters()``) mark the knobs; a ``model`` also groups nodes per neuron.
    ``view`` is "values" (every value and op) or "network" (one node per neuron;
    needs ``model=``). ``max_nodes=None`` turns the size guard off. In a notebook
    the result shows itself as SVG, fitted to the cell's width.
    """
    return drawing_of(
        root,
        rankdir=rankdir,
        parameters=parameters,
        model=model,
        view=view,
        show_passed_blame=show_passed_blame,
        legend=legend,
        max_nodes=max_nodes,
        format=format,
    ).graph


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
    ``model``, ``view``, ...); ``renderer`` defaults to ``find_renderer()``; ``timeout``
    is the renderer's time limit in seconds (see ``microgradx.render.render_timeout``).
    The file is replaced in one step: on any error the old file, if any, is unchanged.
    """
    return draw_dot(root, **draw_options).write(path, renderer=renderer, timeout=timeout)


class BlameGraph(graphviz.Digraph):  # type: ignore[misc]  # graphviz has no type hints
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
        """What Jupyter shows: the SVG fitted to the cell's width (with a switch to
        natural size), or a plain-text explanation of what is missing."""
        try:
            svg = render_dot(self.source, "svg").decode("utf-8")
        except RendererNotFoundError as error:
            return {"text/plain": f"The blame graph cannot be drawn here.\n{error}"}
        except (RenderError, UnsupportedFormatError) as error:
            return {"text/plain": f"The blame graph could not be drawn.\n{error}"}
        return drawing_bundle(svg)

    def _repr_svg_(self) -> str | None:
        """The SVG for front ends that ask for it directly, or None when it cannot be drawn."""
        return self._repr_mimebundle_().get("image/svg+xml")


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


# ----------------------------------------------------------------------
# A drawing, and the texts in it that the player repaints
# ----------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """One piece of a drawing that shows a number the player reveals step by step.

    ``kind`` says what it shows of node ``node`` (an index in the snapshot):
    "name" (fixed text), "data", "blame", "paths" (how many paths of blame have
    arrived), "local" and "passed" (the local derivative of input ``child`` of
    node ``node``, and the blame passed along that edge), "stroke" (an edge drawn
    in the node's blame colour; no text). ``text`` is the text drawn now, and
    ``prefix`` the words before the number in it ("data ", "out ", "b "). ``fill``,
    when set, is the colour of the text's table cell while the node's blame is not
    known; once known, the cell is painted in the blame's colour. ``holds``: the
    text's element also carries the node's numbers (``data-value``, ``data-blame``),
    as the network view's knob cells do for their weight or bias. ``room``: how
    wide the text may be drawn, in points, where no cell shows it (an edge label of
    the live lab); 0 when there is no limit or its cell sets it.
    """

    kind: str
    node: int
    text: str = ""
    fill: str = ""
    child: int = 0
    prefix: str = ""
    holds: bool = False
    room: float = 0.0


@dataclass
class Drawing:
    """A blame graph, the snapshot it was drawn from, and where its numbers sit.

    ``slots`` maps the SVG id of each node or edge group to the slots inside it,
    in the order their texts appear in the group. ``holders`` maps the SVG id of
    each group that stands for one node to that node: the page writes the node's
    numbers on it (``data-value``, ``data-blame``).
    """

    graph: BlameGraph
    snapshot: GraphSnapshot
    view: str
    slots: dict[str, list[Slot]] = field(default_factory=dict)
    focus: Any = None
    """Network view: what the player spells out (see ``microgradx.network_view``)."""
    holders: dict[str, int] = field(default_factory=dict)


def check_view(view: object, model: Any) -> str:
    """``view`` when it is one of ``VIEWS`` (and has the model it needs), else a clear error."""
    if not isinstance(view, str) or view not in VIEWS:
        raise ValueError(
            f"view must be 'values' (every value and op) or 'network' (one node per "
            f"neuron, one edge per weight), got {quoted(view)}."
        )
    if view == "network" and model is None:
        raise ValueError(
            "view='network' draws a model's neurons, so it needs the model: pass it as "
            "model=, e.g. draw_dot(loss, model=model, view='network')."
        )
    return view


def check_rankdir(rankdir: object) -> str:
    if not isinstance(rankdir, str) or rankdir not in RANKDIRS:
        raise ValueError(
            f"rankdir must be one of {', '.join(RANKDIRS)} (left to right, top to bottom, "
            f"right to left, bottom to top), got {quoted(rankdir)}."
        )
    return rankdir


def drawing_of(
    root: Value,
    *,
    rankdir: str | None = None,
    parameters: Value | Iterable[Value] | None = None,
    model: Any = None,
    view: str = "values",
    show_passed_blame: bool = False,
    legend: bool = True,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    format: str = "svg",
    progressive: bool = False,
    focus: Value | None = None,
    live: bool = False,
) -> Drawing:
    """``draw_dot``'s work, with what the player needs kept: the snapshot and the slots.

    With ``progressive=True`` (the player) the blame shown is the snapshot's
    ``blame`` (this root's alone, whether or not ``backward()`` has run), and every
    cell is made wide enough for each text the player will show in it. With
    ``live=True`` (the live lab, where a learner sets the leaves to any number) every
    cell and edge label that shows a number has room for a long one
    (``labels.ROOMY_NUMBER``; the page narrows a longer text to fit).
    """
    if not isinstance(root, Value):
        raise TypeError(
            f"draw_dot() draws a Value, got {type(root).__name__} {quoted(root)}. "
            "Pass the output of a computation, e.g. draw_dot(loss)."
        )
    check_view(view, model)
    max_nodes = _checked_max_nodes(max_nodes)
    if rankdir is None:
        rankdir = "BT" if view == "network" else "LR"
    check_rankdir(rankdir)
    order = topological_order(root)
    if view == "values":
        _check_size(order, max_nodes)
    snapshot = GraphSnapshot.of(root, parameters=parameters, model=model, order=order)
    if view == "network":
        from microgradx.network_view import NetworkView

        builder: _ValuesView | NetworkView = NetworkView(
            snapshot,
            model,
            progressive=progressive,
            legend=legend,
            max_nodes=max_nodes,
            focus=focus,
            live=live,
        )
    else:
        builder = _ValuesView(
            snapshot,
            progressive=progressive,
            show_passed_blame=show_passed_blame,
            legend=legend,
            live=live,
        )
    return builder.build(format, rankdir)


def new_graph(format: str, rankdir: str, **graph_attr: str) -> BlameGraph:
    """An empty BlameGraph with the fonts and sizes both views use."""
    return BlameGraph(
        format=format,
        graph_attr={"rankdir": rankdir, "fontname": FONT, "fontsize": str(SMALL_FONT_SIZE)}
        | graph_attr,
        node_attr={"fontname": FONT, "fontsize": str(VALUE_FONT_SIZE)},
        edge_attr={"fontname": FONT, "fontsize": str(SMALL_FONT_SIZE)},
    )


def cell(
    text: str | Sequence[str],
    *,
    fill: str,
    reserve: Sequence[str] = (),
    bold: bool = False,
    font_size: float = VALUE_FONT_SIZE,
    padding: int = CELL_PADDING,
    colspan: int = 1,
) -> str:
    """A table cell holding ``text`` (escaped here), wide enough for each of ``reserve``.

    ``text`` is one line, or a sequence of lines. The width is set from
    ``labels.text_width``, so that a browser's font fits too; ``padding`` is the
    table's cellpadding; ``colspan`` how many columns of the table the cell spans.
    """
    lines = [text] if isinstance(text, str) else list(text)
    widest = max(text_width(line, font_size, bold) for line in [*lines, *reserve])
    width = widest + 2 * padding + 2
    shown = "<br/>".join(escape_text(line) for line in lines)
    if bold:
        shown = f"<b>{shown}</b>"
    span = f' colspan="{colspan}"' if colspan > 1 else ""
    return f'<td{span} bgcolor="{fill}" width="{width}">{shown}</td>'


def blame_texts(snapshot: GraphSnapshot, i: int, blame: float | None) -> tuple[str, str]:
    """The blame cell's first line and, for a value used twice or more, its second line."""
    paths = snapshot.paths[i]
    if blame is None:
        return "blame not computed yet", ""
    return f"blame {format_number(blame)}", f"sum of {paths} paths" if paths > 1 else ""


def reserved_blame_texts(snapshot: GraphSnapshot, i: int, live: bool = False) -> list[str]:
    """Every text the player shows in node i's blame cell, step by step (and with
    ``live``, the lab's: any number)."""
    paths = snapshot.paths[i]
    texts = ["blame ?", *reserved_number_texts("blame ", live)]
    for share in snapshot.blame_reached[i][:-1]:
        texts.append(f"so far {format_number(share.total_after)}")
    if paths > 1:
        texts += [f"from {paths} paths", f"{paths - 1} of {paths} paths", f"sum of {paths} paths"]
    return texts


def reserved_number_texts(prefix: str, live: bool) -> list[str]:
    """With ``live``, a long text a cell showing ``prefix`` and a number must hold."""
    return [f"{prefix}{ROOMY_NUMBER}"] if live else []


# ----------------------------------------------------------------------
# The values view: every value and op
# ----------------------------------------------------------------------


class _ValuesView:
    """Turns a snapshot into the values view's DOT text, noting the slots as it goes."""

    def __init__(
        self,
        snapshot: GraphSnapshot,
        *,
        progressive: bool,
        show_passed_blame: bool,
        legend: bool,
        live: bool = False,
    ) -> None:
        self.snapshot = snapshot
        self.progressive = progressive
        self.live = live
        self.blame = snapshot.blame_to_show(progressive)
        self.show_passed_blame = show_passed_blame and self.blame is not None
        self.edge_label_room = self.lab_edge_label_room() if live else 0.0
        """How wide an edge label may be drawn: in the live lab, a long number's width."""
        self.legend = legend
        self.largest_blame = max(abs(b) for b in self.blame) if self.blame else 0.0
        self.slots: dict[str, list[Slot]] = {}
        self.reading = self.reading_order()

    def build(self, format: str, rankdir: str) -> Drawing:
        across = "0.12" if rankdir in ("LR", "RL") else "0.2"  # edge labels sit side by side
        graph = new_graph(format, rankdir, ranksep="0.3", nodesep=across)
        if self.legend:
            graph.attr(label=self.legend_label(), labelloc="b", labeljust="l")
        for block in self.blocks():
            if isinstance(block, int):
                self.add_nodes(graph, block)
            else:
                self.add_neuron_box(graph, block)
        for i in range(len(self.snapshot.values)):
            self.add_edges(graph, i)
        holders = {f"value-{i}": i for i in range(len(self.snapshot.values))}
        return Drawing(graph, self.snapshot, "values", self.slots, holders=holders)

    def blocks(self) -> list[int | tuple[int, int]]:
        """What to declare, in reading order: single nodes, and neuron boxes as a whole.

        Graphviz keeps the declared order where it can, so the first neuron is drawn
        at the top and a network's inputs sit next to the first neuron reading them.
        """
        snapshot = self.snapshot
        blocks: list[int | tuple[int, int]] = []
        declared: set[int | tuple[int, int]] = set()
        by_key = {(n.layer, n.number): n for n in snapshot.neurons}
        for i in self.reading:
            key = snapshot.neuron_of.get(i)
            if key is None:
                if i not in declared:
                    declared.add(i)
                    blocks.append(i)
                continue
            if key in declared:
                continue
            for j in by_key[key].inputs:  # the inputs first: next to the box
                if j is None or j in declared or j in snapshot.neuron_of:
                    continue
                if not snapshot.children[j]:
                    declared.add(j)
                    blocks.append(j)
            declared.add(key)
            blocks.append(key)
        return blocks

    def reading_order(self) -> list[int]:
        """Leaves and computed nodes, each computed node after the leaves it reads first."""
        snapshot = self.snapshot
        listed: dict[int, None] = {}
        for i in snapshot.forward_order:
            for j in snapshot.children[i]:
                if not snapshot.children[j]:
                    listed.setdefault(j, None)
            listed.setdefault(i, None)
        for i in snapshot.leaves:
            listed.setdefault(i, None)
        return list(listed)

    # --- nodes ---------------------------------------------------------

    def add_neuron_box(self, graph: graphviz.Digraph, key: tuple[int, int]) -> None:
        neuron = next(n for n in self.snapshot.neurons if (n.layer, n.number) == key)
        members = set(neuron.members)
        with graph.subgraph(name=f"cluster_{key[0]}_{key[1]}") as box:
            title = "neuron" if neuron.name == "neuron" else f"neuron {neuron.name}"
            box.attr(
                id=f"neuron-{key[0]}-{key[1]}",
                label=f"<{escape_text(title)}>",
                style="rounded",
                color="#aaaaaa",
                labeljust="l",
            )
            for i in self.reading:
                if i in members:
                    self.add_nodes(box, i)

    def add_nodes(self, graph: graphviz.Digraph, i: int) -> None:
        """Value node v{i}, and its op node v{i}_op when the value was computed."""
        snapshot = self.snapshot
        graph.node(f"v{i}", label=self.value_label(i), id=f"value-{i}", shape="plain")
        if snapshot.children[i]:
            graph.node(
                f"v{i}_op",
                label=f"<{escape_text(snapshot.ops[i])}>",
                id=f"op-{i}",
                shape="ellipse",
                margin="0.05,0.02",
                height="0.3",
            )

    def value_label(self, i: int) -> str:
        """One row: name | data | blame, as an HTML-like table. In the live lab, where a
        cell must hold any number, two rows: name | data, and the blame below."""
        snapshot = self.snapshot
        role = snapshot.roles[i]
        fill = ROLE_COLOURS["input" if role == "constant" else role]
        slots = self.slots.setdefault(f"value-{i}", [])
        cells = []
        if snapshot.labels[i] or snapshot.children[i]:  # a constant's name is its number
            name = snapshot.names[i]
            cells.append(cell(name, fill=fill, bold=bool(snapshot.labels[i])))
            slots.append(Slot("name", i, visible_text(name)))
        data = f"data {format_number(snapshot.data[i])}"
        cells.append(cell(data, fill=fill, reserve=reserved_number_texts("data ", self.live)))
        slots.append(Slot("data", i, data, prefix="data "))
        blame = None if self.blame is None else self.blame[i]
        first, second = blame_texts(snapshot, i, blame)
        reserve = reserved_blame_texts(snapshot, i, self.live) if self.progressive else ()
        blame_fill = NO_BLAME_COLOUR if blame is None else blame_colour(blame, self.largest_blame)
        blame_text = [first, second] if second else first
        slots.append(Slot("blame", i, first, fill=NO_BLAME_COLOUR))
        if second:
            slots.append(Slot("paths", i, second))
        border = 3 if role == "parameter" else 0
        if self.live:  # the blame in a row of its own, under the name and the data
            below = cell(blame_text, fill=blame_fill, reserve=reserve, colspan=len(cells))
            rows = f"<tr>{''.join(cells)}</tr><tr>{below}</tr>"
        else:
            cells.append(cell(blame_text, fill=blame_fill, reserve=reserve))
            rows = f"<tr>{''.join(cells)}</tr>"
        return (
            f'<<table border="{border}" cellborder="1" cellspacing="0" '
            f'cellpadding="{CELL_PADDING}">{rows}</table>>'
        )

    # --- edges ---------------------------------------------------------

    def add_edges(self, graph: BlameGraph, i: int) -> None:
        """An edge per input use, labelled with its local derivative; then op -> value."""
        snapshot = self.snapshot
        if not snapshot.children[i]:
            return
        for k, (j, local_grad) in enumerate(zip(snapshot.children[i], snapshot.local_grads[i])):
            edge_id = f"edge-{j}-{i}-{k}"
            local = f"local {format_number(local_grad)}"
            slots = [Slot("local", i, local, child=k, room=self.edge_label_room)]
            text = escape_text(local)
            if self.show_passed_blame and self.blame is not None:
                passed = f"passes blame {format_number(local_grad * self.blame[i])}"
                slots.append(Slot("passed", i, passed, child=k, room=self.edge_label_room))
                text += f"<br/>{escape_text(passed)}"
            self.slots[edge_id] = slots
            if self.live:
                text = self.roomy_edge_label(text)
            tied = {"decorate": "true"} if snapshot.paths[j] >= 3 else {}
            graph.edge(f"v{j}", f"v{i}_op", label=f"<{text}>", id=edge_id, **tied)
        graph.edge(f"v{i}_op", f"v{i}", id=f"edge-op-{i}")

    def roomy_edge_label(self, text: str) -> str:
        """An edge label in a borderless cell with room for a long number (live lab)."""
        return (
            '<table border="0" cellborder="0" cellspacing="0" cellpadding="0"><tr>'
            f'<td width="{self.edge_label_room:g}" align="left" balign="left">{text}</td>'
            "</tr></table>"
        )

    def lab_edge_label_room(self) -> float:
        """The width of the longest edge label the live lab may show."""
        words = ["local ", *(["passes blame "] if self.show_passed_blame else [])]
        return max(text_width(f"{text}{ROOMY_NUMBER}", SMALL_FONT_SIZE) for text in words)

    # --- legend --------------------------------------------------------

    def legend_label(self) -> str:
        role_cells = "".join(
            f'<td bgcolor="{ROLE_COLOURS[role]}" border="{3 if role == "parameter" else 1}">'
            f"{escape_text(name)}</td>"
            for role, name in ROLE_NAMES.items()
        )
        rows = [f'<tr><td border="0" align="left">role:</td>{role_cells}</tr>']
        if self.blame is not None:
            positive = blame_colour(1.0, 1.0)
            negative = blame_colour(-1.0, 1.0)
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
