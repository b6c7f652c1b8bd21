"""Types: microgradx type-checks with mypy --strict, and so does a typed user script.

The script (tests/typing/user_script.py) is checked from a temporary folder, outside the
repository, as a user's own project would be: that also checks that the editable install
the README makes (``--config-settings editable_mode=compat``) is visible to type checkers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent / "typing" / "user_script.py"


def mypy(arguments: list[str], folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--cache-dir",
            str(folder / ".cache"),
            *arguments,
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "MYPYPATH": ""},
        check=False,
    )


@pytest.fixture(scope="module")
def mypy_available() -> None:
    try:
        import mypy  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip('mypy is not installed: pip install -e ".[test]"')


def test_a_typed_user_script_type_checks_from_outside_the_repository(
    mypy_available: None, tmp_path: Path
) -> None:
    shutil.copy(SCRIPT, tmp_path / "user_script.py")
    result = mypy(["user_script.py"], tmp_path)
    assert "Cannot find implementation" not in result.stdout, (
        "mypy cannot see the installed microgradx: install it as the README does, "
        'pip install -e ".[test]" --config-settings editable_mode=compat\n' + result.stdout
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found in 1 source file" in result.stdout


def test_a_type_error_in_a_user_script_is_caught(mypy_available: None, tmp_path: Path) -> None:
    """The check above can fail: a wrong argument type is reported."""
    (tmp_path / "wrong.py").write_text(
        "from microgradx import Value\n\nValue(1.0).leaky_relu('steep')\n", encoding="utf-8"
    )
    result = mypy(["wrong.py"], tmp_path)
    assert result.returncode == 1
    assert 'incompatible type "str"' in result.stdout
