"""BuilderScreen: assemble a layer stack row by row while its tally (the lecture's VGG-16 table)
updates live; edit in a form, undo, save, open, and export PyTorch source."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Select
from textual.worker import get_current_worker

from ...core.plain_text import visible
from ...core.stacks.blocks import format_layers
from ...core.stacks.layers import Layer
from ...core.stacks.shapes import Shape, StackError
from ...core.stacks.stack import Stack, row_count
from ...core.stacks.stack_edit import EditHistory, Layers
from ...core.stacks.stack_edit import Path as EditPath
from ...core.stacks.stack_file import save_stack
from ...core.stacks.tally import Tally, tally
from ...core.stacks.torch_bridge import export_source
from ...core.views.builder_edits import (
    RowEdit,
    add_title,
    delete_edit,
    dense_note,
    duplicate_edit,
    fold_note,
    fold_target,
    insert_edit,
    insert_point,
    move_edit,
    not_a_layer_note,
    replace_edit,
    row_index,
    short_label,
)
from ...core.views.builder_files import StackFiles
from ...core.views.builder_rows import (
    TableEntry,
    build_entries,
    default_folds,
    number_of,
    too_big,
    too_deep,
)
from ...core.views.fields import FieldError
from ..messages import UseStackInTrain
from ..widgets.builder.export_dialog import ExportDialog
from ..widgets.builder.file_dialog import StackFileDialog
from ..widgets.builder.layer_form import LayerForm
from ..widgets.builder.message_line import BuilderMessage
from ..widgets.builder.settings_bar import DEFAULT_INPUT, EMPTY_CHOICE, BuilderSettings
from ..widgets.builder.stack_table import BuilderTable
from ..widgets.builder.totals import BuilderTotals

Settings = tuple[Shape, str, str]
"""A stack's input shape, name and description: opening a preset or file replaces them."""

ROW_ACTIONS = frozenset(
    {
        "add_layer",
        "edit_layer",
        "delete_layer",
        "duplicate_layer",
        "move_layer",
        "toggle_block",
        "train_stack",
    }
)
"""Actions on the cursor row: offered while the keys go to the table, not to a field."""


