"""Lesson files: parsing, errors with file and line, marking answers, task checks, progress."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cnn_tui.core.course.lesson_answers import LessonState, check_task, compute
from cnn_tui.core.course.lessons import (
    Exercise,
    LessonError,
    Markdown,
    TryIt,
    default_course_dir,
    load_course,
    parse_lesson,
)
from cnn_tui.core.course.marking import (
    correct_choice,
    expected_text,
    mark,
    parse_number,
    validate_course_answers,
)
from cnn_tui.core.course.progress import load_progress
from cnn_tui.core.stacks.zoo import resolve_stack

GOOD = """\
---
title: Sizes
order: 4
minutes: 10
objectives:
  - Predict output sizes
  - Count parameters
---

# Sizes

Some prose.

::: try stepper uneven-stride
Watch the uncovered cells.
:::

More prose.

::: exercise first-size
kind: number
question: A 32x32 image, a 5x5 kernel:
  how many rows come out?
answer: conv_output(size=32, kernel=5)
hint: O = (W - F + 2P) / S + 1
:::

::: exercise which
kind: choice
question: Which keeps depth?
choices:
- [ ] convolution with 6 filters
- [x] pooling
:::

::: exercise computed-choice
kind: choice
question: Output rows at stride 3?
answer: conv_output(size=7, kernel=3, stride=3)
choices:
- [ ] 3
- [ ] 2
- [ ] 1
:::

::: exercise shape
kind: shape
question: Six 5x5 filters on 3x32x32?
answer: output_shape(model='conv(6,5)', input='3x32x32')
:::

