"""Which part of a lesson fills the first screen: the reader shows that part at once and the
rest a moment later (Textual's Markdown takes a while for a whole lesson), so what the student
ends up seeing is the same lesson, only painted sooner."""

from __future__ import annotations

from dataclasses import dataclass

from .lessons import Exercise, Markdown, Segment

TRY_IT_ROWS = 4
"""About how many rows a 'Try it' block takes."""
EXERCISE_ROWS = 10
"""About how many rows an exercise takes."""


@dataclass(frozen=True)
class FirstScreen:
    """A lesson's segments split for painting: `first` whole segments, then (when the segment
    after them is Markdown cut at a block boundary) its `head` at once and its `tail` later."""

    first: int
    """How many segments are shown whole at once."""
    head: str = ""
    """The start of segment `first` (Markdown), shown at once; '' when it is not cut."""
    tail: str = ""
    """The rest of that segment, appended later (head + tail is its whole text)."""


def split_markdown(text: str, lines: int) -> tuple[str, str]:
    """text cut at the first blank line (outside a code fence) after `lines` lines, so that
    head + tail == text and each part ends or starts at a block boundary; (text, '') when
    there is no such line."""
    fence = ""
    offset = 0
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            marker = stripped[:3]
            fence = "" if fence == marker else (fence or marker)
        offset += len(line)
        if number >= lines and not stripped and not fence:
            return text[:offset], text[offset:]
    return text, ""


def first_screen(segments: tuple[Segment, ...] | list[Segment], rows: int) -> FirstScreen:
    """The segments that fill about `rows` rows, the last Markdown among them cut to fit."""
    left = rows
    for index, segment in enumerate(segments):
        if isinstance(segment, Markdown):
            head, tail = split_markdown(segment.text, max(left, 1))
            if tail:
                return FirstScreen(index, head, tail)
            left -= segment.text.count("\n") + 1
        else:
            left -= EXERCISE_ROWS if isinstance(segment, Exercise) else TRY_IT_ROWS
        if left <= 0:
            return FirstScreen(index + 1)
    return FirstScreen(len(segments))
