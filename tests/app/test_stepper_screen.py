"""Pilot and snapshot tests for the stepper screen: stepping, highlights, edits and settings."""

from __future__ import annotations

import numpy as np
import pytest
from pilot_waits import wait_for
from stepper_pilot import grid, screen_of, text, type_into
from textual.widgets import Select

from cnn_tui.app.app import CnnTuiApp
from cnn_tui.app.screens.stepper import FLIP_NOTE, StepperScreen
from cnn_tui.app.widgets.stepper.number_grid import NumberGrid
from cnn_tui.app.widgets.stepper.settings import StepperSettings
from cnn_tui.core.convolution.pool_trace import pool2d_trace
from cnn_tui.core.convolution.presets import PRESETS
from cnn_tui.core.convolution.stepper import Step, Trace, format_number

WIDE = (120, 40)
SMALL = (80, 24)
KEEP = " (showing the last result that worked)"
"""What the screen adds to every error: the grids still show the last good trace."""

LECTURE_FINAL = {
    "seed-conv": ["4 3 4", "2 4 3", "2 3 4"],
    "seed-full-conv": [" 1  5  7  2", " 0 -2 -4  1", " 2  6  4 -3", " 0 -2 -2  1"],
    "seed-maxpool": ["6 8", "3 4"],
}
"""The lecture's finished grids as NumberGrid draws them: columns right-aligned, one space apart."""


def stepper(preset: str | None = None) -> CnnTuiApp:
    return CnnTuiApp(stepper_preset=preset)


def grid_ids(pilot) -> list[str]:
    return [g.id or "" for g in screen_of(pilot).query(NumberGrid)]


def counter(pilot) -> str:
    """'step i/N' from the step info line."""
    return text(pilot, "step-info").split("  ")[0]


def step_info(step: Step, total: int, what: str = "filter") -> str:
    where = ", ".join(str(p) for p in step.output_position)
    return (
        f"step {step.index + 1}/{total}  output[{where}]  ({what} {step.output_position[0]})"
        f"  = {format_number(step.value)}"
    )


def output_lines(trace: Trace, index: int) -> list[str]:
    """The one output grid's lines once steps 0..index are done: a dot for each cell to come."""
    output = trace.output[0]
    cells = [format_number(v) if n <= index else "·" for n, v in enumerate(output.reshape(-1))]
    width = output.shape[1]
    rows = [cells[r * width : (r + 1) * width] for r in range(output.shape[0])]
    # every column as wide as the widest final value, so the grid does not shift as it fills
    least = max(len(format_number(v)) for v in output.reshape(-1))
    widths = [max(least, *(len(row[j]) for row in rows)) for j in range(width)]
    return [" ".join(t.rjust(w) for t, w in zip(row, widths, strict=True)) for row in rows]


async def choose(pilot, select_id: str, value: str) -> None:
    screen_of(pilot).query_one(f"#{select_id}", Select).value = value
    await pilot.pause()


# ---------------------------------------------------------------------------------------------
# the lecture's three examples, cell by cell


def check_step(pilot, name: str, trace: Trace, index: int) -> None:
    step = trace[index]
    pool = name == "seed-maxpool"
    assert text(pilot, "step-info") == step_info(step, len(trace), "channel" if pool else "filter")
    assert text(pilot, "equation") == "\n".join(step.explain())
    assert text(pilot, "equation") == step.equation()  # one channel: one line
    source = grid(pilot, "input-0")
    assert source.window == {cell.position[1:] for cell in step.cells}
    if pool:
        winner = step.cells[step.argmax].position[1:]
        assert source.accent == winner
        assert source.cell_text(*winner) == format_number(step.value)
        assert grid(pilot, "products-0").title == "window"
    else:
        assert source.accent is None
        products = [format_number(p) for p in step.products]
        shown = grid(pilot, "products-0").values.reshape(-1)
        assert [format_number(v) for v in shown] == products
    out = grid(pilot, "output-0")
    assert out.rendered_lines() == ["output", *output_lines(trace, index)]
    assert out.accent == step.output_position[1:]


