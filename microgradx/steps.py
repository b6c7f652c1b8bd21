"""The steps of the player: the forward and the backward pass told one step at a time.

``record_steps(root)`` turns a graph snapshot (``microgradx.snapshot``) into the
steps the player shows, with their texts and real numbers, in one of two views:

* ``view="values"``: one step per node.

  1. **Start**: the leaves (inputs, knobs, constants) hold their given numbers.
  2. **Forward pass**, in reading order: each node is computed from its inputs, with
     the arithmetic (``x1 * w1 = 2.0 * (-3.0) = -6.0``) and its local derivatives.
  3. **Backward pass**, in ``backward()``'s order: the output's blame for itself is
     1; then each node hands every input its share by the chain rule::

         w1.grad += x1 (local 2.0) × (x1 * w1).grad (0.5) = 1.0

     with the running total when blame reaches a node along several paths.
  4. **Done**: every leaf holds its blame, ready for the nudge.

* ``view="network"`` (needs ``model=``): one step per layer. Start; forward, layer by
  layer; the loss; the loss hands blame to the output; each layer hands blame to the
  layer below ("layer 2 hands blame to layer 1"), with the chain rule for one weight
  spelled out from the loss down; and the nudge, ``knob - learning rate × blame``.

Every number comes from the snapshot's replay of the chain rule, so every total is
bit for bit the ``grad`` that ``backward()`` computes from zeroed grads.

A recording also says, for every node, at which step its value and each share of
its blame become known (``Timeline``): the drawing shows exactly that much.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from microgradx.engine import Value
from microgradx.labels import format_number
from microgradx.op_texts import (
    _bracketed,
    _expression,
    _has_operator,
    _local_rule,
    _local_rule_note,
    _op_name,
)
from microgradx.snapshot import BlameShare, GraphSnapshot, _reference

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Any

    from microgradx.network_view import Focus

DEFAULT_LEARNING_RATE = 0.1
"""The learning rate of the nudge the network view shows."""

ROLE_WORDS = {"input": "input", "constant": "constant", "parameter": "knob"}


@dataclass(frozen=True)
class Step:
    """One step of the replay, with its text and what the drawing highlights.

    Node numbers are indices in ``topological_order(root)``, the same numbers the
    values view uses in its SVG ids (``value-{i}``, ``op-{i}``).
    """

    phase: str
    """"start", "forward", "seed", "backward" or "done"."""
    node: int | None
    """The node this step is about (None for steps about many nodes)."""
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
    """The name the steps use, shown on the drawing (see ``microgradx.snapshot``)."""
    computed_at: int
    """The step at which its value is known (0 for leaves)."""
    finished_at: int
    """The step after which its blame is complete (and, if computed, handed on)."""
    op_parts: tuple[str, ...]
    """Values view: SVG ids of its op node and of the edges into and out of it."""


@dataclass(frozen=True)
class Timeline:
    """When each node's numbers appear in the drawing, in step numbers.

    ``value_step[i]``: the first step that shows node i's value. ``hand_step[i]``:
    the step at which node i hands its blame on (None for a leaf). ``blame_steps[i]``:
    for each share of blame reaching node i, (step, running total after it, path
    number); the root's one entry is its seed, (step, 1.0, 0).
    """

    value_step: tuple[int, ...]
    hand_step: tuple[int | None, ...]
    blame_steps: tuple[tuple[tuple[int, float, int], ...], ...]


@dataclass(frozen=True)
class Recording:
    """Everything the player shows, computed from one output Value."""

    steps: list[Step]
    nodes: list[NodeInfo]
    grads: list[float]
    """The blame of every node (d root / d node), by index in topological order."""
    timeline: Timeline
    view: str = "values"


def record_steps(
    root: Value,
    *,
    view: str = "values",
    model: Any = None,
    parameters: Iterable[Value] | None = None,
    focus: Value | None = None,
    learning_rate: float = DEFAULT_LEARNING_RATE,
) -> Recording:
    """Replay the forward and the backward pass of ``root``'s graph, step by step.

    ``view`` is "values" (a step per node) or "network" (a step per layer; needs
    ``model=``). ``model`` and ``parameters`` mark the knobs; ``focus`` is the
    weight whose chain rule the network view spells out (the most blamed route by
    default), ``learning_rate`` the nudge's. ``root`` and its graph are not changed.
    """
    if not isinstance(root, Value):
        raise TypeError(
            f"record_steps() needs a Value (the output of a computation), got "
            f"{type(root).__name__} {root!r}."
        )
    from microgradx.graph import check_view

    check_view(view, model)
    snapshot = GraphSnapshot.of(root, parameters=parameters, model=model)
    return record_snapshot(snapshot, view, model, focus=focus, learning_rate=learning_rate)


def record_snapshot(
    snapshot: GraphSnapshot,
    view: str,
    model: Any = None,
    *,
    focus: Value | Focus | None = None,
    learning_rate: float = DEFAULT_LEARNING_RATE,
) -> Recording:
    """The steps of one view of a snapshot (``record_steps`` after the snapshot)."""
    learning_rate = checked_learning_rate(learning_rate)
    if view == "network":
        from microgradx.network_steps import NetworkRecorder
        from microgradx.network_view import Focus, choose_focus, network_shape

        shape = network_shape(snapshot, model)
        chosen = focus if isinstance(focus, Focus) else choose_focus(snapshot, shape, focus)
        return NetworkRecorder(snapshot, shape, chosen, learning_rate).record()
    return _ValuesRecorder(snapshot).record()


def checked_learning_rate(learning_rate: object) -> float:
    if (
        isinstance(learning_rate, bool)
        or not isinstance(learning_rate, (int, float))
        or not math.isfinite(learning_rate)
        or learning_rate <= 0
    ):
        raise ValueError(
            f"learning_rate must be a positive number, like 0.1, got {learning_rate!r}."
        )
    return float(learning_rate)


# ----------------------------------------------------------------------
# What both views say alike
# ----------------------------------------------------------------------


class _Texts:
    """Sentences about nodes of one snapshot, shared by both recorders."""

    def __init__(self, snapshot: GraphSnapshot, names: Sequence[str] | None = None) -> None:
        self.s = snapshot
        self.names = list(snapshot.names) if names is None else list(names)
        """What the texts call each node: the snapshot's names, or a view's own."""
        self.refs = list(snapshot.refs)
        self.numbers = list(snapshot.numbers)
        for i, name in enumerate(self.names):
            if name != snapshot.names[i]:  # a view's own name: a formula, or a part's name
                formula = _has_operator(name)
                self.refs[i] = _reference(name, "formula" if formula else "part")
                self.numbers[i] = _bracketed(name)

    def leaf_line(self, i: int) -> str:
        s = self.s
        number = format_number(s.data[i])
        word = ROLE_WORDS.get(s.roles[i], s.roles[i])
        if self.names[i] == number:
            return f"{number}   (a constant)"
        return f"{self.names[i]} = {number}   ({word})"

    def leaves_by_role(self) -> list[int]:
        """The leaves: inputs, then knobs, then constants, each in reading order."""
        s = self.s
        rank = {"input": 0, "parameter": 1, "constant": 2}
        return sorted(s.leaves, key=lambda i: rank.get(s.roles[i], 3))

    def forward_lines(self, i: int) -> list[str]:
        """``name = formula = numbers = result`` and the local derivatives, one per line."""
        s = self.s
        children = s.children[i]
        symbols = _expression(s.ops[i], [self.names[j] for j in children])
        numbers = _expression(s.ops[i], [format_number(s.data[j]) for j in children])
        result = format_number(s.data[i])
        if symbols == self.names[i]:
            lines = [f"{symbols} = {numbers} = {result}"]
        else:
            lines = [f"{self.names[i]} = {symbols} = {numbers} = {result}"]
        lines.append("local derivatives, kept for the backward pass:")
        labels = self.input_labels(i)
        inputs = [self.numbers[j] for j in children]
        for slot, local_grad in enumerate(s.local_grads[i]):
            rule = _local_rule(s.ops[i], slot, inputs, self.numbers[i])
            derivative = f"d {self.refs[i]} / d {labels[slot]}"
            if rule is None or rule == format_number(local_grad):
                lines.append(f"  {derivative} = {format_number(local_grad)}")
            else:
                lines.append(f"  {derivative} = {rule} = {format_number(local_grad)}")
        return lines

    def share_lines(self, i: int, shares: Sequence[BlameShare]) -> list[str]:
        """``child.grad += rule (local x) × node.grad (y) = share``, and running totals."""
        s = self.s
        name = self.refs[i]
        node_grad = format_number(shares[0].node_grad) if shares else "0.0"
        inputs = [self.numbers[j] for j in s.children[i]]
        lines = []
        for share in shares:
            child = self.refs[share.child]
            rule = _local_rule(s.ops[i], share.slot, inputs, self.numbers[i])
            local = format_number(share.local_grad)
            if rule is None:
                local_text = f"local {local}"
            elif rule == local:
                local_text = rule
            else:
                local_text = f"{rule} (local {local})"
            lines.append(
                f"{child}.grad += {local_text} × {name}.grad ({node_grad}) = "
                f"{format_number(share.share)}"
            )
            if share.paths > 1:
                lines.append(self.running_total(share))
        return lines

    def running_total(self, share: BlameShare) -> str:
        return (
            f"  running total: {self.refs[share.child]}.grad = {format_number(share.total_before)} "
            f"+ {_bracketed_number(share.share)} = {format_number(share.total_after)}"
            f"   (path {share.path} of {share.paths})"
        )

    def input_labels(self, i: int) -> list[str]:
        """The input names, with the position added where one repeats (``a * a``)."""
        refs = [self.refs[j] for j in self.s.children[i]]
        repeated = {ref for ref in refs if refs.count(ref) > 1}
        return [f"{ref} (input {k + 1})" if ref in repeated else ref for k, ref in enumerate(refs)]

    def done_lines(self) -> list[str]:
        s = self.s
        return [f"{self.refs[i]}.grad = {format_number(s.blame[i])}" for i in self.leaves_by_role()]


def _bracketed_number(x: float) -> str:
    text = format_number(x)
    return f"({text})" if text.startswith("-") else text


def _join_names(names: Sequence[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _unique(items: Iterable[Any]) -> list[Any]:
    return list(dict.fromkeys(items))


def _op_parts(i: int, inputs: Sequence[int]) -> tuple[str, ...]:
    """SVG ids (see ``microgradx.graph``) of node i's op, its input edges, its output edge."""
    edges = tuple(f"edge-{j}-{i}-{k}" for k, j in enumerate(inputs))
    return (f"op-{i}", *edges, f"edge-op-{i}")


