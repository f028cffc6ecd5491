"""plain_text: hidden characters shown as escapes, everything else (markup too) untouched."""

from __future__ import annotations

import pytest

from cnn_tui.core.plain_text import caret_pointer, hidden_chars, printable, visible


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain [bold]markup[/] and \\ stay", "plain [bold]markup[/] and \\ stay"),
        ("esc \x1b[31m bell \x07 del \x7f", "esc \\x1b[31m bell \\x07 del \\x7f"),
        ("a\nb\rc\td", "a\\nb\\rc\\td"),
        ("\x0b\x0c\x1c\x1d\x1e\x85", "\\x0b\\x0c\\x1c\\x1d\\x1e\\x85"),
        ("line\u2028para\u2029", "line\\u2028para\\u2029"),
        ("bidi \u202eevil\u202c \u2066x\u2069", "bidi \\u202eevil\\u202c \\u2066x\\u2069"),
        ("lone \ud800", "lone \\ud800"),
        ("no-break\xa0space, 世界, e\u0301, 👍🏽", "no-break\xa0space, 世界, e\u0301, 👍🏽"),
    ],
)
def test_visible_escapes_hidden_characters_only(text, shown):
    assert visible(text) == shown


def test_visible_keeps_the_characters_asked_for():
    assert visible("one\ntwo\r\x1b", keep="\n") == "one\ntwo\\r\\x1b"


def test_printable_also_escapes_unusual_spaces_and_format_characters():
    assert printable("a\xa0b\u200bc\nd 世") == "a\\xa0b\\u200bc\\nd 世"


def test_hidden_chars_lists_each_once_in_order():
    assert hidden_chars("\x1b[1m\x07\x1b ok") == ["\x1b", "\x07"]
    assert hidden_chars("[b]fine[/b]") == []


def test_the_caret_moves_past_earlier_escapes_and_wide_characters():
    # column 6 of '\x07世 ab$' is the '$'; shown, the bell takes 4 cells and 世 two
    assert caret_pointer("\x07世 ab$", 6) == "\\x07世 ab$\n" + " " * 9 + "^"
    assert caret_pointer("conv(2,3) \x1b", 11) == "conv(2,3) \\x1b\n" + " " * 10 + "^"