@pytest.mark.parametrize("name", list(LECTURE_FINAL))
async def test_lecture_example_step_by_step_to_the_final_grid(name):
    trace = PRESETS[name].trace()
    async with stepper(name).run_test(size=WIDE) as pilot:
        for index in range(len(trace)):
            if index:
                await pilot.press("right" if index % 3 == 0 else "n")
            check_step(pilot, name, trace, index)
        assert counter(pilot) == f"step {len(trace)}/{len(trace)}"
        assert grid(pilot, "output-0").rendered_lines() == ["output", *LECTURE_FINAL[name]]
        await pilot.press("n")  # past the end: stays on the last cell
        assert counter(pilot) == f"step {len(trace)}/{len(trace)}"


async def test_max_pool_highlights_each_window_winner():
    async with stepper("seed-maxpool").run_test(size=WIDE) as pilot:
        assert "kernel-0" not in grid_ids(pilot)
        winners = []
        equations = []
        for _ in range(4):
            winners.append(grid(pilot, "input-0").accent)
            equations.append(text(pilot, "equation"))
            await pilot.press("n")
        assert winners == [(1, 1), (1, 3), (2, 0), (3, 3)]
        assert equations == [
            "max(1, 1, 5, 6) = 6",
            "max(2, 4, 7, 8) = 8",
            "max(3, 2, 1, 2) = 3",
            "max(1, 0, 3, 4) = 4",
        ]
        window = grid(pilot, "products-0")
        assert window.rendered_lines() == ["window", "1 0", "3 4"]
        assert window.accent == (1, 1)


async def test_seed_conv_opens_on_the_first_window_and_home_end_s_work():
    trace = PRESETS["seed-conv"].trace()
    async with stepper("seed-conv").run_test(size=WIDE) as pilot:
        assert counter(pilot) == "step 1/9"
        assert text(pilot, "equation") == (
            "1x1 + 1x0 + 1x1 + 0x0 + 1x1 + 1x0 + 0x1 + 0x0 + 1x1 = 4"
        )
        assert grid(pilot, "input-0").window == {(r, c) for r in range(3) for c in range(3)}
        assert grid(pilot, "products-0").rendered_lines() == ["products", "1 0 1", "0 1 0", "0 0 1"]
        assert grid(pilot, "output-0").rendered_lines() == ["output", "4 · ·", "· · ·", "· · ·"]
        assert text(pilot, "formula") == (
            "rows: (5 - 3 + 2*0) / 1 + 1 = 3\ncolumns: (5 - 3 + 2*0) / 1 + 1 = 3"
        )
        assert text(pilot, "preset-info").startswith("The lecture's first convolution  ")
        await pilot.press("n", "n", "end")
        assert counter(pilot) == "step 9/9"
        assert text(pilot, "equation") == trace[8].equation()
        await pilot.press("home")
        assert counter(pilot) == "step 1/9"
        assert grid(pilot, "output-0").rendered_lines()[1:] == ["4 · ·", "· · ·", "· · ·"]
        settings = screen_of(pilot).query_one(StepperSettings)
        assert settings.display
        await pilot.press("s")
        assert not settings.display
        await pilot.press("s")
        assert settings.display


async def test_full_true_convolution_pads_flips_and_steps_back_to_the_start():
    trace = PRESETS["seed-full-conv"].trace()
    total = len(trace)
    async with stepper("seed-full-conv").run_test(size=WIDE) as pilot:
        source = grid(pilot, "input-0")
        assert source.padding == ((1, 1), (1, 1))
        assert source.rendered_lines() == [
            "input c0",
            "0 0  0  0 0",
            "0 1  3  1 0",
            "0 0 -1  1 0",
            "0 2  2 -1 0",
            "0 0  0  0 0",
        ]
        assert source.window == {(-1, -1), (-1, 0), (0, -1), (0, 0)}
        assert grid(pilot, "kernel-0").values.tolist() == [[1, 2], [0, -1]]
        flipped = grid(pilot, "flipped-0")
        assert flipped.values.tolist() == [[-1, 0], [2, 1]]
        assert flipped.rendered_lines() == ["flipped", "-1 0", " 2 1"]
        assert text(pilot, "equation") == "0x(-1) + 0x0 + 0x2 + 1x1 = 1"
        assert text(pilot, "formula").splitlines() == [
            "rows: (3 - 2 + 2*1) / 1 + 1 = 4",
            "columns: (3 - 2 + 2*1) / 1 + 1 = 4",
            FLIP_NOTE,
        ]
        await pilot.press("end")
        assert counter(pilot) == f"step {total}/{total}"
        # the last window is the bottom-right corner: three padding cells and the -1
        assert source.window == {(2, 2), (2, 3), (3, 2), (3, 3)}
        assert text(pilot, "equation") == "(-1)x(-1) + 0x0 + 0x2 + 0x1 = 1"
        assert grid(pilot, "output-0").rendered_lines()[1:] == LECTURE_FINAL["seed-full-conv"]
        for index in range(total - 2, -1, -1):
            await pilot.press("p" if index % 2 else "left")
            assert counter(pilot) == f"step {index + 1}/{total}"
            assert text(pilot, "equation") == trace[index].equation()
            assert grid(pilot, "output-0").rendered_lines()[1:] == output_lines(trace, index)
        await pilot.press("p", "left")
        assert counter(pilot) == f"step 1/{total}"
        assert text(pilot, "equation") == trace[0].equation()


