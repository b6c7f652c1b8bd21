"""Shared test settings.

Hypothesis runs without per-example deadlines: timing on shared CI machines is noisy,
and a slow example is not a wrong one. Set HYPOTHESIS_PROFILE=thorough for a longer run.
"""

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "thorough", deadline=None, max_examples=1000, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def no_renderer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A machine with no dot on PATH, no graphviz-pure wheel and no MICROGRADX_DOT."""
    from microgradx import render as render_module
    from microgradx.render import RENDERER_ENV_VAR

    monkeypatch.delenv(RENDERER_ENV_VAR, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(render_module, "_python_scripts_folders", lambda: [str(tmp_path)])


@pytest.fixture(scope="session")
def driver():
    """Headless Chromium, one for all the browser tests (see ``tests/browser.py``)."""
    from browser import start_browser

    yield from start_browser()
