"""Issue 15 on the stepper: every part of the step on screen at 80x24 (folding settings, paging
channels, wrapping sums, a 1-D signal as a row with a plot), whole labels and descriptions, no
popups over the formulas, max-pool padding drawn as the -inf it is, enter keeping focus."""

from __future__ import annotations

import numpy as np
from pilot_waits import wait_for
from stepper_pilot import grid, screen_of, text, type_into
from textual.widgets import Input, Label

from cnn_tui.app.app import CnnTuiApp
from cnn_tui.app.screens.stepper import StepperScreen
from cnn_tui.app.widgets.stepper.settings import StepperSettings
from cnn_tui.core.convolution.presets import PRESETS
from cnn_tui.core.views.stepper_layout import INPUT_MARK, OUTPUT_MARK

WIDE = (120, 40)
SMALL = (80, 24)


def stepper(preset: str | None = None) -> CnnTuiApp:
    return CnnTuiApp(stepper_preset=preset)


def on_screen(pilot, widget_id: str) -> bool:
    """The widget is shown and lies wholly inside the terminal."""
    widget = screen_of(pilot).query_one(f"#{widget_id}")
    width, height = pilot.app.size
    region = widget.region
    return widget.display and region.width > 0 and region.right <= width and region.bottom <= height


def settings_shown(pilot) -> bool:
    return screen_of(pilot).query_one(StepperSettings).display


async def test_sensor_smoothing_at_80x24_is_a_row_with_every_reading_and_a_plot():
    trace = PRESETS["sensor-smoothing"].trace()
    async with stepper("sensor-smoothing").run_test(size=SMALL) as pilot:
        await pilot.press(*["n"] * 10)  # step 11
        assert text(pilot, "step-info").startswith("step 11/13")
        source = grid(pilot, "input-0")
        assert not settings_shown(pilot)  # folded away: the row needs the width
        assert source.rendered_lines()[1].split()[-4:] == ["1.79", "2.31", "2.12", "2.58"]
        for grid_id in ("input-0", "kernel-0", "flipped-0", "products-0", "output-0"):
            assert on_screen(pilot, grid_id), grid_id
        assert source.window == {(0, 10 + t) for t in range(4)}  # all four window values
        products = grid(pilot, "products-0").rendered_lines()[1].split()
        assert len(products) == 4
        assert text(pilot, "equation") == trace[10].equation()
        assert on_screen(pilot, "signal-plot") and on_screen(pilot, "formula")
        plot = text(pilot, "signal-plot").splitlines()
        marks = "".join(plot[1:])
        assert marks.count(INPUT_MARK) == 16 and marks.count(OUTPUT_MARK) == 11


async def test_rgb_two_filters_pages_its_channels_at_80x24_with_the_outputs_shown():
    async with stepper("rgb-two-filters").run_test(size=SMALL) as pilot:
        screen = screen_of(pilot)
        assert not settings_shown(pilot)
        for grid_id in ("input-0", "products-0", "input-1", "output-0", "output-1"):
            assert on_screen(pilot, grid_id), grid_id
        assert not grid(pilot, "input-2").display or not on_screen(pilot, "input-2")
        assert screen.pages == [0, 2]
        assert "page" in {b.binding.id for b in screen.active_bindings.values()}
        assert text(pilot, "step-info").endswith("c0-c1 of 3 (])")
        await pilot.press("right_square_bracket")
        assert on_screen(pilot, "input-2") and on_screen(pilot, "products-2")
        assert on_screen(pilot, "output-0") and on_screen(pilot, "output-1")
        assert text(pilot, "step-info").endswith("c2 of 3 (])")
        for line_id in ("step-info", "equation", "formula"):
            assert on_screen(pilot, line_id)
        assert text(pilot, "equation").splitlines()[-1] == "total: 1 + (-1) + 2 + bias 1 = 3"
        await pilot.press("right_square_bracket")  # round to the first page
        assert on_screen(pilot, "input-0")


async def test_rgb_two_filters_at_120x40_shows_every_channel_and_both_outputs():
    async with stepper("rgb-two-filters").run_test(size=WIDE) as pilot:
        screen = screen_of(pilot)
        assert screen.pages == [0]
        assert "page" not in {b.binding.id for b in screen.active_bindings.values()}
        for grid_id in ("input-0", "input-1", "input-2", "output-0", "output-1"):
            assert on_screen(pilot, grid_id), grid_id


async def test_settings_fold_when_short_come_back_with_room_and_when_asked():
    async with stepper("rgb-two-filters").run_test(size=SMALL) as pilot:
        assert not settings_shown(pilot)
        await pilot.press("s")  # asked for: shown, the channels page to make room
        assert settings_shown(pilot)
        assert on_screen(pilot, "output-0") and on_screen(pilot, "input-0")
        await pilot.press("s")
        assert not settings_shown(pilot)
        screen_of(pilot).settings_choice = None
        await pilot.resize_terminal(200, 40)
        await wait_for(pilot, lambda: settings_shown(pilot))
        await pilot.resize_terminal(*SMALL)
        await wait_for(pilot, lambda: not settings_shown(pilot))


