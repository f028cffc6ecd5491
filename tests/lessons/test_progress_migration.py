"""Progress saved by an earlier course keeps its completed work when lessons and exercises are
renamed or replaced: `was:` in a lesson's front matter and in an exercise names the old ids."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cnn_tui.core.course.lessons import LessonError, load_course, parse_lesson
from cnn_tui.core.course.progress import load_progress

BEFORE = Path(__file__).parent / "data" / "progress-before-issue-13.json"
"""Every lesson done and every exercise passed, as the course before issue 13 saved it."""

FRONT = "---\ntitle: New\norder: 1\nminutes: 5\nobjectives:\n  - x\n{was}---\n\n# New\n"


def exercise(exercise_id: str, was: str = "") -> str:
    extra = f"was: {was}\n" if was else ""
    return f"\n::: exercise {exercise_id}\nkind: number\nquestion: Q?\nanswer: 1\n{extra}:::\n"


def lesson_text(was: str = "", *exercises: str) -> str:
    return FRONT.format(was=f"was: {was}\n" if was else "") + "".join(exercises)


def test_the_was_fields_are_read():
    lesson = parse_lesson(lesson_text("08-old, 08-older", exercise("b", "a, a2")), "08-new.md")
    assert lesson.was == ("08-old", "08-older")
    assert lesson.exercises[0].was == ("a", "a2")


def test_a_was_that_is_not_an_id_is_refused_with_its_line():
    with pytest.raises(LessonError) as info:
        parse_lesson(lesson_text("", exercise("b", "Not An Id")), "x.md")
    assert (
        str(info.value)
        == "x.md line 11: 'was': 'Not An Id' is not an id (lower-case letters, digits and '-')"
    )


def test_a_was_naming_a_current_exercise_is_refused():
    with pytest.raises(LessonError) as info:
        parse_lesson(lesson_text("", exercise("a"), exercise("b", "a")), "x.md")
    assert "exercise 'b': 'was: a' names an exercise of this lesson" in str(info.value)


def test_old_progress_maps_onto_renamed_lessons_and_exercises(tmp_path):
    path = tmp_path / "progress.json"
    path.write_text(
        json.dumps(
            {
                "format": "cnn-tui-progress",
                "version": 1,
                "lessons": {"c/08-old": {"done": True, "passed": ["a", "kept"]}},
            }
        )
    )
    lesson = parse_lesson(
        lesson_text("08-old", exercise("b", "a"), exercise("kept"), exercise("new")), "08-new.md"
    )
    progress = load_progress(path)
    entry = progress.for_lesson("c", lesson)
    assert entry.done is True
    assert sorted(entry.passed) == ["b", "kept"]
    # un-marking the renamed lesson un-marks the old name too, or it would still count
    progress.set_lesson_done("c", lesson, False)
    again = load_progress(path)
    assert again.for_lesson("c", lesson).done is False
    assert again.of("c", "08-old").done is False
    assert again.of("c", "08-old").passed == ["a", "kept"]  # nothing else is rewritten


def test_progress_written_before_issue_13_keeps_all_its_work(tmp_path):
    """Today's course against a progress file the earlier course wrote: every lesson it marked
    done is done, and every exercise it passed counts for some exercise of today's course."""
    path = tmp_path / "progress.json"
    shutil.copy(BEFORE, path)
    course = load_course()
    progress = load_progress(path)
    old = json.loads(BEFORE.read_text())["lessons"]
    for key, entry in old.items():
        folder, lesson_id = key.split("/")
        matches = [lesson for lesson in course.lessons if lesson_id in (lesson.id, *lesson.was)]
        assert matches, f"lesson {lesson_id} is in no lesson's id or was:"
        lesson = matches[0]
        now = progress.for_lesson(folder, lesson)
        assert now.done, lesson.id
        for exercise_id in entry["passed"]:
            carried = [e.id for e in lesson.exercises if exercise_id in (e.id, *e.was)]
            assert carried, f"{lesson.id}: exercise {exercise_id} maps onto nothing"
            assert carried[0] in now.passed
