"""LessonMarkdown: a lesson's prose; a code block without a language is shown as plain text.

Textual guesses the language of such a block with Pygments, which imports every lexer (about
0.4 s on the first lesson shown) and colours formulas as whatever it guessed (scdoc, tsql)."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownBlock, MarkdownFence


class PlainFence(MarkdownFence):
    """A fenced or indented code block; one without a language is plain text (no guess)."""

    @classmethod
    def highlight(cls, code: str, language: str, ansi: bool = False, dark: bool = False) -> Content:
        return super().highlight(code, language or "text", ansi=ansi, dark=dark)


class LessonMarkdown(Markdown):
    BLOCKS: dict[str, type[MarkdownBlock]] = {
        **Markdown.BLOCKS,
        "fence": PlainFence,
        "code_block": PlainFence,
    }
