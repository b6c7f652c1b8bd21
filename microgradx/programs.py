"""Running an outside program safely: a time limit, bounded output, nothing left running.

microgradx runs one kind of outside program, a Graphviz renderer (see
``microgradx.render``). Such a program may hang, flood its output, or start
processes of its own, and none of that may hang or exhaust the Python that runs
it. ``run_program`` therefore

* feeds stdin and reads stdout and stderr in three threads while it waits, so a
  program that writes before it has read all of its input cannot deadlock;
* reads each output piece by piece and stops the program once more than
  ``limit`` bytes have come on either (the picture is kept whole up to the
  limit; of stderr, the first ``keep_messages`` bytes are kept);
* stops the program after ``timeout`` seconds;
* starts the program in a process group of its own and, on a timeout, too much
  output, or any error (Ctrl-C included), kills the whole group at once: the
  program and whatever it started (on Windows, only the program itself).

It reports what happened (``Finished``); the caller turns that into an error
message that fits what the program was for.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import IO


@dataclass(frozen=True)
class Finished:
    """How a run of ``run_program`` ended."""

    returncode: int | None
    """The exit code, or None when the program was stopped."""
    output: bytes
    """What it wrote on stdout (up to the limit)."""
    messages: bytes
    """The start of what it wrote on stderr (``keep_messages`` bytes at most)."""
    message_bytes: int
    """How many bytes it wrote on stderr in all."""
    timed_out: bool
    """It did not finish within the time limit and was stopped."""
    flooded: str
    """"stdout" or "stderr" when that output passed the limit and the program was
    stopped; "" otherwise."""


def run_program(
    command: Sequence[str],
    stdin: bytes,
    *,
    timeout: float,
    limit: int,
    keep_messages: int,
) -> Finished:
    """Run ``command`` with ``stdin`` as its input, bounded as described at the top.

    Raises ``OSError`` if the program cannot be started at all.
    """
    on_windows = sys.platform == "win32"
    process = subprocess.Popen(
        list(command),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=not on_windows,  # its own process group, for _kill
        creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0) if on_windows else 0,
    )
    assert process.stdin and process.stdout and process.stderr

    def stop() -> None:
        _kill(process)

    output = _Reader(process.stdout, keep=limit, limit=limit, on_overflow=stop)
    messages = _Reader(process.stderr, keep=keep_messages, limit=limit, on_overflow=stop)
    feeder = threading.Thread(target=_feed, args=(process.stdin, stdin), daemon=True)
    deadline = time.monotonic() + timeout
    finished_in_time = False
    try:
        for thread in (feeder, output, messages):
            thread.start()
        try:
            process.wait(timeout=timeout)
            for reader in (output, messages):
                reader.join(max(0.0, deadline - time.monotonic()))
            finished_in_time = not (output.is_alive() or messages.is_alive())
        except subprocess.TimeoutExpired:
            pass
    finally:
        if not finished_in_time:
            _kill(process)
            for reader in (output, messages):
                reader.join(2.0)  # the pipes close once the processes are gone
        _reap(process)
    flooded = "stdout" if output.overflowed else "stderr" if messages.overflowed else ""
    return Finished(
        returncode=process.returncode if finished_in_time and not flooded else None,
        output=output.kept(),
        messages=messages.kept(),
        message_bytes=messages.total,
        timed_out=not finished_in_time and not flooded,
        flooded=flooded,
    )


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Stop ``process`` and, on POSIX, every process in its group, at once."""
    if sys.platform != "win32":
        try:
            os.killpg(process.pid, signal.SIGKILL)
            return
        except (ProcessLookupError, PermissionError):
            pass
    with contextlib.suppress(OSError):
        process.kill()


def _reap(process: subprocess.Popen[bytes]) -> None:
    """Collect the exit status of a finished (or killed) program and close our end of stdin."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5.0)
    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()


def _feed(stream: IO[bytes], data: bytes) -> None:
    """Write ``data`` to the program's stdin and close it (it may stop reading early)."""
    try:
        stream.write(data)
    except (OSError, ValueError):
        pass
    finally:
        with contextlib.suppress(OSError, ValueError):
            stream.close()


class _Reader(threading.Thread):
    """Reads one of a program's outputs in pieces: keeps the first ``keep`` bytes and calls
    ``on_overflow`` (and stops) once more than ``limit`` bytes have come."""

    PIECE = 1024 * 1024

    def __init__(
        self, stream: IO[bytes], keep: int, limit: int, on_overflow: Callable[[], None]
    ) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.keep = keep
        self.limit = limit
        self.on_overflow = on_overflow
        self.pieces: list[bytes] = []
        self.kept_bytes = 0
        self.total = 0
        self.overflowed = False

    def run(self) -> None:
        read = getattr(self.stream, "read1", self.stream.read)
        try:
            while True:
                piece = read(self.PIECE)
                if not piece:
                    return
                self.total += len(piece)
                if self.total > self.limit:
                    self.overflowed = True
                    self.on_overflow()
                    return
                if self.kept_bytes < self.keep:
                    piece = piece[: self.keep - self.kept_bytes]
                    self.pieces.append(piece)
                    self.kept_bytes += len(piece)
        except (OSError, ValueError):
            return
        finally:
            with contextlib.suppress(OSError, ValueError):
                self.stream.close()

    def kept(self) -> bytes:
        return b"".join(self.pieces)
