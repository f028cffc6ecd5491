"""The builder's document: edits through the history, undo and redo with their settings,
replacing the stack, names."""

from __future__ import annotations

from cnn_tui.core.stacks.spec_parser import parse_layers
from cnn_tui.core.stacks.stack_file import load_stack
from cnn_tui.core.views.builder_document import BuilderDocument

SHAPE = (1, 28, 28)


def test_edits_undo_and_redo_keep_the_settings_unless_the_edit_replaced_them():
    doc = BuilderDocument(SHAPE)
    one = parse_layers("conv(8,3) relu")
    two = parse_layers("conv(8,3) relu maxpool(2)")
    assert doc.apply(one, "add conv") == ""
    assert doc.apply(two, "add maxpool") == ""
    assert doc.layers == two and doc.edited
    assert doc.undo() == ("add maxpool", False)
    assert doc.layers == one
    assert doc.redo() == ("add maxpool", False)
    assert doc.layers == two
    assert doc.redo() == ("", False)
    assert doc.apply(two, "nothing new") == "" and doc.undo() == ("add maxpool", False)


def test_opening_replaces_shape_name_and_description_and_undo_brings_them_back():
    doc = BuilderDocument(SHAPE)
    stack, settings, what = doc.read_text("lenet5")
    assert what == "preset lenet5" and settings[1] == "lenet5"
    assert doc.replace(stack.layers, what, settings, first=False) == ""
    assert doc.settings() == settings and doc.stack_name == "lenet5"
    assert doc.baseline == stack.layers and not doc.edited
    assert doc.undo() == ("open preset lenet5", True)
    assert doc.layers == () and doc.settings() == (SHAPE, "", "")
    assert doc.redo() == ("open preset lenet5", True)
    assert doc.settings() == settings


def test_a_typed_spec_keeps_the_input_shape_and_the_first_stack_cannot_be_undone():
    doc = BuilderDocument(SHAPE, stack_name="mine", description="kept")
    stack, settings, what = doc.read_text("conv(4,3) relu")
    assert what == "a typed spec" and settings == (SHAPE, "", "")
    assert doc.replace(stack.layers, what, settings, first=True) == ""
    assert doc.layers == stack.layers and not doc.history.can_undo
    assert doc.stack().name == "" and doc.stack().input_shape == SHAPE
    assert doc.title() == "untitled" and not doc.edited  # given on the command line


def test_a_spec_typed_over_a_preset_is_an_untitled_edit_and_undo_brings_the_name_back():
    doc = BuilderDocument(SHAPE)
    stack, settings, what = doc.read_text("vgg16")
    doc.replace(stack.layers, what, settings, first=True)
    assert doc.title() == "vgg16" and doc.stack_to_train().name == "vgg16"
    typed, typed_settings, what = doc.read_text("conv(8,3) relu maxpool(2) flatten fc(10)")
    assert typed_settings == (settings[0], "", "")  # vgg16's input shape, not its name
    assert doc.replace(typed.layers, what, typed_settings, first=False) == ""
    # saved nowhere: quitting asks, a stop signal keeps it, and every name says so
    assert doc.edited and doc.title() == "untitled, edited"
    assert doc.stack().name == "" and doc.stack().description == ""
    assert doc.stack_to_train().name == "untitled, edited"
    assert doc.undo() == ("open a typed spec", True)
    assert doc.title() == "vgg16" and not doc.edited


def test_an_edited_preset_is_named_so_everywhere():
    doc = BuilderDocument(SHAPE)
    stack, settings, what = doc.read_text("lenet5")
    doc.replace(stack.layers, what, settings, first=True)
    doc.apply(stack.layers[:-1], "delete a layer")
    assert doc.title() == "lenet5, edited" and doc.subtitle() == "lenet5, edited"
    assert doc.stack().name == "lenet5"  # as the recovery file keeps it: reopened, it is edited
    trained = doc.stack_to_train()
    assert trained.name == "lenet5, edited" and trained.layers == doc.layers


def test_a_new_stack_is_untitled_and_undo_restores_the_name():
    doc = BuilderDocument(SHAPE)
    stack, settings, what = doc.read_text("seed-mnist")
    doc.replace(stack.layers, what, settings, first=True)
    doc.start_new()
    assert doc.layers == () and doc.stack_name == "" and doc.folds == set()
    assert doc.input_shape == settings[0]
    assert doc.undo() == ("start a new stack", True)
    assert doc.stack_name == "seed-mnist" and doc.layers == stack.layers


def test_too_big_a_stack_is_refused_and_folds_toggle():
    doc = BuilderDocument(SHAPE)
    huge = parse_layers("relu") * 5000
    too_many = "5,000 rows: the builder edits stacks of up to 2,000"
    assert doc.apply(huge, "paste").startswith(too_many) and doc.layers == ()
    refusal = doc.replace(huge, "file big.json", (SHAPE, "", ""), first=False)
    assert refusal.startswith(f"file big.json: {too_many}") and doc.layers == ()
    assert not doc.history.can_undo
    assert doc.toggle_fold((0,)) is True and doc.folds == {(0,)}
    assert doc.toggle_fold((0,)) is False and doc.folds == set()


def test_saving_names_an_untitled_stack_for_its_file_and_clears_edited(tmp_path):
    doc = BuilderDocument(SHAPE)
    doc.apply(parse_layers("conv(4,3) relu"), "add conv")
    assert doc.subtitle() == "untitled, edited"
    path = tmp_path / "mine.json"
    doc.save(path)
    assert doc.stack_name == "mine" and doc.files.saved_path == path
    assert not doc.edited and doc.subtitle() == "mine"
    assert load_stack(path).layers == doc.layers
    doc.mark_recovered(None)
    assert doc.edited and doc.files.saved_path is None
    assert doc.subtitle() == "mine, edited"


def test_a_name_with_control_characters_is_shown_not_sent():
    doc = BuilderDocument(SHAPE, stack_name="a\x1b[2Jb")
    assert doc.subtitle() == "a\\x1b[2Jb"
