"""The stepper's settings take a rectangular window, stride, padding or dilation as HxW."""

from __future__ import annotations

from stepper_pilot import grid, screen_of, text, type_into

from cnn_tui.app.app import CnnTuiApp
from cnn_tui.app.widgets.stepper.settings import StepperConfig, StepperSettings

WIDE = (120, 40)


async def test_a_3x1_pooling_window_steps_down_each_column():
    async with CnnTuiApp(stepper_preset="seed-maxpool").run_test(size=WIDE) as pilot:
        await type_into(pilot, "size", "3x1")
        await type_into(pilot, "stride", "")  # blank: the window, 3x1
        assert screen_of(pilot).config.size == (3, 1)
        assert text(pilot, "message") == ""
        assert text(pilot, "equation") == "max(1, 5, 3) = 5"
        assert text(pilot, "step-info").startswith("step 1/4")
        await type_into(pilot, "stride", "1x2")
        assert text(pilot, "step-info").startswith("step 1/4")
        assert screen_of(pilot).trace.output[0].tolist() == [[5, 7], [5, 7]]
        assert grid(pilot, "output-0").rendered_lines() == ["output", "5 ·", "· ·"]
        await type_into(pilot, "size", "3x1x2")
        assert text(pilot, "message").startswith("window size: expected a whole number")


async def test_a_pair_shows_back_as_hxw_in_its_field():
    async with CnnTuiApp(stepper_preset="seed-conv").run_test(size=WIDE) as pilot:
        settings = screen_of(pilot).query_one(StepperSettings)
        settings.load(StepperConfig(stride=(2, 1), padding=(0, 1), dilation=(1, 2)))
        await pilot.pause()
        assert [settings._value(name) for name in ("stride", "padding", "dilation")] == [
            "2x1",
            "0x1",
            "1x2",
        ]
        assert settings.read() == StepperConfig(stride=(2, 1), padding=(0, 1), dilation=(1, 2))
