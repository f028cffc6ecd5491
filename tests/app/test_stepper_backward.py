"""The stepper's backward pass: direction, dL/dY, the three traces, the dL/dX views, SGD."""

from __future__ import annotations

import numpy as np
import pytest
from pilot_waits import wait_for
from stepper_pilot import screen_of, text, type_into
from textual.widgets import Input, Select

from cnn_tui.app.app import CnnTuiApp
from cnn_tui.app.widgets.stepper.backward_view import BackwardView
from cnn_tui.app.widgets.stepper.number_grid import NumberGrid
from cnn_tui.core.convolution.backward_presets import BACKWARD_PRESETS
from cnn_tui.core.convolution.backward_steps import LOSS_NOTE
from cnn_tui.core.convolution.stepper import format_number

SIZE = (80, 24)


def view_of(pilot) -> BackwardView:
    return screen_of(pilot).query_one(BackwardView)


def bw_grid(pilot, grid_id: str) -> NumberGrid:
    return screen_of(pilot).query_one(f"#bw-{grid_id}", NumberGrid)


async def opened(pilot) -> BackwardView:
    await wait_for(
        pilot,
        lambda: (
            isinstance(pilot.app.screen, type(pilot.app.screen))
            and bool(pilot.app.screen.query(BackwardView))
            and view_of(pilot).backward is not None
        ),
    )
    return view_of(pilot)


async def test_d_or_the_direction_select_switch_to_the_backward_pass_and_back():
    async with CnnTuiApp(stepper_preset="seed-conv").run_test(size=SIZE) as pilot:
        view = await opened(pilot)
        stage = screen_of(pilot).query_one("#stage")
        assert not view.display and stage.display
        await pilot.press("d")
        assert view.display and not stage.display
        assert screen_of(pilot).query_one("#direction", Select).value == "backward"
        assert text(pilot, "backward-heading") == "step 1/9  weight (0, 0)"
        await pilot.press("space")  # plays the backward trace
        assert view.timer is not None
        await wait_for(pilot, lambda: view.index >= 1)
        await pilot.press("space")
        assert view.timer is None
        assert text(pilot, "backward-heading").startswith(f"step {view.index + 1}/9")
        await pilot.press("d")
        assert not view.display and stage.display
        await pilot.press("right")  # the forward stepper steps again
        assert screen_of(pilot).index == 1
        screen_of(pilot).query_one("#direction", Select).value = "backward"
        await wait_for(pilot, lambda: view.display)


async def test_dl_dw_steps_cell_by_cell_with_the_sum_and_the_touched_cells():
    preset = BACKWARD_PRESETS["backprop-seed-conv"]
    backward = preset.backward()
    async with CnnTuiApp(stepper_preset=preset.name).run_test(size=SIZE) as pilot:
        view = await opened(pilot)
        assert view.display  # a backward preset opens the backward pass
        await pilot.press("right", "right")
        step = backward.weight_steps[2]
        assert text(pilot, "backward-heading") == "step 3/9  weight (0, 2)"
        lines = " ".join(text(pilot, "backward-lines").split())
        assert f"dL/dW[0, 2] = {step.equation()}" in lines
        assert bw_grid(pilot, "x-0").window == frozenset((r, c) for _, r, c in step.cells)
        result = bw_grid(pilot, "result").values
        assert list(result[0]) == [6, 7, 6] and np.isnan(result[1:]).all()
        await pilot.press("left")
        assert text(pilot, "backward-heading").startswith("step 2/9")
        await pilot.press("end")
        assert np.array_equal(bw_grid(pilot, "result").values, backward.grad_weight[0, 0])


async def test_t_and_v_step_dl_dx_three_ways_and_dl_db():
    preset = BACKWARD_PRESETS["backprop-stride2"]
    backward = preset.backward()
    async with CnnTuiApp(stepper_preset=preset.name).run_test(size=SIZE) as pilot:
        view = await opened(pilot)
        await pilot.press("t", "end")
        assert (view.trace_kind, view.view, view.count) == ("input", "sum", 36)
        assert "no window reads this cell, so its gradient is 0" in " ".join(
            text(pilot, "backward-notes").split()
        )
        assert np.array_equal(bw_grid(pilot, "result").values, backward.grad_input[0])
        await pilot.press("v", "end")  # scattered: the windows overlap on row and column 2
        assert (view.view, view.count) == ("scatter", 4)
        assert np.array_equal(bw_grid(pilot, "result-0").values, backward.grad_input[0])
        assert "(adds up)" in text(pilot, "backward-lines")
        await pilot.press("v", "end")  # the full convolution with the flipped kernel
        full = backward.full_convolution
        assert view.view == "full" and view.count == full.trace.output.size
        assert np.array_equal(bw_grid(pilot, "flipped-0").values, full.kernel[0, 0])
        assert np.array_equal(bw_grid(pilot, "result").values, full.trace.output[0])
        assert np.array_equal(full.grad_input, backward.grad_input)
        await pilot.press("t")
        assert view.trace_kind == "bias"
        assert "dL/db[0] = 1 + 2 + (-1) + 1 = 3" in text(pilot, "backward-lines")


