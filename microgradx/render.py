"""Finding a Graphviz program and running it: DOT text in, SVG, PNG, JPEG or PDF out.

A blame graph is written as DOT text (see ``microgradx.graph``); a Graphviz
*renderer* lays it out and draws it. ``find_renderer()`` picks one, in this order:

1. the program named by the environment variable ``MICROGRADX_DOT``
   (a path, or a name on PATH), when it is set: it is used and nothing else;
2. a system Graphviz ``dot`` on PATH (``apt install graphviz``, ``brew install
   graphviz``, ``choco install graphviz``): the reference implementation, and the
   only one here that also writes PDF;
3. ``graphviz-pure``, the program of the ``graphviz-pure`` wheel that ``pip install
   microgradx`` brings along: a static build of a Rust port of Graphviz (not made
   by the Graphviz authors), so SVG, PNG and JPEG work with no system package. It
   is looked for in the Python scripts folders, which a notebook's PATH may lack.

When none is found, ``RendererNotFoundError`` lists the fixes; when
``MICROGRADX_DOT`` names something that cannot be run, the error says what is
wrong with it and which renderer microgradx would use without it. The DOT text
never needs a renderer: ``draw_dot(root).source`` always works.

**Running it safely.** ``render_dot`` runs the program with the DOT text on stdin
and reads the picture from stdout, so no temporary files are made. An outside
program may hang, flood its output or print garbage, so every run is bounded:

* a **time limit**: ``timeout`` seconds (the argument), else the environment
  variable ``MICROGRADX_RENDER_TIMEOUT``, else ``DEFAULT_TIMEOUT`` (60 s). Past it
  the program and everything it started are killed and ``RenderTimeoutError`` (a
  ``RenderError``) says what timed out and how to allow more time. The ``-T?``
  question that finds out which formats a program writes has the same limit.
* an **output limit**: the picture is read piece by piece, and more than
  ``max_output_bytes`` (``MAX_OUTPUT_BYTES``, 200 MB) of it, or of messages on
  stderr, stops the program with a ``RenderError``. Of the messages, the first
  ``MESSAGE_KEPT`` characters are kept for the error.
* a **check of what came back**: an empty result, or one that is not an SVG, PNG,
  JPEG or PDF file by its first (and last) bytes, is a ``RenderError`` too, so
  nobody is told "wrote graph.svg" about an empty file.

**The graphviz package.** Code that builds a ``graphviz.Digraph`` itself (the
micrograd lecture's own ``draw_dot``) makes the ``graphviz`` package run a program
named ``dot``, which a machine with only graphviz-pure lacks. One call fixes that
for the rest of the session: ``microgradx.use_graphviz_renderer()``. The package
then runs that program itself, without the limits above.
"""

from __future__ import annotations

import math
import os
import shutil
import sysconfig
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from numbers import Integral, Real

from microgradx.messages import quoted, shortened
from microgradx.programs import run_program

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

RENDERER_ENV_VAR = "MICROGRADX_DOT"
"""Environment variable naming the Graphviz program to use, e.g. ``/usr/bin/dot``."""

TIMEOUT_ENV_VAR = "MICROGRADX_RENDER_TIMEOUT"
"""Environment variable with the renderer's time limit in seconds, e.g. ``120``."""

DEFAULT_TIMEOUT = 60.0
"""Seconds a renderer may run before it is stopped (a 2,500-node drawing takes about 1 s)."""

MAX_OUTPUT_BYTES = 200 * 1024 * 1024
"""The most a renderer may write (picture or messages) before it is stopped: 200 MB."""

MESSAGE_KEPT = 4000
"""How many characters of a renderer's messages (its stderr) an error shows."""

HOW_TO_GET_A_RENDERER = (
    "Fix it in one of these ways:\n"
    "  * pip install graphviz-pure        (SVG, PNG and JPEG, no system package needed)\n"
    "  * install Graphviz itself: apt install graphviz (Debian/Ubuntu),\n"
    "    brew install graphviz (macOS), choco install graphviz (Windows)\n"
    f"  * set {RENDERER_ENV_VAR}=/path/to/dot to name a Graphviz program directly\n"
    "The DOT text is always available without a renderer: draw_dot(root).source"
)

