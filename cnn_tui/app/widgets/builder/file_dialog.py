"""StackFileDialog: the builder's modal for a stack file path, to save to or to open."""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DirectoryTree, Input, Label, Static

from ....core.safe_files import file_signature, same_file
from ....core.views.builder_files import typed_path
from ..common.message import CalcMessage
from .json_tree import JsonFileTree

DialogMode = Literal["save", "open"]


def shown_path(path: Path) -> str:
    """A path as the input shows it: './mnist.json' rather than 'mnist.json'."""
    text = str(path)
    if path.is_absolute() or text.startswith(("~", ".")):
        return text
    return f".{os.sep}{text}"


class StackFileDialog(ModalScreen[Path | None]):
    """A path input over a tree of folders and .json files; returns the chosen path or None.

    Saving asks before it replaces an existing file (enter or Save a second time) and refuses
    the files named in `keep` (ones that failed to load: they stay as they are for repair)."""

    BINDINGS: ClassVar[list[Binding]] = [
        Binding(
            "escape",
            "cancel",
            "Cancel",
            tooltip="Close without saving or opening anything",
            id="file-dialog-cancel",
        ),
    ]

    def __init__(
        self,
        mode: DialogMode,
        path: Path,
        keep: Collection[Path] = (),
        known: tuple[Path, tuple[int, int, int] | None] | None = None,
    ) -> None:
        super().__init__()
        self.mode: DialogMode = mode
        """'save' or 'open'."""
        self.start_path = path
        """The path the input starts with."""
        self.keep = tuple(keep)
        """Files never to overwrite: they failed to load."""
        self.known = known
        """The file the stack came from or was saved to, and its signature then."""
        self.confirmed: Path | None = None
        """An existing file the student was warned about once; a second submit replaces it."""

    def compose(self) -> ComposeResult:
        verb = "Save" if self.mode == "save" else "Open"
        folder = self.start_path.expanduser().parent
        with Vertical(id="file-dialog-box"):
            yield Static(
                "Save the stack to a .json file" if self.mode == "save" else "Open a stack file",
                id="file-dialog-title",
            )
            with Horizontal(classes="file-dialog-row"):
                yield Label("file", classes="file-dialog-label")
                yield Input(
                    shown_path(self.start_path),
                    placeholder="./my-net.json",
                    compact=True,
                    id="file-dialog-path",
                    tooltip="A path; ~ is your home folder. Enter " + verb.lower() + "s",
                )
            yield JsonFileTree(folder if folder.is_dir() else Path("."), id="file-dialog-tree")
            yield CalcMessage(id="file-dialog-message")
            with Horizontal(id="file-dialog-buttons"):
                yield Button(verb, variant="primary", compact=True, id="file-dialog-ok")
                yield Button("Cancel", compact=True, id="file-dialog-cancel")

    def on_mount(self) -> None:
        self.query_one("#file-dialog-path", Input).focus()

    @on(Input.Changed, "#file-dialog-path")
    def forget_the_warning(self, event: Input.Changed) -> None:
        event.stop()
        self.confirmed = None
        self.query_one("#file-dialog-message", CalcMessage).clear()

    @on(DirectoryTree.FileSelected, "#file-dialog-tree")
    def pick_file(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.query_one("#file-dialog-path", Input).value = str(event.path)
        if self.mode == "open":
            self.submit()

    @on(Input.Submitted, "#file-dialog-path")
    @on(Button.Pressed, "#file-dialog-ok")
    def submit(self, event: Input.Submitted | Button.Pressed | None = None) -> None:
        if event is not None:
            event.stop()
        message = self.query_one("#file-dialog-message", CalcMessage)
        text = self.query_one("#file-dialog-path", Input).value
        if not text.strip():
            message.show("file: type a path, e.g. ./my-net.json")
            return
        path = typed_path(text, ".json" if self.mode == "save" else "")
        if path.is_dir():
            message.show(f"file: {path} is a folder; add a file name")
            return
        if self.mode == "open":
            if not path.exists():
                message.show(f"file: {path}: no such file")
                return
            self.dismiss(path)
            return
        if any(same_file(path, kept) for kept in self.keep):
            message.show(
                f"file: {path} did not load, so it is kept as it is for repair;"
                " save under another name"
            )
            return
        if path.exists() and (self.confirmed is None or not same_file(path, self.confirmed)):
            self.confirmed = path
            message.show(self._replace_question(path), "info")
            return
        self.dismiss(path)

    def _replace_question(self, path: Path) -> str:
        """Asked before replacing a file; louder when someone else wrote it since."""
        known = self.known
        if known is not None and same_file(path, known[0]) and file_signature(path) != known[1]:
            return (
                f"{path} changed on disk since this builder opened or saved it (another "
                "builder or an editor?): press enter or Save again to replace it anyway"
            )
        return f"{path} exists: press enter or Save again to replace it"

    @on(Button.Pressed, "#file-dialog-cancel")
    def action_cancel(self, event: Button.Pressed | None = None) -> None:
        if event is not None:
            event.stop()
        self.dismiss(None)
