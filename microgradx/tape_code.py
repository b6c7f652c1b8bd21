"""A tape's replay, written out as Python: one loop forward, one loop back.

A ``Tape`` could replay its graph by calling, node after node, the op's rule from
the table in ``microgradx.ops`` (``out, local_grads = rule(x)``). That is correct,
but on a graph of small ops the calls cost more than the arithmetic: a function
call and two new tuples for one multiplication. So a tape writes its replay as a
small Python program, once, and compiles it:

* ``forward(values, kept)`` walks the steps in order. Each kind of step found in
  the graph has its own branch. An op whose table entry gives its rule as Python
  expressions (``inline``: ``"math.tanh({0})"``, local derivative
  ``"1.0 - {out} * {out}"``) has them written into its branch, so the step costs
  what its arithmetic costs. Any other op (a ``log``, which checks its domain; a
  ``dot``, whose inputs come as a list) calls its rule, as eager mode does, and
  keeps the local derivatives the rule returned in ``kept``.
* ``backward(grads, values, kept, grads_before)`` walks the steps from the output
  down, with the same branches: a step hands its blame to its inputs,
  ``grads[child] += local_grad * blame``, with the local derivative written out
  (``values[b]`` for the first factor of a product, ``1.0 - out * out`` for a
  tanh) or taken from ``kept``. A local derivative of exactly 1.0 is written
  ``grads[a] += blame``: the same number.
* A step may be a short **run** of ops, each feeding the next, when the one in
  between is used nowhere else: a neuron's ``dot``, ``+ bias`` and ``relu``, or a
  chain's ``* 1.0001``, ``+ 0.1`` and ``tanh``. Its branch does the three ops one
  after another, with the number in between in a local variable, which saves
  going round the loop three times.

The expressions are the ones the rules compute, operation for operation, and blame
is added in ``backward()``'s order, so every number is the float eager mode gets,
bit for bit. ``print(tape.source())`` shows a tape's program, for example::

    def forward(values, kept):
        append, keep = values.append, kept.append
        for code, a, b, c in forward_steps:
            if code == 0:  # * then + then tanh
                x = values[a] * values[b]
                append(x)
                x = x + values[c]
                append(x)
                append(math.tanh(x))
            ...
"""

from __future__ import annotations

import math
from collections import Counter
from itertools import repeat
from operator import add, mul

from microgradx.ops import Op

TYPE_CHECKING = False  # the typing module is slow to import; type checkers read this block
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from microgradx.engine import Value

__all__ = ["ReplayCode"]

LONGEST_RUN = 3
"""How many ops one step may do at most (a neuron: dot, + bias, activation)."""

COMMON_RUNS = 16
"""How many kinds of run (a neuron's dot, + bias, relu) get a branch of their own at most."""

_BODY = " " * 12  # the indent of a branch's body: inside def, for and if

_SKIP_IF_NO_BLAME = [
    "if not blame:  # 0.0: local_grad * 0.0 would add 0.0 to every input, so skip it",
    "    if skip_no_blame is None:",
    "        skip_no_blame = no_negative_zero(grads_before)",
    "    if skip_no_blame:",
    "        continue",
]


