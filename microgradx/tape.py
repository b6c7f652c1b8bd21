"""Tapes: record a graph once, then replay it with new numbers, fast.

Most training loops build the same graph every step: the same model and the same
loss, only the numbers change (new inputs, knobs nudged by the optimizer). A
``Tape`` walks such a graph once and writes it down as flat lists, a **Wengert
list**: the nodes in topological order, and for each one its op (from the table
in ``microgradx.ops``), its settings, and the positions of its inputs.
``tape.replay()`` then runs the same chain rule as ``Value.backward()``, but reads
the graph from those lists instead of walking it again:

* **forward**: read every leaf's current number (``x.data = ...`` and the
  optimizer's nudges are seen), then, for each node in order, compute its number
  from its inputs' numbers with its op's rule. It is the rule the eager op ran, so
  relu, abs and leaky_relu take the branch the new numbers call for, and a number
  outside an op's domain (``log`` of a negative number) raises the same error as
  eager mode, naming the op and the input.
* **backward**: seed the output's blame with 1.0 and, from the output down, hand
  each node's blame to its inputs: ``grad[child] += local_grad * grad[node]``.
  The nodes come in the order ``backward()`` uses and every addition is made in
  the same order, so every leaf's grad is the same float, bit for bit, as a
  fresh graph and ``backward()`` would give. A node whose blame is exactly 0.0
  passes on nothing, so it is skipped (adding 0.0 changes no number).

A number written into an expression (the 0.1 of ``y + 0.1``) is a
**constant**: a leaf node that no variable of yours holds, so its number cannot
change. A tape reads the constants once, when it records the graph, and does not
add blame to their grads at a replay (nothing can nudge a constant). It still
works their blame out, so blame too large for a float is an error as in eager
mode, and ``write_back()`` shows it. Reading a leaf and giving back its grad cost
about as much as a node's forward and backward, so on the chain
``y = tanh(y * 1.0001 + 0.1)``, two constants a link, a replay takes about 40% less
time than it would if it read them.

Leaves add up blame as they do with ``backward()``, so a training step is
``optimizer.zero_grad(); tape.replay(); optimizer.step()``. A replay is all or
nothing: if it fails (a domain error, a number or a blame too large for a float,
Ctrl-C), no leaf's grad has changed.

Numbers live in Python lists of floats, not in Value nodes: no node is made or
freed, and the garbage collector has little to look at. And the two loops are
written out as Python once, when the tape is recorded, with each op's rule written
into the loop instead of called, and a neuron's dot, + bias and activation done in
one go (``microgradx.tape_code``; ``print(tape.source())`` shows them). That is
where the speed comes from. The recorded inner nodes keep the numbers of the pass
that built them; ``tape.write_back()`` puts the last replay's numbers (data, local
derivatives and blame) into them, for drawing or stepping through them.

**What a tape cannot follow.** It replays the *graph*, not your Python code:

* control flow in your own code (``if guess.data > 0: ...``, a loop that runs
  until a value is small) was decided once, while recording, and stays decided;
* graphs whose shape depends on the data: a batch of another size, picking a score
  by a class index (``scores[label]``), ``max`` of the numbers;
* plain numbers mixed in (``y * score`` with a label ``y`` given as a number, or
  a value computed from ``.data`` or under ``no_grad()``) became constants: the
  tape keeps the number it saw. Make them leaf Values and refill them, as
  ``BatchTape`` does for inputs and targets;
* a hand-made op (``Value(data, label, children, local_grads, "cube")``): its
  local derivatives are numbers you computed, which no rule can compute again, so
  recording one is an error that names it.

To tell, build the graph again eagerly and ask: ``tape.check(build_loss())``
compares the two, node by node and number by number, and says where they part.
"""

from __future__ import annotations

import math
from itertools import repeat
from math import isfinite
from numbers import Real
from operator import attrgetter

from microgradx.engine import (
    CONSTANT_OP,
    Value,
    _explained,
    _not_finite_error,
    blame_overflow_error,
    topological_order,
)
from microgradx.messages import quoted, shortened
from microgradx.ops import Op, OutOfDomain
from microgradx.tape_code import ReplayCode

TYPE_CHECKING = False  # the typing module is slow to import; type checkers read this block
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, Union

    Target = Union[float, Sequence[float]]

__all__ = ["BatchTape", "Tape", "TapeMismatchError"]

