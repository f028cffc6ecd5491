"""The evaluator's limits: an operation budget (a sum of long optimizer runs stops at once), a
cap on an expression's length and nesting (no MemoryError, no traceback), and model files that
are FIFOs refused before they are opened. Every course answer stays far inside the limits."""

from __future__ import annotations

import ast
import os
import threading
from pathlib import Path

import pytest

from cnn_tui.cli import main
from cnn_tui.core.course import answer_expressions
from cnn_tui.core.course.answer_expressions import (
    MAX_EXPRESSION_CHARS,
    OPERATION_BUDGET,
    ExpressionLimitError,
    evaluate,
    parse,
)
from cnn_tui.core.course.lesson_answers import ANSWERS, CHECKS, LessonState, check_task, compute
from cnn_tui.core.course.lessons import Exercise, LessonError, load_course, parse_lesson
from cnn_tui.core.course.marking import validate_course_answers
from cnn_tui.core.stacks.stack import Stack
from cnn_tui.core.stacks.spec_parser import parse_layers

FRONT = "---\ntitle: Limits\norder: 1\nminutes: 5\nobjectives:\n  - x\n---\n\n# Limits\n"

ADAM = "adam_step(grad=1, steps=100000)"
HOSTILE = " + ".join([ADAM] * 50)  # 1,700 characters: under the length cap


def exercise(answer: str) -> str:
    return f"\n::: exercise e\nkind: number\nquestion: q\nanswer: {answer}\n:::\n"


def test_the_budget_counts_nodes_and_each_calls_work():
    # 1 Expression + 1 Call + 2 argument values + 10 steps = 14 operations
    tree = parse("adam_step(grad=1, steps=10)")
    assert evaluate(tree, ANSWERS, budget=14) == pytest.approx(0.001)
    with pytest.raises(ExpressionLimitError) as info:
        evaluate(tree, ANSWERS, budget=13)
    assert str(info.value) == "it does too much work: more than 13 operations"


def test_a_sum_of_long_optimizer_runs_stops_at_the_budget_with_the_file_and_line(monkeypatch):
    # 19 runs fit in 2,000,000 operations; the 20th is refused as it starts, before its loop
    assert len(HOSTILE) < MAX_EXPRESSION_CHARS
    steps_made = []
    real = ANSWERS["adam_step"]

    def counting(**kwargs):
        value = real(**kwargs)  # raises before simulating any step when over the budget
        steps_made.append(kwargs["steps"])
        return value

    monkeypatch.setitem(ANSWERS, "adam_step", counting)
    lesson = parse_lesson(FRONT + exercise(HOSTILE), Path("course/01-limits.md"))
    with pytest.raises(LessonError) as info:
        compute(HOSTILE, lesson.exercises[0], lesson)
    assert str(info.value) == (
        f"course/01-limits.md line 11: answer {HOSTILE[:157] + '...'!r} cannot be computed: "
        "it does too much work: more than 2,000,000 operations"
    )
    assert sum(steps_made) == 1_900_000


@pytest.mark.parametrize(
    ("expression", "cost"),
    [
        # 6 nodes, 4 + 4 grid cells, 2x2 outputs x 4 kernel cells x 25
        ("conv_cell(input='1 2; 3 4', kernel='1 0; 0 1', row=0, col=0)", 414),
        # 6 nodes, 4 + 2 cells, at most 6 outputs (4 + 1 padding each end) x 2 kernel cells x 25
        ("conv1d_cell(signal='1 2 3 4', kernel='1 1', index=0, padding=1)", 312),
        # 6 nodes, 16 cells, 2x2 outputs x 4 window cells x 25
        ("pool_cell(input='1 2 3 4; 5 6 7 8; 1 2 3 4; 5 6 7 8', size=2, row=0, col=0)", 422),
        # 4 nodes, 100 rows x 50
        ("stack_params(model='relu*100', input='3x8x8')", 5_004),
        # 5 nodes, 7 steps
        ("momentum_velocity(grad=1, momentum=0.5, steps=7)", 12),
    ],
    ids=["conv", "conv1d", "pool", "tally", "momentum"],
)
def test_each_call_is_charged_for_its_size(expression, cost):
    tree = parse(expression)
    evaluate(tree, ANSWERS, budget=cost)
    with pytest.raises(ExpressionLimitError) as info:
        evaluate(tree, ANSWERS, budget=cost - 1)
    assert str(info.value) == f"it does too much work: more than {cost - 1:,} operations"


def test_a_task_check_is_charged_for_the_builders_stack():
    # 3 nodes, 10 rows x 50
    state = LessonState(stack=Stack(parse_layers("relu*10"), (3, 8, 8)))
    tree = parse("stack(max_params=10)")
    assert evaluate(tree, CHECKS, state, budget=503).correct
    with pytest.raises(ExpressionLimitError):
        evaluate(tree, CHECKS, state, budget=502)


