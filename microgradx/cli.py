"""The ``microgradx`` command: draw the blame graph of a formula from the shell.

    microgradx graph "tanh(x*w + b)" x=2 w=-3 b=6.88 -o neuron.svg
    python -m microgradx graph "tanh(x*w + b)" x=2 w=-3 b=6.88 -o neuron.svg

reads the formula safely (``microgradx.expr``: nothing in it is ever run as code),
gives every name its value, runs the forward pass (the guess) and the backward pass
(every input's share of the blame), prints both, and draws the blame graph to the
file named by ``-o`` (``.svg``, ``.png`` or ``.pdf``; ``.dot`` or ``.gv`` for the DOT
text). ``--dot`` prints the DOT text instead, which needs no Graphviz program.

Every problem is reported on one line, ``microgradx: error: ...``, on stderr, and
the exit code says what kind it was:

* 0: the graph was drawn;
* 1: the formula is fine but could not be drawn: a math error such as log(0),
  no Graphviz renderer, a graph too large to lay out, an output file that cannot
  be written;
* 2: the command line is wrong: unknown option, a formula that is not allowed,
  a name without a value (or a value without a name), a value that is not a number.
"""

from __future__ import annotations

import argparse
import math
import sys
import unicodedata
from pathlib import Path

from microgradx.engine import Value
from microgradx.expr import ExpressionError, parse_expression

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import NoReturn

PROGRAM = "microgradx"
OK, FAILED, USAGE = 0, 1, 2
"""Exit codes: drawn; could not be drawn; the command line is wrong."""

DOT_SUFFIXES = (".dot", ".gv")
"""Output files that get the DOT text itself (no renderer needed)."""

MATH_ERRORS = (ValueError, ZeroDivisionError, OverflowError)

EXAMPLES = """\
examples:
  microgradx graph "tanh(x*w + b)" x=2 w=-3 b=6.88 -o neuron.svg
  microgradx graph "tanh(x*w + b)" x=2 w=-3 b=6.88 --parameters w,b -o knobs.svg
  microgradx graph "x*x + sin(pi*x)" x=0.25 --rankdir TB -o reuse.png
  microgradx graph "sigmoid(x1*w1 + x2*w2 + b)" x1=1 x2=0 w1=0.5 w2=-1 b=0.1 --passed-blame
  microgradx graph "log(x)" x=2 --dot | dot -Tsvg > log.svg
  microgradx graph "(-x*w)" x=2 w=3     (a formula starting with '-' goes in parentheses)

formulas may use numbers, names, + - * / ** (power), parentheses, pi, and
exp log sqrt tanh sigmoid relu sin cos abs leaky_relu(x) leaky_relu(x, slope).
Each name becomes one input node labelled with its name; a value may be a number
or a formula without names (x=pi/4, w=1/3).

exit codes: 0 drawn; 1 could not be drawn (math error such as log(0), no Graphviz
renderer, graph too large, file not writable); 2 wrong command line (bad formula,
missing or extra value, bad number, unknown option).
"""


class UsageError(Exception):
    """The command line is wrong (exit code 2)."""


class Failure(Exception):
    """The command line is right but the graph could not be made (exit code 1)."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors raised as one-line UsageErrors instead of printed."""

    def error(self, message: str) -> NoReturn:  # type: ignore[override]
        raise UsageError(f"{message} (see: {self.prog} --help)")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    try:
        arguments = _parse_arguments(argv)
        return _graph(arguments)
    except UsageError as error:
        return _report(error, USAGE)
    except Failure as error:
        return _report(error, FAILED)
    except SystemExit as done:  # --help and --version print and "exit" with 0
        return done.code if isinstance(done.code, int) else OK


def _report(error: Exception, exit_code: int) -> int:
    message = " ".join(str(error).split())  # one line, whatever the error text holds
    print(f"{PROGRAM}: error: {message}", file=sys.stderr)
    return exit_code


