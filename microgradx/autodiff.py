"""Derivatives as functions: gradients of gradients, Hessians, and forward mode.

``backward()`` writes each node's blame into its ``.grad``. The functions here
*return* derivatives instead, and touch no ``.grad`` at all:

* ``grad(output, inputs)``: d output / d input for each input, by the same
  reverse sweep as ``backward()`` (the chain rule from the output down).
  With ``create_graph=True`` every step of that sweep is itself computed with
  Values: each op's local derivatives come from its entry in the table
  (``ops.tanh.derivatives``: ``1 - out * out``), so the returned gradients are
  graphs too. They can be drawn, explained, and differentiated again:
  ``grad(grad(y, [x], create_graph=True)[0], [x])`` is d²y/dx².
* ``hessian(f, inputs)``: the matrix of second derivatives of a function.
* ``jvp(f, inputs, tangents)``: forward mode. Instead of blame flowing down from
  the output, a *tangent* (how fast each value moves when the inputs move in the
  direction ``tangents``) flows up from the inputs: each node's tangent is the
  sum of its inputs' tangents times its local derivatives. One forward sweep
  gives the derivative along one direction; one reverse sweep gives the
  derivative with respect to every input at once. That difference is why
  backpropagation, not forward mode, trains networks with millions of knobs
  (see ``demos/why_backprop.py``).
"""

from __future__ import annotations

from numbers import Real

from microgradx.engine import Value, _real_number, is_grad_enabled, topological_order
from microgradx.messages import quoted
from microgradx.ops import Op

TYPE_CHECKING = False  # the typing module is slow to import; type checkers read this block
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Union

    Operand = Union[Value, int, float]

__all__ = ["grad", "hessian", "jvp"]


def grad(output: Value, inputs: Sequence[Value], *, create_graph: bool = False) -> list[Value]:
    """d output / d input for every Value in ``inputs``, as new Values; no ``.grad`` changes.

    The reverse sweep of ``backward()``, written to a scratch table instead of
    ``.grad``. An input that ``output`` does not depend on gets 0.0. Inputs may
    be leaves or nodes inside the graph (then it is their blame, as in a drawing).

    * ``create_graph=False``: each result is a leaf holding the number, exactly
      the ``grad`` that ``backward()`` computes from zeroed grads.
    * ``create_graph=True``: each result is the output of a graph built from the
      original one, so it can be differentiated again (``grad`` of a ``grad``,
      to any order), drawn with ``draw_dot`` or stepped through with ``explain``.
      A hand-made op (a Value built with its own numeric local derivatives) has
      no formula to differentiate: it is an error that names it.
    """
    _check_output(output, "grad")
    wanted = _checked_inputs(inputs, "grad")
    if not isinstance(create_graph, bool):
        raise TypeError(f"grad's create_graph must be True or False, got {quoted(create_graph)}.")
    if create_graph:
        if not is_grad_enabled():
            raise RuntimeError(
                "grad(..., create_graph=True) builds a graph of the gradients, but it was "
                "called inside no_grad(), where no graph is recorded. Call it outside the "
                "'with no_grad():' block."
            )
        blame = _blame_as_values(output)
        zero = Value(0.0)
        return [blame.get(node, zero) for node in wanted]
    numbers = _blame_as_numbers(output)
    return [Value(numbers.get(node, 0.0)) for node in wanted]


def hessian(f: Callable[..., Value], inputs: Sequence[Operand]) -> list[list[float]]:
    """The matrix H[i][j] = d²f / (d input_i d input_j), for a function of Values.

    ``f`` takes one Value per input and returns a Value, as for ``gradcheck``;
    ``inputs`` are numbers (or Values, whose numbers are used). ``f`` is called
    once on fresh leaves; the first derivatives are computed as graphs
    (``grad(..., create_graph=True)``) and each of them is differentiated again.
    The matrix is symmetric: the order of differentiation does not matter.
    """
    leaves = _fresh_leaves(inputs, "hessian")
    output = _called(f, leaves, "hessian")
    first = grad(output, leaves, create_graph=True)
    return [[second.data for second in grad(d, leaves)] for d in first]


def jvp(
    f: Callable[..., Value], inputs: Sequence[Operand], tangents: Sequence[float]
) -> tuple[float, float]:
    """Forward mode: ``(f(inputs), the derivative of f along tangents)``.

    The directional derivative sum_i (df / d input_i) * tangents[i], computed
    by pushing tangents *forward*: each input starts with its tangent, and each
    node's tangent is the sum over its inputs of local derivative x that input's
    tangent, in topological order (the forward pass's own order). Reverse mode
    gives the same number as ``sum(g * t for g, t in zip(grad(...), tangents))``.
    """
    leaves = _fresh_leaves(inputs, "jvp")
    directions = [_real_number(t, "jvp tangent") for t in _sequence(tangents, "jvp", "tangents")]
    if len(directions) != len(leaves):
        raise ValueError(
            f"jvp needs one tangent per input, got {len(leaves)} inputs and "
            f"{len(directions)} tangents."
        )
    output = _called(f, leaves, "jvp")
    tangent: dict[Value, float] = dict(zip(leaves, directions))
    for node in topological_order(output):
        if node.children:
            tangent[node] = sum(
                local_grad * tangent.get(child, 0.0)
                for child, local_grad in zip(node.children, node.local_grads)
            )
    return output.data, tangent.get(output, 0.0)


