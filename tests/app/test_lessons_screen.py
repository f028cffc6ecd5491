"""Pilot tests of the lessons screen: reading, answering, Try it and back, saved progress."""

from __future__ import annotations

import json

import pytest
from textual.widgets import Input, Markdown, RadioSet, Static

from cnn_tui.app.app import CnnTuiApp
from cnn_tui.app.screens.builder import BuilderScreen
from cnn_tui.app.screens.lessons import LessonsScreen
from cnn_tui.app.screens.stepper import StepperScreen
from cnn_tui.app.widgets.lessons.exercise import ExerciseCard
from cnn_tui.app.widgets.lessons.lesson_list import LessonList
from cnn_tui.app.widgets.lessons.try_it import TryItCard

SIZE = (100, 40)


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    path = tmp_path / "progress.json"
    monkeypatch.setenv("CNN_TUI_PROGRESS", str(path))
    return path


def text_of(widget: Static) -> str:
    return str(widget.render())


def card(app: CnnTuiApp, exercise_id: str) -> ExerciseCard:
    return app.screen.query_one(f"#exercise-{exercise_id}", ExerciseCard)


async def settle(pilot) -> None:
    """Let a check start, its worker finish and its verdict arrive (checks run in workers)."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def answer(pilot, app: CnnTuiApp, exercise_id: str, text: str) -> str:
    exercise = card(app, exercise_id)
    field = exercise.query_one(Input)
    field.focus()
    field.value = text
    await pilot.press("enter")
    await settle(pilot)
    return text_of(exercise.query_one(".exercise-verdict", Static))


async def test_a_lesson_opens_with_its_heading_prose_and_exercises():
    app = CnnTuiApp(mode="lessons", lesson="3")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LessonsScreen)
        assert screen.lesson.id == "03-convolution-2d"
        heading = text_of(screen.query_one(".lesson-heading", Static))
        assert heading.startswith("Lesson 3: Convolution in two dimensions  ·  about 15 minutes")
        assert screen.query(Markdown)
        assert [c.exercise.id for c in screen.query(ExerciseCard)] == [
            "solid-patch",
            "detector-on-block",
            "seed-cell",
            "full-cell",
            "flip-the-x",
            "why-same",
        ]
        assert len(screen.query(TryItCard)) == 3
        assert len(screen.query_one(LessonList).options) == 14


async def test_right_and_wrong_answers_and_the_saved_progress(progress_file):
    app = CnnTuiApp(mode="lessons", lesson="3")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        wrong = await answer(pilot, app, "seed-cell", "3")
        assert wrong.startswith("✗ 3 is too high. Hint: Shift the window one row down")
        assert not card(app, "seed-cell").passed
        right = await answer(pilot, app, "seed-cell", "2")
        assert right == "✓ right: 2"
        assert card(app, "seed-cell").has_class("passed")
        explain = text_of(card(app, "seed-cell").query_one(".exercise-explain", Static))
        assert explain.startswith("The window is 0 1 1 / 0 0 1 / 0 0 1.")
        assert await answer(pilot, app, "full-cell", "6") == "✓ right: 6"
    saved = json.loads(progress_file.read_text())
    assert saved["lessons"]["lessons/03-convolution-2d"] == {
        "done": False,
        "passed": ["full-cell", "seed-cell"],
    }
    # a new app remembers
    again = CnnTuiApp(mode="lessons", lesson="3")
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert card(again, "seed-cell").passed
        assert not card(again, "why-same").passed
        label = str(again.screen.query_one(LessonList).get_option("03-convolution-2d").prompt)
        # a long title wraps under itself in the 30-column list (issue 15: never cut)
        assert label == "   3 2/6 Convolution in\n         two dimensions"


async def test_a_choice_and_show_answer():
    app = CnnTuiApp(mode="lessons", lesson="3")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        exercise = card(app, "why-same")
        exercise.query_one(".exercise-check").press()
        await pilot.pause()
        verdict = exercise.query_one(".exercise-verdict", Static)
        assert text_of(verdict) == "✗ pick an option first"
        radios = exercise.query_one(RadioSet)
        radios.query("RadioButton")[2].value = True
        await pilot.pause()
        exercise.check()
        await settle(pilot)
        assert text_of(verdict).startswith("✓ right: the X kernel looks exactly the same")
        other = card(app, "full-cell")
        other.reveal()
        await settle(pilot)
        assert text_of(other.query_one(".exercise-verdict", Static)) == "The answer: 6"
        assert not other.passed  # revealing is not passing


async def test_try_it_opens_the_stepper_and_1_comes_back():
    app = CnnTuiApp(mode="lessons", lesson="3")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        lessons = app.screen
        full_conv = lessons.query(TryItCard)[2]
        assert full_conv.try_it.target == "seed-full-conv"
        full_conv.query_one("Button").press()
        for _ in range(20):
            await pilot.pause()
            if isinstance(app.screen, StepperScreen):
                break
        stepper = app.screen
        assert isinstance(stepper, StepperScreen)
        await pilot.pause()
        assert stepper.preset_name == "seed-full-conv"
        stepper.query_one("#stage").focus()
        await pilot.press("1")
        await pilot.pause()
        assert app.screen is lessons
        assert lessons.lesson.id == "03-convolution-2d"


async def test_a_task_is_checked_against_the_builders_stack():
    app = CnnTuiApp(mode="lessons", lesson="7", builder_stack="seed-mnist")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        task = card(app, "small-cnn")
        task.check()
        await settle(pilot)
        verdict = task.query_one(".exercise-verdict", Static)
        assert text_of(verdict).startswith("✗ the builder has no stack yet")
        await app.switch_mode("builder")
        await pilot.pause()
        assert isinstance(app.screen, BuilderScreen)
        await app.switch_mode("lessons")
        await pilot.pause()
        task.check()
        await settle(pilot)
        assert text_of(verdict).startswith("✗ 431,080 parameters: get under 100,000.")
        builder = app.mode_screens["builder"]
        assert builder.open_text("conv(8,5) relu maxpool(4) flatten linear(10)")
        task.check()
        await settle(pilot)
        assert text_of(verdict) == "✓ 10 out, 3,098 parameters: done"
        assert task.passed


async def test_a_broken_lesson_is_listed_and_the_rest_opens(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    (course / "01-good.md").write_text(
        "---\ntitle: Good\norder: 1\nminutes: 5\nobjectives:\n  - read\n---\n\nHello.\n\n"
        "::: exercise two\nkind: number\nquestion: 1 + 1?\nanswer: 1 + 1\n:::\n"
    )
    (course / "02-bad.md").write_text("---\ntitle: Bad\n---\n")
    app = CnnTuiApp(mode="lessons", lessons_dir=str(course))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.lesson.id == "01-good"
        options = screen.query_one(LessonList).options
        assert [str(o.prompt) for o in options][1] == "⚠ 02-bad.md: front matter lacks 'order'"
        assert options[1].disabled
        assert await answer(pilot, app, "two", "2") == "✓ right: 2"
        await pilot.pause()
        # the only exercise passed: the lesson is done
        assert screen.progress.of("course", "01-good").done


async def test_a_corrupt_progress_file_is_reported_not_fatal(progress_file):
    progress_file.write_text("{broken")
    app = CnnTuiApp(mode="lessons", lesson="1")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        message = text_of(app.screen.query_one("#lessons-message", Static))
        assert "was unreadable" in message or app.screen.lesson.id == "01-why-cnns"
        assert any(
            p.name.startswith("progress.json.corrupt-") for p in progress_file.parent.iterdir()
        )


async def test_keys_move_between_lessons_and_mark_done(progress_file):
    app = CnnTuiApp(mode="lessons", lesson="1")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        screen.query_one("#lesson-reader").focus()
        await pilot.press("n")
        await pilot.pause()
        assert screen.lesson.order == 2
        await pilot.press("p", "p")
        await pilot.pause()
        assert screen.lesson.order == 1
        await pilot.press("d")
        await pilot.pause()
        assert screen.progress.of("lessons", "01-why-cnns").done
        assert text_of(screen.query_one("#course-title", Static)).endswith("1/14 done")
        await pilot.press("l")
        assert not screen.query_one("#lessons-side").display


def test_lessons_screen_snapshot(snap_compare, progress_file):
    assert snap_compare(CnnTuiApp(mode="lessons", lesson="4"), terminal_size=(80, 24))


async def test_try_it_reloads_a_screen_that_was_already_open():
    app = CnnTuiApp(mode="lessons", lesson="7", builder_stack="vgg16")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        lessons = app.screen
        await app.switch_mode("builder")
        await pilot.pause()
        builder = app.mode_screens["builder"]
        assert builder.stack().name == "vgg16"
        await app.switch_mode("lessons")
        await pilot.pause()
        (card,) = [c for c in lessons.query(TryItCard) if c.try_it.screen == "builder"]
        card.query_one("Button").press()
        for _ in range(20):
            await pilot.pause()
            if app.screen is builder:
                break
        assert app.screen is builder
        assert builder.stack().name == card.try_it.target == "seed-mnist"
