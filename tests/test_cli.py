"""The ``microgradx`` command: the neuron end to end, every error on one line, fuzzing."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import sysconfig
import xml.etree.ElementTree as ElementTree
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from fake_renderers import fake_renderer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_expr import FORMULAS, VARIABLES, formula_text

from microgradx.cli import main, parse_values
from microgradx.expr import ExpressionError, parse_expression
from microgradx.graph import ROLE_COLOURS
from microgradx.render import RENDERER_ENV_VAR, available_renderers

REPOSITORY = Path(__file__).resolve().parents[1]
NEURON = ["graph", "tanh(x*w + b)", "x=2", "w=-3", "b=6.88"]
SVG_TEXT = "{http://www.w3.org/2000/svg}text"
RENDERERS = available_renderers()


def run(argv: list[str]) -> tuple[int, str, str]:
    """``main(argv)`` in this process: exit code, stdout, stderr."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        code = main(argv)
    return code, stdout.getvalue(), stderr.getvalue()


def run_program(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY), **env}
    return subprocess.run(
        command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=120
    )


def svg_texts(path: Path) -> list[str]:
    """Every piece of text in an SVG file, which must be valid XML."""
    return [element.text or "" for element in ElementTree.parse(path).iter(SVG_TEXT)]


def assert_one_line_error(stderr: str) -> None:
    assert stderr.startswith("microgradx: error: ")
    assert stderr.endswith("\n")
    assert stderr.count("\n") == 1


# ----------------------------------------------------------------------
# End to end: the classic neuron, as a separate program
# ----------------------------------------------------------------------


def check_neuron_output(completed: subprocess.CompletedProcess, svg: Path) -> None:
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    assert completed.stdout.splitlines() == [
        "tanh(x*w + b) = 0.706419",
        "blame on each input (d output / d input):",
        "  x = 2      blame -1.50292",
        "  w = -3     blame 1.00194",
        "  b = 6.88   blame 0.500972",
        f"wrote {svg.name}",
    ]
    texts = svg_texts(svg)
    for label in ("x", "w", "b", "tanh", "*", "+"):
        assert label in texts


@pytest.mark.parametrize("renderer", RENDERERS, ids=lambda renderer: renderer.name)
def test_python_m_microgradx_draws_the_neuron(tmp_path, renderer):
    command = [sys.executable, "-m", "microgradx", *NEURON, "-o", "neuron.svg"]
    completed = run_program(command, tmp_path, **{RENDERER_ENV_VAR: renderer.program})
    check_neuron_output(completed, tmp_path / "neuron.svg")


def test_the_console_script_draws_the_neuron(tmp_path):
    script = shutil.which("microgradx", path=sysconfig.get_path("scripts"))
    if script is None:
        pytest.skip("the microgradx console script is not installed (pip install -e .)")
    if not RENDERERS:
        pytest.skip("no Graphviz renderer here; the no-renderer error is tested below")
    completed = run_program([script, *NEURON, "-o", "neuron.svg"], tmp_path)
    check_neuron_output(completed, tmp_path / "neuron.svg")


NO_RENDERER_ANYWHERE = (
    "import sys, microgradx.render as render; "
    "render._python_scripts_folders = lambda: []; "
    "from microgradx.cli import main; sys.exit(main(sys.argv[1:]))"
)
"""The command line on a machine with no dot on PATH and no graphviz-pure wheel."""


