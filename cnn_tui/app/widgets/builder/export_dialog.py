"""ExportDialog: the builder's modal showing a stack's PyTorch source, with a path to save it."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path
from typing import ClassVar

from rich.syntax import Syntax
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, ScrollableContainer, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea

from ....core.plain_text import visible
from ....core.safe_files import same_file, write_atomic
from ....core.views.builder_files import typed_path
from ..common.message import CalcMessage
from .file_dialog import shown_path


def python_grammar_installed() -> bool:
    """Whether TextArea can highlight Python: it needs tree-sitter and its Python grammar."""
    return all(find_spec(name) is not None for name in ("tree_sitter", "tree_sitter_python"))


class ExportDialog(ModalScreen[Path | None]):
    """The generated source, read-only, and a path input: Save writes it (atomically) and returns
    the path; escape returns None. An existing file is replaced only on a second Save."""

    BINDINGS: ClassVar[list[Binding]] = [
        Binding(
            "escape",
            "cancel",
            "Close",
            tooltip="Close without writing a file",
            id="export-dialog-close",
        ),
    ]

    def __init__(self, source: str, path: Path, title: str = "PyTorch source") -> None:
        super().__init__()
        self.source = source
        """The exported Python source."""
        self.start_path = path
        """The path the input starts with."""
        self.dialog_title = title
        self.confirmed: Path | None = None
        """An existing file the student was warned about once; a second Save replaces it."""

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog-box"):
            yield Static(visible(self.dialog_title), id="export-dialog-title", markup=False)
            if python_grammar_installed():
                yield TextArea.code_editor(
                    self.source, language="python", read_only=True, id="export-dialog-source"
                )
            else:
                # no tree-sitter grammar installed: Rich's (pygments) highlighting instead
                code = Static(
                    Syntax(
                        self.source,
                        "python",
                        theme="ansi_dark" if self.app.current_theme.dark else "ansi_light",
                        background_color="default",
                        word_wrap=False,
                    ),
                    id="export-dialog-source",
                )
                # as wide as the longest line, so long lines scroll sideways instead of clipping
                code.styles.width = max(map(len, self.source.splitlines()), default=1) + 1
                with ScrollableContainer(id="export-dialog-scroll"):
                    yield code
            with Horizontal(classes="export-dialog-row"):
                yield Label("file", classes="file-dialog-label")
                yield Input(
                    shown_path(self.start_path),
                    placeholder="./net.py",
                    compact=True,
                    id="export-dialog-path",
                    tooltip="Where to write the source; ~ is your home folder",
                )
                yield Button("Save", variant="primary", compact=True, id="export-dialog-save")
                yield Button("Close", compact=True, id="export-dialog-close")
            yield CalcMessage(id="export-dialog-message")

    def on_mount(self) -> None:
        self.query_one("#export-dialog-path", Input).focus()

    @on(Input.Changed, "#export-dialog-path")
    def forget_the_warning(self, event: Input.Changed) -> None:
        event.stop()
        self.confirmed = None
        self.query_one("#export-dialog-message", CalcMessage).clear()

    @on(Input.Submitted, "#export-dialog-path")
    @on(Button.Pressed, "#export-dialog-save")
    def save(self, event: Input.Submitted | Button.Pressed | None = None) -> None:
        if event is not None:
            event.stop()
        message = self.query_one("#export-dialog-message", CalcMessage)
        text = self.query_one("#export-dialog-path", Input).value
        if not text.strip():
            message.show("file: type a path, e.g. ./net.py")
            return
        path = typed_path(text, ".py")
        if path.is_dir():
            message.show(f"file: {path} is a folder; add a file name")
            return
        if path.exists() and (self.confirmed is None or not same_file(path, self.confirmed)):
            self.confirmed = path
            message.show(f"{path} exists: press enter or Save again to replace it", "info")
            return
        try:
            write_atomic(path, self.source)
        except OSError as exc:
            message.show(f"file: {path}: {exc.strerror or exc}")
            return
        self.dismiss(path)

    @on(Button.Pressed, "#export-dialog-close")
    def action_cancel(self, event: Button.Pressed | None = None) -> None:
        if event is not None:
            event.stop()
        self.dismiss(None)
