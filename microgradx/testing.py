"""Hypothesis strategies for property-based tests of code built on microgradx.

A property test states something that must hold for *every* input ("backprop agrees
with central differences") and lets Hypothesis hunt for a counterexample. These
strategies generate the inputs:

* ``reals``, ``positive_reals``, ``nonzero_reals``: finite floats in a range;
* ``values``: Values (leaf nodes), optionally labelled;
* ``expressions``: random computation graphs built from every op of the engine,
  with shared nodes (diamonds, ``t * t``) and deep chains, each op applied only
  where it is smooth, so that ``gradcheck`` can judge them.

Needs Hypothesis (``pip install "microgradx[test]"``); it is imported here only.

Example: a five-line property test of your own function, and of random graphs::

    from hypothesis import given
    from microgradx.gradcheck import gradcheck
    from microgradx.testing import expressions, reals

    def pseudo_huber(guess, truth):
        error = guess - truth
        return (error * error + 1).sqrt() - 1

    @given(reals(-100, 100), reals(-100, 100))
    def test_pseudo_huber_gradients(guess, truth):
        assert gradcheck(pseudo_huber, [guess, truth])

    @given(expressions())
    def test_pseudo_huber_of_random_graphs(expression):
        loss = lambda *xs: pseudo_huber(expression(*xs), 0.5)
        assert gradcheck(loss, expression.input_values())

When a test fails, Hypothesis prints the smallest expression it found as a small
Python program you can paste and run::

    Falsifying example: test_pseudo_huber_of_random_graphs(
        expression=Expression(
            x0 = Value(1.0, label='x0')
            t0 = x0 + x0
        ),
    )
"""

from __future__ import annotations

import math

try:
    from hypothesis import assume
    from hypothesis import strategies as st
except ImportError as error:
    raise ImportError(
        "microgradx.testing needs Hypothesis, which is not installed. Install it with "
        'pip install hypothesis (or pip install "microgradx[test]").'
    ) from error

from microgradx import ops
from microgradx.engine import Value, no_grad
from microgradx.gradcheck import DEFAULT_EPS

TYPE_CHECKING = False  # the typing module is slow to import; type checkers read this block
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any, Union

    from hypothesis.strategies import DrawFn, SearchStrategy

    Argument = Union[int, float]
    """A step's argument: an int is the number of an earlier node, a float a constant."""

__all__ = [
    "KINK_MARGIN",
    "OPERATION_NAMES",
    "Expression",
    "Operation",
    "Step",
    "expressions",
    "nonzero_reals",
    "positive_reals",
    "reals",
    "values",
]

# ----------------------------------------------------------------------
# Numbers and Values
# ----------------------------------------------------------------------


def reals(min_value: float = -100.0, max_value: float = 100.0) -> SearchStrategy[float]:
    """Finite floats from ``min_value`` to ``max_value``: never nan or inf.

    Hypothesis favours the awkward ones: 0.0, -0.0, the bounds, tiny numbers.
    """
    return st.floats(min_value, max_value, allow_nan=False, allow_infinity=False)


def positive_reals(min_value: float = 1e-3, max_value: float = 100.0) -> SearchStrategy[float]:
    """Floats from ``min_value`` (> 0) to ``max_value``: inputs for log, sqrt, ``a ** b``."""
    if not min_value > 0.0:
        raise ValueError(f"positive_reals needs min_value > 0, got {min_value!r}.")
    return reals(min_value, max_value)


def nonzero_reals(
    min_magnitude: float = 1e-3, max_magnitude: float = 100.0
) -> SearchStrategy[float]:
    """Floats of either sign with ``min_magnitude <= |x| <= max_magnitude``.

    For divisors, and for points kept away from the kink at 0 of relu and abs.
    """
    positive = positive_reals(min_magnitude, max_magnitude)
    return st.one_of(positive, positive.map(lambda x: -x))


