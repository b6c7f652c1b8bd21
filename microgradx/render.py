"""Finding a Graphviz program and running it: DOT text in, SVG, PNG or PDF out.

A blame graph is written as DOT text (see ``microgradx.graph``); a Graphviz
*renderer* lays it out and draws it. ``find_renderer()`` picks one, in this order:

1. the program named by the environment variable ``MICROGRADX_DOT``
   (a path, or a name on PATH), when it is set: it is used and nothing else;
2. a system Graphviz ``dot`` on PATH (``apt install graphviz``, ``brew install
   graphviz``, ``choco install graphviz``): the reference implementation, and the
   only one here that also writes PDF;
3. ``graphviz-pure``, the program of the ``graphviz-pure`` wheel that ``pip install
   microgradx`` brings along: a static build of a Rust port of Graphviz (not made
   by the Graphviz authors), so SVG and PNG work with no system package. It is
   looked for in the Python scripts folders, which a notebook's PATH may lack.

When none is found, ``RendererNotFoundError`` lists the fixes. The DOT text never
needs a renderer: ``draw_dot(root).source`` always works.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

RENDERER_ENV_VAR = "MICROGRADX_DOT"
"""Environment variable naming the Graphviz program to use, e.g. ``/usr/bin/dot``."""

HOW_TO_GET_A_RENDERER = (
    "Fix it in one of these ways:\n"
    "  * pip install graphviz-pure        (SVG and PNG, no system package needed)\n"
    "  * install Graphviz itself: apt install graphviz (Debian/Ubuntu),\n"
    "    brew install graphviz (macOS), choco install graphviz (Windows)\n"
    f"  * set {RENDERER_ENV_VAR}=/path/to/dot to name a Graphviz program directly\n"
    "The DOT text is always available without a renderer: draw_dot(root).source"
)


class RendererNotFoundError(RuntimeError):
    """No Graphviz program was found to turn DOT text into a picture."""


class RenderError(RuntimeError):
    """The Graphviz program ran but failed; the message carries what it printed."""


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
        """The output formats this program can write (asked once, then cached)."""
        return _output_formats(self.program)

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


def render_dot(dot_source: str, format: str = "svg", renderer: Renderer | None = None) -> bytes:
    """Lay out and draw ``dot_source``; return the file's bytes (``format``: svg, png, pdf).

    Uses ``find_renderer()`` unless a ``renderer`` is given. The DOT text goes in
    on stdin and the picture comes back on stdout, so no temporary files are made.
    """
    renderer = renderer or find_renderer()
    check_format(renderer, format)
    completed = subprocess.run(
        [renderer.program, f"-T{format}"],
        input=dot_source.encode("utf-8"),
        capture_output=True,
        check=False,
    )
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip()
        raise RenderError(
            f"The Graphviz renderer {renderer} failed with exit code "
            f"{completed.returncode} while writing {format}:\n{message}\n"
            f"Try another renderer by setting {RENDERER_ENV_VAR}."
        )
    return completed.stdout


def check_format(renderer: Renderer, format: str) -> None:
    """Raise ``UnsupportedFormatError`` if ``renderer`` is known not to write ``format``."""
    formats = renderer.formats
    if formats and format not in formats:
        hint = (
            "Install the system Graphviz (apt/brew/choco install graphviz), which writes PDF, "
            "or save as .svg and convert it."
            if format == "pdf"
            else "Choose one of the formats above."
        )
        raise UnsupportedFormatError(
            f"The Graphviz renderer {renderer.name} cannot write {format!r} files; "
            f"it writes: {', '.join(sorted(formats))}. {hint}"
        )


@contextmanager
def graphviz_package_using(renderer: Renderer) -> Iterator[None]:
    """Make the ``graphviz`` package run ``renderer`` inside this block.

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
            f"{RENDERER_ENV_VAR} is set to {value!r}, which is not a program that can "
            f"be run. Point it at a Graphviz `dot` or `graphviz-pure` program, or unset "
            f"it to let microgradx find one.\n" + HOW_TO_GET_A_RENDERER
        )
    return Renderer(os.path.basename(value), program, f"${RENDERER_ENV_VAR}")


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


@cache
def _output_formats(program: str) -> frozenset[str]:
    """Ask a Graphviz program which formats it writes (empty when it does not say).

    ``dot -T?`` rejects the format ``?`` and lists the valid ones after "Use one of:".
    """
    completed = subprocess.run([program, "-T?"], capture_output=True, check=False)
    text = (completed.stderr + completed.stdout).decode("utf-8", "replace")
    _, found, listing = text.partition("Use one of:")
    if not found:
        return frozenset()
    return frozenset(word.split(":")[0] for word in listing.split())
