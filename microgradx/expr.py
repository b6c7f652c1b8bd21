"""Reading a formula such as ``tanh(x*w + b)`` into a graph of Values, safely.

The text is read by Python's own parser (``ast.parse`` only builds a syntax tree:
no code object is made and nothing runs), then every node of the tree is checked
against a short whitelist. A formula may use:

* numbers: ``2``, ``0.5``, ``1e-3``;
* names: each name becomes one labelled leaf Value, ``x`` -> ``Value(2.0, label="x")``.
  A name used twice is the same node, so ``x*x`` shows blame arriving along two edges;
* ``+  -  *  /  **``, unary ``-`` and ``+``, and parentheses;
* calls of the engine's functions: ``exp log sqrt tanh sigmoid relu sin cos abs`` and
  ``leaky_relu(x)`` or ``leaky_relu(x, slope)`` with a number for the slope;
* the constant ``pi``. There is no constant ``e``, so that ``e`` stays free as a
  variable (an error, say); Euler's number is ``exp(1)``.

Anything else (attributes, indexing, strings, lambdas, keywords, other functions, ...)
raises an ``ExpressionError`` that names what was found and its column.

Building follows the engine's rules, so the drawing shows every number of the formula:
each number becomes a constant leaf (``-2`` is one leaf, not a ``neg`` of ``2``), except
an exponent or a leaky_relu slope without names: that is worked out to a plain number
and becomes part of the op, as in ``x**2`` (op ``**2``) or ``x ** (1/2)`` (op ``**0.5``).

    >>> formula = parse_expression("tanh(x*w + b)")
    >>> formula.names
    ('x', 'w', 'b')
    >>> out = formula.build({"x": 2, "w": -3, "b": 6.88})
    >>> round(out.data, 4)
    0.7064
"""

from __future__ import annotations

import ast
import difflib
import math
import re
import unicodedata
import warnings
from numbers import Real

from microgradx import ops
from microgradx.engine import Value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Callable, Union

    Binding = Union[Value, int, float]
    """The value for a name: a number (made into a labelled leaf) or a Value used as is."""

MAX_LENGTH = 2000
"""The longest formula accepted, in characters."""

MAX_DEPTH = 200
"""The deepest nesting accepted, counting each operator in a chain (``a+b+c`` is 3)."""

FUNCTIONS: dict[str, ops.Primitive] = dict(ops.FUNCTIONS)
"""The functions a formula may call: every primitive of the table (``microgradx.ops``)
that has a function name. Each takes one Value, then its settings as plain numbers
(``leaky_relu(x, 0.1)``); a setting left out takes its default."""

CONSTANTS: dict[str, float] = {"pi": math.pi}
"""Names with a fixed value. Each becomes one labelled leaf, like a variable."""

_BINARY_OPERATORS: dict[type[ast.operator], Callable[[Value, Value | float], Value]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}
_UNARY_OPERATORS: dict[type[ast.unaryop], Callable[[Value], Value]] = {
    ast.USub: lambda a: -a,
    ast.UAdd: lambda a: +a,
}
_UNSUPPORTED_OPERATORS = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.Not: "not",
    ast.Invert: "~",
}
_WHAT_IT_IS = {
    "Attribute": "attribute access (a.b)",
    "Subscript": "indexing (a[i])",
    "Slice": "a slice",
    "Lambda": "a lambda",
    "ListComp": "a comprehension",
    "SetComp": "a comprehension",
    "DictComp": "a comprehension",
    "GeneratorExp": "a generator",
    "Compare": "a comparison",
    "BoolOp": "'and' / 'or'",
    "IfExp": "'if ... else'",
    "List": "a list",
    "Tuple": "a tuple (a comma)",
    "Dict": "a dict",
    "Set": "a set",
    "JoinedStr": "an f-string",
    "FormattedValue": "an f-string",
    "NamedExpr": "an assignment (:=)",
    "Starred": "unpacking (*)",
    "Await": "await",
    "Yield": "yield",
    "YieldFrom": "yield",
}
_IMPLICIT_PRODUCT = re.compile(r"(?<![\w.])(\d+\.?\d*)((?![eEjJ])[A-Za-z_]\w*)")
"""A number written against a name, like ``2x``: Python needs ``2*x``."""

_ALLOWED = (
    "a formula may use numbers, names, + - * / **, parentheses and the functions "
    + ", ".join(FUNCTIONS)
)


