"""Broken course files: the real line of a front-matter problem, duplicate orders, answers too
big to compute, one clear message for a bad call, check arguments, and `--check NAME`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cnn_tui.cli import main
from cnn_tui.core.course.lesson_answers import compute
from cnn_tui.core.course.lessons import LessonError, load_course, load_lesson, parse_lesson
from cnn_tui.core.course.marking import validate_course, validate_course_answers

FRONT = """\
---
title: Broken
order: 4
minutes: 10
objectives:
  - x
---

# Broken
"""


def lesson_file(folder: Path, name: str, order: int, body: str = "") -> Path:
    path = folder / name
    path.write_text(FRONT.replace("order: 4", f"order: {order}") + body)
    return path


def exercise(answer: str, ident: str = "e") -> str:
    return f"\n::: exercise {ident}\nkind: number\nquestion: q\nanswer: {answer}\n:::\n"


# --- front matter names its real line ------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            "minutes: 10",
            "minutes: ten",
            4,
            "front matter 'minutes' must be a whole number, not 'ten'",
        ),
        ("order: 4", "order: 4²", 3, "front matter 'order' must be a whole number, not '4²'"),
        ("minutes: 10", "minutes: 0", 4, "front matter 'minutes' must be a whole number, not '0'"),
        ("minutes: 10", "minutes: 10\ncolour: red", 5, "unknown front matter key 'colour'"),
        ("objectives:\n  - x", "objectives: x", 5, "'objectives' must be a list of '- ' lines"),
        ("title: Broken", "title: Broken\ntitle: Again", 3, "front matter 'title' is given twice"),
        ("minutes: 10\n", "", 1, "front matter lacks 'minutes'"),
        ("minutes: 10", "minutes:", 4, "front matter lacks 'minutes'"),
    ],
)
def test_front_matter_errors_name_their_line(old, new, line, message):
    assert old in FRONT
    with pytest.raises(LessonError) as info:
        parse_lesson(FRONT.replace(old, new, 1), Path("course/04-broken.md"))
    assert str(info.value) == f"course/04-broken.md line {line}: {message}"


def test_a_lesson_with_a_bom_loads_and_a_folder_is_one_message(tmp_path):
    path = tmp_path / "01-bom.md"
    path.write_bytes(b"\xef\xbb\xbf" + FRONT.encode())
    assert load_lesson(path).title == "Broken"
    folder = tmp_path / "02-dir.md"
    folder.mkdir()
    with pytest.raises(LessonError) as info:
        load_lesson(folder)
    assert str(info.value) == f"{folder}: cannot be read: it is a folder, not a file"
    binary = tmp_path / "03-binary.md"
    binary.write_bytes(b"---\n\xff\n")
    with pytest.raises(LessonError) as info:
        load_lesson(binary)
    assert str(info.value) == f"{binary}: cannot be read: not UTF-8 text (byte 0xff at offset 4)"


# --- duplicate order -----------------------------------------------------------------------------


def test_a_duplicate_order_is_a_problem_on_the_later_file(tmp_path):
    lesson_file(tmp_path, "03-first.md", 3)
    lesson_file(tmp_path, "05-second.md", 3)
    lesson_file(tmp_path, "06-other.md", 6)
    course = load_course(tmp_path)
    assert [lesson.id for lesson in course.lessons] == ["03-first", "05-second", "06-other"]
    assert [str(p) for p in course.problems] == [
        f"{tmp_path / '05-second.md'} line 3: order 3 is already the order of 03-first"
    ]


# --- answers that would never finish -------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("10 ** 10 ** 10", "it is larger than 10**100"),
        ("(10**90) * (10**90)", "it is larger than 10**100"),
        ("2 * 10 ** 200 + 1", "'10 ** 200' is larger than 10**100"),
        ("1 + " + "9" * 120, "'" + "9" * 37 + "...' is larger than 10**100"),
        ("'ab' * 1000000000", "it mixes text into arithmetic, which works on numbers"),
        ("1e308 * 10 - 1", "'1e+308 * 10' is inf, not a finite number"),
        (
            "momentum_velocity(grad=1, momentum=0.9, steps=10**12)",
            "steps must be a whole number from 1 to 100,000, got 1000000000000",
        ),
        ("-" * 150 + "1", "it is nested more than 100 levels deep"),
        ("(-8) ** 0.5 + 1", "'(-8) ** 0.5' is not a real number"),
    ],
    ids=[
        "power tower",
        "product",
        "inner power",
        "literal",
        "text",
        "inf",
        "steps",
        "deep",
        "complex",
    ],
)
def test_huge_answers_are_refused_with_the_file_and_line(answer, reason):
    text = FRONT + exercise(answer)
    lesson = parse_lesson(text, Path("course/04-broken.md"))
    with pytest.raises(LessonError) as info:
        compute(answer, lesson.exercises[0], lesson)
    assert str(info.value) == (
        f"course/04-broken.md line 11: answer {answer!r} cannot be computed: {reason}"
    )


def test_big_but_sane_answers_still_compute():
    assert compute("2 ** 100") == 2**100
    assert compute("0.995 ** 100") == pytest.approx(0.6057704364907278)
    assert compute("(2 * 2 + 1) ** 2") == 25
    assert compute("10 ** -400") == 0.0


def test_the_power_tower_ends_at_once_on_the_command_line(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    lesson_file(course, "01-tower.md", 1, exercise("10 ** 10 ** 10", "tower"))
    result = subprocess.run(
        [sys.executable, "-m", "cnn_tui", "lessons", "--lessons", str(course), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr == (
        f"cnn-tui: {course / '01-tower.md'} line 11: answer '10 ** 10 ** 10' cannot be "
        "computed: it is larger than 10**100\n"
    )


# --- one clear message for a bad call ------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("conv_output(size=3)", "conv_output(): missing a required argument: 'kernel'"),
        (
            "conv_output(size=32, kernal=5)",
            "conv_output(): got an unexpected keyword argument 'kernal' "
            "(it takes size, kernel, stride, padding, dilation)",
        ),
        ("linear_params(1, 2, 3, 4)", "linear_params(): too many positional arguments"),
        ("softmax(values='1 2 3', index=7)", "softmax(): list index out of range"),
    ],
)
def test_a_bad_call_is_one_message(answer, reason):
    with pytest.raises(LessonError) as info:
        compute(answer)
    assert str(info.value) == f"lesson: answer {answer!r} cannot be computed: {reason}"


# --- check arguments -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("check", "reason"),
    [
        ("stack(max_params=-1)", "max_params must be a whole number of at least 1, got -1"),
        ("stack(min_params=1.5)", "min_params must be a whole number of at least 0, got 1.5"),
        ("stack(output=10, has=convolution)", "has=convolution: no such layer"),
        ("stack(output=0)", "input shape '0' must be CxHxW (e.g. 3x224x224) or a feature count"),
        ("trained(min_accuracy=95)", "min_accuracy must be a fraction above 0 and up to 1, got 95"),
        ("trained(race=0)", "race must be a whole number of at least 1, got 0"),
        ("stack(outputs=10)", "stack(): got an unexpected keyword argument 'outputs'"),
    ],
)
def test_bad_check_arguments_are_flagged_by_validation(tmp_path, check, reason):
    body = f"\n::: exercise task\nkind: task\nquestion: q\ncheck: {check}\n:::\n"
    path = lesson_file(tmp_path, "04-broken.md", 4, body)
    problems = [str(p) for p in validate_course_answers(load_course(tmp_path).lessons)]
    assert len(problems) == 1
    assert problems[0].startswith(f"{path} line 11: check {check!r} cannot run: {reason}")


def test_good_checks_still_validate(tmp_path):
    body = (
        "\n::: exercise task\nkind: task\nquestion: q\n"
        "check: stack(output=10, max_params=100000, has=batchnorm)\n:::\n"
    )
    lesson_file(tmp_path, "04-fine.md", 4, body)
    assert validate_course(load_course(tmp_path).lessons) == []


# --- lessons --check NAME ------------------------------------------------------------------------


def test_check_with_a_name_checks_only_that_lesson(tmp_path, capsys):
    lesson_file(tmp_path, "01-good.md", 1, exercise("conv_output(size=32, kernel=5)"))
    lesson_file(tmp_path, "02-bad.md", 2, exercise("conv_output(size=3)"))
    lesson_file(tmp_path, "03-broken.md", 3)
    (tmp_path / "03-broken.md").write_text(FRONT.replace("minutes: 10", "minutes: ten"))

    assert main(["lessons", "--lessons", str(tmp_path), "--check", "1"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out == (
        f"{tmp_path / '01-good.md'}: 1 lesson, 1 exercise, every answer computed and every "
        "Try-it target found\n"
    )

    assert main(["lessons", "--lessons", str(tmp_path), "--check", "bad"]) == 2
    assert capsys.readouterr().err == (
        f"cnn-tui: {tmp_path / '02-bad.md'} line 11: answer 'conv_output(size=3)' cannot be "
        "computed: conv_output(): missing a required argument: 'kernel'\n"
    )

    # a lesson that did not parse is found by its file name
    assert main(["lessons", "--lessons", str(tmp_path), "--check", "03-broken"]) == 2
    assert capsys.readouterr().err == (
        f"cnn-tui: {tmp_path / '03-broken.md'} line 4: front matter 'minutes' must be a whole "
        "number, not 'ten'\n"
    )

    assert main(["lessons", "--lessons", str(tmp_path), "--check", "zzz"]) == 2
    assert capsys.readouterr().err == (
        f"cnn-tui: {tmp_path}: 'zzz' is not a lesson: 01-good, 02-bad\n"
    )

    assert main(["lessons", "--lessons", str(tmp_path), "--check"]) == 2
    assert len(capsys.readouterr().err.splitlines()) == 2
