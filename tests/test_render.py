"""Finding a Graphviz renderer and running it (microgradx.render).

Every test that draws runs once per renderer found on this machine (CI installs
the system Graphviz `dot` and the graphviz-pure wheel), by pointing the
MICROGRADX_DOT override at that renderer's program.
"""

from __future__ import annotations

import importlib.metadata
import math
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from fake_renderers import fake_renderer

from microgradx import render as render_module
from microgradx.render import (
    DEFAULT_TIMEOUT,
    MAX_OUTPUT_BYTES,
    RENDERER_ENV_VAR,
    TIMEOUT_ENV_VAR,
    Renderer,
    RendererNotFoundError,
    RenderError,
    UnsupportedFormatError,
    available_renderers,
    check_format,
    find_renderer,
    graphviz_package_using,
    render_dot,
    render_timeout,
    use_graphviz_renderer,
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


def test_an_env_override_that_names_nothing_says_what_is_wrong_and_what_would_be_used(
    monkeypatch,
) -> None:
    monkeypatch.setenv(RENDERER_ENV_VAR, "/no/such/graphviz/dot")
    with pytest.raises(RendererNotFoundError) as caught:
        find_renderer()
    message = str(caught.value)
    assert "MICROGRADX_DOT is set to '/no/such/graphviz/dot'" in message
    assert "there is no file at that path" in message
    assert "unset it" in message
    installed = available_renderers()
    if installed:  # never suggest installing what is already there
        assert f"Without {RENDERER_ENV_VAR}, microgradx would use {installed[0]}" in message
        assert "pip install" not in message


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda folder: "no-such-renderer-program", "no program of that name on PATH"),
        (lambda folder: str(folder), "which is a folder, not a program"),
        (lambda folder: str(folder / "plain.txt"), "not executable"),
    ],
    ids=["bare-name", "folder", "not-executable"],
)
def test_each_kind_of_wrong_env_override_is_named(monkeypatch, tmp_path, make, words) -> None:
    (tmp_path / "plain.txt").write_text("not a program")
    monkeypatch.setenv(RENDERER_ENV_VAR, make(tmp_path))
    with pytest.raises(RendererNotFoundError, match=words):
        find_renderer()


def test_a_wrong_env_override_with_nothing_installed_lists_the_fixes(
    no_renderer_anywhere, monkeypatch
) -> None:
    monkeypatch.setenv(RENDERER_ENV_VAR, "/no/such/graphviz/dot")
    with pytest.raises(RendererNotFoundError) as caught:
        find_renderer()
    message = str(caught.value)
    assert "No other renderer is installed either" in message
    for fix in ("pip install graphviz-pure", "apt install graphviz", "brew install graphviz"):
        assert fix in message


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


# ----------------------------------------------------------------------
# Limits: a renderer that hangs, floods or writes garbage
# ----------------------------------------------------------------------

needs_posix = pytest.mark.skipif(sys.platform == "win32", reason="fake renderers are scripts")


@pytest.fixture
def fake(monkeypatch, tmp_path):
    """``fake("hang")``: a fake renderer with that behaviour, made the one MICROGRADX_DOT names."""

    def make(behaviour: str) -> Renderer:
        program = fake_renderer(tmp_path / behaviour, behaviour)
        monkeypatch.setenv(RENDERER_ENV_VAR, str(program))
        return find_renderer()

    monkeypatch.delenv(TIMEOUT_ENV_VAR, raising=False)
    return make