class ExpressionError(ValueError):
    """A formula that cannot be read or given values. The message says what and where."""


class Expression:
    """A checked formula, ready to be built into a graph once its names have values.

    ``text`` is the formula as given; ``names`` its variables in order of first
    appearance (constants such as ``pi`` are not variables).
    """

    def __init__(self, text: str, tree: ast.Expression, names: tuple[str, ...]) -> None:
        self.text = text
        self.names = names
        self._tree = tree
        self._source = text.strip()

    def __repr__(self) -> str:
        return f"parse_expression({self.text!r})"

    def build(self, values: Mapping[str, Binding]) -> Value:
        """The output Value of the formula, with one leaf per name.

        ``values`` maps every name to a number (it becomes ``Value(number,
        label=name)``) or to a Value (used as it is, so a formula can join a bigger
        graph). A missing, extra or non-finite value raises ExpressionError; a math
        error (log of 0, division by 0, overflow) raises the engine's ValueError,
        ZeroDivisionError or OverflowError, its message starting with the part of the
        formula where it happened.
        """
        leaves = self._leaves(values)
        for name, number in CONSTANTS.items():
            leaves[name] = Value(number, label=name)
        return _Builder(self._source, leaves).value(self._tree.body)

    def _leaves(self, values: Mapping[str, Binding]) -> dict[str, Value]:
        given: dict[str, Binding] = {}
        for key, value in values.items():
            if not isinstance(key, str):
                raise ExpressionError(f"names must be strings, got {type(key).__name__} {key!r}")
            given[unicodedata.normalize("NFKC", key)] = value
        for name in self.names:
            if name not in given:
                raise ExpressionError(self._missing_message(name, given))
        for name in given:
            if name not in self.names:
                raise ExpressionError(self._extra_message(name))
        return {name: _leaf(name, value) for name, value in given.items()}

    def _missing_message(self, name: str, given: Mapping[str, object]) -> str:
        unused = [other for other in given if other not in self.names]
        close = _closest(name, unused) or _closest(name, [*FUNCTIONS, *CONSTANTS])
        if close in unused:
            hint = f" (a value was given for {close!r}: did you mean {name!r}?)"
        elif close in FUNCTIONS:
            hint = f" (did you mean the function {close}? call it like {close}(x))"
        elif close in CONSTANTS:
            hint = f" (did you mean the constant {close}?)"
        else:
            hint = ""
        return f"missing value for {name!r}{hint}; the formula needs {_listing(self.names)}"

    def _extra_message(self, name: str) -> str:
        if name in CONSTANTS:
            return f"{name!r} is a constant ({CONSTANTS[name]:.6g}) and cannot be given a value"
        return (
            f"a value was given for {name!r}, but the formula has no name {name!r}; "
            f"it needs {_listing(self.names)}"
        )


def parse_expression(text: str) -> Expression:
    """Read and check a formula; raise ExpressionError with its column if it is not allowed."""
    if not isinstance(text, str):
        raise ExpressionError(f"the formula must be a str, got {type(text).__name__}")
    source = text.strip()
    indent = len(text) - len(text.lstrip())
    if not source:
        raise ExpressionError("the formula is empty: write one such as tanh(x*w + b)")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the formula is too long ({len(text)} characters; the limit is {MAX_LENGTH})"
        )
    for column, character in enumerate(text, start=1):
        if character != "\t" and unicodedata.category(character) == "Cc":
            raise ExpressionError(
                f"control character U+{ord(character):04X} at column {column}: "
                "write the formula on one line, with printable characters"
            )
    tree = _syntax_tree(source, indent)
    depth = _depth(tree.body)
    if depth > MAX_DEPTH:
        raise ExpressionError(
            f"the formula is nested too deeply ({depth} levels; the limit is {MAX_DEPTH}): "
            "split it into smaller formulas"
        )
    names = _Checker(source, indent).names_of(tree.body)
    return Expression(text, tree, names)


