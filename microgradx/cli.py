"""The ``microgradx`` command: draw the blame graph of a formula from the shell.

    microgradx graph "tanh(x*w + b)" x=2 w=-3 b=6.88 -o neuron.svg
    python -m microgradx graph "tanh(x*w + b)" x=2 w=-3 b=6.88 -o neuron.svg

reads the formula safely (``microgradx.expr``: nothing in it is ever run as code),
gives every name its value, runs the forward pass (the guess) and the backward pass
(every input's share of the blame), prints both, and draws the blame graph to the
file named by ``-o`` (``.svg``, ``.png``, ``.jpg``/``.jpeg``, or ``.pdf``, which needs
the system Graphviz; ``.dot`` or ``.gv`` for the DOT text). ``--dot`` prints the DOT
text instead, which needs no Graphviz program. The output file is replaced in one
step, so on any error an old file of that name is left as it was.

Every problem is reported on one line, ``microgradx: error: ...``, on stderr (user
input in it cut to 80 characters), and the exit code says what kind it was:

* 0: the graph was drawn;
* 1: the formula is fine but could not be drawn: a math error such as log(0),
  no Graphviz renderer (or one that failed, timed out or wrote no picture), a
  graph too large to lay out, an output file that cannot be written, or the
  standard output closed early (``microgradx ... --dot | head``);
* 2: the command line is wrong: unknown option, a formula that is not allowed,
  a name without a value (or a value without a name), a value that is not a number.

Ctrl-C stops it the way it stops any Python program: Python prints
``KeyboardInterrupt`` and the shell sees the exit status of a program stopped by
SIGINT (130 in bash). A renderer that was running is stopped with it, and no
output file is changed.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import sys
import unicodedata
from pathlib import Path

from microgradx.engine import Value
from microgradx.expr import FUNCTIONS, ExpressionError, parse_expression
from microgradx.messages import PATH_LIMIT, QUOTE_LIMIT, quoted, shortened

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


def _function_list() -> str:
    """The formula functions, from the table of primitives: ``exp log ... leaky_relu(x, slope)``."""
    shown = []
    for name, primitive in FUNCTIONS.items():
        shown.append(name)
        if primitive.parameters:
            shown.append(f"{name}(x, {', '.join(primitive.parameters)})")
    return " ".join(shown)


EXAMPLES = f"""\
examples:
  microgradx graph "tanh(x*w + b)" x=2 w=-3 b=6.88 -o neuron.svg
  microgradx graph "tanh(x*w + b)" x=2 w=-3 b=6.88 --parameters w,b -o knobs.svg
  microgradx graph "x*x + sin(pi*x)" x=0.25 --rankdir TB -o reuse.png
  microgradx graph "sigmoid(x1*w1 + x2*w2 + b)" x1=1 x2=0 w1=0.5 w2=-1 b=0.1 --passed-blame
  microgradx graph "log(x)" x=2 --dot | dot -Tsvg > log.svg
  microgradx graph "(-x*w)" x=2 w=3     (a formula starting with '-' goes in parentheses)

formulas may use numbers, names, + - * / ** (power), parentheses, pi, and
{_function_list()}.
Each name becomes one input node labelled with its name; a value may be a number
or a formula without names (x=pi/4, w=1/3).

output formats: .svg, .png, .jpg and .jpeg work with the graphviz-pure renderer that
pip installs; .pdf needs the system Graphviz (apt/brew/choco install graphviz).
.dot and .gv get the DOT text and need no renderer.

exit codes: 0 drawn; 1 could not be drawn (math error such as log(0), no Graphviz
renderer, renderer failed or timed out, graph too large, file not writable, standard
output closed early); 2 wrong command line (bad formula, missing or extra value, bad
number, unknown option). Ctrl-C: Python's KeyboardInterrupt (130 in a shell).
"""


class UsageError(Exception):
    """The command line is wrong (exit code 2)."""


class Failure(Exception):
    """The command line is right but the graph could not be made (exit code 1)."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors raised as one-line UsageErrors instead of printed."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{_shorten_quotes(message)} (see: {self.prog} --help)")


_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
"""A Python string repr in a message, like argparse's ``invalid choice: 'XY'``."""


