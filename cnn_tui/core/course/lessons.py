"""The course: lesson files (front matter + Markdown + 'Try it' and exercise blocks), parsed.

A lesson is one Markdown file. It starts with front matter between '---' lines (title, order,
minutes, objectives), then Markdown. Two kinds of block, each opened by a line '::: KIND ...'
and closed by a line ':::', sit between paragraphs:

    ::: try stepper seed-conv
    Step through the lecture's 5x5 example and watch the running sum.
    :::

    ::: exercise fc-weights
    kind: number
    question: How many weights connect a 200x200x3 image to 1,000 units?
    answer: linear_params(inputs=200*200*3, outputs=1000, bias=false)
    hint: Every one of the 120,000 input numbers meets every unit.
    :::

The format is documented for teachers in lessons/README.md. Errors name the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import cnn_tui

from ..plain_text import hidden_chars, visible
from ..safe_files import LESSON_FILE_LIMIT, read_regular_text

SCREENS = ("stepper", "builder", "calculators", "train", "playground", "inside")
"""Where a 'Try it' block can send the student."""

KINDS = ("number", "choice", "shape", "task")
"""number: type a number; choice: pick one option; shape: type a shape like 6x28x28;
task: make something happen in the app (checked against its state)."""

_FIELDS = (
    "kind",
    "question",
    "answer",
    "choices",
    "hint",
    "check",
    "tolerance",
    "explain",
    "was",
)


class LessonError(ValueError):
    """A lesson file that cannot be read, with the file and line."""

    def __init__(self, message: str, path: Path | str | None = None, line: int | None = None):
        self.reason = message
        self.path = Path(path) if path is not None else None
        self.line = line
        where = str(self.path) if self.path is not None else "lesson"
        if line is not None:
            where += f" line {line}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Markdown:
    text: str


@dataclass(frozen=True)
class TryIt:
    """A button that opens a screen on a preset, stack or tab, then comes back."""

    screen: str
    target: str
    """Stepper preset, builder/train preset or spec, calculators tab; '' for the screen as is."""
    text: str
    line: int


@dataclass(frozen=True)
class Choice:
    text: str
    marked: bool
    """Marked [x] in the file (for choices whose answer no engine function computes)."""


@dataclass(frozen=True)
class Exercise:
    id: str
    kind: str
    question: str
    line: int
    answer: str = ""
    """An engine expression, e.g. conv_output(size=32, kernel=5); see lesson_answers."""
    choices: tuple[Choice, ...] = ()
    hint: str = ""
    check: str = ""
    """task: a state check, e.g. stack(output=10, max_params=100000)."""
    tolerance: float = 0.0
    """number: relative tolerance (0: exact, after rounding to 6 significant digits)."""
    explain: str = ""
    """Shown once the answer is right (or revealed)."""
    was: tuple[str, ...] = ()
    """Earlier ids of this exercise (`was: old-id, older-id`): a pass saved under one of them
    by an earlier version of the course counts for this exercise."""


Segment = Markdown | TryIt | Exercise


@dataclass(frozen=True)
class Lesson:
    id: str
    """The file name without .md, e.g. '03-convolution-2d'."""
    path: Path
    title: str
    order: int
    minutes: int
    objectives: tuple[str, ...]
    segments: tuple[Segment, ...] = field(repr=False)
    order_line: int = field(default=1, repr=False, compare=False)
    """The line of 'order:' in the front matter, for a duplicate order's message."""
    was: tuple[str, ...] = ()
    """Earlier file names (without .md) of this lesson (`was: 08-old-name`): progress saved
    under one of them counts for this lesson."""

    @property
    def exercises(self) -> tuple[Exercise, ...]:
        return tuple(s for s in self.segments if isinstance(s, Exercise))

    @property
    def try_its(self) -> tuple[TryIt, ...]:
        return tuple(s for s in self.segments if isinstance(s, TryIt))

    def exercise(self, exercise_id: str) -> Exercise:
        for e in self.exercises:
            if e.id == exercise_id:
                return e
        raise KeyError(exercise_id)