class ReplayCode:
    """The forward and backward loops of one recorded graph, as Python source and compiled.

    ``nodes`` are the graph's inner nodes in topological order; ``children[i]`` the
    positions of node i's inputs in the replay's list of numbers, where the leaves
    come first (``first`` of them) and node i is at ``first + i``.
    """

    def __init__(self, nodes: Sequence[Value], children: Sequence[tuple[int, ...]], first: int):
        runs = _common_runs_only(_runs_of_ops(nodes, children, first))
        counts = Counter(kind for kind, _, _ in runs)
        kinds = sorted(counts, key=lambda kind: -counts[kind])  # the most common branch first
        code_of = {kind: code for code, kind in enumerate(kinds)}
        self.forward_steps: list[tuple[int, Any, Any, Any]] = []
        """One ``(code, a, b, c)`` per step: its branch, and the positions it reads."""
        self.backward_steps: list[tuple[int, int, Any, Any, Any]] = []
        """One ``(code, node, a, b, c)`` per step, from the output down: ``node`` is the
        position of the step's (last) result."""
        kept = 0
        for kind, last, inputs in runs:
            code = code_of[kind]
            self.forward_steps.append((code, *kind.forward_operands(inputs)))
            self.backward_steps.append((code, last, *kind.backward_operands(inputs, kept)))
            kept += kind.head.by_rule
        self.backward_steps.reverse()
        namespace: dict[str, Any] = {
            "math": math,
            "add": add,
            "mul": mul,
            "repeat": repeat,
            "forward_steps": self.forward_steps,
            "backward_steps": self.backward_steps,
            "no_negative_zero": _no_negative_zero,
        }
        for code, kind in enumerate(kinds):
            if kind.head.by_rule:
                namespace[f"rule_{code}"] = kind.head.op.primitive.numbers
        self.source = _program(kinds)
        """The program, as Python source (``Tape.source()`` shows it)."""
        exec(compile(self.source, "<tape replay>", "exec"), namespace)
        self.forward: Callable[[list[float], list[Any]], None] = namespace["forward"]
        """``forward(values, kept)``: append every node's number to ``values`` (the leaves'
        numbers already in it) and rule-called nodes' local derivatives to ``kept``."""
        self.backward: Callable[[list[float], list[float], list[Any], list[float]], None] = (
            namespace["backward"]
        )
        """``backward(grads, values, kept, grads_before)``: add every node's blame to its
        inputs' entries of ``grads`` (the output's entry holds 1.0 to start)."""


class _Op:
    """One op of a step: its ``Op`` (primitive and settings) and how many inputs it has.

    ``slot`` is, for an op after the first of a run, which of its inputs is the
    number the op before made (0 or 1).
    """

    def __init__(self, op: Op, inputs: tuple[int, ...], slot: int = 0) -> None:
        self.op = op
        self.arity = len(inputs)
        self.slot = slot
        self.takes_list = op.primitive.arity is None
        inline = op.primitive.inline
        if self.takes_list:  # written out if each half of the inputs is one run, all different
            halves = _halves(inputs)
            written_out = halves is not None and len(set(inputs)) == len(inputs)
        else:
            written_out = self.arity == op.primitive.arity
        self.inline = inline if inline is not None and written_out and not op.parameters else None
        self.by_rule = self.inline is None
        """Whether it calls its rule (and keeps the local derivatives)."""

    def key(self) -> tuple[object, ...]:
        arity = None if self.takes_list else self.arity  # a list of any length: the same code
        # a rule-called op's settings (the 3 of x ** 3) are read from the step, not written in
        return (self.op.primitive.name, arity, self.by_rule, self.slot)

    def can_follow(self) -> bool:
        """Whether it can come after another op in a run: written out, one or two inputs."""
        return self.inline is not None and not self.takes_list and self.arity in (1, 2)