async def test_a_7x7_kernel_at_80x24_keeps_the_sum_and_its_result_on_screen():
    async with stepper("seed-conv").run_test(size=SMALL) as pilot:
        screen = screen_of(pilot)
        rng = np.random.default_rng(7)
        screen.inputs = rng.integers(-2, 3, size=(1, 9, 9)).astype(float)
        screen.kernels = rng.integers(-2, 3, size=(1, 1, 7, 7)).astype(float)
        await screen.recompute(rebuild=True)
        await pilot.press("end")
        await pilot.pause()
        step = screen.trace[-1]
        equation = text(pilot, "equation")
        assert len(equation.splitlines()) > 1  # 49 products wrap
        assert " ".join(equation.split()) == step.equation()
        assert equation.splitlines()[-1].endswith(f" = {step.equation().rsplit(' = ')[-1]}")
        for widget_id in ("input-0", "products-0", "output-0", "step-info", "equation", "formula"):
            assert on_screen(pilot, widget_id), widget_id


async def test_every_preset_fits_80x24_and_120x40():
    for size in (SMALL, WIDE):
        async with stepper("seed-conv").run_test(size=size) as pilot:
            screen = screen_of(pilot)
            for name in PRESETS:
                await screen.load_preset(name)
                await pilot.pause()
                shown = set(range(screen.page, screen._page_end))
                ids = ["step-info", "equation", "formula", "preset-info"]
                ids += [f"input-{c}" for c in shown] + [f"products-{c}" for c in shown]
                ids += [f"output-{k}" for k in range(screen.trace.output.shape[0])]
                for widget_id in ids:
                    assert on_screen(pilot, widget_id), (size, name, widget_id)


async def test_labels_and_descriptions_are_whole():
    async with stepper("sensor-smoothing").run_test(size=WIDE) as pilot:
        info = screen_of(pilot).query_one("#preset-info")
        preset = PRESETS["sensor-smoothing"]
        assert text(pilot, "preset-info") == f"{preset.title}  {preset.description}"
        assert info.region.height == 3  # the whole description, wrapped, not cut at two lines
    async with stepper("seed-conv").run_test(size=SMALL) as pilot:
        assert settings_shown(pilot)
        labels = screen_of(pilot).query_one(StepperSettings).query(Label)
        padding = next(label for label in labels if "padding" in str(label.render()))
        assert str(padding.render()) == "padding (n/same/full)"
        assert padding.content_region.width >= len("padding (n/same/full)")


async def test_a_speed_change_is_said_on_the_step_line_not_in_a_popup():
    async with stepper("seed-conv").run_test(size=SMALL) as pilot:
        await pilot.press("plus")
        assert text(pilot, "step-info").endswith("speed 4/s")
        assert not list(pilot.app._notifications)
        await pilot.press("n")
        assert not text(pilot, "step-info").endswith("/s")


async def test_max_pool_padding_is_drawn_as_the_minus_infinity_it_uses():
    async with stepper("seed-maxpool").run_test(size=SMALL) as pilot:
        await type_into(pilot, "padding", "1")
        await pilot.press("enter")
        assert grid(pilot, "input-0").rendered_lines()[1:3] == [
            "-∞ -∞ -∞ -∞ -∞ -∞",
            "-∞  1  1  2  4 -∞",
        ]
        assert grid(pilot, "products-0").rendered_lines() == ["window", "-∞ -∞", "-∞  1"]
        assert text(pilot, "equation") == "max(-inf, -inf, -inf, 1) = 1"
        await pilot.press("escape")
        screen = screen_of(pilot)
        screen.query_one("#operation").value = "avgpool"
        await wait_for(pilot, lambda: screen.trace.operation == "avgpool")
        assert grid(pilot, "input-0").rendered_lines()[1] == "0 0 0 0 0 0"  # zeros, as used
        assert text(pilot, "equation") == "(0 + 0 + 0 + 1) / 4 = 0.25"  # count_include_pad


async def test_enter_in_a_field_applies_it_and_keeps_focus_and_grids_take_digits():
    async with stepper("seed-conv").run_test(size=SMALL) as pilot:
        screen = screen_of(pilot)
        await type_into(pilot, "stride", "2")
        await pilot.press("enter")
        stride = screen.query_one("#stride", Input)
        assert pilot.app.focused is stride
        assert screen.trace.stride == (2, 2)
        source = grid(pilot, "input-0")
        source.focus()
        await pilot.pause()
        await pilot.press("3", "enter")
        assert isinstance(pilot.app.screen, StepperScreen)  # the digit was a number, not a mode
        assert source.values[0, 0] == 3
        assert pilot.app.focused is source


async def test_a_two_channel_signal_at_80x24_shows_a_channel_a_page():
    async with stepper("sensor-smoothing").run_test(size=SMALL) as pilot:
        screen = screen_of(pilot)
        await type_into(pilot, "channels", "2")
        await pilot.press("enter", "escape")
        await wait_for(pilot, lambda: screen.inputs.shape[0] == 2 and screen.pages == [0, 1])
        assert on_screen(pilot, "input-0") and on_screen(pilot, "products-0")
        assert not on_screen(pilot, "input-1")
        await pilot.press("right_square_bracket")
        assert on_screen(pilot, "input-1") and on_screen(pilot, "products-1")
        assert on_screen(pilot, "formula")