async def test_home_and_end_jump_at_80x24_too():
    async with stepper("seed-conv").run_test(size=SMALL) as pilot:
        await pilot.press("end")
        assert counter(pilot) == "step 9/9"
        await pilot.press("home")
        assert counter(pilot) == "step 1/9"


# ---------------------------------------------------------------------------------------------
# the other presets


async def test_sensor_smoothing_reads_left_to_right_in_one_dimension():
    trace = PRESETS["sensor-smoothing"].trace()
    async with stepper("sensor-smoothing").run_test(size=WIDE) as pilot:
        source = grid(pilot, "input-0")
        assert not source.transpose  # a signal is a row (issue 15 item 5), not a column
        assert source.rendered_lines()[0] == "input c0"
        assert source.rendered_lines()[1].split()[:4] == ["0.12", "0.55", "0.31", "0.88"]
        assert grid(pilot, "kernel-0").rendered_lines() == ["kernel", "0.4 0.3 0.2 0.1"]
        assert grid(pilot, "flipped-0").rendered_lines() == ["flipped", "0.1 0.2 0.3 0.4"]
        assert text(pilot, "formula").splitlines() == [
            "length: (16 - 4 + 2*0) / 1 + 1 = 13",
            FLIP_NOTE,
        ]
        assert text(pilot, "equation") == "0.12x0.1 + 0.55x0.2 + 0.31x0.3 + 0.88x0.4 = 0.567"
        for index in range(4):
            step = trace[index]
            assert counter(pilot) == f"step {index + 1}/13"
            assert text(pilot, "equation") == step.equation()
            assert source.window == {(0, index + t) for t in range(4)}
            out = grid(pilot, "output-0")
            assert out.accent == (0, index)
            assert out.cell_text(0, index) == format_number(step.value)
            assert out.cell_text(0, index + 1) == "·"
            await pilot.press("n")
        await pilot.press("end")
        out = grid(pilot, "output-0")
        assert [out.cell_text(0, i) for i in range(13)] == [
            "0.567", "0.637", "0.867", "0.935", "1.158", "1.223", "1.439",
            "1.515", "1.739", "1.805", "2.021", "2.103", "2.309",
        ]  # fmt: skip
        assert out.rendered_lines()[1].split()[0] == "0.567"


