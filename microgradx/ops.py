"""The table of primitives: everything microgradx knows about each op, in one place.

Backpropagation needs one fact per op: its **local derivatives**, how much its result
moves when each input moves a little. Every other feature needs a few more facts
about the same op, and all of them live in the op's entry below:

* ``numbers``: the rule itself, on plain numbers: the result and the local
  derivatives, ``tanh(x) -> (t, (1 - t*t,))``. The engine's ``Value.tanh()`` runs
  it to build a node; a ``Tape`` runs it again to replay a recorded graph. It
  raises ``OutOfDomain`` where the op has no real result or no finite slope.
* ``derivatives``: the same local derivatives written with Values
  (``1 - out * out``), so that they can be differentiated again
  (``microgradx.grad(..., create_graph=True)``, Hessians).
* ``js``: the same rule in JavaScript, for the live lab page.
* text for people: how the step is written (``tanh(x)``), the local derivative as a
  formula (``1 - out²``) and a sentence about it, shown by the step-through player;
  ``function``, the name a formula may call it by (``microgradx graph "tanh(x)"``).
* for random tests: the argument shapes it takes, how far given numbers are from
  its kinks or the edge of its domain, and whether a result would overflow.

Adding an op is one entry here (plus its tests): the engine, the formula parser, the
Hypothesis strategies, the player, the lab, the tape and higher-order derivatives
all read this table. Every entry is also a function: ``ops.softplus(x)`` makes the
node. (The classic ops are Value methods too: ``x.tanh()``, ``a * b``.)

A node made by a primitive carries an ``Op`` as its ``op``: a string (``"tanh"``,
``"**2"``, what drawings show) that also knows its primitive and its parameters
(the exponent 2). A hand-made op (``Value(data, label, children, local_grads,
"cube")``) carries a plain string instead: its local derivatives are numbers the
user computed, which no table entry can recompute.
"""

from __future__ import annotations

import math
from operator import mul

TYPE_CHECKING = False  # the typing module is slow to import; type checkers read this block
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, Union

    from microgradx.engine import Value

    Rule = tuple[float, tuple[float, ...]]
    """What a rule returns: the result and one local derivative per input."""
    Operand = Union[Value, int, float]

__all__ = ["PRIMITIVES", "Op", "OutOfDomain", "Primitive"]

LARGEST_EXP_INPUT = math.log(1.7976931348623157e308)
"""exp(x) overflows a float above this (about 709.78)."""


class OutOfDomain(Exception):
    """A rule's way to say: no real result, or no finite slope, at these numbers.

    ``error`` is the kind of error the user gets (ValueError, ZeroDivisionError,
    OverflowError). ``message`` may name the inputs as ``{0}``, ``{1}``...: the
    engine fills in their labels (or stand-ins like "value"). ``numbers`` are
    shown with ``:g``, e.g. ``OutOfDomain(ValueError, "log({0}) ... {0} = {x}", x=-1.0)``.
    """

    def __init__(self, error: type[Exception], message: str, **numbers: float) -> None:
        super().__init__(message)
        self.error = error
        self.message = message
        self.numbers = numbers

    def explained(self, names: Sequence[str]) -> Exception:
        """The user's error, with the inputs' names filled in."""
        shown = {key: f"{number:g}" for key, number in self.numbers.items()}
        return self.error(self.message.format(*names, **shown))


PRIMITIVES: dict[str, Primitive] = {}
"""Every primitive, by the name its nodes show (``"**n"`` for ``x ** number``), in the
order of the table below. Making a ``Primitive`` adds it here."""