_data_of, _grad_of = attrgetter("data"), attrgetter("grad")  # value.data, value.grad


class TapeMismatchError(AssertionError):
    """``Tape.check``: a freshly built graph differs from the recorded one."""


class Tape:
    """A graph recorded once and replayed with new numbers: ``tape.replay()``.

    ``Tape(loss)`` records the graph ``loss`` was computed from. Each
    ``tape.replay()`` reads the current number of every leaf (the same Value
    objects you hold; numbers written into the expression, ``tape.constants``,
    were read once), recomputes every node, runs the backward pass, adds each
    leaf's blame to its ``grad`` exactly as ``loss.backward()`` on a freshly built
    graph would, and returns the output's new number::

        tape = Tape(loss)
        for step in range(1000):
            x.data, y.data = next_example()     # refill the inputs
            optimizer.zero_grad()
            loss_now = tape.replay()
            optimizer.step()

    It cannot follow your own Python control flow, a graph whose shape depends
    on the data, plain numbers baked in as constants, or hand-made ops (refused
    here, by name): see the module's docstring. ``tape.check(build_loss())``
    tells whether a freshly built graph is still the one on the tape.
    """

    def __init__(self, output: Value) -> None:
        if not isinstance(output, Value):
            raise TypeError(
                f"Tape records the graph of a Value (a loss, for example), got "
                f"{type(output).__name__} {quoted(output)}."
            )
        if not output.children:
            raise ValueError(
                f"Tape got {_shown(output, 'a Value')} = {output.data!r}, a leaf: it was not "
                "computed from other Values (or it was computed under no_grad()), so there "
                "is no graph to record. Record the output of your computation, e.g. the loss."
            )
        inner = topological_order(output, leaves=False)  # the order backward() uses
        self.output: Value = output
        """The Value whose graph was recorded (it keeps the numbers of the recording)."""
        self.leaves: list[Value] = []
        """The leaves a replay reads (inputs, knobs), each once, in the order the nodes
        first use them: it reads their ``data`` and adds to their ``grad``."""
        self.constants: list[Value] = []
        """The numbers written into the expressions (the 0.1 of ``y + 0.1``), as leaves:
        read once, now. No code of yours holds them, so their numbers cannot change."""
        found: set[Value] = set()
        for node in inner:
            _check_recordable(node)
            for child in node.children:
                if not child.children and child not in found:
                    found.add(child)
                    (self.constants if child.op is CONSTANT_OP else self.leaves).append(child)
        self._nodes: list[Value] = inner
        self._first_node = len(self.leaves) + len(self.constants)
        """The position of the first node in the replay's lists: leaves, constants, nodes."""
        self._constant_numbers: list[float] = [constant.data for constant in self.constants]
        """The constants' numbers, as read now: every replay uses these."""
        in_order = [*self.leaves, *self.constants, *inner]  # as the replay's lists hold them
        slot = {value: position for position, value in enumerate(in_order)}
        self._children: list[tuple[int, ...]] = [
            tuple([slot[child] for child in node.children]) for node in inner
        ]
        """Each node's inputs, as positions: leaves, then constants, then the nodes in order."""
        self._code = ReplayCode(inner, self._children, self._first_node)
        """The replay, written out as Python and compiled (see ``microgradx.tape_code``)."""
        self._no_blame_yet: list[float] = [0.0] * (len(self.constants) + len(inner))
        """The constants' and the nodes' blame before a backward pass (copied, never changed)."""
        self._last: tuple[list[float], list[float]] | None = None
        """The last replay's numbers and blame, for ``write_back()``."""

    def __len__(self) -> int:
        """How many nodes the tape replays: its inner nodes (leaves are only read)."""
        return len(self._nodes)

    def __repr__(self) -> str:
        return (
            f"Tape({_shown(self.output, 'output')}: {len(self._nodes):,} nodes computed "
            f"from {len(self.leaves):,} leaves and {len(self.constants):,} constants)"
        )

    # ------------------------------------------------------------------
    # Replaying
    # ------------------------------------------------------------------

    def replay(self) -> float:
        """Forward and backward with the leaves' current numbers; returns the output's number.

        Every leaf's ``grad`` gets the new blame *added*, as with ``backward()``: zero
        the grads first (``optimizer.zero_grad()``). All or nothing: on an error no
        leaf's grad has changed. The recorded inner nodes are not updated (see
        ``write_back()``).
        """
        values, kept = self._forward()
        leaves = self.leaves
        grads_before = list(map(_grad_of, leaves))
        grads = self._backward(grads_before, values, kept)
        try:
            for _ in map(setattr, leaves, repeat("grad"), grads):  # leaf.grad = grad, each
                pass
        except BaseException:  # Ctrl-C half-way: put every leaf's grad back
            for leaf, grad in zip(leaves, grads_before):
                leaf.grad = grad
            raise
        self._last = (values, grads)
        return values[-1]

    def _forward(self) -> tuple[list[float], list[Any]]:
        """Every node's number, from the leaves' current numbers, and the kept local derivatives.

        ``values`` holds the leaves' numbers, the constants', then one number per node
        (the output last): a step's inputs are positions in it. ``kept`` holds the local
        derivatives of the steps that call their rule (see ``microgradx.tape_code``).
        """
        values = list(map(_data_of, self.leaves))
        values += self._constant_numbers
        kept: list[Any] = []
        try:
            self._code.forward(values, kept)
        except OutOfDomain as problem:
            raise self._forward_error(values, problem) from None
        except (ArithmeticError, ValueError) as problem:  # e.g. sin(inf), after an overflow
            raise self._forward_error(values, problem) from None
        if not isfinite(sum(values)):  # one sum finds any inf or nan
            error = self._first_not_finite(values)
            if error is not None:
                raise error
        return values, kept

    def _backward(
        self, grads_before: list[float], values: list[float], kept: list[Any]
    ) -> list[float]:
        """Every leaf's new grad and every node's blame (the leaves' come first).

        The chain rule from the output down, in ``backward()``'s order:
        ``grads[child] += local_grad * grads[node]``, starting from the leaves'
        grads as they were and 0.0 for every constant and every node (a fresh graph
        would have new constants).
        """
        grads = grads_before + self._no_blame_yet
        grads[-1] = 1.0  # d output / d output
        self._code.backward(grads, values, kept, grads_before)
        if not isfinite(sum(grads)):  # one sum finds any inf or nan
            error = self._first_blame_overflow(grads, values)
            if error is not None:
                raise error
        return grads

    def source(self) -> str:
        """The replay as Python: the forward and the backward loop this tape runs.

        One branch per kind of step in the graph, the most common first; see
        ``microgradx.tape_code`` for how it is written.
        """
        return self._code.source

    # ------------------------------------------------------------------
    # Showing the numbers, and checking the tape against a fresh graph
    # ------------------------------------------------------------------

    def write_back(self) -> None:
        """Put the last replay's numbers into the recorded nodes, for drawing them.

        Each inner node gets its new ``data``, ``local_grads`` and blame (``grad``),
        and each constant its blame, so ``draw_dot(tape.output)`` or
        ``explain(tape.output, ...)`` show the last replay. Replays do not do this
        themselves: it runs every node's rule again for its local derivatives and
        writes three attributes per node, which only a drawing needs. (The leaves'
        grads are already up to date.)
        """
        if self._last is None:
            raise RuntimeError(
                "write_back() shows the numbers of the last replay, and there has been "
                "none yet: call tape.replay() first."
            )
        values, grads = self._last
        local_grads = self._local_grads(values)
        for position, constant in enumerate(self.constants, start=len(self.leaves)):
            constant.grad = grads[position]
        first = self._first_node
        for position, (node, local) in enumerate(zip(self._nodes, local_grads), start=first):
            node.data = values[position]
            node.local_grads = local
            node.grad = grads[position]

    def check(self, output: Value) -> bool:
        """Compare a freshly built graph with the tape; True if the tape replays it exactly.

        Build the graph again, eagerly, with the same leaves and their current
        numbers (``tape.check(build_loss())``), then this compares it with the tape,
        node by node: the same op and settings, the same inputs, the same leaves
        (or constants of the same number), and the same number at every node. On a
        difference it raises ``TapeMismatchError`` saying where, and why that
        usually happens. No grad changes.
        """
        fresh = Tape(output)
        where = "tape.check(): the new graph"
        if _shape(fresh) != _shape(self):
            raise TapeMismatchError(
                f"{where} has {_shape_text(fresh)}, the tape {_shape_text(self)}: its shape "
                "has changed, so your code took another path or the data changed the graph "
                "(a batch of another size, an index or a max taken from the numbers). "
                "Record a new tape."
            )
        fixed_numbers = (
            "a number given as a plain number (a label, a target, a value taken from .data) "
            "was fixed when the tape was recorded"
        )
        for position, (mine, theirs) in enumerate(zip(self.leaves, fresh.leaves)):
            if mine is not theirs and (mine.data != theirs.data or mine._label != theirs._label):
                raise TapeMismatchError(
                    f"{where} uses leaf {position} {_leaf_text(theirs)} where the tape has "
                    f"{_leaf_text(mine)}. The tape reads the leaves it recorded: "
                    f"{fixed_numbers}, and a new Value made each step is not seen. Make it "
                    "one leaf Value and refill it: leaf.data = ..."
                )
        for position, (kept, new) in enumerate(zip(self._constant_numbers, fresh.constants)):
            if kept != new.data:
                raise TapeMismatchError(
                    f"{where} has the number {new.data!r} (constant {position}) where the "
                    f"tape has {kept!r}: {fixed_numbers}. Make it a leaf Value and refill it "
                    "each step: leaf.data = ..."
                )
        for index, (mine, theirs) in enumerate(zip(self._nodes, fresh._nodes)):
            if not _same_op(mine.op, theirs.op):
                raise TapeMismatchError(
                    f"{where} differs at node {index}: {_node_text(theirs)} where the tape "
                    f"has {_node_text(mine)}. Your code took another path (an if on a "
                    "number, or a loop that ran another number of times): record a new tape."
                )
            if self._children[index] != fresh._children[index]:
                raise TapeMismatchError(
                    f"{where} differs at node {index} ({_node_text(theirs)}): the same op, "
                    "but other inputs. Your code took another path: record a new tape."
                )
        values, _ = self._forward()
        first = self._first_node
        for index, node in enumerate(fresh._nodes):
            replayed = values[first + index]
            if replayed != node.data:
                raise TapeMismatchError(
                    f"{where} has {node.data!r} at node {index} ({_node_text(node)}), the "
                    f"tape's replay {replayed!r}: a number in it does not come from the "
                    "leaves the tape reads (a constant computed from .data, such as a max)."
                )
        return True

    # ------------------------------------------------------------------
    # Errors that say what went wrong, as eager mode would
    # ------------------------------------------------------------------

    def _forward_error(self, values: list[float], problem: Exception) -> Exception:
        """The user's error for a rule that failed at the node after the last value."""
        earlier = self._first_not_finite(values)
        if earlier is not None:  # an earlier overflow, not this op, is the cause
            return earlier
        node = self._nodes[len(values) - self._first_node]
        if isinstance(problem, OutOfDomain):
            return _explained(problem, node.op.primitive, node.children)  # type: ignore[attr-defined]
        return problem

    def _first_not_finite(self, values: list[float]) -> Exception | None:
        """The error for the first leaf or node whose number is inf or nan, if any."""
        first = self._first_node
        for position, number in enumerate(values):
            if isfinite(number):
                continue
            if position < first:
                leaf = self._value_at(position)
                return ValueError(
                    f"Tape.replay(): {_shown(leaf, 'a leaf')} holds {number!r}, and nan "
                    "and inf cannot take part in backpropagation. Check what set its "
                    ".data (an input, or an optimizer step that diverged)."
                )
            node = self._nodes[position - first]
            inputs = self._children[position - first]
            stand_ins = tuple(Value(values[i], self._label_at(i)) for i in inputs)  # shown
            return _not_finite_error(number, node.op, stand_ins)
        return None

    def _first_blame_overflow(self, grads: list[float], values: list[float]) -> Exception | None:
        """The error for the first input, from the output down, whose blame is inf or nan."""
        local_grads = self._local_grads(values)
        first = self._first_node
        for index in reversed(range(len(self._nodes))):
            node, node_position = self._nodes[index], first + index
            for child, local_grad in zip(self._children[index], local_grads[index]):
                if not isfinite(grads[child]):
                    return blame_overflow_error(
                        "Tape.replay()",
                        self._value_at(child),
                        grads[child],
                        node,
                        grads[node_position],
                        local_grad,
                    )
        return None

    def _local_grads(self, values: list[float]) -> list[tuple[float, ...]]:
        """Every node's local derivatives at these numbers, from its rule (for showing them)."""
        local_grads = []
        for node, inputs in zip(self._nodes, self._children):
            primitive, settings = node.op.primitive, node.op.parameters  # type: ignore[attr-defined]
            numbers = [values[i] for i in inputs]
            if primitive.arity is None:
                _, local = primitive.numbers(numbers, *settings)
            else:
                _, local = primitive.numbers(*numbers, *settings)
            local_grads.append(local)
        return local_grads

    def _value_at(self, position: int) -> Value:
        """The leaf, the constant or the recorded node at a position of the replay's lists."""
        if position < len(self.leaves):
            return self.leaves[position]
        if position < self._first_node:
            return self.constants[position - len(self.leaves)]
        return self._nodes[position - self._first_node]

    def _label_at(self, position: int) -> str:
        return self._value_at(position)._label