async def test_typing_dl_dy_stays_on_the_stepper_and_recomputes():
    async with CnnTuiApp(stepper_preset="backprop-seed-conv").run_test(size=SIZE) as pilot:
        view = await opened(pilot)
        upstream = bw_grid(pilot, "upstream-0")
        upstream.focus()
        await pilot.press("3", "enter")  # 3 is the builder's mode key: here it is a number
        assert pilot.app.screen is screen_of(pilot)
        await wait_for(pilot, lambda: view.backward.upstream.values[0, 0, 0] == 3)
        step = view.backward.weight_steps[0]
        assert step.value == 8  # 1x3 + the other eight cells x 1
        assert view.backward.upstream.note == "as given"


async def test_r_fills_random_whole_numbers_and_l_takes_dl_dy_from_the_loss():
    async with CnnTuiApp(stepper_preset="backprop-seed-conv").run_test(size=SIZE) as pilot:
        view = await opened(pilot)
        await pilot.press("r")
        values = view.backward.upstream.values
        assert values.shape == (1, 3, 3)
        assert np.array_equal(values, np.round(values)) and values.min() >= -2 and values.max() <= 2
        await pilot.press("l")
        assert view.backward.upstream.note == LOSS_NOTE
        assert LOSS_NOTE in text(pilot, "backward-info")
        assert np.array_equal(view.backward.upstream.values, 2 * view.forward.output)
        assert np.array_equal(bw_grid(pilot, "upstream-0").values, 2 * view.forward.output[0])
        await pilot.press("l")
        assert view.backward.upstream.note == "all ones"


async def test_g_takes_one_sgd_step_and_a_typed_learning_rate_redoes_it():
    preset = BACKWARD_PRESETS["backprop-loss"]
    sgd = preset.sgd()
    assert sgd is not None
    async with CnnTuiApp(stepper_preset=preset.name).run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press("g")
        lines = " ".join(text(pilot, "backward-lines").split())
        for line in sgd.weight_lines():
            assert line in lines
        assert sgd.verdict in " ".join(text(pilot, "backward-notes").split())
        assert np.array_equal(bw_grid(pilot, "new-0").values, sgd.new_trace.output[0])
        field = screen_of(pilot).query_one("#lr", Input)
        field.focus()
        await pilot.press("end", "ctrl+u", "1", "enter")  # digits type here too
        assert pilot.app.screen is screen_of(pilot)
        await wait_for(pilot, lambda: "went up" in text(pilot, "backward-notes"))
        assert "w[0,0,0,0]: 1 - 1 x 6 = -5" in " ".join(text(pilot, "backward-lines").split())


async def test_pooling_routes_to_the_winner_and_says_the_tie_rule():
    preset = BACKWARD_PRESETS["backprop-maxpool-tie"]
    async with CnnTuiApp(stepper_preset=preset.name).run_test(size=SIZE) as pilot:
        view = await opened(pilot)
        await pilot.press("t")  # pooling has only dL/dX
        assert view.trace_kind == "input"
        await pilot.press("v")
        assert view.view == "scatter"
        notes = " ".join(text(pilot, "backward-notes").split())
        assert "tie: 2 cells hold the maximum 3" in notes and "row-major" in notes
        assert list(bw_grid(pilot, "result-0").values[0]) == [0, 1, 0, 0]
        await pilot.press("g")
        assert "pooling has no weights" in text(pilot, "backward-message")


@pytest.mark.parametrize("name", ["backprop-two-filters", "sensor-smoothing"])
async def test_every_setup_steps_backwards_to_the_end(name):
    async with CnnTuiApp(stepper_preset=name).run_test(size=SIZE) as pilot:
        view = await opened(pilot)
        if not view.display:
            await pilot.press("d")
        for _ in view.backward and range(3):
            await pilot.press("end", "t")
        await pilot.press("v", "end")
        final = view.backward.grad_input
        shown = bw_grid(pilot, "result-0").values
        assert np.array_equal(shown, final[0].reshape(shown.shape))


async def test_the_preset_chooser_lists_the_backward_presets():
    async with CnnTuiApp(stepper_preset="seed-conv").run_test(size=SIZE) as pilot:
        view = await opened(pilot)
        chooser = screen_of(pilot).query_one("#preset", Select)
        names = [value for _, value in chooser._options]
        assert set(BACKWARD_PRESETS) <= set(names)
        chooser.value = "backprop-two-filters"
        await wait_for(pilot, lambda: view.display and view.forward.output.shape[0] == 2)
        assert format_number(view.lr) == "0.05"


def test_snapshot_a_backward_step_at_80x24(snap_compare):
    async def run_before(pilot) -> None:
        await opened(pilot)
        await pilot.press("right", "right")

    app = CnnTuiApp(stepper_preset="backprop-seed-conv")
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


async def test_settings_changed_in_the_backward_pass_recompute_it_or_say_why_not():
    async with CnnTuiApp(stepper_preset="backprop-seed-conv").run_test(size=SIZE) as pilot:
        view = await opened(pilot)
        await type_into(pilot, "stride", "2")
        await wait_for(pilot, lambda: view.forward.stride == (2, 2))
        assert view.backward.upstream.values.shape == (1, 2, 2)
        assert view.about == ""  # the student's own example now
        await type_into(pilot, "stride", "x")
        await wait_for(pilot, lambda: "stride" in text(pilot, "backward-message"))
        assert view.forward.stride == (2, 2)  # the last good trace stays
