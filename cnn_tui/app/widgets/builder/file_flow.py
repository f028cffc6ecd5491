"""StackFileFlow: the builder's save and open flows, from the file dialog to the document."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.message import Message
from textual.widget import Widget

from ....core.stacks.shapes import StackError
from ....core.stacks.stack import Stack
from ....core.views.builder_document import BuilderDocument
from .message_line import BuilderMessage


class StackFileFlow(Widget):
    """Invisible: asks for a path in the file dialog, then saves the document there (Saved) or
    reads the stack in that file (Loaded); notes go to the message line."""

    DEFAULT_CSS = """
    StackFileFlow {
        display: none;
    }
    """

    class Saved(Message):
        """The document was saved: its name, file and baseline changed."""

    @dataclass
    class Loaded(Message):
        """A stack file was read, to be put in place of the stack."""

        stack: Stack
        path: Path

    def say(self, text: str, tone: str = "info") -> None:
        self.post_message(BuilderMessage.Note(text, tone))

    def save(self, doc: BuilderDocument) -> None:
        """Ask where to save doc's stack, then save it there."""
        from .file_dialog import StackFileDialog  # loaded when first asked for, not at start

        def save(path: Path | None) -> None:
            if path is None:
                self.say("not saved")
                return
            try:
                doc.save(path)
            except OSError as exc:
                self.say(f"{path}: not saved ({exc.strerror or exc})", "error")
                return
            self.say(f"saved {len(doc.layers)} layers to {path}")
            self.post_message(self.Saved())

        files = doc.files
        known = (files.saved_path, files.saved_signature) if files.saved_path else None
        default = files.default_path(".json", doc.stack_name)
        self.app.push_screen(StackFileDialog("save", default, files.failed_loads, known), save)

    def open(self, doc: BuilderDocument) -> None:
        """Ask which stack file to open, then read it through doc's files."""
        from .file_dialog import StackFileDialog

        def open_file(path: Path | None) -> None:
            if path is None:
                self.say("nothing opened")
                return
            try:
                stack = doc.files.load(path)
            except StackError as exc:
                # the file stays as it is, and saving will not overwrite it
                self.say(exc.describe(), "error")
                return
            self.post_message(self.Loaded(stack, path))

        files = doc.files
        default = files.default_path(".json", doc.stack_name)
        self.app.push_screen(StackFileDialog("open", default, files.failed_loads), open_file)