async def test_rgb_two_filters_splits_the_sum_per_channel_and_switches_kernels():
    trace = PRESETS["rgb-two-filters"].trace()
    async with stepper("rgb-two-filters").run_test(size=WIDE) as pilot:
        ids = grid_ids(pilot)
        for name in ("input-0", "input-1", "input-2", "kernel-2", "output-0", "output-1"):
            assert name in ids
        assert [grid(pilot, f"input-{c}").padding for c in range(3)] == [((1, 1), (1, 1))] * 3
        assert text(pilot, "equation").splitlines() == [
            "c0: 0x1 + 0x0 + 0x(-1) + 0x0 + 0x1 + 1x0 + 0x(-1) + 2x0 + 1x1 = 1",
            "c1: 0x0 + 0x1 + 0x0 + 0x1 + 1x(-1) + 0x1 + 0x0 + 0x1 + 2x0 = -1",
            "c2: 0x(-1) + 0x(-1) + 0x0 + 0x0 + 2x0 + 2x1 + 0x1 + 1x0 + 0x0 = 2",
            "total: 1 + (-1) + 2 + bias 1 = 3",
        ]
        for index in range(10):  # all of filter 0, then the first cell of filter 1
            if index:
                await pilot.press("n")
            step = trace[index]
            focus = step.output_position[0]
            assert focus == (0 if index < 9 else 1)
            assert text(pilot, "step-info") == step_info(step, 18)
            assert text(pilot, "equation") == "\n".join(step.explain())
            assert grid(pilot, "kernel-0").title == f"kernel f{focus} c0"
            assert grid(pilot, "kernel-2").title == f"kernel f{focus} c2"
            for c in range(3):
                window = {cell.position[1:] for cell in step.cells if cell.position[0] == c}
                assert grid(pilot, f"input-{c}").window == window
        assert text(pilot, "equation").splitlines()[-1] == "total: 1 + 3 + (-2) = 2"
        assert grid(pilot, "kernel-0").values.tolist() == [[0, -1, 1], [1, 0, -1], [0, 1, 0]]
        assert grid(pilot, "output-0").rendered_lines() == [
            "output f0",
            " 3  6  3",
            " 3  8 -1",
            " 3  9 -2",
        ]
        assert grid(pilot, "output-1").rendered_lines() == [
            "output f1",
            " 2  ·  ·",
            " ·  ·  ·",
            " ·  ·  ·",
        ]
        assert grid(pilot, "output-1").accent == (0, 0)
        assert grid(pilot, "output-0").accent is None
        await pilot.press("end")
        assert counter(pilot) == "step 18/18"
        assert grid(pilot, "output-1").rendered_lines() == [
            "output f1",
            " 2 -1  2",
            " 2 -3  4",
            " 1 -5  2",
        ]


async def test_uneven_stride_explains_and_greys_the_uncovered_row_and_column():
    async with stepper("uneven-stride").run_test(size=WIDE) as pilot:
        formula = text(pilot, "formula")
        assert "floor((7 - 3 + 2*0) / 3) + 1 = 2" in formula
        assert formula.splitlines() == [
            "rows: floor((7 - 3 + 2*0) / 3) + 1 = 2",
            "columns: floor((7 - 3 + 2*0) / 3) + 1 = 2",
            "  on both axes, input index 6 is never used: it lies past the last window (ending at"
            " 5), as (7 - 3) is not a multiple of the stride 3 (struck through)",
        ]
        greyed = grid(pilot, "input-0").greyed
        assert greyed == {(6, c) for c in range(7)} | {(r, 6) for r in range(7)}
        assert counter(pilot) == "step 1/4"
        await pilot.press("end")
        # the last window stops at index 5: the 9s never enter a sum
        assert grid(pilot, "input-0").window == {(r, c) for r in range(3, 6) for c in range(3, 6)}
        assert grid(pilot, "output-0").rendered_lines() == ["output", "3 0", "0 3"]


async def test_an_uncovered_row_alone_is_explained_under_the_rows_only():
    async with stepper("uneven-stride").run_test(size=WIDE) as pilot:
        await type_into(pilot, "stride", "3x1")
        assert text(pilot, "formula").splitlines() == [
            "rows: floor((7 - 3 + 2*0) / 3) + 1 = 2",
            "  input index 6 is never used: it lies past the last window (ending at 5), as (7 - 3)"
            " is not a multiple of the stride 3 (struck through)",
            "columns: (7 - 3 + 2*0) / 1 + 1 = 5",
        ]


# ---------------------------------------------------------------------------------------------
# bad input


async def test_a_bad_stride_is_named_and_the_last_good_trace_stays():
    async with stepper("seed-conv").run_test(size=WIDE) as pilot:
        await pilot.press("n", "n")
        before_info = text(pilot, "step-info")
        await type_into(pilot, "stride", "x")
        assert text(pilot, "message") == "stride: expected a whole number, got 'x'" + KEEP
        assert text(pilot, "step-info") == before_info
        assert counter(pilot) == "step 3/9"
        assert grid(pilot, "output-0").rendered_lines()[1:] == ["4 3 4", "· · ·", "· · ·"]
        await type_into(pilot, "stride", "0")
        assert text(pilot, "message") == "stride: must be at least 1, got 0" + KEEP
        await type_into(pilot, "stride", "2")
        assert text(pilot, "message") == ""
        assert counter(pilot) == "step 3/4"


