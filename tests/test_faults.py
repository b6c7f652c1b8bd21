"""Fault injection: full disks, killed processes, misbehaving renderers, refused steps.

Each test makes one thing go wrong the way it goes wrong for real (a file-size limit
set with ``resource.RLIMIT_FSIZE`` in a child process, a write that fails half-way,
``SIGKILL`` in the middle of a save, a renderer that hangs, floods or prints garbage)
and checks the README's promise: nothing the user had is lost, no temporary file is
left behind, and the error says what happened. The whole file runs in about 15 s.
"""

from __future__ import annotations

import errno
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_renderers import fake_renderer

from microgradx import Value
from microgradx import files as files_module
from microgradx.cli import main as cli_main
from microgradx.graph import render
from microgradx.nn import MLP, StateDictError
from microgradx.optim import SGD, Adam
from microgradx.render import RENDERER_ENV_VAR, TIMEOUT_ENV_VAR, RenderError

REPOSITORY = Path(__file__).resolve().parents[1]
NEURON = ["graph", "tanh(x*w + b)", "x=2", "w=-3", "b=6.88"]

posix_only = pytest.mark.skipif(
    sys.platform == "win32", reason="resource limits, signals and fake renderers are POSIX"
)


def listing(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def child(code: str, *arguments: str, **environment: str) -> subprocess.Popen[str]:
    """``code`` run by a new Python with microgradx importable, stdout and stderr piped."""
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY), **environment}
    return subprocess.Popen(
        [sys.executable, "-c", code, *arguments],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str, str]:
    stdout, stderr = process.communicate(timeout=timeout)
    return process.returncode, stdout, stderr


@pytest.fixture
def saved_model(tmp_path: Path) -> tuple[Path, str]:
    """A good model file, and its text, that the faults below must leave as it is."""
    path = MLP(3, [4, 1], seed=7).save(tmp_path / "model.json")
    return path, path.read_text()


# ----------------------------------------------------------------------
# A full disk: a file-size limit in a child process
# ----------------------------------------------------------------------

UNDER_A_FILE_SIZE_LIMIT = """
import resource, signal, sys
# Python ignores SIGXFSZ, so a write past the limit fails with EFBIG ("File too large");
# with the system's default action, the signal kills the process in the middle of the write.
if sys.argv[2] == "killed-by-the-signal":
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
what, path = sys.argv[1], sys.argv[3]
try:
    if what == "save":
        from microgradx.nn import MLP
        MLP(20, [20, 1], seed=1).save(path)  # about 20 kB of JSON
    elif what == "render":
        from microgradx import Value
        from microgradx.graph import render
        x = Value(0.5, label="x")
        for i in range(12):
            x = (x * 1.01).tanh()
        render(x, path)  # an SVG of some 20 kB
    else:
        from microgradx.cli import main
        formula = "+".join(f"x*{i}" for i in range(40))
        sys.exit(main(["graph", formula, "x=1", "--max-nodes", "99999", "-o", path]))
except OSError as error:
    print("refused:", error.strerror)
"""


@posix_only
@pytest.mark.parametrize("what", ["save", "render", "cli"])
@pytest.mark.parametrize("signal_handling", ["ignore-the-signal", "killed-by-the-signal"])
def test_a_file_size_limit_leaves_the_old_file_and_no_temporary(
    tmp_path, what, signal_handling
) -> None:
    if signal_handling == "killed-by-the-signal" and not hasattr(os, "O_TMPFILE"):
        pytest.skip("only a nameless (O_TMPFILE) temporary file goes with a killed process")
    target = tmp_path / {"save": "model.json", "render": "graph.svg", "cli": "graph.dot"}[what]
    target.write_text("the good old file")
    code, stdout, stderr = finished(
        child(UNDER_A_FILE_SIZE_LIMIT, what, signal_handling, str(target))
    )
    if signal_handling == "ignore-the-signal":
        if what == "cli":
            assert code == 1
            assert "File too large" in stderr and "is unchanged" in stderr
        else:
            assert (code, stdout.strip()) == (0, "refused: File too large"), stderr
    else:
        assert code == -signal.SIGXFSZ  # the system stopped it in the middle of a write
    assert target.read_text() == "the good old file"
    assert listing(tmp_path) == [target.name]


