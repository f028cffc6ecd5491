"""Issue 15, item 14: which part of a lesson the reader paints first."""

from __future__ import annotations

import pytest

from cnn_tui.core.course.first_screen import first_screen, split_markdown
from cnn_tui.core.course.lessons import Markdown, TryIt, load_course

TEXT = "# Title\n\none\ntwo\n\n```text\na\n\nb\n```\n\nthree\n\nfour\n"


def test_a_split_falls_on_a_blank_line_outside_code() -> None:
    head, tail = split_markdown(TEXT, 3)
    assert head + tail == TEXT
    assert head == "# Title\n\none\ntwo\n\n"
    head, tail = split_markdown(TEXT, 7)  # line 8 is blank but inside the fence
    assert head + tail == TEXT
    assert head.endswith("```\n\n") and tail == "three\n\nfour\n"
    assert split_markdown(TEXT, 100) == (TEXT, "")
    assert split_markdown("", 1) == ("", "")


def test_first_screen_takes_whole_segments_then_cuts_one() -> None:
    segments = [
        Markdown("a\n\nb\n"),
        TryIt("stepper", "", "see", 3),
        Markdown("\n\n".join(f"p{i}" for i in range(40))),
    ]
    split = first_screen(segments, 20)
    assert split.first == 2
    assert split.head + split.tail == segments[2].text
    assert split.head and split.tail
    assert first_screen(segments, 1000).first == 3
    assert first_screen(segments[:2], 3).first == 1  # a short budget: whole segments only


@pytest.mark.parametrize("rows", [1, 24, 40, 200])
def test_every_lesson_splits_into_its_whole_text(rows: int) -> None:
    for lesson in load_course().lessons:
        split = first_screen(lesson.segments, rows)
        assert 0 <= split.first <= len(lesson.segments)
        if split.tail:
            segment = lesson.segments[split.first]
            assert isinstance(segment, Markdown)
            assert split.head + split.tail == segment.text
