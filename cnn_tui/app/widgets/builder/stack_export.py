"""StackExport: the builder's export flow, PyTorch source written in a worker, then its dialog."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual import on, work
from textual.message import Message
from textual.widget import Widget
from textual.worker import get_current_worker

from ....core.stacks.shapes import StackError
from ....core.stacks.stack import Stack
from ....core.stacks.torch_bridge import export_source
from ....core.views.builder_files import StackFiles
from .message_line import BuilderMessage


class StackExport(Widget):
    """Invisible: writes a stack's PyTorch source off the UI thread, opens the export dialog
    with it; notes go to the message line."""

    DEFAULT_CSS = """
    StackExport {
        display: none;
    }
    """

    @dataclass
    class ExportReady(Message):
        """The export worker has the stack's source."""

        source: str
        name: str
        """The stack's name, for the default file name."""

    @dataclass
    class ExportFailed(Message):
        """The export worker could not write the source."""

        reason: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.files = StackFiles()
        """The builder's files, for the dialog's default path (beside the last saved file)."""

    def export(self, stack: Stack, files: StackFiles) -> None:
        """Write stack's source in the background, then show it; files: the builder's own."""
        self.files = files
        self.export_in_background(stack)

    def say(self, text: str, tone: str = "info") -> None:
        self.post_message(BuilderMessage.Note(text, tone))

    @work(thread=True, exclusive=True, exit_on_error=False, group="export")
    def export_in_background(self, stack: Stack) -> None:
        # export_source imports torch (seconds): never on the UI thread, never at start-up
        try:
            source = export_source(stack)
        except (StackError, ValueError) as exc:
            self.post_message(self.ExportFailed(str(exc)))
            return
        except ImportError as exc:
            self.post_message(self.ExportFailed(f"PyTorch is not available ({exc})"))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.ExportReady(source, stack.name))

    @on(ExportFailed)
    def show_export_failure(self, event: ExportFailed) -> None:
        event.stop()
        self.say(f"export: {event.reason}", "error")

    @on(ExportReady)
    def show_export(self, event: ExportReady) -> None:
        from .export_dialog import ExportDialog  # its editor and highlighter load when needed

        event.stop()
        lines = event.source.count("\n")
        self.say(f"exported {event.name or 'the stack'}: {lines} lines of PyTorch source")

        def saved(path: Path | None) -> None:
            self.say(f"wrote the PyTorch source to {path}" if path else "source not saved")

        title = f"PyTorch source of {event.name or 'the stack'}"
        default = self.files.default_path(".py", event.name or "net")
        self.app.push_screen(ExportDialog(event.source, default, title), saved)