def values(numbers: SearchStrategy[float] | None = None, label: str = "") -> SearchStrategy[Value]:
    """Leaf Values whose numbers come from ``numbers`` (default: ``reals()``).

    >>> from microgradx.testing import positive_reals, reals, values
    >>> weights = values(reals(-1, 1), label="w")
    >>> prices = values(positive_reals(1, 1e6))
    """
    return (reals() if numbers is None else numbers).map(lambda x: Value(x, label))


# ----------------------------------------------------------------------
# Operations: what the expression generator knows about each op
# ----------------------------------------------------------------------


class Operation:
    """One op the generator can use: how to apply it, where it is safe, how to print it.

    * ``apply(*arguments)`` builds the node with the engine (arguments are Values
      or constant floats);
    * ``shapes`` lists the forms its arguments may take, such as
      ``("node", "constant")`` for ``t1 * 2.0`` (see ``_SLOTS``), and
      ``shape_choice`` is the strategy that picks one;
    * ``edge_distance(*numbers)`` is how far the arguments are from the nearest
      point where the op has a kink, a pole or the edge of its domain (``inf`` if
      it has none, negative outside the domain);
    * ``fits(bound, *numbers)`` says whether the result can be computed without
      going far beyond ``bound`` (checked before computing, for ``exp`` and ``**``);
    * ``template`` formats the step as Python, e.g. ``"{0}.tanh()"``.
    """

    __slots__ = ("apply", "edge_distance", "fits", "name", "shape_choice", "shapes", "template")

    def __init__(
        self,
        name: str,
        apply: Callable[..., Value],
        shapes: tuple[tuple[str, ...], ...],
        template: str,
        edge_distance: Callable[..., float] | None = None,
        fits: Callable[..., bool] | None = None,
    ) -> None:
        self.name = name
        self.apply = apply
        self.shapes = shapes
        self.shape_choice = st.sampled_from(shapes)
        self.template = template
        self.edge_distance = edge_distance or (lambda *numbers: math.inf)
        self.fits = fits or (lambda bound, *numbers: True)

    def __repr__(self) -> str:
        return f"Operation({self.name!r})"


EXPONENTS = (2.0, 3.0, -1.0, 0.5, -2.0, 1.5, -0.5, 0.0, 1.0)
"""Number exponents for ``x ** n``: squares, cubes, reciprocals, roots, and 0 and 1."""
BASES = (2.0, 0.5, math.e, 10.0)
"""Number bases for ``c ** x``."""
SLOPES = (0.01, 0.1, 0.3)
"""Slopes for ``leaky_relu``."""

CONSTANTS = st.one_of(
    st.sampled_from((2.0, -1.0, 0.5, 3.0)),
    st.floats(-4.0, 4.0, allow_nan=False, allow_infinity=False, allow_subnormal=False),
)
"""Constants that steps mix in: ``t1 * 2.0``, ``0.5 - t2``."""

_SLOTS = {
    "constant": CONSTANTS,
    "exponent": st.sampled_from(EXPONENTS),
    "base": st.sampled_from(BASES),
    "slope": st.sampled_from(SLOPES),
}
"""How to draw each constant slot of a shape."""
_IS_NODE = st.booleans()
"""Whether a "term" slot is a node (else a constant)."""
_CHAIN_LINK = st.integers(0, 4)
"""Anything but 4 (four times in five): a step's first node is the newest (chains)."""
_NODES_BACK = st.integers(0, 1 << 16)
"""How far back from the newest node another argument reaches (modulo the count)."""


def _operation(primitive: ops.Primitive) -> Operation:
    """What the generator needs of a primitive, read from its entry in the table."""
    if primitive.arity is None:  # sum, dot: the arguments go in as one list

        def apply(*arguments: Any) -> Value:
            return primitive(list(arguments))

    else:
        apply = primitive
    return Operation(
        primitive.name,
        apply,
        primitive.shapes,
        primitive.code,
        primitive.edge_distance,
        primitive.fits,
    )