@dataclass(frozen=True)
class Course:
    folder: Path
    lessons: tuple[Lesson, ...]
    problems: tuple[LessonError, ...] = ()
    """Files that could not be read (the rest of the course still works)."""

    def find(self, name: str) -> Lesson:
        """By id ('03-convolution-2d'), order number ('3') or a unique part of id or title."""
        key = name.strip().lower()
        for lesson in self.lessons:
            if key in (lesson.id.lower(), str(lesson.order)):
                return lesson
        hits = [
            lesson
            for lesson in self.lessons
            if key in lesson.id.lower() or key in lesson.title.lower()
        ]
        if len(hits) == 1:
            return hits[0]
        names = ", ".join(lesson.id for lesson in (hits or self.lessons))
        what = "matches several lessons" if hits else "is not a lesson"
        raise LessonError(f"{name!r} {what}: {names}", self.folder)


def default_course_dir() -> Path:
    """The course that ships with cnn-tui: lessons/ beside the package in a source checkout
    (and an editable install), cnn_tui/lessons/ inside an installed wheel."""
    package = Path(cnn_tui.__file__).resolve().parent
    for candidate in (package / "lessons", package.parent / "lessons"):
        if candidate.is_dir() and any(candidate.glob("*.md")):
            return candidate
    return package.parent / "lessons"


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------

_BLOCK_OPEN = re.compile(r"^:::\s*(\w+)\s*(.*?)\s*$")
_FIELD = re.compile(r"^([a-z]+):\s?(.*)$")
_CHOICE = re.compile(r"^\s*-\s*\[( |x|X)\]\s*(.+)$")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def _front_matter(lines: list[str], path: Path) -> tuple[dict[str, object], int, dict[str, int]]:
    """The keys and values, the index of the first body line, and the line of each key."""
    if not lines or lines[0].strip() != "---":
        raise LessonError("the file must start with front matter: a line '---'", path, 1)
    meta: dict[str, object] = {}
    where: dict[str, int] = {}
    key = None
    for number, raw in enumerate(lines[1:], start=2):
        line = raw.rstrip()
        if line.strip() == "---":
            return meta, number, where
        if not line.strip():
            continue
        item = re.match(r"^\s+-\s+(.+)$", line) or re.match(r"^-\s+(.+)$", line)
        listed = meta.get(key) if key is not None else None
        if item and isinstance(listed, list):
            listed.append(item.group(1).strip())
            continue
        match = re.match(r"^([a-z_]+):\s*(.*)$", line)
        if not match:
            raise LessonError(
                f"front matter line {line.strip()!r} is not 'key: value'", path, number
            )
        key, value = match.group(1), match.group(2).strip()
        if key in meta:
            raise LessonError(f"front matter '{key}' is given twice", path, number)
        meta[key] = value if value else []
        where[key] = number
    raise LessonError("the front matter is not closed by a line '---'", path, 1)


def _whole(meta: dict[str, object], key: str, path: Path, line: int, least: int = 1) -> int:
    value = meta.get(key)
    # isdigit() also passes '²' and other digits int() refuses; an ASCII run of 1-9 digits only
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{1,9}", value) or int(value) < least:
        raise LessonError(f"front matter '{key}' must be a whole number, not {value!r}", path, line)
    return int(value)


def _check_shown_text(meta: dict[str, object], path: Path, where: dict[str, int]) -> None:
    """Refuse a title or objective holding a control character (ESC, a bell...): the app and
    the list would have to show it as an escape such as \\x1b, so the teacher should know."""
    for key in ("title", "objectives"):
        value = meta[key]
        for text in value if isinstance(value, list) else [value]:
            hidden = hidden_chars(str(text))
            if hidden:
                shown = ", ".join(visible(c) for c in hidden)
                raise LessonError(
                    f"front matter '{key}' holds a control character ({shown}): remove it",
                    path,
                    where[key],
                )


def _checked_objectives(meta: dict[str, object], path: Path, where: dict[str, int]) -> list[object]:
    """The objectives, once the front matter has every key it needs, no other, and shown text
    that is plain; raises LessonError at the first key at fault."""
    for key in ("title", "order", "minutes", "objectives"):
        if key not in meta or meta[key] in ("", []):
            raise LessonError(f"front matter lacks '{key}'", path, where.get(key, 1))
    unknown = sorted(
        set(meta) - {"title", "order", "minutes", "objectives", "was"}, key=where.__getitem__
    )
    if unknown:
        raise LessonError(f"unknown front matter key {unknown[0]!r}", path, where[unknown[0]])
    objectives = meta["objectives"]
    if not isinstance(objectives, list):
        raise LessonError("'objectives' must be a list of '- ' lines", path, where["objectives"])
    if not isinstance(meta["title"], str):
        raise LessonError("'title' must be text on the same line", path, where["title"])
    _check_shown_text(meta, path, where)
    return objectives


