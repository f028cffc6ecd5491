"""Lesson progress (lessons done, exercises passed), kept in the user's data folder.

One small JSON file, shared by every cnn-tui the student runs: each change is applied to what
is on disk at that moment (under a lock file, then an atomic replace), so two instances never
erase each other's marks. A file that does not parse is renamed aside (never deleted, never
over another copy) and reported; one that cannot be read at all (a folder, a FIFO, no
permission, too big) is reported and never written over.
"""

from __future__ import annotations

import errno
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..safe_files import PROGRESS_FILE_LIMIT, read_regular, resolve_target, write_atomic

if TYPE_CHECKING:
    from .lessons import Lesson

try:
    import fcntl
except ImportError:  # Windows: no flock; the re-read just before the replace still merges
    fcntl = None  # type: ignore[assignment]

FORMAT = "cnn-tui-progress"
VERSION = 1

LOCK_WAIT = 5.0
"""Seconds a save waits for another cnn-tui to finish its own save (each takes milliseconds)."""


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


Change = Callable[[LessonProgress], None]
"""One student action, applied to a lesson's entry as it is on disk at save time."""


@dataclass
class Progress:
    path: Path
    lessons: dict[str, LessonProgress] = field(default_factory=dict)
    """Keyed by '<course folder name>/<lesson id>'."""
    warning: str = ""
    """Set when the file on disk was unreadable (and said what became of it)."""
    blocked: bool = False
    """The file on disk could not be read (or set aside): `save` must not write over it."""
    set_aside: bool = True
    """Whether a save that finds a corrupt file may move it aside (False: it refuses)."""

    def of(self, course: str, lesson: str) -> LessonProgress:
        return self.lessons.get(f"{course}/{lesson}", LessonProgress())

    def for_lesson(self, course: str, lesson: Lesson) -> LessonProgress:
        """This lesson's progress, with what an earlier version of the course saved under its
        old names (`was:`) mapped onto it: done if any was marked done, and each exercise
        passed if it was passed under its own id or one of its earlier ids. Nothing is
        rewritten on disk, so an older cnn-tui still reads its own keys."""
        entries = [self.of(course, name) for name in (lesson.id, *lesson.was)]
        passed_ids = {p for entry in entries for p in entry.passed}
        passed = list(entries[0].passed)
        for exercise in lesson.exercises:
            if exercise.id not in passed and passed_ids.intersection((exercise.id, *exercise.was)):
                passed.append(exercise.id)
        return LessonProgress(done=any(entry.done for entry in entries), passed=passed)

    def _entry(self, course: str, lesson: str) -> LessonProgress:
        return self.lessons.setdefault(f"{course}/{lesson}", LessonProgress())

    def pass_exercise(self, course: str, lesson: str, exercise: str) -> str:
        """Record a passed exercise; see `save` for what is returned and raised."""

        def add(entry: LessonProgress) -> None:
            if exercise not in entry.passed:
                entry.passed.append(exercise)

        entry = self._entry(course, lesson)
        if exercise in entry.passed:
            return ""
        add(entry)  # kept for this session even when it cannot be saved
        return self.save(f"{course}/{lesson}", add)

    def set_done(self, course: str, lesson: str, done: bool = True) -> str:
        """Mark a lesson done (or not); see `save` for what is returned and raised."""

        def mark(entry: LessonProgress) -> None:
            entry.done = done

        mark(self._entry(course, lesson))
        return self.save(f"{course}/{lesson}", mark)

    def set_lesson_done(self, course: str, lesson: Lesson, done: bool = True) -> str:
        """set_done for a lesson that may have had other names: un-marking it also un-marks
        them, or the old mark would still count (see for_lesson)."""
        notes = [self.set_done(course, lesson.id, done)]
        if not done:
            notes += [
                self.set_done(course, old, False) for old in lesson.was if self.of(course, old).done
            ]
        return next((note for note in notes if note), "")

    def to_dict(self) -> dict[str, Any]:
        return _as_dict(self.lessons)

    def save(self, key: str | None = None, change: Change | None = None) -> str:
        """Apply `change` to lesson `key` as it is on disk now, write the result atomically and
        take it as this record: marks another cnn-tui made meanwhile are kept, and an un-mark
        stays an un-mark. Returns a note for the student ('' when all went quietly: it is set
        when a corrupt file had to be set aside); OSError when it cannot, or must not
        (`blocked`), write."""
        if self.blocked:
            raise OSError(
                errno.EEXIST,
                "the file there could not be read, so it is not replaced",
                str(self.path),
            )
        with _locked(self.path, create=True):
            note = ""
            try:
                lessons = _read(self.path)
            except _Corrupt as exc:
                if not self.set_aside:
                    raise OSError(
                        errno.EEXIST, f"the file there is unreadable ({exc})", str(self.path)
                    ) from None
                aside = _set_aside(self.path)
                note = (
                    f"progress file {self.path} was unreadable ({exc}); kept as {aside}, "
                    "and this session's progress is saved in its place"
                )
                lessons = _copy(self.lessons)
            if key is not None and change is not None:
                change(lessons.setdefault(key, LessonProgress()))
            write_atomic(self.path, json.dumps(_as_dict(lessons), indent=2) + "\n")
        self.lessons = lessons
        return note