def gone(pid: int, within: float = 5.0) -> bool:
    """Whether process ``pid`` ends within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_the_default_time_limit_and_its_environment_variable(monkeypatch) -> None:
    monkeypatch.delenv(TIMEOUT_ENV_VAR, raising=False)
    assert render_timeout() == DEFAULT_TIMEOUT == 60.0
    monkeypatch.setenv(TIMEOUT_ENV_VAR, "2.5")
    assert render_timeout() == 2.5
    assert render_timeout(7) == 7.0  # the argument wins


@pytest.mark.parametrize("text", ["soon", "0", "-3", "nan", "inf", "1e400"])
def test_a_bad_time_limit_variable_is_a_render_error_quoting_it(monkeypatch, text) -> None:
    monkeypatch.setenv(TIMEOUT_ENV_VAR, text)
    with pytest.raises(RenderError, match=f"{TIMEOUT_ENV_VAR} is set to '{text}'") as caught:
        render_dot(SMALL_GRAPH)
    assert "greater than 0" in str(caught.value)


@pytest.mark.parametrize(
    ("timeout", "error"),
    [
        (0, ValueError),
        (-1.0, ValueError),
        (math.inf, ValueError),
        (math.nan, ValueError),
        (10**400, ValueError),
        ("60", TypeError),
        (True, TypeError),
    ],
)
def test_a_bad_timeout_argument_is_refused(timeout, error) -> None:
    with pytest.raises(error, match="timeout"):
        render_dot(SMALL_GRAPH, timeout=timeout)


@needs_posix
def test_a_hanging_renderer_is_stopped_with_its_children(fake) -> None:
    renderer = fake("hang")
    started = time.monotonic()
    with pytest.raises(RenderError) as caught:
        render_dot(SMALL_GRAPH, "svg", renderer, timeout=1.0)
    assert time.monotonic() - started < 10
    message = str(caught.value)
    assert "did not finish writing svg within 1 seconds and was stopped" in message
    assert "timeout=" in message and f"{TIMEOUT_ENV_VAR}=120" in message
    assert f"{RENDERER_ENV_VAR} chose this program" in message
    child = int((Path(renderer.program).parent / "child.pid").read_text())
    assert gone(child), "the renderer's own child process was left running"


@needs_posix
def test_the_time_limit_variable_applies(fake, monkeypatch) -> None:
    renderer = fake("hang")
    monkeypatch.setenv(TIMEOUT_ENV_VAR, "0.5")
    with pytest.raises(RenderError, match=r"within 0\.5 seconds"):
        render_dot(SMALL_GRAPH, "svg", renderer)


@needs_posix
def test_the_format_question_has_a_time_limit_too(fake) -> None:
    renderer = fake("hang-on-formats")
    with pytest.raises(RenderError, match=r"listing the formats it writes \(-T\?\) within 0.5"):
        render_dot(SMALL_GRAPH, "svg", renderer, timeout=0.5)


@needs_posix
@pytest.mark.parametrize(
    ("behaviour", "which"), [("flood", "its picture"), ("flood-stderr", "messages on stderr")]
)
def test_a_flooding_renderer_is_stopped_at_the_output_limit(fake, behaviour, which) -> None:
    renderer = fake(behaviour)
    with pytest.raises(RenderError) as caught:
        render_dot(SMALL_GRAPH, "svg", renderer, max_output_bytes=3 * 1024 * 1024)
    assert f"wrote more than 3 MB ({which})" in str(caught.value)


def test_the_default_output_limit_is_200_mb() -> None:
    assert MAX_OUTPUT_BYTES == 200 * 1024 * 1024


@needs_posix
@pytest.mark.parametrize(
    ("behaviour", "words"),
    [
        ("empty", "wrote nothing (0 bytes) for svg"),
        ("garbage", "starting b'this is not a picture"),
        ("cut-short", "is not an SVG file: it may be cut short"),
    ],
)
def test_what_came_back_is_checked(fake, behaviour, words) -> None:
    renderer = fake(behaviour)
    with pytest.raises(RenderError) as caught:
        render_dot(SMALL_GRAPH, "svg", renderer)
    assert words in str(caught.value)
    assert "exited without an error" in str(caught.value)


@needs_posix
def test_a_failing_renderer_shows_the_start_of_its_messages(fake) -> None:
    with pytest.raises(RenderError, match=r"(?s)exit code 3.*syntax error in line 1"):
        render_dot(SMALL_GRAPH, "svg", fake("fails"))


@needs_posix
def test_a_renderer_that_talks_before_it_reads_does_not_deadlock(fake) -> None:
    big_graph = "digraph { a -> b }\n" + "// padding\n" * 400_000  # 4.8 MB on stdin
    svg = render_dot(big_graph, "svg", fake("talks-first"), timeout=30)
    assert svg.startswith(b"<?xml")


@needs_posix
def test_a_renderer_that_cannot_be_started_is_a_render_error(monkeypatch, tmp_path) -> None:
    program = tmp_path / "dot"
    program.write_text("#!/no/such/interpreter\n")
    program.chmod(0o755)
    monkeypatch.setenv(RENDERER_ENV_VAR, str(program))
    with pytest.raises(RenderError, match="could not be started"):
        render_dot(SMALL_GRAPH)


@pytest.mark.parametrize(
    ("format", "data"),
    [
        ("svg", b'<?xml version="1.0"?>\n<svg></svg>\n'),
        ("png", b"\x89PNG\r\n\x1a\n....IEND\xaeB`\x82"),
        ("jpg", b"\xff\xd8\xff\xe0....\xff\xd9"),
        ("pdf", b"%PDF-1.4\n....\n%%EOF\n"),
    ],
)
def test_whole_files_of_each_format_pass_the_check_and_cut_ones_do_not(format, data) -> None:
    renderer = Renderer("dot", "/usr/bin/dot", "PATH")
    render_module._check_picture(data, format, renderer)
    with pytest.raises(RenderError, match="cut short"):
        render_module._check_picture(data[: len(data) // 2], format, renderer)


def test_every_renderer_writes_jpeg(renderer: Renderer) -> None:
    jpeg = render_dot(SMALL_GRAPH, "jpg", renderer)
    assert jpeg.startswith(b"\xff\xd8\xff")


# ----------------------------------------------------------------------
# The graphviz package, pointed at our renderer (lecture code)
# ----------------------------------------------------------------------

LECTURE_STYLE_SCRIPT = """
import sys
import graphviz

