"""The builder's recovery file: unsaved edits kept when SIGTERM or SIGHUP ends the app.

The file is a stack file (the builder and `cnn-tui summary` open it as any other) with one
more header field, "recovered_from": the file the stack was opened from or saved to, if any.
It lives in the user's state folder; the next start offers it, then removes it (reopened) or
sets it aside under a new name (declined, or unreadable), so it is never offered twice and
never silently lost.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..safe_files import STACK_FILE_LIMIT, read_regular_text, write_atomic
from .recovery_path import default_recovery_path as default_recovery_path
from .shapes import StackError
from .stack import Stack
from .stack_file import dumps_stack, loads_stack

SOURCE_FIELD = "recovered_from"
"""The header field naming the stack's own file (null for an untitled stack)."""


class RecoveryError(ValueError):
    """The recovery file is there but cannot be read: one line naming it and why."""


@dataclass(frozen=True)
class Recovered:
    """A stack found in the recovery file."""

    stack: Stack
    source: Path | None
    """The file the stack was opened from or saved to before the edits; None when untitled."""
    file: Path
    """The recovery file it was read from."""


def recovery_text(stack: Stack, source: Path | None) -> str:
    """The stack file's text with the source field first in its header."""
    text = dumps_stack(stack)
    brace, newline, rest = text.partition("\n")
    if brace != "{" or not newline:
        return text  # a stack file of another shape: the stack is what matters
    value = json.dumps(None if source is None else str(source))
    return f'{{\n  "{SOURCE_FIELD}": {value},\n{rest}'


def save_recovery(stack: Stack, source: Path | None, path: Path | None = None) -> Path:
    """Write the recovery file atomically; OSError when it cannot be written."""
    target = path if path is not None else default_recovery_path()
    write_atomic(target, recovery_text(stack, source))
    return target


def load_recovery(path: Path | None = None) -> Recovered | None:
    """The recovered stack, None when there is no recovery file; RecoveryError when there is
    one that cannot be read (too big, not a regular file, not a stack)."""
    target = path if path is not None else default_recovery_path()
    try:
        text = read_regular_text(target, STACK_FILE_LIMIT)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise RecoveryError(f"recovery file {target}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise RecoveryError(f"recovery file {target}: not UTF-8 text") from None
    try:
        stack = loads_stack(text, f"recovery file {target}")
    except StackError as exc:
        raise RecoveryError(str(exc)) from None
    source = json.loads(text).get(SOURCE_FIELD)  # it parsed just now, as an object
    return Recovered(stack, Path(source) if isinstance(source, str) and source else None, target)


def remove_recovery(path: Path) -> None:
    """Remove the recovery file once its stack is back in the builder; OSError if it cannot."""
    path.unlink(missing_ok=True)


def set_aside(path: Path) -> Path:
    """Rename the recovery file to a name of its own ('builder-recovery.set-aside-1.json', -2,
    ...), still a stack file, so that it is not offered again; OSError if it cannot be."""
    for number in range(1, 10_000):
        candidate = path.with_name(f"{path.stem}.set-aside-{number}{path.suffix}")
        if not candidate.exists() and not candidate.is_symlink():
            os.rename(path, candidate)
            return candidate
    raise FileExistsError(f"{path.parent} holds 9,999 set-aside recovery files")
