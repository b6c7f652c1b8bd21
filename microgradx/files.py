"""Writing files so that nothing the user had is lost: all of the new file, or the old one.

Writing straight into ``model.json`` first empties it; a full disk, a file-size limit
or a process killed half-way then leaves a broken file where a good one was.
``write_atomically`` writes a temporary file in the same folder, flushes it to the
disk (``fsync``), and only then puts it in the target's place with ``os.replace``,
which the operating system does in one step. Whatever goes wrong before that step,
the old file is untouched and the temporary file is removed.

A process killed outright (SIGKILL, a power cut) cannot remove its temporary file,
so on Linux the file is made without a name (``O_TMPFILE``) and gets one only once
all of it is on the disk, a moment before ``os.replace``: a kill while writing
leaves nothing behind. Elsewhere (or where the file system cannot do that) the
temporary file is ``.<name>.<8 hex digits>.tmp`` from the start.

A few details keep the promise in corner cases:

* the target may be a symbolic link: the file it points to is replaced and the
  link stays a link (replacing the link itself would leave its target stale);
* a long file name gets a shorter temporary name (a name may have at most 255
  bytes on most systems, and the temporary name adds a few);
* an error while creating, writing or moving the temporary file names the file
  the caller asked for, not the temporary one.

Every file microgradx writes (saved models, drawings, pages, the command line's
output) goes through here.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import BinaryIO, Union

    PathLike = Union[str, "os.PathLike[str]"]

_NAME_BYTES = 255
"""The longest file name (in bytes) that common file systems allow."""


def write_atomically(path: PathLike, contents: bytes | str | Callable[[BinaryIO], object]) -> Path:
    """Replace the file ``path`` with ``contents`` in one step; return the path.

    ``contents`` is bytes, text (written as UTF-8), or a function that writes
    into the binary file it is given (e.g. ``lambda f: figure.savefig(f, format="png")``).
    A new file gets the permissions a plain ``open(path, "w")`` would give it;
    an existing file keeps its own. On any error, including Ctrl-C, the old file
    (if any) is unchanged, no temporary file is left, and the error is raised.
    """
    if not isinstance(contents, (str, bytes, bytearray, memoryview)) and not callable(contents):
        raise TypeError(
            "write_atomically writes bytes, text, or what a function writes into the file "
            f"it is given; got {type(contents).__name__}."
        )
    given = Path(path)
    target = _real_target(given)
    descriptor = _nameless_file(target.parent)
    temporary = None
    if descriptor is None:
        descriptor, temporary = _new_temporary_file(target, given)
    try:
        with os.fdopen(descriptor, "wb") as file:
            if isinstance(contents, str):
                file.write(contents.encode("utf-8"))
            elif isinstance(contents, (bytes, bytearray, memoryview)):
                file.write(contents)
            else:
                contents(file)
            file.flush()
            if target.exists():
                _set_mode(file.fileno(), temporary, target.stat().st_mode & 0o7777)
            os.fsync(file.fileno())
            if temporary is None:
                temporary = _give_a_name(file.fileno(), target, given)
        try:
            os.replace(temporary, target)
        except OSError as error:
            raise _about(error, given) from None
    except BaseException:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)
    return given


def _nameless_file(folder: Path) -> int | None:
    """A new file in ``folder`` without a name, open for reading and writing (Linux's
    ``O_TMPFILE``), or None where that cannot be done here."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None or not os.path.isdir(_PROCESS_FILES):
        return None
    try:
        return os.open(folder, flag | os.O_RDWR, 0o666)
    except OSError:  # not supported by this file system, or the folder is not there
        return None


_PROCESS_FILES = "/proc/self/fd"
"""Where Linux shows this process's open files, one link per file descriptor."""


def _give_a_name(descriptor: int, target: Path, given: Path) -> Path:
    """Link the nameless file ``descriptor`` into the folder as a temporary file; its path.

    Where linking is refused, the contents are copied into a named temporary file.
    """
    stem = _fitting(target.name, _NAME_BYTES - len(".") - len(".12345678.tmp"))
    try:
        folder_of_files = os.open(_PROCESS_FILES, os.O_RDONLY)
    except OSError:
        return _copy_to_named_file(descriptor, target, given)
    try:
        while True:
            temporary = target.with_name(f".{stem}.{secrets.token_hex(4)}.tmp")
            try:
                os.link(str(descriptor), temporary, src_dir_fd=folder_of_files)
                return temporary
            except FileExistsError:
                continue
            except OSError:
                return _copy_to_named_file(descriptor, target, given)
    finally:
        os.close(folder_of_files)


def _copy_to_named_file(descriptor: int, target: Path, given: Path) -> Path:
    """The contents of ``descriptor`` copied into a new named temporary file beside
    ``target``, flushed to the disk; its path."""
    copy, temporary = _new_temporary_file(target, given)
    try:
        with os.fdopen(copy, "wb") as file:
            offset = 0
            while True:
                piece = os.pread(descriptor, 1 << 20, offset)
                if not piece:
                    break
                file.write(piece)
                offset += len(piece)
            file.flush()
            os.fchmod(file.fileno(), os.fstat(descriptor).st_mode & 0o7777)
            os.fsync(file.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _set_mode(descriptor: int, temporary: Path | None, mode: int) -> None:
    """Give the new file the old one's permissions."""
    if hasattr(os, "fchmod"):
        os.fchmod(descriptor, mode)
    elif temporary is not None:
        os.chmod(temporary, mode)


def _real_target(path: Path) -> Path:
    """The file that ``path`` names: itself, or the end of its chain of symbolic links."""
    if not path.is_symlink():
        return path
    return Path(os.path.realpath(path))


def _new_temporary_file(target: Path, given: Path) -> tuple[int, Path]:
    """A new, empty file beside ``target``, opened for writing: (descriptor, path).

    It is created with the mode ``open()`` uses (0o666 less the umask), which
    ``tempfile.mkstemp`` would not do (it makes files only their owner can read).
    Its name is ``.<target name>.<8 random hex digits>.tmp``, with the target's
    name cut short when the whole would be too long for the file system.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    stem = _fitting(target.name, _NAME_BYTES - len(".") - len(".12345678.tmp"))
    while True:
        temporary = target.with_name(f".{stem}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:
            continue
        except OSError as error:
            raise _about(error, given) from None


def _fitting(name: str, limit: int) -> str:
    """``name`` cut so that its encoded form has at most ``limit`` bytes."""
    while len(os.fsencode(name)) > limit:
        name = name[:-1]
    return name


def _about(error: OSError, path: Path) -> OSError:
    """The same kind of error, about ``path`` (the file the caller named)."""
    if error.errno is None:
        return error
    return type(error)(error.errno, error.strerror, str(path))


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable, where the system allows opening a folder."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # Windows cannot open a folder; its rename is durable enough
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
