"""The `cnn-tui` command line: exact figures in JSON, readable tables, one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pytest
from cli_helpers import run_json

from cnn_tui.cli import main

MNIST_SPEC = "conv(20,5) relu maxpool(2) conv(50,5) relu maxpool(2) flatten fc(500) relu fc(10)"


def test_summary_vgg16_json_matches_the_lecture(capsys):
    data = run_json(capsys, "summary", "vgg16")
    totals = data["totals"]
    assert totals["params"] == 138_357_544
    assert totals["weights"] == 138_344_128
    assert totals["biases"] == 13_416
    assert totals["activations"] == 15_237_608
    assert totals["forward_bytes"] == 15_237_608 * 4
    first = data["layers"][0]
    assert first["name"] == "conv(64,3,p=1)"
    assert first["output_shape"] == [64, 224, 224]
    assert first["activations"] == 3_211_264
    assert first["weights"] == 1_728
    assert first["biases"] == 64
    assert first["params"] == 1_792
    assert first["macs"] == 224 * 224 * 64 * 27
    for key in ("params", "weights", "biases", "activations", "macs", "training_bytes"):
        assert isinstance(totals[key], int)


@pytest.mark.parametrize(
    ("model", "params"),
    [
        ("resnet50", 25_557_032),
        ("googlenet", 6_624_904),
        ("densenet121", 7_978_856),
        ("alexnet", 61_100_840),
        ("seed-mnist", 431_080),
    ],
)
def test_summary_totals_equal_torchvision_counts(capsys, model, params):
    assert run_json(capsys, "summary", model)["totals"]["params"] == params


def test_summary_table_shows_totals_with_separators(capsys):
    assert main(["summary", "vgg16"]) == 0
    out = capsys.readouterr().out
    assert "138,357,544 (138.4 M)" in out
    assert "15,237,608 (15.2 M)" in out
    assert "102,760,448" in out
    assert "most params" in out and "fc(4096)" in out


def test_summary_of_a_spec_with_batch_dtype_and_optimizer(capsys):
    data = run_json(
        capsys,
        "summary",
        MNIST_SPEC,
        "--input",
        "1x28x28",
        "--batch",
        "32",
        "--dtype",
        "fp16",
        "--optimizer",
        "adam",
    )
    totals = data["totals"]
    assert totals["params"] == 431_080
    assert totals["optimizer_bytes"] == 431_080 * 2 * 2
    assert totals["forward_bytes"] == 32 * totals["activations"] * 2
    assert data["output_shape"] == [10]


def test_summary_shape_error_names_the_layer_and_exits_2(capsys):
    code = main(["summary", "conv(20,5) relu maxpool(2) conv(50,5) relu maxpool(2) conv(50,5)"])
    assert code == 2
    err = capsys.readouterr().err
    assert "layer 7 conv(50,5): input is 4x4, smaller than the 5x5 kernel" in err


def test_summary_parse_error_points_at_the_column(capsys):
    assert main(["summary", "conv(20,5) relu foo(3)"]) == 2
    err = capsys.readouterr().err
    assert "column 17: unknown layer 'foo'" in err
    assert "                ^" in err


def test_step_json_lecture_example(capsys):
    data = run_json(capsys, "step", "conv", "--preset", "seed-conv")
    assert data["output"] == [[[4, 3, 4], [2, 4, 3], [2, 3, 4]]]
    first = data["steps"][0]
    assert first["position"] == [0, 0, 0]
    assert first["products"] == [1, 0, 1, 0, 1, 0, 0, 0, 1]
    assert first["sum"] == 4
    assert first["value"] == 4
    assert len(first["window"]) == 9


def test_step_full_true_convolution_from_typed_grids(capsys):
    data = run_json(
        capsys,
        "step",
        "conv",
        "--input",
        "1 3 1; 0 -1 1; 2 2 -1",
        "--kernel",
        "1 2; 0 -1",
        "--mode",
        "convolution",
        "--output",
        "full",
    )
    assert data["output"] == [[[1, 5, 7, 2], [0, -2, -4, 1], [2, 6, 4, -3], [0, -2, -2, 1]]]


def test_step_trace_prints_every_sum(capsys):
    assert main(["step", "pool", "--preset", "seed-maxpool", "--trace"]) == 0
    out = capsys.readouterr().out
    assert "max(1, 1, 5, 6) = 6" in out
    assert "max(1, 0, 3, 4) = 4" in out


def test_step_pool_from_input(capsys):
    data = run_json(
        capsys, "step", "pool", "--input", "1 1 2 4; 5 6 7 8; 3 2 1 0; 1 2 3 4", "--kind", "avg"
    )
    assert data["output"] == [[[3.25, 5.25], [2.0, 2.0]]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["step", "conv", "--input", "1 2; 3 x", "--kernel", "1"], "'x' is not a number"),
        (
            ["step", "conv", "--input", "1 2; 3 4", "--kernel", "1 1 1; 1 1 1; 1 1 1"],
            "kernel is 3x3 but the padded input is only 2x2",
        ),
        (["step", "conv", "--preset", "nope"], "unknown stepper preset 'nope'"),
        (["step", "conv", "--input", "1 2; 3 4"], "give --kernel"),
    ],
)
def test_step_bad_input_is_one_line_and_exit_2(capsys, args, message):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_calc_conv_lecture_filters(capsys):
    data = run_json(
        capsys,
        "calc",
        "conv",
        "--size",
        "32",
        "--kernel",
        "5",
        "--in-channels",
        "3",
        "--filters",
        "6",
    )
    assert data["output_size"] == 28
    assert data["output_shape"] == [6, 28, 28]
    assert data["params"] == 456
    assert data["formula"] == "(32 - 5 + 2*0) / 1 + 1 = 28"


def test_calc_conv_reports_dropped_cells(capsys):
    assert main(["calc", "conv", "--size", "7", "--kernel", "3", "--stride", "3"]) == 0
    out = capsys.readouterr().out
    assert "floor((7 - 3 + 2*0) / 3) + 1 = 2" in out
    assert "input index 6 is never used: it lies past the last window" in out


def test_calc_pool_transposed_linear(capsys):
    assert (
        run_json(capsys, "calc", "pool", "--size", "5", "--kernel", "2", "--ceil")["output_size"]
        == 3
    )
    assert (
        run_json(capsys, "calc", "transposed", "--size", "4", "--kernel", "3", "--stride", "2")[
            "output_size"
        ]
        == 9
    )
    assert (
        run_json(capsys, "calc", "linear", "--in-features", "800", "--out-features", "500")[
            "params"
        ]
        == 400_500
    )


def test_calc_receptive_field_of_a_spec(capsys):
    rows = run_json(
        capsys,
        "calc",
        "receptive-field",
        "conv(8,3) conv(8,3) maxpool(2) flatten",
        "--input",
        "1x16x16",
    )
    assert [r["size"] for r in rows] == [3, 5, 6, "global"]
    assert [r["jump"] for r in rows] == [1, 1, 2, None]


def test_calc_bad_number_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["calc", "conv", "--size", "x", "--kernel", "3"])
    assert exc.value.code == 2
    assert "expected a whole number, got 'x'" in capsys.readouterr().err


def test_presets_json_lists_the_zoo(capsys):
    rows = {row["name"]: row for row in run_json(capsys, "presets")}
    assert rows["vgg16"]["params"] == 138_357_544
    assert rows["seed-mnist"]["params"] == 431_080
    assert rows["resnet18"]["input"] == "3x224x224"


def test_export_writes_runnable_source(tmp_path, capsys):
    pytest.importorskip("torch")
    target = tmp_path / "net.py"
    assert main(["export", "seed-mnist", "--out", str(target)]) == 0
    source = target.read_text()
    assert "class Net(nn.Module)" in source
    assert "nn.Conv2d(1, 20, 5)" in source
    ns: dict = {}
    exec(compile(source, str(target), "exec"), ns)
    model = ns["Net"]()
    assert sum(p.numel() for p in model.parameters()) == 431_080


def test_export_of_a_broken_stack_names_the_layer(capsys):
    assert main(["export", "fc(10)", "--input", "1x28x28"]) == 2
    assert "layer 1 fc(10): fc needs a feature vector" in capsys.readouterr().err


def test_no_traceback_from_the_installed_command():
    result = subprocess.run(
        [sys.executable, "-m", "cnn_tui", "summary", "conv(3,"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("cnn-tui: column 8: expected ')' to close conv(")


def test_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for name in ("summary", "step", "calc", "export", "presets"):
        assert name in out
