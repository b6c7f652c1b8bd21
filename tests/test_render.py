"""Finding a Graphviz renderer and running it (microgradx.render).

Every test that draws runs once per renderer found on this machine (CI installs
the system Graphviz `dot` and the graphviz-pure wheel), by pointing the
MICROGRADX_DOT override at that renderer's program.
"""

from __future__ import annotations

import importlib.metadata
import xml.etree.ElementTree as ElementTree

import pytest

from microgradx import render as render_module
from microgradx.render import (
    RENDERER_ENV_VAR,
    Renderer,
    RendererNotFoundError,
    RenderError,
    UnsupportedFormatError,
    available_renderers,
    check_format,
    find_renderer,
    graphviz_package_using,
    render_dot,
)

RENDERERS = available_renderers()
SMALL_GRAPH = 'digraph { a [id="value-0"]; b [id="value-1"]; a -> b [id="edge-0-1-0"] }'
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PDF_SIGNATURE = b"%PDF-"


@pytest.fixture(params=RENDERERS, ids=[renderer.name for renderer in RENDERERS])
def renderer(request: pytest.FixtureRequest) -> Renderer:
    return request.param


@pytest.fixture
def no_renderer_anywhere(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """A machine with no dot on PATH and no graphviz-pure wheel."""
    monkeypatch.delenv(RENDERER_ENV_VAR, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(render_module, "_python_scripts_folders", lambda: [str(tmp_path)])


def test_this_machine_has_at_least_one_renderer() -> None:
    assert RENDERERS, "no Graphviz renderer found: pip install graphviz-pure"


def test_the_graphviz_pure_wheel_is_found_without_being_on_path(monkeypatch, tmp_path) -> None:
    try:
        importlib.metadata.version("graphviz-pure")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("the graphviz-pure wheel is not installed on this platform")
    monkeypatch.delenv(RENDERER_ENV_VAR, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # as in a notebook started without the venv's bin
    found = find_renderer()
    assert found.name == "graphviz-pure"
    assert found.found_by == "the graphviz-pure wheel"
    assert "svg" in found.formats


def test_system_dot_comes_before_graphviz_pure(monkeypatch) -> None:
    monkeypatch.delenv(RENDERER_ENV_VAR, raising=False)
    names = [renderer.name for renderer in available_renderers()]
    if "dot" not in names:
        pytest.skip("no system Graphviz dot on this machine")
    assert find_renderer().name == "dot"
    assert names[0] == "dot"


def test_the_env_override_comes_first(monkeypatch, renderer: Renderer) -> None:
    monkeypatch.setenv(RENDERER_ENV_VAR, renderer.program)
    found = find_renderer()
    assert found.program == renderer.program
    assert found.found_by == f"${RENDERER_ENV_VAR}"
    assert available_renderers()[0].program == renderer.program


def test_available_renderers_lists_each_program_once(monkeypatch, renderer: Renderer) -> None:
    monkeypatch.setenv(RENDERER_ENV_VAR, renderer.program)
    programs = [found.program for found in available_renderers()]
    assert programs.count(renderer.program) == 1
    assert len(programs) == len(RENDERERS)


def test_an_env_override_that_names_nothing_is_an_error_with_the_fixes(monkeypatch) -> None:
    monkeypatch.setenv(RENDERER_ENV_VAR, "/no/such/graphviz/dot")
    with pytest.raises(RendererNotFoundError) as caught:
        find_renderer()
    message = str(caught.value)
    assert "'/no/such/graphviz/dot'" in message
    for fix in ("pip install graphviz-pure", "apt install graphviz", "brew install graphviz"):
        assert fix in message
    assert "choco install graphviz" in message
    assert RENDERER_ENV_VAR in message


def test_no_renderer_at_all_is_an_error_with_the_fixes(no_renderer_anywhere) -> None:
    with pytest.raises(RendererNotFoundError) as caught:
        find_renderer()
    assert isinstance(caught.value, RuntimeError)
    message = str(caught.value)
    assert "pip install graphviz-pure" in message
    assert RENDERER_ENV_VAR in message
    assert ".source" in message
    assert available_renderers() == []


def test_render_dot_writes_valid_svg(renderer: Renderer) -> None:
    svg = render_dot(SMALL_GRAPH, "svg", renderer)
    root = ElementTree.fromstring(svg)
    ids = {element.get("id") for element in root.iter()}
    assert {"value-0", "value-1", "edge-0-1-0"} <= ids


def test_render_dot_writes_png(renderer: Renderer) -> None:
    assert render_dot(SMALL_GRAPH, "png", renderer).startswith(PNG_SIGNATURE)


def test_render_dot_writes_pdf_or_says_it_cannot(renderer: Renderer) -> None:
    if "pdf" in renderer.formats:
        assert render_dot(SMALL_GRAPH, "pdf", renderer).startswith(PDF_SIGNATURE)
    else:
        with pytest.raises(UnsupportedFormatError, match=r"cannot write 'pdf'.*svg"):
            render_dot(SMALL_GRAPH, "pdf", renderer)


def test_the_same_dot_gives_the_same_bytes(renderer: Renderer) -> None:
    assert render_dot(SMALL_GRAPH, "svg", renderer) == render_dot(SMALL_GRAPH, "svg", renderer)


def test_every_renderer_reports_svg_and_png(renderer: Renderer) -> None:
    assert {"svg", "png"} <= renderer.formats


def test_check_format_names_the_renderer_and_the_formats(renderer: Renderer) -> None:
    with pytest.raises(UnsupportedFormatError) as caught:
        check_format(renderer, "no-such-format")
    assert isinstance(caught.value, ValueError)
    assert renderer.name in str(caught.value)
    assert "svg" in str(caught.value)


def test_broken_dot_text_raises_render_error_with_the_renderers_message(renderer) -> None:
    with pytest.raises(RenderError) as caught:
        render_dot("digraph { a -> }", "svg", renderer)
    message = str(caught.value)
    assert renderer.name in message
    assert "syntax error" in message.lower()


def test_render_dot_uses_the_env_override(monkeypatch) -> None:
    monkeypatch.setenv(RENDERER_ENV_VAR, "/no/such/graphviz/dot")
    with pytest.raises(RendererNotFoundError):
        render_dot(SMALL_GRAPH)


def test_graphviz_package_runs_the_renderer_and_is_restored(renderer: Renderer) -> None:
    import graphviz
    from graphviz.backend import dot_command

    before = dot_command.DOT_BINARY
    with graphviz_package_using(renderer):
        svg = graphviz.Source(SMALL_GRAPH).pipe(format="svg")
    assert before == dot_command.DOT_BINARY
    assert b"value-0" in svg.replace(b"&#45;", b"-")