async def test_fixing_a_field_back_to_its_old_value_clears_the_message():
    async with stepper("seed-conv").run_test(size=WIDE) as pilot:
        await type_into(pilot, "stride", "x")
        assert text(pilot, "message") == "stride: expected a whole number, got 'x'" + KEEP
        await type_into(pilot, "stride", "1")
        assert text(pilot, "message") == ""


async def test_a_kernel_larger_than_the_input_is_explained_without_a_crash():
    async with stepper("seed-conv").run_test(size=WIDE) as pilot:
        kernel = grid(pilot, "kernel-0")
        kernel.focus()
        await pilot.pause()
        await pilot.press("ctrl+right", "ctrl+right")
        assert kernel.values.shape == (3, 5)
        assert text(pilot, "message") == ""
        assert counter(pilot) == "step 1/3"
        await pilot.press("ctrl+right")
        assert kernel.values.shape == (3, 6)
        assert "but the padded input is only" in text(pilot, "message")
        assert text(pilot, "message") == "kernel is 3x6 but the padded input is only 5x5" + KEEP
        assert counter(pilot) == "step 1/3"  # the 3x5 kernel's trace
        await pilot.press("ctrl+right", "ctrl+right", "escape", "n")
        assert text(pilot, "message") == "kernel is 3x8 but the padded input is only 5x5" + KEEP
        assert counter(pilot) == "step 2/3"


async def test_typing_into_the_input_grid_refuses_bad_text_and_recomputes_on_a_number():
    async with stepper("seed-conv").run_test(size=WIDE) as pilot:
        source = grid(pilot, "input-0")
        source.focus()
        await pilot.pause()
        assert source.cursor == (0, 0)
        await pilot.press("1", "-", "2", "enter")
        assert text(pilot, "message") == "input c0, row 1, column 1: '1-2' is not a number" + KEEP
        assert source.values.tolist() == PRESETS["seed-conv"].input.tolist()
        assert text(pilot, "equation") == PRESETS["seed-conv"].trace()[0].equation()
        assert text(pilot, "preset-info").startswith("The lecture's first convolution")

        await pilot.press("5", "enter")
        assert source.values[0, 0] == 5
        assert text(pilot, "message") == ""
        assert text(pilot, "preset-info") == "Your own example"
        assert text(pilot, "equation") == (
            "5x1 + 1x0 + 1x1 + 0x0 + 1x1 + 1x0 + 0x1 + 0x0 + 1x1 = 8"
        )
        assert counter(pilot) == "step 1/9"
        assert grid(pilot, "output-0").cell_text(0, 0) == "8"
        assert isinstance(pilot.app.screen, StepperScreen)  # the digits did not switch modes


# ---------------------------------------------------------------------------------------------
# settings (the preset list resets the example between changes)


async def test_settings_padding_mode_channels_and_operation_change_the_trace():
    pool = pool2d_trace(PRESETS["seed-conv"].input, kind="max", size=2, stride=1)
    async with stepper("seed-conv").run_test(size=WIDE) as pilot:
        await type_into(pilot, "padding", "same")
        assert text(pilot, "message") == ""
        assert counter(pilot) == "step 1/25"
        assert grid(pilot, "input-0").padding == ((1, 1), (1, 1))
        assert (
            grid(pilot, "output-0").rendered_lines() == ["output", "2 · · · ·"] + ["· · · · ·"] * 4
        )
        assert text(pilot, "preset-info") == "Your own example"
        assert screen_of(pilot).query_one("#preset", Select).value is Select.NULL

        await choose(pilot, "preset", "seed-conv")
        assert counter(pilot) == "step 1/9"
        assert grid(pilot, "input-0").padding == ((0, 0), (0, 0))
        assert "flipped-0" not in grid_ids(pilot)
        await choose(pilot, "mode", "convolution")
        # the lecture's kernel is symmetric: flipping it changes nothing
        assert grid(pilot, "flipped-0").rendered_lines() == ["flipped", "1 0 1", "0 1 0", "1 0 1"]
        # the full explanation comes with the first flipped kernel of the session
        assert text(pilot, "formula").splitlines()[-1] == FLIP_NOTE

        await choose(pilot, "preset", "seed-conv")
        assert "flipped-0" not in grid_ids(pilot)
        await type_into(pilot, "channels", "2")
        ids = grid_ids(pilot)
        assert "input-1" in ids
        assert "kernel-1" in ids
        assert grid(pilot, "input-1").values.shape == (5, 5)
        assert grid(pilot, "kernel-1").values.shape == (3, 3)
        lines = text(pilot, "equation").splitlines()
        assert [line.split(":")[0] for line in lines] == ["c0", "c1", "total"]
        assert lines[0] == "c0: 1x1 + 1x0 + 1x1 + 0x0 + 1x1 + 1x0 + 0x1 + 0x0 + 1x1 = 4"

        await choose(pilot, "preset", "seed-conv")
        assert "input-1" not in grid_ids(pilot)
        await choose(pilot, "operation", "maxpool")
        assert text(pilot, "message") == ""
        assert grid(pilot, "products-0").title == "window"
        assert "kernel-0" not in grid_ids(pilot)
        assert counter(pilot) == f"step 1/{len(pool)}" == "step 1/16"
        assert text(pilot, "equation") == pool[0].equation() == "max(1, 1, 0, 1) = 1"
        assert text(pilot, "step-info").endswith("(channel 0)  = 1")


