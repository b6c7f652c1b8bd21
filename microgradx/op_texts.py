"""How each op is written for a learner: its formula, its local derivatives, a note.

Every text the player and the drawings write about one op comes from here, so
that one table can answer for all of them:

* ``_expression(op, operands)``: how a node is computed, ``x1 * w1``, ``tanh(n)``,
  ``(guess - true price)²``; the same for names and for numbers;
* ``_local_rule(op, slot, inputs, out)``: the local derivative for one input as a
  formula, ``1 - o²``, ``2 × (guess - true price)``;
* ``_local_rule_note(op)`` (from ``_LOCAL_RULE_NOTES``): the rule in one sentence;
* ``_op_name(op)`` (with ``_FUNCTION_NAMES``): the op in words, "a dot product";
* ``_op_word(op)``: a noun for the op's result, used to name unlabelled values.

The table of primitives (``microgradx.ops``) will hold these texts per op; these
functions keep their signatures when their bodies become look-ups in it.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

_SUPERSCRIPTS = {2.0: "²", 3.0: "³"}


def _power(base: str, exponent: float) -> str:
    """``base²``, ``base³`` or ``base ** 0.5``, with ``base`` bracketed when needed."""
    base = _bracketed(base, spaced=True)
    if exponent in _SUPERSCRIPTS:
        return f"{base}{_SUPERSCRIPTS[exponent]}"
    return f"{base} ** {exponent:g}"


def _exponent(op: str) -> float | None:
    """The number n of a power op ``**n``, or None for other ops."""
    if not op.startswith("**") or op == "**":
        return None
    try:
        return float(op[2:])
    except ValueError:
        return None


def _expression(op: str, operands: Sequence[str]) -> str:
    """How a node is computed, written out: ``x1 * w1``, ``tanh(n)``, ``a + b + c``.

    Works alike for names and for numbers (``2.0 * (-3.0)``).
    """
    if op in ("+", "sum"):
        return " + ".join([operands[0], *(_bracketed(x, spaced=False) for x in operands[1:])])
    if op == "-" and len(operands) == 2:
        return f"{operands[0]} - {_bracketed(operands[1])}"
    if op in ("*", "/", "**") and len(operands) == 2:
        return f"{_bracketed(operands[0])} {op} {_bracketed(operands[1])}"
    exponent = _exponent(op)
    if exponent is not None and len(operands) == 1:
        return _power(operands[0], exponent)
    if op == "neg" and len(operands) == 1:
        return f"-{_bracketed(operands[0])}"
    if op == "dot":
        half = len(operands) // 2
        weights, inputs = operands[:half], operands[half:]
        return " + ".join(f"{_bracketed(w)} * {_bracketed(x)}" for w, x in zip(weights, inputs))
    return f"{op}({', '.join(operands)})"


def _local_rule(op: str, slot: int, inputs: Sequence[str], out: str) -> str | None:
    """The local derivative d out / d input as a formula, or None for an unknown op.

    ``inputs`` name the inputs' numbers (``x``, ``(a + b)``, or a constant like
    ``2.0``) and ``out`` the result's, as a learner writes them.
    """
    x = inputs[slot]
    if op in ("+", "sum"):
        return "1.0"
    if op == "-":
        return "1.0" if slot == 0 else "-1.0"
    if op == "neg":
        return "-1.0"
    if op == "*":
        return inputs[1 - slot]
    if op == "/":
        a, b = inputs
        return f"1 / {b}" if slot == 0 else f"-{a} / {_power(b, 2.0)}"
    if op == "dot":
        half = len(inputs) // 2
        return inputs[slot + half] if slot < half else inputs[slot - half]
    if op == "**":
        a, b = inputs
        return f"{b} × {a} ** ({b} - 1)" if slot == 0 else f"{out} × log({a})"
    n = _exponent(op)
    if op.startswith("**"):
        if n is None:
            return None
        if n == 0.0:
            return "0.0"
        if n == 1.0:
            return "1.0"
        if n == 2.0:
            return f"2 × {x}"
        return f"{n:g} × {_power(x, n - 1.0)}"
    rules = {
        "abs": f"sign({x})",
        "exp": out,
        "log": f"1 / {x}",
        "sqrt": f"1 / (2 × {out})",
        "tanh": f"1 - {_power(out, 2.0)}",
        "sigmoid": f"{out} × (1 - {out})",
        "relu": f"(1 if {x} > 0, else 0)",
        "leaky_relu": f"(1 if {x} > 0, else the slope)",
        "sin": f"cos({x})",
        "cos": f"-sin({x})",
    }
    return rules.get(op)


_LOCAL_RULE_NOTES = {
    "+": "Addition passes blame on unchanged: its local derivatives are 1.",
    "sum": "A sum passes blame on unchanged: its local derivatives are 1.",
    "-": "a - b passes blame to a unchanged (local 1) and to b with its sign flipped (-1).",
    "neg": "Negation flips the sign of the blame (local -1).",
    "*": "For a product, the local derivative for each factor is the other factor.",
    "/": "For a / b the local derivatives are 1/b for a and -a/b² for b.",
    "dot": "For a dot product, each weight's local derivative is its input, and each "
    "input's is its weight.",
    "**": "For a ** b the local derivatives are b·a^(b-1) for a and a^b·log(a) for b.",
    "abs": "abs passes blame on with the sign of its input (0 at the kink).",
    "exp": "exp is its own derivative: the local derivative is the output itself.",
    "log": "The local derivative of log(x) is 1/x.",
    "sqrt": "The local derivative of sqrt(x) is 1 / (2 sqrt(x)).",
    "tanh": "The local derivative of tanh is 1 - tanh², read from the output.",
    "sigmoid": "The local derivative of the sigmoid s is s·(1 - s), read from the output.",
    "relu": "relu passes blame on where its input was positive, and blocks it elsewhere.",
    "leaky_relu": "leaky_relu passes blame on where its input was positive, and a "
    "small slope of it elsewhere.",
    "sin": "The local derivative of sin(x) is cos(x).",
    "cos": "The local derivative of cos(x) is -sin(x).",
}


def _local_rule_note(op: str) -> str:
    if op == "**2":
        return "The power rule: the local derivative of x² is 2x."
    if op.startswith("**") and op != "**":
        return "The power rule: the local derivative of xⁿ is n·xⁿ⁻¹."
    return _LOCAL_RULE_NOTES.get(op, "")


_FUNCTION_NAMES = {
    "neg": "negation",
    "abs": "abs",
    "sum": "a sum",
    "dot": "a dot product (sum of weight × input)",
    "**": "a power",
}


def _op_name(op: str) -> str:
    if op in ("+", "-", "*", "/"):
        return f"'{op}'"
    if op.startswith("**") and op != "**":
        return f"the power {op[2:]}"
    return _FUNCTION_NAMES.get(op, op)


_OP_WORDS = {
    "+": "sum",
    "sum": "sum",
    "-": "difference",
    "*": "product",
    "/": "quotient",
    "dot": "dot",
    "neg": "negation",
    "**": "power",
}


def _op_word(op: str) -> str:
    """A short noun for what an op makes, to name a value that has no label: ``product``."""
    if op.startswith("**"):
        return "power"
    word = _OP_WORDS.get(op, op)
    return word if word.isidentifier() else "value"


# ----------------------------------------------------------------------
# Brackets, so that a formula reads the way it computes
# ----------------------------------------------------------------------


def _bracketed(text: str, *, spaced: bool = True) -> str:
    """An operand that could be misread gets brackets: ``(-3.0)``, ``(a + b)``."""
    if _is_call(text) or _is_bracketed(text):
        return text
    if text.startswith("-") or (spaced and _has_operator(text)):
        return f"({text})"
    return text


_OPERATORS = (" + ", " - ", " * ", " / ", " × ", " ** ")


def _has_operator(text: str) -> bool:
    """True for ``a + b``: an operator between spaces, outside brackets.

    ``true price`` is one name, and ``(a + b)²`` one operand.
    """
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


def _is_bracketed(text: str) -> bool:
    """True for ``(a + b)``: one pair of brackets around the whole text."""
    return text.startswith("(") and _closes_at_end(text, 0)


def _is_call(text: str) -> bool:
    """True for ``tanh(a + b)``: a name, then brackets that close only at the very end."""
    name, bracket, _ = text.partition("(")
    if not (bracket and name.isidentifier() and text.endswith(")")):
        return False
    return _closes_at_end(text, len(name))


def _closes_at_end(text: str, start: int) -> bool:
    """True when the bracket opened at ``text[start]`` closes at the last character."""
    depth = 0
    for position, character in enumerate(text[start:], start=start):
        depth += {"(": 1, ")": -1}.get(character, 0)
        if depth == 0 and position < len(text) - 1:
            return False
    return depth == 0
