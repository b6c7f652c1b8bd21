"""Step through backpropagation: a self-contained HTML player of the blame flow.

``explain(loss, "backprop.html")`` writes one HTML file that replays how ``loss``
was computed and how its blame flowed back, one step at a time, beside the blame
graph. At every step the drawing shows exactly what has been computed so far: no
number before a node's forward step, no blame (and no blame colour) before blame
first reaches it, the running total while blame arrives along several paths ("so
far 0.58", "4 of 8 paths"), and the final blame once it is complete; the last step
shows every blame, equal to what ``backward()`` computes.

Two views (``view=``, as for ``draw_dot``):

* ``"values"`` (the default): every value and op, a step per node (see
  ``microgradx.steps``), with the chain-rule arithmetic at every step
  (``w1.grad += x1 (local 2.0) × out.grad (-0.5) = -1.0``);
* ``"network"`` (needs ``model=``): one node per input and per neuron, a step per
  layer: forward layer by layer, the loss, "layer 2 hands blame to layer 1" with the
  chain rule for one weight spelled out from the loss down (``focus=`` picks the
  weight), and the nudge (``learning_rate=``).

With ``live=True`` the page is also a **live lab** (``microgradx.lab``): a slider
and a number box per leaf; moving one computes the forward and the backward pass
again in the page, and **Nudge** takes a step of gradient descent on the knobs,
beside what the blame predicted. ``step_through=False`` leaves the steps out.

It works before or after ``backward()`` and changes nothing in the graph: every
number comes from one snapshot of the graph (``microgradx.snapshot``) in which the
chain rule is replayed in ``backward()``'s own order, so every total is bit for
bit what ``backward()`` computes from zeroed grads.

The page is one file: the drawing (rendered by ``microgradx.render.render_dot``,
so a missing or failing renderer raises the same ``RendererNotFoundError`` or
``RenderError`` as ``render()``), its styles and its script inline, no network
access. In Jupyter, a ``BackpropPlayer`` displays inline, fitted to the cell's
width; with no renderer it shows how to get one instead of a traceback; where
the notebook does not run scripts it still shows the drawing and every step as
text. The parts live in their own modules: ``snapshot`` (the graph, once),
``steps`` and ``network_steps`` (the recorders), ``graph`` and ``network_view``
(the drawings), ``page`` (the HTML and the data for the script), and
``player_page/`` (the script and styles).
"""

from __future__ import annotations

from pathlib import Path

