"""LessonList: the course's lessons with minutes and progress, plus any files that failed."""

from __future__ import annotations

import textwrap

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ....core.course.lessons import Course, Lesson
from ....core.course.progress import Progress
from ....core.plain_text import visible


LABEL_WIDTH = 25
"""The columns a label may use: the list is 30 wide, less its border, padding and scrollbar."""


def lesson_label(
    lesson: Lesson, progress: Progress, course: str, width: int = LABEL_WIDTH
) -> Text:
    """'✓  3 2/6 Convolution in two dimensions': a long title wraps under itself, indented
    past the number and score (never cut)."""
    entry = progress.for_lesson(course, lesson)
    total = len(lesson.exercises)
    passed = len(set(entry.passed) & {e.id for e in lesson.exercises})
    text = Text(overflow="fold")
    text.append("✓" if entry.done else " ", style="bold green")
    text.append(f"{lesson.order:>3} ")
    if total:
        style = "green" if passed == total else "dim"
        text.append(f"{passed}/{total} ", style=style)
    indent = text.cell_len
    # a Text is never parsed as markup; ESC still needs visible()
    lines = textwrap.wrap(
        visible(lesson.title),
        max(width - indent, 8),
        break_long_words=False,  # one long word is folded by the list instead
        break_on_hyphens=False,
    )
    text.append(("\n" + " " * indent).join(lines))
    return text


class LessonList(OptionList):
    """One option per lesson (id = lesson id); broken files are listed, disabled, at the end."""

    def show_course(self, course: Course, progress: Progress) -> None:
        highlighted = self.highlighted
        self.clear_options()
        key = course.folder.name
        options = [
            Option(lesson_label(lesson, progress, key), id=lesson.id) for lesson in course.lessons
        ]
        for problem in course.problems:
            name = problem.path.name if problem.path else "?"
            label = Text(visible(f"⚠ {name}: {problem.reason}"), style="red")
            options.append(Option(label, id=f"problem-{name}", disabled=True))
        self.add_options(options)
        if highlighted is not None and highlighted < len(course.lessons):
            self.highlighted = highlighted