async def test_a_refused_operation_change_keeps_drawing_the_last_good_conv():
    async with stepper("seed-conv").run_test(size=WIDE) as pilot:
        await type_into(pilot, "padding", "same")
        await pilot.press("escape", "n")
        assert grid(pilot, "products-0").rendered_lines() == ["products", "0 0 0", "0 1 0", "0 0 1"]
        await choose(pilot, "operation", "maxpool")  # pooling takes no 'same' padding
        assert text(pilot, "message") == (
            "pooling has no 'same' padding: give a number of cells, at most half the window size"
            + KEEP
        )
        assert text(pilot, "step-info") == "step 2/25  output[0, 0, 1]  (filter 0)  = 2"
        assert grid(pilot, "products-0").rendered_lines() == ["products", "0 0 0", "0 1 0", "0 0 1"]


# ---------------------------------------------------------------------------------------------
# play


async def test_space_plays_pauses_and_plays_on_to_the_end():
    async with stepper("seed-conv").run_test(size=WIDE) as pilot:
        screen = screen_of(pilot)
        await pilot.press("plus", "plus", "plus")  # 2/s -> 8/s; the third press stays at 8/s
        await pilot.press("space")
        assert text(pilot, "step-info").endswith("playing 8/s")
        await wait_for(pilot, lambda: screen.index > 0)  # the timer's first tick
        await pilot.press("space")
        paused_at = screen.index
        assert not text(pilot, "step-info").endswith("/s")
        await pilot.pause(0.4)  # several ticks' worth at 8/s
        assert screen.index == paused_at
        assert counter(pilot) == f"step {paused_at + 1}/9"

        await pilot.press("space")
        await wait_for(pilot, lambda: screen.timer is None)  # it stops by itself on the last cell
        assert counter(pilot) == "step 9/9"
        assert grid(pilot, "output-0").rendered_lines()[1:] == LECTURE_FINAL["seed-conv"]
        assert not text(pilot, "step-info").endswith("/s")


# ---------------------------------------------------------------------------------------------
# small terminal


async def test_seed_conv_at_80x24_steps_to_the_final_grid():
    async with stepper("seed-conv").run_test(size=SMALL) as pilot:
        for _ in range(8):
            await pilot.press("n")
        assert counter(pilot) == "step 9/9"
        assert grid(pilot, "output-0").rendered_lines() == ["output", *LECTURE_FINAL["seed-conv"]]
        assert grid(pilot, "output-0").region.bottom <= 24
        # the long sum wraps at 80 columns, its '= 4' whole on the last line
        equation = text(pilot, "equation")
        assert " ".join(equation.split()) == PRESETS["seed-conv"].trace()[8].equation()
        assert equation.splitlines()[-1].endswith(" = 4")


# ---------------------------------------------------------------------------------------------
# snapshots