def parse_lesson(text: str, path: Path | str) -> Lesson:
    path = Path(path)
    lines = text.splitlines()
    meta, body_start, where = _front_matter(lines, path)
    objectives = _checked_objectives(meta, path, where)
    # read before the body, so a bad number is reported before a problem further down
    order = _whole(meta, "order", path, where["order"])
    minutes = _whole(meta, "minutes", path, where["minutes"])
    segments: list[Segment] = []
    prose: list[str] = []
    seen_ids: set[str] = set()
    i = body_start
    while i < len(lines):
        line = lines[i]
        match = _BLOCK_OPEN.match(line)
        if not match:
            if line.strip() == ":::":
                raise LessonError("a ':::' closes no block", path, i + 1)
            prose.append(line)
            i += 1
            continue
        opened = i + 1
        kind, argument = match.group(1), match.group(2)
        block: list[str] = []
        i += 1
        while i < len(lines) and lines[i].strip() != ":::":
            if _BLOCK_OPEN.match(lines[i]):
                raise LessonError(f"the '{kind}' block opened here is not closed", path, opened)
            block.append(lines[i])
            i += 1
        if i >= len(lines):
            raise LessonError(
                f"the '{kind}' block opened here is not closed by ':::'", path, opened
            )
        i += 1
        if "\n".join(prose).strip():
            segments.append(Markdown("\n".join(prose).strip("\n")))
        prose = []
        if kind == "try":
            segments.append(_try_it(argument, block, path, opened))
        elif kind == "exercise":
            exercise = _exercise(argument, block, path, opened)
            if exercise.id in seen_ids:
                raise LessonError(f"exercise id {exercise.id!r} is used twice", path, opened)
            seen_ids.add(exercise.id)
            segments.append(exercise)
        else:
            raise LessonError(f"unknown block '{kind}': use 'try' or 'exercise'", path, opened)
    if "\n".join(prose).strip():
        segments.append(Markdown("\n".join(prose).strip("\n")))
    for segment in segments:
        if isinstance(segment, Exercise) and seen_ids.intersection(segment.was):
            taken = sorted(seen_ids.intersection(segment.was))[0]
            raise LessonError(
                f"exercise {segment.id!r}: 'was: {taken}' names an exercise of this lesson",
                path,
                segment.line,
            )
    return Lesson(
        id=path.stem,
        path=path,
        title=str(meta["title"]),
        order=order,
        minutes=minutes,
        objectives=tuple(str(o) for o in objectives),
        segments=tuple(segments),
        order_line=where["order"],
        was=_earlier_ids(meta.get("was", ""), "front matter 'was'", path, where.get("was", 1)),
    )


def _earlier_ids(value: object, what: str, path: Path, line: int) -> tuple[str, ...]:
    """'a, b' (or a '- ' list) of earlier ids, each shaped like an id."""
    items = value if isinstance(value, list) else str(value).split(",")
    ids = tuple(str(item).strip() for item in items if str(item).strip())
    for earlier in ids:
        if not _ID.match(earlier):
            raise LessonError(
                f"{what}: {earlier!r} is not an id (lower-case letters, digits and '-')", path, line
            )
    return ids


def _try_it(argument: str, block: list[str], path: Path, line: int) -> TryIt:
    words = argument.split(maxsplit=1)
    if not words or words[0] not in SCREENS:
        raise LessonError(
            f"'::: try' needs a screen: one of {', '.join(SCREENS)} (then a preset or spec)",
            path,
            line,
        )
    # the lines reflow like exercise fields: joined with spaces, an empty line a new paragraph
    text = "\n\n".join(
        " ".join(part.split()) for part in "\n".join(block).split("\n\n") if part.strip()
    )
    if not text:
        raise LessonError("a 'try' block needs a line saying what to try", path, line)
    return TryIt(words[0], words[1].strip() if len(words) > 1 else "", text, line)