def _as_dict(lessons: dict[str, LessonProgress]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "lessons": {
            key: {"done": entry.done, "passed": sorted(entry.passed)}
            for key, entry in sorted(lessons.items())
        },
    }


def _copy(lessons: dict[str, LessonProgress]) -> dict[str, LessonProgress]:
    return {key: replace(entry, passed=list(entry.passed)) for key, entry in lessons.items()}


class _Corrupt(ValueError):
    """The file was read and does not parse; the message says why ('line 1: ...')."""


def _read(path: Path) -> dict[str, LessonProgress]:
    """The record on disk ({} when there is none); OSError when it cannot be read (a folder, a
    FIFO, too big), _Corrupt when it was read and does not parse."""
    try:
        raw = read_regular(path, PROGRESS_FILE_LIMIT)
    except FileNotFoundError:
        return {}
    try:
        return _parse(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _Corrupt(_why(exc)) from None


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


@contextmanager
def _locked(path: Path, create: bool) -> Iterator[None]:
    """Hold an exclusive flock on '<name>.lock' beside the (symlink-resolved) file, so that a
    read, change and replace by one cnn-tui is never interleaved with another's. Without flock
    (Windows), or where the lock file cannot be made (a read-only folder: the write will say
    why), it goes ahead unlocked. OSError when another cnn-tui holds it for LOCK_WAIT seconds."""
    if fcntl is None:
        yield
        return
    real = resolve_target(path)
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        if create:
            real.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(real.with_name(f"{real.name}.lock"), flags, 0o644)
    except OSError:
        yield
        return
    try:
        _wait_for_lock(fd, path)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _wait_for_lock(fd: int, path: Path) -> None:
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise OSError(
                    errno.EWOULDBLOCK,
                    "another cnn-tui has been saving progress for a while; try again",
                    str(path),
                ) from None
            time.sleep(0.01)
        except OSError:  # a file system without locks (some network shares): go ahead
            return


def _stamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S")


def _set_aside(target: Path) -> Path:
    """Move a corrupt file to '<name>.corrupt-<time>' (then '-2', '-3', ... when that name is
    taken within the same second), never over an existing copy: a hard link fails on a name
    that exists, and only then is the file's own name removed. OSError when it cannot."""
    stamp = _stamp()
    for count in range(1, 1000):
        aside = target.with_name(
            f"{target.name}.corrupt-{stamp}" + (f"-{count}" if count > 1 else "")
        )
        try:
            os.link(target, aside, follow_symlinks=False)
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                raise
            # no hard links on this file system (FAT, some shares): the name checked just
            # before the rename, which is safe from other cnn-tuis while the lock is held
            if os.path.lexists(aside):
                continue
            os.rename(target, aside)
            return aside
        os.unlink(target)
        return aside
    raise OSError(errno.EEXIST, "too many set-aside copies from this second", str(target))


def load_progress(path: Path | str | None = None, *, set_aside: bool = True) -> Progress:
    """The saved progress, or an empty record with a `warning` when the file is no good.

    Only a file that was read and does not parse is corrupt: with set_aside it is moved to
    '<name>.corrupt-<time>' (never deleted) and the student starts afresh; without (a command
    that only reads, such as `lessons --list`) it is reported and left as it is. A path that
    cannot be read at all (a folder, a FIFO, no permission, over PROGRESS_FILE_LIMIT, an I/O
    error) is reported and left alone, and `save` refuses to write over it."""
    target = Path(path) if path is not None else default_progress_path()
    try:
        return Progress(path=target, lessons=_read(target), set_aside=set_aside)
    except OSError as exc:
        return _unreadable(target, exc)
    except _Corrupt as exc:
        reason = str(exc)
    if not set_aside:
        return Progress(
            path=target,
            warning=f"progress file {target} is unreadable ({reason}); left as it is "
            "(opening the lessons sets it aside and starts afresh)",
            blocked=True,
            set_aside=False,
        )
    return _set_aside_on_load(target, reason)


def _unreadable(target: Path, exc: OSError) -> Progress:
    return Progress(
        path=target,
        warning=f"progress file {target} cannot be read ({exc.strerror or exc}); "
        "left as it is, and progress is not saved while it is there",
        blocked=True,
    )


def _set_aside_on_load(target: Path, reason: str) -> Progress:
    """Set a corrupt file aside, under the lock, unless another cnn-tui replaced it meanwhile."""
    with _locked(target, create=False):
        try:
            return Progress(path=target, lessons=_read(target))  # repaired meanwhile
        except OSError as exc:
            return _unreadable(target, exc)
        except _Corrupt as exc:
            reason = str(exc)
        try:
            aside = _set_aside(target)
        except OSError as exc:
            return Progress(
                path=target,
                warning=f"progress file {target} was unreadable ({reason}) and cannot be set "
                f"aside ({exc.strerror or exc}); left as it is, and progress is not saved while "
                "it is there",
                blocked=True,
            )
    return Progress(
        path=target,
        warning=f"progress file {target} was unreadable ({reason}); kept as {aside}, "
        "starting afresh",
    )
