"""`cnn-tui step` and `cnn-tui calc`: one clear line (exit 2) for every bad value, presets that
take the options given with them, and ceil mode's working that adds up."""

from __future__ import annotations

import pytest
from cli_helpers import run_json

from cnn_tui.cli import main
from cnn_tui.core.convolution.presets import PRESETS

LARGEST = "the largest float (about 1.8e308)"


def error_of(capsys, *args: str) -> str:
    """Run the command, expect exit 2, and return the single stderr line without the prefix."""
    assert main(list(args)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("cnn-tui: ")
    return lines[0].removeprefix("cnn-tui: ")


def wide_error(capsys, monkeypatch, *args: str) -> str:
    monkeypatch.setenv("COLUMNS", "200")  # one line, however long the message
    return error_of(capsys, *args)


# --- 1: sizes the stepper will not trace ---------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["conv", "--input", "1 1; 1 1", "--kernel", "1", "--padding", "99999"],
            "padding 99999 makes a 200000x200000 padded input; the stepper shows at most 64x64",
        ),
        (
            ["conv", "--input", "1 1; 1 1", "--kernel", "1", "--padding", "2000"],
            "padding 2000 makes a 4002x4002 padded input; the stepper shows at most 64x64",
        ),
        (
            ["conv1d", "--input", "1 2 3", "--kernel", "1", "--padding", "500"],
            "padding 500 makes a padded signal of 1,003 samples; "
            "the stepper shows at most 64 samples",
        ),
        (
            ["conv", "--input", "1 1; 1 1", "--kernel", "1 1", "--dilation", "1000000000"],
            "dilated kernel spans 1x1000000001 but the padded input is only 2x2",
        ),
        (
            ["pool", "--input", "1 1; 1 1", "--size", "100000", "--padding", "50000"],
            "padding 50000 makes a 100002x100002 padded input; the stepper shows at most 64x64",
        ),
    ],
)
def test_step_refuses_sizes_it_cannot_show(capsys, monkeypatch, args, message):
    assert wide_error(capsys, monkeypatch, "step", *args) == message


def test_step_dilation_on_a_one_by_one_kernel_is_harmless(capsys):
    data = run_json(
        capsys, "step", "conv", "--input", "1 2; 3 4", "--kernel", "2", "--dilation", "1000000000"
    )
    assert data["output"] == [[[2, 4], [6, 8]]]


# --- 2 and 3: overflow ---------------------------------------------------------------------------


def test_step_l2_pool_overflow_is_one_line(capsys, monkeypatch):
    args = ("step", "pool", "--input", "1e200 1e200; 1e200 1e200", "--size", "2", "--kind", "l2")
    assert wide_error(capsys, monkeypatch, *args) == (
        f"output[0, 0, 0] overflows: 1e+200^2 is beyond {LARGEST}"
    )


def test_step_conv_overflow_is_refused_not_printed_as_inf(capsys, monkeypatch):
    args = ("step", "conv", "--input", "1 1; 1 1", "--kernel", "1e308 1e308; 1e308 1e308")
    assert wide_error(capsys, monkeypatch, *args) == (
        f"output[0, 0, 0] overflows: the sum of products is beyond {LARGEST}"
    )
    assert wide_error(capsys, monkeypatch, *args, "--json") == (
        f"output[0, 0, 0] overflows: the sum of products is beyond {LARGEST}"
    )


def test_step_avg_pool_of_huge_values_is_their_mean(capsys):
    data = run_json(
        capsys,
        "step",
        "pool",
        "--kind",
        "avg",
        "--size",
        "2",
        "--input",
        "1e308 1e308; 1e308 1e308",
    )
    assert data["output"] == [[[1e308]]]
    assert data["steps"][0]["value"] == 1e308


