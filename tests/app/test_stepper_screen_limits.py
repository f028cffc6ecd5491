"""Pilot tests: sizes and numbers the stepper cannot trace get a red line naming the culprit, the
last good trace stays on screen and what was typed stays where it was typed. Also the
calculators' pooling rules."""

from __future__ import annotations

from calculators_pilot import screen_of as calc_screen
from calculators_pilot import set_value
from pilot_waits import wait_for
from stepper_pilot import grid, screen_of, text, type_into
from textual import events
from textual.widgets import Checkbox, Input, Select, Static

from cnn_tui.app.app import CnnTuiApp
from cnn_tui.app.widgets.common.message import CalcMessage
from cnn_tui.app.widgets.common.result_panel import CalcResult
from cnn_tui.core.convolution.presets import PRESETS

WIDE = (120, 40)
KEEP = " (showing the last result that worked)"
LARGEST = "the largest float (about 1.8e308)"
SEED_FINAL = ["output", "4 3 4", "2 4 3", "2 3 4"]


def field(pilot, input_id: str) -> str:
    return screen_of(pilot).query_one(f"#{input_id}", Input).value


async def paste_into(pilot, input_id: str, value: str) -> None:
    """Replace a field's text at once, as a paste does (typing 99999 key by key would first
    apply padding 9, a size that traces)."""
    screen_of(pilot).query_one(f"#{input_id}", Input).value = value
    await pilot.pause()


async def test_a_huge_padding_is_named_and_the_last_trace_stays():
    async with CnnTuiApp(stepper_preset="seed-conv").run_test(size=WIDE) as pilot:
        await pilot.press("end")
        assert grid(pilot, "output-0").rendered_lines() == SEED_FINAL
        await paste_into(pilot, "padding", "99999")
        assert text(pilot, "message") == (
            "padding 99999 makes a 200003x200003 padded input; the stepper shows at most 64x64"
            + KEEP
        )
        assert screen_of(pilot).query_one("#message", Static).has_class("-error")
        assert field(pilot, "padding") == "99999"  # nothing typed is lost
        assert text(pilot, "step-info").startswith("step 9/9")
        assert grid(pilot, "output-0").rendered_lines() == SEED_FINAL
        assert grid(pilot, "input-0").padding == ((0, 0), (0, 0))
        await pilot.press("left")  # the old trace still steps
        assert text(pilot, "step-info").startswith("step 8/9")
        await type_into(pilot, "padding", "29")
        assert text(pilot, "message") == ""
        assert grid(pilot, "input-0").padding == ((29, 29), (29, 29))
        assert text(pilot, "step-info").startswith("step 8/3721")


async def test_a_huge_dilation_and_same_padding_are_refused():
    async with CnnTuiApp(stepper_preset="seed-conv").run_test(size=WIDE) as pilot:
        await type_into(pilot, "dilation", "1000000000")
        assert text(pilot, "message") == (
            "dilated kernel spans 2000000001x2000000001 but the padded input is only 5x5" + KEEP
        )
        await type_into(pilot, "padding", "same")
        assert text(pilot, "message") == (
            "padding 'same' with dilation 1,000,000,000 makes a 2000000005x2000000005 padded "
            "input; the stepper shows at most 64x64" + KEEP
        )
        assert text(pilot, "step-info").startswith("step 1/9")
        assert field(pilot, "dilation") == "1000000000"


async def test_the_biggest_settings_are_refused_by_the_number_of_products():
    async with CnnTuiApp(stepper_preset="seed-conv").run_test(size=WIDE) as pilot:
        await type_into(pilot, "padding", "29")
        assert text(pilot, "message") == ""
        await type_into(pilot, "channels", "4")
        await type_into(pilot, "filters", "4")
        assert text(pilot, "message") == (
            "14,884 output cells x 36 products each = 535,824 products; "
            "the stepper traces at most 100,000" + KEEP
        )
        assert text(pilot, "step-info").startswith("step 1/3721")


async def test_l2_pooling_overflow_names_the_output_cell_and_keeps_the_typed_number():
    async with CnnTuiApp(stepper_preset="l2pool").run_test(size=WIDE) as pilot:
        before = grid(pilot, "output-0").rendered_lines()
        source = grid(pilot, "input-0")
        source.focus()
        await pilot.pause()
        await pilot.press("1", *"0" * 170, "enter")
        await pilot.pause()
        assert text(pilot, "message") == (
            f"output[0, 0, 0] overflows: 1e+170^2 is beyond {LARGEST}" + KEEP
        )
        assert source.values[0, 0] == 1e170  # kept where it was typed
        assert source.cell_text(0, 0) == "1e+170"
        assert grid(pilot, "output-0").rendered_lines() == before
        assert text(pilot, "step-info").startswith("step 1/4")
        await pilot.press("2", "enter")
        assert text(pilot, "message") == ""
        assert text(pilot, "equation") == "(2^2 + 4^2 + 0^2 + 0^2)^(1/2) = 4.472"


