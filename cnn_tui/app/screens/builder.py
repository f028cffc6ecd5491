"""BuilderScreen: assemble a layer stack row by row while its tally (the lecture's VGG-16 table)
updates live; edit in a form, undo, save, open, and export PyTorch source."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Select

from ...core.stacks.blocks import format_layers
from ...core.stacks.layers import Layer
from ...core.stacks.shapes import Shape, StackError
from ...core.stacks.stack import Stack
from ...core.stacks.stack_edit import EditHistory, Layers
from ...core.stacks.stack_edit import Path as EditPath
from ...core.stacks.tally import Tally, tally
from ...core.views.builder_document import BuilderDocument, Settings
from ...core.views.builder_edits import (
    RowEdit,
    add_plan,
    delete_edit,
    dense_note,
    duplicate_edit,
    fold_note,
    fold_target,
    insert_edit,
    move_edit,
    not_a_layer_note,
    replace_edit,
    row_index,
    short_label,
    start_hint,
)
from ...core.views.builder_rows import TableEntry, build_entries, number_of
from ...core.views.fields import FieldError
from ..messages import UseStackInTrain
from ..widgets.builder.file_flow import StackFileFlow
from ..widgets.builder.layer_form import LayerForm
from ..widgets.builder.message_line import BuilderMessage
from ..widgets.builder.settings_bar import DEFAULT_INPUT, EMPTY_CHOICE, BuilderSettings
from ..widgets.builder.stack_export import StackExport
from ..widgets.builder.stack_table import BuilderTable
from ..widgets.builder.totals import BuilderTotals
from ..widgets.common.steady_footer import SteadyFooter

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
            show=False,  # help and palette list it; the 80-column footer needs the room
        ),
        Binding(
            "x",
            "export",
            "Export",
            tooltip="The stack as PyTorch source, to read or save as a .py file",
            id="builder-export",
            show=False,
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

    def __init__(self, stack: str | None = None) -> None:
        super().__init__()
        self.start_with = stack
        """A preset name, spec or .json file to open with; None for an empty stack."""
        self.doc = BuilderDocument(DEFAULT_INPUT)
        """The stack: its layers and their history, settings, folds and files."""
        self.batch, self.dtype, self.optimizer = 1, "fp32", "sgd"
        self.fields_ok = True
        """False while the input shape or batch field holds something unusable."""
        self.entries: list[TableEntry] = []
        """The table's rows, in order."""
        self.result: Tally | None = None
        """The tally shown."""

    # -----------------------------------------------------------------------------------------
    # layout

    def compose(self) -> ComposeResult:
        yield Header()
        yield BuilderSettings(id="builder-controls")
        yield BuilderMessage(id="builder-message")
        yield BuilderTable(id="builder-table")
        yield BuilderTotals(id="builder-totals")
        yield SteadyFooter()
        yield StackExport(id="builder-export")
        yield StackFileFlow(id="builder-files")

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
            self.say(start_hint(self.layers))  # a failing layer's message says enough alone
        self.table.focus()

    def on_resize(self, event: Resize) -> None:
        self.totals.fit_height(event.size.height)

    # -----------------------------------------------------------------------------------------
    # showing the stack

    @property
    def history(self) -> EditHistory[Settings]:
        return self.doc.history

    @property
    def layers(self) -> Layers:
        return self.doc.layers

    @property
    def input_shape(self) -> Shape:
        return self.doc.input_shape

    @property
    def stack_name(self) -> str:
        return self.doc.stack_name

    def stack(self) -> Stack:
        return self.doc.stack()

    def refresh_stack(self, select: str | None = None) -> None:
        """Tally the stack and redraw table, totals and message; the cursor goes to the row
        numbered `select` (or its nearest survivor), else stays at its place."""
        result = tally(self.stack(), batch=self.batch, dtype=self.dtype, optimizer=self.optimizer)
        self.result = result
        self.entries = build_entries(self.layers, result, self.doc.folds)
        row = row_index(self.entries, select) if select is not None else None
        self.table.show_rows(result, [entry.line for entry in self.entries], self.fields_ok, row)
        self.totals.show_tally(result, self.fields_ok)
        self.message.show_error(result.error.describe() if result.error is not None else "")
        self.settings.show_spec(format_layers(self.layers))
        self.sub_title = self.doc.subtitle()

    @property
    def has_unsaved_edits(self) -> bool:
        """Whether the stack differs from the one last opened, saved or started (the subtitle's
        'edited'): quitting asks first."""
        return self.doc.edited

    def say(self, text: str, tone: str = "info") -> None:
        """Set the message line's note (what happened, or why not) and show it."""
        self.message.say(text, tone)

    @property
    def message_text(self) -> str:
        """The message line as plain text."""
        return self.message.text

    @on(BuilderMessage.Note)
    def show_note(self, event: BuilderMessage.Note) -> None:
        event.stop()
        self.say(event.text, event.tone)

    # -----------------------------------------------------------------------------------------
    # the history, and opening stacks

    def _show_settings(self) -> None:
        """The input shape (and so the stack's sizes) were replaced: the field shows it."""
        self.settings.show_shape(self.input_shape)
        self.fields_ok = True

    def action_undo(self) -> None:
        self._stepped(*self.doc.undo(), "undo", "undid: {} (ctrl+y or U redoes it)")

    def action_redo(self) -> None:
        self._stepped(*self.doc.redo(), "redo", "redid: {}")

    def _stepped(self, what: str, restored: bool, step: str, note: str) -> None:
        """Redraw after an undo or redo: what it took back or made again ('' for nothing),
        whether the settings came with it; note: the message, {} for what."""
        if not what:
            self.say(f"nothing to {step}")
            return
        if restored:
            self._show_settings()
        self.say(note.format(what))
        self.refresh_stack()

    def open_text(self, text: str, first: bool = False) -> bool:
        """Replace the stack with a preset, a .json file or a one-line spec; False (and the
        reason on the message line) when it cannot be read. A typed spec keeps the input shape.

        first: the stack the screen opens with, which undo does not go back past."""
        try:
            stack, settings, what = self.doc.read_text(text.strip())
        except StackError as exc:
            self.say(f"spec: {exc.describe()}", "error")
            return False
        if not self._replace(stack.layers, what, settings, first):
            return False
        self.settings.show_preset(stack.name if what.startswith("preset") else EMPTY_CHOICE)
        return True

    def _replace(self, layers: Layers, what: str, settings: Settings, first: bool) -> bool:
        """Put opened layers in place of the stack, blocks folded when they are many."""
        refusal = self.doc.replace(layers, what, settings, first)
        if refusal:
            self.say(refusal, "error")
            return False
        self._show_settings()
        if not first:
            self.say(f"opened {what}")
            self.refresh_stack(select="")
        return True

    @on(BuilderSettings.SpecSubmitted)
    def apply_typed_spec(self, event: BuilderSettings.SpecSubmitted) -> None:
        event.stop()
        # the keys stay in the field (tab: the next field; escape: the table)
        applied = self.open_text(event.text)
        self.settings.show_typed_spec(applied, format_layers(self.layers))

    @on(BuilderSettings.PresetPicked)
    def pick_preset(self, event: BuilderSettings.PresetPicked) -> None:
        event.stop()
        if event.choice == EMPTY_CHOICE:
            self.action_new_stack()
        else:
            self.open_text(event.choice)
        self.table.focus()

    def action_new_stack(self) -> None:
        self.say("a new, empty stack: press a to add a layer (u brings the old one back)")
        self.doc.start_new()
        self._show_settings()
        self.refresh_stack(select="")
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
        self.doc.input_shape, self.batch = shape, batch
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
        plan = add_plan(self.cursor_entry(), after, self.input_shape, empty=not self.layers)
        if isinstance(plan, str):
            self.say(plan, "error")
            return
        path, incoming, title = plan

        def insert(layer: Layer | None) -> None:
            if layer is None:
                self.say("nothing added")
                return
            self._try_row_edit(lambda: insert_edit(self.layers, self.doc.folds, path, layer))

        self.app.push_screen(LayerForm(title, None, incoming), insert)

    def _apply_row_edit(self, edit: RowEdit | str) -> None:
        """Make an edit's layers current through the history (so undo takes it back) and
        redraw; a str: why there is no edit."""
        if isinstance(edit, str):
            self.say(edit)  # e.g. already first or last
            return
        refusal = self.doc.apply(edit.layers, edit.what, folds=edit.folds)
        self.say(refusal or edit.note, "error" if refusal else "info")
        if not refusal:
            self.refresh_stack(edit.select)

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
            self._apply_row_edit(replace_edit(self.layers, self.doc.folds, entry, old, layer))

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
        if entry is not None:
            self._try_row_edit(lambda: delete_edit(self.layers, self.doc.folds, entry))

    def _try_row_edit(self, make_edit: Callable[[], RowEdit]) -> None:
        """Apply the edit make_edit makes, or say why it cannot be made (a StackError)."""
        try:
            edit = make_edit()
        except StackError as exc:
            self.say(exc.describe(), "error")
            return
        self._apply_row_edit(edit)

    def action_duplicate_layer(self) -> None:
        entry = self._layer_entry("copy")
        if entry is not None:
            self._apply_row_edit(duplicate_edit(self.layers, self.doc.folds, entry))

    def action_move_layer(self, step: int) -> None:
        entry = self._layer_entry("move")
        if entry is not None:
            self._apply_row_edit(move_edit(self.layers, self.doc.folds, entry, step))

    def action_toggle_block(self) -> None:
        block = fold_target(self.cursor_entry())
        if isinstance(block, str):
            self.say(block)
        else:
            self._toggle(block)

    def _toggle(self, block: EditPath) -> None:
        folded = self.doc.toggle_fold(block)
        self.say(fold_note(block, folded))
        self.refresh_stack(select=number_of(block))

    @on(BuilderTable.MarkerClicked)
    def fold_clicked_block(self, event: BuilderTable.MarkerClicked) -> None:
        event.stop()
        path = self.entries[event.row].path if 0 <= event.row < len(self.entries) else None
        if path is not None:
            self._toggle(path)

    # -----------------------------------------------------------------------------------------
    # files

    @property
    def saved_path(self) -> Path | None:
        """Where the stack was last saved to or opened from."""
        return self.doc.files.saved_path

    def action_save(self) -> None:
        if self._usable("save"):
            self.query_one(StackFileFlow).save(self.doc)

    def action_open(self) -> None:
        self.query_one(StackFileFlow).open(self.doc)

    @on(StackFileFlow.Saved)
    def show_saved_stack(self, event: StackFileFlow.Saved) -> None:
        event.stop()
        self.refresh_stack()

    @on(StackFileFlow.Loaded)
    def open_loaded_file(self, event: StackFileFlow.Loaded) -> None:
        event.stop()
        stack, path = event.stack, event.path
        settings = (stack.input_shape, stack.name, stack.description)
        if self._replace(stack.layers, f"file {path.name}", settings, first=False):
            self.doc.files.remember_file(path)
            self.settings.show_preset(EMPTY_CHOICE)

    def open_recovered(self, stack: Stack, source: Path | None) -> bool:
        """Put back a stack kept when a signal ended the app: marked unsaved (it never was),
        saved by ctrl+s to its own file (`source`) when it had one; undo goes back past it."""
        settings = (stack.input_shape, stack.name, stack.description)
        if not self._replace(stack.layers, "the recovered stack", settings, first=False):
            return False
        self.doc.mark_recovered(source)
        self.settings.show_preset(EMPTY_CHOICE)
        where = f" (from {source}; ctrl+s saves it there)" if source else " (ctrl+s saves it)"
        self.say(f"reopened the unsaved stack{where}")
        self.refresh_stack()
        return True

    # -----------------------------------------------------------------------------------------
    # training and export

    def _usable(self, doing: str, needs: str = "") -> bool:
        """Whether the stack has layers to save, train or export (and, when something `needs`
        them to, whether every layer fits); else False, saying why not."""
        if not self.layers:
            self.say(f"nothing to {doing} yet: add a layer first", "error")
        elif needs and self.result is not None and self.result.error is not None:
            self.say(f"fix the failing layer first: {needs} every layer to fit", "error")
        else:
            return True
        return False

    def action_train_stack(self) -> None:
        if self._usable("train", needs="training needs"):
            self.post_message(UseStackInTrain(self.doc.stack_to_train()))

    def action_export(self) -> None:
        if self._usable("export", needs="PyTorch needs"):
            self.say("writing PyTorch source (loading torch takes a few seconds the first time)...")
            self.query_one(StackExport).export(self.stack(), self.doc.files)