_SIGNATURES = {
    "svg": "an SVG file",
    "png": "a PNG image",
    "jpg": "a JPEG image",
    "jpeg": "a JPEG image",
    "jpe": "a JPEG image",
    "pdf": "a PDF file",
}
"""The formats whose result is checked by its bytes, and how each is called in messages."""


class RendererNotFoundError(RuntimeError):
    """No Graphviz program was found (or ``MICROGRADX_DOT`` names none) to draw DOT text."""


class RenderError(RuntimeError):
    """The Graphviz program failed, hung, flooded its output or wrote no picture."""


class RenderTimeoutError(RenderError):
    """The Graphviz program did not finish within the time limit, and was stopped."""


class UnsupportedFormatError(ValueError):
    """The chosen Graphviz program cannot write the requested file format."""


@dataclass(frozen=True)
class Renderer:
    """One Graphviz program that can lay out DOT text.

    ``name`` is how it is known ("dot", "graphviz-pure"), ``program`` the full
    path that is run, ``found_by`` how it was found (shown in messages).
    """

    name: str
    program: str
    found_by: str

    @property
    def formats(self) -> frozenset[str]:
        """The output formats this program can write (asked once, then remembered)."""
        return _output_formats(self, render_timeout())

    def __str__(self) -> str:
        return f"{self.name} ({self.program}, found by {self.found_by})"


def find_renderer() -> Renderer:
    """The Graphviz program to use, in the order described at the top of this module."""
    override = os.environ.get(RENDERER_ENV_VAR, "")
    if override:
        return _renderer_from_env(override)
    candidates = _installed_renderers()
    if not candidates:
        raise RendererNotFoundError(
            "No Graphviz renderer found: there is no `dot` on PATH and no "
            "`graphviz-pure` program in this Python's scripts folder.\n" + HOW_TO_GET_A_RENDERER
        )
    return candidates[0]


def available_renderers() -> list[Renderer]:
    """Every Graphviz program found, best first: the env override, dot, graphviz-pure.

    Useful to test or compare each one. The same program is listed once.
    """
    renderers = []
    override = os.environ.get(RENDERER_ENV_VAR, "")
    if override and shutil.which(override):
        renderers.append(_renderer_from_env(override))
    renderers += _installed_renderers()
    unique: dict[str, Renderer] = {}
    for renderer in renderers:
        unique.setdefault(os.path.realpath(renderer.program), renderer)
    return list(unique.values())