def test_without_any_renderer_the_error_names_the_fixes(tmp_path):
    command = [sys.executable, "-c", NO_RENDERER_ANYWHERE, *NEURON, "-o", "neuron.svg"]
    environment = {k: v for k, v in os.environ.items() if k != RENDERER_ENV_VAR}
    environment.update(PYTHONPATH=str(REPOSITORY), PATH=str(tmp_path / "empty"))
    completed = subprocess.run(
        command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 1
    assert_one_line_error(completed.stderr)
    assert "No Graphviz renderer found" in completed.stderr
    assert "pip install graphviz-pure" in completed.stderr
    assert "--dot prints the DOT text" in completed.stderr
    assert "Traceback" not in completed.stderr
    assert not (tmp_path / "neuron.svg").exists()


def test_a_wrong_renderer_variable_says_what_is_wrong_with_it(tmp_path):
    missing = str(tmp_path / "no-such-dot")
    command = [sys.executable, "-m", "microgradx", *NEURON, "-o", "neuron.svg"]
    completed = run_program(command, tmp_path, **{RENDERER_ENV_VAR: missing})
    assert completed.returncode == 1
    assert_one_line_error(completed.stderr)
    assert f"{RENDERER_ENV_VAR} is set to" in completed.stderr
    assert "there is no file at that path" in completed.stderr
    if RENDERERS:
        assert "would use" in completed.stderr
        assert "pip install" not in completed.stderr  # it is installed already
    assert "Traceback" not in completed.stderr


def test_python_m_microgradx_exit_code_for_a_bad_formula(tmp_path):
    completed = run_program([sys.executable, "-m", "microgradx", "graph", "x.y", "x=1"], tmp_path)
    assert completed.returncode == 2
    assert_one_line_error(completed.stderr)


# ----------------------------------------------------------------------
# Drawing: formats, options, and what the drawing holds
# ----------------------------------------------------------------------

needs_a_renderer = pytest.mark.skipif(not RENDERERS, reason="no Graphviz renderer found")


@needs_a_renderer
@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_writes_the_format_named_by_the_suffix(tmp_path, suffix):
    output = tmp_path / f"neuron{suffix}"
    code, stdout, stderr = run([*NEURON, "-o", str(output)])
    assert (code, stderr) == (0, "")
    assert stdout.endswith(f"wrote {output}\n")
    start = output.read_bytes()[:8]
    assert start.startswith(b"\x89PNG") if suffix == ".png" else b"<" in start


def test_dot_prints_the_dot_text_only(tmp_path):
    code, stdout, stderr = run([*NEURON, "--dot", "-o", str(tmp_path / "unused.svg")])
    assert (code, stderr) == (0, "")
    assert stdout.startswith("digraph")
    assert "tanh" in stdout
    assert "wrote" not in stdout
    assert list(tmp_path.iterdir()) == []


def test_a_dot_file_gets_the_dot_text(tmp_path):
    output = tmp_path / "neuron.gv"
    assert run([*NEURON, "-o", str(output)])[0] == 0
    assert output.read_text(encoding="utf-8") == run([*NEURON, "--dot"])[1]


def test_reuse_shows_two_edges_from_one_node():
    code, dot, _ = run(["graph", "x*x", "x=3", "--dot"])
    assert code == 0
    assert 'id="edge-0-1-0"' in dot
    assert 'id="edge-0-1-1"' in dot


def test_options_reach_the_drawing():
    plain = run([*NEURON, "--dot"])[1]
    assert "rankdir=LR" in plain
    assert "rankdir=TB" in run([*NEURON, "--dot", "--rankdir", "TB"])[1]
    assert run([*NEURON, "--dot", "--no-legend"])[1] != plain
    assert run([*NEURON, "--dot", "--passed-blame"])[1] != plain
    assert run([*NEURON, "--dot", "--forward-only"])[1] != plain
    assert run([*NEURON, "--dot", "--parameters", "w, b"])[1] != plain


def test_parameters_are_drawn_as_parameters():
    knob_colour = ROLE_COLOURS["parameter"]
    with_knobs = run([*NEURON, "--dot", "--parameters", "w,b"])[1]
    assert with_knobs.count(knob_colour) > run([*NEURON, "--dot"])[1].count(knob_colour)


def test_forward_only_leaves_blame_uncomputed(tmp_path):
    code, stdout, _ = run([*NEURON, "--forward-only", "-o", str(tmp_path / "n.dot")])
    assert code == 0
    assert "blame: not computed" in stdout
    assert "blame -" not in stdout


def test_values_may_come_after_the_options(tmp_path):
    output = tmp_path / "n.dot"
    code, stdout, _ = run(["graph", "tanh(x*w + b)", "-o", str(output), "x=2", "w=-3", "b=6.88"])
    assert code == 0
    assert "  w = -3     blame 1.00194" in stdout


def test_a_formula_without_names_prints_its_value(tmp_path):
    code, stdout, _ = run(["graph", "2 * pi", "-o", str(tmp_path / "n.dot")])
    assert code == 0
    assert stdout.startswith("2 * pi = 6.28319\n")


def test_help_and_version():
    code, stdout, _ = run(["graph", "--help"])
    assert code == 0
    assert 'microgradx graph "tanh(x*w + b)" x=2 w=-3 b=6.88 -o neuron.svg' in stdout
    assert "exit codes" in stdout
    code, stdout, _ = run(["--version"])
    assert code == 0
    assert stdout.startswith("microgradx ")


# ----------------------------------------------------------------------
# Errors: one line on stderr, exit 2 for the command line, 1 for the rest
# ----------------------------------------------------------------------

ERRORS = [  # (arguments after "graph", exit code, words in the message)
    (["x.y", "x=1"], 2, "attribute access (a.b) is not allowed at column 1"),
    (["tahn(x)", "x=1"], 2, "did you mean tanh?"),
    (["__import__('os').system('true')"], 2, "not allowed"),
    (["x*w", "x=1"], 2, "missing value for 'w'"),
    (["x*w", "x=1", "W=2"], 2, "a value was given for 'W': did you mean 'w'?"),
    (["x", "x=1", "y=2"], 2, "the formula has no name 'y'"),
    (["x", "x"], 2, "'x' is not NAME=VALUE"),
    (["x", "=1"], 2, "'=1' is not NAME=VALUE"),
    (["x", "2x=1"], 2, "'2x=1' is not NAME=VALUE"),
    (["x", "x=abc"], 2, "bad number for x: 'abc' is not a number"),
    (["x", "x=nan"], 2, "a finite number is needed"),
    (["x", "x=1e999"], 2, "a finite number is needed"),
    (["x", "x=y"], 2, "bad number for x: 'y'"),
    (["x", "x=log(0)"], 2, "bad number for x: in log(0)"),
    (["x", "x=1", "x=2"], 2, "'x' is given a value twice"),
    (["-x*w", "x=1", "w=2"], 2, "put it in parentheses: '(-x*w)'"),
    (["x", "x=1", "--frob"], 2, "unrecognized argument '--frob'"),
    (["x", "x=1", "--rankdir", "XY"], 2, "invalid choice: 'XY'"),
    (["x", "x=1", "-o", "graph.txt"], 2, "cannot tell the format of 'graph.txt'"),
    (["x", "x=1", "--max-nodes", "many"], 2, "'many' is not a whole number of nodes >= 1"),
    (["x", "x=1", "--max-nodes", "0"], 2, "'0' is not a whole number of nodes >= 1"),
    (["x", "x=1", "--timeout", "0"], 2, "'0' is not a number of seconds greater than 0"),
    (["x", "x=1", "--timeout", "soon"], 2, "'soon' is not a number of seconds"),
    ([], 2, "the following arguments are required: formula"),
    (["log(x - 2)", "x=2", "--dot"], 1, "math error in log(x - 2): "),
    (["1 / x", "x=0", "--dot"], 1, "math error in 1 / x: "),
    (["exp(x)", "x=1000", "--dot"], 1, "math error in exp(x): "),
    (["x ** 0.5", "x=-1", "--dot"], 1, "math error in x ** 0.5: "),
    (["x*x", "x=3", "--dot", "--max-nodes", "2"], 1, "--max-nodes N"),
    (["x*w", "x=3", "w=1", "--parameters", "w,v"], 2, "--parameters names 'v'"),
    (["y / x", "y=1", "x=1e-200", "--dot"], 1, "math error in y / x: "),
]


@pytest.mark.parametrize(("arguments", "exit_code", "words"), ERRORS)
def test_errors_are_one_line_with_an_exit_code(arguments, exit_code, words):
    code, _, stderr = run(["graph", *arguments])
    assert code == exit_code
    assert_one_line_error(stderr)
    assert words in stderr


def test_no_command_is_a_usage_error():
    code, _, stderr = run([])
    assert code == 2
    assert_one_line_error(stderr)


def test_an_unwritable_output_is_a_failure(tmp_path):
    (tmp_path / "taken.svg").mkdir()
    for output in (tmp_path / "no-such-folder" / "a.dot", tmp_path / "taken.svg"):
        code, _, stderr = run([*NEURON, "-o", str(output)])
        assert code == 1
        assert_one_line_error(stderr)
        assert f"cannot write {str(output)!r}" in stderr
        assert "an old file of that name, if any, is unchanged" in stderr


def test_a_failing_renderer_is_a_failure(tmp_path, monkeypatch):
    failing = shutil.which("false")
    assert failing is not None
    monkeypatch.setenv(RENDERER_ENV_VAR, failing)
    code, _, stderr = run([*NEURON, "-o", str(tmp_path / "n.svg")])
    assert code == 1
    assert_one_line_error(stderr)
    assert "failed" in stderr


def test_a_missing_renderer_is_a_failure(tmp_path, monkeypatch):
    monkeypatch.setenv(RENDERER_ENV_VAR, str(tmp_path / "no-such-dot"))
    code, _, stderr = run([*NEURON, "-o", str(tmp_path / "n.svg")])
    assert code == 1
    assert_one_line_error(stderr)
    assert "--dot prints the DOT text" in stderr
    assert run([*NEURON, "--dot"])[0] == 0  # the DOT text needs no renderer


def test_a_closed_stdout_pipe_is_not_blamed_on_the_output_file(tmp_path):
    """`microgradx ... | head`: the reader goes away; the error says so, nothing else."""
    big = "+".join(f"x*{i}" for i in range(100))  # about 100 kB of DOT text
    for options in (["--dot"], ["-o", "out.dot"]):
        command = ["graph", big, "x=1", "--max-nodes", "99999", *options]
        process = subprocess.Popen(
            [sys.executable, "-m", "microgradx", *command],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        process.stdout.close()  # the reader is gone before anything is printed
        stderr = process.stderr.read().decode()
        assert process.wait(timeout=120) == 1
        assert_one_line_error(stderr)
        assert "standard output was closed" in stderr
        assert "cannot write" not in stderr
    assert not (tmp_path / "out.dot").exists()


@pytest.mark.parametrize(
    "arguments",
    [
        ["graph", "x", "x=" + "a" * 100_000],
        ["graph", "x", "x=" + "1" * 100_000],
        ["graph", "x", "x=1", "y" * 100_000 + "=1"],
        ["graph", "x", "x=1", "--rankdir", "L" * 100_000],
        ["graph", "x", "x=1", "--max-nodes", "9" * 100_000],
        ["graph", "x", "x=1", "--timeout", "9" * 100_000],
        ["graph", "x", "x=1", "-" + "q" * 100_000],
        ["graph", "x", "x=1", "-o", "graph." + "s" * 100_000],
        ["graph", "x*w", "x=1", "w=1", "--parameters", "v" * 100_000],
        ["c" * 100_000],
    ],
    ids=["value", "digits", "name", "rankdir", "max-nodes", "timeout", "option", "output",
         "parameters", "command"],
)  # fmt: skip
def test_a_huge_bad_value_is_not_echoed_back(arguments):
    code, _, stderr = run(arguments)
    assert code == 2
    assert_one_line_error(stderr)
    assert len(stderr) < 600
    assert "characters)" in stderr


def test_help_shows_the_numbers_and_which_formats_need_the_system_graphviz():
    code, stdout, _ = run(["graph", "--help"])
    assert code == 0
    help_text = " ".join(stdout.split())
    assert "(default: 2500)" in help_text
    assert "DEFAULT_MAX_NODES" not in help_text
    assert ".pdf needs the system Graphviz" in help_text
    assert ".jpg" in help_text
    assert "--timeout SECONDS" in help_text and "(default: $MICROGRADX_RENDER_TIMEOUT" in help_text
    assert "Ctrl-C" in help_text


@needs_a_renderer
@pytest.mark.parametrize("suffix", [".jpg", ".jpeg"])
def test_writes_jpeg(tmp_path, suffix):
    output = tmp_path / f"neuron{suffix}"
    code, _, stderr = run([*NEURON, "-o", str(output)])
    assert (code, stderr) == (0, "")
    assert output.read_bytes().startswith(b"\xff\xd8\xff")


needs_posix = pytest.mark.skipif(sys.platform == "win32", reason="fake renderers are scripts")


@needs_posix
@pytest.mark.parametrize(
    ("behaviour", "words"),
    [("empty", "wrote nothing (0 bytes)"), ("garbage", "is not an SVG file"),
     ("fails", "failed with exit code 3")],
)  # fmt: skip
def test_a_renderer_that_writes_no_picture_is_never_reported_as_written(
    tmp_path, monkeypatch, behaviour, words
):
    monkeypatch.setenv(RENDERER_ENV_VAR, str(fake_renderer(tmp_path / "bin", behaviour)))
    output = tmp_path / "graph.svg"
    output.write_text("<svg>old</svg>")
    code, stdout, stderr = run([*NEURON, "-o", str(output)])
    assert code == 1
    assert_one_line_error(stderr)
    assert words in stderr
    assert "wrote" not in stdout
    assert output.read_text() == "<svg>old</svg>"


@needs_posix
def test_a_hanging_renderer_is_stopped_after_the_timeout(tmp_path, monkeypatch):
    monkeypatch.setenv(RENDERER_ENV_VAR, str(fake_renderer(tmp_path / "bin", "hang")))
    code, _, stderr = run([*NEURON, "-o", str(tmp_path / "n.svg"), "--timeout", "0.5"])
    assert code == 1
    assert_one_line_error(stderr)
    assert "within 0.5 seconds and was stopped" in stderr
    assert "On the command line: --timeout SECONDS" in stderr
    monkeypatch.setenv("MICROGRADX_RENDER_TIMEOUT", "0.5")
    code, _, stderr = run([*NEURON, "-o", str(tmp_path / "n.svg")])
    assert code == 1 and "within 0.5 seconds" in stderr
    assert not (tmp_path / "n.svg").exists()


def test_a_bad_timeout_variable_is_a_failure_quoting_it(tmp_path, monkeypatch):
    monkeypatch.setenv("MICROGRADX_RENDER_TIMEOUT", "x" * 100_000)
    code, _, stderr = run([*NEURON, "-o", str(tmp_path / "n.svg")])
    assert code == 1
    assert_one_line_error(stderr)
    assert "MICROGRADX_RENDER_TIMEOUT is set to 'xxx" in stderr
    assert len(stderr) < 600


def test_hostile_formulas_run_nothing(tmp_path):
    marker = tmp_path / "marker"
    for formula in (
        f"__import__('os').system('touch {marker}')",
        f"open('{marker}', 'w')",
        "[c for c in ().__class__.__base__.__subclasses__()]",
    ):
        code, _, stderr = run(["graph", formula, "--dot"])
        assert code == 2
        assert_one_line_error(stderr)
    assert not marker.exists()


# ----------------------------------------------------------------------
# parse_values: NAME=VALUE words
# ----------------------------------------------------------------------


def test_values_may_be_numbers_or_formulas_without_names():
    values = parse_values(["x=2", "w=-3.5", "b=1e-3", "t=pi/4", "h=1/3", "z=1_000"])
    assert values == {"x": 2.0, "w": -3.5, "b": 1e-3, "t": 0.7853981633974483,
                      "h": 1 / 3, "z": 1000.0}  # fmt: skip


# ----------------------------------------------------------------------
# Fuzzing: any command line gives an exit code and at most one line of error
# ----------------------------------------------------------------------


@contextmanager
def working_directory(path: Path):
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def check_any_command_line(argv: list[str], folder: Path) -> None:
    with working_directory(folder):
        code, _, stderr = run(argv)
    assert isinstance(code, int)
    assert code in (0, 1, 2)
    if code == 0:
        assert stderr == ""
    else:
        assert_one_line_error(stderr)


WORDS = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["x=2", "w=-3", "b=6.88", "x=", "=", "x=pi", "-o", "--dot", "--rankdir",
                     "TB", "--max-nodes", "3", "--forward-only", "-h", "--", "x*w", "-x"]),
)  # fmt: skip


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(formula=st.text(max_size=60), words=st.lists(WORDS, max_size=6))
def test_any_formula_and_values(tmp_path_factory, formula, words):
    folder = tmp_path_factory.mktemp("fuzz", numbered=True)
    check_any_command_line(["graph", formula, *words, "--dot"], folder)