def test_snapshot_seed_conv_midway_at_80x24(snap_compare):
    """The 5x5 example after four steps at 80x24: the settings column on the left; 'input c0'
    with the 3x3 window at rows 1-3, columns 1-3 (1 1 1 / 0 1 1 / 0 1 1) shaded; the kernel
    '1 0 1 / 0 1 0 / 1 0 1' and below it the products '1 0 1 / 0 1 0 / 0 0 1'; the output
    '4 3 4 / 2 4 · / · · ·' with the 4 at row 1, column 1 highlighted; below the grids
    'step 5/9  output[0, 1, 1]  (filter 0)  = 4', the equation
    '1x1 + 1x0 + 1x1 + 0x0 + 1x1 + 1x0 + 0x1 + 1x0 + 1x1 = 4' wrapped with '1x1 = 4' whole on
    an indented second line, and the two size formulas '(5 - 3 + 2*0) / 1 + 1 = 3'; the whole
    preset description above the grids; the settings label 'padding (n/same/full)' uncut; the
    footer with n Next, p Back, space Play."""
    assert snap_compare(stepper("seed-conv"), press=["n"] * 4, terminal_size=SMALL)


def test_snapshot_full_true_convolution_at_120x40(snap_compare):
    """The full true convolution after five steps at 120x40: 'input c0' inside a ring of
    italic zero padding, the window on rows 0-1, columns 0-1 (1 3 / 0 -1) shaded; the kernel
    '1 2 / 0 -1', the flipped kernel '-1 0 / 2 1' and the products '-1 0 / 0 -1'; the output
    '1 5 7 2 / 0 -2 · ·' and two rows of dots with the -2 highlighted; the settings show
    padding 'full' and mode 'true convolution'; at the bottom 'step 6/16  output[0, 1, 1]',
    the equation '1x(-1) + 3x0 + 0x2 + (-1)x1 = -2', the formulas '(3 - 2 + 2*1) / 1 + 1 = 4'
    and the flip note; no popup covers those lines."""
    assert snap_compare(stepper("seed-full-conv"), press=["n"] * 5, terminal_size=WIDE)


def test_snapshot_max_pool_at_80x24(snap_compare):
    """Max pooling after two steps at 80x24: 'input c0' with the bottom-left 2x2 block
    (3 2 / 1 2) shaded and its 3 strongly highlighted as the winner; a 'window' grid
    '3 2 / 1 2' with the 3 highlighted; the output '6 8 / 3 ·' with the 3 highlighted; no
    kernel grid; the settings show max pool, window size 2, stride 2 and a ceil mode box;
    'step 3/4  output[0, 1, 0]  (channel 0)  = 3' and 'max(3, 2, 1, 2) = 3' below."""
    assert snap_compare(stepper("seed-maxpool"), press=["n"] * 2, terminal_size=SMALL)


def test_snapshot_sensor_smoothing_at_step_11_at_80x24(snap_compare):
    """The 1-D signal at step 11 at 80x24, settings folded away: the whole description; the
    16 readings in one row, '1.52 2.04 1.79 2.31' shaded as the window; kernel
    '0.4 0.3 0.2 0.1', flipped '0.1 0.2 0.3 0.4' and the four products in a row; the output
    row filled to 2.021 with two dots to come; a plot of the readings (dots) against the
    outputs so far (discs); 'step 11/13', the whole equation '= 2.021', the length formula and
    'kernel flipped on both axes: true convolution'."""
    assert snap_compare(stepper("sensor-smoothing"), press=["n"] * 10, terminal_size=SMALL)


def test_snapshot_rgb_two_filters_at_80x24(snap_compare):
    """Three channels, two filters at 80x24, settings folded away: input c0 and c1 (zero
    padded) each with 'kernel f0 cN' and products beside them, the two output maps 'output f0'
    and 'output f1' on the right; 'step 2/18 ... = 6  c0-c1 of 3 (])'; the per-channel sums,
    the total '= 6' and both formulas; the footer shows '] More'."""
    assert snap_compare(stepper("rgb-two-filters"), press=["n"], terminal_size=SMALL)


def test_lecture_final_grids_match_the_engine():
    """The literal final grids above are the engine's output, so the screen tests pin both."""
    for name, lines in LECTURE_FINAL.items():
        output = PRESETS[name].trace().output[0]
        rows = [[int(v) for v in line.split()] for line in lines]
        assert np.array_equal(output, rows)