# ----------------------------------------------------------------------
# The reverse sweep, with numbers and with Values
# ----------------------------------------------------------------------


def _blame_as_numbers(output: Value) -> dict[Value, float]:
    """Each node's blame d output / d node, in ``backward()``'s order of additions."""
    blame: dict[Value, float] = {output: 1.0}
    for node in reversed(topological_order(output, leaves=False)):
        node_blame = blame.get(node, 0.0)
        for child, local_grad in zip(node.children, node.local_grads):
            blame[child] = blame.get(child, 0.0) + local_grad * node_blame
    return blame


def _blame_as_values(output: Value) -> dict[Value, Value]:
    """Each node's blame as a Value computed from the graph, so it can be differentiated."""
    blame: dict[Value, Value] = {output: Value(1.0)}
    for node in reversed(topological_order(output, leaves=False)):
        node_blame = blame.get(node)
        if node_blame is None:
            continue
        for child, local in zip(node.children, _local_derivatives_as_values(node)):
            share = local * node_blame
            earlier = blame.get(child)
            blame[child] = share if earlier is None else earlier + share
    return blame


def _local_derivatives_as_values(node: Value) -> tuple[Value | float, ...]:
    """The node's local derivatives, written with Values by its op's entry in the table."""
    op = node.op
    if not isinstance(op, Op):
        raise TypeError(
            f"cannot differentiate through the hand-made op {quoted(str(op))} a second "
            f"time: its local derivatives {list(node.local_grads)} are numbers given to "
            "Value(), with no formula to differentiate. Build it from microgradx's ops "
            "(or add it to the table in microgradx/ops.py) to take higher derivatives."
        )
    primitive = op.primitive
    if primitive.arity is None:
        return primitive.derivatives(*node.children, node)
    return primitive.derivatives(*node.children, node, *op.parameters)


# ----------------------------------------------------------------------
# Checking what was passed in
# ----------------------------------------------------------------------


def _check_output(output: object, function: str) -> None:
    if not isinstance(output, Value):
        raise TypeError(
            f"{function}() differentiates a Value (the output of a computation), got "
            f"{type(output).__name__} {quoted(output)}."
        )


def _checked_inputs(inputs: object, function: str) -> list[Value]:
    if isinstance(inputs, Value):
        return [inputs]
    items = _sequence(inputs, function, "inputs")
    for item in items:
        if not isinstance(item, Value):
            raise TypeError(
                f"{function}() needs the Values to differentiate with respect to, got "
                f"{type(item).__name__} {quoted(item)}. Pass the leaves themselves, "
                f"e.g. {function}(loss, [w, b])."
            )
    return list(items)  # type: ignore[arg-type]


def _sequence(items: object, function: str, what: str) -> Sequence[object]:
    if isinstance(items, (str, bytes)) or not hasattr(items, "__len__"):
        raise TypeError(
            f"{function}() needs a list of {what}, got {type(items).__name__} {quoted(items)}."
        )
    return list(items)  # type: ignore[call-overload, no-any-return]


def _fresh_leaves(inputs: object, function: str) -> list[Value]:
    """One new leaf per input, with the input's number (and label, for a Value)."""
    if isinstance(inputs, (Value, Real)):
        inputs = [inputs]
    leaves = []
    for i, item in enumerate(_sequence(inputs, function, "inputs")):
        if isinstance(item, Value):
            leaves.append(Value(item.data, item.label or f"x{i}"))
        else:
            leaves.append(Value(_real_number(item, f"{function} input {i}"), f"x{i}"))
    if not leaves:
        raise ValueError(f"{function}() got no inputs: pass at least one number.")
    return leaves


def _called(f: Callable[..., Value], leaves: list[Value], function: str) -> Value:
    if not callable(f):
        raise TypeError(
            f"{function}() needs a function of Values (like def f(x, y): return x * y), "
            f"got {type(f).__name__} {quoted(f)}."
        )
    if not is_grad_enabled():
        raise RuntimeError(
            f"{function}() needs a recorded graph, but it was called inside no_grad(). "
            "Call it outside the 'with no_grad():' block."
        )
    output = f(*leaves)
    if not isinstance(output, Value):
        raise TypeError(
            f"{function}(): the function must return a Value, got {type(output).__name__} "
            f"{quoted(output)}."
        )
    return output
