"""Lesson progress (lessons done, exercises passed), kept in the user's data folder.

One small JSON file, written atomically. A file that does not parse is renamed aside (never
deleted) and reported once; the student starts afresh rather than losing the app. One that
cannot be read at all (a folder, no permission) is reported and never written over.
"""

from __future__ import annotations

import errno
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .stack_file import write_atomic

FORMAT = "cnn-tui-progress"
VERSION = 1


def default_progress_path() -> Path:
    """$CNN_TUI_PROGRESS, else $XDG_DATA_HOME/cnn-tui/progress.json, else
    ~/.local/share/cnn-tui/progress.json."""
    explicit = os.environ.get("CNN_TUI_PROGRESS")
    if explicit:
        return Path(explicit).expanduser()
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data).expanduser() / "cnn-tui" / "progress.json"


@dataclass
class LessonProgress:
    done: bool = False
    passed: list[str] = field(default_factory=list)
    """Ids of the exercises answered right."""


@dataclass
class Progress:
    path: Path
    lessons: dict[str, LessonProgress] = field(default_factory=dict)
    """Keyed by '<course folder name>/<lesson id>'."""
    warning: str = ""
    """Set when the file on disk was unreadable (and said what became of it)."""
    blocked: bool = False
    """The file on disk could not be read (or set aside): `save` must not write over it."""

    def of(self, course: str, lesson: str) -> LessonProgress:
        return self.lessons.get(f"{course}/{lesson}", LessonProgress())

    def _entry(self, course: str, lesson: str) -> LessonProgress:
        return self.lessons.setdefault(f"{course}/{lesson}", LessonProgress())

    def pass_exercise(self, course: str, lesson: str, exercise: str) -> None:
        entry = self._entry(course, lesson)
        if exercise not in entry.passed:
            entry.passed.append(exercise)
            self.save()

    def set_done(self, course: str, lesson: str, done: bool = True) -> None:
        self._entry(course, lesson).done = done
        self.save()

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "lessons": {
                key: {"done": entry.done, "passed": sorted(entry.passed)}
                for key, entry in sorted(self.lessons.items())
            },
        }

    def save(self) -> None:
        """Write the record atomically; OSError when it cannot, or must not (`blocked`)."""
        if self.blocked:
            raise OSError(
                errno.EEXIST,
                "the file there could not be read, so it is not replaced",
                str(self.path),
            )
        write_atomic(self.path, json.dumps(self.to_dict(), indent=2) + "\n")


def _parse(text: str) -> dict[str, LessonProgress]:
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError("not a cnn-tui progress file")
    lessons = data.get("lessons")
    if not isinstance(lessons, dict):
        raise ValueError("'lessons' is not an object")
    out: dict[str, LessonProgress] = {}
    for key, entry in lessons.items():
        if not isinstance(entry, dict):
            raise ValueError(f"lesson {key!r} is not an object")
        passed = entry.get("passed", [])
        if not isinstance(passed, list) or not all(isinstance(p, str) for p in passed):
            raise ValueError(f"lesson {key!r}: 'passed' is not a list of exercise ids")
        out[str(key)] = LessonProgress(done=bool(entry.get("done", False)), passed=list(passed))
    return out


def _why(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"line {exc.lineno}: {exc.msg}"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc)


def load_progress(path: Path | str | None = None, *, set_aside: bool = True) -> Progress:
    """The saved progress, or an empty record with a `warning` when the file is no good.

    Only a file that was read and does not parse is corrupt: with set_aside it is moved to
    '<name>.corrupt-<time>' (never deleted) and the student starts afresh; without (a command
    that only reads, such as `lessons --list`) it is reported and left as it is. A path that
    cannot be read at all (a folder, no permission, an I/O error) is reported and left alone,
    and `save` refuses to write over it."""
    target = Path(path) if path is not None else default_progress_path()
    try:
        raw = target.read_bytes()
    except FileNotFoundError:
        return Progress(path=target)
    except OSError as exc:
        return Progress(
            path=target,
            warning=f"progress file {target} cannot be read ({exc.strerror or exc}); "
            "left as it is, and progress is not saved while it is there",
            blocked=True,
        )
    try:
        return Progress(path=target, lessons=_parse(raw.decode("utf-8")))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = _why(exc)
    if not set_aside:
        return Progress(
            path=target,
            warning=f"progress file {target} is unreadable ({reason}); left as it is "
            "(opening the lessons sets it aside and starts afresh)",
            blocked=True,
        )
    aside = target.with_name(f"{target.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        target.rename(aside)
    except OSError as exc:
        return Progress(
            path=target,
            warning=f"progress file {target} was unreadable ({reason}) and cannot be set aside "
            f"({exc.strerror or exc}); left as it is, and progress is not saved while it is there",
            blocked=True,
        )
    return Progress(
        path=target,
        warning=f"progress file {target} was unreadable ({reason}); kept as {aside}, "
        "starting afresh",
    )
