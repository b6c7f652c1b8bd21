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

What each op computes, and its local derivatives, is written once, in the table
of primitives (``microgradx/ops.py``): ``Value.tanh`` runs the rule ``ops.tanh``
to make its node, and so does everything else that needs the rule.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from math import isfinite
from numbers import Real

from microgradx import ops
from microgradx.messages import quoted, shortened
from microgradx.ops import OutOfDomain

TYPE_CHECKING = False  # the typing module is slow to import; type checkers read this block
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence
    from typing import Any, NoReturn, Union

    Operand = Union["Value", int, float]
    """Anything an op accepts: a Value or a plain real number."""

_recording: ContextVar[bool] = ContextVar("microgradx_recording", default=True)
"""False inside ``no_grad()`` in this thread (or async task): ops then record no graph."""
_open_no_grad_blocks: list[None] = []
"""One entry per ``no_grad()`` block open in any thread. While it is empty, which is
almost always, ops need not look up ``_recording`` at all."""


# ----------------------------------------------------------------------
# How an op becomes a node. Each op's rule (ops.py) takes the numbers of
# the inputs and returns the result and one local derivative per input;
# the node keeps both, with the inputs as its children:
#
#     out, local_grads = rule(a.data, b.data)
#     node = Value(out) with children (a, b) and those local_grads
# ----------------------------------------------------------------------


def _unary_method(primitive: ops.Primitive) -> Callable[[Value], Value]:
    """The method ``x.tanh()`` (or ``-x``) for a one-input primitive.

    The node is filled in here, line for line as ``_result()`` does it, rather than
    by calling ``_result()``: one Python call less on every op of every forward
    pass (about 5% of a training step). ``_binary_method`` does the same.
    """
    rule, op = primitive.numbers, primitive.op

    def method(self: Value) -> Value:
        try:
            out, local_grads = rule(self.data)
        except OutOfDomain as problem:
            raise _explained(problem, primitive, (self,)) from None
        if not isfinite(out):
            raise _not_finite_error(out, op, (self,))
        node = _new_value(Value)
        node.data = out
        node.grad = 0.0
        node._label = ""
        if not _open_no_grad_blocks or _recording.get():
            node.children = (self,)
            node.local_grads = local_grads
            node.op = op
        else:
            node.children = node.local_grads = ()
            node.op = ""
        return node

    return _described(method, primitive)


