"""Step through backpropagation: a self-contained HTML player of the blame flow.

``explain(loss, "backprop.html")`` writes one HTML file that replays how ``loss``
was computed and how its blame flowed back, one step at a time:

1. **Start**: the leaves (inputs, knobs, constants) hold their given numbers.
2. **Forward pass**, in topological order: each node lights up as its value is
   computed, with the arithmetic (``out = x * w = 2.0 * (-3.0) = -6.0``).
3. **Backward pass**, in reverse order: the output's blame for itself is 1; then
   each node hands every input its share by the chain rule, with real numbers::

       w.grad += x.data (local 2.0) × out.grad (-0.5) = -1.0

   and the running total when blame reaches a node along several paths.
4. **Done**: every leaf holds its blame, ready for the nudge
   ``knob.data -= learning_rate * knob.grad``.

All numbers and texts are computed here, in Python; the page's script only shows
them. The backward numbers come from replaying the chain rule on a scratch list, in
exactly the order ``backward()`` uses, so every total is bit for bit the ``grad``
that ``backward()`` computes from zeroed grads (a leaf that already held blame from
an earlier ``backward()`` would end with that plus this total).

``explain()`` works before or after ``backward()`` and leaves every ``grad`` as it
found it: to draw the blame, it zeroes the grads, runs ``backward()``, draws, and
puts every grad back.

The page is one file: the graph drawn by Graphviz as inline SVG, the styles and the
script inline, no network access. In Jupyter, a ``BackpropPlayer`` displays inline;
where the notebook does not run scripts it still shows the graph and every step as
text.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from microgradx.engine import Value, topological_order
from microgradx.graph import draw_dot, format_number
from microgradx.ops import Op, bracketed, is_call

TYPE_CHECKING = False
if TYPE_CHECKING:
    import os
    from collections.abc import Sequence
    from typing import Any, Union

    PathLike = Union[str, "os.PathLike[str]"]

DEFAULT_TITLE = "Backpropagation, step by step"

# ----------------------------------------------------------------------
# The recorded steps
# ----------------------------------------------------------------------


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


@dataclass(frozen=True)
class Step:
    """One step of the replay, with its text and what the drawing highlights.

    Node numbers are indices in ``topological_order(root)``, the same numbers the
    drawing uses in its SVG ids (``value-{i}``, ``op-{i}``).
    """

    phase: str
    """"start", "forward", "seed", "backward" or "done"."""
    node: int | None
    """The node this step is about (None for the start and done steps)."""
    title: str
    lines: tuple[str, ...]
    """The arithmetic, one line each."""
    note: str
    """What happens, in plain words."""
    current: tuple[int, ...]
    """Nodes lit as the subject of the step."""
    inputs: tuple[int, ...]
    """Forward: the inputs whose values are read. Backward: the inputs that get blame."""
    flowing: tuple[str, ...]
    """SVG ids of the op node and the edges the value or the blame moves along."""
    value: float | None = None
    """Forward: the value computed. Seed and backward: the node's blame."""
    shares: tuple[BlameShare, ...] = ()
    """Backward: the chain-rule terms, in the order ``backward()`` adds them."""


@dataclass(frozen=True)
class NodeInfo:
    """What the player knows about one node of the graph."""

    name: str
    """The label; without one, ``x1 * w1``, ``2.0`` (a constant) or ``v{i}``."""
    computed_at: int
    """The step at which its value is known (0 for leaves)."""
    finished_at: int
    """The step after which its blame is complete and handed on."""
    op_parts: tuple[str, ...]
    """SVG ids of its op node and of the edges into and out of it (none for a leaf)."""


@dataclass(frozen=True)
class Recording:
    """Everything the player shows, computed from one output Value."""

    steps: list[Step]
    nodes: list[NodeInfo]
    grads: list[float]
    """The blame of every node (d root / d node), by index in topological order."""


def record_steps(root: Value) -> Recording:
    """Replay the forward and the backward pass of ``root``'s graph, step by step.

    The blame is computed here on a scratch list, by the chain rule in the order
    ``backward()`` uses (reverse topological order, each node's inputs in order),
    so every total equals the ``grad`` that ``backward()`` gives, bit for bit.
    ``root`` and its graph are not changed.
    """
    if not isinstance(root, Value):
        raise TypeError(
            f"record_steps() needs a Value (the output of a computation), got "
            f"{type(root).__name__} {root!r}."
        )
    return _Recorder(root).record()