class Primitive:
    """One entry of the table: an op and everything the features need to know about it."""

    def __init__(
        self,
        name: str,
        numbers: Callable[..., Rule],
        *,
        arity: int | None,
        derivatives: Callable[..., tuple[Any, ...]],
        js: str,
        expression: str,
        rules: tuple[str, ...] = (),
        note: str = "",
        function: str | None = None,
        parameters: tuple[str, ...] = (),
        input_names: tuple[str, ...] = ("value",),
        said: str = "",
        noun: str = "",
        shapes: tuple[tuple[str, ...], ...] = (("node",),),
        code: str = "",
        edge_distance: Callable[..., float] | None = None,
        fits: Callable[..., bool] | None = None,
        inline: tuple[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.name = name
        """How nodes show it: ``"+"``, ``"tanh"``; ``"**n"`` shows as ``"**2"``."""
        self.numbers = numbers
        """The rule on numbers: ``(*inputs, *parameters) -> (result, local derivatives)``;
        for an op with any number of inputs (arity None), ``(list of inputs)``."""
        self.arity = arity
        """How many inputs it takes; None for any number (``sum``, ``dot``)."""
        self.derivatives = derivatives
        """The local derivatives with Values: ``(*inputs, out, *parameters) -> tuple``."""
        self.js = js
        """The rule in JavaScript: ``(inputs..., parameters...) => [result, [locals]]``;
        for an op with any number of inputs, ``(array of inputs) => ...``."""
        self.expression = expression
        """How a step is written, ``{0}`` ``{1}`` for the inputs: ``"tanh({0})"``."""
        self.rules = rules
        """Each input's local derivative as a formula: inputs ``{0}`` ``{1}``, result ``{out}``."""
        self.note = note
        """One sentence about the local derivative, for learners."""
        self.function = function
        """Its name in formulas and as a function of ``microgradx.ops`` (None: an operator)."""
        self.parameters = parameters
        """Names of its plain-number settings (``("n",)`` for ``x ** n``)."""
        self.input_names = input_names
        """What error messages call unlabelled inputs (``("numerator", "divisor")``)."""
        self.said = said
        """How a sentence names the op, when not by its name: ``"negation"``, ``"a sum"``."""
        self.noun = noun or (function or "value")
        """A short word for what it makes, to name a value that has no label: ``"product"``."""
        self.shapes = shapes
        """The argument shapes random tests may give it (see ``microgradx.testing``)."""
        self.code = code or (f"ops.{function}({{0}})" if function else _plain(expression))
        """How ``microgradx.testing`` writes the step as Python: ``"{0}.tanh()"``."""
        self.edge_distance = edge_distance or _smooth_everywhere
        """How far numbers are from a kink, a pole or the domain's edge (inf: none)."""
        self.fits = fits or _always_fits
        """Whether its result stays near ``bound`` for these numbers (exp, powers)."""
        self.inline = inline
        """The rule as Python expressions, ``(result, (local derivative per input, ...))``,
        inputs ``{0}`` ``{1}``, result ``{out}``: a ``Tape`` writes them into its replay
        code instead of calling ``numbers`` (``("math.tanh({0})", ("1.0 - {out} * {out}",))``).
        For an op with any number of inputs (``dot``), ``{0}`` and ``{1}`` are the first
        and the second half of its inputs, as lists, and each local derivative a list.
        Only for ops without parameters whose rule has no domain to check (never raises
        ``OutOfDomain``); they give the very numbers ``numbers`` gives, bit for bit (the
        tests check it). None: a tape calls ``numbers``."""
        self.op = Op(name, self, ())
        """The ``Op`` its nodes carry when it has no parameters."""
        self._ops_by_parameters: dict[tuple[float, ...], Op] = {}
        self.apply: Callable[..., Value] = _engine_not_loaded
        """Builds a node; the engine installs it (``ops.tanh(x)`` calls it)."""
        if name in PRIMITIVES:
            raise ValueError(f"the table of primitives has {name!r} twice")
        PRIMITIVES[name] = self

    def __call__(self, *inputs: Any) -> Value:
        """Apply the op to Values or numbers: ``ops.softplus(x)``, ``ops.leaky_relu(x, 0.1)``."""
        return self.apply(*inputs)

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"

    def with_parameters(self, *parameters: float) -> Op:
        """The ``Op`` for these settings, made once and then reused: ``**2``, ``leaky_relu``."""
        op = self._ops_by_parameters.get(parameters)
        if op is None:
            shown = f"**{parameters[0]:g}" if self.name == "**n" else self.name
            op = self._ops_by_parameters[parameters] = Op(shown, self, parameters)
        return op

    def expression_text(self, operands: Sequence[str], parameters: Sequence[float] = ()) -> str:
        """The step written out with names or numbers: ``x1 * w1``, ``tanh(n)``, ``a + b + c``.

        Works alike for names and for numbers (``2.0 * (-3.0)``).
        """
        if self.name in ("+", "sum"):
            return " + ".join([operands[0], *(bracketed(x, spaced=False) for x in operands[1:])])
        if self.name == "dot":
            half = len(operands) // 2
            pairs = zip(operands[:half], operands[half:])
            return " + ".join(f"{bracketed(w)} * {bracketed(x)}" for w, x in pairs)
        if self.name == "**n":
            return power_text(operands[0], parameters[0])
        settings = {name: f"{p:g}" for name, p in zip(self.parameters, parameters)}
        return self.expression.format(*map(Term, operands), **settings)

    def rule_text(
        self, slot: int, operands: Sequence[str], out: str, parameters: Sequence[float] = ()
    ) -> str:
        """The local derivative for input ``slot`` as a formula: ``1 - o²``, ``2 × x``."""
        if self.name == "sum":
            return "1.0"
        if self.name == "dot":
            half = len(operands) // 2
            return operands[slot + half] if slot < half else operands[slot - half]
        if self.name == "**n":
            return _power_rule_text(operands[0], parameters[0])
        settings = {name: f"{p:g}" for name, p in zip(self.parameters, parameters)}
        return self.rules[slot].format(*map(Term, operands), out=Term(out), **settings)

    def note_text(self, parameters: Sequence[float] = ()) -> str:
        """The rule in one sentence, for learners."""
        if self.name == "**n":
            return _power_rule_note(parameters[0])
        return self.note

    def spoken(self, parameters: Sequence[float] = ()) -> str:
        """How a sentence names the op: ``'+'``, ``tanh``, ``the power 2``, ``a sum``."""
        if self.name == "**n":
            return f"the power {parameters[0]:g}"
        return self.said or (self.function or f"'{self.name}'")


class Op(str):
    """The name a node shows for its op (``"tanh"``, ``"**2"``), knowing its primitive.

    It is a string, so ``node.op == "tanh"`` and printing work as for any name;
    ``node.op.primitive`` is the table entry and ``node.op.parameters`` its
    settings (the exponent of ``**2``).
    """

    primitive: Primitive
    parameters: tuple[float, ...]

    def __new__(cls, text: str, primitive: Primitive, parameters: tuple[float, ...]) -> Op:
        op = super().__new__(cls, text)
        op.primitive = primitive
        op.parameters = parameters
        return op

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its primitive's name and settings, and found in the table again."""
        return (_op_from_table, (self.primitive.name, self.parameters))


def _op_from_table(name: str, parameters: tuple[float, ...]) -> Op:
    primitive = PRIMITIVES[name]
    return primitive.with_parameters(*parameters) if parameters else primitive.op


def _plain(template: str) -> str:
    """A text template without its format specs: ``"{0:b} * {1:b}"`` -> ``"{0} * {1}"``.

    (Written without ``re``: importing it would double the time ``import microgradx`` takes.)
    """
    first, *fields = template.split("{")
    plain = [first]
    for field in fields:
        name, closing, after = field.partition("}")
        plain.append("{" + name.partition(":")[0] + closing + after)
    return "".join(plain)


def _engine_not_loaded(*inputs: object) -> Value:
    raise RuntimeError("microgradx.engine is not loaded; import microgradx first.")


def _smooth_everywhere(*numbers: float) -> float:
    return math.inf


def _always_fits(bound: float, *numbers: float) -> bool:
    return True


# ----------------------------------------------------------------------
# Text helpers for the formulas people read
# ----------------------------------------------------------------------


class Term(str):
    """A name or a number as it appears in a formula, with two ways to write it:
    ``f"{x:b}"`` brackets it if it could be misread, ``f"{x:²}"`` squares it."""

    def __format__(self, spec: str) -> str:
        if spec == "b":
            return bracketed(self)
        if spec == "²":
            return power_text(self, 2.0)
        return str(self)


def bracketed(text: str, *, spaced: bool = True) -> str:
    """An operand that could be misread gets brackets: ``(-3.0)``, ``(a + b)``.

    ``true price`` is one name and needs none; ``(a + b)²`` is one operand already.
    """
    if is_call(text) or _is_bracketed(text):
        return text
    if text.startswith("-") or (spaced and has_operator(text)):
        return f"({text})"
    return text


_OPERATORS = (" + ", " - ", " * ", " / ", " × ", " ** ")


def has_operator(text: str) -> bool:
    """True for ``a + b``: an operator between spaces, outside brackets."""
    if " " not in text:
        return False
    if "(" not in text:
        return any(operator in text for operator in _OPERATORS)
    depth = 0
    for position, character in enumerate(text):
        depth += {"(": 1, ")": -1}.get(character, 0)
        if depth == 0 and any(text.startswith(op, position) for op in _OPERATORS):
            return True
    return False


def is_call(text: str) -> bool:
    """True for ``tanh(a + b)``: a name, then brackets that close only at the very end."""
    name, bracket, _ = text.partition("(")
    if not (bracket and name.isidentifier() and text.endswith(")")):
        return False
    return _closes_at_end(text, len(name))


def _is_bracketed(text: str) -> bool:
    """True for ``(a + b)``: one pair of brackets around the whole text."""
    return text.startswith("(") and _closes_at_end(text, 0)


def _closes_at_end(text: str, start: int) -> bool:
    """True when the bracket opened at ``text[start]`` closes at the last character."""
    depth = 0
    for position, character in enumerate(text[start:], start=start):
        depth += {"(": 1, ")": -1}.get(character, 0)
        if depth == 0 and position < len(text) - 1:
            return False
    return depth == 0


_SUPERSCRIPTS = {2.0: "²", 3.0: "³"}


def power_text(base: str, exponent: float) -> str:
    """``base²``, ``base³`` or ``base ** 0.5``, with ``base`` bracketed when needed."""
    base = bracketed(base)
    if exponent in _SUPERSCRIPTS:
        return f"{base}{_SUPERSCRIPTS[exponent]}"
    return f"{base} ** {exponent:g}"


def _power_rule_text(base: str, n: float) -> str:
    """The power rule as a learner writes it: ``2 × (guess - true price)``, ``3 × x²``."""
    if n == 0.0:
        return "0.0"
    if n == 1.0:
        return "1.0"
    if n == 2.0:
        return f"2 × {base}"
    return f"{n:g} × {power_text(base, n - 1.0)}"


def _power_rule_note(n: float) -> str:
    if n == 2.0:
        return "The power rule: the local derivative of x² is 2x."
    return "The power rule: the local derivative of xⁿ is n·xⁿ⁻¹."


# ----------------------------------------------------------------------
# Domain and overflow checks shared by several rules
# ----------------------------------------------------------------------


def _finite_slopes(slopes: tuple[float, ...], what: str) -> tuple[float, ...]:
    """``slopes`` if all are finite; else the op's slope overflowed a float."""
    for slope in slopes:
        if not math.isfinite(slope):
            raise OutOfDomain(
                OverflowError,
                f"{what} has a slope too large for a float ({slope!r}), so blame cannot "
                "flow back through it. Keep the inputs away from where it is steep "
                "(divisors and log inputs away from 0).",
            )
    return slopes


def _real_power(x: float, n: float, expression: str) -> float:
    """x ** n as a real float, or OutOfDomain saying why not."""
    if x == 0.0 and n < 0.0:
        raise OutOfDomain(
            ZeroDivisionError, f"{expression} divides by zero (0 to a negative power)."
        )
    if x < 0.0 and not n.is_integer():
        raise OutOfDomain(
            ValueError,
            f"{expression} is not a real number: a negative number to a fractional "
            "power is complex. Use a positive base.",
        )
    try:
        return float(x**n)
    except OverflowError:
        raise OutOfDomain(OverflowError, f"{expression} is too large for a float.") from None


def _infinite_slope(expression: str) -> OutOfDomain:
    return OutOfDomain(
        ValueError,
        f"{expression} has an infinite slope, so blame cannot flow back through it. "
        "Keep the base away from 0, for example by adding a small epsilon.",
    )


# ----------------------------------------------------------------------
# Where random tests may apply each op (see microgradx.testing)
# ----------------------------------------------------------------------

_ONE = (("node",),)
_TWO = (("node", "node"), ("node", "constant"), ("constant", "node"))
_NUMBER_EXPONENT = (("node", "exponent"),)
_VALUE_EXPONENT = (("node", "node"), ("base", "node"))
_SLOPE = (("node", "slope"),)
_SUM = tuple(("term",) * count for count in range(1, 5))
_DOT = tuple(("term",) * (2 * count) for count in range(1, 4))


def _distance_from_zero(x: float, *settings: float) -> float:
    """For relu, abs, leaky_relu (a kink at 0)."""
    return abs(x)


def _positive_part(x: float, *settings: float) -> float:
    """For log and sqrt (defined for x > 0) and a Value exponent's base."""
    return x


def _divisor_distance(numerator: float, divisor: float) -> float:
    return abs(divisor)


def _power_distance(base: float, exponent: float) -> float:
    """x ** n with a number n: poles at 0 for n < 0; for a fractional n, x must be > 0."""
    if not exponent.is_integer():
        return base
    return abs(base) if exponent < 0.0 else math.inf


def _exp_fits(bound: float, x: float) -> bool:
    return x <= math.log(bound)


def _value_power_fits(bound: float, base: float, exponent: float) -> bool:
    return base > 0.0 and abs(exponent * math.log(base)) <= math.log(bound)


# ----------------------------------------------------------------------
# The table
# ----------------------------------------------------------------------

SUM_IS_COMPENSATED = sum([1.0, 1e100, 1.0, -1e100]) == 2.0
"""Whether this Python's ``sum()`` of floats is compensated (CPython 3.12 and later).

``sum`` and ``dot`` add their terms with the built-in ``sum()``. Up to Python 3.11 it
adds left to right, one rounding per term; from 3.12 on it keeps the rounding error
of every addition in a second float and adds that in at the end (Neumaier's
improvement of Kahan's compensated summation), so ``sum([1.0, 1e100, 1.0, -1e100])``
is 2.0 instead of 0.0. The lab page mirrors the summation of the Python that wrote it."""

JS_HELPERS = f"""
const LARGEST_EXP_INPUT = {LARGEST_EXP_INPUT!r};
function fail(message) {{ throw new RangeError(message); }}
function finite(slopes) {{
  if (!slopes.every(Number.isFinite)) fail("a slope is too large for a float");
  return slopes;
}}
function realPower(x, n) {{
  if (x === 0 && n < 0) fail("0 to a negative power divides by zero");
  if (x < 0 && !Number.isInteger(n)) fail("a negative number to a fractional power is complex");
  const out = pythonPower(x, n);
  if (!Number.isFinite(out)) fail("the power is too large for a float");
  return out;
}}
function pythonPower(x, n) {{
  if (n === 0) return 1;
  if (x === 0) return isOddInteger(n) ? x : 0;
  let negate = false;
  if (x < 0) {{
    x = -x;
    negate = isOddInteger(n);
  }}
  if (x === 1) return negate ? -1 : 1;
  const out = Math.pow(x, n);
  return negate ? -out : out;
}}
function isOddInteger(n) {{ return Number.isInteger(n) && Math.abs(n % 2) === 1; }}
function sumOf(terms) {{
  return COMPENSATED_SUM ? compensatedSum(terms) : leftToRightSum(terms);
}}
function leftToRightSum(terms) {{
  let total = 0;
  for (const t of terms) total += t;
  return total;
}}
function compensatedSum(terms) {{
  if (terms.length === 0) return 0;
  let high = 0 + terms[0];
  let low = 0;
  for (let k = 1; k < terms.length; k++) {{
    const x = terms[k];
    const t = high + x;
    if (Math.abs(high) >= Math.abs(x)) low += (high - t) + x;  // the rounding error of t
    else low += (x - t) + high;
    high = t;
  }}
  return low !== 0 && Number.isFinite(low) ? high + low : high;
}}
function dotOf(weights, inputs) {{
  return sumOf(weights.map((w, i) => w * inputs[i]));
}}
"""
"""The JavaScript the rules' ``js`` code calls, mirroring the Python helpers above and
the float arithmetic of CPython itself:

* ``fail`` is ``OutOfDomain``, ``finite`` is ``_finite_slopes``, ``realPower`` is
  ``_real_power``; ``LARGEST_EXP_INPUT`` is this module's number, written out.
* ``pythonPower`` is CPython's ``float ** float``: it settles 0, 1 and negative bases
  itself (``(-2.0) ** 3`` is ``-(2.0 ** 3)``) and leaves positive bases to the
  library's ``pow``: the C library's in Python, the browser's ``Math.pow`` in the
  page. The two may round the last bit differently, as may their ``exp``, ``log``,
  ``tanh``, ``sin``, ``cos`` (see ``microgradx.lab``).
* ``sumOf`` is the built-in ``sum()`` of floats: ``0 + t1``, then every next term;
  left to right (``leftToRightSum``) up to Python 3.11, and from 3.12 on with
  CPython's compensation (``compensatedSum``), as ``SUM_IS_COMPENSATED`` says. The
  page that includes these helpers defines ``COMPENSATED_SUM``. ``dotOf`` is
  ``sum(map(mul, weights, inputs))``: every product first, then their sum."""


def _add(a: float, b: float) -> Rule:
    """a + b.   d/da = 1,   d/db = 1"""
    return a + b, (1.0, 1.0)


add = Primitive(
    "+",
    _add,
    noun="sum",
    arity=2,
    derivatives=lambda a, b, out: (1.0, 1.0),
    js="(a, b) => [a + b, [1, 1]]",
    expression="{0} + {1}",
    rules=("1.0", "1.0"),
    note="Addition passes blame on unchanged: its local derivatives are 1.",
    input_names=("value", "value"),
    shapes=_TWO,
    inline=("{0} + {1}", ("1.0", "1.0")),
)


def _subtract(a: float, b: float) -> Rule:
    """a - b.   d/da = 1,   d/db = -1"""
    return a - b, (1.0, -1.0)


subtract = Primitive(
    "-",
    _subtract,
    noun="difference",
    arity=2,
    derivatives=lambda a, b, out: (1.0, -1.0),
    js="(a, b) => [a - b, [1, -1]]",
    expression="{0} - {1:b}",
    rules=("1.0", "-1.0"),
    note="a - b passes blame to a unchanged (local 1) and to b with its sign flipped (-1).",
    input_names=("value", "value"),
    shapes=_TWO,
    inline=("{0} - {1}", ("1.0", "-1.0")),
)


def _multiply(a: float, b: float) -> Rule:
    """a * b.   d/da = b,   d/db = a"""
    return a * b, (b, a)


multiply = Primitive(
    "*",
    _multiply,
    noun="product",
    arity=2,
    derivatives=lambda a, b, out: (b, a),
    js="(a, b) => [a * b, [b, a]]",
    expression="{0:b} * {1:b}",
    rules=("{1}", "{0}"),
    note="For a product, the local derivative for each factor is the other factor.",
    input_names=("value", "value"),
    shapes=_TWO,
    inline=("{0} * {1}", ("{1}", "{0}")),
)


def _divide(a: float, b: float) -> Rule:
    """a / b.   d/da = 1/b,   d/db = -a/b^2 = -(a/b)/b"""
    if b == 0.0:
        raise OutOfDomain(
            ZeroDivisionError,
            "division by zero in {0} / {1}: the divisor is 0.0 (the numerator is {a}). "
            "Dividing needs a non-zero divisor.",
            a=a,
        )
    out = a / b
    return out, _finite_slopes((1.0 / b, -out / b), "{0} / {1} with {1} = " + f"{b:g}")


divide = Primitive(
    "/",
    _divide,
    noun="quotient",
    arity=2,
    derivatives=lambda a, b, out: (1.0 / b, -out / b),
    js="""(a, b) => {
      if (b === 0) fail("division by zero: the divisor is 0");
      const out = a / b;
      return [out, finite([1 / b, -out / b])];
    }""",
    expression="{0:b} / {1:b}",
    rules=("1 / {1}", "-{0} / {1:²}"),
    note="For a / b the local derivatives are 1/b for a and -a/b² for b.",
    input_names=("numerator", "divisor"),
    shapes=_TWO,
    edge_distance=_divisor_distance,
)


def _negate(x: float) -> Rule:
    """-x.   d/dx = -1"""
    return -x, (-1.0,)


negate = Primitive(
    "neg",
    _negate,
    noun="negation",
    arity=1,
    derivatives=lambda x, out: (-1.0,),
    js="(x) => [-x, [-1]]",
    expression="-{0:b}",
    rules=("-1.0",),
    note="Negation flips the sign of the blame (local -1).",
    said="negation",
    inline=("-{0}", ("-1.0",)),
)


def _absolute(x: float) -> Rule:
    """|x|.   d/dx = 1 if x > 0, -1 if x < 0, and 0 at the kink x = 0"""
    return abs(x), (1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0,)


absolute = Primitive(
    "abs",
    _absolute,
    arity=1,
    derivatives=lambda x, out: (1.0 if x.data > 0.0 else -1.0 if x.data < 0.0 else 0.0,),
    js="(x) => [Math.abs(x), [x > 0 ? 1 : x < 0 ? -1 : 0]]",
    expression="abs({0})",
    rules=("sign({0})",),
    note="abs passes blame on with the sign of its input (0 at the kink).",
    function="abs",
    code="abs({0})",
    edge_distance=_distance_from_zero,
    inline=("abs({0})", ("1.0 if {0} > 0.0 else -1.0 if {0} < 0.0 else 0.0",)),
)


def _power_of_number(x: float, n: float) -> Rule:
    """x ** n for a plain number n (the power rule).   d/dx = n * x^(n-1)"""
    if not math.isfinite(n):
        raise OutOfDomain(ValueError, "{0} ** n needs a finite exponent, got {n}.", n=n)
    expression = f"{{0}} ** {n:g} at {{0}} = {x:g}"
    out = _real_power(x, n, expression)
    if n == 0.0:
        return out, (0.0,)
    if x == 0.0 and n < 1.0:
        raise _infinite_slope(expression)
    slope = n * _real_power(x, n - 1.0, f"the slope n·x^(n-1) of {expression}")
    return out, _finite_slopes((slope,), expression)


power_of_number = Primitive(
    "**n",
    _power_of_number,
    noun="power",
    arity=1,
    parameters=("n",),
    derivatives=lambda x, out, n: (0.0,) if n == 0.0 else (n * x ** (n - 1.0),),
    js="""(x, n) => {
      const out = realPower(x, n);
      if (n === 0) return [out, [0]];
      if (x === 0 && n < 1) fail("x ** n has an infinite slope at x = 0");
      return [out, finite([n * realPower(x, n - 1)])];
    }""",
    expression="{0} ** {n}",
    note="The power rule: the local derivative of xⁿ is n·xⁿ⁻¹.",
    input_names=("base",),
    shapes=_NUMBER_EXPONENT,
    code="{0} ** {1}",
    edge_distance=_power_distance,
)


def _power_of_values(a: float, b: float) -> Rule:
    """a ** b for two Values.   d/da = b * a^(b-1),   d/db = a^b * log(a)"""
    expression = f"{{0}} ** {{1}} at {{0}} = {a:g}, {{1}} = {b:g}"
    if a < 0.0 or (a == 0.0 and b <= 0.0):
        raise OutOfDomain(
            ValueError,
            expression + ": a Value exponent needs a positive base, because the slope "
            "with respect to the exponent is a^b * log(a). If the exponent is a fixed "
            "number, write it as a plain number (x ** 2): that allows any base.",
        )
    out = _real_power(a, b, expression)
    if a == 0.0:
        if b < 1.0:
            raise _infinite_slope(expression)
        return out, (1.0 if b == 1.0 else 0.0, 0.0)
    slopes = (
        b * _real_power(a, b - 1.0, f"the slope b·a^(b-1) of {expression}"),
        out * math.log(a),
    )
    return out, _finite_slopes(slopes, expression)


power = Primitive(
    "**",
    _power_of_values,
    noun="power",
    arity=2,
    derivatives=lambda a, b, out: (b * a ** (b - 1.0), out * a.log()),
    js="""(a, b) => {
      if (a < 0 || (a === 0 && b <= 0)) fail("a ** b needs a positive base a");
      const out = realPower(a, b);
      if (a === 0) {
        if (b < 1) fail("a ** b has an infinite slope at a = 0");
        return [out, [b === 1 ? 1 : 0, 0]];
      }
      return [out, finite([b * realPower(a, b - 1), out * Math.log(a)])];
    }""",
    expression="{0:b} ** {1:b}",
    rules=("{1} × {0} ** ({1} - 1)", "{out} × log({0})"),
    note="For a ** b the local derivatives are b·a^(b-1) for a and a^b·log(a) for b.",
    said="a power",
    input_names=("base", "exponent"),
    shapes=_VALUE_EXPONENT,
    edge_distance=_positive_part,
    fits=_value_power_fits,
)


def _exp(x: float) -> Rule:
    """e^x.   d/dx e^x = e^x"""
    if x > LARGEST_EXP_INPUT:
        raise OutOfDomain(
            OverflowError,
            "exp({0}) with {0} = {x} is too large for a float (exp overflows above "
            f"{LARGEST_EXP_INPUT:.2f}). Scale the input down, or use a numerically "
            "stable form such as sigmoid, softplus or log-sum-exp.",
            x=x,
        )
    out = math.exp(x)
    return out, (out,)


exp = Primitive(
    "exp",
    _exp,
    arity=1,
    derivatives=lambda x, out: (out,),
    js="""(x) => {
      if (x > LARGEST_EXP_INPUT) fail("exp(x) is too large for a float above 709.78");
      const out = Math.exp(x);
      return [out, [out]];
    }""",
    expression="exp({0})",
    rules=("{out}",),
    note="exp is its own derivative: the local derivative is the output itself.",
    function="exp",
    code="{0}.exp()",
    fits=_exp_fits,
)


def _log(x: float) -> Rule:
    """Natural logarithm.   d/dx log(x) = 1/x   (defined for x > 0)"""
    if x <= 0.0:
        raise OutOfDomain(
            ValueError,
            "log({0}) is undefined for {0} = {x}: log needs a positive number. If the "
            "input can reach 0, add a small epsilon (log(x + 1e-12)) or use a stable "
            "loss from microgradx.losses.",
            x=x,
        )
    return math.log(x), _finite_slopes((1.0 / x,), "log({0}) at {0} = " + f"{x:g}")


log = Primitive(
    "log",
    _log,
    arity=1,
    derivatives=lambda x, out: (1.0 / x,),
    js="""(x) => {
      if (x <= 0) fail("log(x) needs a positive number");
      return [Math.log(x), finite([1 / x])];
    }""",
    expression="log({0})",
    rules=("1 / {0}",),
    note="The local derivative of log(x) is 1/x.",
    function="log",
    code="{0}.log()",
    edge_distance=_positive_part,
)


def _log1p(x: float) -> Rule:
    """log(1 + x), exact even for tiny x.   d/dx log(1 + x) = 1 / (1 + x)   (x > -1)"""
    if x <= -1.0:
        raise OutOfDomain(
            ValueError,
            "log1p({0}) = log(1 + {0}) is undefined for {0} = {x}: it needs {0} > -1.",
            x=x,
        )
    return math.log1p(x), _finite_slopes((1.0 / (1.0 + x),), "log1p({0}) at {0} = " + f"{x:g}")


log1p = Primitive(
    "log1p",
    _log1p,
    arity=1,
    derivatives=lambda x, out: (1.0 / (1.0 + x),),
    js="""(x) => {
      if (x <= -1) fail("log1p(x) needs x > -1");
      return [Math.log1p(x), finite([1 / (1 + x)])];
    }""",
    expression="log1p({0})",
    rules=("1 / (1 + {0})",),
    note="log1p(x) is log(1 + x), exact even for tiny x; its local derivative is 1/(1 + x).",
    function="log1p",
    edge_distance=lambda x: x + 1.0,
)


def _sqrt(x: float) -> Rule:
    """Square root.   d/dx sqrt(x) = 1 / (2 sqrt(x))   (defined for x > 0)"""
    if x < 0.0:
        raise OutOfDomain(
            ValueError,
            "sqrt({0}) is undefined for {0} = {x}: the square root of a negative "
            "number is not a real number.",
            x=x,
        )
    if x == 0.0:
        raise OutOfDomain(
            ValueError,
            "sqrt({0}) at {0} = 0.0 has an infinite slope (1 / (2 sqrt(0))), so blame "
            "cannot flow back through it. Add a small epsilon: (x + 1e-12).sqrt().",
        )
    out = math.sqrt(x)
    return out, (0.5 / out,)


sqrt = Primitive(
    "sqrt",
    _sqrt,
    arity=1,
    derivatives=lambda x, out: (0.5 / out,),
    js="""(x) => {
      if (x <= 0) fail(x < 0 ? "sqrt(x) needs x >= 0" : "sqrt(x) has an infinite slope at 0");
      const out = Math.sqrt(x);
      return [out, [0.5 / out]];
    }""",
    expression="sqrt({0})",
    rules=("1 / (2 × {out})",),
    note="The local derivative of sqrt(x) is 1 / (2 sqrt(x)).",
    function="sqrt",
    code="{0}.sqrt()",
    edge_distance=_positive_part,
)


def _tanh(x: float) -> Rule:
    """Hyperbolic tangent.   d/dx tanh(x) = 1 - tanh(x)^2   (tanh(1000) is exactly 1.0)"""
    t = math.tanh(x)
    return t, (1.0 - t * t,)


tanh = Primitive(
    "tanh",
    _tanh,
    arity=1,
    derivatives=lambda x, out: (1.0 - out * out,),
    js="(x) => { const t = Math.tanh(x); return [t, [1 - t * t]]; }",
    expression="tanh({0})",
    rules=("1 - {out:²}",),
    note="The local derivative of tanh is 1 - tanh², read from the output.",
    function="tanh",
    code="{0}.tanh()",
    inline=("math.tanh({0})", ("1.0 - {out} * {out}",)),
)


def _sigmoid(x: float) -> Rule:
    """s(x) = 1 / (1 + e^-x).   d/dx s(x) = s(x) * (1 - s(x))

    For x < 0 it is computed as e^x / (1 + e^x), so e^ never overflows and
    sigmoid(-1000) is exactly 0.0.
    """
    if x >= 0.0:
        s = 1.0 / (1.0 + math.exp(-x))
    else:
        e = math.exp(x)
        s = e / (1.0 + e)
    return s, (s * (1.0 - s),)


sigmoid = Primitive(
    "sigmoid",
    _sigmoid,
    arity=1,
    derivatives=lambda x, out: (out * (1.0 - out),),
    js="""(x) => {
      let s;
      if (x >= 0) s = 1 / (1 + Math.exp(-x));
      else { const e = Math.exp(x); s = e / (1 + e); }
      return [s, [s * (1 - s)]];
    }""",
    expression="sigmoid({0})",
    rules=("{out} × (1 - {out})",),
    note="The local derivative of the sigmoid s is s·(1 - s), read from the output.",
    function="sigmoid",
    code="{0}.sigmoid()",
)


def _softplus(x: float) -> Rule:
    """softplus(x) = log(1 + e^x), a smooth relu.   d/dx softplus(x) = sigmoid(x)

    For x > 0 it is computed as x + log1p(e^-x), so e^ never overflows; and
    log1p keeps its relative precision where the result is tiny (softplus(-50)
    is 1.9e-22, not 0).
    """
    if x > 0.0:
        e = math.exp(-x)
        return x + math.log1p(e), (1.0 / (1.0 + e),)
    e = math.exp(x)
    return math.log1p(e), (e / (1.0 + e),)


softplus = Primitive(
    "softplus",
    _softplus,
    arity=1,
    derivatives=lambda x, out: (sigmoid(x),),
    js="""(x) => {
      if (x > 0) { const e = Math.exp(-x); return [x + Math.log1p(e), [1 / (1 + e)]]; }
      const e = Math.exp(x);
      return [Math.log1p(e), [e / (1 + e)]];
    }""",
    expression="softplus({0})",
    rules=("sigmoid({0})",),
    note="softplus(x) = log(1 + eˣ) is a smooth relu; its local derivative is sigmoid(x).",
    function="softplus",
)


def _relu(x: float) -> Rule:
    """max(0, x).   d/dx relu(x) = 1 if x > 0 else 0   (0 at the kink x = 0)"""
    if x > 0.0:
        return x, (1.0,)
    return 0.0, (0.0,)


relu = Primitive(
    "relu",
    _relu,
    arity=1,
    derivatives=lambda x, out: (1.0 if x.data > 0.0 else 0.0,),
    js="(x) => (x > 0 ? [x, [1]] : [0, [0]])",
    expression="relu({0})",
    rules=("(1 if {0} > 0, else 0)",),
    note="relu passes blame on where its input was positive, and blocks it elsewhere.",
    function="relu",
    code="{0}.relu()",
    edge_distance=_distance_from_zero,
    inline=("{0} if {0} > 0.0 else 0.0", ("1.0 if {0} > 0.0 else 0.0",)),
)


def _leaky_relu(x: float, slope: float) -> Rule:
    """x if x > 0 else slope * x.   d/dx = 1 if x > 0 else slope"""
    if not math.isfinite(slope):
        raise OutOfDomain(ValueError, "leaky_relu slope must be a finite number, got {s}.", s=slope)
    if x > 0.0:
        return x, (1.0,)
    return slope * x, (slope,)


leaky_relu = Primitive(
    "leaky_relu",
    _leaky_relu,
    arity=1,
    parameters=("slope",),
    derivatives=lambda x, out, slope: (1.0 if x.data > 0.0 else slope,),
    js="(x, slope) => (x > 0 ? [x, [1]] : [slope * x, [slope]])",
    expression="leaky_relu({0})",
    rules=("(1 if {0} > 0, else the slope {slope})",),
    note="leaky_relu passes blame on where its input was positive, and a small slope "
    "of it elsewhere.",
    function="leaky_relu",
    shapes=_SLOPE,
    code="{0}.leaky_relu({1})",
    edge_distance=_distance_from_zero,
)


def _sin(x: float) -> Rule:
    """Sine.   d/dx sin(x) = cos(x)"""
    return math.sin(x), (math.cos(x),)


sin = Primitive(
    "sin",
    _sin,
    arity=1,
    derivatives=lambda x, out: (x.cos(),),
    js="(x) => [Math.sin(x), [Math.cos(x)]]",
    expression="sin({0})",
    rules=("cos({0})",),
    note="The local derivative of sin(x) is cos(x).",
    function="sin",
    code="{0}.sin()",
    inline=("math.sin({0})", ("math.cos({0})",)),
)


def _cos(x: float) -> Rule:
    """Cosine.   d/dx cos(x) = -sin(x)"""
    return math.cos(x), (-math.sin(x),)


cos = Primitive(
    "cos",
    _cos,
    arity=1,
    derivatives=lambda x, out: (-x.sin(),),
    js="(x) => [Math.cos(x), [-Math.sin(x)]]",
    expression="cos({0})",
    rules=("-sin({0})",),
    note="The local derivative of cos(x) is -sin(x).",
    function="cos",
    code="{0}.cos()",
    inline=("math.cos({0})", ("-math.sin({0})",)),
)


def _sum(terms: Sequence[float]) -> Rule:
    """t1 + t2 + ... + tn as one node.   d/dti = 1 for every i

    Like every rule of an op with any number of inputs, it takes them as one list.
    """
    return sum(terms), (1.0,) * len(terms)


sum_ = Primitive(
    "sum",
    _sum,
    noun="sum",
    arity=None,
    derivatives=lambda *terms_then_out: (1.0,) * (len(terms_then_out) - 1),
    js="(terms) => [sumOf(terms), terms.map(() => 1)]",
    expression="sum",
    note="A sum passes blame on unchanged: its local derivatives are 1.",
    said="a sum",
    shapes=_SUM,
    code="sum_values([{all}])",
)


def _dot(weights_then_inputs: Sequence[float]) -> Rule:
    """w1*x1 + ... + wn*xn as one node (weights first, then inputs).   d/dwi = xi, d/dxi = wi"""
    half = len(weights_then_inputs) // 2
    weights, inputs = weights_then_inputs[:half], weights_then_inputs[half:]
    return sum(map(mul, weights, inputs)), (*inputs, *weights)


dot = Primitive(
    "dot",
    _dot,
    noun="dot",
    arity=None,
    derivatives=lambda *pairs_then_out: _dot_derivatives(pairs_then_out[:-1]),
    js="""(pairs) => {
      const half = pairs.length / 2;
      const weights = pairs.slice(0, half), inputs = pairs.slice(half);
      return [dotOf(weights, inputs), inputs.concat(weights)];
    }""",
    expression="dot",
    note="For a dot product, each weight's local derivative is its input, and each "
    "input's is its weight.",
    said="a dot product (sum of weight × input)",
    shapes=_DOT,
    code="dot([{weights}], [{inputs}])",
    inline=("sum(map(mul, {0}, {1}))", ("{1}", "{0}")),
)


def _dot_derivatives(pairs: Sequence[Any]) -> tuple[Any, ...]:
    half = len(pairs) // 2
    return (*pairs[half:], *pairs[:half])


FUNCTIONS: dict[str, Primitive] = {
    primitive.function: primitive for primitive in PRIMITIVES.values() if primitive.function
}
"""The primitives a formula may call by name: ``tanh(x)``, ``leaky_relu(x, 0.1)``."""