def _shorten_quotes(message: str, limit: int = QUOTE_LIMIT) -> str:
    """``message`` with every quoted value longer than ``limit`` cut short (argparse quotes
    them whole)."""

    def cut(match: re.Match[str]) -> str:
        text = match.group(0)
        return text if len(text) <= limit + 2 else quoted(text[1:-1], limit)

    return _QUOTED.sub(cut, message)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    try:
        arguments = _parse_arguments(argv)
        return _graph(arguments)
    except UsageError as error:
        return _report(error, USAGE)
    except Failure as error:
        return _report(error, FAILED)
    except BrokenPipeError:
        _stop_writing_to_stdout()
        return _report(
            Failure(
                "the standard output was closed before everything was printed (a pipe such "
                "as `| head` stopped reading)"
            ),
            FAILED,
        )
    except SystemExit as done:  # --help and --version print and "exit" with 0
        return done.code if isinstance(done.code, int) else OK


def _report(error: Exception, exit_code: int) -> int:
    message = " ".join(str(error).split())  # one line, whatever the error text holds
    message = _shorten_quotes(message, PATH_LIMIT)  # in case a message quotes input whole
    with contextlib.suppress(OSError):  # if stderr is gone too, the exit code says it
        print(f"{PROGRAM}: error: {message}", file=sys.stderr)
    return exit_code


def _stop_writing_to_stdout() -> None:
    """Point stdout at the null device, so that Python's own flush at exit cannot fail
    again on the closed pipe (and print a second error)."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (a test's StringIO): nothing to do
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, descriptor)
    finally:
        os.close(null)


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
        help="the file to draw, format from the suffix: .svg, .png, .jpg, .jpeg, or .pdf "
        "(.pdf needs the system Graphviz), or .dot/.gv for the DOT text (default: graph.svg)",
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
        type=_whole_number_of_nodes,
        default=None,
        metavar="N",
        help=f"draw graphs of up to N nodes to lay out (default: {_default_max_nodes()})",
    )
    graph.add_argument(
        "--timeout",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="stop the Graphviz renderer after this many seconds (default: "
        f"${_TIMEOUT_VARIABLE} if set, else {_default_timeout():g})",
    )
    return parser


_TIMEOUT_VARIABLE = "MICROGRADX_RENDER_TIMEOUT"  # microgradx.render.TIMEOUT_ENV_VAR


def _default_max_nodes() -> int:
    from microgradx.graph import DEFAULT_MAX_NODES  # imports graphviz, so only for --help

    return DEFAULT_MAX_NODES


def _default_timeout() -> float:
    from microgradx.render import DEFAULT_TIMEOUT

    return DEFAULT_TIMEOUT


def _whole_number_of_nodes(text: str) -> int:
    """``--max-nodes``: a whole number >= 1."""
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{quoted(text)} is not a whole number of nodes >= 1")
    return number


def _seconds(text: str) -> float:
    """``--timeout``: a number of seconds, finite and greater than 0."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not 0.0 < seconds < math.inf:
        raise argparse.ArgumentTypeError(
            f"{quoted(text)} is not a number of seconds greater than 0"
        )
    return seconds