class _Recorder:
    """Builds the steps of one replay; its methods each make one kind of step."""

    def __init__(self, root: Value) -> None:
        self.root = root
        self.order = topological_order(root)
        self.index = {node: i for i, node in enumerate(self.order)}
        self.inputs = [[self.index[child] for child in node.children] for node in self.order]
        self.names = _node_names(self.order, self.index)
        self.refs = [_reference(name) for name in self.names]
        self.parts = [
            _op_parts(i, inputs) if inputs else () for i, inputs in enumerate(self.inputs)
        ]
        self.computed = [i for i, node in enumerate(self.order) if node.children]
        self.steps: list[Step] = []
        self.computed_at = [0] * len(self.order)
        self.finished_at = [0] * len(self.order)

    def record(self) -> Recording:
        self.steps.append(self.start_step())
        for number, i in enumerate(self.computed, start=1):
            self.computed_at[i] = len(self.steps)
            self.steps.append(self.forward_step(i, number))
        grads = self.backward_steps()
        self.steps.append(self.done_step(grads))
        nodes = [
            NodeInfo(
                name=self.names[i],
                computed_at=self.computed_at[i],
                finished_at=self.finished_at[i],
                op_parts=self.parts[i],
            )
            for i in range(len(self.order))
        ]
        return Recording(self.steps, nodes, grads)

    # -- start and forward ------------------------------------------------

    def start_step(self) -> Step:
        leaves = [i for i, node in enumerate(self.order) if not node.children]
        return Step(
            phase="start",
            node=None,
            title="Start: the leaves hold their given numbers",
            lines=tuple(self.leaf_line(i) for i in leaves),
            note=(
                "The leaves are the inputs, the knobs (parameters) and the constants: "
                "nothing computes them. The forward pass now computes every other node "
                f"from them, {len(self.computed)} in all, each one only after the nodes "
                "it is made from (topological order)."
            ),
            current=tuple(leaves),
            inputs=(),
            flowing=(),
        )

    def forward_step(self, i: int, number: int) -> Step:
        node = self.order[i]
        name, ref = self.names[i], self.refs[i]
        symbols = _expression(node.op, [self.names[j] for j in self.children_of(i)])
        numbers = _expression(node.op, [format_number(child.data) for child in node.children])
        result = format_number(node.data)
        if symbols == name:
            lines = [f"{symbols} = {numbers} = {result}"]
        else:
            lines = [f"{name} = {symbols} = {numbers} = {result}"]
        lines.append("local derivatives, kept for the backward pass:")
        labels = self.input_labels(i)
        input_data = self.input_data(i)
        for slot, local_grad in enumerate(node.local_grads):
            rule = _local_rule(node.op, slot, input_data, f"{ref}.data")
            derivative = f"d {ref} / d {labels[slot]}"
            if rule is None or rule == format_number(local_grad):
                lines.append(f"  {derivative} = {format_number(local_grad)}")
            else:
                lines.append(f"  {derivative} = {rule} = {format_number(local_grad)}")
        return Step(
            phase="forward",
            node=i,
            title=f"Forward {number} of {len(self.computed)}: compute {name}",
            lines=tuple(lines),
            note=self.forward_note(i, number),
            current=(i,),
            inputs=tuple(_unique(self.children_of(i))),
            flowing=self.parts[i],
            value=node.data,
        )

    # -- backward ---------------------------------------------------------

    def backward_steps(self) -> list[float]:
        """The seed step and one step per computed node, in ``backward()``'s order."""
        order, index = self.order, self.index
        root_index = index[self.root]
        paths = [0] * len(order)
        for node in order:
            for child in node.children:
                paths[index[child]] += 1
        paths_seen = [0] * len(order)
        grads = [0.0] * len(order)
        grads[root_index] = 1.0
        self.finished_at[root_index] = len(self.steps)
        self.steps.append(self.seed_step(root_index))
        for number, i in enumerate(reversed(self.computed), start=1):
            node = order[i]
            node_grad = grads[i]
            shares = []
            for slot, (child, local_grad) in enumerate(zip(node.children, node.local_grads)):
                j = index[child]
                share = local_grad * node_grad
                total_before = grads[j]
                grads[j] = total_before + share
                paths_seen[j] += 1
                shares.append(
                    BlameShare(
                        child=j,
                        slot=slot,
                        local_grad=local_grad,
                        node_grad=node_grad,
                        share=share,
                        total_before=total_before,
                        total_after=grads[j],
                        path=paths_seen[j],
                        paths=paths[j],
                    )
                )
                if paths_seen[j] == paths[j] and not child.children:
                    self.finished_at[j] = len(self.steps)
            self.finished_at[i] = len(self.steps)
            self.steps.append(self.backward_step(i, number, tuple(shares)))
        return grads

    def seed_step(self, root_index: int) -> Step:
        name = self.refs[root_index]
        return Step(
            phase="seed",
            node=root_index,
            title=f"Backward pass begins: {name}.grad = 1.0",
            lines=(f"{name}.grad = d {name} / d {name} = 1.0",),
            note=(
                f"The backward pass starts at the output. The blame of {name} for itself "
                f"is 1: nudge {name} by a tiny amount and {name} changes by that same "
                "amount. From here the blame flows back, node by node, in reverse order; "
                "each node waits until every path above it has handed in its share."
            ),
            current=(root_index,),
            inputs=(),
            flowing=(),
            value=1.0,
        )

    def backward_step(self, i: int, number: int, shares: tuple[BlameShare, ...]) -> Step:
        node = self.order[i]
        name = self.refs[i]
        node_grad = format_number(shares[0].node_grad)
        lines = [f"{name}.grad = {node_grad} (complete: every path above it has reported)"]
        input_data = self.input_data(i)
        for share in shares:
            child = self.refs[share.child]
            rule = _local_rule(node.op, share.slot, input_data, f"{name}.data")
            local = format_number(share.local_grad)
            if rule is None:
                local_text = f"local {local}"
            elif rule == local:
                local_text = rule
            else:
                local_text = f"{rule} (local {local})"
            share_text = format_number(share.share)
            lines.append(f"{child}.grad += {local_text} × {name}.grad ({node_grad}) = {share_text}")
            if share.paths > 1:
                lines.append(
                    f"  running total: {child}.grad = {format_number(share.total_before)} + "
                    f"{bracketed(format_number(share.share))} = "
                    f"{format_number(share.total_after)}"
                    f"   (path {share.path} of {share.paths})"
                )
        return Step(
            phase="backward",
            node=i,
            title=(
                f"Backward {number} of {len(self.computed)}: {self.names[i]} hands on its blame"
            ),
            lines=tuple(lines),
            note=self.backward_note(i, number, shares),
            current=(i,),
            inputs=tuple(_unique(self.children_of(i))),
            flowing=self.parts[i],
            value=shares[0].node_grad,
            shares=shares,
        )

    def done_step(self, grads: list[float]) -> Step:
        leaves = [i for i, node in enumerate(self.order) if not node.children]
        return Step(
            phase="done",
            node=None,
            title="Done: every leaf holds its share of the blame",
            lines=tuple(f"{self.refs[i]}.grad = {format_number(grads[i])}" for i in leaves),
            note=(
                "These are exactly the gradients backward() computes. Next comes the "
                "nudge: each knob moves a little against its blame, "
                "knob.data -= learning_rate × knob.grad, so the next guess is better."
            ),
            current=tuple(leaves),
            inputs=(),
            flowing=(),
        )

    # -- helpers ----------------------------------------------------------

    def leaf_line(self, i: int) -> str:
        number = format_number(self.order[i].data)
        if self.names[i] == number:
            return f"{number}   (a constant)"
        return f"{self.names[i]} = {number}"

    def forward_note(self, i: int, number: int) -> str:
        inputs = _join_names(_unique(self.input_refs(i)))
        computed = f"{self.refs[i]} is computed from {inputs} by {_op_name(self.order[i].op)}."
        if number > 1:
            return f"{computed} Its local derivatives are kept for the backward pass."
        return (
            f"{computed} The engine also writes down the local derivatives: how much "
            f"{self.refs[i]} moves when each input moves a tiny bit. The backward pass "
            "will need them."
        )

    def backward_note(self, i: int, number: int, shares: tuple[BlameShare, ...]) -> str:
        blame = format_number(shares[0].node_grad)
        parts = [f"{self.refs[i]} now holds its full blame, {blame}."]
        if number == 1:
            parts.append(
                "By the chain rule it hands each of its inputs a share: the local "
                "derivative times its own blame."
            )
        parts.append(_local_rule_note(self.order[i].op))
        if any(share.paths > 1 for share in shares):
            parts.append("Blame that reaches a node along several paths adds up.")
        return " ".join(part for part in parts if part)

    def children_of(self, i: int) -> list[int]:
        """The indices of node i's inputs, in order, repeats kept."""
        return self.inputs[i]

    def input_refs(self, i: int) -> list[str]:
        return [self.refs[j] for j in self.children_of(i)]

    def input_data(self, i: int) -> list[str]:
        """How the local-derivative formulas name each input's number: ``x.data``, ``2.0``."""
        data = []
        for j in self.children_of(i):
            node = self.order[j]
            constant = not node.children and self.names[j] == format_number(node.data)
            data.append(bracketed(self.names[j]) if constant else f"{self.refs[j]}.data")
        return data

    def input_labels(self, i: int) -> list[str]:
        """The input names, with the position added where one repeats (``a * a``)."""
        refs = self.input_refs(i)
        repeated = (
            {ref for ref in refs if refs.count(ref) > 1} if len(set(refs)) < len(refs) else set()
        )
        return [f"{ref} (input {k + 1})" if ref in repeated else ref for k, ref in enumerate(refs)]


