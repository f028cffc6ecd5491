"""ExerciseCard: one exercise of a lesson: predict, check, hint, reveal."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, RadioSet, Static

from ...core.lesson_answers import Verdict, expected_text, mark
from ...core.lessons import Exercise, Lesson, LessonError
from .lesson_choice import ChoiceButton

KIND_TITLES = {
    "number": "Predict the number",
    "shape": "Predict the shape",
    "choice": "Choose one",
    "task": "Make it happen",
}


class ExerciseCard(Vertical):
    """A question with a place to answer and a verdict line; tasks ask the screen to check."""

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
        """A task's Check was pressed: the screen knows the app's state."""

        def __init__(self, card: ExerciseCard) -> None:
            super().__init__()
            self.card = card

    def __init__(self, exercise: Exercise, lesson: Lesson, passed: bool = False) -> None:
        super().__init__(classes="exercise", id=f"exercise-{exercise.id}")
        self.exercise = exercise
        self.lesson = lesson
        self.passed = passed
        self.tries = 0

    def compose(self) -> ComposeResult:
        e = self.exercise
        yield Label(self._title(), classes="exercise-title")
        # lesson text is shown as written: brackets such as G[i][j] are not markup
        yield Static(e.question, classes="exercise-question", markup=False)
        if e.kind == "choice":
            with RadioSet(classes="exercise-choices"):
                for choice in e.choices:
                    yield ChoiceButton(Text(choice.text))
        with Horizontal(classes="exercise-row"):
            if e.kind in ("number", "shape"):
                placeholder = "a number" if e.kind == "number" else "a shape, e.g. 6x28x28"
                yield Input(placeholder=placeholder, classes="exercise-answer")
            yield Button("Check", variant="primary", classes="exercise-check")
            if e.kind != "task":
                yield Button("Show answer", classes="exercise-reveal")
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

    def response(self) -> str:
        if self.exercise.kind == "choice":
            chosen = self.query_one(RadioSet).pressed_index
            return "" if chosen < 0 else str(chosen + 1)
        if self.exercise.kind == "task":
            return ""
        return self.query_one(Input).value

    def check(self) -> None:
        if self.exercise.kind == "task":
            self.post_message(self.CheckTask(self))
            return
        answer = self.response()
        if not answer.strip():
            what = "pick an option" if self.exercise.kind == "choice" else "type your answer"
            self.show(Verdict(False, f"{what} first"))
            return
        try:
            verdict = mark(self.exercise, answer, self.lesson)
        except LessonError as exc:
            self.show(Verdict(False, f"this exercise is broken: {exc}"))
            return
        self.show(verdict)

    def show(self, verdict: Verdict) -> None:
        """Show a verdict (from check() or, for tasks, from the screen)."""
        self.tries += 1
        line = self.query_one(".exercise-verdict", Static)
        line.set_class(verdict.correct, "right")
        line.set_class(not verdict.correct, "wrong")
        line.update(("✓ " if verdict.correct else "✗ ") + verdict.message)
        line.add_class("shown")
        if verdict.correct:
            self._explain()
            if not self.passed:
                self.passed = True
                self.add_class("passed")
                self.query_one(".exercise-title", Label).update(self._title())
                self.post_message(self.Passed(self))

    def reveal(self) -> None:
        try:
            answer = expected_text(self.exercise, self.lesson)
        except LessonError as exc:
            answer = f"(cannot be computed: {exc})"
        line = self.query_one(".exercise-verdict", Static)
        line.remove_class("right", "wrong")
        line.update(f"The answer: {answer}")
        line.add_class("shown")
        self._explain()

    def _explain(self) -> None:
        if self.exercise.explain:
            explain = self.query_one(".exercise-explain", Static)
            explain.update(self.exercise.explain)
            explain.add_class("shown")