async def test_a_bad_number_in_a_grid_names_the_grid():
    async with CnnTuiApp(stepper_preset="seed-conv").run_test(size=WIDE) as pilot:
        kernel = grid(pilot, "kernel-0")
        kernel.focus()
        await pilot.pause()
        await pilot.press("right", "1", "-", "enter")
        assert text(pilot, "message") == "kernel, row 1, column 2: '1-' is not a number" + KEEP
        assert kernel.values.tolist() == PRESETS["seed-conv"].kernel.tolist()


async def test_pooling_in_ceil_mode_shows_the_dropped_window():
    async with CnnTuiApp(stepper_preset="seed-conv").run_test(size=WIDE) as pilot:
        screen_of(pilot).query_one("#operation", Select).value = "maxpool"
        await pilot.pause()
        await type_into(pilot, "size", "2")
        await type_into(pilot, "stride", "2")
        await type_into(pilot, "padding", "1")
        screen_of(pilot).query_one("#ceil", Checkbox).value = True
        await pilot.pause()
        assert text(pilot, "message") == ""
        drop = "the last window would start in the padding, so it is dropped: 4 - 1 = 3"
        assert text(pilot, "formula").splitlines() == [
            "rows: ceil((5 - 2 + 2*1) / 2) + 1 = 4",
            f"  {drop}",
            "columns: ceil((5 - 2 + 2*1) / 2) + 1 = 4",
            f"  {drop}",
        ]
        await type_into(pilot, "padding", "2")
        assert text(pilot, "message") == (
            "padding 2 is more than half the window size 2 (PyTorch allows 1)" + KEEP
        )


# ---------------------------------------------------------------------------------------------
# the calculators' size tab


async def test_calculator_ceil_mode_keeps_pooling_padding_rules_and_shows_the_drop():
    async with CnnTuiApp(mode="calculators").run_test(size=(80, 24)) as pilot:
        screen = calc_screen(pilot)
        result = screen.query_one("#size-result", CalcResult)
        message = screen.query_one("#size-message", CalcMessage)
        for input_id, value in (("size-w", "5"), ("size-f", "2"), ("size-s", "2")):
            await set_value(pilot, input_id, value)
        await set_value(pilot, "size-p", "2")
        assert "pooling      refuses padding 2 (at most 1)" in result.text.splitlines()
        screen.query_one("#size-ceil", Checkbox).value = True
        await pilot.pause()
        assert message.text == "padding: 2 is more than half the window size 2 (PyTorch allows 1)"
        assert result.has_class("-stale")
        await set_value(pilot, "size-p", "1")
        assert not message.display
        assert result.text.splitlines()[:2] == [
            "output size  ceil((5 - 2 + 2*1) / 2) + 1 = 4",
            "             the last window would start in the padding, so it is dropped: 4 - 1 = 3",
        ]


async def test_calculator_blames_a_huge_padding_not_the_size():
    async with CnnTuiApp(mode="calculators").run_test(size=(80, 24)) as pilot:
        await set_value(pilot, "size-p", "100000000")
        message = calc_screen(pilot).query_one("#size-message", CalcMessage)
        assert message.text.startswith("padding: 200,000,028 windows of 5")


async def test_a_non_finite_bias_is_named_in_the_field():
    async with CnnTuiApp(stepper_preset="seed-conv").run_test(size=WIDE) as pilot:
        await paste_into(pilot, "bias", "1, nan")
        assert text(pilot, "message") == "bias: 'nan' is not a finite number" + KEEP
        await paste_into(pilot, "bias", "1e400")
        assert text(pilot, "message") == "bias: '1e400' is not a finite number" + KEEP
        assert field(pilot, "bias") == "1e400"
        assert text(pilot, "step-info").startswith("step 1/9")


async def test_keys_in_one_burst_land_in_order_in_a_grid():
    """Item 13: the grid's own keys (backspace, arrows, enter) run as they arrive, before the
    characters that came after them."""
    app = CnnTuiApp(stepper_preset="seed-conv")
    async with app.run_test(size=WIDE) as pilot:
        source = grid(pilot, "input-0")
        source.focus()
        await pilot.pause()
        source.cursor = (0, 0)
        keys = [*"123", "backspace", "backspace", "backspace", *"1208040000", "enter"]
        keys += ["right", *"45", "backspace", "6", "enter"]
        for key in keys:  # at once, as one read of a fast typist's bytes
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await wait_for(pilot, lambda: source.values[0, 1] == 46)
        assert source.values[0, 0] == 1208040000
        assert source.cursor == (0, 1)