class BatchTape(Tape):
    """A tape of a model's loss on a batch of fixed size, refilled with new examples.

    ``BatchTape(model, loss, inputs, targets)`` makes one leaf Value per number of
    the first batch (``tape.inputs[i][j]``, ``tape.targets[i]``), records
    ``loss([model(x) for x in tape.inputs], tape.targets)``, and each
    ``tape.replay(inputs, targets)`` refills those leaves with the next batch's
    numbers before replaying::

        tape = BatchTape(model, loss, first_inputs, first_targets)
        for step in range(steps):
            optimizer.zero_grad()
            batch_loss = tape.replay(next_inputs, next_targets)
            optimizer.step()

    ``loss`` gets the targets as leaf Values, so it must use them as Values
    (``(1 - y * score).relu()``, ``(guess - y) ** 2``, a dot product with a one-hot
    row) rather than as plain numbers or indices, which would be fixed on the tape.
    A target is one number per example, or a list of numbers (a one-hot row).
    """

    def __init__(
        self,
        model: Callable[[list[Value]], Any],
        loss: Callable[[list[Any], list[Any]], Value],
        inputs: Sequence[Sequence[float]],
        targets: Sequence[Target],
    ) -> None:
        rows = _rows(inputs, "inputs")
        if not rows or not rows[0]:
            raise ValueError("BatchTape needs a first batch of at least one example, with inputs.")
        self.inputs = [
            [Value(x, label=f"x{i}.{j}") for j, x in enumerate(row, start=1)]
            for i, row in enumerate(rows, start=1)
        ]
        """One list of leaf Values per example: the model's inputs, refilled by ``replay``."""
        self.targets: list[Any] = [
            _target_leaves(target, i) for i, target in enumerate(_targets(targets, rows), start=1)
        ]
        """One leaf Value (or list of them) per example, refilled by ``replay``."""
        guesses = [model(example) for example in self.inputs]
        super().__init__(loss(guesses, self.targets))

    def replay(
        self,
        inputs: Sequence[Sequence[float]] | None = None,
        targets: Sequence[Target] | None = None,
    ) -> float:
        """Refill the batch (when given) and replay: the loss of this batch, grads added up."""
        if inputs is not None or targets is not None:
            self.fill(inputs, targets)
        return super().replay()

    def fill(
        self, inputs: Sequence[Sequence[float]] | None, targets: Sequence[Target] | None
    ) -> None:
        """Put a new batch's numbers into the input and target leaves (checked first)."""
        updates: list[tuple[Value, float]] = []
        if inputs is not None:
            rows = _rows(inputs, "inputs")
            _same_shape(rows, self.inputs, "inputs")
            for leaves, row in zip(self.inputs, rows):
                updates += zip(leaves, row)
        if targets is not None:
            given = _targets(targets, self.inputs)
            for leaf, target in zip(self.targets, given):
                if isinstance(leaf, Value):
                    updates.append((leaf, _number(target, "target")))
                else:
                    row = _rows([target], "targets")[0]
                    _same_shape([row], [leaf], "targets")
                    updates += zip(leaf, row)
        for leaf, number in updates:
            leaf.data = number