class _Kind:
    """A kind of step: one op, or a run of ops each feeding the next; one branch each.

    The operands a step carries: ``a`` and ``b``, what the first op reads (two input
    positions; for a list of inputs, its runs of positions); ``c``, the other input
    of the one later op that has two. An op that calls its rule finds its local
    derivatives in ``kept[c]`` (one op alone) or ``kept[b]`` (the first of a run).
    """

    def __init__(self, ops: tuple[_Op, ...]) -> None:
        self.ops = ops
        self.head = ops[0]
        self.key = tuple(op.key() for op in ops)
        """What two steps of the same kind share, op by op: they share one branch."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Kind) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def forward_operands(self, inputs: list[tuple[int, ...]]) -> tuple[Any, Any, Any]:
        head, extra = inputs[0], self._extra(inputs)
        if self.head.inline is not None:
            return (*self._written_out_reads(head), extra)
        settings = self.head.op.parameters if len(self.ops) == 1 else extra
        if self.head.takes_list:
            first_run, *other_runs = _position_runs(head)
            return first_run, tuple(other_runs), settings
        if self.head.arity in (1, 2):
            return head[0], head[-1], settings
        return head, 0, settings

    def backward_operands(self, inputs: list[tuple[int, ...]], kept: int) -> tuple[Any, Any, Any]:
        head, extra = inputs[0], self._extra(inputs)
        if self.head.inline is not None:
            return (*self._written_out_reads(head), extra)
        if len(self.ops) > 1:  # a list of inputs by its rule, then written-out ops
            return head, kept, extra
        if self.head.arity in (1, 2) and not self.head.takes_list:
            return head[0], head[-1], kept
        return head, 0, kept

    def _written_out_reads(self, head: tuple[int, ...]) -> tuple[Any, Any]:
        """What a written-out first op reads: its one or two inputs, or a dot's two halves."""
        if self.head.takes_list:
            return _halves(head)  # type: ignore[return-value]  # not None: see _Op
        return head[0], head[-1]

    def _extra(self, inputs: list[tuple[int, ...]]) -> int:
        """The other input of the later op with two inputs (0 if none has)."""
        for op, positions in zip(self.ops[1:], inputs[1:]):
            if op.arity == 2:
                return positions[1 - op.slot]
        return 0

    def comment(self) -> str:
        names = [str(op.op) for op in self.ops]
        if self.head.by_rule:
            names[0] += " (by its rule)"
        return " then ".join(names)

    # ------------------------------------------------------------------
    # The code of the branch
    # ------------------------------------------------------------------

    def forward_lines(self, code: int) -> list[str]:
        """Each op's number, appended to ``values``; in a run, passed on in ``x``."""
        alone = len(self.ops) == 1
        lines = self._head_forward(code, "out" if alone else "x")
        if alone:
            return [*lines, "append(out)"] if self.head.by_rule else lines
        for index, op in enumerate(self.ops[1:], start=1):
            assert op.inline is not None
            operands = ["values[c]", "values[c]"]
            operands[op.slot] = "x"
            result = op.inline[0].format(*operands)
            last = index == len(self.ops) - 1
            lines += ["append(x)", f"append({result})" if last else f"x = {result}"]
        return lines

    def _head_forward(self, code: int, name: str) -> list[str]:
        head = self.head
        if head.inline is not None:
            result = head.inline[0].format("values[a]", "values[b]")
            return [f"append({result})"] if len(self.ops) == 1 else [f"{name} = {result}"]
        settings = ", *c" if len(self.ops) == 1 else ""  # c: its settings, often none
        if head.takes_list:
            lines = ["inputs = values[a]", "for run in b:", "    inputs += values[run]"]
            call = f"rule_{code}(inputs{settings})"
        elif head.arity == 1:
            lines, call = [], f"rule_{code}(values[a]{settings})"
        elif head.arity == 2:
            lines, call = [], f"rule_{code}(values[a], values[b]{settings})"
        else:
            lines, call = ["inputs = [values[i] for i in a]"], f"rule_{code}(*inputs{settings})"
        return [*lines, f"{name}, local_grads = {call}", "keep(local_grads)"]

    def backward_lines(self) -> list[str]:
        """From the last op of the step down, each op hands its blame to its inputs."""
        lines: list[str] = []
        for index in reversed(range(len(self.ops))):
            op, node = self.ops[index], _shifted("node", len(self.ops) - 1 - index)
            if index < len(self.ops) - 1:  # the blame the later op just handed to this one
                lines += [*_SKIP_IF_NO_BLAME]
            if index == 0:
                lines += self._head_backward(node)
                continue
            assert op.inline is not None
            before = _shifted("node", len(self.ops) - index)  # the op before: its result
            operands = ["values[c]", "values[c]"]
            operands[op.slot] = f"values[{before}]"
            targets = (
                [f"grads[{before}]", "grads[c]"]
                if op.slot == 0
                else ["grads[c]", f"grads[{before}]"]
            )
            slopes = [slope.format(*operands, out=f"values[{node}]") for slope in op.inline[1]]
            handed = dict(zip(targets[: op.arity], slopes))
            slope_before = handed.pop(f"grads[{before}]")
            lines += [_handed_on(target, slope) for target, slope in handed.items()]
            lines += [  # the op before is used only here, so its blame was 0.0
                f"blame = 0.0 + {_times_blame(slope_before)}  # the blame of {before}",
                f"grads[{before}] = blame",
            ]
        return lines

    def _head_backward(self, node: str) -> list[str]:
        head = self.head
        kept = "kept[b]" if len(self.ops) > 1 else "kept[c]"
        if head.inline is not None and head.takes_list:  # each half at once: a, then b
            slopes = [s.format("values[a]", "values[b]") for s in head.inline[1]]
            return [
                f"grads[{half}] = map(add, grads[{half}], map(mul, {slope}, repeat(blame)))"
                for half, slope in zip("ab", slopes)
            ]
        if head.inline is not None:
            targets = ["grads[a]", "grads[b]"][: head.arity]
            slopes = [
                s.format("values[a]", "values[b]", out=f"values[{node}]") for s in head.inline[1]
            ]
            return [_handed_on(target, slope) for target, slope in zip(targets, slopes)]
        if head.takes_list or head.arity not in (1, 2):
            return [
                f"for child, slope in zip(a, {kept}):",
                "    " + _handed_on("grads[child]", "slope"),
            ]
        if head.arity == 1:
            return [_handed_on("grads[a]", f"{kept}[0]")]
        return [
            f"slope_a, slope_b = {kept}",
            _handed_on("grads[a]", "slope_a"),
            _handed_on("grads[b]", "slope_b"),
        ]


