"""The builder's row edits as plain data: insert points, titles, notes, history names, folds."""

from __future__ import annotations

import pytest

from cnn_tui.core.stacks.blocks import format_layers
from cnn_tui.core.stacks.shapes import StackError
from cnn_tui.core.stacks.spec_parser import parse_layers
from cnn_tui.core.stacks.tally import tally
from cnn_tui.core.views.builder_edits import (
    RowEdit,
    add_plan,
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
    start_hint,
)
from cnn_tui.core.views.builder_rows import TableEntry, build_entries

SPEC = "conv(8,3) res[conv(8,3,p=1) relu | ] cat[conv(4,1) | conv(4,3,p=1)] dense(2,4,2) fc(10)"


def entries_of(spec: str) -> dict[str, TableEntry]:
    layers = parse_layers(spec)
    return {e.number: e for e in build_entries(layers, tally(layers, (1, 28, 28)), set())}


def test_short_labels_cut_long_blocks_to_their_kind():
    layers = parse_layers("conv(20,5) res[conv(64,3,p=1) relu conv(64,3,p=1) relu | ]")
    assert short_label(layers[0]) == "conv(20,5)"
    assert short_label(layers[1]) == "res[...]"
    assert short_label(None) == ""


def test_row_index_falls_back_to_the_parent_block_then_the_input_line():
    entries = list(entries_of(SPEC).values())
    numbers = [e.number for e in entries]
    assert row_index(entries, "2.1.2") == numbers.index("2.1.2")
    assert row_index(entries, "2.1.9") == numbers.index("2")
    assert row_index(entries, "99") == 0


def test_insert_points_and_titles_follow_the_cursor_row():
    rows = entries_of(SPEC)
    assert insert_point(rows[""], True, (1, 28, 28)) == ((0,), (1, 28, 28))
    assert add_title(rows[""], True, (0,), empty=True) == "Add the first layer"
    assert add_title(rows[""], True, (0,), empty=False) == "Insert a layer before layer 1"
    path, incoming = insert_point(rows["1"], True, (1, 28, 28)) or ((), None)
    assert (path, incoming) == ((1,), (8, 26, 26))
    assert add_title(rows["1"], True, path, False) == "Add a layer after layer 1 conv(8,3)"
    path, incoming = insert_point(rows["1"], False, (1, 28, 28)) or ((), None)
    assert (path, incoming) == ((0,), (1, 28, 28))
    assert add_title(rows["1"], False, path, False) == "Insert a layer before layer 1 conv(8,3)"
    shortcut = rows["2.2"]
    assert shortcut.kind == "shortcut"
    path, _ = insert_point(shortcut, True, (1, 28, 28)) or ((), None)
    assert path == (1, 1, 0)
    assert add_title(shortcut, True, path, False) == "Add a projection shortcut to block 2"
    dense = next(e for e in rows.values() if e.kind == "dense")
    assert insert_point(dense, True, (1, 28, 28)) is None
    assert dense_note(dense) == (
        "the layers of a dense block are generated: edit (or add around) the block, row 4"
    )


def test_an_add_plan_gives_the_place_shape_and_title_or_why_not():
    rows = entries_of(SPEC)
    assert add_plan(rows["1"], True, (1, 28, 28), False) == (
        (1,),
        (8, 26, 26),
        "Add a layer after layer 1 conv(8,3)",
    )
    assert add_plan(rows[""], True, (1, 28, 28), True) == ((0,), (1, 28, 28), "Add the first layer")
    dense = next(e for e in rows.values() if e.kind == "dense")
    assert add_plan(dense, True, (1, 28, 28), False) == dense_note(dense)


def test_the_start_hint_depends_on_whether_there_are_layers():
    assert start_hint(()) == "an empty stack: press a to add a layer, or pick a preset"
    assert start_hint(parse_layers("relu")) == (
        "e (or enter) edits the cursor row, a adds after it; ? lists every key"
    )


def test_rows_without_a_layer_say_why():
    rows = entries_of(SPEC)
    assert not_a_layer_note(rows[""], "move") == (
        "the input is not a layer to move: set its shape above"
    )
    assert not_a_layer_note(rows["2.2"], "delete") == (
        "the identity shortcut is no layer: a adds a projection there"
    )
    dense = next(e for e in rows.values() if e.kind == "dense")
    assert not_a_layer_note(dense, "copy") == dense_note(dense)


def test_insert_and_replace_name_the_change_and_move_the_folds():
    layers = parse_layers("conv(8,3) res[conv(8,3,p=1) relu | ] fc(10)")
    (relu,) = parse_layers("relu")
    edit = insert_edit(layers, {(1,)}, (1,), relu)
    assert edit == RowEdit(edit.layers, "add relu as layer 2", "added relu as layer 2", "2", {(2,)})
    assert format_layers(edit.layers) == "conv(8,3) relu res[conv(8,3,p=1) relu] fc(10)"
    rows = entries_of("conv(8,3) res[conv(8,3,p=1) relu | ] fc(10)")
    old = rows["2"].layer
    assert old is not None
    replaced = replace_edit(layers, {(1,), (1, 0, 0)}, rows["2"], old, relu)
    assert replaced.what == "change layer 2 res[conv(8,3,p=1) relu] to relu"
    assert replaced.note == "changed layer 2 to relu"
    assert replaced.select == "2"
    assert replaced.folds == set()  # another kind: the old block's folds go


def test_delete_selects_a_survivor_and_refuses_a_lone_cat_branch():
    rows = entries_of("conv(8,3) relu fc(10)")
    layers = parse_layers("conv(8,3) relu fc(10)")
    last = delete_edit(layers, set(), rows["3"])
    assert (last.what, last.note, last.select) == (
        "delete layer 3 fc(10)",
        "deleted layer 3 fc(10)",
        "2",
    )
    first = delete_edit(layers, set(), rows["1"])
    assert first.select == "1"
    cat = "conv(8,3) cat[conv(4,1) | conv(4,3,p=1)]"
    with pytest.raises(StackError, match="a cat branch needs a layer: delete block 2 instead"):
        delete_edit(parse_layers(cat), set(), entries_of(cat)["2.1.1"])


def test_duplicate_and_move_keep_folds_with_their_blocks():
    spec = "conv(8,3) res[conv(8,3,p=1) relu | ] fc(10)"
    layers, rows = parse_layers(spec), entries_of(spec)
    copy = duplicate_edit(layers, {(1,)}, rows["2"])
    assert copy.folds == {(1,), (2,)}
    assert (copy.note, copy.select) == ("copied layer 2 res[conv(8,3,p=1) relu] to layer 3", "3")
    moved = move_edit(layers, {(1,)}, rows["2"], 1)
    assert isinstance(moved, RowEdit)
    assert moved.folds == {(2,)}
    assert moved.note == "moved res[conv(8,3,p=1) relu] down to layer 3"
    assert move_edit(layers, set(), rows["1"], -1) == "layer 1 is already first in its branch"


def test_fold_targets_are_blocks_or_the_block_around_a_child():
    rows = entries_of(SPEC)
    assert fold_target(rows["2"]) == (1,)
    assert fold_target(rows["2.1.2"]) == (1,)
    assert fold_target(rows["2.2"]) == (1,)
    assert fold_target(rows[""]) == "space folds a block (res, cat, dense); the input line is none"
    assert "single layer" in str(fold_target(rows["1"]))
    assert fold_note((1,), True) == "block 2 folded: space shows its layers again"
    assert fold_note((1, 0, 0), False) == "block 2.1.1 expanded"