# ----------------------------------------------------------------------
# Recording helpers
# ----------------------------------------------------------------------


def _check_recordable(node: Value) -> None:
    """A node made by a primitive carries an ``ops.Op``; a hand-made op cannot be replayed."""
    if not isinstance(node.op, Op):
        label = f" (the node {quoted(node._label)})" if node._label else ""
        raise TypeError(
            f"Tape cannot record the hand-made op {quoted(str(node.op))}{label}: its local "
            "derivatives are numbers you computed when you made it, and the tape has no rule "
            "to compute them again from new numbers. Build the step from microgradx's ops "
            "(for a cube, x ** 3), or add the op to the table in microgradx/ops.py."
        )


def _shape(tape: Tape) -> tuple[int, int, int]:
    return len(tape._nodes), len(tape.leaves), len(tape.constants)


def _shape_text(tape: Tape) -> str:
    nodes, leaves, constants = _shape(tape)
    return f"{nodes:,} nodes, {leaves:,} leaves and {constants:,} constants"


def _same_op(mine: str, theirs: str) -> bool:
    """The same primitive with the same settings (both recorded, so both are ``Op``s)."""
    return (
        mine.primitive is theirs.primitive  # type: ignore[attr-defined]
        and mine.parameters == theirs.parameters  # type: ignore[attr-defined]
    )