def _exercise(argument: str, block: list[str], path: Path, line: int) -> Exercise:
    exercise_id = argument.strip()
    if not _ID.match(exercise_id):
        raise LessonError(
            f"'::: exercise' needs an id of lower-case letters, digits and '-', "
            f"not {exercise_id!r}",
            path,
            line,
        )
    values: dict[str, str] = {}
    choices: list[Choice] = []
    key = None
    for offset, raw in enumerate(block, start=1):
        choice = _CHOICE.match(raw)
        if key == "choices" and choice:
            choices.append(Choice(choice.group(2).strip(), choice.group(1) != " "))
            continue
        if key == "choices" and choices and raw.startswith(" ") and raw.strip():
            # an indented line continues the option above it
            last = choices[-1]
            choices[-1] = Choice(f"{last.text} {raw.strip()}", last.marked)
            continue
        match = _FIELD.match(raw)
        if match and match.group(1) in _FIELDS:
            key = match.group(1)
            if key in values:
                raise LessonError(f"'{key}' is given twice", path, line + offset)
            values[key] = match.group(2).strip()
        elif match and not raw.startswith(" "):
            raise LessonError(
                f"unknown exercise field '{match.group(1)}': use {', '.join(_FIELDS)}",
                path,
                line + offset,
            )
        elif key is not None and key != "choices":
            # continuation lines reflow into the field; a blank line starts a new paragraph
            text = raw.strip()
            if not text:
                values[key] += "\n\n"
            elif not values[key] or values[key].endswith("\n\n"):
                values[key] += text
            else:
                values[key] += " " + text
        elif raw.strip():
            raise LessonError(f"{raw.strip()!r} belongs to no field", path, line + offset)
    values = {k: v.strip() for k, v in values.items()}
    kind = values.get("kind", "")
    if kind not in KINDS:
        raise LessonError(f"exercise kind must be one of {', '.join(KINDS)}", path, line)
    if not values.get("question"):
        raise LessonError("an exercise needs a 'question'", path, line)
    if kind in ("number", "shape") and not values.get("answer"):
        raise LessonError(f"a {kind} exercise needs an 'answer' the engine computes", path, line)
    if kind == "choice":
        if len(choices) < 2:
            raise LessonError("a choice exercise needs two or more '- [ ] ...' choices", path, line)
        marked = sum(c.marked for c in choices)
        if not values.get("answer") and marked != 1:
            raise LessonError(
                "mark exactly one choice [x], or give an 'answer' that picks one", path, line
            )
    if kind == "task" and not values.get("check"):
        raise LessonError("a task exercise needs a 'check', e.g. stack(output=10)", path, line)
    try:
        tolerance = float(values.get("tolerance", "0") or 0)
    except ValueError:
        raise LessonError("'tolerance' must be a number", path, line) from None
    return Exercise(
        id=exercise_id,
        kind=kind,
        question=values["question"],
        line=line,
        answer=values.get("answer", ""),
        choices=tuple(choices),
        hint=values.get("hint", ""),
        check=values.get("check", ""),
        tolerance=tolerance,
        explain=values.get("explain", ""),
        was=_earlier_ids(values.get("was", ""), "'was'", path, line),
    )


def load_lesson(path: Path | str) -> Lesson:
    path = Path(path)
    try:
        # regular files only (a FIFO would hang the reader), of bounded size; a BOM is skipped
        text = read_regular_text(path, LESSON_FILE_LIMIT)
    except OSError as exc:
        raise LessonError(f"cannot be read: {exc.strerror or exc}", path) from None
    except UnicodeDecodeError as exc:
        byte = exc.object[exc.start : exc.start + 1].hex()
        raise LessonError(
            f"cannot be read: not UTF-8 text (byte 0x{byte} at offset {exc.start})", path
        ) from None
    return parse_lesson(text, path)


def load_course(folder: Path | str | None = None) -> Course:
    """Every lesson of a folder (README.md excepted), in order; unreadable files are collected
    in `problems` so one bad lesson does not hide the rest."""
    root = Path(folder).expanduser() if folder is not None else default_course_dir()
    if not root.is_dir():
        raise LessonError("is not a folder of lessons", root)
    lessons: list[Lesson] = []
    problems: list[LessonError] = []
    for path in sorted(root.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        try:
            lessons.append(load_lesson(path))
        except LessonError as exc:
            problems.append(exc)
    if not lessons and not problems:
        raise LessonError("holds no lesson files (*.md)", root)
    lessons.sort(key=lambda lesson: (lesson.order, lesson.id))
    first: dict[int, Lesson] = {}
    for lesson in lessons:
        if lesson.order in first:
            # both stay readable; the course list would otherwise show two lessons numbered alike
            problems.append(
                LessonError(
                    f"order {lesson.order} is already the order of {first[lesson.order].id}",
                    lesson.path,
                    lesson.order_line,
                )
            )
        first.setdefault(lesson.order, lesson)
    return Course(folder=root, lessons=tuple(lessons), problems=tuple(problems))
