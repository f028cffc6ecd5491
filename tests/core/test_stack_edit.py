"""Editing a stack by path, and undo/redo: exact resulting specs."""

import pytest

from cnn_tui.core.stacks.blocks import format_layers
from cnn_tui.core.stacks.layers import ReLU
from cnn_tui.core.stacks.shapes import StackError
from cnn_tui.core.stacks.spec_parser import parse_layers
from cnn_tui.core.stacks.stack_edit import (
    EditHistory,
    delete_layer,
    duplicate_layer,
    get_layer,
    insert_layer,
    move_layer,
    replace_layer,
    row_path,
)

SPEC = "conv(8,3) relu res[conv(8,3,p=1) bn | conv(8,1)] cat[conv(4,1) | maxpool(3,s=1,p=1)] fc(10)"


@pytest.fixture
def layers():
    return parse_layers(SPEC)


def test_row_numbers_become_zero_based_paths():
    assert row_path("3") == (2,)
    assert row_path("3.2.1") == (2, 1, 0)


def test_get_and_replace_inside_blocks(layers):
    assert get_layer(layers, (2, 1, 0)).label() == "conv(8,1)"
    changed = replace_layer(layers, (3, 1, 0), ReLU())
    assert format_layers(changed) == (
        "conv(8,3) relu res[conv(8,3,p=1) bn | conv(8,1)] cat[conv(4,1) | relu] fc(10)"
    )


@pytest.mark.parametrize(
    ("path", "spec"),
    [
        (
            (0,),
            "relu conv(8,3) relu res[conv(8,3,p=1) bn | conv(8,1)] cat[conv(4,1) | "
            "maxpool(3,s=1,p=1)] fc(10)",
        ),
        ((5,), SPEC + " relu"),
        (
            (2, 0, 1),
            "conv(8,3) relu res[conv(8,3,p=1) relu bn | conv(8,1)] cat[conv(4,1) | "
            "maxpool(3,s=1,p=1)] fc(10)",
        ),
        (
            (2, 1, 1),
            "conv(8,3) relu res[conv(8,3,p=1) bn | conv(8,1) relu] cat[conv(4,1) | "
            "maxpool(3,s=1,p=1)] fc(10)",
        ),
    ],
)
def test_insert(layers, path, spec):
    assert format_layers(insert_layer(layers, path, ReLU())) == spec


def test_delete_duplicate_and_move(layers):
    assert format_layers(delete_layer(layers, (2, 1, 0))) == (
        "conv(8,3) relu res[conv(8,3,p=1) bn] cat[conv(4,1) | maxpool(3,s=1,p=1)] fc(10)"
    )
    assert format_layers(duplicate_layer(layers, (0,))).startswith("conv(8,3) conv(8,3) relu")
    moved, path = move_layer(layers, (1,), 1)
    assert path == (2,)
    assert format_layers(moved).startswith("conv(8,3) res[")
    same, path = move_layer(layers, (0,), -1)
    assert same == layers and path == (0,)


def test_a_concat_branch_cannot_be_emptied_but_a_shortcut_can():
    inception = parse_layers("cat[conv(8,1) | conv(8,1)]")
    with pytest.raises(StackError, match="every branch of a concat block needs a layer"):
        delete_layer(inception, (0, 1, 0))
    residual = parse_layers("res[conv(8,1,p=0) | conv(8,1)]")
    assert format_layers(delete_layer(residual, (0, 1, 0))) == "res[conv(8,1)]"


def test_refused_edits_name_the_problem(layers):
    with pytest.raises(StackError, match="no layer at position 9"):
        get_layer(layers, (8,))
    with pytest.raises(StackError, match="conv has no branch"):
        get_layer(layers, (0, 0, 0))
    body_only = parse_layers("res[relu]")
    with pytest.raises(StackError, match="first branch needs at least one layer"):
        delete_layer(body_only, (0, 0, 0))


def test_history_undo_and_redo(layers):
    history = EditHistory(layers)
    assert not history.can_undo
    history.apply(delete_layer(layers, (1,)), "delete layer 2")
    history.apply(history.current, "nothing")  # an edit that changes nothing is not recorded
    assert history.can_undo and not history.can_redo
    assert history.undo() == "delete layer 2"
    assert history.current == layers
    assert history.redo() == "delete layer 2"
    assert format_layers(history.current).startswith("conv(8,3) res[")
    assert history.undo() == "delete layer 2"
    history.apply(duplicate_layer(layers, (0,)), "duplicate layer 1")
    assert not history.can_redo  # a new edit forgets what was undone
    assert history.undo() == "duplicate layer 1"
    assert history.undo() == ""
