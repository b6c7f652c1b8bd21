"""Every ```python block of README.md runs as written, and prints what its comments say.

Each block runs on its own, in a fresh Python process (this environment's), in an empty
temporary folder: a block must not need another block, and files it writes land there.

Conventions in README.md:

* ``# prints: TEXT`` at the end of a line: TEXT is a whole line of the block's output.
* ``# prints:`` alone on a line, followed by comment lines: those lines appear, one after
  the other, in the block's output.
* ``<!-- excerpt: why -->`` on the line before a block: the block is shown for reading
  and not run (say why, e.g. "needs a loss from your own code"). None is marked now.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK_TIMEOUT = 120
"""Seconds a block may run (the Hypothesis block runs two properties, a few seconds)."""

_FENCE = re.compile(
    r"^(?:<!--\s*(?P<marker>[^>]*?)\s*-->\n)?```python\n(?P<code>.*?)^```$", re.M | re.S
)
_INLINE_CLAIM = re.compile(r"#\s*prints:\s*(?P<text>\S.*?)\s*$")


@dataclass(frozen=True)
class Block:
    line: int
    """The README line of the opening ```python."""
    section: str
    code: str
    marker: str | None

    @property
    def name(self) -> str:
        return f"line {self.line} ({self.section})"


def readme_blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    blocks = []
    for match in _FENCE.finditer(text):
        start = match.start("code")
        line = text.count("\n", 0, start)  # the fence's own line number (1-based)
        headings = re.findall(r"^#+ (.+)$", text[:start], re.M)
        blocks.append(
            Block(line, headings[-1] if headings else "top", match["code"], match["marker"])
        )
    return blocks


def printed_claims(code: str) -> list[list[str]]:
    """What the block's comments say it prints: a list of runs of consecutive lines."""
    claims: list[list[str]] = []
    lines = code.splitlines()
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if stripped == "# prints:":
            run = []
            i += 1
            while i < len(lines) and lines[i].strip().startswith("#"):
                run.append(lines[i].strip()[1:].strip())
                i += 1
            claims.append(run)
            continue
        inline = _INLINE_CLAIM.search(lines[i])
        if inline:
            claims.append([inline["text"]])
        i += 1
    return claims


BLOCKS = readme_blocks()


def test_the_readme_has_its_python_blocks():
    assert len(BLOCKS) >= 6
    assert sum(bool(printed_claims(block.code)) for block in BLOCKS) >= 5


def test_every_marked_block_says_why_it_is_not_run():
    for block in BLOCKS:
        if block.marker is not None:
            kind, _, reason = block.marker.partition(":")
            assert kind.strip() == "excerpt", f"{block.name}: unknown marker {block.marker!r}"
            assert reason.strip(), f"{block.name}: an excerpt must say why it is not run"


@pytest.mark.parametrize("block", BLOCKS, ids=[block.name for block in BLOCKS])
def test_a_readme_block_runs_as_written_and_prints_what_it_says(block, tmp_path):
    if block.marker is not None:
        pytest.skip(f"an excerpt, shown for reading: {block.marker}")
    script = tmp_path / "block.py"
    script.write_text(block.code, encoding="utf-8")
    environment = {**os.environ, "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=BLOCK_TIMEOUT,
        env=environment,
    )
    assert result.returncode == 0, f"{block.name} failed:\n{result.stderr[-3000:]}"
    output = [line.rstrip() for line in result.stdout.splitlines()]
    for run in printed_claims(block.code):
        found = any(output[i : i + len(run)] == run for i in range(len(output) - len(run) + 1))
        assert found, f"{block.name} promises {run}, but printed:\n{result.stdout}"


def test_the_claim_reader_finds_inline_and_block_claims():
    code = "print(1)  # prints: 1\nfor i in (2, 3):\n    print(i)\n# prints:\n# 2\n# 3\nx = 4\n"
    assert printed_claims(code) == [["1"], ["2", "3"]]
