"""ExerciseCard: one exercise of a lesson: predict, check, hint, reveal.

Answers are checked (and revealed) by a thread worker that posts the verdict back, so a slow
answer never stalls the interface; the verdict line says 'checking…' meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Static
from textual.worker import get_current_worker

from ....core.course.lesson_answers import LessonState, Verdict, check_task
from ....core.course.lessons import Exercise, Lesson, LessonError
from ....core.course.marking import expected_text, mark
from ....core.plain_text import visible
from .answer_input import AnswerInput
from .choice import ChoiceButton
from .choice_set import ChoiceSet

KIND_TITLES = {
    "number": "Predict the number",
    "shape": "Predict the shape",
    "choice": "Choose one",
    "task": "Make it happen",
}


class ExerciseCard(Vertical):
    """A question with a place to answer and a verdict line; tasks ask the screen to check.

    The answer (a field, or the set of choices) is the card's one tab stop: enter checks it and
    ctrl+r shows the answer; the buttons are for the mouse. A task's Check is its tab stop."""

    BINDINGS = [
        Binding("ctrl+r", "reveal", "Show answer", tooltip="Show the answer and why"),
    ]

    DEFAULT_CSS = """
    ExerciseCard {
        height: auto;
        border: round $accent 60%;
        padding: 0 1;
        margin: 1 0;
    }
    ExerciseCard.passed {
        border: round $success;
    }
    ExerciseCard .exercise-title {
        text-style: bold;
        color: $accent;
    }
    ExerciseCard.passed .exercise-title {
        color: $success;
    }
    ExerciseCard .exercise-question {
        margin-bottom: 1;
    }
    ExerciseCard .exercise-choices {
        height: auto;
        width: 100%;
        margin-bottom: 1;
    }
    ExerciseCard .exercise-row {
        height: auto;
    }
    ExerciseCard .exercise-answer {
        width: 1fr;
        max-width: 32;
        min-width: 12;
    }
    ExerciseCard Button {
        margin-left: 1;
        width: auto;
        min-width: 8;
    }
    ExerciseCard .exercise-check {
        text-style: bold;
    }
    ExerciseCard .exercise-verdict {
        height: auto;
        display: none;
    }
    ExerciseCard .exercise-verdict.shown, ExerciseCard .exercise-explain.shown {
        display: block;
    }
    ExerciseCard .exercise-verdict.right {
        color: $success;
    }
    ExerciseCard .exercise-verdict.wrong {
        color: $error;
    }
    ExerciseCard .exercise-verdict.pending {
        color: $foreground-muted;
        text-style: italic;
    }
    ExerciseCard .exercise-explain {
        height: auto;
        display: none;
        color: $foreground-muted;
    }
    """

    class Passed(Message):
        def __init__(self, card: ExerciseCard) -> None:
            super().__init__()
            self.card = card

    class CheckTask(Message):
        """A task's Check was pressed: the screen knows the app's state (and answers with
        `check_against`)."""

        def __init__(self, card: ExerciseCard) -> None:
            super().__init__()
            self.card = card

    class Judged(Message):
        """A worker finished checking an answer (verdict) or working one out (answer)."""

        def __init__(
            self, card: ExerciseCard, serial: int, verdict: Verdict | None, answer: str = ""
        ) -> None:
            super().__init__()
            self.card = card
            self.serial = serial
            """Which request it answers: only the latest one's result is shown."""
            self.verdict = verdict
            """The verdict of a check; None for a revealed answer."""
            self.answer = answer

    def __init__(self, exercise: Exercise, lesson: Lesson, passed: bool = False) -> None:
        super().__init__(classes="exercise", id=f"exercise-{exercise.id}")
        self.exercise = exercise
        self.lesson = lesson
        self.passed = passed
        self.tries = 0
        self.serial = 0
        """Counts check and reveal requests; a worker's result for an older one is dropped."""

    def compose(self) -> ComposeResult:
        e = self.exercise
        yield Label(self._title(), classes="exercise-title")
        # lesson text is shown as written: brackets such as G[i][j] are not markup
        yield Static(visible(e.question, keep="\n"), classes="exercise-question", markup=False)
        if e.kind == "choice":
            with ChoiceSet(classes="exercise-choices"):
                for choice in e.choices:
                    yield ChoiceButton(Text(visible(choice.text)))
        with Horizontal(classes="exercise-row"):
            if e.kind in ("number", "shape"):
                placeholder = "a number" if e.kind == "number" else "a shape, e.g. 6x28x28"
                yield AnswerInput(placeholder=placeholder, classes="exercise-answer")
            # not blue: only focus is highlighted; the label says which key does the same
            check = Button("Check ⏎", classes="exercise-check")
            check.can_focus = e.kind == "task"  # elsewhere the answer is the one tab stop
            yield check
            if e.kind != "task":
                reveal = Button("Show answer ^r", classes="exercise-reveal")
                reveal.can_focus = False
                yield reveal
        yield Static("", classes="exercise-verdict", markup=False)
        yield Static("", classes="exercise-explain", markup=False)

    def _title(self) -> str:
        mark_text = "  ✓ passed" if self.passed else ""
        return f"{KIND_TITLES[self.exercise.kind]}{mark_text}"

    def on_mount(self) -> None:
        if self.passed:
            self.add_class("passed")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.has_class("exercise-reveal"):
            self.reveal()
        else:
            self.check()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.check()

    def on_choice_set_picked(self, event: ChoiceSet.Picked) -> None:
        event.stop()
        self.check("" if event.index < 0 else str(event.index + 1))

    def action_reveal(self) -> None:
        if self.exercise.kind != "task":
            self.reveal()

    def response(self) -> str:
        if self.exercise.kind == "choice":
            chosen = self.query_one(ChoiceSet).pressed_index
            return "" if chosen < 0 else str(chosen + 1)
        if self.exercise.kind == "task":
            return ""
        return self.query_one(Input).value

    def check(self, answer: str | None = None) -> None:
        """Check the answer (None: the one given now) in a worker (a task asks the screen for
        the app's state first)."""
        if self.exercise.kind == "task":
            self.post_message(self.CheckTask(self))
            return
        answer = self.response() if answer is None else answer
        if not answer.strip():
            self.serial += 1  # a check still running is no longer wanted
            what = "pick an option" if self.exercise.kind == "choice" else "type your answer"
            self.show(Verdict(False, f"{what} first"))
            return
        exercise, lesson = self.exercise, self.lesson
        self._judge(lambda: mark(exercise, answer, lesson), "exercise")

    def check_against(self, state: LessonState) -> None:
        """Check this task against the app's state (read by the screen on the UI thread)."""
        exercise, lesson = self.exercise, self.lesson
        self._judge(lambda: check_task(exercise, state, lesson), "task")

    def _judge(self, judge: Callable[[], Verdict], what: str) -> None:
        self.serial += 1
        self._pending("checking…")
        self._judge_in_background(self.serial, judge, what)

    @work(thread=True, exclusive=True, exit_on_error=False, group="exercise-answer")
    def _judge_in_background(self, serial: int, judge: Callable[[], Verdict], what: str) -> None:
        try:
            verdict = judge()
        except LessonError as exc:
            verdict = Verdict(False, f"this {what} is broken: {exc}")
        except Exception as exc:  # never leave the line saying 'checking…'
            verdict = Verdict(False, f"this {what} cannot be checked: {exc}")
        if not get_current_worker().is_cancelled:
            self.post_message(self.Judged(self, serial, verdict))

    @on(Judged)
    def show_judgement(self, event: Judged) -> None:
        event.stop()
        if event.card is not self or event.serial != self.serial:
            return  # an older request's result, or another card's
        if event.verdict is not None:
            self.show(event.verdict)
        else:
            self._show_answer(event.answer)

    def _pending(self, text: str) -> None:
        line = self.query_one(".exercise-verdict", Static)
        line.remove_class("right", "wrong")
        line.add_class("pending", "shown")
        line.update(text)

    @property
    def checking(self) -> bool:
        """Whether a check or reveal is still being worked out."""
        return self.query_one(".exercise-verdict", Static).has_class("pending")

    def show(self, verdict: Verdict) -> None:
        """Show a verdict (from a check's worker, or one the card judged at once)."""
        self.tries += 1
        line = self.query_one(".exercise-verdict", Static)
        line.remove_class("pending")
        line.set_class(verdict.correct, "right")
        line.set_class(not verdict.correct, "wrong")
        line.update(visible(("✓ " if verdict.correct else "✗ ") + verdict.message, keep="\n"))
        line.add_class("shown")
        if verdict.correct:
            self._explain()
            if not self.passed:
                self.passed = True
                self.add_class("passed")
                self.query_one(".exercise-title", Label).update(self._title())
                self.post_message(self.Passed(self))

    def reveal(self) -> None:
        """Work out the answer in a worker, then show it (and the explanation)."""
        self.serial += 1
        self._pending("working out the answer…")
        self._reveal_in_background(self.serial)

    @work(thread=True, exclusive=True, exit_on_error=False, group="exercise-answer")
    def _reveal_in_background(self, serial: int) -> None:
        try:
            answer = expected_text(self.exercise, self.lesson)
        except Exception as exc:  # LessonError, or anything else: never leave 'working out…'
            answer = f"(cannot be computed: {exc})"
        if not get_current_worker().is_cancelled:
            self.post_message(self.Judged(self, serial, None, answer))

    def _show_answer(self, answer: str) -> None:
        line = self.query_one(".exercise-verdict", Static)
        line.remove_class("right", "wrong", "pending")
        line.update(visible(f"The answer: {answer}", keep="\n"))
        line.add_class("shown")
        self._explain()

    def _explain(self) -> None:
        if self.exercise.explain:
            explain = self.query_one(".exercise-explain", Static)
            explain.update(visible(self.exercise.explain, keep="\n"))
            explain.add_class("shown")
