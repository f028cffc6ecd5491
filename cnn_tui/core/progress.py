"""Lesson progress (lessons done, exercises passed), kept in the user's data folder.

One small JSON file, written atomically. A file that cannot be read is renamed aside (never
deleted) and reported once; the student starts afresh rather than losing the app.
"""

from __future__ import annotations

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
    """Set when the file on disk was unreadable and was moved aside."""

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
        write_atomic(self.path, json.dumps(self.to_dict(), indent=2) + "\n")


def _read(path: Path) -> dict[str, LessonProgress]:
    data = json.loads(path.read_text(encoding="utf-8"))
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


def load_progress(path: Path | str | None = None) -> Progress:
    """The saved progress; an unreadable file is moved to '<name>.corrupt-<time>' and reported
    in `warning`, and the student starts with an empty record."""
    target = Path(path) if path is not None else default_progress_path()
    if not target.exists():
        return Progress(path=target)
    try:
        return Progress(path=target, lessons=_read(target))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        aside = target.with_name(f"{target.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            target.replace(aside)
            kept = f"kept as {aside}"
        except OSError:
            kept = "left in place"
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        return Progress(
            path=target,
            warning=f"progress file {target} was unreadable ({reason}); {kept}, starting afresh",
        )