class BuilderScreen(Screen):
    """Build a stack with keys; every change re-tallies it and can be undone."""

    TITLE = "Builder"
    BINDINGS: ClassVar[list[Binding]] = [
        Binding(
            "a",
            "add_layer(True)",
            "Add",
            tooltip="Add a layer after the cursor row (inside its branch when it is in a block)",
            id="builder-add",
        ),
        Binding(
            "i",
            "add_layer(False)",
            "Insert",
            tooltip="Insert a layer before the cursor row",
            id="builder-insert",
            show=False,
        ),
        Binding(
            "e",
            "edit_layer",
            "Edit",
            tooltip="Edit the cursor row's layer in a form (enter does it too)",
            id="builder-edit",
        ),
        Binding(
            "d,delete",
            "delete_layer",
            "Delete",
            tooltip="Delete the cursor row's layer (a block goes with its layers)",
            id="builder-delete",
        ),
        Binding(
            "y",
            "duplicate_layer",
            "Duplicate",
            tooltip="Put a copy of the cursor row's layer right after it",
            id="builder-duplicate",
            show=False,
        ),
        Binding(
            "shift+up,K",
            "move_layer(-1)",
            "Move up",
            tooltip="Move the layer up among its siblings",
            id="builder-move-up",
            show=False,
        ),
        Binding(
            "shift+down,J",
            "move_layer(1)",
            "Move down",
            tooltip="Move the layer down among its siblings",
            id="builder-move-down",
            show=False,
        ),
        Binding(
            "space",
            "toggle_block",
            "Fold",
            tooltip="Collapse or expand the block under the cursor (on a child: its block)",
            id="builder-fold",
            show=False,
        ),
        Binding(
            "u,ctrl+z",
            "undo",
            "Undo",
            tooltip="Take back the last change",
            id="builder-undo",
        ),
        Binding(
            "ctrl+y,U",
            "redo",
            "Redo",
            tooltip="Make the last undone change again",
            id="builder-redo",
            show=False,
        ),
        Binding(
            "ctrl+s",
            "save",
            "Save",
            tooltip="Save the stack to a .json file",
            id="builder-save",
        ),
        Binding(
            "ctrl+o",
            "open",
            "Open",
            tooltip="Open a stack .json file",
            id="builder-open",
        ),
        Binding(
            "x",
            "export",
            "Export",
            tooltip="The stack as PyTorch source, to read or save as a .py file",
            id="builder-export",
        ),
        Binding(
            "t",
            "train_stack",
            "Train",
            tooltip="Train this stack: the Train screen opens with its layers and input shape",
            id="builder-train",
            show=False,
        ),
        Binding(
            "ctrl+n",
            "new_stack",
            "New",
            tooltip="Start again from an empty stack (undo brings the old one back)",
            id="builder-new",
            show=False,
        ),
        Binding(
            "escape",
            "leave_field",
            "Leave field",
            tooltip="Back to the table, so the letter keys edit again",
            id="builder-leave-field",
        ),
    ]

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

    def __init__(self, stack: str | None = None) -> None:
        super().__init__()
        self.start_with = stack
        """A preset name, spec or .json file to open with; None for an empty stack."""
        self.history: EditHistory[Settings] = EditHistory(())
        """The layers now, with every earlier version for undo (and, beside the edits that
        replaced them, the input shape, name and description before)."""
        self.input_shape: Shape = DEFAULT_INPUT
        """The last valid input shape typed or loaded."""
        self.stack_name = ""
        """The stack's name: the preset's or file's; '' for an untitled stack."""
        self.description = ""
        """The loaded preset's or file's description, saved with the stack."""
        self.batch = 1
        self.dtype = "fp32"
        self.optimizer = "sgd"
        self.fields_ok = True
        """False while the input shape or batch field holds something unusable."""
        self.folds: set[EditPath] = set()
        """Paths of the blocks whose children are hidden."""
        self.entries: list[TableEntry] = []
        """The table's rows, in order."""
        self.result: Tally | None = None
        """The tally shown."""
        self.baseline: Layers = ()
        """The layers as last opened, saved or started; the subtitle says 'edited' otherwise."""
        self.files = StackFiles()
        """Where the stack was last saved or opened, and the files that failed to load."""

    # -----------------------------------------------------------------------------------------
    # layout

    def compose(self) -> ComposeResult:
        yield Header()
        yield BuilderSettings(id="builder-controls")
        yield BuilderMessage(id="builder-message")
        yield BuilderTable(id="builder-table")
        yield BuilderTotals(id="builder-totals")
        yield Footer()

    @property
    def table(self) -> BuilderTable:
        return self.query_one("#builder-table", BuilderTable)

    @property
    def settings(self) -> BuilderSettings:
        return self.query_one("#builder-controls", BuilderSettings)

    @property
    def totals(self) -> BuilderTotals:
        return self.query_one("#builder-totals", BuilderTotals)

    @property
    def message(self) -> BuilderMessage:
        return self.query_one("#builder-message", BuilderMessage)

    def on_mount(self) -> None:
        self.totals.fit_height(self.app.size.height)
        if self.start_with:
            self.open_text(self.start_with, first=True)
        self.refresh_stack(select="")
        failing = self.result is not None and self.result.error is not None
        if not self.message.note[0] and not failing:
            # a first hint; a failing layer's message says enough on its own
            self.say(
                "an empty stack: press a to add a layer, or pick a preset"
                if not self.layers
                else "e (or enter) edits the cursor row, a adds after it; ? lists every key"
            )
        self.table.focus()

    def on_resize(self, event: Resize) -> None:
        self.totals.fit_height(event.size.height)

    # -----------------------------------------------------------------------------------------
    # showing the stack

    @property
    def layers(self) -> Layers:
        return self.history.current

    def stack(self) -> Stack:
        return Stack(self.layers, self.input_shape, self.stack_name, self.description)

    def refresh_stack(self, select: str | None = None) -> None:
        """Tally the stack and redraw table, totals and message; the cursor goes to the row
        numbered `select` (or its nearest survivor), else stays at its place."""
        table = self.table
        result = tally(self.stack(), batch=self.batch, dtype=self.dtype, optimizer=self.optimizer)
        self.result = result
        index = table.cursor_row
        self.entries = build_entries(self.layers, result, self.folds)
        table.result = result
        table.show_lines([entry.line for entry in self.entries])
        table.set_stale(not self.fields_ok)
        if select is not None:
            index = row_index(self.entries, select)
        table.move_cursor(row=max(0, min(index, len(self.entries) - 1)), animate=False)
        self.totals.show_tally(result, self.fields_ok)
        self.message.show_error(result.error.describe() if result.error is not None else "")
        self.settings.show_spec(format_layers(self.layers))
        edited = self.layers != self.baseline
        name = visible(self.stack_name) or "untitled"  # the file's name: its ESC is shown, not sent
        self.sub_title = f"{name}, edited" if edited else name

    @property
    def has_unsaved_edits(self) -> bool:
        """Whether the stack differs from the one last opened, saved or started (the subtitle's
        'edited'): quitting asks first."""
        return self.layers != self.baseline

    def say(self, text: str, tone: str = "info") -> None:
        """Set the message line's note (what happened, or why not) and show it."""
        self.message.say(text, tone)

    @property
    def message_text(self) -> str:
        """The message line as plain text."""
        return self.message.text

    # -----------------------------------------------------------------------------------------
    # the history

    def apply_edit(
        self,
        layers: Layers,
        what: str,
        select: str | None = None,
        settings: Settings | None = None,
        folds: set[EditPath] | None = None,
    ) -> None:
        """Make layers current through the history (so undo takes it back) and redraw.

        settings: a new input shape, name and description that come with the change (opening
        a preset or file); undo restores the old ones with the old layers.
        folds: the folded blocks' paths as the change moves them."""
        refusal = too_big(layers) or too_deep(layers)
        if refusal:
            self.say(refusal, "error")
            return
        if folds is not None:
            self.folds = folds
        changed = layers != self.layers
        if changed:
            self.history.apply(layers, what, self._settings() if settings is not None else None)
        if settings is not None:
            self._use_settings(settings)
        self.refresh_stack(select)

    def _settings(self) -> Settings:
        return (self.input_shape, self.stack_name, self.description)

    def _use_settings(self, settings: Settings) -> None:
        shape, self.stack_name, self.description = settings
        self.input_shape = shape
        self.settings.show_shape(shape)
        self.fields_ok = True

    def action_undo(self) -> None:
        what, settings = self.history.undo_with(self._settings())
        if not what:
            self.say("nothing to undo")
            return
        if settings is not None:
            self._use_settings(settings)
        self.say(f"undid: {what} (ctrl+y or U redoes it)")
        self.refresh_stack()

    def action_redo(self) -> None:
        what, settings = self.history.redo_with(self._settings())
        if not what:
            self.say("nothing to redo")
            return
        if settings is not None:
            self._use_settings(settings)
        self.say(f"redid: {what}")
        self.refresh_stack()

    # -----------------------------------------------------------------------------------------
    # opening stacks

    def open_text(self, text: str, first: bool = False) -> bool:
        """Replace the stack with a preset, a .json file or a one-line spec; False (and the
        reason on the message line) when it cannot be read. A typed spec keeps the input shape.

        first: the stack the screen opens with, which undo does not go back past."""
        text = text.strip()
        try:
            stack, own_shape, what = self.files.read_text(text, self.input_shape, self.stack_name)
        except StackError as exc:
            self.say(f"spec: {exc.describe()}", "error")
            return False
        settings = (
            (stack.input_shape, stack.name, stack.description)
            if own_shape
            else (self.input_shape, self.stack_name, self.description)
        )
        if not self._replace(stack.layers, what, settings, first):
            return False
        self.settings.show_preset(stack.name if what.startswith("preset") else EMPTY_CHOICE)
        return True

    def _replace(self, layers: Layers, what: str, settings: Settings, first: bool) -> bool:
        """Put opened layers in place of the stack, blocks folded when they are many."""
        refusal = too_big(layers) or too_deep(layers)
        if refusal:
            self.say(f"{what}: {refusal}", "error")
            return False
        self.folds = default_folds(layers, row_count(layers))
        self.baseline = layers
        if first:
            self.history = EditHistory(layers)
            self._use_settings(settings)
            return True
        self.say(f"opened {what}")
        self.apply_edit(layers, f"open {what}", select="", settings=settings)
        return True

    @on(BuilderSettings.SpecSubmitted)
    def apply_typed_spec(self, event: BuilderSettings.SpecSubmitted) -> None:
        event.stop()
        applied = self.open_text(event.text)
        self.settings.show_typed_spec(applied, format_layers(self.layers))
        if applied:
            self.table.focus()

    @on(BuilderSettings.PresetPicked)
    def pick_preset(self, event: BuilderSettings.PresetPicked) -> None:
        event.stop()
        if event.choice == EMPTY_CHOICE:
            self.action_new_stack()
        else:
            self.open_text(event.choice)
        self.table.focus()

    def action_new_stack(self) -> None:
        self.folds = set()
        self.baseline = ()
        self.say("a new, empty stack: press a to add a layer (u brings the old one back)")
        self.apply_edit((), "start a new stack", select="", settings=(self.input_shape, "", ""))
        self.settings.show_preset(EMPTY_CHOICE)

    # -----------------------------------------------------------------------------------------
    # the settings row

    @on(BuilderSettings.SizesChanged)
    def read_settings(self, event: BuilderSettings.SizesChanged) -> None:
        event.stop()
        try:
            shape, batch = self.settings.read_sizes()
        except FieldError as exc:
            self.fields_ok = False
            self.say(str(exc), "error")
            self.table.set_stale(True)
            self.totals.set_stale(True)
            return
        was_ok, self.fields_ok = self.fields_ok, True
        if was_ok and (shape, batch) == (self.input_shape, self.batch):
            return  # a field reporting its first value, or the same value retyped
        self.input_shape, self.batch = shape, batch
        if not was_ok:
            self.say("")  # the field's complaint is answered
        self.refresh_stack()

    @on(BuilderSettings.ChoicesChanged)
    def read_choices(self, event: BuilderSettings.ChoicesChanged) -> None:
        event.stop()
        dtype, optimizer = self.settings.choices()
        if (dtype, optimizer) != (self.dtype, self.optimizer):
            self.dtype, self.optimizer = dtype, optimizer
            self.refresh_stack()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        typing = isinstance(self.focused, Input | Select)
        if action == "leave_field":
            return typing
        if action in ROW_ACTIONS:
            # the letters belong to a field while one has the keys
            return not typing
        return True

    def action_leave_field(self) -> None:
        self.table.focus()

    # -----------------------------------------------------------------------------------------
    # editing rows

    def cursor_entry(self) -> TableEntry:
        index = self.table.cursor_row
        return self.entries[index] if 0 <= index < len(self.entries) else self.entries[0]

    def action_add_layer(self, after: bool = True) -> None:
        entry = self.cursor_entry()
        point = insert_point(entry, after, self.input_shape)
        if point is None:
            self.say(dense_note(entry), "error")
            return
        path, incoming = point
        title = add_title(entry, after, path, empty=not self.layers)

        def insert(layer: Layer | None) -> None:
            if layer is None:
                self.say("nothing added")
                return
            try:
                edit = insert_edit(self.layers, self.folds, path, layer)
            except StackError as exc:
                self.say(exc.describe(), "error")
                return
            self._apply_row_edit(edit)

        self.app.push_screen(LayerForm(title, None, incoming), insert)

    def _apply_row_edit(self, edit: RowEdit) -> None:
        self.say(edit.note)
        self.apply_edit(edit.layers, edit.what, select=edit.select, folds=edit.folds)

    def action_edit_layer(self) -> None:
        entry = self.cursor_entry()
        if entry.kind == "input":
            self.query_one("#builder-input", Input).focus()
            self.say("type the input shape, e.g. 3x224x224; escape goes back to the table")
            return
        if entry.kind == "shortcut":
            self.action_add_layer(after=True)
            return
        if entry.kind == "dense" or entry.path is None or entry.layer is None:
            self.say(dense_note(entry), "error")
            return
        old = entry.layer

        def replace(layer: Layer | None) -> None:
            if layer is None or layer == old:
                self.say("nothing changed")
                return
            self._apply_row_edit(replace_edit(self.layers, self.folds, entry, old, layer))

        title = f"Edit layer {entry.number} {short_label(old)}"
        self.app.push_screen(LayerForm(title, old, entry.incoming), replace)

    @on(DataTable.RowSelected, "#builder-table")
    def edit_selected_row(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit_layer()

    def _layer_entry(self, doing: str) -> TableEntry | None:
        """The cursor row when it holds an editable layer; else None, saying why."""
        entry = self.cursor_entry()
        if entry.kind == "layer" and entry.path is not None and entry.layer is not None:
            return entry
        self.say(not_a_layer_note(entry, doing), "error")
        return None

    def action_delete_layer(self) -> None:
        entry = self._layer_entry("delete")
        if entry is None:
            return
        try:
            edit = delete_edit(self.layers, self.folds, entry)
        except StackError as exc:
            self.say(exc.describe(), "error")
            return
        self._apply_row_edit(edit)

    def action_duplicate_layer(self) -> None:
        entry = self._layer_entry("copy")
        if entry is not None:
            self._apply_row_edit(duplicate_edit(self.layers, self.folds, entry))

    def action_move_layer(self, step: int) -> None:
        entry = self._layer_entry("move")
        if entry is None:
            return
        edit = move_edit(self.layers, self.folds, entry, step)
        if isinstance(edit, str):
            self.say(edit)  # already first or last
        else:
            self._apply_row_edit(edit)

    def action_toggle_block(self) -> None:
        block = fold_target(self.cursor_entry())
        if isinstance(block, str):
            self.say(block)
        else:
            self._toggle(block)

    def _toggle(self, block: EditPath) -> None:
        folded = block not in self.folds
        if folded:
            self.folds.add(block)
        else:
            self.folds.discard(block)
        self.say(fold_note(block, folded))
        self.refresh_stack(select=number_of(block))

    @on(BuilderTable.MarkerClicked)
    def fold_clicked_block(self, event: BuilderTable.MarkerClicked) -> None:
        event.stop()
        if 0 <= event.row < len(self.entries):
            path = self.entries[event.row].path
            if path is not None:
                self._toggle(path)

    # -----------------------------------------------------------------------------------------
    # files

    @property
    def saved_path(self) -> Path | None:
        """Where the stack was last saved to or opened from."""
        return self.files.saved_path

    def action_save(self) -> None:
        if not self.layers:
            self.say("nothing to save yet: add a layer first", "error")
            return

        def save(path: Path | None) -> None:
            if path is None:
                self.say("not saved")
                return
            name = self.stack_name or path.stem
            stack = Stack(self.layers, self.input_shape, name, self.description)
            try:
                save_stack(stack, path)
            except OSError as exc:
                self.say(f"{path}: not saved ({exc.strerror or exc})", "error")
                return
            self.stack_name = name
            self.files.remember_file(path)
            self.baseline = self.layers
            self.say(f"saved {len(self.layers)} layers to {path}")
            self.refresh_stack()

        files = self.files
        known = (files.saved_path, files.saved_signature) if files.saved_path else None
        default = files.default_path(".json", self.stack_name)
        self.app.push_screen(StackFileDialog("save", default, files.failed_loads, known), save)

    def action_open(self) -> None:
        def open_file(path: Path | None) -> None:
            if path is None:
                self.say("nothing opened")
                return
            try:
                stack = self.files.load(path)
            except StackError as exc:
                # the file stays as it is, and saving will not overwrite it
                self.say(exc.describe(), "error")
                return
            settings = (stack.input_shape, stack.name, stack.description)
            if self._replace(stack.layers, f"file {path.name}", settings, first=False):
                self.files.remember_file(path)
                self.settings.show_preset(EMPTY_CHOICE)

        default = self.files.default_path(".json", self.stack_name)
        self.app.push_screen(StackFileDialog("open", default, self.files.failed_loads), open_file)

    def open_recovered(self, stack: Stack, source: Path | None) -> bool:
        """Put back a stack kept when a signal ended the app: marked unsaved (it never was),
        saved by ctrl+s to its own file (`source`) when it had one; undo goes back past it."""
        settings = (stack.input_shape, stack.name, stack.description)
        if not self._replace(stack.layers, "the recovered stack", settings, first=False):
            return False
        self.baseline = ()  # the edits were never saved: quitting asks, the subtitle says so
        self.files.remember_file(source)
        self.settings.show_preset(EMPTY_CHOICE)
        where = f" (from {source}; ctrl+s saves it there)" if source else " (ctrl+s saves it)"
        self.say(f"reopened the unsaved stack{where}")
        self.refresh_stack()
        return True

    # -----------------------------------------------------------------------------------------
    # training

    def action_train_stack(self) -> None:
        if not self.layers:
            self.say("nothing to train yet: add a layer first", "error")
            return
        if self.result is not None and self.result.error is not None:
            self.say("fix the failing layer first: training needs every layer to fit", "error")
            return
        stack = self.stack()
        if self.layers != self.baseline:
            # named as the title says: an edited preset is no longer the preset
            name = f"{self.stack_name}, edited" if self.stack_name else ""
            stack = Stack(stack.layers, stack.input_shape, name, stack.description)
        self.post_message(UseStackInTrain(stack))

    # -----------------------------------------------------------------------------------------
    # export

    def action_export(self) -> None:
        if not self.layers:
            self.say("nothing to export yet: add a layer first", "error")
            return
        if self.result is not None and self.result.error is not None:
            self.say("fix the failing layer first: PyTorch needs every layer to fit", "error")
            return
        self.say("writing PyTorch source (loading torch takes a few seconds the first time)...")
        self.export_in_background(self.stack())

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
        event.stop()
        lines = event.source.count("\n")
        self.say(f"exported {event.name or 'the stack'}: {lines} lines of PyTorch source")

        def saved(path: Path | None) -> None:
            self.say(f"wrote the PyTorch source to {path}" if path else "source not saved")

        title = f"PyTorch source of {event.name or 'the stack'}"
        default = self.files.default_path(".py", event.name or "net")
        self.app.push_screen(ExportDialog(event.source, default, title), saved)
