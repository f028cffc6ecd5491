"""The user's files, read and written safely: regular files only, reads bounded in size, writes
atomic and made through a symlink to its target, keeping the old file's permission bits.

Every failure is an OSError naming the user's path, with a strerror a student can act on, so
callers keep their one `except OSError` and print `exc.strerror`.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

KIB = 1024
MIB = 1024 * KIB

STACK_FILE_LIMIT = 16 * MIB
"""A stack file of 10,000 rows is about 1 MiB; 16 MiB leaves room for long descriptions."""
LESSON_FILE_LIMIT = 1 * MIB
"""The longest lesson today is about 20 KiB."""
PROGRESS_FILE_LIMIT = 4 * MIB
"""A progress record of every lesson of many courses is a few KiB."""
CHECKPOINT_FILE_LIMIT = 4096 * MIB
"""A checkpoint holds weights: VGG-16 with Adam state is about 1.6 GiB."""

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def kind_of(mode: int) -> str:
    """What a stat mode that is not a regular file is, in words."""
    return next((words for test, words in _KINDS if test(mode)), "not a regular file")


def size_words(size: int) -> str:
    """1,536 -> '1.5 KiB': the unit a limit is stated in."""
    if size < KIB:
        return f"{size:,} B"
    if size < MIB:
        return f"{size / KIB:,.1f} KiB"
    return f"{size / MIB:,.1f} MiB"


def _refuse(path: Path | str, code: int, why: str) -> OSError:
    return OSError(code, why, str(path))


def _not_regular(path: Path | str, mode: int) -> OSError:
    kind = kind_of(mode)
    if stat.S_ISDIR(mode):
        return _refuse(path, errno.EISDIR, "it is a folder, not a file")
    return _refuse(path, errno.EINVAL, f"it is {kind}, not a regular file")


def read_regular(path: Path | str, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes.

    Opened without blocking, so a FIFO with no writer cannot hang the caller, and checked with
    fstat on the open descriptor (no race between the check and the read); devices, FIFOs,
    sockets and folders are refused before a byte is read, and a file over the limit is refused
    with its size and the limit. Raises FileNotFoundError for a missing file, OSError otherwise.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise naming(path, exc) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(path, info.st_mode)
        if info.st_size > limit:
            raise _too_big(path, info.st_size, limit)
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(limit + 1)  # the file may have grown since fstat
    if len(data) > limit:
        raise _too_big(path, len(data), limit)
    return data


def read_regular_text(path: Path | str, limit: int) -> str:
    """read_regular decoded as UTF-8 (a byte-order mark skipped); UnicodeDecodeError if not."""
    return read_regular(path, limit).decode("utf-8-sig")


def check_regular(path: Path | str) -> None:
    """Refuse (OSError) a path that exists and is not a regular file; a missing one is fine
    (below a file too: the writer names that file)."""
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        raise naming(path, exc) from None
    if not stat.S_ISREG(info.st_mode):
        raise _not_regular(path, info.st_mode)


def check_readable(path: Path | str, limit: int) -> None:
    """Refuse (OSError) what read_regular would refuse, for a reader that opens the file
    itself (torch.load): missing, not a regular file, or over `limit` bytes."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise naming(path, exc) from None
    if not stat.S_ISREG(info.st_mode):
        raise _not_regular(path, info.st_mode)
    if info.st_size > limit:
        raise _too_big(path, info.st_size, limit)


def _too_big(path: Path | str, size: int, limit: int) -> OSError:
    why = f"it is {size_words(size)}; cnn-tui reads such files up to {size_words(limit)}"
    return _refuse(path, errno.EFBIG, why)


def file_signature(path: Path | str) -> tuple[int, int, int] | None:
    """(inode, size, mtime in ns) of a file, or None when it is missing or unreadable: two
    signatures differ when the file was replaced or written in between."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns)


def same_file(one: Path | str, other: Path | str) -> bool:
    """Whether two paths name one file: through ~, relative parts and symlinks."""
    return os.path.realpath(os.path.expanduser(one)) == os.path.realpath(os.path.expanduser(other))


def resolve_target(target: Path) -> Path:
    """Where a write to `target` should land: through any chain of symlinks to the real file
    (a dangling link to where it points), so the link stays a link and its target is updated."""
    try:
        if not target.is_symlink():
            return target
    except OSError as exc:  # a name over 255 bytes, a parent that is not searchable
        raise naming(target, exc) from None
    return Path(os.path.realpath(target))


def write_atomic(target: Path, content: str | bytes | Callable[[BinaryIO], object]) -> None:
    """Write a file so that a crash leaves either the old file or the new one, never half:
    a temporary file beside the (symlink-resolved) target, then a rename. content: text
    (UTF-8), bytes, or a function that writes into the open binary file (torch.save).

    A target that exists must be a regular file (a device, FIFO or socket is refused before
    anything is written); the new file keeps the old one's permission bits (0644 when new).
    Any failure, an OSError or anything the writer raises (torch raises RuntimeError on a
    short write), removes the temporary file and leaves the old file as it was. An OSError is
    re-raised naming `target` (never the temporary file), with a strerror that says why."""
    target = Path(target)
    try:
        real = resolve_target(target)
        # the checks are inside the try too: stat() itself may be refused (EACCES)
        blocker = _file_in_the_way(real.parent)
        if blocker is not None:
            raise NotADirectoryError(errno.ENOTDIR, f"{blocker} is a file, not a folder")
        mode = _existing_mode(real)
        real.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{real.name[:200]}.", dir=real.parent)
    except OSError as exc:
        raise naming(target, exc) from None
    try:
        os.chmod(temp, 0o644 if mode is None else mode)
        with os.fdopen(fd, "wb") as handle:
            if callable(content):
                content(handle)
            else:
                handle.write(content.encode("utf-8") if isinstance(content, str) else content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, real)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise naming(target, exc) from None
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _existing_mode(real: Path) -> int | None:
    """The permission bits of the regular file at `real`, None when there is none; OSError for
    anything else there (a folder, a device, a FIFO, a socket)."""
    try:
        info = os.stat(real)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        raise _not_regular(real, info.st_mode)
    return stat.S_IMODE(info.st_mode)


def nearest_existing(folder: Path) -> Path:
    """The folder itself, or its nearest ancestor that exists (write_atomic makes the rest)."""
    return next((p for p in (folder, *folder.parents) if p.exists()), folder)


def _file_in_the_way(folder: Path) -> Path | None:
    """The nearest existing ancestor of a folder to be, when it is a file rather than a folder."""
    existing = nearest_existing(folder)
    return existing if existing.exists() and not existing.is_dir() else None


def naming(target: Path | str, exc: OSError) -> OSError:
    """The same error (same errno, so the same OSError subclass) about the target path, with
    words a student can act on where the system's are terse."""
    why = exc.strerror or str(exc)
    if exc.errno == errno.ENAMETOOLONG:
        why = "the file name is too long (at most 255 bytes per name)"
    return OSError(exc.errno, why, str(target))
