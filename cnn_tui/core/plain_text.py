"""Plain text: text from a file or a user made safe to show or to write into a comment (hidden
characters as escapes, ESC as \\x1b, a newline as \\n, so it can neither drive the terminal nor
break a line), and counts with their nouns ('1 epoch', '2,000 steps')."""

from __future__ import annotations

import unicodedata

_HIDDEN_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
"""Control characters (C0, DEL, C1: ESC, CR, NEL...), lone surrogates (which cannot even be
encoded), and the line and paragraph separators U+2028 / U+2029."""

_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
"""Marks that reorder the text around them: a name holding one can show other text than it is."""

_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_char(char: str) -> str:
    """One character as Python writes it in a string: '\\n', '\\x1b', '\\u2028', '\\U0001f600'."""
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def is_hidden(char: str) -> bool:
    """Whether a character must not reach a terminal or a line as itself: a control character,
    a line or paragraph separator, a lone surrogate or a bidirectional-text control."""
    return unicodedata.category(char) in _HIDDEN_CATEGORIES or char in _BIDI_CONTROLS


def visible(text: str, keep: str = "") -> str:
    """text with every hidden character (see is_hidden) written as its escape; everything else,
    markup brackets and backslashes included, unchanged. Characters in `keep` (e.g. '\\n' for a
    message of several lines) stay as they are."""
    if text.isprintable():  # the common case, at C speed
        return text
    return "".join(escape_char(c) if c not in keep and is_hidden(c) else c for c in text)


def printable(text: str) -> str:
    """Stricter than visible: every character str.isprintable() refuses (also no-break and other
    unusual spaces, zero-width and format characters) as its escape. For generated source code,
    where a reader must see exactly what the line holds."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else escape_char(c) for c in text)


def hidden_chars(text: str) -> list[str]:
    """The distinct hidden characters of text, in order of first appearance."""
    if text.isprintable():
        return []
    return list(dict.fromkeys(c for c in text if is_hidden(c)))


def cell_width(text: str) -> int:
    """Terminal cells the text takes: wide (East Asian) characters two, combining marks none."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def caret_pointer(source: str, column: int) -> str:
    """The source on one line, hidden characters made visible, and under it a caret at the
    1-based column of the original text (moved along by the escapes before it)."""
    shown = visible(source)
    before = visible(source[: max(column - 1, 0)])
    return f"{shown}\n{' ' * cell_width(before)}^"


def plural(count: int, noun: str) -> str:
    """'1 epoch', '2,000 steps'."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")