# --- 4: grid messages name the grid --------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--input", "1 2; 3 4", "--kernel", "1 || 2"], "kernel channel 2 is empty"),
        (["--input", "1 2; 3 4", "--kernel", "x"], "kernel row 1, item 1: 'x' is not a number"),
        (["--input", "1 2; 3", "--kernel", "1"], "input row 2 has 1 number, row 1 has 2"),
        (["--input", "1 2; 3 4", "--kernel", "1 2; 3"], "kernel row 2 has 1 number, row 1 has 2"),
        (
            ["--input", "1,,2;3,4", "--kernel", "1"],
            "input row 1, item 2 is empty: remove the extra ','",
        ),
        (
            ["--input", "1 2;; 3 4", "--kernel", "1"],
            "input row 2 is empty: remove the extra ';'",
        ),
        (
            ["--input", "1 2; 3 4", "--kernel", "1", "--bias", "nan"],
            "bias must be a finite number, got nan",
        ),
    ],
)
def test_step_grid_errors_name_the_grid(capsys, args, message):
    assert error_of(capsys, "step", "conv", *args) == message


# --- 5: presets ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "preset", "message"),
    [
        (
            "pool",
            "seed-conv",
            "preset 'seed-conv' is a conv2d example: run it with 'step conv', not 'step pool'",
        ),
        (
            "conv",
            "seed-maxpool",
            "preset 'seed-maxpool' is a pool2d example: run it with 'step pool', not 'step conv'",
        ),
        (
            "conv1d",
            "seed-conv",
            "preset 'seed-conv' is a conv2d example: run it with 'step conv', not 'step conv1d'",
        ),
        (
            "conv",
            "sensor-smoothing",
            "preset 'sensor-smoothing' is a conv1d example: "
            "run it with 'step conv1d', not 'step conv'",
        ),
    ],
)
def test_step_refuses_a_preset_of_another_operation(capsys, command, preset, message):
    assert error_of(capsys, "step", command, "--preset", preset) == message


def test_step_options_override_the_preset(capsys):
    strided = run_json(capsys, "step", "conv", "--preset", "seed-conv", "--stride", "2")
    assert strided["stride"] == [2, 2]
    assert strided["output"] == [[[4, 4], [2, 4]]]
    typed = run_json(
        capsys, "step", "conv", "--preset", "seed-conv", "--input", "1 2 3; 4 5 6; 7 8 9"
    )
    assert typed["input"] == [[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]
    assert typed["output"] == [[[1 + 3 + 5 + 7 + 9]]]
    # the lecture's full convolution, undone: no padding, no flip
    plain = run_json(
        capsys,
        "step",
        "conv",
        "--preset",
        "seed-full-conv",
        "--padding",
        "0",
        "--mode",
        "correlation",
    )
    assert plain["padding"] == [[0, 0], [0, 0]]
    assert plain["flipped"] is False
    assert plain["output"] == [[[8, 4], [-4, 2]]]
    average = run_json(capsys, "step", "pool", "--preset", "seed-maxpool", "--kind", "avg")
    assert average["operation"] == "avgpool"
    assert average["output"] == [[[3.25, 5.25], [2.0, 2.0]]]
    biased = run_json(capsys, "step", "conv", "--preset", "rgb-two-filters", "--bias", "0")
    assert [step["bias"] for step in biased["steps"]] == [0.0] * 18


def test_step_preset_alone_is_unchanged(capsys):
    data = run_json(capsys, "step", "conv", "--preset", "rgb-two-filters")
    assert data["stride"] == [2, 2]
    assert data["padding"] == [[1, 1], [1, 1]]
    assert {step["bias"] for step in data["steps"]} == {0.0, 1.0}
    assert data["output"] == PRESETS["rgb-two-filters"].trace().output.tolist()


# --- 8: options that do not belong to the operation ----------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["pool", "--input", "1 2; 3 4", "--output", "same"],
            "pooling has no 'same' output: pad with --padding N, at most half the window size",
        ),
        (
            ["pool", "--input", "1 2; 3 4", "--padding", "same"],
            "pooling has no 'same' padding: give a number of cells, at most half the window size",
        ),
        (
            ["pool", "--input", "1 2; 3 4", "--kernel", "1"],
            "--kernel is for step conv and step conv1d, not step pool",
        ),
        (
            ["pool", "--input", "1 2; 3 4", "--dilation", "2"],
            "--dilation is for step conv and step conv1d, not step pool",
        ),
        (
            ["conv", "--input", "1 2; 3 4", "--kernel", "1", "--kind", "avg"],
            "--kind is for step pool, not step conv",
        ),
        (
            ["conv1d", "--input", "1 2 3", "--kernel", "1", "--ceil"],
            "--ceil is for step pool, not step conv1d",
        ),
        (
            ["conv", "--input", "1 2; 3 4", "--kernel", "1", "--padding", "1", "--output", "same"],
            "give --padding or --output, not both",
        ),
        (
            ["conv1d", "--input", "1 2 3 | 4 5 6", "--kernel", "1"],
            "input: conv1d takes channels as rows separated by ';' (e.g. '1 2 3; 4 5 6'), not '|'",
        ),
        (
            ["pool", "--input", "1 2 3 4 5; 1 2 3 4 5", "--size", "2", "--padding", "2"],
            "padding 2 is more than half the window size 2 (PyTorch allows 1)",
        ),
    ],
)
def test_step_options_that_do_not_apply_are_refused(capsys, monkeypatch, args, message):
    assert wide_error(capsys, monkeypatch, "step", *args) == message