def _op_parts(i: int, inputs: list[int]) -> tuple[str, ...]:
    """SVG ids (see ``microgradx.graph``) of node i's op, its input edges, its output edge."""
    edges = tuple(f"edge-{j}-{i}-{k}" for k, j in enumerate(inputs))
    return (f"op-{i}", *edges, f"edge-op-{i}")


# ----------------------------------------------------------------------
# Writing numbers and formulas for people
# ----------------------------------------------------------------------


_LONGEST_EXPRESSION_NAME = 24


def _node_names(order: list[Value], index: dict[Value, int]) -> list[str]:
    """What the steps call each node.

    Its label; without one, how it was computed (``x1 * w1``) if that is short,
    a constant's number (``2.0``), or else ``v{i}``, the name the drawing shows
    when the mouse rests on the node.
    """
    names: list[str] = []
    for i, node in enumerate(order):
        if node.label:
            name = node.label
        elif not node.children:
            name = format_number(node.data)
        else:
            name = _expression(node.op, [names[index[child]] for child in node.children])
            if len(name) > _LONGEST_EXPRESSION_NAME:
                name = f"v{i}"
        names.append(name)
    return names


def _reference(name: str) -> str:
    """A name to put before ``.grad``: ``(x1 * w1).grad``, ``(2.0).grad``, ``w1.grad``."""
    if is_call(name):
        return name
    if any(character in name for character in " +-*/") or name[:1].isdigit():
        return f"({name})"
    return name


