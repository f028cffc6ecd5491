"""The `lessons` subcommand: open, list or check a course."""

from __future__ import annotations

import argparse

from ..core.plain_text import plural, visible
from .app_launch import open_app
from .common import EXIT_BAD_INPUT, _console, _error, _print_json, _text


def cmd_lessons(args: argparse.Namespace) -> int:
    """Open the lessons reader, or list / check a course without the app."""
    from ..core.course.lessons import load_course

    course = load_course(args.lessons)  # a missing folder is one line, exit 2
    if args.check:
        return _check_course(course, args.name)
    if args.list or args.json:
        return _list_course(course, args.json)
    if args.name:
        course.find(args.name)  # an unknown lesson is reported before the app opens
    return open_app("lessons", lessons_dir=str(course.folder), lesson=args.name or None)


def _check_course(course, name: str | None = None) -> int:
    """Check every lesson, or only the one named (a file that did not parse counts too)."""
    from ..core.course.lessons import LessonError
    from ..core.course.marking import validate_course

    lessons, problems, where = course.lessons, list(course.problems), str(course.folder)
    if name:
        try:
            lessons = (course.find(name),)
            problems = [p for p in problems if p.path == lessons[0].path]
        except LessonError:
            key = name.strip().lower()
            broken = [p for p in problems if p.path is not None and key in p.path.stem.lower()]
            if len(broken) != 1:
                raise
            lessons, problems = (), broken
        where = str(lessons[0].path if lessons else problems[0].path)
    problems += validate_course(lessons)
    for problem in problems:
        _error(str(problem))
    exercises = sum(len(lesson.exercises) for lesson in lessons)
    if problems:
        return EXIT_BAD_INPUT
    count = plural(len(lessons), "lesson")
    _console().print(
        f"{visible(where)}: {count}, {plural(exercises, 'exercise')}, "
        "every answer computed and every Try-it target found",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    return 0


def _list_course(course, as_json: bool) -> int:
    from ..core.course.progress import load_progress

    progress = load_progress(set_aside=False)  # a listing only reads: it moves nothing
    key = course.folder.name
    rows = []
    for lesson in course.lessons:
        entry = progress.for_lesson(key, lesson)
        ids = {e.id for e in lesson.exercises}
        rows.append(
            {
                "order": lesson.order,
                "id": lesson.id,
                "title": lesson.title,
                "minutes": lesson.minutes,
                "exercises": len(ids),
                "passed": len(ids & set(entry.passed)),
                "done": entry.done,
            }
        )
    if progress.warning:
        _error(progress.warning)
    if as_json:
        _print_json(
            {
                "folder": str(course.folder),
                "lessons": rows,
                "problems": [str(p) for p in course.problems],
            }
        )
        return 0
    from rich import box
    from rich.table import Table

    table = Table(pad_edge=False, header_style="bold", box=box.SIMPLE_HEAD)
    for name in ("#", "lesson", "min", "exercises", "done"):
        table.add_column(name, justify="left" if name == "lesson" else "right")
    for row in rows:
        # the title and file name are the lesson file's: plain text, never markup
        lesson = _text(row["title"], 200)
        lesson.append(f"  {visible(row['id'])}", style="dim")
        table.add_row(
            str(row["order"]),
            lesson,
            str(row["minutes"]),
            f"{row['passed']}/{row['exercises']}",
            "✓" if row["done"] else "",
        )
    console = _console()
    console.print(table)
    for problem in course.problems:
        _error(str(problem))
    return 0