FORMULA_TOKENS = ["x", "w", "b", "2", "0", "-", "+", "*", "/", "**", "(", ")", "tanh(",
                  "log(", "sqrt(", "exp(", "leaky_relu(", ",", ".", "1e308", "pi"]  # fmt: skip


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    tokens=st.lists(st.sampled_from(FORMULA_TOKENS), min_size=1, max_size=15),
    numbers=st.lists(st.floats(-5, 5).map("{:g}".format), min_size=3, max_size=3),
)
def test_formula_like_command_lines(tmp_path_factory, tokens, numbers):
    folder = tmp_path_factory.mktemp("fuzz", numbered=True)
    formula = "".join(tokens)
    try:
        names = parse_expression(formula).names
    except ExpressionError:
        names = ()
    values = [f"{name}={number}" for name, number in zip("xwb", numbers) if name in names]
    check_any_command_line(["graph", formula, *values, "--dot"], folder)


@given(tree=FORMULAS, numbers=st.lists(st.floats(-3, 3), min_size=3, max_size=3))
def test_a_valid_formula_with_its_values_is_never_a_usage_error(tree, numbers):
    formula = formula_text(tree)
    names = parse_expression(formula).names
    values = [f"{name}={number!r}" for name, number in zip(VARIABLES, numbers) if name in names]
    code, stdout, stderr = run(["graph", formula, *values, "--dot"])
    if code == 0:
        assert stdout.startswith("digraph")
    else:
        assert code == 1
        assert_one_line_error(stderr)
        assert "math error" in stderr
