"""Pilot tests of issue 15 on the lessons screen: tab and escape follow the reading, one tab
stop per exercise, enter checks a choice, Check is not highlighted like focus, the status line
follows a lesson done, runs finished this session count, arithmetic answers, wrapped titles and
the lesson painted first screen first."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from pilot_waits import wait_for
from textual.containers import VerticalScroll
from textual.widgets import Button, Input, Static

from cnn_tui.app.app import CnnTuiApp
from cnn_tui.app.screens.lessons import LessonsScreen
from cnn_tui.app.widgets.lessons.choice_set import ChoiceSet
from cnn_tui.app.widgets.lessons.exercise import ExerciseCard
from cnn_tui.app.widgets.lessons.lesson_markdown import LessonMarkdown
from cnn_tui.app.widgets.lessons.try_it import TryItCard
from cnn_tui.core.course.lessons import Markdown as MarkdownSegment
from cnn_tui.core.course.marking import correct_choice, expected_text

SMALL = (80, 24)


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    path = tmp_path / "progress.json"
    monkeypatch.setenv("CNN_TUI_PROGRESS", str(path))
    return path


async def opened(pilot) -> LessonsScreen:
    """The lessons screen once its lesson is whole (the first screen comes first)."""
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, LessonsScreen))
    screen = pilot.app.screen
    await wait_for(pilot, lambda: screen.complete)
    await pilot.pause()
    return screen


def card(screen: LessonsScreen, exercise_id: str) -> ExerciseCard:
    return screen.query_one(f"#exercise-{exercise_id}", ExerciseCard)


def verdict(screen: LessonsScreen, exercise_id: str) -> str:
    return str(card(screen, exercise_id).query_one(".exercise-verdict", Static).render())


async def settled(pilot, screen: LessonsScreen, exercise_id: str) -> str:
    exercise = card(screen, exercise_id)
    await wait_for(pilot, lambda: not exercise.checking and "✓" in verdict(screen, exercise_id))
    return verdict(screen, exercise_id)


def reader(screen: LessonsScreen) -> VerticalScroll:
    return screen.query_one("#lesson-reader", VerticalScroll)


def stops(screen: LessonsScreen) -> list:
    return [w for w in screen.focus_chain if reader(screen) in w.ancestors]


# -- item 11: tab, escape and enter ----------------------------------------------------------


async def test_each_exercise_takes_one_tab_stop():
    app = CnnTuiApp(mode="lessons", lesson="3")
    async with app.run_test(size=SMALL) as pilot:
        screen = await opened(pilot)
        cards = list(screen.query(ExerciseCard))
        for exercise in cards:
            in_card = [w for w in stops(screen) if exercise in w.ancestors]
            assert len(in_card) == 1, exercise.exercise.id
            wanted = {"number": Input, "shape": Input, "choice": ChoiceSet, "task": Button}
            assert isinstance(in_card[0], wanted[exercise.exercise.kind])
        assert len(stops(screen)) == len(cards) + len(screen.query(TryItCard))


async def test_tab_from_the_reader_continues_where_reading_is_and_escape_comes_back():
    app = CnnTuiApp(mode="lessons", lesson="3")
    async with app.run_test(size=SMALL) as pilot:
        screen = await opened(pilot)
        view = reader(screen)
        assert screen.focused is view
        # read down to the fourth exercise
        target = card(screen, "full-cell")
        view.scroll_to(y=view.scroll_y + target.region.y - view.region.y, animate=False)
        await pilot.pause()
        await pilot.press("tab")
        field = card(screen, "full-cell").query_one(Input)
        first_try_it = screen.query(TryItCard).first().query_one(Button)
        assert screen.focused is field  # not the first Try it at the top of the lesson
        await pilot.press("6")
        reading = view.scroll_y
        await pilot.press("escape")
        assert screen.focused is view
        assert view.scroll_y == reading  # the lesson stays where it was read
        await pilot.press("tab")
        assert screen.focused is field  # back to the field escape left
        assert screen.focused is not first_try_it
        await pilot.press("tab")  # then on to the next exercise's answer
        following = stops(screen)[stops(screen).index(field) + 1]
        assert screen.focused is following


async def test_shift_tab_from_the_reader_takes_the_last_stop_on_screen():
    app = CnnTuiApp(mode="lessons", lesson="3")
    async with app.run_test(size=SMALL) as pilot:
        screen = await opened(pilot)
        view = reader(screen)
        view.scroll_end(animate=False)
        await pilot.pause()
        await pilot.press("shift+tab")
        assert screen.focused is stops(screen)[-1]


async def test_enter_on_a_choice_picks_it_and_checks_it():
    app = CnnTuiApp(mode="lessons", lesson="1")
    async with app.run_test(size=SMALL) as pilot:
        screen = await opened(pilot)
        exercise = card(screen, "which-idea")
        choices = exercise.query_one(ChoiceSet)
        choices.focus()
        await pilot.pause()
        right = correct_choice(exercise.exercise)
        for _ in range(right):
            await pilot.press("down")
        await pilot.press("enter")
        assert (await settled(pilot, screen, "which-idea")).startswith("✓ right: weight sharing")
        assert choices.pressed_index == right
        assert screen.focused is choices


async def test_enter_on_a_wrong_choice_says_so():
    app = CnnTuiApp(mode="lessons", lesson="1")
    async with app.run_test(size=SMALL) as pilot:
        screen = await opened(pilot)
        choices = card(screen, "which-idea").query_one(ChoiceSet)
        choices.focus()
        await pilot.pause()
        await pilot.press("enter")  # the first option, local connectivity
        exercise = card(screen, "which-idea")
        await wait_for(pilot, lambda: "✗" in verdict(screen, "which-idea"))
        assert verdict(screen, "which-idea").startswith("✗ not local connectivity")
        assert not exercise.passed


# -- item 1: Check is not blue, the footer says what enter does ------------------------------


async def test_check_is_not_highlighted_and_the_footer_names_enter():
    app = CnnTuiApp(mode="lessons", lesson="1")
    async with app.run_test(size=SMALL) as pilot:
        screen = await opened(pilot)
        exercise = card(screen, "one-filter")
        check = exercise.query_one(".exercise-check", Button)
        reveal = exercise.query_one(".exercise-reveal", Button)
        assert check.variant == reveal.variant == "default"  # only focus is highlighted
        assert not check.focusable and not reveal.focusable
        assert "⏎" in str(check.label) and "^r" in str(reveal.label)
        exercise.query_one(Input).focus()
        await pilot.pause()
        enter = screen.active_bindings["enter"]
        assert enter.binding.description == "Check" and enter.binding.show
        assert screen.active_bindings["ctrl+r"].binding.description == "Show answer"
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: "The answer" in verdict(screen, "one-filter"))
        assert verdict(screen, "one-filter") == "The answer: 76"


# -- item 8: the status line, and which runs count ------------------------------------------


async def test_the_status_line_says_done_when_the_last_exercise_passes():
    app = CnnTuiApp(mode="lessons", lesson="1")
    async with app.run_test(size=SMALL) as pilot:
        screen = await opened(pilot)
        line = screen.query_one("#lessons-message", Static)
        assert "Lesson 1: not done yet" in str(line.render())
        for exercise in screen.query(ExerciseCard):
            if exercise.exercise.kind == "choice":
                choices = exercise.query_one(ChoiceSet)
                choices.focus()
                await pilot.pause()
                for _ in range(correct_choice(exercise.exercise)):
                    await pilot.press("down")
            else:
                field = exercise.query_one(Input)
                field.focus()
                field.value = expected_text(exercise.exercise).replace(",", "")
            await pilot.press("enter")
            await wait_for(pilot, lambda e=exercise: e.passed)
        await wait_for(pilot, lambda: "Lesson 1: done" in str(line.render()))
        assert "not done" not in str(line.render())


def finished_run(runs: int, accuracy: float = 0.9) -> SimpleNamespace:
    """A stand-in for a finished TrainResult: its summary is what tasks read."""
    summary = {
        "model": "seed-mnist",
        "dataset": "digits",
        "runs": [{"status": "done", "test_accuracy": accuracy} for _ in range(runs)],
    }
    return SimpleNamespace(summary=lambda: summary)


async def press_check(pilot, screen: LessonsScreen, exercise_id: str) -> str:
    exercise = card(screen, exercise_id)
    check = exercise.query_one(".exercise-check", Button)
    before = verdict(screen, exercise_id)
    check.focus()
    # a button ignores enter while it still shows its last press (Textual's -active flash)
    await wait_for(pilot, lambda: not check.has_class("-active"))
    await pilot.press("enter")
    # the check runs in a worker: wait for its verdict, not the one already shown (each call
    # here expects a verdict different from the last)
    await wait_for(pilot, lambda: not exercise.checking and verdict(screen, exercise_id) != before)
    return verdict(screen, exercise_id)


async def test_a_race_finished_earlier_in_this_session_counts_and_the_message_says_what_counts():
    app = CnnTuiApp(mode="lessons", lesson="13")
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await opened(pilot)
        said = await press_check(pilot, screen, "race-three")
        assert said.startswith("✗ no training run has finished in this app session yet")
        assert "the command line or an earlier session do not count" in said
        # a race of three finished (started from a lesson's Try it or on Train), then one run
        app.opened.train = SimpleNamespace(finished=[finished_run(3), finished_run(1)])
        said = await press_check(pilot, screen, "race-three")
        assert said.startswith("✓ an earlier run this session: best test accuracy 90.0%")
        assert card(screen, "race-three").passed


# -- item 10: arithmetic answers, whole numbers ----------------------------------------------


async def test_arithmetic_is_an_answer_and_a_fraction_is_not_a_width():
    app = CnnTuiApp(mode="lessons", lesson="1")
    async with app.run_test(size=SMALL) as pilot:
        screen = await opened(pilot)
        field = card(screen, "one-filter").query_one(Input)
        field.focus()
        await pilot.press(*"5*5*3+1", "enter")
        assert await settled(pilot, screen, "one-filter") == "✓ right: 76 (5*5*3+1 = 76)"
        assert screen.focused is field  # enter keeps focus in the field
    app = CnnTuiApp(mode="lessons", lesson="2")
    async with app.run_test(size=SMALL) as pilot:
        screen = await opened(pilot)
        field = card(screen, "how-many-outputs").query_one(Input)
        field.focus()
        await pilot.press(*"2.5", "enter")
        exercise = card(screen, "how-many-outputs")
        await wait_for(pilot, lambda: "✗" in verdict(screen, "how-many-outputs"))
        said = verdict(screen, "how-many-outputs")
        assert said.startswith("✗ 2.5 is not a whole number")
        assert "too high" not in said and not exercise.passed


# -- item 6: titles are never cut at 80x24 ---------------------------------------------------


async def test_long_titles_are_whole_at_80x24():
    app = CnnTuiApp(mode="lessons", lesson="13")
    async with app.run_test(size=SMALL) as pilot:
        screen = await opened(pilot)
        await pilot.press("l")  # the list, beside the reader
        await pilot.pause()
        title = screen.lesson.title
        heading = screen.query_one(".lesson-heading", Static)
        shown = " ".join(
            "".join(s.text for s in line).strip()
            for line in heading.render_lines(heading.size.region)
        )
        assert title in " ".join(shown.split())
        lesson_list = screen.query_one("#lesson-list")
        for option in lesson_list.options:
            lines = str(option.prompt).split("\n")
            assert all(len(line) <= 25 for line in lines), lines
        prompt = str(lesson_list.get_option(screen.lesson.id).prompt)
        assert " ".join(prompt.split()).endswith(title)


# -- item 14: first screen first, then the same whole lesson ---------------------------------


async def test_the_lesson_is_whole_after_its_first_screen():
    app = CnnTuiApp(mode="lessons", lesson="13")
    async with app.run_test(size=SMALL) as pilot:
        screen = await opened(pilot)
        lesson = screen.lesson
        texts = [s.text for s in lesson.segments if isinstance(s, MarkdownSegment)]
        shown = [m.source for m in screen.query(LessonMarkdown)]
        assert shown == texts
        assert [c.exercise.id for c in screen.query(ExerciseCard)] == [
            e.id for e in lesson.exercises
        ]
        # the reader's order is the lesson's order
        kinds = [type(w).__name__ for w in reader(screen).children][1:]
        wanted = {"Markdown": "LessonMarkdown", "TryIt": "TryItCard", "Exercise": "ExerciseCard"}
        assert kinds == [wanted[type(s).__name__] for s in lesson.segments]


async def test_a_lesson_opened_while_another_is_filling_in_gets_only_its_own_rest():
    app = CnnTuiApp(mode="lessons", lesson="13")
    async with app.run_test(size=SMALL) as pilot:
        screen = await opened(pilot)
        await pilot.press("n", "p", "n")
        await wait_for(pilot, lambda: screen.complete and screen.lesson.order == 14)
        await pilot.pause()
        ids = [c.exercise.id for c in screen.query(ExerciseCard)]
        assert ids == [e.id for e in screen.lesson.exercises]


def test_snapshot_lesson_list_and_an_answer_field_at_80x24(snap_compare, progress_file):
    async def show(pilot):
        screen = await opened(pilot)
        await pilot.press("l")
        card(screen, "iterations-per-epoch").query_one(Input).focus()
        await pilot.pause()

    assert snap_compare(
        CnnTuiApp(mode="lessons", lesson="13"), terminal_size=SMALL, run_before=show
    )