def _timeline(
    snapshot: GraphSnapshot,
    value_step: Sequence[int],
    hand_step: Sequence[int | None],
    seed_step: int,
) -> Timeline:
    blame_steps: list[list[tuple[int, float, int]]] = [[] for _ in snapshot.values]
    blame_steps[snapshot.root].append((seed_step, 1.0, 0))
    for share in snapshot.shares:
        step = hand_step[share.node]
        assert step is not None
        blame_steps[share.child].append((step, share.total_after, share.path))
    return Timeline(tuple(value_step), tuple(hand_step), tuple(tuple(b) for b in blame_steps))


def _node_infos(snapshot: GraphSnapshot, timeline: Timeline) -> list[NodeInfo]:
    infos = []
    for i in range(len(snapshot.values)):
        steps = [step for step, _, _ in timeline.blame_steps[i]]
        hand = timeline.hand_step[i]
        finished = max([*steps, *([hand] if hand is not None else [])])
        children = snapshot.children[i]
        infos.append(
            NodeInfo(
                name=snapshot.names[i],
                computed_at=timeline.value_step[i],
                finished_at=finished,
                op_parts=_op_parts(i, children) if children else (),
            )
        )
    return infos


# ----------------------------------------------------------------------
# The values view: a step per node
# ----------------------------------------------------------------------