def _syntax_tree(source: str, indent: int) -> ast.Expression:
    """Python's syntax tree of ``source``: parsing only, nothing is compiled or run."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. SyntaxWarning for '\d' in a string
            return ast.parse(source, mode="eval")
    except SyntaxError as error:
        column = indent + min(max(error.offset or 1, 1), len(source) + 1)
        product = _IMPLICIT_PRODUCT.search(source)
        hint = f" (for a product write {product[1]}*{product[2]})" if product else ""
        raise ExpressionError(f"bad syntax at column {column}: {error.msg}{hint}") from None
    except (ValueError, RecursionError, MemoryError):
        raise ExpressionError("the formula is too complex to read") from None


def _depth(root: ast.expr) -> int:
    """How many expressions deep the tree goes, counted without recursion."""
    deepest = 0
    stack: list[tuple[ast.AST, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        for child in ast.iter_child_nodes(node):
            stack.append((child, depth + 1 if isinstance(child, ast.expr) else depth))
    return deepest


class _Checker:
    """Walks the tree left to right, rejecting anything not on the whitelist."""

    def __init__(self, source: str, indent: int) -> None:
        self.source = source
        self.indent = indent
        self.names: dict[str, None] = {}  # a dict keeps first-appearance order

    def names_of(self, root: ast.expr) -> tuple[str, ...]:
        self.check(root)
        return tuple(self.names)

    def check(self, node: ast.AST) -> None:
        if isinstance(node, ast.Constant):
            _number(node, self)
        elif isinstance(node, ast.Name):
            self.check_name(node)
        elif isinstance(node, ast.UnaryOp):
            self.check_operator(node, node.op, node.col_offset)
            self.check(node.operand)
        elif isinstance(node, ast.BinOp):
            self.check(node.left)
            self.check_operator(node, node.op, _end_offset(node.left))
            self.check(node.right)
        elif isinstance(node, ast.Call):
            self.check_call(node)
        else:
            what = _WHAT_IT_IS.get(type(node).__name__, type(node).__name__)
            raise self.error(f"{what} is not allowed", node, f"; {_ALLOWED}")

    def check_name(self, node: ast.Name) -> None:
        name = node.id
        if name.startswith("__"):
            raise self.error(
                f"the name {name!r} is not allowed", node, ": names cannot start with '__'"
            )
        if name in FUNCTIONS:
            raise self.error(f"{name!r} is a function", node, f": call it like {name}(x)")
        if name not in CONSTANTS:
            self.names[name] = None

    def check_operator(self, node: ast.AST, operator: ast.AST, search_from: int) -> None:
        if type(operator) in _BINARY_OPERATORS or type(operator) in _UNARY_OPERATORS:
            return
        if isinstance(operator, ast.BitXor):
            symbol, fix = "^", ": for a power write x**2, not x^2"
        else:
            symbol = _UNSUPPORTED_OPERATORS.get(type(operator), type(operator).__name__)
            fix = "; use + - * / or **"
        where = self.source.encode().find(symbol.encode(), search_from)
        raise self.error(f"the operator {symbol!r} is not supported", node, fix, where)

    def check_call(self, node: ast.Call) -> None:
        function = node.func
        if not isinstance(function, ast.Name):
            self.check(function)  # rejects a.b(...) as attribute access, and the like
            raise self.error("only the formula's functions can be called", node, f"; {_ALLOWED}")
        name = function.id
        if name not in FUNCTIONS:
            close = _closest(name, FUNCTIONS)
            hint = f" (did you mean {close}?)" if close else ""
            raise self.error(
                f"unknown function {name!r}", node, f"{hint}; known: {', '.join(FUNCTIONS)}"
            )
        if node.keywords:
            keyword = node.keywords[0]
            shown = f"{keyword.arg}=..." if keyword.arg else "**..."
            raise self.error(
                f"keyword arguments ({shown}) are not supported",
                keyword,
                ": pass them by position, like leaky_relu(x, 0.1)",
            )
        settings = FUNCTIONS[name].parameters
        most = 1 + len(settings)
        if not 1 <= len(node.args) <= most:
            wanted = (
                f"1 or {most} arguments (x, {', '.join(settings)})" if settings else "1 argument"
            )
            raise self.error(f"{name} takes {wanted}, got {len(node.args)}", node)
        for argument in node.args:
            self.check(argument)
        for setting, argument in zip(settings, node.args[1:]):
            if _has_variables(argument):
                raise self.error(
                    f"the {setting} of {name} must be a number", argument, ", not a name"
                )

    def error(
        self, problem: str, node: ast.AST, fix: str = "", byte_offset: int | None = None
    ) -> ExpressionError:
        """``problem at column N ('text'), fix`` for the node or the given byte offset."""
        offset = _start_offset(node) if byte_offset is None or byte_offset < 0 else byte_offset
        column = self.indent + 1 + len(self.source.encode()[:offset].decode("utf-8", "replace"))
        text = ast.get_source_segment(self.source, node) or ""
        return ExpressionError(f"{problem} at column {column} ({_shorten(text)!r}){fix}")


def _start_offset(node: ast.AST) -> int:
    """Where a node of the formula starts (in bytes): every node the checker sees has one."""
    offset: int = getattr(node, "col_offset", 0)
    return offset


def _end_offset(node: ast.AST) -> int:
    end: int | None = getattr(node, "end_col_offset", None)
    return end if end is not None else _start_offset(node)


def _number(node: ast.Constant, checker: _Checker | None = None) -> float:
    """The float of a number literal; other constants (strings, True, 2j) are rejected."""
    value = node.value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if math.isfinite(number):
            return number
        problem, fix = "bad number", ": it is too large for a float (the limit is about 1.8e308)"
    elif isinstance(value, complex):
        problem, fix = "bad number", ": complex numbers are not supported"
    elif isinstance(value, (str, bytes)):
        problem, fix = "a string is not allowed", f"; {_ALLOWED}"
    else:
        problem, fix = f"{value!r} is not a number", f"; {_ALLOWED}"
    if checker is None:
        raise ExpressionError(f"{problem}{fix}")
    raise checker.error(problem, node, fix)


def _has_variables(node: ast.AST) -> bool:
    """Whether a variable appears anywhere in ``node`` (not a constant, not a function)."""
    stack = [node]
    while stack:
        part = stack.pop()
        if isinstance(part, ast.Name) and part.id not in CONSTANTS and part.id not in FUNCTIONS:
            return True
        stack.extend(ast.iter_child_nodes(part))
    return False


def _leaf(name: str, value: Binding) -> Value:
    """The leaf for a name: a Value as given, or a new Value labelled with the name."""
    if isinstance(value, Value):
        return value
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ExpressionError(f"bad number for {name!r}: {_shorten(repr(value))} is not a number")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ExpressionError(
            f"bad number for {name!r}: {_shorten(repr(value))}; a finite number is needed"
        )
    return Value(number, label=name)


def _closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like ``word`` (ignoring case), if one is close enough."""
    by_lower = {candidate.lower(): candidate for candidate in candidates}
    matches = difflib.get_close_matches(word.lower(), by_lower, n=1, cutoff=0.6)
    return by_lower[matches[0]] if matches else None


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _listing(names: tuple[str, ...]) -> str:
    return "values for " + ", ".join(names) if names else "no values"