::: exercise small-net
kind: task
question: Build a stack that ends in 10 values with under 100,000 parameters.
check: stack(output=10, max_params=100000)
hint: pool early, keep the linear layer small
:::
"""


def lesson(text: str = GOOD, name: str = "04-sizes.md"):
    return parse_lesson(text, Path("course") / name)


def test_a_lesson_parses_into_prose_try_its_and_exercises():
    parsed = lesson()
    assert (parsed.id, parsed.title, parsed.order, parsed.minutes) == ("04-sizes", "Sizes", 4, 10)
    assert parsed.objectives == ("Predict output sizes", "Count parameters")
    kinds = [type(s).__name__ for s in parsed.segments]
    assert kinds == [
        "Markdown",
        "TryIt",
        "Markdown",
        "Exercise",
        "Exercise",
        "Exercise",
        "Exercise",
        "Exercise",
    ]
    assert parsed.segments[0] == Markdown("# Sizes\n\nSome prose.")
    assert parsed.segments[1] == TryIt("stepper", "uneven-stride", "Watch the uncovered cells.", 14)
    first = parsed.exercise("first-size")
    assert first.question == "A 32x32 image, a 5x5 kernel: how many rows come out?"
    assert first.line == 20
    assert [c.marked for c in parsed.exercise("which").choices] == [False, True]


def test_numbers_are_marked_against_the_engine():
    parsed = lesson()
    first = parsed.exercise("first-size")
    assert compute(first.answer) == 28
    assert mark(first, "28").correct
    assert mark(first, " 28 ").message == "right: 28"
    wrong = mark(first, "27")
    assert not wrong.correct
    assert wrong.message == "27 is too low. Hint: O = (W - F + 2P) / S + 1"
    assert mark(first, "thirty").message.startswith("type a number")


def test_float_answers_accept_what_rounds_the_same():
    exercise = Exercise("p", "number", "q", 1, answer="softmax(values='1 2 3', index=2)")
    assert mark(exercise, "0.67").correct
    assert mark(exercise, "0.665").correct
    assert not mark(exercise, "0.6").correct
    assert not mark(exercise, "1").correct
    tolerant = Exercise("p", "number", "q", 1, answer="1000", tolerance=0.1)
    assert mark(tolerant, "950").correct and not mark(tolerant, "850").correct


def test_parse_number_reads_the_usual_spellings():
    assert parse_number("120,000,000") == 120_000_000
    assert parse_number("1.2e8") == 120_000_000
    assert parse_number("1/16") == 0.0625
    assert parse_number("120 000 000") == 120_000_000
    assert parse_number("x") is None
    assert parse_number("inf") is None


def test_choices_by_mark_or_by_computed_answer():
    parsed = lesson()
    which = parsed.exercise("which")
    assert correct_choice(which) == 1
    assert mark(which, "2").correct and mark(which, "b").correct and mark(which, "pooling").correct
    assert not mark(which, "1").correct
    assert mark(which, "7").message == "pick one of the 2 options"
    computed = parsed.exercise("computed-choice")
    assert correct_choice(computed) == 1
    assert expected_text(computed) == "2"


def test_shapes_accept_channels_first_or_last():
    shape = lesson().exercise("shape")
    assert mark(shape, "6x28x28").correct
    assert mark(shape, "28 x 28 x 6").correct
    assert mark(shape, "28×28×6").correct
    assert not mark(shape, "6x32x32").correct


def test_tasks_check_the_builders_stack():
    task = lesson().exercise("small-net")
    assert not check_task(task, LessonState()).correct
    big = check_task(task, LessonState(stack=resolve_stack("seed-mnist")))
    assert not big.correct
    assert big.message == (
        "431,080 parameters: get under 100,000. Hint: pool early, keep the linear layer small"
    )
    small = resolve_stack("conv(8,5) relu maxpool(4) flatten linear(10)", (1, 28, 28))
    assert check_task(task, LessonState(stack=small)).correct
    not_ten = resolve_stack("conv(8,5) relu maxpool(4) flatten linear(12)", (1, 28, 28))
    assert "ends in 12; it should end in 10" in check_task(task, LessonState(stack=not_ten)).message


def test_training_and_stepper_checks():
    trained = Exercise("t", "task", "q", 1, check="trained(min_accuracy=0.95, model=seed-mnist)")
    summary = {"model": "seed-mnist", "dataset": "digits", "runs": [{"test_accuracy": 0.97}]}
    assert check_task(trained, LessonState(training=summary)).correct
    low = {**summary, "runs": [{"test_accuracy": 0.5}]}
    assert check_task(trained, LessonState(training=low)).message.startswith(
        "best test accuracy 50.0%"
    )
    race = Exercise("r", "task", "q", 1, check="trained(race=3)")
    assert not check_task(race, LessonState(training=summary)).correct
    stepper = Exercise(
        "s", "task", "q", 1, check="stepper(preset=seed-full-conv, mode=convolution)"
    )
    state = LessonState(stepper={"preset": "seed-full-conv", "mode": "convolution"})
    assert check_task(stepper, state).correct
    state.stepper["mode"] = "correlation"
    assert "set the stepper's mode to convolution" in check_task(stepper, state).message


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (("---\ntitle", "title"), 1, "must start with front matter"),
        (("order: 4", "order: four"), 3, "'order' must be a whole number"),
        (("::: try stepper uneven-stride", "::: try nowhere"), 14, "needs a screen"),
        (("kind: number", "kind: essay"), 20, "exercise kind must be one of"),
        (("answer: conv_output(size=32, kernel=5)\n", ""), 20, "needs an 'answer'"),
        (("- [x] pooling", "- [ ] pooling"), 28, "mark exactly one choice"),
        (("::: exercise which", "::: exercise Which!"), 28, "needs an id"),
        (("hint: O", "colour: O"), 25, "unknown exercise field 'colour'"),
        (("check: stack(output=10, max_params=100000)\n", ""), 52, "needs a 'check'"),
    ],
)
def test_malformed_lessons_name_file_and_line(change, line, message):
    old, new = change
    assert old in GOOD
    with pytest.raises(LessonError) as info:
        lesson(GOOD.replace(old, new, 1))
    assert info.value.line == line
    assert message in str(info.value)
    assert str(info.value).startswith(f"course/04-sizes.md line {line}: ")


def test_an_unclosed_block_names_where_it_opened():
    text = GOOD.rsplit(":::", 1)[0]
    with pytest.raises(LessonError, match=r"line 52: the 'exercise' block opened here is not"):
        lesson(text)


def test_bad_answer_expressions_are_caught_by_validation(tmp_path):
    bad = GOOD.replace("conv_output(size=32, kernel=5)", "conv_output(size=32, kernal=5)")
    bad = bad.replace("stack(output=10", "stacks(output=10")
    (tmp_path / "04-sizes.md").write_text(bad)
    course = load_course(tmp_path)
    problems = [str(p) for p in validate_course_answers(course.lessons)]
    assert len(problems) == 2
    assert (
        "04-sizes.md line 20: answer 'conv_output(size=32, kernal=5)' cannot be computed"
        in (problems[0])
    )
    assert "unexpected keyword argument 'kernal'" in problems[0]
    assert "line 52: check stacks() is unknown" in problems[1]


def test_only_safe_expressions_run():
    for evil in ("__import__('os').system('true')", "open('/etc/passwd')", "(1).__class__"):
        with pytest.raises(LessonError):
            compute(evil)
    assert compute("2 ** 10 - 24") == 1000


def test_a_course_keeps_going_past_a_broken_lesson(tmp_path):
    (tmp_path / "04-sizes.md").write_text(GOOD)
    (tmp_path / "05-broken.md").write_text("no front matter\n")
    (tmp_path / "README.md").write_text("# not a lesson\n")
    course = load_course(tmp_path)
    assert [lesson.id for lesson in course.lessons] == ["04-sizes"]
    assert [p.line for p in course.problems] == [1]
    assert course.find("4").id == course.find("sizes").id == "04-sizes"
    with pytest.raises(LessonError, match="'pool' is not a lesson"):
        course.find("pool")
    with pytest.raises(LessonError, match="is not a folder of lessons"):
        load_course(tmp_path / "missing")


def test_the_shipped_course_is_found():
    folder = default_course_dir()
    assert folder.name == "lessons"
    assert (folder / "README.md").is_file()


def test_progress_survives_a_reload(tmp_path):
    path = tmp_path / "p" / "progress.json"
    progress = load_progress(path)
    assert progress.warning == ""
    progress.pass_exercise("lessons", "04-sizes", "first-size")
    progress.pass_exercise("lessons", "04-sizes", "first-size")
    progress.set_done("lessons", "04-sizes")
    again = load_progress(path)
    entry = again.of("lessons", "04-sizes")
    assert entry.done and entry.passed == ["first-size"]
    assert json.loads(path.read_text())["format"] == "cnn-tui-progress"
    assert not again.of("lessons", "05-other").done


def test_corrupt_progress_is_set_aside_not_fatal(tmp_path):
    path = tmp_path / "progress.json"
    path.write_text("{not json")
    progress = load_progress(path)
    assert progress.lessons == {}
    assert "was unreadable" in progress.warning and "kept as" in progress.warning
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("progress.json.corrupt-")]
    assert len(kept) == 1 and kept[0].read_text() == "{not json"
    progress.set_done("lessons", "01-why")
    assert load_progress(path).of("lessons", "01-why").done


def test_progress_path_follows_the_environment(monkeypatch, tmp_path):
    from cnn_tui.core.course.progress import default_progress_path

    monkeypatch.delenv("CNN_TUI_PROGRESS", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_progress_path() == tmp_path / "cnn-tui" / "progress.json"
    monkeypatch.setenv("CNN_TUI_PROGRESS", str(tmp_path / "mine.json"))
    assert default_progress_path() == tmp_path / "mine.json"
