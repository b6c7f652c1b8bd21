"""The engine: backpropagation over a graph of scalar Values.

Every arithmetic step makes a new ``Value`` node that remembers three things:

* ``children``: the Values it was computed from, in order (``a * a`` keeps both);
* ``local_grads``: the local derivative of its result with respect to each child,
  computed during the forward pass (for ``out = a * b``: ``b`` and ``a``);
* ``op``: the name of the step, for printing and drawing.

``backward()`` then needs no knowledge of any op. It visits the nodes from the
output down and hands each child its share of the blame, by the chain rule::

    child.grad += local_grad * node.grad

Blame that reaches a node along several paths adds up. Because nodes hold plain
numbers and tuples (no closures that point back at the node), a graph has no
reference cycles: it is freed the moment the last reference to it goes away.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from math import isfinite
from numbers import Real
from operator import mul

TYPE_CHECKING = False  # the typing module is slow to import; type checkers read this block
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence
    from typing import Union

    Operand = Union["Value", int, float]
    """Anything an op accepts: a Value or a plain real number."""

_grad_enabled = True
"""False inside ``no_grad()``: ops then make leaf nodes that remember no history."""


class Value:
    """One scalar in a computation graph: its number, its blame, and how it was made.

    ``data`` is the number computed by the forward pass. ``grad`` is its blame:
    d(output)/d(this value), filled in by ``output.backward()``; it is ``0.0``
    until then. ``label`` is an optional name, shown in drawings and errors.

    ``Value(2.0, label="x")`` makes a leaf: an input or a knob. The built-in ops
    make their nodes with ``_result()``. To write an op of your own, pass its
    children, its local derivatives and a name:
    ``Value(x.data ** 3, "", (x,), (3 * x.data ** 2,), "cube")``.
    """

    __slots__ = ("children", "data", "grad", "label", "local_grads", "op")

    # Makes numpy hand `numpy_number * value` over to Value's own operators.
    __array_ufunc__ = None

    def __init__(
        self,
        data: float,
        label: str = "",
        _children: tuple[Value, ...] = (),
        _local_grads: tuple[float, ...] = (),
        _op: str = "",
    ) -> None:
        if type(data) is not float:
            data = _real_number(data)
        if not isfinite(data):
            raise _not_finite_error(data, _op, _children)
        if type(label) is not str:
            raise TypeError(
                f"Value label must be a str, got {type(label).__name__} {label!r}. "
                "Name a value like this: Value(2.0, label='x')."
            )
        self.data = data
        self.grad = 0.0
        self.label = label
        if _grad_enabled:
            self.children = _children
            self.local_grads = _local_grads
            self.op = _op
        else:
            self.children = self.local_grads = ()
            self.op = ""

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def __float__(self) -> float:
        return self.data

    # ------------------------------------------------------------------
    # Arithmetic. Each op returns a new node with its local derivatives.
    # A plain number becomes a constant node (the isinstance test saves a
    # call in the common Value-with-Value case: about 10% of an op).
    # ------------------------------------------------------------------

    def __add__(self, other: Operand) -> Value:
        """out = a + b.   d out/d a = 1,   d out/d b = 1"""
        if not isinstance(other, Value):
            other = _operand(other, "+")
        return _result(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __radd__(self, other: Operand) -> Value:
        return _operand(other, "+") + self

    def __sub__(self, other: Operand) -> Value:
        """out = a - b.   d out/d a = 1,   d out/d b = -1"""
        if not isinstance(other, Value):
            other = _operand(other, "-")
        return _result(self.data - other.data, (self, other), (1.0, -1.0), "-")

    def __rsub__(self, other: Operand) -> Value:
        return _operand(other, "-") - self

    def __mul__(self, other: Operand) -> Value:
        """out = a * b.   d out/d a = b,   d out/d b = a"""
        if not isinstance(other, Value):
            other = _operand(other, "*")
        return _result(self.data * other.data, (self, other), (other.data, self.data), "*")

    def __rmul__(self, other: Operand) -> Value:
        return _operand(other, "*") * self

    def __truediv__(self, other: Operand) -> Value:
        """out = a / b.   d out/d a = 1/b,   d out/d b = -a/b^2"""
        if not isinstance(other, Value):
            other = _operand(other, "/")
        if other.data == 0.0:
            raise ZeroDivisionError(
                f"division by zero in {_name(self, 'numerator')} / {_name(other, 'divisor')}: "
                f"the divisor is 0.0 (the numerator is {self.data:g}). "
                "Dividing needs a non-zero divisor."
            )
        out = self.data / other.data
        return _result(out, (self, other), (1.0 / other.data, -out / other.data), "/")

    def __rtruediv__(self, other: Operand) -> Value:
        return _operand(other, "/") / self

    def __neg__(self) -> Value:
        """out = -a.   d out/d a = -1"""
        return _result(-self.data, (self,), (-1.0,), "neg")

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        """out = |a|.   d out/d a = 1 if a > 0, -1 if a < 0, and 0 at the kink a = 0"""
        x = self.data
        slope = 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0
        return _result(abs(x), (self,), (slope,), "abs")

    def __pow__(self, exponent: Operand) -> Value:
        """out = a ** n.

        With a plain number n (the power rule): d out/d a = n * a^(n-1); the
        exponent is part of the op (``**2``), not a node.
        With a Value exponent b: d out/d a = b * a^(b-1),  d out/d b = a^b * log(a).
        """
        if isinstance(exponent, Value):
            return _power_of_values(self, exponent)
        n = _real_number(exponent, f"{_name(self, 'base')} ** exponent")
        x = self.data
        expression = f"{_name(self, 'base')} ** {n:g} at {_name(self, 'base')} = {x:g}"
        result = _real_power(x, n, expression)
        if n == 0.0:
            slope = 0.0
        elif x == 0.0 and n < 1.0:
            raise _infinite_slope_error(expression)
        else:
            slope = n * _real_power(x, n - 1.0, expression)
        return _result(result, (self,), (slope,), f"**{n:g}")

    def __rpow__(self, base: Operand) -> Value:
        """out = c ** b for a number c: the number becomes a constant node."""
        return _power_of_values(_operand(base, "**"), self)

    # ------------------------------------------------------------------
    # Functions. Each docstring gives the local derivative.
    # ------------------------------------------------------------------

    def exp(self) -> Value:
        """e^x.   d/dx e^x = e^x"""
        x = self.data
        if x > _LARGEST_EXP_INPUT:
            raise OverflowError(
                f"exp({_name(self)}) with {_name(self)} = {x:g} is too large for a float "
                f"(exp overflows above {_LARGEST_EXP_INPUT:.2f}). Scale the input down, "
                "or use a numerically stable form such as sigmoid or log-sum-exp."
            )
        out = math.exp(x)
        return _result(out, (self,), (out,), "exp")

    def log(self) -> Value:
        """Natural logarithm.   d/dx log(x) = 1/x   (defined for x > 0)"""
        x = self.data
        if x <= 0.0:
            raise ValueError(
                f"log({_name(self)}) is undefined for {_name(self)} = {x:g}: "
                "log needs a positive number. If the input can reach 0, add a small "
                "epsilon (log(x + 1e-12)) or use a stable loss from microgradx.losses."
            )
        return _result(math.log(x), (self,), (1.0 / x,), "log")

    def sqrt(self) -> Value:
        """Square root.   d/dx sqrt(x) = 1 / (2 sqrt(x))   (defined for x > 0)"""
        x = self.data
        if x < 0.0:
            raise ValueError(
                f"sqrt({_name(self)}) is undefined for {_name(self)} = {x:g}: "
                "the square root of a negative number is not a real number."
            )
        if x == 0.0:
            raise ValueError(
                f"sqrt({_name(self)}) at {_name(self)} = 0.0 has an infinite slope "
                "(1 / (2 sqrt(0))), so blame cannot flow back through it. "
                "Add a small epsilon: (x + 1e-12).sqrt()."
            )
        out = math.sqrt(x)
        return _result(out, (self,), (0.5 / out,), "sqrt")

    def tanh(self) -> Value:
        """Hyperbolic tangent.   d/dx tanh(x) = 1 - tanh(x)^2

        ``math.tanh`` never overflows: tanh(1000) is exactly 1.0.
        """
        t = math.tanh(self.data)
        return _result(t, (self,), (1.0 - t * t,), "tanh")

    def sigmoid(self) -> Value:
        """Logistic sigmoid s(x) = 1 / (1 + e^-x).   d/dx s(x) = s(x) * (1 - s(x))

        Computed without overflow: for x < 0 as e^x / (1 + e^x), so
        sigmoid(-1000) is exactly 0.0.
        """
        x = self.data
        if x >= 0.0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return _result(s, (self,), (s * (1.0 - s),), "sigmoid")

    def relu(self) -> Value:
        """max(0, x).   d/dx relu(x) = 1 if x > 0 else 0   (0 at the kink x = 0)"""
        x = self.data
        if x > 0.0:
            return _result(x, (self,), (1.0,), "relu")
        return _result(0.0, (self,), (0.0,), "relu")

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x if x > 0 else slope * x.   d/dx = 1 if x > 0 else slope"""
        slope = _real_number(slope, "leaky_relu slope")
        if not isfinite(slope):
            raise ValueError(f"leaky_relu slope must be a finite number, got {slope!r}.")
        x = self.data
        if x > 0.0:
            return _result(x, (self,), (1.0,), "leaky_relu")
        return _result(slope * x, (self,), (slope,), "leaky_relu")

    def sin(self) -> Value:
        """Sine.   d/dx sin(x) = cos(x)"""
        x = self.data
        return _result(math.sin(x), (self,), (math.cos(x),), "sin")

    def cos(self) -> Value:
        """Cosine.   d/dx cos(x) = -sin(x)"""
        x = self.data
        return _result(math.cos(x), (self,), (-math.sin(x),), "cos")

    # ------------------------------------------------------------------
    # Comparisons look at the numbers. Equality stays identity, so that
    # every node is a distinct key in sets and dicts.
    # ------------------------------------------------------------------

    def __lt__(self, other: Operand) -> bool:
        return self.data < _operand(other, "<").data

    def __le__(self, other: Operand) -> bool:
        return self.data <= _operand(other, "<=").data

    def __gt__(self, other: Operand) -> bool:
        return self.data > _operand(other, ">").data

    def __ge__(self, other: Operand) -> bool:
        return self.data >= _operand(other, ">=").data

    # ------------------------------------------------------------------
    # Backpropagation
    # ------------------------------------------------------------------

    def backward(self) -> None:
        """Fill in ``grad`` for every node this Value was computed from.

        ``grad`` of a node becomes d(self)/d(node). The output's own grad is
        seeded with 1.0, then blame flows from the output down, by the chain
        rule: ``child.grad += local_grad * node.grad``.

        What adds up and what does not:

        * Leaves (inputs and parameters, the nodes with no children) *add* the
          new blame to what they already hold, so blame from several losses
          sums up. Call ``zero_grad()`` (on the model, the optimizer, or this
          output) before each training step.
        * Intermediate nodes are reset first, so they never count twice.
        * Calling ``backward()`` a second time on the same output raises a
          ``RuntimeError`` instead of silently doubling every gradient.
        """
        if self.grad != 0.0:
            raise RuntimeError(
                f"backward() was already run on this output, or it already holds blame "
                f"from another backward pass: its grad is {self.grad!r}, not 0.0. Running "
                "backward() now would add gradients a second time. Call .zero_grad() on "
                "this output first to start over."
            )
        inner_nodes = topological_order(self, leaves=False)
        for node in inner_nodes:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(inner_nodes):
            blame = node.grad
            for child, local_grad in zip(node.children, node.local_grads):
                child.grad += local_grad * blame
        _check_gradients_are_finite(inner_nodes)

    def zero_grad(self) -> None:
        """Set ``grad`` to 0.0 on this Value and on every node it was computed from."""
        for node in topological_order(self):
            node.grad = 0.0

    def detach(self) -> Value:
        """A new leaf with the same number and label, cut off from this graph."""
        return Value(self.data, self.label)

    # ------------------------------------------------------------------
    # micrograd compatibility: lecture-style drawing code reads these.
    # ------------------------------------------------------------------

    @property
    def _prev(self) -> set[Value]:
        """The children as a set (micrograd's name); prefer ``children``."""
        return set(self.children)

    @property
    def _op(self) -> str:
        """The op name (micrograd's name); prefer ``op``."""
        return self.op