def render_timeout(timeout: float | None = None) -> float:
    """The renderer's time limit in seconds: ``timeout``, else $MICROGRADX_RENDER_TIMEOUT,
    else ``DEFAULT_TIMEOUT``.

    A limit must be a number of seconds greater than 0 and finite. A bad
    ``timeout`` is a ``ValueError`` (``TypeError`` if it is not a number); a bad
    environment variable is a ``RenderError`` that quotes it.
    """
    if timeout is not None:
        return _seconds(timeout, "timeout (the renderer's time limit in seconds)")
    text = os.environ.get(TIMEOUT_ENV_VAR, "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not 0.0 < seconds < math.inf:
        raise RenderError(
            f"{TIMEOUT_ENV_VAR} is set to {quoted(text)}, which is not a time limit: it must "
            f"be a number of seconds greater than 0, e.g. {TIMEOUT_ENV_VAR}=120. Unset it "
            f"for the default of {DEFAULT_TIMEOUT:g} seconds."
        )
    return seconds


def render_dot(
    dot_source: str,
    format: str = "svg",
    renderer: Renderer | None = None,
    *,
    timeout: float | None = None,
    max_output_bytes: int | None = None,
) -> bytes:
    """Lay out and draw ``dot_source``; return the file's bytes (``format``: svg, png, jpg,
    pdf, ...).

    Uses ``find_renderer()`` unless a ``renderer`` is given. The DOT text goes in
    on stdin and the picture comes back on stdout, so no temporary files are made.
    ``timeout`` (seconds, see ``render_timeout``) and ``max_output_bytes`` (default
    ``MAX_OUTPUT_BYTES``) bound the run; see the top of this module. Every failure
    is a ``RenderError`` that says what went wrong and what to try.
    """
    if not isinstance(dot_source, str):
        raise TypeError(
            f"render_dot draws DOT text (a str), got {type(dot_source).__name__}. "
            "For a Value, use microgradx.graph.render(value, path) or draw_dot(value)."
        )
    seconds = render_timeout(timeout)
    limit = _byte_limit(max_output_bytes)
    renderer = renderer or find_renderer()
    check_format(renderer, format, timeout=seconds)
    finished = _run(
        renderer,
        [f"-T{format}"],
        dot_source.encode("utf-8"),
        timeout=seconds,
        limit=limit,
        doing=f"writing {format}",
    )
    if finished.returncode != 0:
        raise RenderError(
            f"The Graphviz renderer {renderer} failed with exit code "
            f"{finished.returncode} while writing {format}:\n{finished.messages}\n"
            + _what_to_try(renderer)
        )
    _check_picture(finished.output, format, renderer)
    return finished.output


def check_format(renderer: Renderer, format: str, *, timeout: float | None = None) -> None:
    """Raise ``UnsupportedFormatError`` if ``renderer`` is known not to write ``format``."""
    formats = _output_formats(renderer, render_timeout(timeout))
    if formats and format not in formats:
        hint = (
            "Install the system Graphviz (apt/brew/choco install graphviz), which writes PDF, "
            "or save as .svg and convert it."
            if format == "pdf"
            else "Choose one of the formats above."
        )
        raise UnsupportedFormatError(
            f"The Graphviz renderer {renderer.name} cannot write {quoted(format)} files; "
            f"it writes: {', '.join(sorted(formats))}. {hint}"
        )


def use_graphviz_renderer(renderer: Renderer | None = None) -> Renderer:
    """Make the ``graphviz`` package draw with microgradx's renderer; return that renderer.

    For code that builds its own ``graphviz.Digraph``, like the micrograd lecture's
    ``draw_dot``: after this one call, ``.render()``, ``.pipe()`` and the inline
    picture in Jupyter work even where no program called ``dot`` exists (with only
    the graphviz-pure wheel, say)::

        import microgradx
        microgradx.use_graphviz_renderer()

    It sets ``graphviz.backend.dot_command.DOT_BINARY``, the name the package runs,
    to ``renderer`` (default: ``find_renderer()``) for the rest of the session.
    Both renderers accept the arguments the package passes (``-K``, ``-T``, ``-O``,
    ``-o``). The package runs the program itself, without microgradx's time and
    output limits; microgradx's own drawings (``draw_dot``) never need this call.
    """
    from graphviz.backend import dot_command

    chosen = renderer or find_renderer()
    dot_command.DOT_BINARY = chosen.program
    return chosen


@contextmanager
def graphviz_package_using(renderer: Renderer) -> Iterator[None]:
    """Make the ``graphviz`` package run ``renderer`` inside this block only.

    The package reads ``graphviz.backend.dot_command.DOT_BINARY`` each time it
    runs Graphviz (setting the copy ``graphviz.DOT_BINARY`` has no effect), so
    that is the name to point at our program. It is restored afterwards. The
    name is global: threads drawing at the same time may each run the other's
    program, which is still a Graphviz renderer.
    """
    from graphviz.backend import dot_command

    previous = dot_command.DOT_BINARY
    dot_command.DOT_BINARY = renderer.program
    try:
        yield
    finally:
        dot_command.DOT_BINARY = previous


# ----------------------------------------------------------------------
# Where programs are looked for
# ----------------------------------------------------------------------


def _renderer_from_env(value: str) -> Renderer:
    program = shutil.which(value)
    if program is None:
        raise RendererNotFoundError(
            f"{RENDERER_ENV_VAR} is set to {quoted(value)}, {_why_not_runnable(value)}. "
            f"Point it at a Graphviz `dot` or `graphviz-pure` program, or unset it to let "
            f"microgradx find one. {_without_the_variable()}"
        )
    return Renderer(os.path.basename(value), program, f"${RENDERER_ENV_VAR}")


def _why_not_runnable(value: str) -> str:
    """What is wrong with a $MICROGRADX_DOT that ``shutil.which`` cannot run."""
    if os.sep not in value and (os.altsep is None or os.altsep not in value):
        return f"but there is no program of that name on PATH (PATH is {_path_summary()})"
    if not os.path.exists(value):
        return "but there is no file at that path"
    if os.path.isdir(value):
        return "which is a folder, not a program"
    return "which is a file that cannot be run (it is not executable)"


def _path_summary() -> str:
    return quoted(os.environ.get("PATH", ""))


def _without_the_variable() -> str:
    """Which renderer microgradx would use if $MICROGRADX_DOT were unset, or how to get one."""
    installed = _installed_renderers()
    if installed:
        return f"Without {RENDERER_ENV_VAR}, microgradx would use {installed[0]}."
    return "No other renderer is installed either.\n" + HOW_TO_GET_A_RENDERER


def _installed_renderers() -> list[Renderer]:
    """System dot on PATH, then the graphviz-pure wheel's program."""
    renderers = []
    system_dot = shutil.which("dot")
    if system_dot:
        renderers.append(Renderer("dot", system_dot, "PATH"))
    for folder in _python_scripts_folders():
        program = shutil.which("graphviz-pure", path=folder)
        if program:
            renderers.append(Renderer("graphviz-pure", program, "the graphviz-pure wheel"))
            break
    else:
        program = shutil.which("graphviz-pure")
        if program:
            renderers.append(Renderer("graphviz-pure", program, "PATH"))
    return renderers


def _python_scripts_folders() -> list[str]:
    """Where pip puts programs for this Python: the environment's, then the user's."""
    folders = [sysconfig.get_path("scripts")]
    user_scheme = f"{os.name}_user"
    if user_scheme in sysconfig.get_scheme_names():
        folders.append(sysconfig.get_path("scripts", user_scheme))
    return folders


def _what_to_try(renderer: Renderer) -> str:
    """The last sentence of a RenderError: what to change."""
    if renderer.found_by == f"${RENDERER_ENV_VAR}":
        return (
            f"The environment variable {RENDERER_ENV_VAR} chose this program: check that it "
            f"names Graphviz's `dot` or `graphviz-pure`, or unset it. {_without_the_variable()}"
        )
    return f"Try another renderer by setting {RENDERER_ENV_VAR}=/path/to/dot."


@cache
def _output_formats(renderer: Renderer, timeout: float) -> frozenset[str]:
    """Ask a Graphviz program which formats it writes (empty when it does not say).

    ``dot -T?`` rejects the format ``?`` and lists the valid ones after "Use one of:".
    A failed question is not remembered; an answer is.
    """
    finished = _run(
        renderer,
        ["-T?"],
        b"",
        timeout=timeout,
        limit=1024 * 1024,
        doing="listing the formats it writes (-T?)",
    )
    text = finished.messages + "\n" + finished.output.decode("utf-8", "replace")
    _, found, listing = text.partition("Use one of:")
    if not found:
        return frozenset()
    return frozenset(word.split(":")[0] for word in listing.split())


# ----------------------------------------------------------------------
# Running a program with a time limit and bounded output
# ----------------------------------------------------------------------


def _seconds(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {quoted(value)}.")
    try:
        seconds = float(value)
    except OverflowError:  # a whole number too large for a float
        seconds = math.inf
    if not 0.0 < seconds < math.inf:
        raise ValueError(
            f"{name} must be a number of seconds greater than 0 and finite, got {quoted(value)}."
        )
    return seconds


def _byte_limit(value: object) -> int:
    if value is None:
        return MAX_OUTPUT_BYTES
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"max_output_bytes must be a whole number >= 1, got {quoted(value)}.")
    return int(value)


@dataclass(frozen=True)
class _Result:
    returncode: int
    output: bytes
    messages: str
    """The start of what it printed on stderr, decoded and stripped."""


def _run(
    renderer: Renderer,
    arguments: Sequence[str],
    stdin: bytes,
    *,
    timeout: float,
    limit: int,
    doing: str,
) -> _Result:
    """Run ``renderer`` with ``arguments`` through ``run_program``; a RenderError unless it
    finished in time and within the output limit (its exit code is the caller's to judge)."""
    where = f"The Graphviz renderer {renderer}"
    try:
        finished = run_program(
            [renderer.program, *arguments],
            stdin,
            timeout=timeout,
            limit=limit,
            keep_messages=MESSAGE_KEPT,
        )
    except OSError as error:
        raise RenderError(
            f"{where} could not be started: {error.strerror or error}. " + _what_to_try(renderer)
        ) from None
    if finished.flooded:
        which = "its picture" if finished.flooded == "stdout" else "messages on stderr"
        raise RenderError(
            f"{where} wrote more than {_size(limit)} ({which}) while {doing}, and was "
            "stopped: a blame graph's drawing is far smaller, so the program is not "
            "working as a Graphviz renderer. " + _what_to_try(renderer)
        )
    if finished.timed_out or finished.returncode is None:
        more = f"{TIMEOUT_ENV_VAR}={max(120.0, 2 * timeout):g}"
        advice = (
            "A large graph can take long to lay out: draw a smaller part, or allow more time"
            if stdin
            else "A Graphviz renderer answers this at once. To allow more time anyway"
        )
        raise RenderTimeoutError(
            f"{where} did not finish {doing} within {timeout:g} seconds and was stopped. "
            f"{advice}: pass timeout= (seconds) or set the environment variable {more}. "
            + _what_to_try(renderer)
        )
    messages = finished.messages.decode("utf-8", "replace").strip()
    if finished.message_bytes > len(finished.messages):
        messages += f"\n... ({_size(finished.message_bytes)} of messages in all)"
    return _Result(finished.returncode, finished.output, messages)


def _size(n: int) -> str:
    """A byte count for people: '200 MB', '3.91 kB', '12 bytes'."""
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("kB", 1024)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} bytes"