def _runs_of_ops(
    nodes: Sequence[Value], children: Sequence[tuple[int, ...]], first: int
) -> list[tuple[_Kind, int, list[tuple[int, ...]]]]:
    """The graph cut into steps: ``(kind, position of its last node, each op's inputs)``.

    A node joins the step of the node before it when it can follow (see
    ``_Op.can_follow``), reads that node's number, and is the only node that does;
    at most one op of a step after the first has a second input.
    """
    uses = Counter(position for inputs in children for position in inputs)
    steps: list[tuple[_Kind, int, list[tuple[int, ...]]]] = []
    ops: list[_Op] = []
    inputs_of_ops: list[tuple[int, ...]] = []
    for index, (node, inputs) in enumerate(zip(nodes, children)):
        position = first + index
        op = _Op(node.op, inputs)  # type: ignore[arg-type]
        if ops and _joins(op, inputs, position - 1, ops, uses):
            op = _Op(node.op, inputs, slot=inputs.index(position - 1))  # type: ignore[arg-type]
        elif ops:
            steps.append((_Kind(tuple(ops)), position - 1, inputs_of_ops))
            ops, inputs_of_ops = [], []
        ops.append(op)
        inputs_of_ops.append(inputs)
    steps.append((_Kind(tuple(ops)), first + len(nodes) - 1, inputs_of_ops))
    return steps


def _common_runs_only(
    steps: list[tuple[_Kind, int, list[tuple[int, ...]]]],
) -> list[tuple[_Kind, int, list[tuple[int, ...]]]]:
    """The steps, with the runs of a rare kind cut into one op per step.

    A random graph can hold thousands of different runs; a branch each would make a
    long program and a slow search for the branch. Only the ``COMMON_RUNS`` most
    common kinds of run, found at least twice, keep a branch.
    """
    counts = Counter(kind for kind, _, _ in steps if len(kind.ops) > 1)
    common = {kind for kind, count in counts.most_common(COMMON_RUNS) if count > 1}
    kept: list[tuple[_Kind, int, list[tuple[int, ...]]]] = []
    for kind, last, inputs_of_ops in steps:
        if len(kind.ops) == 1 or kind in common:
            kept.append((kind, last, inputs_of_ops))
            continue
        first_position = last - len(kind.ops) + 1
        for position, (op, inputs) in enumerate(zip(kind.ops, inputs_of_ops), first_position):
            kept.append((_Kind((_Op(op.op, inputs),)), position, [inputs]))
    return kept