_OPERATIONS = tuple(_operation(primitive) for primitive in ops.PRIMITIVES.values())
_OPERATIONS_BY_NAME = {operation.name: operation for operation in _OPERATIONS}

OPERATION_NAMES = tuple(_OPERATIONS_BY_NAME)
"""Names of the ops ``expressions()`` can use. ``**n`` is ``x ** number``, ``**`` is
``x ** Value`` or ``number ** Value``, ``neg`` is ``-x``."""


# ----------------------------------------------------------------------
# Expressions: random graphs as small programs
# ----------------------------------------------------------------------


class Step:
    """One line of an expression: an operation applied to earlier nodes and constants.

    In ``arguments`` an int is the number of an earlier node (inputs first, then
    one node per step) and a float is a constant.
    """

    __slots__ = ("arguments", "operation")

    def __init__(self, operation: Operation, arguments: tuple[Argument, ...]) -> None:
        self.operation = operation
        self.arguments = arguments

    def to_python(self, names: Sequence[str]) -> str:
        """The right-hand side of this step as Python, with nodes called by ``names``."""
        texts = [_argument_text(argument, names) for argument in self.arguments]
        half = len(texts) // 2
        return self.operation.template.format(
            *texts,
            all=", ".join(texts),
            weights=", ".join(texts[:half]),
            inputs=", ".join(texts[half:]),
        )

    def __repr__(self) -> str:
        return f"Step({self.operation.name!r}, {self.arguments!r})"


def _argument_text(argument: Argument, names: Sequence[str]) -> str:
    if isinstance(argument, int):
        return names[argument]
    text = repr(argument)
    return f"({text})" if text.startswith("-") else text


class Expression:
    """A random computation graph, kept as a small program so it can be rebuilt.

    ``inputs`` are its input numbers, ``labels`` their names (``x0``, ``x1``, ...).
    Calling the expression with one Value per input builds the graph and returns
    the output Value (the last step), so it plugs straight into gradcheck::

        gradcheck(expression, expression.input_values())

    ``str(expression)`` is the program as Python you can paste and run; the
    output is its last line.
    """

    __slots__ = ("inputs", "labels", "steps")

    def __init__(self, inputs: Sequence[float], steps: Sequence[Step]) -> None:
        self.inputs = tuple(float(x) for x in inputs)
        self.labels = tuple(f"x{i}" for i in range(len(self.inputs)))
        self.steps = tuple(steps)

    def __call__(self, *inputs: Value | float) -> Value:
        """Build the graph on ``inputs`` (one Value or number each); return its output."""
        if len(inputs) != len(self.inputs):
            raise TypeError(
                f"this expression takes {len(self.inputs)} inputs "
                f"({', '.join(self.labels)}), got {len(inputs)}."
            )
        nodes = [x if isinstance(x, Value) else Value(x) for x in inputs]
        for step in self.steps:
            arguments = [nodes[a] if isinstance(a, int) else a for a in step.arguments]
            nodes.append(step.operation.apply(*arguments))
        return nodes[-1]

    def input_values(self) -> list[Value]:
        """Fresh leaf Values for the inputs, labelled ``x0``, ``x1``, ..."""
        return [Value(x, label) for x, label in zip(self.inputs, self.labels)]

    @property
    def operation_names(self) -> set[str]:
        """The names of the operations the expression uses."""
        return {step.operation.name for step in self.steps}

    def lines(self) -> list[str]:
        """The program, one line per input and per step; the last line is the output."""
        names = [*self.labels, *(f"t{k}" for k in range(len(self.steps)))]
        lines = [
            f"{label} = Value({x!r}, label={label!r})" for x, label in zip(self.inputs, self.labels)
        ]
        for k, step in enumerate(self.steps):
            lines.append(f"t{k} = {step.to_python(names)}")
        return lines

    def __str__(self) -> str:
        return "\n".join(["from microgradx import Value, dot, ops, sum_values", *self.lines()])

    def __repr__(self) -> str:
        return f"Expression({'; '.join(self.lines())})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Multi-line display in Hypothesis' (and IPython's) failure output."""
        with printer.group(4, "Expression(", ""):
            for line in self.lines():
                printer.break_()
                printer.text(line)
        printer.break_()
        printer.text(")")


