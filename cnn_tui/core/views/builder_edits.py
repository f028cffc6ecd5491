"""The builder's row edits as plain data: where a new layer goes, what each key does to the
layers and folds, and what the message line and the undo history call it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..stacks.blocks import Concat
from ..stacks.layers import Layer
from ..stacks.shapes import Shape, StackError
from ..stacks.stack_edit import (
    Layers,
    delete_layer,
    duplicate_layer,
    editable_branches,
    get_layer,
    insert_layer,
    move_layer,
    replace_layer,
)
from ..stacks.stack_edit import Path as EditPath
from .builder_rows import TableEntry, number_of, shifted, swapped


@dataclass(frozen=True)
class RowEdit:
    """A change to the stack made from the cursor row, ready for the history."""

    layers: Layers
    """The layers after the change."""
    what: str
    """The history's name for it: 'undid: ...' repeats it."""
    note: str
    """What the message line says about it."""
    select: str
    """The row number the cursor goes to."""
    folds: set[EditPath]
    """The folded blocks' paths as the change moves them."""


def short_label(layer: Layer | None) -> str:
    """A layer's label, a block's cut to its kind: 'conv(20,5)', 'res[...]'."""
    if layer is None:
        return ""
    label = layer.label()
    return label if len(label) <= 30 else f"{layer.kind}[...]"


def has_path(layers: Layers, path: EditPath) -> bool:
    """Whether a layer sits at path."""
    try:
        get_layer(layers, path)
    except StackError:
        return False
    return True


def row_index(entries: Sequence[TableEntry], number: str) -> int:
    """The row numbered number, else its parent block's row, else the input line."""
    numbers = [entry.number for entry in entries]
    while True:
        if number in numbers:
            return numbers.index(number)
        if "." not in number:
            return 0
        number = number.rsplit(".", 2)[0]


def dense_note(entry: TableEntry) -> str:
    """Why a dense block's generated row cannot be edited."""
    block = number_of(entry.path) if entry.path is not None else "?"
    return f"the layers of a dense block are generated: edit (or add around) the block, row {block}"


def start_hint(layers: Layers) -> str:
    """The builder's first hint, for an empty stack or one opened with it."""
    if not layers:
        return "an empty stack: press a to add a layer, or pick a preset"
    return "e (or enter) edits the cursor row, a adds after it; ? lists every key"


def not_a_layer_note(entry: TableEntry, doing: str) -> str:
    """Why the cursor row (the input line, a shortcut or a dense row) has no layer to act on."""
    if entry.kind == "input":
        return f"the input is not a layer to {doing}: set its shape above"
    if entry.kind == "shortcut":
        return "the identity shortcut is no layer: a adds a projection there"
    return dense_note(entry)


def insert_point(
    entry: TableEntry, after: bool, input_shape: Shape
) -> tuple[EditPath, Shape | None] | None:
    """Where a new layer goes for the cursor row, and the shape it will receive; None on a
    dense block's generated row."""
    if entry.kind == "input":
        return (0,), input_shape
    if entry.kind == "shortcut" and entry.path is not None:
        return (*entry.path, 1, 0), entry.incoming
    if entry.kind == "dense" or entry.path is None:
        return None
    path = entry.path
    if after:
        return (*path[:-1], path[-1] + 1), entry.outgoing
    return path, entry.incoming


def add_title(entry: TableEntry, after: bool, path: EditPath, empty: bool) -> str:
    """The layer form's title when adding at path from the cursor row."""
    if entry.kind == "input":
        return "Add the first layer" if empty else "Insert a layer before layer 1"
    if entry.kind == "shortcut":
        return f"Add a projection shortcut to block {number_of(path[:-2])}"
    if after:
        return f"Add a layer after layer {entry.number} {short_label(entry.layer)}"
    return f"Insert a layer before layer {entry.number} {short_label(entry.layer)}"


def add_plan(
    entry: TableEntry, after: bool, input_shape: Shape, empty: bool
) -> tuple[EditPath, Shape | None, str] | str:
    """Adding a layer at the cursor row: where it goes, the shape it will receive and the
    form's title; or, on a dense block's generated row, why no layer can go there."""
    point = insert_point(entry, after, input_shape)
    if point is None:
        return dense_note(entry)
    path, incoming = point
    return path, incoming, add_title(entry, after, path, empty)


