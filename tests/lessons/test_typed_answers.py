"""Issue 15: a typed number may be arithmetic (worked out by the course's safe evaluator, with
its limits); a fraction where the answer is a whole number says so; a trained() task counts
every run finished in this app session."""

from __future__ import annotations

from typing import Any

import pytest

from cnn_tui.core.course.answer_expressions import MAX_EXPRESSION_CHARS
from cnn_tui.core.course.lesson_answers import LessonState, check_task
from cnn_tui.core.course.lessons import Exercise, load_course
from cnn_tui.core.course.marking import mark, typed_number


def number_exercise(answer: str, tolerance: float = 0.0) -> Exercise:
    return Exercise(id="x", kind="number", question="?", line=1, answer=answer, tolerance=tolerance)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("5*5*3+1", 76),
        ("5 * 5 * 3 + 1", 76),
        ("(7-3)/2+1", 3),
        ("2**10", 1024),
        ("1,200*3", 3600),
        ("1.2e8", 1.2e8),
        ("-3", -3),
        ("100/360", 100 / 360),
        ("17 % 5", 2),
    ],
)
def test_arithmetic_and_plain_numbers(text: str, value: float) -> None:
    assert typed_number(text) == pytest.approx(value)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "five",
        "1/0",
        "(",
        "10**10**10",  # over the evaluator's limit on digits: refused, not computed
        "conv_params(kernel=5)",  # names and calls are never evaluated
        "__import__('os')",
        "1" + "+1" * MAX_EXPRESSION_CHARS,  # over the limit on length
        "-(" * 200 + "1" + ")" * 200,  # over the limit on nesting
        "[1]",
    ],
)
def test_what_is_not_a_number(text: str) -> None:
    assert typed_number(text) is None


def test_arithmetic_is_marked_and_shown_worked_out() -> None:
    exercise = number_exercise("conv_params(kernel=5, in_channels=3, out_channels=1)")
    right = mark(exercise, "5*5*3+1")
    assert right.correct and right.message == "right: 76 (5*5*3+1 = 76)"
    wrong = mark(exercise, "5*5*3")
    assert not wrong.correct and wrong.message == "5*5*3 = 75 is too low."
    assert mark(exercise, "76").message == "right: 76"
    refused = mark(exercise, "five")
    assert not refused.correct and "arithmetic such as 5*5*3+1" in refused.message


def test_a_fraction_for_a_whole_answer_says_it_must_be_whole() -> None:
    width = number_exercise("conv_output(size=16, kernel=4)")  # 13
    said = mark(width, "2.5")
    assert not said.correct
    assert said.message.startswith("2.5 is not a whole number")
    assert "too" not in said.message
    assert mark(width, "13.0").correct  # a whole number written with a point is fine
    assert "not a whole number" in mark(width, "27/2").message
    # a fractional answer, or one with a tolerance, takes fractions as before
    assert mark(number_exercise("100 / 360"), "0.28").correct
    assert mark(number_exercise("1000", tolerance=0.01), "1000.5").correct


def test_every_whole_answer_of_the_course_still_passes_typed_as_shown() -> None:
    from cnn_tui.core.course.marking import expected_text

    for lesson in load_course().lessons:
        for exercise in lesson.exercises:
            if exercise.kind == "number":
                assert mark(exercise, expected_text(exercise, lesson), lesson).correct


def _summary(runs: int, accuracy: float = 0.9, model: str = "seed-mnist") -> dict[str, Any]:
    return {
        "model": model,
        "dataset": "digits",
        "runs": [{"test_accuracy": accuracy, "status": "done"} for _ in range(runs)],
    }


def test_any_run_finished_this_session_counts() -> None:
    lesson = next(x for x in load_course().lessons if x.order == 13)
    race = lesson.exercise("race-three")
    state = LessonState(training=_summary(1), earlier_training=(_summary(3),))
    said = check_task(race, state, lesson)
    assert said.correct and said.message.startswith("an earlier run this session")
    lecture = lesson.exercise("train-lecture-net")
    mixed = LessonState(
        training=_summary(1, 0.5), earlier_training=(_summary(1, 0.97), _summary(1, 0.2))
    )
    assert check_task(lecture, mixed, lesson).correct
    alone = check_task(race, LessonState(training=_summary(1)), lesson)
    assert not alone.correct and "race at least 3 optimizers" in alone.message


def test_no_run_says_what_counts() -> None:
    lesson = next(x for x in load_course().lessons if x.order == 13)
    said = check_task(lesson.exercise("race-three"), LessonState(), lesson)
    assert not said.correct
    assert said.message.startswith("no training run has finished in this app session yet")
    assert "the command line or an earlier session do not count" in said.message
