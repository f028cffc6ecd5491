"""A lesson's `model=` file path is found beside the lesson, not in the folder cnn-tui was
started from, in answers and in `lessons --check`."""

from __future__ import annotations

from cnn_tui.cli import main
from cnn_tui.core.course.lesson_answers import compute
from cnn_tui.core.course.lessons import load_lesson
from cnn_tui.core.course.marking import expected_text
from cnn_tui.core.stacks.stack_file import save_stack
from cnn_tui.core.stacks.zoo import resolve_stack

LESSON = """---
title: A lesson with its own net
order: 1
minutes: 5
objectives:
  - count a net's parameters
---

# Its own net

::: exercise own-net
kind: number
question: How many parameters has the net beside this lesson?
answer: stack_params(model='nets/tiny.json')
:::
"""


def course(tmp_path):
    folder = tmp_path / "course"
    (folder / "nets").mkdir(parents=True)
    save_stack(
        resolve_stack("conv(4,3) relu flatten fc(10)").with_input((1, 8, 8)),
        folder / "nets" / "tiny.json",
    )
    (folder / "01-own.md").write_text(LESSON)
    return folder


def test_a_relative_model_is_read_beside_the_lesson(tmp_path, monkeypatch):
    folder = course(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    lesson = load_lesson(folder / "01-own.md")
    exercise = lesson.exercises[0]
    # 4*(1*3*3) + 4 weights and biases of the conv, 4*6*6*10 + 10 of the fc
    assert expected_text(exercise, lesson) == "1,490"
    assert compute(exercise.answer, exercise, lesson) == 1_490


def test_lessons_check_finds_it_from_any_folder(tmp_path, monkeypatch, capsys):
    folder = course(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["lessons", "--check", "--lessons", str(folder)]) == 0
    assert capsys.readouterr().out == (
        f"{folder}: 1 lesson, 1 exercise, every answer computed and every Try-it target found\n"
    )


def test_without_a_lesson_a_relative_model_is_read_from_the_working_folder(tmp_path, monkeypatch):
    course(tmp_path)
    monkeypatch.chdir(tmp_path / "course")
    assert compute("stack_params(model='nets/tiny.json')") == 1_490