def _joins(
    op: _Op, inputs: tuple[int, ...], before: int, ops: list[_Op], uses: Counter[int]
) -> bool:
    """Whether ``op`` can be done in the same step as the ``ops`` before it."""
    if len(ops) >= LONGEST_RUN or not op.can_follow() or uses[before] != 1 or ops[0].op.parameters:
        return False
    if before not in inputs or (ops[0].by_rule and not ops[0].takes_list):  # see _Kind
        return False
    with_two_inputs = sum(later.arity == 2 for later in ops[1:])
    return op.arity == 1 or with_two_inputs == 0


def _shifted(name: str, by: int) -> str:
    return f"{name} - {by}" if by else name


def _handed_on(target: str, slope: str) -> str:
    """``grads[a] += slope * blame``: the chain rule for one input."""
    return f"{target} += {_times_blame(slope)}"


def _times_blame(slope: str) -> str:
    """``slope * blame``; a slope of exactly 1.0 passes the blame on as it is."""
    if slope == "1.0":
        return "blame"
    return f"({slope}) * blame" if " " in slope else f"{slope} * blame"


def _program(kinds: Sequence[_Kind]) -> str:
    """The source of ``forward`` and ``backward``, with one branch per kind of step."""
    forward = [
        "def forward(values, kept):",
        "    append, keep = values.append, kept.append",
        "    for code, a, b, c in forward_steps:",
    ]
    backward = [
        "def backward(grads, values, kept, grads_before):",
        "    skip_no_blame = None  # found out at the first step without blame",
        "    for code, node, a, b, c in backward_steps:",
        "        blame = grads[node]",
        *("        " + line for line in _SKIP_IF_NO_BLAME),
    ]
    for code, kind in enumerate(kinds):
        branch = f"        {'if' if code == 0 else 'elif'} code == {code}:  # {kind.comment()}"
        forward += [branch, *(_BODY + line for line in kind.forward_lines(code))]
        backward += [branch, *(_BODY + line for line in kind.backward_lines())]
    return "\n".join([*forward, "", "", *backward, ""])


def _halves(positions: tuple[int, ...]) -> tuple[slice, slice] | None:
    """A list of inputs as two slices, one per half (a dot's weights, its inputs), if it can be."""
    if len(positions) % 2:
        return None
    half = len(positions) // 2
    runs = [_position_runs(positions[:half]), _position_runs(positions[half:])]
    if len(runs[0]) != 1 or len(runs[1]) != 1:
        return None
    return runs[0][0], runs[1][0]


def _position_runs(positions: tuple[int, ...]) -> list[slice]:
    """Positions as runs of evenly spaced ones, each a slice: (3, 4, 5, 9, 6, 3) -> 3:6, 9:2:-3.

    A neuron's weights are leaves side by side, and the outputs of the layer
    before it are evenly spaced in the topological order, so a dot product's
    inputs are read in two slices instead of one by one, which is much faster.
    """
    runs = []
    i = 0
    while i < len(positions):
        start, last, step = positions[i], i, 1
        if i + 1 < len(positions) and positions[i + 1] != start:
            step = positions[i + 1] - start
            while last + 1 < len(positions) and positions[last + 1] - positions[last] == step:
                last += 1
        stop: int | None = positions[last] + (1 if step > 0 else -1)
        runs.append(slice(start, None if stop == -1 else stop, step))
        i = last + 1
    return runs


def _no_negative_zero(numbers: list[float]) -> bool:
    """True unless a number is -0.0 (which equals 0.0: only its sign tells them apart).

    Skipping a node without blame adds nothing, so it changes no number: x + 0.0
    is x, except for x = -0.0 (then it is 0.0). Blame that backward() adds up never
    becomes -0.0, but a grad set to -0.0 by hand could: then nothing is skipped.
    """
    if min(map(math.copysign, repeat(1.0), numbers), default=1.0) > 0.0:  # no minus sign
        return True
    return not any(x == 0.0 and math.copysign(1.0, x) < 0.0 for x in numbers)
