"""The lessons screen: the course list with progress, and a reader with Try-it buttons and
exercises that check answers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Header, OptionList, Static

from ...core.course.first_screen import first_screen
from ...core.course.lessons import (
    Course,
    Exercise,
    Lesson,
    LessonError,
    Segment,
    TryIt,
    load_course,
)
from ...core.course.lessons import Markdown as MarkdownSegment
from ...core.course.progress import Progress, load_progress
from ...core.plain_text import visible
from ..messages import OpenTryIt
from ..widgets.common.steady_footer import SteadyFooter
from ..widgets.lessons.lesson_list import LessonList, lesson_label
from ..widgets.lessons.lesson_markdown import LessonMarkdown
from ..widgets.lessons.try_it import TryItCard

if TYPE_CHECKING:
    # the exercises (and the checks behind them) are imported when a lesson first shows one:
    # most first screenfuls are prose
    from ...core.course.lesson_answers import LessonState
    from ..widgets.lessons.exercise import ExerciseCard

NARROW = 100
"""Below this many columns the lessons list starts hidden."""


class LessonsScreen(Screen[None]):
    """Read a lesson, try things in the other screens, answer its exercises."""

    BINDINGS = [
        Binding("n", "move(1)", "Next", tooltip="Open the next lesson", id="next"),
        Binding("p", "move(-1)", "Previous", tooltip="Open the previous lesson", id="previous"),
        Binding("d", "toggle_done", "Done", tooltip="Mark this lesson done (or not)", id="done"),
        Binding("l", "toggle_list", "List", tooltip="Show or hide the lessons list", id="list"),
        Binding(
            "escape",
            "leave_field",
            "Reader",
            tooltip="Leave an answer field; back to scrolling the lesson",
            id="leave",
            show=False,
        ),
        Binding("tab", "next_stop(1)", "Next field", show=False),
        Binding("shift+tab", "next_stop(-1)", "Previous field", show=False),
    ]

    class Shown(Message):
        """A lesson is on screen whole (its first screen comes first, the rest after)."""

        def __init__(self, lesson: Lesson) -> None:
            super().__init__()
            self.lesson = lesson

    def __init__(
        self,
        course_dir: str | Path | None = None,
        lesson: str | None = None,
        progress_path: str | Path | None = None,
        state_of: Callable[[], LessonState] | None = None,
    ) -> None:
        super().__init__()
        self.state_of = state_of
        """What 'make it happen' tasks are checked against, read when one is checked (the app
        sets it: the other screens' stack, training and stepper); None: an empty state."""
        self.course_dir = course_dir
        self.first_lesson = lesson
        self.progress_path = progress_path
        self.course: Course | None = None
        self.progress: Progress = load_progress(progress_path)
        self.lesson: Lesson | None = None
        self.opening = 0
        """Counts lessons opened: the rest of an earlier one is not added to a later one."""
        self.complete = False
        """Whether the lesson shown is whole (its rest added after the first paint)."""
        self.left_field: Widget | None = None
        """The answer field (or button) escape left: tab from the reader comes back to it
        while it is on screen."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="lessons-body"):
            with Vertical(id="lessons-side"):
                yield Static("", id="course-title")
                yield LessonList(id="lesson-list")
            yield VerticalScroll(id="lesson-reader")
        yield Static("", id="lessons-message")
        yield SteadyFooter()

    @property
    def course_key(self) -> str:
        return self.course.folder.name if self.course else ""

    async def on_mount(self) -> None:
        try:
            self.course = load_course(self.course_dir)
        except LessonError as exc:
            self.say(str(exc), "error")
            return
        if self.app.size.width < NARROW:
            # at 80 columns the reader needs the whole width; `l` brings the list back
            self.query_one("#lessons-side").display = False
            self.query_one("#lesson-reader", VerticalScroll).focus()
        if self.progress.warning:
            self.say(self.progress.warning, "warning")
            self.notify(
                visible(self.progress.warning), severity="warning", timeout=10, markup=False
            )
        self.query_one("#course-title", Static).update(self._course_title())
        self.query_one(LessonList).show_course(self.course, self.progress)
        lesson = self._first_lesson()
        if lesson is not None:
            await self.open_lesson(lesson)
        elif self.course.problems:
            self.say(str(self.course.problems[0]), "error")

    def _course_title(self) -> Content:
        assert self.course is not None
        done = sum(self.progress.for_lesson(self.course_key, x).done for x in self.course.lessons)
        # the folder's name is the user's: plain text, never markup
        return Content.assemble(
            (visible(self.course.folder.name), "bold"), f"  {done}/{len(self.course.lessons)} done"
        )

    def _first_lesson(self) -> Lesson | None:
        assert self.course is not None
        if self.first_lesson:
            try:
                return self.course.find(self.first_lesson)
            except LessonError as exc:
                self.say(str(exc), "error")
        for lesson in self.course.lessons:
            if not self.progress.for_lesson(self.course_key, lesson).done:
                return lesson
        return self.course.lessons[0] if self.course.lessons else None

    def say(self, text: str, tone: str = "info") -> None:
        line = self.query_one("#lessons-message", Static)
        line.set_classes(f"-{tone}")
        # messages quote lesson titles and file names: plain text, control characters shown
        line.update(Content(visible(text)))

    # -- reading -------------------------------------------------------------------------------

    async def open_lesson(self, lesson: Lesson) -> None:
        """Show a lesson: what fills the first screen at once, the rest after that paint."""
        self.lesson = lesson
        self.opening += 1
        self.complete = False
        reader = self.query_one("#lesson-reader", VerticalScroll)
        await reader.remove_children()
        split = first_screen(lesson.segments, self.app.size.height)
        shown = [self._heading(lesson), *self._widgets_for(lesson, lesson.segments[: split.first])]
        head = None
        if split.tail:
            head = self._markdown(split.head)
            shown.append(head)
        await reader.mount_all(shown)
        reader.scroll_home(animate=False)
        lesson_list = self.query_one(LessonList)
        index = lesson_list.get_option_index(lesson.id)
        if lesson_list.highlighted != index:
            lesson_list.highlighted = index
        self._say_status(lesson)
        later = lesson.segments[split.first + (1 if split.tail else 0) :]
        self.call_after_refresh(self._show_rest, self.opening, head, split.head, split.tail, later)

    async def _show_rest(
        self,
        opening: int,
        head: LessonMarkdown | None,
        head_text: str,
        tail: str,
        later: tuple[Segment, ...],
    ) -> None:
        """The rest of the lesson, once its first screen is painted (unless another lesson
        was opened meanwhile)."""
        if opening != self.opening or self.lesson is None:
            return
        if head is not None and tail:
            if not head.is_attached:
                return  # the screen is closing
            # the whole segment again, parsed as one: the same blocks as without the split
            await head.update(visible(head_text + tail, keep="\n\t"))
        if opening != self.opening:
            return
        reader = self.query_one("#lesson-reader", VerticalScroll)
        if not reader.is_attached:
            return
        await reader.mount_all(self._widgets_for(self.lesson, later))
        if opening == self.opening:
            self.complete = True
            self.post_message(self.Shown(self.lesson))

    def _say_status(self, lesson: Lesson, news: str = "") -> None:
        """The status line: whether the lesson is done (said again whenever that changes)."""
        entry = self.progress.for_lesson(self.course_key, lesson)
        state = "done" if entry.done else "not done yet"
        lead = f"{news} · " if news else ""
        self.say(f"{lead}Lesson {lesson.order}: {state} · n/p next/previous, d done, l list")

    def _heading(self, lesson: Lesson) -> Static:
        objectives = "\n".join(f"• {visible(o)}" for o in lesson.objectives)
        # the title and objectives are the file's text: shown as written, never as markup
        heading = Content.assemble(
            (f"Lesson {lesson.order}: {visible(lesson.title)}", "bold"),
            f"  ·  about {lesson.minutes} minutes\n",
            ("You will be able to:", "dim"),
            f"\n{objectives}",
        )
        return Static(heading, classes="lesson-heading")

    @staticmethod
    def _markdown(text: str) -> LessonMarkdown:
        return LessonMarkdown(visible(text, keep="\n\t"), classes="lesson-text")

    def _widgets_for(self, lesson: Lesson, segments: Sequence[Segment]) -> list[Widget]:
        entry = self.progress.for_lesson(self.course_key, lesson)
        widgets: list[Widget] = []
        for segment in segments:
            if isinstance(segment, MarkdownSegment):
                widgets.append(self._markdown(segment.text))
            elif isinstance(segment, TryIt):
                widgets.append(TryItCard(segment))
            elif isinstance(segment, Exercise):
                from ..widgets.lessons.exercise import ExerciseCard

                widgets.append(ExerciseCard(segment, lesson, passed=segment.id in entry.passed))
        return widgets

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._open_by_id(event.option.id)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if self.query_one(LessonList).has_focus:
            self._open_by_id(event.option.id)

    def _open_by_id(self, lesson_id: str | None) -> None:
        if self.course is None or lesson_id is None:
            return
        if self.lesson is not None and self.lesson.id == lesson_id:
            return
        for lesson in self.course.lessons:
            if lesson.id == lesson_id:
                self.run_worker(self.open_lesson(lesson), exclusive=True, group="lesson")

    async def action_move(self, step: int) -> None:
        if self.course is None or not self.course.lessons:
            return
        lessons = list(self.course.lessons)
        index = lessons.index(self.lesson) if self.lesson in lessons else -1
        target = min(max(index + step, 0), len(lessons) - 1)
        if target != index:
            await self.open_lesson(lessons[target])

    def action_toggle_done(self) -> None:
        if self.lesson is None:
            return
        done = not self.progress.for_lesson(self.course_key, self.lesson).done
        if self._set_done(self.lesson, done):
            self.say(f"{self.lesson.title}: {'done' if done else 'not done'}")

    def _set_done(self, lesson: Lesson, done: bool) -> bool:
        """Mark a lesson (kept for this session either way); False, said in red, if not saved."""
        try:
            self._progress_note(self.progress.set_lesson_done(self.course_key, lesson, done))
        except OSError as exc:
            self.say(f"progress not saved: {exc.strerror or exc}", "error")
            self._refresh_list()
            return False
        self._refresh_list()
        return True

    def _progress_note(self, note: str) -> None:
        """Tell the student when a save found the file corrupt (it was set aside)."""
        if note:
            self.notify(note, severity="warning", timeout=10)

    def _refresh_list(self) -> None:
        if self.course is None:
            return
        lesson_list = self.query_one(LessonList)
        for lesson in self.course.lessons:
            lesson_list.replace_option_prompt(
                lesson.id, lesson_label(lesson, self.progress, self.course_key)
            )
        self.query_one("#course-title", Static).update(self._course_title())

    def action_toggle_list(self) -> None:
        side = self.query_one("#lessons-side")
        side.display = not side.display
        if side.display:
            self.query_one(LessonList).focus()
        else:
            self.query_one("#lesson-reader", VerticalScroll).focus()

    def action_leave_field(self) -> None:
        reader = self.query_one("#lesson-reader", VerticalScroll)
        focused = self.focused
        if focused is not None and reader in focused.ancestors:
            self.left_field = focused
        reader.focus(scroll_visible=False)  # the lesson stays where it was being read

    def action_next_stop(self, step: int) -> None:
        """Tab and shift+tab: from the reader, the nearest field or button at the place being
        read (not the first of the lesson); from anywhere else, the next one in order."""
        reader = self.query_one("#lesson-reader", VerticalScroll)
        target = None
        if self.focused is reader:
            stops = [w for w in self.focus_chain if reader in w.ancestors]
            target = self._stop_at_reading(reader, stops, step)
        if target is not None:
            target.focus()
        elif step > 0:
            self.focus_next()
        else:
            self.focus_previous()

    def _stop_at_reading(
        self, reader: VerticalScroll, stops: list[Widget], step: int
    ) -> Widget | None:
        view = reader.region
        left = self.left_field
        if left in stops and left is not None and view.overlaps(left.region):
            return left
        if step > 0:
            return next((w for w in stops if w.region.y >= view.y), None)
        return next((w for w in reversed(stops) if w.region.y < view.bottom), None)

    # -- exercises and Try it -------------------------------------------------------------------

    def on_exercise_card_passed(self, event: ExerciseCard.Passed) -> None:
        lesson = event.card.lesson
        saved = True
        try:
            note = self.progress.pass_exercise(self.course_key, lesson.id, event.card.exercise.id)
            self._progress_note(note)
        except OSError as exc:
            self.say(f"progress not saved: {exc.strerror or exc}", "error")
            saved = False
        entry = self.progress.for_lesson(self.course_key, lesson)
        if not entry.done and {e.id for e in lesson.exercises} <= set(entry.passed):
            if self._set_done(lesson, True) and saved:
                self.notify(f"Lesson {lesson.order} done: every exercise passed")
                if lesson is self.lesson:
                    self._say_status(lesson, "every exercise passed")
        else:
            self._refresh_list()

    def on_exercise_card_check_task(self, event: ExerciseCard.CheckTask) -> None:
        event.stop()
        from ...core.course.lesson_answers import LessonState

        # the state is read here, on the UI thread; the card checks it in a worker
        state = self.state_of() if self.state_of is not None else LessonState()
        event.card.check_against(state)

    def on_try_it_card_open(self, event: TryItCard.Open) -> None:
        event.stop()
        self.post_message(OpenTryIt(event.try_it))

    def try_it_answered(self, problem: str | None) -> None:
        """The app's answer to OpenTryIt: the reason it could not open, or None when it did."""
        if problem:
            self.say(problem, "error")
        else:
            self.notify("Press 1 to come back to the lesson", timeout=6)