class _Builder:
    """Turns a checked tree into Values: engine ops, one leaf per name."""

    def __init__(self, source: str, leaves: dict[str, Value]) -> None:
        self.source = source
        self.leaves = leaves

    def value(self, node: ast.AST) -> Value:
        if isinstance(node, ast.Constant):
            return Value(_number(node))
        if isinstance(node, ast.Name):
            return self.leaves[node.id]
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
                return Value(-_number(node.operand))
            operand = self.value(node.operand)
            return self.apply(node, _UNARY_OPERATORS[type(node.op)], operand)
        if isinstance(node, ast.BinOp):
            left = self.value(node.left)
            if isinstance(node.op, ast.Pow) and not _has_variables(node.right):
                right: Value | float = self.number(node.right)
            else:
                right = self.value(node.right)
            return self.apply(node, _BINARY_OPERATORS[type(node.op)], left, right)
        assert isinstance(node, ast.Call), "the checker lets nothing else through"
        function = FUNCTIONS[node.func.id]  # type: ignore[attr-defined]
        argument = self.value(node.args[0])
        settings = [self.number(setting) for setting in node.args[1:]]
        return self.apply(node, function, argument, *settings)

    def number(self, node: ast.AST) -> float:
        """A part without variables (an exponent, a slope), worked out to a plain number."""
        return self.value(node).data

    def apply(self, node: ast.AST, operation: Callable[..., Value], *arguments: object) -> Value:
        """``operation(*arguments)``; a math error names the part of the formula it came from."""
        try:
            return operation(*arguments)
        except (ValueError, ZeroDivisionError, OverflowError) as error:
            where = ast.get_source_segment(self.source, node)
            raise type(error)(f"in {where}: {error}") from None
