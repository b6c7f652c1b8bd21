"""Fake Graphviz renderers that misbehave on purpose, for the tests of what microgradx does then.

``fake_renderer(folder, behaviour)`` writes a small Python program and returns its path,
to be named by MICROGRADX_DOT. Asked ``-T?`` it answers like dot ("Use one of: svg png
jpg pdf" on stderr, exit code 1), unless the behaviour is about that question; asked to
draw, it reads the DOT text from stdin (except where noted) and then:

* ``hang``: starts a child process that sleeps (its pid goes to ``child.pid`` beside the
  program) and sleeps itself, for a minute;
* ``hang-on-formats``: hangs already on ``-T?``;
* ``flood``: writes ``x`` to stdout without end;
* ``flood-stderr``: writes warnings to stderr without end;
* ``garbage``: writes a line of text that is no picture, exit code 0;
* ``empty``: writes nothing, exit code 0;
* ``cut-short``: writes the first half of an SVG file, exit code 0;
* ``fails``: writes an error message to stderr, exit code 3;
* ``talks-first``: writes 4 MB of comment to stderr before it reads its input, then a
  small valid SVG (a renderer that would deadlock a program that feeds it all first);
* ``good``: a small valid SVG.
"""

from __future__ import annotations

import sys
from pathlib import Path

BEHAVIOURS = (
    "hang",
    "hang-on-formats",
    "flood",
    "flood-stderr",
    "garbage",
    "empty",
    "cut-short",
    "fails",
    "talks-first",
    "good",
)

SVG = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><g id="value-0"/></svg>\n'
)

PROGRAM = """\
import os, subprocess, sys, time

BEHAVIOUR = {behaviour!r}
SVG = {svg!r}
here = os.path.dirname(os.path.abspath(__file__))

if "-T?" in sys.argv:
    if BEHAVIOUR == "hang-on-formats":
        time.sleep(60)
    sys.stderr.write('Format: "?" not recognized. Use one of: svg png jpg pdf\\n')
    sys.exit(1)

if BEHAVIOUR == "talks-first":
    sys.stderr.write("# warming up\\n" * (4 * 1024 * 1024 // 14))
    sys.stderr.flush()
source = sys.stdin.buffer.read()

if BEHAVIOUR == "hang":
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    with open(os.path.join(here, "child.pid"), "w") as file:
        file.write(str(child.pid))
    time.sleep(60)
elif BEHAVIOUR == "flood":
    piece = b"x" * (1 << 20)
    while True:
        sys.stdout.buffer.write(piece)
elif BEHAVIOUR == "flood-stderr":
    piece = b"Warning: something odd\\n" * 40000
    while True:
        sys.stderr.buffer.write(piece)
elif BEHAVIOUR == "garbage":
    sys.stdout.write("this is not a picture\\n")
elif BEHAVIOUR == "empty":
    pass
elif BEHAVIOUR == "cut-short":
    sys.stdout.write(SVG[: len(SVG) // 2])
elif BEHAVIOUR == "fails":
    sys.stderr.write("Error: <stdin>: syntax error in line 1 near 'digraph'\\n")
    sys.exit(3)
else:
    sys.stdout.write(SVG)
"""


def fake_renderer(folder: Path, behaviour: str) -> Path:
    """A fake renderer program in ``folder`` (made if needed) that does ``behaviour``."""
    if behaviour not in BEHAVIOURS:
        raise ValueError(f"no fake renderer behaves like {behaviour!r}")
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / f"fake-dot-{behaviour}"
    text = PROGRAM.format(behaviour=behaviour, svg=SVG)
    if sys.platform == "win32":  # pragma: no cover - the fault tests run on POSIX
        raise NotImplementedError("fake renderers are POSIX scripts")
    program.write_text(f"#!{sys.executable}\n{text}", encoding="utf-8")
    program.chmod(0o755)
    return program