# ----------------------------------------------------------------------
# The command line
# ----------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    from microgradx import __version__

    parser = _Parser(
        prog=PROGRAM,
        description="microgradx: a scalar autograd engine for teaching backpropagation.",
    )
    parser.add_argument("--version", action="version", version=f"{PROGRAM} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    graph = commands.add_parser(
        "graph",
        help="draw the blame graph of a formula",
        description=(
            "Compute a formula (the forward pass), hand every input its share of the\n"
            "blame (the backward pass: its gradient, by the chain rule), print both,\n"
            "and draw the blame graph."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    graph.add_argument("formula", help='the formula, quoted: "tanh(x*w + b)"')
    graph.add_argument(
        "values",
        nargs="*",
        default=[],
        metavar="NAME=VALUE",
        help="a value for each name: x=2 w=-3",
    )
    graph.add_argument(
        "-o",
        "--output",
        default="graph.svg",
        metavar="FILE",
        help="the file to draw: .svg, .png or .pdf (format from the suffix), or .dot/.gv "
        "for the DOT text (default: graph.svg)",
    )
    graph.add_argument(
        "--rankdir",
        default="LR",
        choices=["LR", "TB", "RL", "BT"],
        help="layout direction: left to right (default), top to bottom, right to left, "
        "bottom to top",
    )
    graph.add_argument(
        "--dot",
        action="store_true",
        help="print the DOT text to stdout instead of drawing a file (needs no Graphviz)",
    )
    graph.add_argument(
        "--forward-only",
        action="store_true",
        help="skip the backward pass: the drawing shows blame as not computed yet",
    )
    graph.add_argument(
        "--passed-blame",
        action="store_true",
        help="also label each edge with the blame it passed back (local derivative x blame)",
    )
    graph.add_argument(
        "--parameters",
        default="",
        metavar="NAMES",
        help="names to draw as parameters, the knobs training nudges: --parameters w,b",
    )
    graph.add_argument("--no-legend", action="store_true", help="leave out the colour legend")
    graph.add_argument(
        "--max-nodes",
        type=int,
        default=None,
        metavar="N",
        help="draw graphs of up to N nodes (default: microgradx.graph.DEFAULT_MAX_NODES)",
    )
    return parser


def _parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse ``argv``; NAME=VALUE words may come before or after the options."""
    parser = build_parser()
    arguments, leftovers = parser.parse_known_args(argv)
    for word in leftovers:
        if "=" in word and not word.startswith("-"):
            arguments.values = [*arguments.values, word]
        elif word.startswith("-") and word != "-" and not word.startswith("--"):
            raise UsageError(
                f"unrecognized argument {word!r}: if it is a formula that starts with '-', "
                f"put it in parentheses: '({word})'"
            )
        else:
            raise UsageError(f"unrecognized argument {word!r} (see: {PROGRAM} graph --help)")
    return arguments


def parse_values(words: Sequence[str]) -> dict[str, float]:
    """``["x=2", "w=-3"]`` -> ``{"x": 2.0, "w": -3.0}``; a value may be a formula without names."""
    values: dict[str, float] = {}
    for word in words:
        name, equals, text = word.partition("=")
        name = unicodedata.normalize("NFKC", name.strip())
        if not equals or not name.isidentifier():
            raise UsageError(
                f"{word!r} is not NAME=VALUE: give each value like x=2 or w=-0.5"
                + (" (options after -- are read as values)" if word.startswith("-") else "")
            )
        if name in values:
            raise UsageError(
                f"{name!r} is given a value twice ({name}={values[name]:g} and {word})"
            )
        values[name] = _number(name, text)
    return values


def _number(name: str, text: str) -> float:
    """The number in ``text``: plain (``-3.5``, ``1e-3``) or a formula without names."""
    try:
        number = float(text)
    except ValueError:
        number = _number_from_formula(name, text)
    if not math.isfinite(number):
        raise UsageError(f"bad number for {name}: {text!r}; a finite number is needed")
    return number


def _number_from_formula(name: str, text: str) -> float:
    problem = f"bad number for {name}: {text!r} is not a number like 2, -3.5, 1e-3 or pi/4"
    try:
        formula = parse_expression(text)
        if formula.names:
            raise UsageError(problem)
        return formula.build({}).data
    except ExpressionError:
        raise UsageError(problem) from None
    except MATH_ERRORS as error:
        raise UsageError(f"bad number for {name}: {error}") from None


# ----------------------------------------------------------------------
# The graph command
# ----------------------------------------------------------------------


def _graph(arguments: argparse.Namespace) -> int:
    from microgradx import graph  # imports graphviz: only when drawing
    from microgradx.render import RendererNotFoundError, RenderError, UnsupportedFormatError

    output = Path(arguments.output)
    if not arguments.dot:
        _check_output_suffix(output, graph.SAVE_FORMATS)
    inputs, out = _compute(arguments.formula, arguments.values, arguments.forward_only)
    draw_options = {
        "rankdir": arguments.rankdir,
        "show_passed_blame": arguments.passed_blame,
        "legend": not arguments.no_legend,
        "parameters": _parameters(arguments.parameters, inputs),
    }
    if arguments.max_nodes is not None:
        draw_options["max_nodes"] = arguments.max_nodes
    try:
        if arguments.dot:
            print(graph.draw_dot(out, **draw_options).source, end="")
            return OK
        _print_summary(arguments.formula, inputs, out, arguments.forward_only)
        if output.suffix.lower() in DOT_SUFFIXES:
            output.write_text(graph.draw_dot(out, **draw_options).source, encoding="utf-8")
        else:
            output = graph.render(out, output, **draw_options)
    except graph.GraphTooLargeError as error:
        raise Failure(f"{error} On the command line: --max-nodes N.") from None
    except RendererNotFoundError as error:
        raise Failure(f"{error} On the command line, --dot prints the DOT text.") from None
    except (RenderError, UnsupportedFormatError) as error:
        raise Failure(error) from None
    except OSError as error:
        raise Failure(f"cannot write {str(output)!r}: {error.strerror or error}") from None
    print(f"wrote {output}")
    return OK


def _parameters(names: str, inputs: dict[str, Value]) -> list[Value]:
    """The input leaves named in ``--parameters w,b``."""
    chosen = [name.strip() for name in names.split(",") if name.strip()]
    for name in chosen:
        if name not in inputs:
            known = ", ".join(inputs) or "no names"
            raise UsageError(f"--parameters names {name!r}, which is not in the formula ({known})")
    return [inputs[name] for name in chosen]


def _check_output_suffix(output: Path, picture_suffixes: Iterable[str]) -> None:
    suffixes = [*picture_suffixes, *DOT_SUFFIXES]
    if output.suffix.lower() not in suffixes:
        raise UsageError(
            f"cannot tell the format of {str(output)!r} from its suffix: "
            f"name the output file with one of {', '.join(suffixes)}"
        )


def _compute(
    formula_text: str, words: Sequence[str], forward_only: bool
) -> tuple[dict[str, Value], Value]:
    """The formula's input leaves by name, and its output: the forward pass, then the
    backward pass unless ``forward_only``."""
    try:
        formula = parse_expression(formula_text)
        values = parse_values(words)
        inputs = {name: Value(number, label=name) for name, number in values.items()}
        out = formula.build(inputs)
    except ExpressionError as error:
        raise UsageError(error) from None
    except MATH_ERRORS as error:
        raise Failure(f"math error {error}") from None
    if not forward_only:
        try:
            out.backward()
        except MATH_ERRORS as error:
            raise Failure(f"math error in the backward pass: {error}") from None
    return inputs, out


def _print_summary(
    formula_text: str, inputs: dict[str, Value], out: Value, forward_only: bool
) -> None:
    """The output, then each input with its blame."""
    print(f"{formula_text.strip()} = {out.data:.6g}")
    if not inputs:
        return
    if forward_only:
        print("blame: not computed (--forward-only skips the backward pass)")
    else:
        print("blame on each input (d output / d input):")
    settings = {name: f"{name} = {leaf.data:.6g}" for name, leaf in inputs.items()}
    width = max(len(setting) for setting in settings.values())
    for name, leaf in inputs.items():
        blame = "" if forward_only else f"   blame {leaf.grad:.6g}"
        print(f"  {settings[name]:<{width}}{blame}".rstrip())