def expressions(
    *,
    numbers: SearchStrategy[float] | None = None,
    min_inputs: int = 1,
    max_inputs: int = 3,
    min_steps: int = 1,
    max_steps: int = 10,
    operations: Iterable[str] | None = None,
    max_magnitude: float = 1e3,
) -> SearchStrategy[Expression]:
    """Random computation graphs that gradcheck can judge, as ``Expression`` objects.

    The graph has ``min_inputs`` to ``max_inputs`` inputs drawn from ``numbers``
    (default ``reals(-5, 5)``) and ``min_steps`` to ``max_steps`` steps. Each step
    applies one of ``operations`` (default: all of ``OPERATION_NAMES``) to earlier
    nodes and constants. Four times in five a step builds on the newest node,
    which makes deep chains; its other arguments may be any earlier node, which
    makes diamonds and ``t * t``.

    Every step is checked before it is kept, at the inputs *and* at every point
    where ``gradcheck`` (with its default eps) will evaluate the graph:

    * each op stays inside its domain and away from its kinks and poles (log and
      sqrt of positive numbers, no division near 0, relu and abs away from 0),
      by a margin that grows with how much the argument moves when an input is
      nudged, so no nudge crosses a kink;
    * every number stays within ``max_magnitude`` (no overflow);
    * no node amplifies a nudge of an input more than a thousandfold, so central
      differences stay accurate.

    A step that fails is redrawn; after a few failures it is left out.
    """
    chosen = _chosen_operations(operations)
    if not 1 <= min_inputs <= max_inputs:
        raise ValueError(f"need 1 <= min_inputs <= max_inputs, got {min_inputs}, {max_inputs}.")
    if not 1 <= min_steps <= max_steps:
        raise ValueError(f"need 1 <= min_steps <= max_steps, got {min_steps}, {max_steps}.")
    if not 1.0 < max_magnitude <= 1e100:
        raise ValueError(f"max_magnitude must be in (1, 1e100], got {max_magnitude!r}.")
    input_lists = st.lists(
        reals(-5.0, 5.0) if numbers is None else numbers, min_size=min_inputs, max_size=max_inputs
    )
    return _expressions(
        input_lists, st.integers(min_steps, max_steps), st.sampled_from(chosen), max_magnitude
    )


def _chosen_operations(names: Iterable[str] | None) -> tuple[Operation, ...]:
    if names is None:
        return _OPERATIONS
    if isinstance(names, str):
        names = [names]
    chosen = []
    for name in names:
        if name not in _OPERATIONS_BY_NAME:
            raise ValueError(
                f"unknown operation {name!r}; choose from {', '.join(OPERATION_NAMES)}."
            )
        chosen.append(_OPERATIONS_BY_NAME[name])
    if not chosen:
        raise ValueError("expressions() needs at least one operation.")
    return tuple(chosen)


KINK_MARGIN = 1e-2
"""The least distance an op's argument keeps from a kink, pole or domain edge."""
NUDGE_SAFETY = 100.0
"""... plus this many times the distance the argument moves when an input is nudged."""
MAX_AMPLIFICATION = 1e3
"""A node may move at most this many times more than an input's nudge (relative)."""
ATTEMPTS_PER_STEP = 8


@st.composite
def _expressions(
    draw: DrawFn,
    input_lists: SearchStrategy[list[float]],
    step_counts: SearchStrategy[int],
    operations: SearchStrategy[Operation],
    max_magnitude: float,
) -> Expression:
    inputs = draw(input_lists)
    probe = _NudgeProbe(inputs, max_magnitude)
    steps = []
    for _ in range(draw(step_counts)):
        for _attempt in range(ATTEMPTS_PER_STEP):
            operation = draw(operations)
            step = Step(operation, _draw_arguments(draw, operation, probe.node_count))
            if probe.try_add(step):
                steps.append(step)
                break
    assume(steps)
    return Expression(inputs, steps)