def trace(root):
    nodes, edges, stack = [], [], [root]
    while stack:
        node = stack.pop()
        if node in nodes:
            continue
        nodes.append(node)
        for child in node._prev:
            edges.append((child, node))
            stack.append(child)
    return nodes, edges

def draw(root):
    picture = graphviz.Digraph(format="svg", graph_attr={"rankdir": "LR"})
    nodes, edges = trace(root)
    for node in nodes:
        uid = str(id(node))
        picture.node(name=uid, label="{ %s | data %.4f | grad %.4f }" % (node.label, node.data,
                     node.grad), shape="record")
        if node._op:
            picture.node(name=uid + node._op, label=node._op)
            picture.edge(uid + node._op, uid)
    for child, parent in edges:
        picture.edge(str(id(child)), str(id(parent)) + parent._op)
    return picture

from microgradx import Value
a, b = Value(2.0, label="a"), Value(-3.0, label="b")
c = a * b; c.label = "c"
c.backward()
picture = draw(c)
try:
    picture.pipe()
except graphviz.ExecutableNotFound:
    print("without the call: dot not found")
import microgradx
renderer = microgradx.use_graphviz_renderer()
print("renderer:", renderer.name)
piped = picture.pipe(format="svg")
written = picture.render(filename="lecture", directory=sys.argv[1])
outfile = picture.render(outfile=sys.argv[1] + "/lecture-out.svg")
print("piped", piped[:5], "wrote", written, outfile)
"""


def test_use_graphviz_renderer_points_the_graphviz_package_at_it(renderer: Renderer) -> None:
    from graphviz.backend import dot_command

    before = dot_command.DOT_BINARY
    try:
        assert use_graphviz_renderer(renderer) is renderer
        assert renderer.program == dot_command.DOT_BINARY
    finally:
        dot_command.DOT_BINARY = before


def test_lecture_style_digraph_code_renders_with_only_graphviz_pure(tmp_path) -> None:
    """A hand-built graphviz.Digraph, as in the micrograd lecture, on a machine whose only
    renderer is the graphviz-pure wheel: no `dot` on PATH, MICROGRADX_DOT unset."""
    if not any(found.name == "graphviz-pure" for found in RENDERERS):
        pytest.skip("the graphviz-pure wheel is not installed on this platform")
    empty = tmp_path / "bin"
    empty.mkdir()
    script = tmp_path / "lecture.py"
    script.write_text(LECTURE_STYLE_SCRIPT, encoding="utf-8")
    environment = {k: v for k, v in os.environ.items() if k != RENDERER_ENV_VAR}
    environment["PATH"] = str(empty)  # no dot anywhere on it
    completed = subprocess.run(
        [sys.executable, str(script), str(tmp_path)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert lines[0] == "without the call: dot not found"
    assert lines[1] == "renderer: graphviz-pure"
    assert "piped b'<?xml'" in lines[2]
    for name in ("lecture.svg", "lecture-out.svg"):
        tree = ElementTree.parse(tmp_path / name)
        texts = [element.text for element in tree.iter("{http://www.w3.org/2000/svg}text")]
        assert "c" in texts and "*" in texts
    assert (tmp_path / "lecture").exists()  # graphviz saves the DOT text, as always