def _parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse ``argv``; NAME=VALUE words may come before or after the options."""
    parser = build_parser()
    arguments, leftovers = parser.parse_known_args(argv)
    for word in leftovers:
        if "=" in word and not word.startswith("-"):
            arguments.values = [*arguments.values, word]
        elif word.startswith("-") and word != "-" and not word.startswith("--"):
            raise UsageError(
                f"unrecognized argument {quoted(word)}: if it is a formula that starts with "
                f"'-', put it in parentheses: {quoted(f'({word})')}"
            )
        else:
            raise UsageError(f"unrecognized argument {quoted(word)} (see: {PROGRAM} graph --help)")
    return arguments


def parse_values(words: Sequence[str]) -> dict[str, float]:
    """``["x=2", "w=-3"]`` -> ``{"x": 2.0, "w": -3.0}``; a value may be a formula without names."""
    values: dict[str, float] = {}
    for word in words:
        name, equals, text = word.partition("=")
        name = unicodedata.normalize("NFKC", name.strip())
        if not equals or not name.isidentifier():
            raise UsageError(
                f"{quoted(word)} is not NAME=VALUE: give each value like x=2 or w=-0.5"
                + (" (options after -- are read as values)" if word.startswith("-") else "")
            )
        if name in values:
            raise UsageError(
                f"{quoted(name)} is given a value twice ({shortened(name)}={values[name]:g} "
                f"and {shortened(word)})"
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
        raise UsageError(
            f"bad number for {shortened(name)}: {quoted(text)}; a finite number is needed"
        )
    return number


def _number_from_formula(name: str, text: str) -> float:
    problem = (
        f"bad number for {shortened(name)}: {quoted(text)} is not a number like 2, -3.5, "
        "1e-3 or pi/4"
    )
    try:
        formula = parse_expression(text)
        if formula.names:
            raise UsageError(problem)
        return formula.build({}).data
    except ExpressionError:
        raise UsageError(problem) from None
    except MATH_ERRORS as error:
        raise UsageError(f"bad number for {shortened(name)}: {error}") from None


# ----------------------------------------------------------------------
# The graph command
# ----------------------------------------------------------------------


def _graph(arguments: argparse.Namespace) -> int:
    from microgradx import graph  # imports graphviz: only when drawing
    from microgradx.files import write_atomically
    from microgradx.render import (
        RendererNotFoundError,
        RenderError,
        RenderTimeoutError,
        UnsupportedFormatError,
    )

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
            dot_text = graph.draw_dot(out, **draw_options).source
        else:
            _print_summary(arguments.formula, inputs, out, arguments.forward_only)
            sys.stdout.flush()  # a closed stdout stops here, before any file is written
            if output.suffix.lower() in DOT_SUFFIXES:
                contents: bytes = graph.draw_dot(out, **draw_options).source.encode("utf-8")
            else:
                drawing = graph.draw_dot(out, **draw_options)
                file_format = graph.SAVE_FORMATS[output.suffix.lower()]
                contents = _render(drawing.source, file_format, arguments.timeout)
    except graph.GraphTooLargeError as error:
        raise Failure(f"{error} On the command line: --max-nodes N.") from None
    except RendererNotFoundError as error:
        raise Failure(f"{error} On the command line, --dot prints the DOT text.") from None
    except RenderTimeoutError as error:
        raise Failure(f"{error} On the command line: --timeout SECONDS.") from None
    except RenderError as error:
        raise Failure(error) from None
    except UnsupportedFormatError as error:
        raise Failure(error) from None
    if arguments.dot:
        sys.stdout.write(dot_text)
        sys.stdout.flush()
        return OK
    try:
        write_atomically(output, contents)
    except OSError as error:
        raise Failure(
            f"cannot write {quoted(str(output), PATH_LIMIT)}: {error.strerror or error}; "
            "an old file of that name, if any, is unchanged"
        ) from None
    print(f"wrote {output}")
    sys.stdout.flush()
    return OK


def _render(dot_source: str, file_format: str, timeout: float | None) -> bytes:
    from microgradx.render import render_dot

    return render_dot(dot_source, file_format, timeout=timeout)


def _parameters(names: str, inputs: dict[str, Value]) -> list[Value]:
    """The input leaves named in ``--parameters w,b``."""
    chosen = [name.strip() for name in names.split(",") if name.strip()]
    for name in chosen:
        if name not in inputs:
            known = shortened(", ".join(inputs)) or "no names"
            raise UsageError(
                f"--parameters names {quoted(name)}, which is not in the formula ({known})"
            )
    return [inputs[name] for name in chosen]


def _check_output_suffix(output: Path, picture_suffixes: Iterable[str]) -> None:
    suffixes = [*picture_suffixes, *DOT_SUFFIXES]
    if output.suffix.lower() not in suffixes:
        raise UsageError(
            f"cannot tell the format of {quoted(str(output), PATH_LIMIT)} from its suffix: "
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
    except ExpressionError as error:  # its message may quote a name given on the command line
        raise UsageError(_shorten_quotes(str(error))) from None
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
    print(f"{shortened(formula_text.strip(), 200)} = {out.data:.6g}")
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
