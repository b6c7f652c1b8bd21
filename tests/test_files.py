"""write_atomically: all of the new file or all of the old one, and never a stray temporary."""

from __future__ import annotations

import errno
import os
import stat
import sys

import pytest

from microgradx import files
from microgradx.files import write_atomically


def names_in(folder) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_bytes_text_and_a_writer_function_are_written(tmp_path) -> None:
    assert write_atomically(tmp_path / "a.bin", b"\x00\x01") == tmp_path / "a.bin"
    write_atomically(tmp_path / "b.txt", "blame → nudge")
    write_atomically(tmp_path / "c.bin", lambda file: file.write(b"from a function"))
    assert (tmp_path / "a.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "b.txt").read_text(encoding="utf-8") == "blame → nudge"
    assert (tmp_path / "c.bin").read_bytes() == b"from a function"
    assert names_in(tmp_path) == ["a.bin", "b.txt", "c.bin"]


def test_an_existing_file_is_replaced_and_keeps_its_permissions(tmp_path) -> None:
    target = tmp_path / "model.json"
    target.write_text("old")
    target.chmod(0o640)
    write_atomically(target, "new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


@pytest.mark.skipif(sys.platform == "win32", reason="umask permissions are POSIX")
def test_a_new_file_gets_the_permissions_open_would_give(tmp_path) -> None:
    old_umask = os.umask(0o022)
    try:
        write_atomically(tmp_path / "new.txt", "x")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o644


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_an_error_while_writing_leaves_the_old_file_and_no_temporary(tmp_path, error) -> None:
    target = tmp_path / "model.json"
    target.write_text("the good old model")

    def half_then_fail(file) -> None:
        file.write(b"half of a new mod")
        raise error

    with pytest.raises(type(error)):
        write_atomically(target, half_then_fail)
    assert target.read_text() == "the good old model"
    assert names_in(tmp_path) == ["model.json"]


def test_a_full_disk_at_fsync_leaves_the_old_file(tmp_path, monkeypatch) -> None:
    target = tmp_path / "model.json"
    target.write_text("old")

    def disk_full(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_atomically(target, "new " * 1000)
    assert target.read_text() == "old"
    assert names_in(tmp_path) == ["model.json"]


def test_a_folder_in_the_way_is_an_error_about_the_target(tmp_path) -> None:
    (tmp_path / "graph.svg").mkdir()
    with pytest.raises(OSError) as caught:
        write_atomically(tmp_path / "graph.svg", "<svg/>")
    assert caught.value.filename == str(tmp_path / "graph.svg")
    assert names_in(tmp_path) == ["graph.svg"]


def test_a_missing_folder_is_an_error_about_the_target_not_the_temporary(tmp_path) -> None:
    target = tmp_path / "no-such-folder" / "model.json"
    with pytest.raises(FileNotFoundError) as caught:
        write_atomically(target, "x")
    assert caught.value.filename == str(target)
    assert ".tmp" not in str(caught.value)


def test_a_long_file_name_that_the_system_allows_can_be_written(tmp_path) -> None:
    target = tmp_path / ("m" * 245 + ".json")  # 250 bytes: allowed, but not with ".<8 hex>.tmp"
    write_atomically(target, "x")
    assert target.read_text() == "x"
    assert names_in(tmp_path) == [target.name]


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")
def test_writing_through_a_symbolic_link_replaces_the_file_it_points_to(tmp_path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    assert write_atomically(link, "new") == link
    assert link.is_symlink()
    assert real.read_text() == "new"
    assert names_in(tmp_path) == ["link.json", "real.json"]


def test_contents_of_the_wrong_kind_are_refused_before_anything_is_made(tmp_path) -> None:
    with pytest.raises(TypeError, match="bytes, text, or what a function writes"):
        write_atomically(tmp_path / "x.txt", 42)  # type: ignore[arg-type]
    assert names_in(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "O_TMPFILE"), reason="nameless files are Linux's O_TMPFILE")
def test_on_linux_the_file_has_no_name_while_it_is_written(tmp_path) -> None:
    seen = []

    def look(file) -> None:
        file.write(b"half")
        seen.append(names_in(tmp_path))  # a SIGKILL now would leave nothing behind

    write_atomically(tmp_path / "model.json", look)
    assert seen == [[]]
    assert names_in(tmp_path) == ["model.json"]


@pytest.mark.parametrize("how", ["named-from-the-start", "copied-when-linking-fails"])
def test_the_fallbacks_write_the_same_file(tmp_path, monkeypatch, how) -> None:
    if how == "named-from-the-start":
        monkeypatch.setattr(files, "_nameless_file", lambda folder: None)
    else:
        if not hasattr(os, "O_TMPFILE"):
            pytest.skip("only Linux links nameless files")

        def no_links(*args, **kwargs) -> None:
            raise OSError(errno.EPERM, "Operation not permitted")

        monkeypatch.setattr(files.os, "link", no_links)
    target = tmp_path / "model.json"
    target.write_text("old")
    target.chmod(0o600)
    write_atomically(target, "new " * 300_000)  # larger than one copied piece
    assert target.read_text() == "new " * 300_000
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert names_in(tmp_path) == ["model.json"]