def insert_edit(layers: Layers, folds: set[EditPath], path: EditPath, layer: Layer) -> RowEdit:
    """Add layer at path; StackError when it cannot go there."""
    number = number_of(path)
    return RowEdit(
        insert_layer(layers, path, layer),
        f"add {short_label(layer)} as layer {number}",
        f"added {short_label(layer)} as layer {number}",
        number,
        shifted(folds, path, 1),
    )


def replace_edit(
    layers: Layers, folds: set[EditPath], entry: TableEntry, old: Layer, layer: Layer
) -> RowEdit:
    """Put layer in place of the cursor row's layer old."""
    path = entry.path
    assert path is not None
    if layer.kind != old.kind:
        # a new kind of layer: folds inside the old block mean nothing now
        folds = {p for p in folds if p[: len(path)] != path}
    return RowEdit(
        replace_layer(layers, path, layer),
        f"change layer {entry.number} {short_label(old)} to {short_label(layer)}",
        f"changed layer {entry.number} to {short_label(layer)}",
        entry.number,
        folds,
    )


def delete_edit(layers: Layers, folds: set[EditPath], entry: TableEntry) -> RowEdit:
    """Delete the cursor row's layer; StackError when it cannot go."""
    path = entry.path
    assert path is not None
    if len(path) > 1:
        block = get_layer(layers, path[:-2])
        branch = editable_branches(block)[path[-2]]
        if isinstance(block, Concat) and len(branch) == 1:
            raise StackError(
                f"a cat branch needs a layer: delete block {number_of(path[:-2])} instead"
            )
    remaining = delete_layer(layers, path)
    siblings_left = path[-1] > 0
    select = entry.number
    if not has_path(remaining, path):
        select = number_of((*path[:-1], path[-1] - 1)) if siblings_left else entry.number
    return RowEdit(
        remaining,
        f"delete layer {entry.number} {short_label(entry.layer)}",
        f"deleted layer {entry.number} {short_label(entry.layer)}",
        select,
        shifted(folds, path, -1),
    )


def duplicate_edit(layers: Layers, folds: set[EditPath], entry: TableEntry) -> RowEdit:
    """Put a copy of the cursor row's layer right after it (folded when the original is)."""
    path = entry.path
    assert path is not None
    copy = (*path[:-1], path[-1] + 1)
    moved = shifted(folds, copy, 1)
    if path in folds:
        moved.add(copy)
    number = number_of(copy)
    return RowEdit(
        duplicate_layer(layers, path),
        f"copy layer {entry.number} {short_label(entry.layer)}",
        f"copied layer {entry.number} {short_label(entry.layer)} to layer {number}",
        number,
        moved,
    )


def move_edit(layers: Layers, folds: set[EditPath], entry: TableEntry, step: int) -> RowEdit | str:
    """Move the cursor row's layer up (step -1) or down (1) among its siblings; the note saying
    so when it is already first or last."""
    assert entry.path is not None
    moved, path = move_layer(layers, entry.path, step)
    if path == entry.path:
        where = "first" if step < 0 else "last"
        return f"layer {entry.number} is already {where} in its branch"
    number = number_of(path)
    direction = "up" if step < 0 else "down"
    return RowEdit(
        moved,
        f"move {short_label(entry.layer)} {direction} to layer {number}",
        f"moved {short_label(entry.layer)} {direction} to layer {number}",
        number,
        swapped(folds, entry.path, path),
    )


def fold_target(entry: TableEntry) -> EditPath | str:
    """The block that space folds or expands on the cursor row, or why there is none."""
    path = entry.path
    if path is None:
        return "space folds a block (res, cat, dense); the input line is none"
    if entry.kind in ("dense", "shortcut") or (entry.layer and entry.layer.is_block):
        return path  # the block itself (a dense or shortcut row holds its block's path)
    if len(path) > 1:
        return path[:-2]  # a child: fold the block it sits in
    return "space folds a block (res, cat, dense); this row is a single layer"


def fold_note(block: EditPath, folded: bool) -> str:
    """What the message line says after space folded (or expanded) block."""
    if folded:
        return f"block {number_of(block)} folded: space shows its layers again"
    return f"block {number_of(block)} expanded"
