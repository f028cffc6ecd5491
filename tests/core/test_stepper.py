"""Tests for the conv/pool stepper: the lecture's examples exactly, and agreement with torch."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cnn_tui.core.convolution.conv_trace import conv1d_trace, conv2d_trace
from cnn_tui.core.convolution.pool_trace import pool2d_trace
from cnn_tui.core.convolution.presets import PRESETS
from cnn_tui.core.convolution.stepper import Cursor, StepperError, format_number
from cnn_tui.core.convolution.trace_inputs import parse_grid

try:
    import torch
except ImportError:  # the NumPy-only tests still run; the agreement tests below skip
    torch = None
F = None if torch is None else torch.nn.functional
needs_torch = pytest.mark.skipif(torch is None, reason="agreement with torch needs torch")

PROPERTY = settings(max_examples=40, deadline=None)
# torch warns that it copies the input for an even 'same' kernel; the result is still exact.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")


def _tensor(array: np.ndarray):
    return torch.from_numpy(np.ascontiguousarray(array))


# --- the lecture's examples ----------------------------------------------------------------------


def test_seed_conv_matches_lecture_feature_map():
    trace = PRESETS["seed-conv"].trace()
    assert trace.output.tolist() == [[[4, 3, 4], [2, 4, 3], [2, 3, 4]]]
    assert trace.operation == "conv2d"
    assert not trace.flipped
    assert len(trace) == 9


def test_seed_conv_first_step_written_out():
    step = PRESETS["seed-conv"].trace()[0]
    assert step.output_position == (0, 0, 0)
    assert list(step.products) == [1, 0, 1, 0, 1, 0, 0, 0, 1]
    assert step.total == 4
    assert step.value == 4
    assert step.equation() == "1x1 + 1x0 + 1x1 + 0x0 + 1x1 + 1x0 + 0x1 + 0x0 + 1x1 = 4"
    assert [cell.position for cell in step.cells[:4]] == [
        (0, 0, 0),
        (0, 0, 1),
        (0, 0, 2),
        (0, 1, 0),
    ]
    assert [cell.running_sum for cell in step.cells] == [1, 1, 2, 2, 3, 3, 3, 3, 4]
    assert not any(cell.is_padding for cell in step.cells)


def test_seed_conv_second_step_slides_one_column():
    step = PRESETS["seed-conv"].trace()[1]
    assert step.output_position == (0, 0, 1)
    assert step.equation() == "1x1 + 1x0 + 0x1 + 1x0 + 1x1 + 1x0 + 0x1 + 1x0 + 1x1 = 3"


def test_seed_full_conv_matches_lecture():
    trace = PRESETS["seed-full-conv"].trace()
    expected = [[1, 5, 7, 2], [0, -2, -4, 1], [2, 6, 4, -3], [0, -2, -2, 1]]
    assert trace.output.tolist() == [expected]
    assert trace.flipped
    assert trace.mode == "convolution"
    assert trace.padding == ((1, 1), (1, 1))
    assert trace.kernel.tolist() == [[[[1, 2], [0, -1]]]]
    assert trace.used_kernel.tolist() == [[[[-1, 0], [2, 1]]]]


def test_seed_full_conv_first_step_pads_and_flips():
    step = PRESETS["seed-full-conv"].trace()[0]
    assert [cell.position for cell in step.cells] == [
        (0, -1, -1),
        (0, -1, 0),
        (0, 0, -1),
        (0, 0, 0),
    ]
    assert [cell.is_padding for cell in step.cells] == [True, True, True, False]
    assert [cell.value for cell in step.cells] == [0, 0, 0, 1]
    # B[i-s, j-t] read forwards is the kernel flipped on both axes.
    assert [cell.weight for cell in step.cells] == [-1, 0, 2, 1]
    assert step.value == 1
    assert step.equation() == "0x(-1) + 0x0 + 0x2 + 1x1 = 1"


def test_seed_maxpool_matches_lecture_and_records_argmax():
    trace = PRESETS["seed-maxpool"].trace()
    assert trace.operation == "maxpool"
    assert trace.output.tolist() == [[[6, 8], [3, 4]]]
    winners = [step.cells[step.argmax].position for step in trace]
    assert winners == [(0, 1, 1), (0, 1, 3), (0, 2, 0), (0, 3, 3)]
    assert trace[0].equation() == "max(1, 1, 5, 6) = 6"
    assert [cell.running_sum for cell in trace[0].cells] == [1, 1, 5, 6]


def test_maxpool_argmax_is_first_of_equal_values():
    trace = pool2d_trace([[7, 2], [7, 7]], size=2)
    assert trace[0].argmax == 0


def test_avgpool_preset_and_equation():
    trace = PRESETS["avgpool"].trace()
    # the lesson's table: the lecture's grid gives 3.25 top left; a lone 8 is diluted to 2
    assert trace.output.tolist() == [[[3.25, 5.25], [2, 2]]]
    assert trace[0].equation() == "(1 + 1 + 5 + 6) / 4 = 3.25"
    assert trace[3].equation() == "(0 + 0 + 0 + 8) / 4 = 2"
    assert trace[3].divisor == 4


def test_l2pool_preset_and_equation():
    trace = PRESETS["l2pool"].trace()
    assert trace.operation == "lppool"
    assert trace.output.tolist() == [[[5, 3], [5, 13]]]
    assert trace[0].equation() == "(3^2 + 4^2 + 0^2 + 0^2)^(1/2) = 5"


def test_avgpool_ceil_mode_partial_window_divides_by_cells_inside():
    trace = pool2d_trace([[1, 2, 3], [4, 5, 6], [7, 8, 9]], kind="avg", size=2, ceil_mode=True)
    assert trace.output.tolist() == [[[3, 4.5], [7.5, 9]]]
    assert [step.divisor for step in trace] == [4, 2, 2, 1]
    assert trace[1].equation() == "(3 + 6) / 2 = 4.5"


def test_avgpool_count_include_pad_changes_divisor():
    grid = [[4, 8], [12, 16]]
    with_pad = pool2d_trace(grid, kind="avg", size=2, padding=1, count_include_pad=True)
    without = pool2d_trace(grid, kind="avg", size=2, padding=1, count_include_pad=False)
    assert with_pad.output.tolist() == [[[1, 2], [3, 4]]]
    assert without.output.tolist() == [[[4, 8], [12, 16]]]
    assert (with_pad[0].divisor, without[0].divisor) == (4, 1)


def test_stepper_imports_numpy_but_not_torch():
    code = (
        "import sys, cnn_tui.core.convolution.stepper; "
        "print('torch' in sys.modules, 'rich' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]


def test_l2_is_an_alias_of_lp_with_norm_two():
    grid = [[3, 4], [0, 0]]
    assert pool2d_trace(grid, kind="l2", norm_type=5).output.tolist() == [[[5]]]


def test_sensor_smoothing_is_a_causal_weighted_average():
    preset = PRESETS["sensor-smoothing"]
    trace = preset.trace()
    readings = preset.input
    assert 14 <= readings.size <= 18
    assert math.isclose(float(trace.used_kernel.sum()), 1.0)
    assert trace.used_kernel.tolist() == [[[0.1, 0.2, 0.3, 0.4]]]
    expected = [float(readings[i - 3 : i + 1] @ [0.1, 0.2, 0.3, 0.4]) for i in range(3, 16)]
    np.testing.assert_allclose(trace.output[0], expected)
    assert "sum to 1" in preset.description


def test_rgb_two_filters_shape_and_bias():
    trace = PRESETS["rgb-two-filters"].trace()
    assert trace.output.shape == (2, 3, 3)
    assert trace.input.shape == (3, 5, 5)
    assert trace.kernel.shape == (2, 3, 3, 3)
    first = trace[0]
    assert len(first.cells) == 27
    assert first.bias == 1
    assert math.isclose(sum(first.channel_sums) + 1, first.value)
    assert first.equation().endswith(f" + bias 1 = {format_number(first.value)}")
    assert trace[9].output_position == (1, 0, 0)
    assert trace[9].bias == 0
    assert "+ bias" not in trace[9].equation()


def test_uneven_stride_leaves_last_row_and_column_uncovered():
    preset = PRESETS["uneven-stride"]
    trace = preset.trace()
    assert trace.output.shape == (1, 2, 2)
    assert [report.uncovered for report in trace.size_reports] == [(6,), (6,)]
    assert "never" in trace.size_reports[0].explanation
    assert "6" in preset.description


def test_every_preset_traces():
    for name, preset in PRESETS.items():
        assert preset.name == name
        trace = preset.trace()
        assert len(trace) == trace.output.size
        assert preset.title and preset.description


# --- sequence behaviour, cursor, partial output, dict ------------------------------------------


def test_trace_indexes_forwards_and_backwards():
    trace = PRESETS["seed-conv"].trace()
    assert trace[-1] is trace[8]
    assert trace[-1].output_position == (0, 2, 2)
    assert [step.index for step in trace] == list(range(9))
    assert [step.index for step in reversed(trace)] == list(range(8, -1, -1))
    assert trace[2:4] == (trace[2], trace[3])
    with pytest.raises(IndexError):
        trace[9]


def test_steps_run_filter_then_row_then_column():
    trace = PRESETS["rgb-two-filters"].trace()
    positions = [step.output_position for step in trace]
    assert positions == sorted(positions)
    assert positions[:4] == [(0, 0, 0), (0, 0, 1), (0, 0, 2), (0, 1, 0)]


def test_cursor_moves_and_clamps():
    cursor = Cursor(PRESETS["seed-conv"].trace())
    assert cursor.index == 0 and cursor.at_start and not cursor.at_end
    assert not cursor.back()
    assert cursor.index == 0
    assert cursor.forward()
    assert cursor.step.output_position == (0, 0, 1)
    cursor.to_end()
    assert cursor.index == 8 and cursor.at_end
    assert not cursor.forward()
    assert cursor.index == 8
    cursor.back(3)
    assert cursor.index == 5
    cursor.forward(100)
    assert cursor.index == 8
    cursor.to_start()
    assert cursor.index == 0
    cursor.index = -4
    assert cursor.index == 0


def test_partial_output_has_nan_where_not_computed():
    trace = PRESETS["seed-conv"].trace()
    partial = trace.partial_output(3)
    assert partial.shape == (1, 3, 3)
    assert partial[0, 0].tolist() == [4, 3, 4]
    assert partial[0, 1, 0] == 2
    assert np.isnan(partial[0, 1, 1:]).all()
    assert np.isnan(partial[0, 2]).all()
    assert np.isnan(trace.partial_output(-1)).all()
    assert np.array_equal(trace.partial_output(8), trace.output)
    assert not np.isnan(trace.output).any()  # the trace's own output is untouched


def test_to_dict_is_json_serialisable():
    for name in ("seed-conv", "seed-full-conv", "seed-maxpool", "rgb-two-filters"):
        data = PRESETS[name].trace().to_dict()
        text = json.dumps(data, allow_nan=False)
        assert json.loads(text) == data
    data = PRESETS["seed-conv"].trace().to_dict()
    assert data["operation"] == "conv2d"
    assert data["output"] == [[[4, 3, 4], [2, 4, 3], [2, 3, 4]]]
    first = data["steps"][0]
    assert first["position"] == [0, 0, 0]
    assert first["window"][:2] == [[0, 0, 0], [0, 0, 1]]
    assert first["products"] == [1, 0, 1, 0, 1, 0, 0, 0, 1]
    assert first["sum"] == 4 and first["value"] == 4
    assert first["padding"] == [False] * 9


def test_maxpool_padding_cells_are_minus_infinity_and_null_in_json():
    trace = pool2d_trace([[1, 2], [3, 4]], size=2, stride=2, padding=1)
    first = trace[0]
    assert first.cells[0].value == -math.inf and first.cells[0].is_padding
    assert first.value == 1
    assert first.equation() == "max(-inf, -inf, -inf, 1) = 1"
    assert first.to_dict()["values"][0] is None
    assert trace.output.tolist() == [[[1, 2], [3, 4]]]


def test_cell_to_dict():
    cell = PRESETS["seed-full-conv"].trace()[0].cells[0]
    assert cell.to_dict() == {
        "position": [0, -1, -1],
        "is_padding": True,
        "value": 0.0,
        "weight": -1.0,
        "product": -0.0,
        "running_sum": -0.0,
    }


# --- parsing and formatting ----------------------------------------------------------------------


def test_parse_grid_rows_and_channels():
    grid = parse_grid("1 1 1 0 0; 0 1 1 1 0")
    assert grid.shape == (2, 5)
    assert grid.dtype == np.float64
    assert parse_grid("1,2\n3, 4\n").tolist() == [[1, 2], [3, 4]]
    assert parse_grid("1 2; 3 4 | 5 6; 7 8").tolist() == [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]
    assert parse_grid("-1.5 0.25").tolist() == [[-1.5, 0.25]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "input is empty"),
        (" ;\n ", "input is empty"),
        ("1 2 3 4 5; 1 2 3 4", "input row 2 has 4 numbers, row 1 has 5"),
        ("1 2 3; 4 5 x", "input row 2, item 3: 'x' is not a number"),
        ("1 inf", "input row 1, item 2: 'inf' is not a finite number"),
        ("1 2 | 3", "input channel 2 is 1x1 but channel 1 is 1x2"),
        ("1 2 | 3 y", "input channel 2, row 1, item 2: 'y' is not a number"),
        ("1 |", "input channel 2 is empty"),
    ],
)
def test_parse_grid_errors_name_the_culprit(text, message):
    with pytest.raises(StepperError) as caught:
        parse_grid(text)
    assert str(caught.value) == message


def test_parse_grid_error_uses_field_name():
    with pytest.raises(StepperError, match=r"^kernel is empty$"):
        parse_grid("", name="kernel")


@pytest.mark.parametrize(
    ("value", "text"),
    [(4.0, "4"), (-0.0, "0"), (0.25, "0.25"), (-1.5, "-1.5"), (1 / 3, "0.333"), (0.1 + 0.2, "0.3")],
)
def test_format_number(value, text):
    assert format_number(value) == text


def test_format_number_edge_cases():
    assert format_number(-math.inf) == "-inf"
    assert format_number(0.0001) == "0.0001"
    assert format_number(-12) == "-12"


# --- errors --------------------------------------------------------------------------------------


def _message(call, *args, **kwargs) -> str:
    with pytest.raises(StepperError) as caught:
        call(*args, **kwargs)
    return str(caught.value)


def test_kernel_larger_than_padded_input():
    assert (
        _message(conv2d_trace, np.ones((3, 3)), np.ones((5, 5)))
        == "kernel is 5x5 but the padded input is only 3x3"
    )
    assert (
        _message(conv2d_trace, np.ones((3, 3)), np.ones((6, 6)), padding=1)
        == "kernel is 6x6 but the padded input is only 5x5"
    )
    assert (
        _message(conv2d_trace, np.ones((4, 4)), np.ones((3, 3)), dilation=2)
        == "dilated kernel spans 5x5 but the padded input is only 4x4"
    )
    assert (
        _message(conv1d_trace, [1, 2, 3], [1, 1, 1, 1, 1])
        == "kernel covers 5 samples but the padded signal has only 3"
    )
    assert (
        _message(conv1d_trace, [1, 2, 3, 4], [1, 1, 1], dilation=2, padding=[0])
        == "dilated kernel covers 5 samples but the padded signal has only 4"
    )
    assert (
        _message(pool2d_trace, np.ones((2, 2)), size=3, padding=0)
        == "window is 3x3 but the padded input is only 2x2"
    )


def test_bad_inputs_raise_one_clear_line():
    ones = np.ones((3, 3))
    assert _message(conv2d_trace, [], ones) == "input is empty"
    assert _message(conv2d_trace, ones, []) == "kernel is empty"
    assert _message(conv2d_trace, [[1, 2], [3]], ones).startswith("input must be a grid of numbers")
    assert _message(conv2d_trace, [[1, math.nan]], [[1]]) == (
        "input has a non-finite number at (0, 1)"
    )
    assert _message(conv2d_trace, ones, ones, stride=0) == "stride must be at least 1"
    assert _message(conv2d_trace, ones, ones, dilation=0) == "dilation must be at least 1"
    assert _message(conv2d_trace, ones, ones, padding=-1) == "padding must be at least 0"
    assert (
        _message(conv2d_trace, ones, ones, stride=1.5) == "stride must be a whole number, got 1.5"
    )
    assert _message(conv2d_trace, ones, ones, stride=(1, 2, 3)) == (
        "stride must be one whole number or a pair (h, w), got (1, 2, 3)"
    )
    assert _message(conv2d_trace, ones, ones, padding="huge").startswith("padding must be")
    assert _message(conv2d_trace, ones, [[1]], stride=2, padding="same") == (
        "padding 'same' needs stride 1 (as in PyTorch)"
    )
    assert _message(conv2d_trace, ones, ones, mode="flip") == (
        "mode must be 'correlation' or 'convolution', got 'flip'"
    )
    assert _message(conv2d_trace, np.ones((3, 4, 4)), ones) == (
        "kernel has 1 input channel but the input has 3"
    )
    assert _message(conv2d_trace, ones, np.ones((2, 1, 1, 1)), bias=[1, 2, 3]) == (
        "bias has 3 values but there are 2 filters"
    )
    assert _message(conv2d_trace, np.ones((3,)), ones).startswith("input must be 2-D (H, W)")


def test_pool_errors():
    grid = np.ones((4, 4))
    assert _message(pool2d_trace, grid, kind="lp", padding=1) == (
        "lp pooling takes no padding (torch's lp_pool2d has none)"
    )
    assert _message(pool2d_trace, grid, kind="median").startswith("pooling kind must be one of")
    assert _message(pool2d_trace, grid, size=2, padding=2) == (
        "padding 2 is more than half the window size 2 (PyTorch allows 1)"
    )
    assert _message(pool2d_trace, grid, kind="lp", norm_type=0) == (
        "norm_type must be a positive number, got 0"
    )
    assert _message(pool2d_trace, grid, stride=0) == "stride must be at least 1"


# --- agreement with torch ------------------------------------------------------------------------

_SMALL = st.sampled_from([-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0])
_NON_NEGATIVE = st.sampled_from([0.0, 1.0, 2.0, 3.0])


def _grid(draw, shape, elements=_SMALL) -> np.ndarray:
    return draw(hnp.arrays(np.float64, shape, elements=elements))


def _check_steps_agree_with_output(trace) -> None:
    assert len(trace) == trace.output.size
    for step in trace:
        assert trace.output[step.output_position] == step.value
        if trace.kernel is not None:
            assert math.isclose(sum(step.products), step.total, abs_tol=1e-9)
            assert math.isclose(sum(step.channel_sums) + step.bias, step.value, abs_tol=1e-9)


@st.composite
def conv2d_cases(draw):
    channels, filters = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(
        st.one_of(
            st.integers(0, 2),
            st.tuples(st.integers(0, 2), st.integers(0, 2)),
            st.sampled_from(["same", "valid"]),
        )
    )
    stride = (1, 1) if padding == "same" else (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    spans = [d * (k - 1) + 1 for d, k in zip(dilation, kernel, strict=True)]
    size = [draw(st.integers(span, span + 4)) for span in spans]
    return {
        "input": _grid(draw, (channels, *size)),
        "kernel": _grid(draw, (filters, channels, *kernel)),
        "bias": _grid(draw, (filters,)),
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
    }


@needs_torch
@PROPERTY
@given(conv2d_cases())
def test_conv2d_matches_torch(case):
    trace = conv2d_trace(**case)
    expected = F.conv2d(
        _tensor(case["input"])[None],
        _tensor(case["kernel"]),
        _tensor(case["bias"]),
        stride=case["stride"],
        padding=case["padding"],
        dilation=case["dilation"],
    )[0]
    np.testing.assert_allclose(trace.output, expected.numpy(), atol=1e-9)
    _check_steps_agree_with_output(trace)


@needs_torch
@PROPERTY
@given(conv2d_cases())
def test_true_convolution_is_torch_conv_with_flipped_kernel(case):
    trace = conv2d_trace(**case, mode="convolution")
    flipped = _tensor(case["kernel"]).flip(-1, -2)
    expected = F.conv2d(
        _tensor(case["input"])[None],
        flipped,
        _tensor(case["bias"]),
        stride=case["stride"],
        padding=case["padding"],
        dilation=case["dilation"],
    )[0]
    np.testing.assert_allclose(trace.output, expected.numpy(), atol=1e-9)
    assert np.array_equal(trace.used_kernel, flipped.numpy())
    assert trace.flipped


@needs_torch
@PROPERTY
@given(st.data())
def test_single_channel_shapes_are_promoted(data):
    image = _grid(data.draw, (4, 5))
    kernel = _grid(data.draw, (2, 3))
    trace = conv2d_trace(image, kernel, bias=2.0)
    expected = F.conv2d(_tensor(image)[None, None], _tensor(kernel)[None, None]) + 2
    np.testing.assert_allclose(trace.output, expected[0].numpy(), atol=1e-9)
    assert trace.input.shape == (1, 4, 5)
    assert trace.kernel.shape == (1, 1, 2, 3)


@needs_torch
@PROPERTY
@given(st.data())
def test_full_padding_matches_torch(data):
    image = _grid(data.draw, (3, 4))
    kernel = _grid(data.draw, (2, 3))
    trace = conv2d_trace(image, kernel, padding="full", mode="convolution")
    expected = F.conv2d(
        _tensor(image)[None, None], _tensor(kernel).flip(0, 1)[None, None], padding=(1, 2)
    )
    np.testing.assert_allclose(trace.output, expected[0].numpy(), atol=1e-9)
    assert trace.output.shape == (1, 4, 6)


@st.composite
def conv1d_cases(draw):
    channels, filters = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kernel, dilation = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    padding = draw(st.one_of(st.integers(0, 3), st.sampled_from(["same", "valid"])))
    stride = 1 if padding == "same" else draw(st.integers(1, 3))
    span = dilation * (kernel - 1) + 1
    return {
        "signal": _grid(draw, (channels, draw(st.integers(span, span + 6)))),
        "kernel": _grid(draw, (filters, channels, kernel)),
        "bias": _grid(draw, (filters,)),
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
    }


@needs_torch
@PROPERTY
@given(conv1d_cases(), st.sampled_from(["correlation", "convolution"]))
def test_conv1d_matches_torch(case, mode):
    trace = conv1d_trace(**case, mode=mode)
    weight = _tensor(case["kernel"])
    if mode == "convolution":
        weight = weight.flip(-1)
    expected = F.conv1d(
        _tensor(case["signal"])[None],
        weight,
        _tensor(case["bias"]),
        stride=case["stride"],
        padding=case["padding"],
        dilation=case["dilation"],
    )[0]
    np.testing.assert_allclose(trace.output, expected.numpy(), atol=1e-9)
    _check_steps_agree_with_output(trace)
    assert all(len(step.output_position) == 2 for step in trace)
    assert all(len(cell.position) == 2 for cell in trace[0].cells)


@st.composite
def pool_cases(draw, elements=_SMALL, padded=True, ragged=False):
    """Pooling settings; ragged=True makes ceil_mode windows that hang past the padded edge."""
    least = 2 if ragged else 1
    size = (draw(st.integers(least, 3)), draw(st.integers(least, 3)))
    stride = (draw(st.integers(least, 3)), draw(st.integers(least, 3)))
    padding = (
        (draw(st.integers(0, size[0] // 2)), draw(st.integers(0, size[1] // 2)))
        if padded
        else (0, 0)
    )
    shape = [draw(st.integers(k, k + 5)) for k in size]
    return {
        "input": _grid(draw, (draw(st.integers(1, 2)), *shape), elements),
        "size": size,
        "stride": stride,
        "padding": padding,
        "ceil_mode": True if ragged else draw(st.booleans()),
    }


_POOL_CASES = st.one_of(pool_cases(), pool_cases(_NON_NEGATIVE, ragged=True))


@needs_torch
@PROPERTY
@given(_POOL_CASES)
def test_max_pool_matches_torch(case):
    trace = pool2d_trace(**case, kind="max")
    expected = F.max_pool2d(
        _tensor(case["input"]),
        case["size"],
        case["stride"],
        case["padding"],
        ceil_mode=case["ceil_mode"],
    )
    np.testing.assert_array_equal(trace.output, expected.numpy())
    _check_steps_agree_with_output(trace)
    for step in trace:
        values = [cell.value for cell in step.cells]
        assert step.argmax == values.index(max(values))
        assert not step.cells[step.argmax].is_padding


@needs_torch
@PROPERTY
@given(_POOL_CASES, st.booleans())
def test_avg_pool_matches_torch(case, count_include_pad):
    trace = pool2d_trace(**case, kind="avg", count_include_pad=count_include_pad)
    expected = F.avg_pool2d(
        _tensor(case["input"]),
        case["size"],
        case["stride"],
        case["padding"],
        ceil_mode=case["ceil_mode"],
        count_include_pad=count_include_pad,
    )
    np.testing.assert_allclose(trace.output, expected.numpy(), atol=1e-12)
    _check_steps_agree_with_output(trace)


@needs_torch
@PROPERTY
@given(pool_cases(padded=False).map(lambda case: {**case, "ceil_mode": False}))
def test_l2_pool_matches_torch(case):
    trace = pool2d_trace(**case, kind="lp", norm_type=2)
    expected = F.lp_pool2d(_tensor(case["input"]), 2, case["size"], case["stride"])
    np.testing.assert_allclose(trace.output, expected.numpy(), atol=1e-9)
    _check_steps_agree_with_output(trace)


@needs_torch
@PROPERTY
@given(pool_cases(_NON_NEGATIVE, padded=False).map(lambda case: {**case, "ceil_mode": False}))
def test_l3_pool_matches_torch_on_non_negative_input(case):
    trace = pool2d_trace(**case, kind="lp", norm_type=3)
    expected = F.lp_pool2d(_tensor(case["input"]), 3, case["size"], case["stride"])
    np.testing.assert_allclose(trace.output, expected.numpy(), atol=1e-9)