# ----------------------------------------------------------------------
# A full disk: a write that fails half-way
# ----------------------------------------------------------------------


class _FillingFile:
    """A binary file whose disk is full after ``room`` bytes."""

    def __init__(self, file, room: int) -> None:
        self._file, self._room = file, room

    def write(self, data) -> int:
        if len(data) > self._room:
            self._file.write(bytes(data[: self._room]))
            raise OSError(errno.ENOSPC, "No space left on device")
        self._room -= len(data)
        return self._file.write(data)

    def __getattr__(self, name: str):
        return getattr(self._file, name)

    def __enter__(self):
        return self

    def __exit__(self, *exception) -> None:
        self._file.close()


@pytest.fixture
def disk_full_after_100_bytes(monkeypatch) -> None:
    real_fdopen = os.fdopen

    def fdopen(descriptor: int, *args, **kwargs):
        return _FillingFile(real_fdopen(descriptor, *args, **kwargs), room=100)

    monkeypatch.setattr(files_module.os, "fdopen", fdopen)


def test_a_save_on_a_full_disk_leaves_the_old_model(saved_model, disk_full_after_100_bytes):
    path, good = saved_model
    with pytest.raises(OSError, match="No space left"):
        MLP(3, [4, 1], seed=8).save(path)
    assert path.read_text() == good
    assert listing(path.parent) == ["model.json"]
    MLP(3, [4, 1], seed=0).load(path)  # still a good model file


def test_a_drawing_on_a_full_disk_leaves_the_old_picture(tmp_path, disk_full_after_100_bytes):
    picture = tmp_path / "graph.svg"
    picture.write_text("<svg>old</svg>")
    with pytest.raises(OSError, match="No space left"):
        render((Value(2.0) * 3).tanh(), picture)
    assert picture.read_text() == "<svg>old</svg>"
    assert listing(tmp_path) == ["graph.svg"]


@pytest.mark.parametrize("name", ["graph.dot", "graph.svg"])
def test_the_command_line_on_a_full_disk_leaves_the_old_file(
    tmp_path, capsys, disk_full_after_100_bytes, name
):
    output = tmp_path / name
    output.write_text("old")
    assert cli_main([*NEURON, "-o", str(output)]) == 1
    error = capsys.readouterr().err
    assert "No space left on device" in error and "is unchanged" in error
    assert output.read_text() == "old"
    assert listing(tmp_path) == [name]


# ----------------------------------------------------------------------
# A process killed in the middle of saving a large model
# ----------------------------------------------------------------------

SAVE_A_LARGE_MODEL = """
import sys, time
from microgradx import files
from microgradx.nn import MLP

model = MLP(200, [200, 200, 1], seed=3)  # 80,601 knobs: some 3 MB of JSON
real_fsync = files.os.fsync

def fsync_then_wait(descriptor):  # every byte is written; the file is not in place yet
    real_fsync(descriptor)
    print("written", flush=True)
    time.sleep(60)

files.os.fsync = fsync_then_wait
model.save(sys.argv[1])
"""

SAVE_AGAIN_AND_AGAIN = """
import sys
from microgradx.nn import MLP

models = [MLP(100, [100, 100, 1], seed=seed) for seed in (1, 2)]
print("saving", flush=True)
while True:
    for model in models:
        model.save(sys.argv[1])
"""


@posix_only
def test_a_process_killed_mid_save_leaves_the_old_file_and_no_temporary(saved_model) -> None:
    path, good = saved_model
    process = child(SAVE_A_LARGE_MODEL, str(path))
    assert process.stdout.readline() == "written\n"  # killed at the worst moment
    process.send_signal(signal.SIGKILL)
    code, _, _ = finished(process)
    assert code == -signal.SIGKILL
    assert path.read_text() == good
    if hasattr(os, "O_TMPFILE"):  # a nameless file goes with the process
        assert listing(path.parent) == ["model.json"]
    else:  # elsewhere a killed process cannot remove its temporary file
        assert [name for name in listing(path.parent) if not name.endswith(".tmp")] == [
            "model.json"
        ]