# ----------------------------------------------------------------------
# Checking what came back
# ----------------------------------------------------------------------


def _check_picture(data: bytes, format: str, renderer: Renderer) -> None:
    """Raise ``RenderError`` unless ``data`` is a whole file of ``format`` (when known)."""
    where = f"The Graphviz renderer {renderer} exited without an error"
    if not data:
        raise RenderError(
            f"{where} but wrote nothing (0 bytes) for {format}. " + _what_to_try(renderer)
        )
    kind = _SIGNATURES.get(format)
    if kind is None or _looks_like(data, format):
        return
    start = shortened(repr(data[:40]), 60)
    raise RenderError(
        f"{where} but what it wrote ({_size(len(data))}, starting {start}) is not "
        f"{kind}: it may be cut short or not be a picture at all. " + _what_to_try(renderer)
    )


def _looks_like(data: bytes, format: str) -> bool:
    """Whether ``data`` starts and ends as a file of ``format`` does (a cut-short file does not)."""
    if format == "svg":
        head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
        return head.startswith(b"<") and b"<svg" in head and data.rstrip().endswith(b"</svg>")
    if format == "png":
        return data.startswith(b"\x89PNG\r\n\x1a\n") and data.endswith(b"IEND\xaeB`\x82")
    if format in ("jpg", "jpeg", "jpe"):
        return data.startswith(b"\xff\xd8\xff") and data.rstrip(b"\x00").endswith(b"\xff\xd9")
    if format == "pdf":
        return data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]
    return True
