"""Pilot tests for the builder from the keyboard (issue 15): names follow the stack really there,
the add form's focus is predictable and enter adds, enter in a field keeps the keys there, and
the 80-column table keeps the lecture's memory column."""

from __future__ import annotations

from textual.widgets import Button, Input, Select

from cnn_tui.app.app import CnnTuiApp
from cnn_tui.app.screens.builder import BuilderScreen
from cnn_tui.app.widgets.builder.layer_form import LayerForm
from cnn_tui.app.widgets.common.quit_confirm import QuitConfirm
from cnn_tui.core.stacks.stack import Stack

SIZE = (80, 24)
TYPED = "conv(8,3) relu maxpool(2) flatten fc(10)"


def builder(stack: str | None = None) -> CnnTuiApp:
    return CnnTuiApp(mode="builder", builder_stack=stack)


def screen_of(pilot) -> BuilderScreen:
    screen = pilot.app.screen
    assert isinstance(screen, BuilderScreen)
    return screen


def footer_keys(screen) -> dict[str, str]:
    """The footer's bindings now: key -> description."""
    return {key: active.binding.description for key, active in screen.active_bindings.items()}


async def test_a_spec_typed_over_vgg16_is_named_untitled_in_the_title_quit_dialog_and_train():
    app = builder("vgg16")
    handed: list[Stack] = []
    app.use_stack_in_train = handed.append  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        assert screen.sub_title == "vgg16" and not screen.has_unsaved_edits
        screen.query_one("#builder-spec", Input).focus()
        await pilot.press("ctrl+a", "ctrl+k", *TYPED, "enter")
        await pilot.pause()
        assert screen.message_text == "opened a typed spec"
        assert screen.sub_title == "untitled, edited" and screen.has_unsaved_edits
        await pilot.press("ctrl+q")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, QuitConfirm)
        text = str(dialog.query_one("#quit-confirm-text").render())
        assert text.startswith("The builder's stack 'untitled' has unsaved edits")
        await pilot.press("escape")  # stay
        await pilot.pause()
        await pilot.press("escape", "t")  # from the table: train it
        await pilot.pause()
        assert [stack.name for stack in handed] == ["untitled, edited"]
        assert handed[0].layers == screen.layers
        await pilot.press("u")  # undo brings vgg16 back, with its name
        await pilot.pause()
        assert screen.sub_title == "vgg16" and not screen.has_unsaved_edits
        await pilot.press("end", "d", "t")  # an edit of the preset is named so
        await pilot.pause()
        assert screen.sub_title == "vgg16, edited"
        assert handed[-1].name == "vgg16, edited"


async def test_picking_relu_keeps_focus_on_the_picker_and_enter_adds_it():
    async with builder("seed-mnist").run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        before = len(screen.layers)
        await pilot.press("a")
        await pilot.pause()
        form = pilot.app.screen
        assert isinstance(form, LayerForm)
        picker = form.query_one("#layer-form-type", Select)
        assert picker.has_focus
        # conv has settings: enter opens the list there, and the footer offers no Add
        assert footer_keys(form)["enter"] == "Show menu"
        await pilot.press("enter", *"relu", "enter")
        await pilot.pause()
        assert form.kind == "relu" and picker.has_focus  # not silently on OK
        assert footer_keys(form)["enter"] == "Add"
        await pilot.press("tab")
        assert form.query_one("#layer-form-ok", Button).has_focus
        await pilot.press("tab")
        assert form.query_one("#layer-form-cancel", Button).has_focus
        await pilot.press("shift+tab", "shift+tab")
        assert picker.has_focus
        await pilot.press("enter")
        await pilot.pause()
        assert pilot.app.screen is screen
        assert len(screen.layers) == before + 1 and screen.message_text.startswith("added")


async def test_picking_a_type_with_settings_goes_to_its_first_field_then_ok_then_cancel():
    async with builder("seed-mnist").run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        before = len(screen.layers)
        await pilot.press("a")
        await pilot.pause()
        form = pilot.app.screen
        assert isinstance(form, LayerForm)
        await pilot.press("enter", *"dropout", "enter")
        await pilot.pause()
        field = form.query_one("#layer-field-p", Input)
        assert form.kind == "dropout" and field.has_focus
        assert footer_keys(form)["enter"] == "Add"
        await pilot.press("tab")
        assert form.query_one("#layer-form-ok", Button).has_focus
        await pilot.press("tab")
        assert form.query_one("#layer-form-cancel", Button).has_focus
        await pilot.press("shift+tab", "shift+tab")
        assert field.has_focus
        await pilot.press("enter")
        await pilot.pause()
        assert pilot.app.screen is screen and len(screen.layers) == before + 1


async def test_editing_a_layer_without_settings_says_apply():
    async with builder("seed-mnist").run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        relu = next(e for e in screen.entries if e.layer is not None and e.layer.kind == "relu")
        screen.table.move_cursor(row=screen.entries.index(relu))
        await pilot.press("e")
        await pilot.pause()
        form = pilot.app.screen
        assert isinstance(form, LayerForm)
        assert form.query_one("#layer-form-type", Select).has_focus
        assert footer_keys(form)["enter"] == "Apply"
        await pilot.press("enter")
        await pilot.pause()
        assert pilot.app.screen is screen and screen.message_text == "nothing changed"


async def test_enter_in_the_spec_field_keeps_the_keys_so_tab_and_digits_reach_the_input_shape():
    async with builder("vgg16").run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = screen_of(pilot)
        spec = screen.query_one("#builder-spec", Input)
        spec.focus()
        await pilot.press("ctrl+a", "ctrl+k", *TYPED, "enter")
        await pilot.pause()
        assert spec.has_focus and pilot.app.screen is screen
        await pilot.press("tab", *"1x28x28", "enter")
        await pilot.pause()
        shape = screen.query_one("#builder-input", Input)
        assert pilot.app.screen is screen  # the digits never switched screens
        assert shape.has_focus and shape.value == "1x28x28"
        assert screen.input_shape == (1, 28, 28)
        await pilot.press("tab", *"32", "enter")
        await pilot.pause()
        batch = screen.query_one("#builder-batch", Input)
        assert pilot.app.screen is screen and batch.has_focus and batch.value == "32"
        assert screen.batch == 32
        await pilot.press("escape")
        assert screen.table.has_focus


async def test_at_80_columns_vgg16_keeps_memory_and_weights_and_drops_biases_and_macs():
    async with builder("vgg16").run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = screen_of(pilot).table
        assert table.columns_shown == ("#", "layer", "output", "activations", "memory", "weights")
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert "biases" in table.columns_shown and "MACs" in table.columns_shown