@posix_only
def test_a_process_killed_at_any_moment_leaves_a_whole_model_file(saved_model) -> None:
    path, _ = saved_model
    for delay in (0.3, 0.55, 0.8):
        process = child(SAVE_AGAIN_AND_AGAIN, str(path))
        assert process.stdout.readline() == "saving\n"
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        finished(process)
        contents = json.loads(path.read_text())  # never half a file
        model = MLP(100, [100, 100, 1], seed=0)
        try:
            model.load(path)  # the file from before, or one of the new ones
        except StateDictError:
            assert contents["model"] == "MLP(3 inputs, 21 parameters)"  # the old one


# ----------------------------------------------------------------------
# Renderers that hang, flood, print garbage or write nothing: MICROGRADX_DOT and the CLI
# ----------------------------------------------------------------------


def cli_child(renderer: Path, output: Path, **environment: str) -> subprocess.Popen[str]:
    return child(
        "import sys; from microgradx.cli import main; sys.exit(main(sys.argv[1:]))",
        *NEURON,
        "-o",
        str(output),
        **{RENDERER_ENV_VAR: str(renderer)},
        **environment,
    )


@posix_only
def test_the_command_line_stops_a_hanging_renderer_and_its_children(tmp_path) -> None:
    renderer = fake_renderer(tmp_path / "bin", "hang")
    output = tmp_path / "graph.svg"
    output.write_text("<svg>old</svg>")
    started = time.monotonic()
    code, stdout, stderr = finished(cli_child(renderer, output, **{TIMEOUT_ENV_VAR: "1"}))
    assert time.monotonic() - started < 20
    assert code == 1
    assert "did not finish writing svg within 1 seconds and was stopped" in stderr
    assert "wrote" not in stdout
    assert output.read_text() == "<svg>old</svg>"
    grandchild = int((tmp_path / "bin" / "child.pid").read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(grandchild, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the hanging renderer's child process was left running")


@posix_only
@pytest.mark.parametrize(
    ("behaviour", "words"),
    [
        ("flood", "wrote more than 200 MB (its picture)"),
        ("garbage", "starting b'this is not a picture"),
        ("empty", "wrote nothing (0 bytes)"),
        ("cut-short", "it may be cut short"),
    ],
)
def test_the_command_line_refuses_what_a_bad_renderer_wrote(tmp_path, behaviour, words) -> None:
    renderer = fake_renderer(tmp_path / "bin", behaviour)
    output = tmp_path / "graph.svg"
    output.write_text("<svg>old</svg>")
    code, stdout, stderr = finished(cli_child(renderer, output))
    assert code == 1
    assert stderr.startswith("microgradx: error: ") and stderr.count("\n") == 1
    assert words in stderr
    assert "wrote graph.svg" not in stdout
    assert output.read_text() == "<svg>old</svg>"
    assert listing(tmp_path) == ["bin", "graph.svg"]


@posix_only
def test_render_with_a_flooding_renderer_fails_without_exhausting_memory(
    tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv(RENDERER_ENV_VAR, str(fake_renderer(tmp_path, "flood")))
    with pytest.raises(RenderError, match="wrote more than 200 MB"):
        render(Value(1.0) * 2, tmp_path / "graph.png")
    assert not (tmp_path / "graph.png").exists()


# ----------------------------------------------------------------------
# Optimizer steps that must be refused
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "broken_blame"),
    [
        (lambda ps: SGD(ps, lr=0.05, momentum=0.9), math.inf),
        (lambda ps: Adam(ps, lr=0.05), 1e200),  # its running square overflows
    ],
    ids=["sgd-momentum", "adam"],
)
def test_a_training_run_survives_a_refused_step_unchanged(make, broken_blame) -> None:
    """One step's blame is broken. That step is refused; the run then goes on exactly as a
    run that never saw it."""

    def run(with_a_broken_step: bool) -> list[float]:
        w = Value(-2.0, label="w")
        optimizer = make([w])
        for step in range(30):
            optimizer.zero_grad()
            ((w - 3.0) ** 2).backward()
            if with_a_broken_step and step == 10:
                good = w.grad
                w.grad = broken_blame
                with pytest.raises(FloatingPointError, match="No knob was changed"):
                    optimizer.step()
                w.grad = good
            optimizer.step()
        return [w.data, *getattr(optimizer, "velocities", []), *getattr(optimizer, "means", [])]

    assert run(with_a_broken_step=True) == run(with_a_broken_step=False)