def _draw_arguments(draw: DrawFn, operation: Operation, node_count: int) -> tuple[Argument, ...]:
    """Arguments in one of the op's shapes: node numbers (ints) and constants (floats).

    The first node is usually the newest one, which makes deep chains; the other
    nodes can be any earlier node, which makes diamonds and ``t * t``.
    """
    newest = node_count - 1
    arguments: list[Argument] = []
    for slot in draw(operation.shape_choice):
        if slot == "node" or (slot == "term" and draw(_IS_NODE)):
            is_first_node = not any(isinstance(a, int) for a in arguments)
            if is_first_node and draw(_CHAIN_LINK) != 4:
                arguments.append(newest)
            else:
                arguments.append(newest - draw(_NODES_BACK) % node_count)
        else:
            arguments.append(draw(_SLOTS.get(slot, CONSTANTS)))
    return tuple(arguments)


class _NudgeProbe:
    """Follows every node's number at the inputs and at each point gradcheck visits.

    Point 0 is the inputs themselves; then, for each input i, the inputs with x_i
    moved to x_i + h and to x_i - h, where h = eps * max(1, |x_i|) as in gradcheck.
    A node's *wobble* is the most it moves away from its point-0 number.
    """

    def __init__(self, inputs: Sequence[float], max_magnitude: float) -> None:
        self.max_magnitude = max_magnitude
        self.points = [list(inputs)]
        for i, x in enumerate(inputs):
            h = DEFAULT_EPS * max(1.0, abs(x))
            for nudged in (x + h, x - h):
                point = list(inputs)
                point[i] = nudged
                self.points.append(point)
        self.wobbles = [self._wobble(node) for node in range(len(inputs))]

    @property
    def node_count(self) -> int:
        return len(self.wobbles)

    def try_add(self, step: Step) -> bool:
        """Add the step's node and return True if it is safe (see ``expressions``)."""
        operation, arguments = step.operation, step.arguments
        numbers_at = [_numbers(arguments, point) for point in self.points]
        wobble = max((self.wobbles[a] for a in arguments if isinstance(a, int)), default=0.0)
        if operation.edge_distance(*numbers_at[0]) < KINK_MARGIN + NUDGE_SAFETY * wobble:
            return False
        for numbers in numbers_at:
            if not (
                operation.fits(self.max_magnitude, *numbers)
                and operation.edge_distance(*numbers) > 0.0
            ):
                return False
        try:
            with no_grad():
                results = [_evaluate(operation, arguments, point) for point in self.points]
        except (ValueError, ZeroDivisionError, OverflowError):
            return False  # outside the op's domain, or too large: draw another step
        if max(abs(result) for result in results) > self.max_magnitude:
            return False
        new_wobble = max(abs(result - results[0]) for result in results)
        if new_wobble > MAX_AMPLIFICATION * DEFAULT_EPS * max(1.0, abs(results[0])):
            return False
        for point, result in zip(self.points, results):
            point.append(result)
        self.wobbles.append(new_wobble)
        return True

    def _wobble(self, node: int) -> float:
        center = self.points[0][node]
        return max(abs(point[node] - center) for point in self.points)


def _numbers(arguments: tuple[Argument, ...], point: list[float]) -> list[float]:
    """The arguments' numbers at one point: nodes looked up, constants as they are."""
    return [point[a] if isinstance(a, int) else a for a in arguments]


def _evaluate(operation: Operation, arguments: tuple[Argument, ...], point: list[float]) -> float:
    """The op's result at one point, computed by the engine itself."""
    operands = [Value(point[a]) if isinstance(a, int) else a for a in arguments]
    return operation.apply(*operands).data
