"""The stepper's limits and overflow messages, grid typing slips, ceil mode's dropped window."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cnn_tui.core.convolution.arithmetic import (
    MAX_REPORT_SIZE,
    ArithmeticError_,
    output_size,
    pool_output_size,
    pool_size_report,
    size_report,
)
from cnn_tui.core.convolution.conv_trace import conv1d_trace, conv2d_trace
from cnn_tui.core.convolution.pool_trace import pool2d_trace
from cnn_tui.core.convolution.stepper import MAX_SIDE, MAX_TERMS, StepperError, format_number
from cnn_tui.core.convolution.trace_inputs import parse_grid

LARGEST = "the largest float (about 1.8e308)"


def _message(function, *args, **kwargs) -> str:
    with pytest.raises((StepperError, ArithmeticError_)) as caught:
        function(*args, **kwargs)
    return str(caught.value)


# --- how big a trace may be ----------------------------------------------------------------------


def test_the_limits_are_what_the_messages_say():
    assert (MAX_SIDE, MAX_TERMS) == (64, 100_000)


def test_a_huge_padding_is_refused_before_anything_is_allocated():
    ones = np.ones((2, 2))
    assert _message(conv2d_trace, ones, [[1]], padding=99999) == (
        "padding 99999 makes a 200000x200000 padded input; the stepper shows at most 64x64"
    )
    assert _message(conv2d_trace, ones, [[1]], padding=2000) == (
        "padding 2000 makes a 4002x4002 padded input; the stepper shows at most 64x64"
    )
    assert _message(conv2d_trace, ones, [[1]], padding=(0, 40)) == (
        "padding (0, 40) makes a 2x82 padded input; the stepper shows at most 64x64"
    )
    assert _message(conv1d_trace, [1, 2, 3], [1], padding=99999) == (
        "padding 99999 makes a padded signal of 200,001 samples; "
        "the stepper shows at most 64 samples"
    )
    assert _message(pool2d_trace, ones, size=200000, padding=99999) == (
        "padding 99999 makes a 200000x200000 padded input; the stepper shows at most 64x64"
    )


def test_the_largest_padding_that_fits_still_traces():
    trace = conv2d_trace(np.ones((2, 2)), [[1]], padding=31)
    assert trace.output.shape == (1, 64, 64)
    assert trace.output.sum() == 4
    assert _message(conv2d_trace, np.ones((2, 2)), [[1]], padding=32) == (
        "padding 32 makes a 66x66 padded input; the stepper shows at most 64x64"
    )


def test_an_input_too_big_to_show_is_refused():
    assert _message(conv2d_trace, np.ones((65, 3)), [[1]]) == (
        "input is 65x3; the stepper shows at most 64x64"
    )
    assert _message(conv1d_trace, np.ones(65), [1]) == (
        "signal has 65 samples; the stepper shows at most 64 samples"
    )


def test_dilation_blowups():
    ones = np.ones((2, 2))
    # a 1x1 kernel has no gaps to stretch: any dilation is the identity
    assert conv2d_trace(ones, [[1]], dilation=10**9).output.tolist() == [[[1, 1], [1, 1]]]
    assert _message(conv2d_trace, ones, [[1, 1]], dilation=10**9) == (
        "dilated kernel spans 1x1000000001 but the padded input is only 2x2"
    )
    assert _message(conv2d_trace, ones, [[1, 1]], dilation=10**9, padding="same") == (
        "padding 'same' with dilation 1,000,000,000 makes a 2x1000000002 padded input; "
        "the stepper shows at most 64x64"
    )


def test_too_many_window_cells_in_all_are_refused():
    # 4 channels, 4 filters, 12x12 padded by 20: what the app's largest settings allow
    assert _message(conv2d_trace, np.ones((4, 12, 12)), np.ones((4, 4, 3, 3)), padding=20) == (
        "10,000 output cells x 36 products each = 360,000 products; "
        "the stepper traces at most 100,000"
    )
    assert _message(pool2d_trace, np.ones((25, 64, 64)), size=1) == (
        "102,400 output cells x 1 window cells each = 102,400 window cells; "
        "the stepper traces at most 100,000"
    )
    assert len(pool2d_trace(np.ones((24, 64, 64)), size=1)) == 98_304


# --- overflow ------------------------------------------------------------------------------------


def test_l2_pooling_overflow_names_the_output_cell():
    assert _message(pool2d_trace, [[1e200, 1e200], [1e200, 1e200]], kind="l2") == (
        f"output[0, 0, 0] overflows: 1e+200^2 is beyond {LARGEST}"
    )
    assert _message(pool2d_trace, [[1, 2], [3, -1e200]], kind="lp", norm_type=2.0) == (
        f"output[0, 0, 0] overflows: |-1e+200|^2 is beyond {LARGEST}"
    )
    # each square fits, their sum does not; the second channel's window is the culprit
    channels = [np.ones((2, 4)), [[1, 1, 1e154, 1e154], [1, 1, 1, 1]]]
    assert _message(pool2d_trace, channels, kind="l2") == (
        f"output[1, 0, 1] overflows: the sum of |x|^2 is beyond {LARGEST}"
    )
    assert _message(pool2d_trace, [[1e170, 0], [0, 0]], kind="l2") == (
        f"output[0, 0, 0] overflows: 1e+170^2 is beyond {LARGEST}"
    )


def test_conv_overflow_names_the_output_cell():
    assert _message(conv2d_trace, [[1, 1], [1, 1]], [[1e308, 1e308], [1e308, 1e308]]) == (
        f"output[0, 0, 0] overflows: the sum of products is beyond {LARGEST}"
    )
    assert _message(conv2d_trace, [[1, 1e200]], [[1e200]]) == (
        f"output[0, 0, 1] overflows: 1e+200 x 1e+200 is beyond {LARGEST}"
    )
    assert _message(conv2d_trace, [[1e308]], [[1]], bias=1e308) == (
        f"output[0, 0, 0] overflows: the sum plus bias 1e+308 is beyond {LARGEST}"
    )
    assert _message(conv1d_trace, [1, 1e300], [1e10]) == (
        f"output[0, 1] overflows: 1e+300 x 10000000000 is beyond {LARGEST}"
    )


def test_conv_sums_that_stay_in_range_are_kept():
    # +1e308 and -1e308 from two channels cancel: nothing overflows on the way
    trace = conv2d_trace([[[1e308]], [[-1e308]]], [[[1]], [[1]]])
    assert trace.output.tolist() == [[[0.0]]]
    assert trace[0].channel_sums == (1e308, -1e308)


def test_average_pooling_of_huge_values_gives_their_true_mean():
    trace = pool2d_trace([[1e308, 1e308], [1e308, 1e308]], kind="avg", size=2)
    assert trace.output.tolist() == [[[1e308]]]
    assert trace[0].value == 1e308
    assert trace[0].equation() == "(1e+308 + 1e+308 + 1e+308 + 1e+308) / 4 = 1e+308"
    mixed = pool2d_trace([[1.5e308, 1.5e308], [-1e308, 0]], kind="avg", size=2)
    assert mixed.output.tolist() == [[[5e307]]]


def test_huge_numbers_print_short():
    assert format_number(1e200) == "1e+200"
    assert format_number(-1.5e16) == "-1.5e+16"
    assert format_number(1e15) == "1e+15"
    assert format_number(999999999999999.0) == "999999999999999"


# --- typed grids ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "message"),
    [
        ("1 || 2", "kernel", "kernel channel 2 is empty"),
        ("x", "kernel", "kernel row 1, item 1: 'x' is not a number"),
        ("1 2; 3", "kernel", "kernel row 2 has 1 number, row 1 has 2"),
        ("1 2; 3 4 5", "input", "input row 2 has 3 numbers, row 1 has 2"),
        ("1,,2;3,4", "input", "input row 1, item 2 is empty: remove the extra ','"),
        (",1", "input", "input row 1, item 1 is empty: remove the extra ','"),
        ("1, 2,", "input", "input row 1, item 3 is empty: remove the extra ','"),
        ("1 2;; 3 4", "input", "input row 2 is empty: remove the extra ';'"),
        ("; 1 2", "input", "input row 1 is empty: remove the extra ';'"),
        ("1 2; ; 3 4", "kernel", "kernel row 2 is empty: remove the extra ';'"),
        ("1 2 | 3 4;; 5 6", "input", "input channel 2, row 2 is empty: remove the extra ';'"),
        ("1 | 2,,3", "kernel", "kernel channel 2, row 1, item 2 is empty: remove the extra ','"),
    ],
)
def test_every_grid_message_names_the_grid(text, name, message):
    assert _message(parse_grid, text, name) == message


def test_layout_that_is_not_a_slip_still_parses():
    assert parse_grid("1 2; 3 4;").tolist() == [[1, 2], [3, 4]]
    assert parse_grid("1 2;\n3 4;\n").tolist() == [[1, 2], [3, 4]]
    assert parse_grid("1 2\n\n3 4").tolist() == [[1, 2], [3, 4]]
    assert parse_grid("1 , 2; 3,4").tolist() == [[1, 2], [3, 4]]


def test_a_non_finite_bias_is_named_plainly():
    assert _message(conv2d_trace, [[1]], [[1]], bias=math.nan) == (
        "bias must be a finite number, got nan"
    )
    assert _message(conv2d_trace, [[1]], [[1]], bias=math.inf) == (
        "bias must be a finite number, got inf"
    )


# --- pooling's padding ---------------------------------------------------------------------------


def test_pooling_has_no_padding_words():
    assert _message(pool2d_trace, [[1, 2], [3, 4]], padding="same") == (
        "pooling has no 'same' padding: give a number of cells, at most half the window size"
    )
    assert _message(pool_size_report, 5, 2, padding="full") == (
        "pooling has no 'full' padding: give a number of cells, at most half the window size"
    )


def test_pool_padding_over_half_the_window_is_refused_everywhere():
    message = "padding 2 is more than half the window size 2 (PyTorch allows 1)"
    assert _message(pool_size_report, 5, 2, padding=2) == message
    assert _message(pool_output_size, 5, 2, padding=2) == message
    assert _message(pool2d_trace, np.ones((5, 5)), size=2, padding=2) == message
    assert _message(pool_output_size, 9, 3, padding=2) == (
        "padding 2 is more than half the window size 3 (PyTorch allows 1)"
    )
    assert pool_output_size(5, 2, padding=1) == 3
    assert pool_size_report(5, 3, padding=1).output == 2


# --- ceil mode's dropped window ------------------------------------------------------------------


def test_ceil_mode_shows_the_window_it_drops():
    report = pool_size_report(5, 2, stride=2, padding=1, ceil_mode=True)
    assert report.output == 3
    assert report.dropped is True
    assert report.formula_lines == (
        "ceil((5 - 2 + 2*1) / 2) + 1 = 4",
        "the last window would start in the padding, so it is dropped: 4 - 1 = 3",
    )
    assert report.formula == "\n".join(report.formula_lines)
    kept = size_report(7, 3, stride=3, ceil_mode=True)
    assert (kept.output, kept.dropped) == (3, False)
    assert kept.formula_lines == ("ceil((7 - 3 + 2*0) / 3) + 1 = 3",)


def test_step_pool_shows_the_same_formula():
    trace = pool2d_trace(np.arange(25.0).reshape(5, 5), size=2, stride=2, padding=1, ceil_mode=True)
    assert trace.output.shape == (1, 3, 3)
    for report in trace.size_reports:
        assert report.formula_lines == (
            "ceil((5 - 2 + 2*1) / 2) + 1 = 4",
            "the last window would start in the padding, so it is dropped: 4 - 1 = 3",
        )
    assert trace.to_dict()["formulas"][0].endswith("4 - 1 = 3")


def _dropped_by_brute_force(size, kernel, stride, padding):
    room = size + 2 * padding - kernel
    out = -(-room // stride) + 1
    return out, (out - 1) * stride >= size + padding


@pytest.mark.parametrize("size", range(1, 9))
def test_dropped_matches_the_formula_for_every_small_pool(size):
    for kernel in range(1, 5):
        for stride in range(1, 5):
            for padding in range(kernel // 2 + 1):
                if size + 2 * padding < kernel:
                    continue
                report = pool_size_report(size, kernel, stride, padding, ceil_mode=True)
                whole, dropped = _dropped_by_brute_force(size, kernel, stride, padding)
                assert report.dropped == dropped
                assert report.output == whole - dropped
                assert report.formula_lines[-1].endswith(f"= {report.output}")


# --- the calculators' coverage walk --------------------------------------------------------------


def test_size_report_refuses_an_output_too_long_to_walk():
    assert _message(size_report, 5, 3, padding=100_000_000) == (
        "padding 100000000 gives an output of 200,000,003; the output must be at most 100,000 here"
    )
    assert _message(size_report, 5, 300_000, padding="full") == (
        "padding 'full' gives an output of 300,004; the output must be at most 100,000 here"
    )
    assert size_report(MAX_REPORT_SIZE, 1).output == MAX_REPORT_SIZE


def test_size_report_with_a_huge_kernel_only_walks_the_input():
    # 100,000,000 taps per window would take minutes one by one
    report = size_report(5, 100_000_000, padding=50_000_000)
    assert (report.output, report.uncovered) == (6, ())
    gaps = size_report(5, 2, dilation=10**9, padding="same")
    assert (gaps.output, gaps.uncovered) == (5, (0, 1, 2, 3, 4))


@pytest.mark.parametrize("ceil_mode", [False, True])
def test_uncovered_matches_brute_force_with_padding_and_ceil(ceil_mode):
    for size in range(1, 12):
        for kernel in range(1, 5):
            for stride in range(1, 5):
                for padding in range(4):
                    for dilation in range(1, 4):
                        span = dilation * (kernel - 1) + 1
                        if size + 2 * padding < span:
                            continue
                        out = output_size(size, kernel, stride, padding, dilation, ceil_mode)
                        touched = {
                            o * stride - padding + t * dilation
                            for o in range(out)
                            for t in range(kernel)
                        }
                        expected = tuple(i for i in range(size) if i not in touched)
                        report = size_report(size, kernel, stride, padding, dilation, ceil_mode)
                        assert report.uncovered == expected
