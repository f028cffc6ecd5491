"""`cnn-tui step ... --backward`: the gradients as JSON and text, and bad input as one line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from cli_helpers import run_json

from cnn_tui.cli import main


def test_backward_json_lecture_example(capsys):
    data = run_json(capsys, "step", "conv", "--preset", "seed-conv", "--backward")
    assert data["grad_weight"] == [[[[6, 7, 6], [4, 7, 7], [4, 6, 6]]]]
    assert data["grad_bias"] == [9]
    assert data["grad_input"][0][2] == [2, 3, 5, 3, 2]
    assert data["upstream"] == {"values": [[[1, 1, 1]] * 3], "source": "ones", "note": "all ones"}
    assert data["grad_weight_note"] == "the gradient with respect to the kernel as typed"
    first = data["weight_steps"][0]
    assert first["equation"] == "1x1 + 1x1 + 1x1 + 0x1 + 1x1 + 1x1 + 0x1 + 0x1 + 1x1 = 6"
    assert first["terms"][0]["factor_position"] == [0, 0, 0]
    assert len(data["input_steps"]) == 25 and len(data["scatter_steps"]) == 9
    assert data["full_convolution"]["grad_input"] == data["grad_input"]
    assert "sgd" not in data


def test_backward_with_grad_and_lr(capsys):
    data = run_json(
        capsys, "step", "conv", "--preset", "seed-conv", "--backward",
        "--grad", "1 0 0; 0 0 0; 0 0 2", "--lr", "0.5",
    )  # fmt: skip
    assert data["upstream"]["source"] == "given"
    # window (0,0) reads the top-left 3x3, window (2,2) the bottom-right: 1 x x00 + 2 x x22
    assert data["grad_weight"][0][0][0] == [1 + 2 * 1, 1 + 2 * 1, 1 + 2 * 1]
    assert data["grad_bias"] == [3]
    assert data["sgd"]["lr"] == 0.5
    assert data["sgd"]["new_bias"] == [-1.5]
    assert data["sgd"]["went_down"] is True


def test_backward_two_filters_grad_per_filter(capsys):
    data = run_json(
        capsys, "step", "conv", "--preset", "backprop-two-filters",
        "--grad", "1 0 0; 0 0 0; 0 0 0 | 0 0 0; 0 0 0; 0 0 1",
    )  # fmt: skip
    assert data["grad_bias"] == [1, 1]
    assert data["grad_weight"][0][1] == [[0, 1], [1, 2]]  # channel 1's top-left 2x2
    assert data["grad_weight"][1][0] == [[0, 1], [1, 2]]  # channel 0's bottom-right 2x2
    assert len(data["grad_input"]) == 2


def test_backward_conv1d_from_loss(capsys):
    data = run_json(
        capsys, "step", "conv1d", "--input", "1 2 3", "--kernel", "1 -1",
        "--backward", "--from-loss",
    )  # fmt: skip
    # y = (-1, -1), dL/dY = 2y = (-2, -2)
    assert data["upstream"]["values"] == [[-2, -2]]
    assert data["grad_input"] == [[-2, 0, 2]]
    assert data["grad_weight"] == [[[-6, -10]]]
    assert data["grad_bias"] == [-4]


def test_backward_pool_json(capsys):
    data = run_json(capsys, "step", "pool", "--preset", "backprop-maxpool-tie")
    assert data["grad_input"] == [[[0, 1, 2, 0], [0, 0, 0, 0], [3, 0, 4, 0], [0, 0, 0, 0]]]
    assert data["scatter_steps"][0]["note"].startswith("tie: 2 cells hold the maximum 3")
    assert data["routing"].startswith("max: each window's dL/dY goes to its largest cell")


def test_backward_avg_pool_spreads_evenly(capsys):
    data = run_json(
        capsys, "step", "pool", "--input", "1 2; 3 4", "--kind", "avg", "--backward",
        "--grad", "4",
    )  # fmt: skip
    assert data["grad_input"] == [[[1, 1], [1, 1]]]


def test_backward_text_shows_grids_steps_and_sgd(capsys):
    assert main(["step", "conv", "--preset", "backprop-stride2", "--trace"]) == 0
    out = capsys.readouterr().out
    assert "dL/dW" in out and "dL/db" in out and "dL/dX" in out
    assert "dW[0,0,0,1]  2x1 + 1x2 + 0x(-1) + 0x1 = 4" in out
    assert "no window reads this cell, so its gradient is 0" in out
    assert "dL/dX as a full convolution" in out
    assert "one SGD step, lr 0.05:" in out
    assert "the loss went down by 6.25, from 1 to -5.25" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--backward", "--grad", "1 2; 3 4"], "grad is 2x2 but the output is 3x3 (1 filter)"),
        (["--backward", "--grad", "1 2 3"], "grad is 1x3 but the output is 3x3 (1 filter)"),
        (["--backward", "--grad", "1 2; 3 x"], "grad row 2, item 2: 'x' is not a number"),
        (["--grad", "1"], "--grad is for the backward pass: add --backward"),
        (["--lr", "0.1"], "--lr is for the backward pass: add --backward"),
        (["--backward", "--grad", "1", "--from-loss"], "give --grad or --from-loss, not both"),
        (["--backward", "--lr", "0"], "--lr must be a positive number, got 0"),
    ],
)
def test_backward_bad_input_is_one_line_and_exit_2(capsys, args, message):
    assert main(["step", "conv", "--preset", "seed-conv", *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_backward_lr_on_pooling_is_refused(capsys):
    assert main(["step", "pool", "--preset", "seed-maxpool", "--backward", "--lr", "1"]) == 2
    assert "pooling has no weights" in capsys.readouterr().err


def test_step_backward_never_imports_torch():
    code = (
        "import contextlib, io, json, sys\n"
        "from cnn_tui import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    cli.main(['step', 'conv', '--preset', 'backprop-loss', '--trace'])\n"
        "    cli.main(['step', 'pool', '--preset', 'backprop-maxpool-tie', '--json'])\n"
        "print(json.dumps('torch' in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) is False