from microgradx.engine import Value
from microgradx.files import write_atomically
from microgradx.graph import Drawing, check_view, drawing_of
from microgradx.lab import LabParts, lab_parts
from microgradx.messages import quoted
from microgradx.op_texts import _local_rule, _local_rule_note
from microgradx.page import annotate_svg, page, player_markup
from microgradx.render import RendererNotFoundError, RenderError, render_dot
from microgradx.snapshot import BlameShare
from microgradx.steps import (
    DEFAULT_LEARNING_RATE,
    NodeInfo,
    Recording,
    Step,
    checked_learning_rate,
    record_snapshot,
    record_steps,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    import os
    from typing import Any, Union

    PathLike = Union[str, "os.PathLike[str]"]

__all__ = [
    "DEFAULT_TITLE",
    "BackpropPlayer",
    "BlameShare",
    "NodeInfo",
    "Recording",
    "Step",
    "explain",
    "record_steps",
]

DEFAULT_TITLE = "Backpropagation, step by step"

# The per-op texts, importable from here as before (they live in microgradx.op_texts).
_local_rule = _local_rule
_local_rule_note = _local_rule_note


class BackpropPlayer:
    """The step-through player for one output Value.

    ``BackpropPlayer(loss)`` records the steps and lays out the drawing;
    ``.to_html()`` gives the whole page as a string, ``.save(path)`` writes it, and
    in Jupyter the player displays inline. ``view``, ``model`` and the extra keyword
    arguments (``rankdir``, ``parameters``, ``max_nodes``, ``show_passed_blame``,
    ``legend``) are as for ``microgradx.graph.draw_dot``; a graph above the drawing's
    node limit raises ``GraphTooLargeError``. In the network view, ``focus`` (a
    weight of the model) is the weight whose chain rule is spelled out, and
    ``learning_rate`` the one of the nudge (and the live lab's first). With
    ``live=True`` the page holds the live lab too (``microgradx.lab``) and opens on
    it; ``step_through=False`` leaves out the step-through (the lab on its own). The
    drawing is rendered when first needed (``.svg``), so a missing renderer shows in
    a notebook as a hint.
    """

    def __init__(
        self,
        root: Value,
        *,
        title: str = DEFAULT_TITLE,
        view: str = "values",
        model: Any = None,
        focus: Value | None = None,
        learning_rate: float = DEFAULT_LEARNING_RATE,
        live: bool = False,
        step_through: bool = True,
        **draw_options: Any,
    ) -> None:
        if not isinstance(root, Value):
            raise TypeError(
                f"explain() needs a Value (the output of a computation, such as the "
                f"loss), got {type(root).__name__} {root!r}."
            )
        if type(title) is not str:
            raise TypeError(f"the player's title must be a str, got {type(title).__name__}.")
        check_view(view, model)
        learning_rate = checked_learning_rate(learning_rate)
        for name, switch in (("live", live), ("step_through", step_through)):
            if not isinstance(switch, bool):
                raise TypeError(f"{name} must be True or False, got {quoted(switch)}.")
        if not (live or step_through):
            raise ValueError(
                "a page with live=False and step_through=False would show nothing: keep "
                "the step-through, or pass live=True for the lab."
            )
        if view == "network":
            draw_options.setdefault("legend", False)  # the page's legend explains the lines
        self.title = title
        self.view = view
        self.live = live
        self.step_through = step_through
        self.learning_rate = learning_rate
        self.drawing: Drawing = drawing_of(
            root, view=view, model=model, focus=focus, progressive=True, live=live, **draw_options
        )
        self.recording: Recording = record_snapshot(
            self.drawing.snapshot,
            view,
            model,
            focus=self.drawing.focus,
            learning_rate=learning_rate,
        )
        self._svg: str | None = None

    @property
    def steps(self) -> list[Step]:
        """The recorded steps, in the order the page shows them."""
        return self.recording.steps

    @property
    def svg(self) -> str:
        """The drawing as an ``<svg>`` element, marked for the page's script.

        Rendered on first use with ``render_dot``: raises ``RendererNotFoundError``
        or ``RenderError`` as ``render()`` does.
        """
        if self._svg is None:
            raw = render_dot(self.drawing.graph.source, "svg").decode("utf-8")
            self._svg = annotate_svg(raw, self.drawing)
        return self._svg

    def to_html(self) -> str:
        """The player as a complete HTML page (one self-contained file)."""
        return page(self.title, self._markup(keyboard="page"))

    def save(self, path: PathLike = "backprop.html") -> Path:
        """Write the page to ``path`` (UTF-8, in one step) and return the path."""
        return write_atomically(Path(path), self.to_html())

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **_: Any
    ) -> dict[str, str]:
        """What Jupyter shows: the player, or a plain-text note on what is missing."""
        try:
            return {"text/html": self._markup(keyboard="player")}
        except RendererNotFoundError as error:
            return {"text/plain": f"The backprop player cannot draw its graph here.\n{error}"}
        except RenderError as error:
            return {"text/plain": f"The backprop player could not draw its graph.\n{error}"}

    def _repr_html_(self) -> str | None:
        """Jupyter's inline view (the arrow keys work while the player has the focus),
        or None when the graph cannot be drawn (``_repr_mimebundle_`` says why)."""
        return self._repr_mimebundle_().get("text/html")

    @property
    def lab(self) -> LabParts | None:
        """What the live lab adds to the page (None without ``live=True``)."""
        if not self.live:
            return None
        return lab_parts(
            self.drawing.snapshot,
            learning_rate=self.learning_rate,
            step_through=self.step_through,
        )

    def _markup(self, keyboard: str) -> str:
        return player_markup(
            title=self.title,
            svg=self.svg,
            recording=self.recording,
            drawing=self.drawing,
            keyboard=keyboard,
            lab=self.lab,
            step_through=self.step_through,
        )


def explain(
    root: Value,
    path: PathLike = "backprop.html",
    *,
    title: str = DEFAULT_TITLE,
    **options: Any,
) -> Path:
    """Write a step-through player of ``root``'s forward and backward pass to ``path``.

    One self-contained HTML file: open it by double-click in any browser. Step with
    the buttons, the arrow keys (Home/End jump, Space plays), or the slider; with
    ``live=True`` it is also a live lab (a slider per leaf, Nudge, Undo, Reset).
    Works before or after ``root.backward()`` and leaves every ``grad`` as it was.
    ``options`` are ``BackpropPlayer``'s: ``view="network"`` with ``model=``,
    ``focus=``, ``learning_rate=``, ``live=``, ``step_through=``, and ``draw_dot``'s
    (``rankdir=``, ``max_nodes=``, ...). Returns the path written.
    """
    return BackpropPlayer(root, title=title, **options).save(path)