def _shown(value: Value, fallback: str) -> str:
    """A value's label for a message, cut short if long, or a stand-in name."""
    return shortened(value._label) if value._label else fallback


def _leaf_text(leaf: Value) -> str:
    return f"{_shown(leaf, 'unlabelled')} = {leaf.data!r}"


def _node_text(node: Value) -> str:
    name = f"{shortened(node._label)} = " if node._label else ""
    return f"{name}{str(node.op)!r} of {len(node.children)} inputs"


# ----------------------------------------------------------------------
# BatchTape's checks of the numbers it is given
# ----------------------------------------------------------------------


def _number(x: object, what: str) -> float:
    """``x`` as a finite float, or a clear error."""
    if isinstance(x, Value):
        raise TypeError(
            f"BatchTape {what}s are plain numbers (the tape has leaf Values of its own), got "
            f"a Value {quoted(x)}. Give its number: value.data."
        )
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"BatchTape {what}s must be numbers, got {type(x).__name__} {quoted(x)}.")
    try:
        number = float(x)
    except OverflowError:
        number = math.inf
    if not isfinite(number):
        raise ValueError(f"BatchTape {what}s must be finite numbers, got {quoted(x)}.")
    return number


def _rows(rows: object, what: str) -> list[list[float]]:
    if isinstance(rows, (str, bytes)) or not hasattr(rows, "__iter__"):
        raise TypeError(
            f"BatchTape {what} are one list of numbers per example, got {type(rows).__name__} "
            f"{quoted(rows)}."
        )
    checked = []
    for row in rows:
        if isinstance(row, (str, bytes)) or not hasattr(row, "__iter__"):
            raise TypeError(
                f"BatchTape {what} are one list of numbers per example, got an example "
                f"{quoted(row)}."
            )
        checked.append([_number(x, what.rstrip("s")) for x in row])
    return checked