def _binary_method(primitive: ops.Primitive) -> Callable[[Value, Operand], Value]:
    """The method ``a + b`` (or ``a * 2``: a number becomes a constant node)."""
    rule, op = primitive.numbers, primitive.op

    def method(self: Value, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = _operand(other, op)
        try:
            out, local_grads = rule(self.data, other.data)
        except OutOfDomain as problem:
            raise _explained(problem, primitive, (self, other)) from None
        if not isfinite(out):
            raise _not_finite_error(out, op, (self, other))
        node = _new_value(Value)
        node.data = out
        node.grad = 0.0
        node._label = ""
        if not _open_no_grad_blocks or _recording.get():
            node.children = (self, other)
            node.local_grads = local_grads
            node.op = op
        else:
            node.children = node.local_grads = ()
            node.op = ""
        return node

    return _described(method, primitive)


def _reflected_method(primitive: ops.Primitive) -> Callable[[Value, Operand], Value]:
    """The method for ``2 + a``: Python asks the Value on the right."""
    forward = _binary_method(primitive)

    def method(self: Value, other: Operand) -> Value:
        return forward(_operand(other, primitive.op), self)

    return _described(method, primitive)


def _described(method: Callable[..., Value], primitive: ops.Primitive) -> Callable[..., Value]:
    """Give a method its rule's docstring, so ``help(Value.tanh)`` shows the math."""
    method.__doc__ = primitive.numbers.__doc__
    method.__qualname__ = f"Value.{primitive.function or primitive.name}"
    return method


class Value:
    """One scalar in a computation graph: its number, its blame, and how it was made.

    ``data`` is the number computed by the forward pass. ``grad`` is its blame:
    d(output)/d(this value), filled in by ``output.backward()``; it is ``0.0``
    until then. ``label`` is an optional name, shown in drawings and errors.

    ``Value(2.0, label="x")`` makes a leaf: an input or a knob. The built-in ops
    make their nodes from the table in ``microgradx.ops``. To write an op of your
    own, pass its children, its local derivatives and a name:
    ``Value(x.data ** 3, "", (x,), (3 * x.data ** 2,), "cube")``.

    A Value is a node, not a number: ``a == b`` asks whether they are the same
    node (so nodes can be keys in sets and dicts), and ``<``, ``<=``, ``>``,
    ``>=`` compare the numbers. Where a number is meant, say so with ``.data``:
    ``value == 1.0``, ``if value:`` and ``math.exp(value)`` are errors that say how.
    """

    __slots__ = ("_label", "children", "data", "grad", "local_grads", "op")

    data: float
    grad: float
    children: tuple[Value, ...]
    local_grads: tuple[float, ...]
    op: str

    # Makes numpy hand `numpy_number * value` over to Value's own operators.
    __array_ufunc__ = None

    def __init__(
        self,
        data: float,
        label: str = "",
        _children: Sequence[Value] = (),
        _local_grads: Sequence[float] = (),
        _op: str = "",
    ) -> None:
        if type(data) is not float:
            data = _real_number(data)
        if not isfinite(data):
            raise _not_finite_error(data, _op, tuple(_children))
        if type(label) is not str:
            label = _checked_label(label)
        self.data = data
        self.grad = 0.0
        self._label = label
        if not (_children or _local_grads):
            self.children = self.local_grads = ()
            self.op = ""
        elif not _open_no_grad_blocks or _recording.get():
            self.children, self.local_grads = _hand_made_op(data, _children, _local_grads, _op)
            self.op = _op
        else:  # inside no_grad(): checked all the same, but not recorded
            _hand_made_op(data, _children, _local_grads, _op)
            self.children = self.local_grads = ()
            self.op = ""

    def __repr__(self) -> str:
        label = f", label={self._label!r}" if self._label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def __format__(self, spec: str) -> str:
        """``f"{loss:.4f}"`` formats the number; a plain ``f"{loss}"`` shows the repr."""
        return format(self.data, spec) if spec else repr(self)

    @property
    def label(self) -> str:
        """The value's name in drawings and messages (``""``: none). Must be a str."""
        return self._label

    @label.setter
    def label(self, label: str) -> None:
        self._label = _checked_label(label)

    # ------------------------------------------------------------------
    # Arithmetic: every op's rule (its result and local derivatives) is an
    # entry of the table in ops.py; these lines give each one its usual name.
    # ------------------------------------------------------------------

    __add__ = _binary_method(ops.add)  # a + b:  d/da = 1,  d/db = 1
    __sub__ = _binary_method(ops.subtract)  # a - b:  d/da = 1,  d/db = -1
    __mul__ = _binary_method(ops.multiply)  # a * b:  d/da = b,  d/db = a
    __truediv__ = _binary_method(ops.divide)  # a / b:  d/da = 1/b,  d/db = -a/b^2
    __radd__ = _reflected_method(ops.add)  # 2 + a
    __rsub__ = _reflected_method(ops.subtract)  # 2 - a
    __rmul__ = _reflected_method(ops.multiply)  # 2 * a
    __rtruediv__ = _reflected_method(ops.divide)  # 2 / a
    __neg__ = _unary_method(ops.negate)  # -a:  d/da = -1
    __abs__ = _unary_method(ops.absolute)  # |a|:  d/da = sign(a)

    def __pos__(self) -> Value:
        return self

    def __pow__(self, exponent: Operand) -> Value:
        """out = a ** n.

        With a plain number n (the power rule): d out/d a = n * a^(n-1); the
        exponent is part of the op (``**2``), not a node.
        With a Value exponent b: d out/d a = b * a^(b-1),  d out/d b = a^b * log(a).
        """
        if isinstance(exponent, Value):
            return _power_of_values(self, exponent)
        n = _real_number(exponent, f"{_name(self, 'base')} ** exponent")
        return _power_of_number(self, n)

    def __rpow__(self, base: Operand) -> Value:
        """out = c ** b for a number c: the number becomes a constant node."""
        return _power_of_values(_operand(base, ops.power.op), self)

    exp = _unary_method(ops.exp)  # d/dx e^x = e^x
    log = _unary_method(ops.log)  # d/dx log(x) = 1/x
    sqrt = _unary_method(ops.sqrt)  # d/dx sqrt(x) = 1 / (2 sqrt(x))
    tanh = _unary_method(ops.tanh)  # d/dx tanh(x) = 1 - tanh(x)^2
    sigmoid = _unary_method(ops.sigmoid)  # d/dx s(x) = s(x) (1 - s(x))
    relu = _unary_method(ops.relu)  # d/dx relu(x) = 1 if x > 0 else 0
    sin = _unary_method(ops.sin)  # d/dx sin(x) = cos(x)
    cos = _unary_method(ops.cos)  # d/dx cos(x) = -sin(x)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x if x > 0 else slope * x.   d/dx = 1 if x > 0 else slope"""
        return _leaky_relu(self, _real_number(slope, "leaky_relu slope"))

    # ------------------------------------------------------------------
    # Comparisons look at the numbers; equality is identity, so that every
    # node is a distinct key in sets and dicts.
    # ------------------------------------------------------------------

    def __lt__(self, other: Operand) -> bool:
        return self.data < _operand(other, "<").data

    def __le__(self, other: Operand) -> bool:
        return self.data <= _operand(other, "<=").data

    def __gt__(self, other: Operand) -> bool:
        return self.data > _operand(other, ">").data

    def __ge__(self, other: Operand) -> bool:
        return self.data >= _operand(other, ">=").data

    def __eq__(self, other: object) -> bool:
        """Two Values are equal only if they are the same node. A number: an error."""
        if isinstance(other, Value):
            return self is other
        if isinstance(other, Real):
            raise _number_comparison_error(self, "==", other)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        if isinstance(other, Value):
            return self is not other
        if isinstance(other, Real):
            raise _number_comparison_error(self, "!=", other)
        return NotImplemented

    __hash__ = object.__hash__

    def __bool__(self) -> NoReturn:
        raise TypeError(
            f"the truth of a Value ({self!r}) is ambiguous: say what you mean about its "
            "number, e.g. `if value.data > 0:` or `if value.data != 0.0:`."
        )

    def __float__(self) -> NoReturn:
        raise TypeError(
            f"a Value ({self!r}) was used where a plain number is needed, e.g. by "
            "math.exp(value) or float(value): that would drop its graph, and no blame "
            "could flow back through it. Use the Value's own op, value.exp(), "
            "value.log(), ..., or take its number explicitly: value.data."
        )

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
        * All or nothing: if blame overflows a float (or the pass is interrupted),
          every grad in the graph is put back as it was, and the error names the
          node whose blame overflowed.
        """
        if self.grad != 0.0:
            raise RuntimeError(
                f"backward() was already run on this output, or it already holds blame "
                f"from another backward pass: its grad is {self.grad!r}, not 0.0. Running "
                "backward() now would add gradients a second time. Call .zero_grad() on "
                "this output first to start over."
            )
        inner_nodes, leaf_uses = _inner_nodes_and_leaf_uses(self)
        inner_blame_before = [node.grad for node in inner_nodes]
        leaf_blame_before = [leaf.grad for leaf in leaf_uses]
        try:
            for node in inner_nodes:
                node.grad = 0.0
            self.grad = 1.0
            for node in reversed(inner_nodes):
                blame = node.grad
                for child, local_grad in zip(node.children, node.local_grads):
                    child.grad += local_grad * blame
            _check_blame_is_finite(inner_nodes, leaf_uses)
        except BaseException:  # overflow, or Ctrl-C half-way: put every grad back
            _put_back(inner_nodes, inner_blame_before)
            _put_back(leaf_uses, leaf_blame_before)
            raise

    def _backward(self) -> None:
        """This node's own chain-rule step: hand its blame to its children.

        micrograd's name. ``backward()`` does this for every node in order; the
        micrograd lecture does it by hand, node by node, from the output down.
        """
        for child, local_grad in zip(self.children, self.local_grads):
            child.grad += local_grad * self.grad

    def zero_grad(self) -> None:
        """Set ``grad`` to 0.0 on this Value and on every node it was computed from."""
        for node in topological_order(self):
            node.grad = 0.0

    def detach(self) -> Value:
        """A new leaf with the same number and label, cut off from this graph."""
        return Value(self.data, self._label)

    # ------------------------------------------------------------------
    # Copying and pickling: the graph is written as a flat list of nodes,
    # so a graph of any depth copies without recursion.
    # ------------------------------------------------------------------

    def __reduce__(self) -> tuple[Any, ...]:
        if not self.children:
            return (_rebuilt_leaf, (self.data, self.grad, self._label))
        order = topological_order(self)
        index = {node: i for i, node in enumerate(order)}
        records = [
            node
            if not node.children
            else (
                node.data,
                node.grad,
                node._label,
                [index[c] for c in node.children],
                node.local_grads,
                node.op,
            )
            for node in order
        ]
        return (_rebuilt_graph, (records,))

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
    node._label = ""
    if not _open_no_grad_blocks or _recording.get():
        node.children = children
        node.local_grads = local_grads
        node.op = op
    else:
        node.children = node.local_grads = ()
        node.op = ""
    return node


# ----------------------------------------------------------------------
# The ops with settings (x ** 2, leaky_relu(x, 0.1)) and n-ary ops:
# one node for a whole sum or dot product, fewer nodes to walk.
# ----------------------------------------------------------------------


def _power_of_number(base: Value, n: float) -> Value:
    """base ** n for a plain number n: the exponent is a setting of the op (``**2``)."""
    try:
        out, local_grads = ops._power_of_number(base.data, n)
    except OutOfDomain as problem:
        raise _explained(problem, ops.power_of_number, (base,)) from None
    return _result(out, (base,), local_grads, ops.power_of_number.with_parameters(n))


def _power_of_values(base: Value, exponent: Value) -> Value:
    """base ** exponent for two Values."""
    try:
        out, local_grads = ops._power_of_values(base.data, exponent.data)
    except OutOfDomain as problem:
        raise _explained(problem, ops.power, (base, exponent)) from None
    return _result(out, (base, exponent), local_grads, ops.power.op)


def _leaky_relu(x: Value, slope: float) -> Value:
    try:
        out, local_grads = ops._leaky_relu(x.data, slope)
    except OutOfDomain as problem:
        raise _explained(problem, ops.leaky_relu, (x,)) from None
    return _result(out, (x,), local_grads, ops.leaky_relu.with_parameters(slope))


def sum_values(values: Iterable[Operand]) -> Value:
    """s = v1 + v2 + ... + vn as a single node.   d s/d vi = 1 for every i"""
    children = _operands(values, "sum")
    if not children:
        raise ValueError("sum_values() needs at least one value, got an empty list.")
    total, local_grads = ops._sum([child.data for child in children])
    return _result(total, children, local_grads, ops.sum_.op)


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
    children = weights + inputs
    total, local_grads = ops._dot([child.data for child in children])
    return _result(total, children, local_grads, ops.dot.op)


def _install_functions() -> None:
    """Make every primitive callable as a function: ``ops.softplus(x)``, ``ops.add(2, x)``,
    ``ops.sum_([a, b, c])``, ``ops.dot([w1, w2, x1, x2])`` (weights, then inputs)."""
    for primitive in ops.PRIMITIVES.values():
        primitive.apply = _function_form(primitive)


def _function_form(primitive: ops.Primitive) -> Callable[..., Value]:
    name = primitive.function or primitive.name
    if primitive.name == "sum":  # like its rule, an n-ary op takes its inputs as one list
        return sum_values
    if primitive.name == "dot":
        return lambda pairs: dot(pairs[: len(pairs) // 2], pairs[len(pairs) // 2 :])
    if primitive.name == "**n":
        return lambda x, n: _power_of_number(_operand(x, name), _real_number(n, "x ** n"))
    if primitive.name == "leaky_relu":
        return lambda x, slope=0.01: _leaky_relu(
            _operand(x, name), _real_number(slope, "leaky_relu slope")
        )
    if primitive.name == "**":
        return lambda a, b: _power_of_values(_operand(a, name), _operand(b, name))
    if primitive.arity == 2:
        method2 = _binary_method(primitive)
        return lambda a, b: method2(_operand(a, name), b)
    method1 = _unary_method(primitive)
    return lambda x: method1(_operand(x, name))


_install_functions()


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
    return _depth_first_order(root, leaves, None)


def _depth_first_order(root: Value, leaves: bool, leaf_uses: list[Value] | None) -> list[Value]:
    """``topological_order``; without leaves, it can list every use of a leaf in
    ``leaf_uses`` (a leaf used twice is listed twice), which ``backward()`` needs."""
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[Value | None] = [root]
    while stack:
        node = stack.pop()
        if node is None:
            order.append(stack.pop())  # type: ignore[arg-type]
        elif node not in visited:
            visited.add(node)
            if node.children:
                stack.append(node)
                stack.append(None)
                for child in node.children:
                    if child.children or leaves:
                        if child not in visited:
                            stack.append(child)
                    elif leaf_uses is not None:
                        leaf_uses.append(child)
            elif leaves:
                order.append(node)
    return order


def _inner_nodes_and_leaf_uses(root: Value) -> tuple[list[Value], list[Value]]:
    """The inner nodes in topological order, and every use of a leaf by one of them."""
    leaf_uses: list[Value] = []
    return _depth_first_order(root, False, leaf_uses), leaf_uses


@contextmanager
def no_grad() -> Iterator[None]:
    """Compute values without recording a graph (faster, for evaluation).

    Inside ``with no_grad():`` every result is a leaf: it has a number but no
    children, so nothing can be backpropagated through it. The switch belongs to
    the thread (and the async task) that opens the block: other threads go on
    recording their graphs.
    """
    token = _recording.set(False)
    _open_no_grad_blocks.append(None)
    try:
        yield
    finally:
        _open_no_grad_blocks.pop()
        _recording.reset(token)


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()`` (in this thread or async task)."""
    return _recording.get()


# ----------------------------------------------------------------------
# Helpers: turning inputs into Values, and errors that explain themselves
# ----------------------------------------------------------------------


class _ConstantOp(str):
    """The type of ``CONSTANT_OP``: a string, so that it reads as ``""`` as every leaf's op does."""


CONSTANT_OP = _ConstantOp("")
"""The ``op`` of a constant: a number written into an expression (the 0.1 of ``y + 0.1``).

The number becomes a leaf node so that the graph is whole, and its op reads as
``""``, as every leaf's does. But no variable of yours holds that leaf, so its
number never changes: ``leaf.op is CONSTANT_OP`` tells a ``Tape`` it can read the
number once, when it records the graph, instead of at every replay."""


def _operand(other: object, op: str) -> Value:
    """``other`` as a Value: numbers become constant (leaf) nodes."""
    if isinstance(other, Value):
        return other
    if type(other) is float and isfinite(other):  # the common case, made quickly
        constant = _new_value(Value)
        constant.data = other
        constant.grad = 0.0
        constant._label = ""
        constant.children = constant.local_grads = ()
        constant.op = CONSTANT_OP
        return constant
    if isinstance(other, Real):
        number = _real_number(other, f"the number in {op!r}")
        if not isfinite(number):
            raise ValueError(
                f"{op!r} got the number {number!r}: nan and inf cannot take part in "
                "backpropagation. Check where that number comes from."
            )
        return _result(number, (), (), CONSTANT_OP)
    raise TypeError(
        f"unsupported operand for {op!r}: a Value and a {type(other).__name__} "
        f"({quoted(other)}). Only numbers (int, float) and Values can be combined."
    )


def _operands(items: Iterable[Operand], op: str) -> tuple[Value, ...]:
    """``items`` as a tuple of Values (numbers become constant leaves)."""
    values = tuple(items)
    for value in values:
        if type(value) is not Value:  # a number (or a subclass): convert item by item
            return tuple([_operand(item, op) for item in values])
    return values  # type: ignore[return-value]


def _real_number(x: object, what: str = "Value()") -> float:
    """``x`` as a float, or a TypeError that says what was received instead."""
    if isinstance(x, Value):
        raise TypeError(
            f"{what} needs a plain number but got a Value ({x!r}). "
            "Use the Value itself, or its number: value.data."
        )
    if isinstance(x, Real):
        try:
            return float(x)
        except OverflowError:
            raise OverflowError(
                f"{what} got a number too large for a float (the largest is about "
                "1.8e308). Scale your numbers down."
            ) from None
    raise TypeError(
        f"{what} needs a real number (int or float), got {type(x).__name__} {quoted(x)}."
    )


def _checked_label(label: object) -> str:
    """A label must be text: ``Value(2.0, label="x")``, ``out.label = "out"``."""
    if not isinstance(label, str):
        raise TypeError(
            f"Value label must be a str, got {type(label).__name__} {quoted(label)}. "
            "Name a value like this: Value(2.0, label='x'), or out.label = 'out'."
        )
    return str(label)


def _hand_made_op(
    data: float, children: object, local_grads: object, op: object
) -> tuple[tuple[Value, ...], tuple[float, ...]]:
    """Check the children and local derivatives of a hand-made op; return them as tuples."""
    where = f"Value({data!r}, ..., op={quoted(op)})"
    if not isinstance(op, str):
        raise TypeError(f"{where}: the op name must be a str, got {type(op).__name__}.")
    kids = _tuple_of(children, "children", where)
    slopes = _tuple_of(local_grads, "local derivatives", where)
    if len(kids) != len(slopes):
        raise ValueError(
            f"{where} has {len(kids)} children but {len(slopes)} local derivatives: "
            "give exactly one local derivative per child (d result / d child)."
        )
    values = []
    for kid in kids:
        if not isinstance(kid, Value):
            raise TypeError(
                f"{where}: every child must be a Value, got {type(kid).__name__} {quoted(kid)}."
            )
        values.append(kid)
    checked = []
    for position, slope in enumerate(slopes, start=1):
        if isinstance(slope, bool) or not isinstance(slope, Real):
            raise TypeError(
                f"{where}: local derivative {position} must be a number, got "
                f"{type(slope).__name__} {quoted(slope)}."
            )
        if not isfinite(slope):
            raise ValueError(
                f"{where}: local derivative {position} is {float(slope)!r}; every local "
                "derivative must be a finite number."
            )
        checked.append(float(slope))
    return tuple(values), tuple(checked)


def _tuple_of(items: object, name: str, where: str) -> tuple[object, ...]:
    """A hand-made op's children or local derivatives, given as a tuple or a list."""
    if not isinstance(items, (tuple, list)):
        raise TypeError(
            f"{where}: the {name} must be a tuple or a list, got "
            f"{type(items).__name__}. A generator would be used up after one look."
        )
    return tuple(items)


def _check_blame_is_finite(inner_nodes: list[Value], leaf_uses: list[Value]) -> None:
    """Raise if blame overflowed during backward, naming the node it overflowed at.

    One sum per list checks every grad at once (an inf or nan keeps a sum from
    being finite); only then are the nodes searched, from the output down.
    """
    if isfinite(sum([node.grad for node in inner_nodes])) and isfinite(
        sum([leaf.grad for leaf in leaf_uses])
    ):
        return
    for node in reversed(inner_nodes):
        for child, local_grad in zip(node.children, node.local_grads):
            if not isfinite(child.grad):
                raise blame_overflow_error(
                    "backward()", child, child.grad, node, node.grad, local_grad
                )


def blame_overflow_error(
    who: str, child: Value, blame: float, node: Value, node_blame: float, local_grad: float
) -> OverflowError:
    """The error for blame that overflowed a float on its way from ``node`` to ``child``."""
    return OverflowError(
        f"{who} gave {shortened(_name(child, 'an unlabelled value'))} a blame of {blame!r}: "
        f"the blame grew too large for a float on its way from "
        f"{shortened(_name(node, 'the ' + repr(str(node.op)) + ' node'))} (blame "
        f"{node_blame:g}, local derivative {local_grad:g}). This happens when local "
        "derivatives are huge, for example after dividing by a number very close to 0. "
        "Every grad was put back as it was."
    )


def _put_back(nodes: list[Value], grads: list[float]) -> None:
    """Undo a backward pass that failed: each node's grad as it was before it started."""
    for node, grad in zip(nodes, grads):
        node.grad = grad


def _rebuilt_leaf(data: float, grad: float, label: str) -> Value:
    """A leaf made again from pickled (or copied) numbers."""
    leaf = _new_value(Value)
    leaf.data, leaf.grad, leaf._label = data, grad, label
    leaf.children = leaf.local_grads = ()
    leaf.op = ""
    return leaf


def _rebuilt_graph(records: list[Any]) -> Value:
    """A graph made again from ``Value.__reduce__``'s flat list; returns its output.

    Each record is a leaf (a Value) or an inner node as (data, grad, label,
    child positions, local derivatives, op), after all of its children.
    """
    nodes: list[Value] = []
    for record in records:
        if isinstance(record, Value):
            nodes.append(record)
            continue
        data, grad, label, child_positions, local_grads, op = record
        node = _new_value(Value)
        node.data, node.grad, node._label = data, grad, label
        node.children = tuple(nodes[i] for i in child_positions)
        node.local_grads, node.op = tuple(local_grads), op
        nodes.append(node)
    return nodes[-1]


def _name(value: Value, fallback: str = "value") -> str:
    """The label of a value for messages, or a stand-in name if it has none."""
    return value._label or fallback


def _explained(
    problem: OutOfDomain, primitive: ops.Primitive, inputs: Sequence[Value]
) -> Exception:
    """The user's error for an op applied outside its domain, naming the inputs."""
    names = [
        value._label or primitive.input_names[min(i, len(primitive.input_names) - 1)]
        for i, value in enumerate(inputs)
    ]
    return problem.explained(names)


def _number_comparison_error(value: Value, operator: str, number: object) -> TypeError:
    return TypeError(
        f"`value {operator} {number!r}` is ambiguous for a Value ({value!r}): Values "
        "compare by identity (is it the same node?). To compare its number, write "
        f"`value.data {operator} {number!r}`."
    )


def _not_finite_error(data: float, op: str, children: tuple[Value, ...]) -> Exception:
    if not op:
        return ValueError(
            f"Value() needs a finite number, got {data!r}. "
            "nan and inf cannot take part in backpropagation."
        )
    inputs = ", ".join(repr(child.data) for child in children[:8])
    if len(children) > 8:
        inputs += f", ... ({len(children)} inputs)"
    return OverflowError(
        f"{str(op)!r} of ({inputs}) gave {data!r}: the result does not fit in a float. "
        "Scale your numbers down."
    )