def _unique(items: Sequence[Any]) -> list[Any]:
    return list(dict.fromkeys(items))


def _join_names(names: Sequence[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


# The per-op texts come from the table of primitives (microgradx/ops.py). A hand-made
# op (a plain str, not an ops.Op) has no entry: it is written as a call, with no rule.


def _op_name(op: str) -> str:
    """How a sentence names the op: ``'+'``, ``tanh``, ``the power 2``."""
    if isinstance(op, Op):
        return op.primitive.spoken(op.parameters)
    return op


def _expression(op: str, operands: Sequence[str]) -> str:
    """How a node is computed, written out: ``x1 * w1``, ``tanh(n)``, ``a + b + c``.

    Works alike for names and for numbers (``2.0 * (-3.0)``).
    """
    if isinstance(op, Op):
        return op.primitive.expression_text(operands, op.parameters)
    return f"{op}({', '.join(operands)})"


def _local_rule(op: str, slot: int, inputs: Sequence[str], out: str) -> str | None:
    """The local derivative d out / d input as a formula, or None for a hand-made op.

    ``inputs`` name the inputs' numbers (``x.data``, or a constant like ``2.0``) and
    ``out`` the result's (``y.data``).
    """
    if isinstance(op, Op):
        return op.primitive.rule_text(slot, inputs, out, op.parameters)
    return None


def _local_rule_note(op: str) -> str:
    return op.primitive.note if isinstance(op, Op) else ""


# ----------------------------------------------------------------------
# The page
# ----------------------------------------------------------------------


class BackpropPlayer:
    """The step-through player for one output Value.

    ``BackpropPlayer(loss)`` draws the graph and records the steps;
    ``.to_html()`` gives the whole page as a string, ``.save(path)`` writes it, and
    in Jupyter the player displays inline. Extra keyword arguments go to
    ``microgradx.graph.draw_dot`` (for example ``rankdir="TB"`` or ``max_nodes``);
    a graph above the drawing's node limit raises ``GraphTooLargeError``.
    """

    def __init__(self, root: Value, *, title: str = DEFAULT_TITLE, **draw_options: Any) -> None:
        if not isinstance(root, Value):
            raise TypeError(
                f"explain() needs a Value (the output of a computation, such as the "
                f"loss), got {type(root).__name__} {root!r}."
            )
        if type(title) is not str:
            raise TypeError(f"the player's title must be a str, got {type(title).__name__}.")
        self.title = title
        self.svg = _graph_svg(root, draw_options)
        self.recording = record_steps(root)

    @property
    def steps(self) -> list[Step]:
        """The recorded steps, in the order the page shows them."""
        return self.recording.steps

    def to_html(self) -> str:
        """The player as a complete HTML page (one self-contained file)."""
        return _PAGE.format(
            title=html.escape(self.title),
            player=self._markup(keyboard="page"),
        )

    def save(self, path: PathLike = "backprop.html") -> Path:
        """Write the page to ``path`` (UTF-8) and return the path."""
        path = Path(path)
        path.write_text(self.to_html(), encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        """Jupyter's inline view: the arrow keys work while the player has the focus."""
        return self._markup(keyboard="player")

    def _markup(self, keyboard: str) -> str:
        steps = self.recording.steps
        script_data = {
            "keyboard": keyboard,
            "nodes": [
                {
                    "computedAt": node.computed_at,
                    "finishedAt": node.finished_at,
                    "opParts": list(node.op_parts),
                }
                for node in self.recording.nodes
            ],
            "steps": [_step_for_script(step) for step in steps],
        }
        return _PLAYER.format(
            css=_page_file("player.css"),
            title=html.escape(self.title),
            tabindex=' tabindex="0"' if keyboard == "player" else "",
            last_step=len(steps) - 1,
            step_count=len(steps),
            svg=self.svg,
            steps_as_text="\n".join(_step_as_list_item(step) for step in steps),
            data=_json_for_script(script_data),
            script=_page_file("player.js"),
        )


def explain(
    root: Value,
    path: PathLike = "backprop.html",
    *,
    title: str = DEFAULT_TITLE,
    **draw_options: Any,
) -> Path:
    """Write a step-through player of ``root``'s forward and backward pass to ``path``.

    One self-contained HTML file: open it by double-click in any browser. Step with
    the buttons, the arrow keys (Home/End jump, Space plays), or the slider.
    Works before or after ``root.backward()`` and leaves every ``grad`` as it was.
    Extra keyword arguments go to ``microgradx.graph.draw_dot`` (``model=``,
    ``rankdir=``, ``max_nodes=``, ...). Returns the path written.
    """
    return BackpropPlayer(root, title=title, **draw_options).save(path)


def _graph_svg(root: Value, draw_options: dict[str, Any]) -> str:
    """The graph drawn by Graphviz with its blame, as an ``<svg>`` element for HTML.

    The drawing shows the blame that ``backward()`` gives from zeroed grads, the
    same numbers the steps add up to. To get it, every grad is set to 0.0,
    ``backward()`` runs, and then every grad is put back as it was.
    """
    order = topological_order(root)
    saved_grads = [node.grad for node in order]
    try:
        for node in order:
            node.grad = 0.0
        root.backward()
        graph = draw_dot(root, **draw_options)
    finally:
        for node, grad in zip(order, saved_grads):
            node.grad = grad
    svg = graph.pipe(format="svg", encoding="utf-8")
    return svg[svg.index("<svg") :]


def _page_file(name: str) -> str:
    """The text of one of the page's files (``player.css``, ``player.js``)."""
    return resources.files("microgradx").joinpath("player_page", name).read_text("utf-8")


def _step_for_script(step: Step) -> dict[str, Any]:
    """What the page's script needs to show a step: texts and ids, no arithmetic."""
    return {
        "phase": step.phase,
        "title": step.title,
        "lines": list(step.lines),
        "note": step.note,
        "current": list(step.current),
        "inputs": list(step.inputs),
        "flowing": list(step.flowing),
    }


def _json_for_script(data: Any) -> str:
    """JSON that is safe inside ``<script>``: no ``</script>`` or ``<!--`` can appear.

    ``<``, ``>`` and ``&`` become ``\\u003c``-style escapes, which JSON.parse reads back
    as the same characters.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for character in "<>&\u2028\u2029":
        text = text.replace(character, f"\\u{ord(character):04x}")
    return text


def _step_as_list_item(step: Step) -> str:
    """A step as static HTML, for reading without the script."""
    lines = html.escape("\n".join(step.lines))
    return (
        f'<li><p class="mgx-step-title">{html.escape(step.title)}</p>'
        f'<pre class="mgx-lines">{lines}</pre>'
        f'<p class="mgx-note">{html.escape(step.note)}</p></li>'
    )


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body {{ margin: 0; background: #f8fafc; }}</style>
</head>
<body>
{player}
</body>
</html>
"""

_PLAYER = """<div class="mgx-player" data-phase="start"{tabindex}>
<style>{css}</style>
<header class="mgx-header">
  <h2 class="mgx-title">{title}</h2>
  <p class="mgx-story">The forward pass computes every value from the leaves; the backward
  pass hands every node its share of the blame (its gradient), by the chain rule.</p>
</header>
<p class="mgx-no-script">Stepping through needs JavaScript, which is off here:
all the steps are listed below the graph as text.</p>
<div class="mgx-controls" role="group" aria-label="Step through the replay" hidden>
  <button type="button" class="mgx-first" aria-label="First step"
    title="First step (Home)">&#xAB; First</button>
  <button type="button" class="mgx-previous" aria-label="Previous step"
    title="Previous step (Left arrow)">&#x25C0; Previous</button>
  <button type="button" class="mgx-play" aria-label="Play" aria-pressed="false"
    title="Play or pause (Space)">&#x25B6; Play</button>
  <button type="button" class="mgx-next" aria-label="Next step"
    title="Next step (Right arrow)">Next &#x25B6;</button>
  <button type="button" class="mgx-last" aria-label="Last step"
    title="Last step (End)">Last &#xBB;</button>
  <label class="mgx-slider-label">Step
    <input type="range" class="mgx-slider" min="0" max="{last_step}" value="0" step="1">
  </label>
  <output class="mgx-counter">1 / {step_count}</output>
  <label class="mgx-fit-label"><input type="checkbox" class="mgx-fit"> Fit to width</label>
</div>
<div class="mgx-body">
  <figure class="mgx-graph" role="img" aria-label="The computation graph, drawn by Graphviz">
{svg}
  </figure>
  <section class="mgx-panel" aria-live="polite" aria-atomic="true" hidden>
    <p class="mgx-phase"></p>
    <h3 class="mgx-step-title"></h3>
    <div class="mgx-lines"></div>
    <p class="mgx-note"></p>
  </section>
</div>
<aside class="mgx-legend" aria-label="Legend" hidden>
  <span><i class="mgx-swatch mgx-swatch-current"></i>this step's node</span>
  <span><i class="mgx-swatch mgx-swatch-read"></i>inputs it reads (forward)</span>
  <span><i class="mgx-swatch mgx-swatch-blamed"></i>inputs it hands blame to (backward)</span>
  <span><i class="mgx-swatch mgx-swatch-pending"></i>not computed yet</span>
  <span><i class="mgx-swatch mgx-swatch-finished"></i>blame complete</span>
  <span>Values without a label are named by how they were computed (x1 * w1), or v7:
  rest the mouse on a box to see its v-number.</span>
  <span class="mgx-keys">Keys: <kbd>&#x2190;</kbd> <kbd>&#x2192;</kbd> step,
  <kbd>Home</kbd> <kbd>End</kbd> first and last, <kbd>Space</kbd> play or pause</span>
</aside>
<details class="mgx-all-steps" open>
  <summary>All {step_count} steps as text</summary>
  <ol>
{steps_as_text}
  </ol>
</details>
<script type="application/json" class="mgx-data">{data}</script>
<script>{script}</script>
</div>"""