def _targets(targets: object, rows: Sequence[object]) -> list[Any]:
    if isinstance(targets, (str, bytes)) or not hasattr(targets, "__len__"):
        raise TypeError(
            f"BatchTape targets are one number (or list of numbers) per example, got "
            f"{type(targets).__name__} {quoted(targets)}."
        )
    given: list[Any] = list(targets)  # type: ignore[call-overload]
    if len(given) != len(rows):
        raise ValueError(
            f"BatchTape needs one target per example: {len(rows)} examples, {len(given)} targets."
        )
    return given


def _target_leaves(target: object, example: int) -> Value | list[Value]:
    if hasattr(target, "__iter__") and not isinstance(target, (str, bytes, Value)):
        row = _rows([target], "targets")[0]
        return [Value(y, label=f"y{example}.{k}") for k, y in enumerate(row, start=1)]
    return Value(_number(target, "target"), label=f"y{example}")


def _same_shape(rows: list[list[float]], leaves: Sequence[Sequence[Value]], what: str) -> None:
    if len(rows) != len(leaves):
        raise ValueError(
            f"this BatchTape was recorded for batches of {len(leaves)} examples, got "
            f"{len(rows)} {what}. A tape replays one graph: record another tape for "
            "another batch size."
        )
    for i, (row, row_leaves) in enumerate(zip(rows, leaves), start=1):
        if len(row) != len(row_leaves):
            raise ValueError(
                f"example {i} of the {what} has {len(row)} numbers; this BatchTape was "
                f"recorded with {len(row_leaves)}."
            )
