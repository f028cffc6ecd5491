"""The shipped course: every lesson parses, every target exists, every answer computes."""

from __future__ import annotations

from cnn_tui.core.course.lessons import default_course_dir, load_course
from cnn_tui.core.course.marking import try_target_problem, validate_course

TOPICS = {
    1: "why",
    2: "1d",
    3: "2d",
    4: "stride",
    5: "channels",
    6: "pooling",
    7: "classifier",
    8: "backward",
    9: "architectures",
    10: "batch-norm",
    11: "optimisers",
    12: "generalisation",
    13: "practice",
    14: "adversarial",
}


def test_every_lesson_parses_and_validates():
    course = load_course(default_course_dir())
    assert course.problems == ()
    assert validate_course(course.lessons) == []


def test_the_fourteen_lessons_come_in_order():
    course = load_course(default_course_dir())
    assert [lesson.order for lesson in course.lessons] == list(range(1, 15))
    for lesson in course.lessons:
        assert TOPICS[lesson.order] in lesson.id
        assert 5 <= lesson.minutes <= 20
        assert lesson.objectives
        assert any(e.kind == "number" for e in lesson.exercises), lesson.id


def test_every_lesson_has_something_to_try_or_answer():
    course = load_course(default_course_dir())
    for lesson in course.lessons:
        assert len(lesson.exercises) >= 2, lesson.id
    assert sum(len(lesson.try_its) for lesson in course.lessons) >= 13
    screens = {t.screen for lesson in course.lessons for t in lesson.try_its}
    assert screens == {"stepper", "builder", "calculators", "train", "playground", "inside"}


def test_try_targets_are_checked():
    assert try_target_problem("stepper", "seed-conv") is None
    assert "no stepper preset 'seed'" in try_target_problem("stepper", "seed")
    assert "no calculators tab 'sizes'" in try_target_problem("calculators", "sizes")
    assert try_target_problem("builder", "vgg16") is None
    assert "builder target 'vgg17'" in try_target_problem("builder", "vgg17")
    assert try_target_problem("train", "") is None


def test_every_try_it_screen_has_a_button_title():
    from cnn_tui.app.widgets.lessons.try_it import SCREEN_TITLES
    from cnn_tui.core.course.lessons import SCREENS

    assert set(SCREEN_TITLES) == set(SCREENS)