_new_value = object.__new__
"""Makes an empty Value without running ``__init__`` (see ``_result``)."""


def _result(
    data: float, children: tuple[Value, ...], local_grads: tuple[float, ...], op: str
) -> Value:
    """The node an op makes: its number, its inputs and its local derivatives.

    It sets the same fields as ``Value.__init__``, which checks what a user
    passes in. An op's number is a float already, so only finiteness is left to
    check here, and skipping ``__init__`` makes every op about 10-20% faster.
    """
    if not isfinite(data):
        raise _not_finite_error(data, op, children)
    node = _new_value(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    if _grad_enabled:
        node.children = children
        node.local_grads = local_grads
        node.op = op
    else:
        node.children = node.local_grads = ()
        node.op = ""
    return node


# ----------------------------------------------------------------------
# N-ary ops: one node for a whole sum or dot product, fewer nodes to walk.
# ----------------------------------------------------------------------


def sum_values(values: Iterable[Operand]) -> Value:
    """s = v1 + v2 + ... + vn as a single node.   d s/d vi = 1 for every i"""
    children = _operands(values, "sum")
    if not children:
        raise ValueError("sum_values() needs at least one value, got an empty list.")
    total = sum([child.data for child in children])
    return _result(total, children, (1.0,) * len(children), "sum")


def dot(weights: Sequence[Operand], inputs: Sequence[Operand]) -> Value:
    """d = w1*x1 + w2*x2 + ... + wn*xn as a single node.

    d d/d wi = xi,   d d/d xi = wi. The children are the weights, then the inputs.
    """
    return _dot_of_values(_operands(weights, "dot"), _operands(inputs, "dot"))


def _dot_of_values(weights: tuple[Value, ...], inputs: tuple[Value, ...]) -> Value:
    """``dot()`` for tuples that hold Values only (``nn.Neuron`` calls it directly)."""
    if len(weights) != len(inputs):
        raise ValueError(
            f"dot() needs as many weights as inputs, got {len(weights)} weights "
            f"and {len(inputs)} inputs."
        )
    w_data = [w.data for w in weights]
    x_data = [x.data for x in inputs]
    total = sum(map(mul, w_data, x_data))
    return _result(total, weights + inputs, (*x_data, *w_data), "dot")


# ----------------------------------------------------------------------
# Graph order and gradient mode
# ----------------------------------------------------------------------


def topological_order(root: Value, leaves: bool = True) -> list[Value]:
    """Every node ``root`` depends on, each listed after all of its children.

    With ``leaves=False``, only the nodes made by an op (the ones with children):
    all that ``backward()`` needs, since leaves have no blame to pass on.

    Depth-first search without recursion (so a chain of a million ops works):
    a node is placed once all its children are (reverse postorder). When a
    node's children are pushed on the stack, a ``None`` marker goes under them,
    on top of the node: popping the marker means they are all placed.
    """
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[Value | None] = [root]
    while stack:
        node = stack.pop()
        if node is None:
            order.append(stack.pop())
        elif node not in visited:
            visited.add(node)
            if node.children:
                stack.append(node)
                stack.append(None)
                for child in node.children:
                    if (leaves or child.children) and child not in visited:
                        stack.append(child)
            elif leaves:
                order.append(node)
    return order


@contextmanager
def no_grad() -> Iterator[None]:
    """Compute values without recording a graph (faster, for evaluation).

    Inside ``with no_grad():`` every result is a leaf: it has a number but no
    children, so nothing can be backpropagated through it.
    """
    global _grad_enabled
    previous = _grad_enabled
    _grad_enabled = False
    try:
        yield
    finally:
        _grad_enabled = previous


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()``."""
    return _grad_enabled


# ----------------------------------------------------------------------
# Helpers: turning inputs into Values, and errors that explain themselves
# ----------------------------------------------------------------------

_LARGEST_EXP_INPUT = math.log(1.7976931348623157e308)  # about 709.78


def _operand(other: Operand, op: str) -> Value:
    """``other`` as a Value: numbers become constant (leaf) nodes."""
    if isinstance(other, Value):
        return other
    if type(other) is float:
        return _result(other, (), (), "")
    if isinstance(other, (float, int, Real)):
        return Value(other)
    raise TypeError(
        f"unsupported operand for {op!r}: a Value and a {type(other).__name__} "
        f"({other!r}). Only numbers (int, float) and Values can be combined."
    )


def _operands(items: Iterable[Operand], op: str) -> tuple[Value, ...]:
    """``items`` as a tuple of Values (numbers become constant leaves)."""
    values = tuple(items)
    for value in values:
        if type(value) is not Value:  # a number (or a subclass): convert item by item
            return tuple([_operand(item, op) for item in values])
    return values


def _real_number(x: object, what: str = "Value()") -> float:
    """``x`` as a float, or a TypeError that says what was received instead."""
    if isinstance(x, Value):
        raise TypeError(
            f"{what} needs a plain number but got a Value ({x!r}). "
            "Use the Value itself, or its number: value.data."
        )
    if isinstance(x, (float, int, Real)):
        try:
            return float(x)
        except OverflowError:
            raise OverflowError(
                f"{what} got a number too large for a float (the largest is about "
                "1.8e308). Scale your numbers down."
            ) from None
    raise TypeError(f"{what} needs a real number (int or float), got {type(x).__name__} {x!r}.")


def _check_gradients_are_finite(inner_nodes: list[Value]) -> None:
    """Raise if blame overflowed during backward.

    Every node but the output is a child of an inner node, so one sum over the
    children's grads checks them all at once (an inf or nan keeps the sum from
    being finite); only then are they searched, from the output down.
    """
    if isfinite(sum([child.grad for node in inner_nodes for child in node.children])):
        return
    for node in reversed(inner_nodes):
        for child in node.children:
            if not isfinite(child.grad):
                raise OverflowError(
                    f"backward() gave {_name(child, 'an unlabelled value')} a gradient of "
                    f"{child.grad!r}: the blame grew too large for a float. This happens "
                    "when a local derivative is huge, for example after dividing by a "
                    "number very close to 0. Keep divisors and log inputs away from 0."
                )


def _name(value: Value, fallback: str = "value") -> str:
    """The label of a value for messages, or a stand-in name if it has none."""
    return value.label or fallback


def _not_finite_error(data: float, op: str, children: tuple[Value, ...]) -> Exception:
    if not op:
        return ValueError(
            f"Value() needs a finite number, got {data!r}. "
            "nan and inf cannot take part in backpropagation."
        )
    inputs = ", ".join(repr(child.data) for child in children)
    return OverflowError(
        f"{op!r} of ({inputs}) gave {data!r}: the result does not fit in a float. "
        "Scale your numbers down."
    )


def _real_power(x: float, n: float, expression: str) -> float:
    """x ** n as a real float, or an error that names the expression."""
    if x == 0.0 and n < 0.0:
        raise ZeroDivisionError(f"{expression} divides by zero (0 to a negative power).")
    if x < 0.0 and not n.is_integer():
        raise ValueError(
            f"{expression} is not a real number: a negative number to a fractional "
            "power is complex. Use a positive base."
        )
    try:
        return x**n
    except OverflowError:
        raise OverflowError(f"{expression} is too large for a float.") from None


def _infinite_slope_error(expression: str) -> ValueError:
    return ValueError(
        f"{expression} has an infinite slope, so blame cannot flow back through it. "
        "Keep the base away from 0, for example by adding a small epsilon."
    )


def _power_of_values(base: Value, exponent: Value) -> Value:
    """out = a ** b for two Values: d out/d a = b * a^(b-1),  d out/d b = a^b * log(a)."""
    a, b = base.data, exponent.data
    a_name, b_name = _name(base, "base"), _name(exponent, "exponent")
    expression = f"{a_name} ** {b_name} at {a_name} = {a:g}, {b_name} = {b:g}"
    if a < 0.0 or (a == 0.0 and b <= 0.0):
        raise ValueError(
            f"{expression}: a Value exponent needs a positive base, because the "
            "slope with respect to the exponent is a^b * log(a). If the exponent is "
            "a fixed number, write it as a plain number (x ** 2): that allows any base."
        )
    result = _real_power(a, b, expression)
    if a == 0.0:
        if b < 1.0:
            raise _infinite_slope_error(expression)
        slope_base = 1.0 if b == 1.0 else 0.0
        slope_exponent = 0.0
    else:
        slope_base = b * _real_power(a, b - 1.0, expression)
        slope_exponent = result * math.log(a)
    return _result(result, (base, exponent), (slope_base, slope_exponent), "**")