def test_every_course_answer_costs_under_a_fiftieth_of_the_budget():
    course = load_course(Path(__file__).parents[2] / "lessons")
    counted = 0
    for lesson in course.lessons:
        for item in lesson.exercises:
            if item.kind == "task":
                evaluate(parse(item.check), CHECKS, LessonState(), budget=OPERATION_BUDGET // 50)
            elif item.answer:
                evaluate(parse(item.answer), ANSWERS, budget=OPERATION_BUDGET // 50)
            counted += 1
    assert counted == 83  # the whole course, not a sample


def test_a_100000_character_answer_is_one_message_not_a_memory_error():
    answer = "1+" * 50_000 + "1"
    with pytest.raises(LessonError) as info:
        compute(answer)
    assert str(info.value) == (
        f"lesson: answer {answer[:157] + '...'!r} cannot be computed: it is 100,001 characters "
        "long; an expression may have at most 2,000"
    )


class ParserThatFails:
    """The ast module as answer_expressions sees it, with a parse() that raises `error`."""

    def __init__(self, error: type[BaseException]) -> None:
        self.error = error

    def parse(self, *args, **kwargs):
        raise self.error()

    def __getattr__(self, name: str):
        return getattr(ast, name)


def test_the_length_cap_is_checked_before_parsing(monkeypatch):
    monkeypatch.setattr(answer_expressions, "ast", ParserThatFails(AssertionError))
    with pytest.raises(ExpressionLimitError) as info:
        parse("(" * 2_001)
    assert str(info.value) == "it is 2,001 characters long; an expression may have at most 2,000"


@pytest.mark.parametrize("error", [RecursionError, MemoryError])
def test_a_parser_that_runs_out_of_stack_or_memory_is_one_message(monkeypatch, error):
    monkeypatch.setattr(answer_expressions, "ast", ParserThatFails(error))
    with pytest.raises(LessonError) as info:
        compute("1 + 1")
    assert str(info.value) == (
        "lesson: answer '1 + 1' cannot be computed: it is nested more than 100 levels deep"
    )


def test_nesting_up_to_the_limit_is_fine():
    assert compute("-" * 99 + "1") == -1  # 100 levels
    with pytest.raises(LessonError, match=r"it is nested more than 100 levels deep$"):
        compute("-" * 100 + "1")


def test_a_long_check_is_one_message_in_the_app_and_in_validation(tmp_path):
    check = "stack(" + "output=10, " * 200 + ")"
    task = Exercise(id="t", kind="task", question="q", line=3, check=check)
    with pytest.raises(LessonError) as info:
        check_task(task, LessonState())
    assert str(info.value) == (
        f"lesson line 3: check {check[:157] + '...'!r} cannot run: it is 2,207 characters "
        "long; an expression may have at most 2,000"
    )
    body = f"\n::: exercise t\nkind: task\nquestion: q\ncheck: {check}\n:::\n"
    lesson = parse_lesson(FRONT + body, tmp_path / "01-limits.md")
    (problem,) = validate_course_answers([lesson])
    assert str(problem) == (
        f"{tmp_path / '01-limits.md'} line 11: check cannot be read: it is 2,207 characters "
        "long; an expression may have at most 2,000"
    )


def test_lessons_check_reports_an_overlong_answer_and_exits_2(tmp_path, capsys):
    course = tmp_path / "course"
    course.mkdir()
    answer = "1+" * 50_000 + "1"
    (course / "01-long.md").write_text(FRONT + exercise(answer))
    assert main(["lessons", "--lessons", str(course), "--check"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"cnn-tui: {course / '01-long.md'} line 11: answer '1+1+1+")
    assert err.endswith(
        "cannot be computed: it is 100,001 characters long; an expression may have at most 2,000\n"
    )
    assert "Traceback" not in err


def finishes(function, fifo: Path):
    """function()'s outcome (a value or the exception it raised), or a failure, not a hung
    test, when it blocks on the FIFO."""
    out: list = []

    def call() -> None:
        try:
            out.append(function())
        except BaseException as exc:  # handed to the test's thread
            out.append(exc)

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(10)
    if worker.is_alive():
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # release the blocked reader
        worker.join(10)
        pytest.fail(f"reading {fifo} blocked")
    return out[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_named_as_a_model_is_refused_not_read(tmp_path):
    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)
    answer = f"stack_params(model='{fifo}')"
    outcome = finishes(lambda: compute(answer), fifo)
    assert isinstance(outcome, LessonError)
    assert str(outcome) == (
        f"lesson: answer {answer!r} cannot be computed: {fifo}: cannot be read (it is a FIFO "
        "(named pipe), not a regular file)"
    )