def test_conv1d_channels_as_rows_still_work(capsys):
    data = run_json(capsys, "step", "conv1d", "--input", "1 2 3; 4 5 6", "--kernel", "1 1; 1 0")
    assert data["output"] == [[1 + 2 + 4, 2 + 3 + 5]]


# --- 6 and 7: calc pool --------------------------------------------------------------------------


def test_calc_pool_refuses_padding_over_half_the_window(capsys):
    assert error_of(capsys, "calc", "pool", "--size", "5", "--kernel", "2", "--padding", "2") == (
        "padding 2 is more than half the window size 2 (PyTorch allows 1)"
    )
    args = ("calc", "pool", "--size", "5", "--kernel", "2", "--padding", "1")
    assert run_json(capsys, *args)["output_size"] == 3


def test_calc_pool_ceil_working_adds_up(capsys):
    args = ["calc", "pool", "--size", "5", "--kernel", "2", "--stride", "2", "--padding", "1"]
    assert main([*args, "--ceil"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == [
        "output size  ceil((5 - 2 + 2*1) / 2) + 1 = 4",
        "  the last window would start in the padding, so it is dropped: 4 - 1 = 3",
    ]
    data = run_json(capsys, *args, "--ceil")
    assert data["output_size"] == 3
    assert data["dropped"] is True
    assert data["formula"].splitlines()[-1].endswith("4 - 1 = 3")


def test_step_pool_ceil_shows_the_same_working(capsys):
    grid = "; ".join(["1 2 3 4 5"] * 5)
    args = ["step", "pool", "--input", grid, "--size", "2", "--stride", "2", "--padding", "1"]
    assert main([*args, "--ceil"]) == 0
    out = capsys.readouterr().out.splitlines()
    start = out.index("output rows  ceil((5 - 2 + 2*1) / 2) + 1 = 4")
    assert out[start : start + 4] == [
        "output rows  ceil((5 - 2 + 2*1) / 2) + 1 = 4",
        "  the last window would start in the padding, so it is dropped: 4 - 1 = 3",
        "output columns  ceil((5 - 2 + 2*1) / 2) + 1 = 4",
        "  the last window would start in the padding, so it is dropped: 4 - 1 = 3",
    ]


def test_calc_conv_with_a_huge_padding_answers_at_once(capsys, monkeypatch):
    args = ("calc", "conv", "--size", "5", "--kernel", "3", "--padding", "100000000")
    assert wide_error(capsys, monkeypatch, *args) == (
        "padding 100000000 gives an output of 200,000,003; the output must be at most 100,000 here"
    )
    big_kernel = ("calc", "conv", "--size", "5", "--kernel", "100000000", "--padding", "50000000")
    assert run_json(capsys, *big_kernel)["output_size"] == 6