class _ValuesRecorder(_Texts):
    """Builds the steps of the values view; its methods each make one kind of step."""

    def __init__(self, snapshot: GraphSnapshot) -> None:
        super().__init__(snapshot)
        self.steps: list[Step] = []
        self.parts = [
            _op_parts(i, children) if children else ()
            for i, children in enumerate(snapshot.children)
        ]

    def record(self) -> Recording:
        s = self.s
        value_step = [0] * len(s.values)
        hand_step: list[int | None] = [None] * len(s.values)
        self.steps.append(self.start_step())
        for number, i in enumerate(s.forward_order, start=1):
            value_step[i] = len(self.steps)
            self.steps.append(self.forward_step(i, number))
        seed_step = len(self.steps)
        self.steps.append(self.seed_step())
        shares_of: dict[int, list[BlameShare]] = {}
        for share in s.shares:
            shares_of.setdefault(share.node, []).append(share)
        for number, i in enumerate(s.backward_order, start=1):
            hand_step[i] = len(self.steps)
            self.steps.append(self.backward_step(i, number, tuple(shares_of.get(i, ()))))
        self.steps.append(self.done_step())
        timeline = _timeline(s, value_step, hand_step, seed_step)
        return Recording(self.steps, _node_infos(s, timeline), list(s.blame), timeline)

    # -- start and forward ------------------------------------------------

    def start_step(self) -> Step:
        leaves = self.leaves_by_role()
        return Step(
            phase="start",
            node=None,
            title="Start: the leaves hold their given numbers",
            lines=tuple(self.leaf_line(i) for i in leaves),
            note=(
                "The leaves are the inputs, the knobs (parameters) and the constants: "
                "nothing computes them. The forward pass now computes every other node "
                f"from them, {len(self.s.forward_order)} in all, each one only after the "
                "nodes it is made from, in reading order."
            ),
            current=tuple(leaves),
            inputs=(),
            flowing=(),
        )

    def forward_step(self, i: int, number: int) -> Step:
        s = self.s
        return Step(
            phase="forward",
            node=i,
            title=f"Forward {number} of {len(s.forward_order)}: compute {self.names[i]}",
            lines=tuple(self.forward_lines(i)),
            note=self.forward_note(i, number),
            current=(i,),
            inputs=tuple(_unique(s.children[i])),
            flowing=self.parts[i],
            value=s.data[i],
        )

    def forward_note(self, i: int, number: int) -> str:
        s = self.s
        inputs = _join_names(_unique(self.refs[j] for j in s.children[i]))
        computed = f"{self.refs[i]} is computed from {inputs} by {_op_name(s.ops[i])}."
        if number > 1:
            return f"{computed} Its local derivatives are kept for the backward pass."
        return (
            f"{computed} The engine also writes down the local derivatives: how much "
            f"{self.refs[i]} moves when each input moves a tiny bit. The backward pass "
            "will need them."
        )

    # -- backward ---------------------------------------------------------

    def seed_step(self) -> Step:
        root = self.s.root
        name = self.refs[root]
        return Step(
            phase="seed",
            node=root,
            title=f"Backward pass begins: {name}.grad = 1.0",
            lines=(f"{name}.grad = d {name} / d {name} = 1.0",),
            note=(
                f"The backward pass starts at the output. The blame of {name} for itself "
                f"is 1: nudge {name} by a tiny amount and {name} changes by that same "
                "amount. From here the blame flows back, node by node, in reverse order; "
                "each node waits until every path above it has handed in its share."
            ),
            current=(root,),
            inputs=(),
            flowing=(),
            value=1.0,
        )

    def backward_step(self, i: int, number: int, shares: tuple[BlameShare, ...]) -> Step:
        s = self.s
        node_grad = s.blame[i]
        lines = [
            f"{self.refs[i]}.grad = {format_number(node_grad)} "
            "(complete: every path above it has reported)",
            *self.share_lines(i, shares),
        ]
        return Step(
            phase="backward",
            node=i,
            title=(
                f"Backward {number} of {len(s.backward_order)}: {self.names[i]} hands on its blame"
            ),
            lines=tuple(lines),
            note=self.backward_note(i, number, shares),
            current=(i,),
            inputs=tuple(_unique(s.children[i])),
            flowing=self.parts[i],
            value=node_grad,
            shares=shares,
        )

    def backward_note(self, i: int, number: int, shares: tuple[BlameShare, ...]) -> str:
        s = self.s
        parts = [f"{self.refs[i]} now holds its full blame, {format_number(s.blame[i])}."]
        if number == 1:
            parts.append(
                "By the chain rule it hands each of its inputs a share: the local "
                "derivative times its own blame."
            )
        parts.append(_local_rule_note(s.ops[i]))
        if any(share.paths > 1 for share in shares):
            parts.append("Blame that reaches a node along several paths adds up.")
        return " ".join(part for part in parts if part)

    def done_step(self) -> Step:
        return Step(
            phase="done",
            node=None,
            title="Done: every leaf holds its share of the blame",
            lines=tuple(self.done_lines()),
            note=(
                "These are exactly the gradients backward() computes. Next comes the "
                "nudge: each knob moves a little against its blame, "
                "knob.data -= learning_rate × knob.grad, so the next guess is better."
            ),
            current=tuple(self.leaves_by_role()),
            inputs=(),
            flowing=(),
        )
