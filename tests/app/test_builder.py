"""Pilot tests for the builder: building key by key, the lecture's tables, errors, blocks,
undo, files, export, and snapshots."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from pilot_waits import wait_for
from textual.widgets import Input, Select

from cnn_tui.app.app import CnnTuiApp
from cnn_tui.app.screens.builder import BuilderScreen
from cnn_tui.app.screens.help import HelpScreen, help_rows
from cnn_tui.app.widgets.builder.export_dialog import ExportDialog
from cnn_tui.app.widgets.builder.file_dialog import StackFileDialog
from cnn_tui.app.widgets.builder.layer_form import LayerForm, read_layer
from cnn_tui.app.widgets.builder.stack_table import BuilderTable
from cnn_tui.core.stacks.stack_file import load_stack
from cnn_tui.core.stacks.zoo import resolve_stack
from cnn_tui.core.views.fields import FieldError

SIZE = (110, 40)
MNIST_SPEC = "conv(20,5) relu maxpool(2) conv(50,5) relu maxpool(2) flatten fc(500) relu fc(10)"
FAILING_SPEC = "conv(20,5) relu maxpool(2) conv(50,5) relu maxpool(2) conv(50,5) flatten fc(10)"


def builder(stack: str | None = None) -> CnnTuiApp:
    return CnnTuiApp(mode="builder", builder_stack=stack)


def screen_of(pilot) -> BuilderScreen:
    screen = pilot.app.screen
    assert isinstance(screen, BuilderScreen)
    return screen


def table_of(pilot) -> BuilderTable:
    return screen_of(pilot).query_one("#builder-table", BuilderTable)


def shown(pilot, number: str) -> dict[str, str]:
    """The cells of the row numbered number, as the table shows them, by column."""
    table = table_of(pilot)
    return dict(zip(table.columns_shown, map(str, table.get_row(number)), strict=True))


def numbers(pilot) -> list[str]:
    return [entry.number for entry in screen_of(pilot).entries]


def emphasis(pilot, number: str) -> str:
    return next(e.line.emphasis for e in screen_of(pilot).entries if e.number == number)


def totals(pilot) -> str:
    return screen_of(pilot).query_one("#builder-totals").text


def spec(pilot) -> str:
    return " ".join(layer.label() for layer in screen_of(pilot).layers)


async def cursor_to(pilot, number: str) -> None:
    screen = screen_of(pilot)
    screen.table.move_cursor(row=numbers(pilot).index(number))
    screen.table.focus()
    await pilot.pause()


async def add_layer(pilot, kind: str, *values: str, key: str = "a") -> None:
    """Add a layer through the form, key by key: the type from the list, then each field."""
    await pilot.press(key)
    await pilot.pause()
    assert isinstance(pilot.app.screen, LayerForm)
    await pilot.press("enter", *kind, "enter")
    await pilot.pause()
    keys: list[str] = []
    for index, value in enumerate(values):
        if index:
            keys.append("tab")
        keys += list(value)
    await pilot.press(*keys, "enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, BuilderScreen)


async def set_field(pilot, input_id: str, value: str) -> None:
    pilot.app.screen.query_one(f"#{input_id}", Input).value = value
    await pilot.pause()


# ---------------------------------------------------------------------------------------------
# the acceptance


async def test_builds_the_lectures_mnist_net_key_by_key():
    async with builder().run_test(size=SIZE) as pilot:
        await pilot.pause()  # the screen's own mount runs after the app's
        screen = screen_of(pilot)
        assert screen.layers == ()
        assert screen.query_one("#builder-input", Input).value == "1x28x28"
        assert screen.message_text.startswith("an empty stack: press a to add a layer")
        await add_layer(pilot, "conv", "20", "5")
        await add_layer(pilot, "relu")
        await add_layer(pilot, "maxpool", "2")
        await add_layer(pilot, "conv", "50", "5")
        await add_layer(pilot, "relu")
        await add_layer(pilot, "maxpool", "2")
        await add_layer(pilot, "flatten")
        await add_layer(pilot, "fc", "500")
        await add_layer(pilot, "relu")
        await add_layer(pilot, "fc", "10")
        assert spec(pilot) == MNIST_SPEC
        assert numbers(pilot) == ["", *map(str, range(1, 11))]
        assert screen.message_text == "added fc(10) as layer 10"
        assert "parameters   431,080 (431.1 K) = 430,500 weights + 580 biases" in totals(pilot)
        assert shown(pilot, "4")["output"] == "50x8x8"
        assert shown(pilot, "8")["weights"] == "400,000"
        assert table_of(pilot).cursor_row == 10
        assert screen.sub_title == "untitled, edited"


async def test_vgg16_shows_the_lectures_rows_and_its_computed_activation_total():
    async with builder("vgg16").run_test(size=(120, 40)) as pilot:
        await pilot.pause()  # the screen's own mount runs after the app's
        first = shown(pilot, "1")
        assert first["layer"] == "conv(64,3,p=1)"
        assert first["output"] == "64x224x224"
        assert first["activations"] == "3,211,264"
        assert first["weights"] == "1,728"
        assert first["biases"] == "64"
        fc = shown(pilot, "34")
        assert (fc["layer"], fc["output"], fc["weights"]) == ("fc(4096)", "4096", "102,760,448")
        assert shown(pilot, "input-0")["output"] == "3x224x224"
        text = totals(pilot)
        assert "parameters   138,357,544 (138.4 M) = 138,344,128 weights + 13,416 biases" in text
        assert "activations  15,237,608 (15.2 M) per image" in text
        assert "most memory  layer 1 conv(64,3,p=1): 3,211,264 activations per image" in text
        assert "most params  layer 34 fc(4096): 102,764,544 parameters" in text
        # the lecture's two lessons, highlighted: memory early, parameters late
        assert emphasis(pilot, "1") == emphasis(pilot, "34") == "peak"
        assert emphasis(pilot, "2") == "uncounted"  # relu: no new activations
        assert emphasis(pilot, "3") == ""
        table = table_of(pilot)
        peak = table.get_row("34")[1]
        assert peak.style.color == table.get_component_rich_style("tally-table--peak").color
        screen = screen_of(pilot)
        assert screen.sub_title == "vgg16"
        assert screen.query_one("#builder-preset", Select).value == "vgg16"
        assert screen.query_one("#builder-input", Input).value == "3x224x224"


async def test_a_kernel_of_50_marks_the_failing_layer_with_the_engines_message():
    async with builder("seed-mnist").run_test(size=SIZE) as pilot:
        await pilot.pause()  # the screen's own mount runs after the app's
        await cursor_to(pilot, "4")
        await pilot.press("e")
        await pilot.pause()
        form = pilot.app.screen
        assert isinstance(form, LayerForm)
        assert form.query_one("#layer-field-out_channels", Input).has_focus
        assert str(form.query_one("#layer-form-preview").render()) == (
            "20x12x12 -> 50x8x8, 25,050 parameters (25.1 K), 1.6 M MACs"
        )
        await pilot.press("tab", "5", "0")
        await pilot.pause()
        assert str(form.query_one("#layer-form-preview").render()) == (
            "20x12x12 -> does not fit: input is 12x12, smaller than the 50x50 kernel"
        )
        await pilot.press("enter")
        await pilot.pause()
        screen = screen_of(pilot)
        message = "layer 4 conv(50,50): input is 12x12, smaller than the 50x50 kernel"
        assert message in screen.message_text
        failing = shown(pilot, "4")
        assert failing["layer"] == "conv(50,50)"
        assert {failing[c] for c in ("output", "activations", "weights", "MACs")} == {"—"}
        assert emphasis(pilot, "4") == "error"
        assert emphasis(pilot, "5") == "unreached"
        assert numbers(pilot)[-1] == "11"  # every layer stays listed, for editing
        table = table_of(pilot)
        cell = table.get_row("4")[1]
        assert cell.style.color == table.get_component_rich_style("tally-table--error").color
        assert screen.query_one("#builder-totals").has_class("-stale")
        # the failing layer is a row like any other: it can be edited back
        assert table.cursor_row == numbers(pilot).index("4")
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("tab", "5", "enter")
        await pilot.pause()
        assert screen.result is not None and screen.result.error is None
        assert "431,080" in totals(pilot)
        # ... or deleted
        await pilot.press("u")
        await pilot.pause()
        assert screen.result is not None and screen.result.error is not None
        await pilot.press("d")
        await pilot.pause()
        assert "layer 7 fc(500): fc needs a feature vector" not in screen.message_text
        assert screen.result is not None and screen.result.error is None


async def test_save_reload_and_compare(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    async with builder("seed-mnist").run_test(size=SIZE) as pilot:
        await pilot.pause()  # the screen's own mount runs after the app's
        screen = screen_of(pilot)
        await cursor_to(pilot, "2")
        await pilot.press("d")  # an edited stack, so the file is not just the preset
        await pilot.pause()
        edited = screen.layers
        await pilot.press("ctrl+s")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, StackFileDialog)
        assert dialog.query_one("#file-dialog-path", Input).value == "./seed-mnist.json"
        await set_field(pilot, "file-dialog-path", "~/nets/mnist")
        monkeypatch.setenv("HOME", str(tmp_path))
        await pilot.press("enter")
        await pilot.pause()
        target = tmp_path / "nets" / "mnist.json"
        assert isinstance(pilot.app.screen, BuilderScreen)
        assert screen.message_text == f"saved 10 layers to {target}"
        assert load_stack(target).layers == edited
        assert screen.sub_title == "seed-mnist"

        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen.layers == ()
        await set_field(pilot, "builder-input", "3x32x32")
        screen.table.focus()
        await pilot.press("ctrl+o")
        await pilot.pause()
        await set_field(pilot, "file-dialog-path", str(target))
        await pilot.press("enter")
        await pilot.pause()
        assert screen.layers == edited
        assert screen.query_one("#builder-input", Input).value == "1x28x28"
        assert screen.message_text == "opened file mnist.json"
        assert spec(pilot) == "conv(20,5) maxpool(2) conv(50,5) relu maxpool(2) flatten " + (
            "fc(500) relu fc(10) logsoftmax"
        )

        # saving over an existing file asks first
        before = target.read_text()
        await cursor_to(pilot, "1")
        await pilot.press("y")
        await pilot.press("ctrl+s")
        await pilot.pause()
        dialog = pilot.app.screen
        assert dialog.query_one("#file-dialog-path", Input).value == str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(pilot.app.screen, StackFileDialog)
        assert "exists: press enter or Save again to replace it" in str(
            dialog.query_one("#file-dialog-message").render()
        )
        assert target.read_text() == before
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(pilot.app.screen, BuilderScreen)
        assert load_stack(target).layers == screen.layers
        assert len(screen.layers) == 11


async def test_open_picks_a_file_from_the_tree(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("not a stack")
    stack = resolve_stack("lenet5")
    from cnn_tui.core.stacks.stack_file import save_stack

    save_stack(stack, tmp_path / "lenet.json")
    async with builder().run_test(size=SIZE) as pilot:
        await pilot.pause()  # the screen's own mount runs after the app's
        await pilot.press("ctrl+o")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, StackFileDialog)
        tree = dialog.query_one("#file-dialog-tree")
        # the tree lists the folder in a worker that stays alive
        await wait_for(pilot, lambda: bool(tree.root.children))
        labels = [str(node.label) for node in tree.root.children]
        assert labels == ["lenet.json"]  # .json files and folders only
        tree.focus()
        await pilot.press("down", "enter")
        await pilot.pause()
        screen = screen_of(pilot)
        assert screen.layers == stack.layers
        assert screen.query_one("#builder-input", Input).value == "1x32x32"


async def test_a_corrupt_file_shows_its_line_and_stays_untouched(tmp_path):
    path = tmp_path / "broken.json"
    text = (
        "{\n"
        '  "format": "cnn-tui-stack",\n'
        '  "version": 1,\n'
        '  "name": "broken",\n'
        '  "input": "1x28x28",\n'
        '  "layers": [\n'
        '    {"type": "conv", "out_channels": 20, "kernel": 5},\n'
        '    {"type": "conv", "out_channels": 50, "kernel": "x"}\n'
        "  ]\n"
        "}\n"
    )
    path.write_text(text)
    async with builder("seed-mnist").run_test(size=SIZE) as pilot:
        await pilot.pause()  # the screen's own mount runs after the app's
        screen = screen_of(pilot)
        before = screen.layers
        await pilot.press("ctrl+o")
        await pilot.pause()
        await set_field(pilot, "file-dialog-path", str(path))
        await pilot.press("enter")
        await pilot.pause()
        assert screen.message_text == (
            f"{path}, line 8: layer 2 (conv) kernel: expected a whole number, got 'x'"
        )
        assert screen.layers == before
        assert not screen.history.can_undo
        # saving is refused over the file that did not load: it is kept for repair
        await pilot.press("ctrl+s")
        await pilot.pause()
        await set_field(pilot, "file-dialog-path", str(path))
        await pilot.press("enter")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, StackFileDialog)
        assert "did not load, so it is kept as it is for repair" in str(
            dialog.query_one("#file-dialog-message").render()
        )
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(pilot.app.screen, StackFileDialog)
        await pilot.press("escape")
        await pilot.pause()
        assert screen.message_text == "not saved"
    assert path.read_text() == text


# ---------------------------------------------------------------------------------------------
# editing


async def test_undo_and_redo_restore_exactly():
    async with builder("seed-mnist").run_test(size=SIZE) as pilot:
        await pilot.pause()  # the screen's own mount runs after the app's
        screen = screen_of(pilot)
        original = screen.layers
        await cursor_to(pilot, "2")
        await pilot.press("d", "y", "shift+down", "J")
        await pilot.pause()
        after = screen.layers
        assert after != original
        await pilot.press("u", "u", "u", "u")
        await pilot.pause()
        assert screen.message_text == "undid: delete layer 2 relu (ctrl+y or U redoes it)"
        assert screen.layers == original
        await pilot.press("u")
        assert screen.message_text == "nothing to undo"
        await pilot.press("ctrl+y", "U", "ctrl+y", "U")
        await pilot.pause()
        assert screen.layers == after
        assert screen.message_text == "redid: move maxpool(2) down to layer 5"
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert screen.layers != after

        # opening a preset is one undo step, and its input shape goes back with it
        screen.query_one("#builder-preset", Select).value = "vgg16"
        await pilot.pause()
        assert screen.query_one("#builder-input", Input).value == "3x224x224"
        screen.table.focus()
        await pilot.press("u")
        await pilot.pause()
        assert screen.message_text.startswith("undid: open preset vgg16")
        assert screen.query_one("#builder-input", Input).value == "1x28x28"
        assert screen.stack_name == "seed-mnist"
        await pilot.press("U")
        await pilot.pause()
        assert screen.query_one("#builder-input", Input).value == "3x224x224"
        assert len(screen.layers) == 40


async def test_move_duplicate_and_delete():
    async with builder("conv(8,3) relu maxpool(2)").run_test(size=SIZE) as pilot:
        await pilot.pause()  # the screen's own mount runs after the app's
        screen = screen_of(pilot)
        await cursor_to(pilot, "1")
        await pilot.press("y")
        await pilot.pause()
        assert spec(pilot) == "conv(8,3) conv(8,3) relu maxpool(2)"
        assert screen.message_text == "copied layer 1 conv(8,3) to layer 2"
        assert table_of(pilot).cursor_row == 2
        await pilot.press("shift+down")
        await pilot.pause()
        assert spec(pilot) == "conv(8,3) relu conv(8,3) maxpool(2)"
        assert screen.message_text == "moved conv(8,3) down to layer 3"
        await pilot.press("K", "K", "K")
        await pilot.pause()
        assert spec(pilot) == "conv(8,3) conv(8,3) relu maxpool(2)"
        assert screen.message_text == "layer 1 is already first in its branch"
        await pilot.press("delete")
        await pilot.pause()
        assert spec(pilot) == "conv(8,3) relu maxpool(2)"
        await cursor_to(pilot, "3")
        await pilot.press("d")
        await pilot.pause()
        assert spec(pilot) == "conv(8,3) relu"
        assert table_of(pilot).cursor_row == 2  # on the layer before the deleted last one
        await cursor_to(pilot, "")
        await pilot.press("d")
        assert screen.message_text == "the input is not a layer to delete: set its shape above"
        await add_layer(pilot, "bn", key="i")
        assert spec(pilot) == "bn conv(8,3) relu"


async def test_adding_inside_a_block_and_around_it():
    async with builder("resnet18").run_test(size=SIZE) as pilot:
        await pilot.pause()  # the screen's own mount runs after the app's
        screen = screen_of(pilot)
        await cursor_to(pilot, "5.1.2")
        await add_layer(pilot, "dropout", "0.2")
        block = screen.layers[4]
        assert [layer.label() for layer in block.body][:3] == [
            "conv(64,3,p=1,bias=false)",
            "bn",
            "dropout(0.2)",
        ]
        assert screen.message_text == "added dropout(0.2) as layer 5.1.3"
        await cursor_to(pilot, "5")
        await add_layer(pilot, "relu", key="i")
        assert screen.layers[4].kind == "relu" and screen.layers[5] is block
        # the identity shortcut row takes a projection
        await cursor_to(pilot, "6.2")
        await add_layer(pilot, "conv", "64", "1")
        assert screen.layers[5].shortcut[0].label() == "conv(64,1)"
        assert "6.2.1" in numbers(pilot)
        # a new res block starts as a basic block on the incoming channels
        await cursor_to(pilot, "6")
        await add_layer(pilot, "res")
        assert screen.layers[6].label() == "res[conv(64,3,p=1) bn relu conv(64,3,p=1) bn]"
        assert screen.result is not None and screen.result.error is None
        # a cat branch keeps at least one layer
        await add_layer(pilot, "cat")
        await cursor_to(pilot, "8.2.1")
        await pilot.press("d")
        await pilot.pause()
        assert screen.message_text.startswith("a cat branch needs a layer: delete block 8 instead")


async def test_space_and_a_click_fold_a_res_block_in_resnet18():
    async with builder("resnet18").run_test(size=SIZE) as pilot:
        await pilot.pause()  # the screen's own mount runs after the app's
        screen = screen_of(pilot)
        assert "5.1.1" in numbers(pilot)  # a small stack opens unfolded
        await cursor_to(pilot, "5")
        assert shown(pilot, "5")["layer"] == "▾ res: 5-layer body + identity shortcut"
        await pilot.press("space")
        await pilot.pause()
        assert not any(n.startswith("5.") for n in numbers(pilot))
        assert shown(pilot, "5")["layer"].startswith("▸ res[conv(64,3,p=1,bias=false) bn")
        assert numbers(pilot)[numbers(pilot).index("5") + 1] == "6"
        # the block's sums stay on its row: two 3x3x64x64 convs and two batch norms' gammas
        assert shown(pilot, "5")["weights"] == "73,856"
        await pilot.press("space")
        await pilot.pause()
        assert "5.1.5" in numbers(pilot)
        # space on a child folds the block it sits in
        await cursor_to(pilot, "7.1.3")
        await pilot.press("space")
        await pilot.pause()
        assert "7.1.3" not in numbers(pilot)
        assert screen.cursor_entry().number == "7"
        # a click on the marker unfolds it again
        table = table_of(pilot)
        row = numbers(pilot).index("7")
        x = table._layer_cell_left() + table.marker_column(row) - int(table.scroll_x)
        y = row + 1 - int(table.scroll_y)  # one header line
        assert await pilot.click(BuilderTable, offset=(x, y))
        await pilot.pause()
        assert "7.1.3" in numbers(pilot)


async def test_resnet152_opens_folded_and_unfolds_a_block():
    async with builder("resnet152").run_test(size=SIZE) as pilot:
        await pilot.pause()  # the screen's own mount runs after the app's
        screen = screen_of(pilot)
        assert screen.result is not None and len(screen.result.rows) > 500
        # one row per top-level layer (the stem, 50 folded blocks, their relus, the head)
        assert len(screen.entries) == 1 + len(screen.layers) == 108
        assert "60,192,808" in totals(pilot)
        await cursor_to(pilot, "5")
        await pilot.press("space")
        await pilot.pause()
        assert "5.1.7" in numbers(pilot) and "5.2.2" in numbers(pilot)


async def test_a_typed_spec_replaces_the_stack_and_a_parse_error_names_the_column():
    async with builder("seed-mnist").run_test(size=SIZE) as pilot:
        await pilot.pause()  # the screen's own mount runs after the app's
        screen = screen_of(pilot)
        before = screen.layers
        field = screen.query_one("#builder-spec", Input)
        field.focus()
        await pilot.press("ctrl+a", "ctrl+k", *"conv(8,3) relu(", "enter")
        await pilot.pause()
        assert screen.message_text == "spec: column 16: expected ')' to close relu("
        assert field.has_class("-invalid")
        assert screen.layers == before
        await pilot.press("a")  # letters go to the field while it has the keys
        assert field.value == "conv(8,3) relu(a"
        await pilot.press("backspace", "backspace", "enter")
        await pilot.pause()
        assert spec(pilot) == "conv(8,3) relu"
        assert screen.query_one("#builder-input", Input).value == "1x28x28"
        assert screen.message_text == "opened a typed spec"
        assert field.has_focus  # enter applies and keeps the keys in the field
        await pilot.press("escape", "u")
        await pilot.pause()
        assert screen.layers == before


async def test_the_form_names_the_field_and_escape_changes_nothing():
    async with builder("seed-mnist").run_test(size=SIZE) as pilot:
        await pilot.pause()  # the screen's own mount runs after the app's
        screen = screen_of(pilot)
        before = screen.layers
        await pilot.press("a")
        await pilot.pause()
        form = pilot.app.screen
        assert isinstance(form, LayerForm)
        await pilot.press("enter", *"conv", "enter")
        await pilot.pause()
        await pilot.press("1", "6", "tab", "x", "enter")
        await pilot.pause()
        message = str(form.query_one("#layer-form-message").render())
        assert message == "kernel: expected a whole number, got 'x'"
        assert form.query_one("#layer-field-kernel", Input).has_class("-invalid")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, BuilderScreen)
        assert screen.layers == before
        assert screen.message_text == "nothing added"
        assert not screen.history.can_undo


def test_read_layer_names_the_field():
    assert read_layer("conv", {"out_channels": "20", "kernel": "5"}).label() == "conv(20,5)"
    assert read_layer("maxpool", {"kernel": "3", "stride": "2"}).label() == "maxpool(3,s=2)"
    assert read_layer("conv", {"out_channels": "8", "kernel": "3", "padding": "same"}).label() == (
        "conv(8,3,p=same)"
    )
    with pytest.raises(FieldError, match=r"^kernel: needs a value$"):
        read_layer("conv", {"out_channels": "20", "kernel": " "})
    with pytest.raises(FieldError, match=r"^out_features: must be at least 1, got 0$"):
        read_layer("fc", {"out_features": "0"})
    with pytest.raises(FieldError, match=r"^bias: expected true or false, got 'maybe'$"):
        read_layer("fc", {"out_features": "10", "bias": "maybe"})


async def test_settings_change_the_memory_and_bad_values_are_named():
    async with builder("seed-mnist").run_test(size=SIZE) as pilot:
        await pilot.pause()  # the screen's own mount runs after the app's
        screen = screen_of(pilot)
        await set_field(pilot, "builder-batch", "32")
        screen.query_one("#builder-dtype", Select).value = "fp16"
        screen.query_one("#builder-optimizer", Select).value = "adam"
        await pilot.pause()
        assert "per step, batch 32, fp16, adam" in totals(pilot)
        assert shown(pilot, "1")["memory"] == "720.0 KiB"  # 11,520 x 32 x 2 bytes
        await set_field(pilot, "builder-batch", "0")
        assert screen.message_text == "batch: must be at least 1, got 0"
        assert screen.table.has_class("-stale")
        await set_field(pilot, "builder-batch", "1")
        await set_field(pilot, "builder-input", "3x32")
        assert screen.message_text.startswith("input shape: '3x32' must be CxHxW")
        await set_field(pilot, "builder-input", "1x32x32")
        assert not screen.table.has_class("-stale")
        assert shown(pilot, "1")["output"] == "20x28x28"


async def test_builder_stack_errors_show_and_start_empty():
    async with builder("vgg17").run_test(size=SIZE) as pilot:
        await pilot.pause()  # the screen's own mount runs after the app's
        screen = screen_of(pilot)
        assert screen.layers == ()
        assert screen.message_text.startswith("spec: 'vgg17' is neither a layer nor a preset")
    async with builder("conv(8,3) bogus").run_test(size=SIZE) as pilot:
        await pilot.pause()  # the screen's own mount runs after the app's
        assert screen_of(pilot).message_text.startswith("spec: column 11: unknown layer 'bogus'")


async def test_a_stack_too_big_to_edit_is_refused():
    async with builder("conv(8,3,p=1)*2500").run_test(size=SIZE) as pilot:
        await pilot.pause()  # the screen's own mount runs after the app's
        screen = screen_of(pilot)
        assert screen.layers == ()
        assert screen.message_text.startswith(
            "a typed spec: 2,500 rows: the builder edits stacks of up to 2,000"
        )


async def test_builder_stack_opens_a_json_file(tmp_path):
    from cnn_tui.core.stacks.stack_file import save_stack

    target = tmp_path / "small.json"
    save_stack(resolve_stack("conv(4,3) relu").with_input((3, 16, 16)), target)
    async with builder(str(target)).run_test(size=SIZE) as pilot:
        await pilot.pause()  # the screen's own mount runs after the app's
        screen = screen_of(pilot)
        assert spec(pilot) == "conv(4,3) relu"
        assert screen.query_one("#builder-input", Input).value == "3x16x16"
        assert screen.sub_title == "small"
        assert not screen.history.can_undo


async def test_help_lists_the_builder_keys():
    async with builder("seed-mnist").run_test(size=SIZE) as pilot:
        await pilot.pause()  # the screen's own mount runs after the app's
        rows = {action: (str(keys), tip) for keys, action, tip in help_rows(pilot.app.screen)}
        assert rows["Add"] == (
            "a",
            "Add a layer after the cursor row (inside its branch when it is in a block)",
        )
        assert rows["Undo"][0] == "u / ^z"
        assert rows["Move up"][0] == "shift+↑ / K"
        assert rows["Export"][1] == "The stack as PyTorch source, to read or save as a .py file"
        assert "Leave field" not in rows  # only while a field has the keys
        assert rows["Builder"] == (
            "3 / f3",
            "Assemble a layer stack and watch its shapes, parameters and memory add up",
        )
        await pilot.press("question_mark")
        assert isinstance(pilot.app.screen, HelpScreen)


# ---------------------------------------------------------------------------------------------
# export and imports


async def test_export_shows_the_source_and_saves_it(tmp_path, monkeypatch):
    # runs the real export (torch is installed here): the first one imports torch, in seconds
    from cnn_tui.app.widgets.builder import stack_export as module

    release = threading.Event()
    real_export = module.export_source

    def held_export(*args, **kwargs):
        # holds the worker thread until the test has seen the screen stay live meanwhile
        assert threading.current_thread() is not threading.main_thread()
        release.wait(10)
        return real_export(*args, **kwargs)

    monkeypatch.setattr(module, "export_source", held_export)
    async with builder("seed-mnist").run_test(size=SIZE) as pilot:
        await pilot.pause()  # the screen's own mount runs after the app's
        screen = screen_of(pilot)
        await pilot.press("x")
        assert screen.message_text.startswith("writing PyTorch source (loading torch takes")
        await pilot.press("down", "down")
        assert table_of(pilot).cursor_row == 2
        release.set()
        await screen.workers.wait_for_complete()
        for _ in range(20):
            await pilot.pause()
            if isinstance(pilot.app.screen, ExportDialog):
                break
        dialog = pilot.app.screen
        assert isinstance(dialog, ExportDialog)
        assert "class Net(nn.Module):" in dialog.source
        assert "self.conv1 = nn.Conv2d(1, 20, 5)" in dialog.source
        assert "# Parameters: 431,080" in dialog.source
        assert dialog.query_one("#export-dialog-path", Input).value == "./seed-mnist.py"
        await set_field(pilot, "export-dialog-path", str(tmp_path / "mnist_net"))
        await pilot.press("enter")
        await pilot.pause()
        target = tmp_path / "mnist_net.py"
        assert target.read_text() == dialog.source
        assert screen.message_text == f"wrote the PyTorch source to {target}"
        compile(target.read_text(), str(target), "exec")


async def test_export_waits_for_a_stack_that_fits():
    async with builder(FAILING_SPEC).run_test(size=SIZE) as pilot:
        await pilot.pause()  # the screen's own mount runs after the app's
        screen = screen_of(pilot)
        await pilot.press("x")
        assert screen.message_text.startswith("fix the failing layer first")
        assert not isinstance(pilot.app.screen, ExportDialog)


def test_opening_the_builder_with_vgg16_never_imports_torch():
    code = (
        "import sys\n"
        "from cnn_tui.app.app import CnnTuiApp\n"
        "async def report(pilot):\n"
        "    await pilot.pause()\n"
        "    assert len(pilot.app.screen.layers) == 40\n"
        "    await pilot.press('a', 'escape', 'space', 'u')\n"
        "    pilot.app.exit()\n"
        "CnnTuiApp(mode='builder', builder_stack='vgg16').run(\n"
        "    headless=True, size=(80, 24), auto_pilot=report)\n"
        "print('torch' in sys.modules, 'torchvision' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "False False"


# ---------------------------------------------------------------------------------------------
# snapshots


def test_snapshot_vgg16_at_120x40(snap_compare):
    """vgg16 at 120x40: the preset menu on vgg16, the spec line, 3x224x224 / batch 1 / fp32 /
    sgd; the hint line; the table with all eight columns from the input line (3x224x224,
    150,528) through conv(64,3,p=1) (1,728 weights, bold in the warning colour as the memory
    peak), relu rows dim; the totals from 'parameters   138,357,544 (138.4 M)' and
    'activations  15,237,608 (15.2 M)' to 'output       1000'; the footer with a Add, e Edit,
    d Delete, u Undo, ^s Save, ^o Open, x Export."""
    assert snap_compare(builder("vgg16"), terminal_size=(120, 40))


def test_snapshot_vgg16_at_80x24_keeps_the_memory_column(snap_compare):
    """At 80 columns the builder keeps the lecture's VGG table (layer, output, activations,
    memory, weights): biases and MACs go, the totals keep the MAC count."""
    assert snap_compare(builder("vgg16"), terminal_size=(80, 24))


def test_snapshot_failing_layer_at_80x24(snap_compare):
    """The lecture's net with a third conv(50,5) at 80x24: the message line says 'layer 7
    conv(50,5): input is 4x4, smaller than the 5x5 kernel'; rows 1-6 have their figures, row 7
    conv(50,5) is bold in the error colour with dashes, rows 8 flatten and 9 fc(10) are dim
    italic with dashes; the (dimmed) totals are the short form without the breakdown line."""
    assert snap_compare(builder(FAILING_SPEC), terminal_size=(80, 24))


async def test_home_and_end_go_to_the_first_and_last_layer():
    async with builder("vgg16").run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = table_of(pilot)
        table.focus()
        await pilot.press("end")
        assert table.cursor_row == table.row_count - 1
        assert screen_of(pilot).entries[table.cursor_row].number == numbers(pilot)[-1]
        await pilot.press("home")
        assert table.cursor_row == 0
