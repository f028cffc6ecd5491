"""`cnn-tui train`: the lecture's lines, JSON, races, metrics files, checkpoints, clean failures.

Runs in-process through cli.main with tiny stacks and a few hundred images, on the CPU, so each
test takes a fraction of a second once torch is loaded.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from cli_helpers import TINY

from cnn_tui.cli import main, parse_augment
from cnn_tui.core.training.idx_files import (
    MNIST_FILES,
    pattern_digits,
    read_idx,
    write_mnist_folder,
)
from cnn_tui.core.training.train_config import Augment

torch = pytest.importorskip("torch")

QUICK = [*TINY, "--epochs", "1", "--limit-train", "256"]
LOG_LINE = re.compile(r"^Train Epoch: (\d+), iteration: (\d+), Loss: (\S+)$", re.MULTILINE)
TEST_LINE = re.compile(r"^Test loss: (\d+\.\d{4}), Accuracy: (\d+\.\d{2})$", re.MULTILINE)
SUMMARY_KEYS = {
    "test_accuracy",
    "test_loss",
    "epochs",
    "images_per_second",
    "device",
    "device_name",
    "runs",
}


def train_json(capsys, *args: str) -> tuple[dict, str]:
    code = main(["train", *args, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out), captured.err


def test_prints_the_lecture_lines_and_learns_digits(capsys):
    code = main(
        ["train", *TINY, "--epochs", "3", "--lr", "0.05", "--momentum", "0.9", "--log-every", "20"]
    )
    out = capsys.readouterr().out
    assert code == 0
    logs = [(int(e), int(i), float(loss)) for e, i, loss in LOG_LINE.findall(out)]
    # 1,437 training digits in batches of 32: 45 steps per epoch, logged at 0, 20 and 40
    assert [(e, i) for e, i, _ in logs] == [(e, i) for e in range(3) for i in (0, 20, 40)]
    assert all(np.isfinite(loss) and loss > 0 for *_, loss in logs)
    # the loss is printed as Python prints a float, like the lecture's loss.item()
    assert re.search(r"Loss: \d+\.\d{6,}", out)
    final = TEST_LINE.findall(out)
    assert len(final) == 1
    assert out.rstrip().splitlines()[-2].startswith("Test loss: ")
    loss, accuracy = float(final[0][0]), float(final[0][1])
    assert accuracy >= 85.0, out
    assert 0 < loss < 0.6
    sizes = re.search(r"digits: ([\d,]+) training and (\d+) test images", out)
    assert sizes is not None, out
    assert int(sizes[1].replace(",", "")) + int(sizes[2]) == 1797  # all of scikit-learn's digits


def test_json_puts_only_the_summary_on_stdout(capsys):
    data, err = train_json(capsys, *QUICK, "--log-every", "2")
    assert set(data) >= SUMMARY_KEYS
    assert data["device"] == "cpu"
    assert data["epochs"] == 1
    assert 0.0 <= data["test_accuracy"] <= 1.0
    assert data["test_loss"] > 0
    assert data["images_per_second"] > 0
    assert [run["run"] for run in data["runs"]] == ["sgd"]
    assert data["runs"][0]["status"] == "done"
    # progress and the lecture's lines go to stderr instead
    assert "Train Epoch: 0, iteration: 2, Loss: " in err


def test_race_reports_every_optimizer(capsys):
    race = ["train", *QUICK, "--race", "sgd,momentum,adam"]
    assert main(race) == 0
    out = capsys.readouterr().out
    board = out[out.index("race on digits") :]
    for name in ("sgd", "momentum", "adam"):
        assert re.search(rf"^\s*\d\s+{name}\s+lr=\d", board, re.MULTILINE), board
    assert "[adam] Train Epoch: 0, iteration: 0, Loss: " in out

    data, _ = train_json(capsys, *QUICK, "--race", "sgd:0.1,adam:0.001")
    runs = {run["run"]: run for run in data["runs"]}
    assert set(runs) == {"sgd", "adam"}
    assert all(run["status"] == "done" and run["epochs"] == 1 for run in runs.values())
    assert all(0 <= run["test_accuracy"] <= 1 for run in runs.values())


def test_metrics_out_writes_one_json_object_per_point(tmp_path, capsys):
    target = tmp_path / "runs" / "run.jsonl"
    data, _ = train_json(capsys, *QUICK, "--metrics-out", str(target), "--log-every", "4")
    lines = target.read_text().splitlines()
    points = [json.loads(line) for line in lines]
    kinds = [p["kind"] for p in points]
    assert kinds[0] == "start" and kinds[-1] == "done"
    assert {"train", "log", "test", "epoch"} <= set(kinds)
    assert [p["iteration"] for p in points if p["kind"] == "log"] == [0, 4]
    start = points[0]["extra"]
    assert start["train_size"] == 256
    assert start["test_size"] in (359, 360)  # a fifth of scikit-learn's 1,797 digits
    test = [p for p in points if p["kind"] == "test"][-1]
    assert test["accuracy"] == pytest.approx(data["test_accuracy"])
    assert not list(tmp_path.glob("runs/.*"))  # no temporary file left behind


def test_save_writes_a_checkpoint_torch_loads_safely(tmp_path, capsys):
    from cnn_tui.core.training.checkpoints import load_checkpoint

    target = tmp_path / "tiny.pt"
    train_json(capsys, *QUICK, "--save", str(target))
    raw = torch.load(target, weights_only=True)
    assert set(raw["runs"]) == {"sgd"}
    state = raw["runs"]["sgd"]["state_dict"]
    shapes = sorted(tuple(t.shape) for t in state.values())
    assert shapes == sorted([(4, 1, 3, 3), (4,), (10, 36), (10,)])
    loaded = load_checkpoint(target)
    assert loaded["config"]["model"] == "conv(4,3) relu maxpool(2) flatten fc(10)"


def test_mnist_from_idx_files(tmp_path, capsys):
    write_mnist_folder(tmp_path, pattern_digits(600, seed=1), pattern_digits(200, seed=2))
    assert read_idx(tmp_path / "MNIST" / "raw" / MNIST_FILES["train", "labels"]).shape == (600,)
    data, err = train_json(
        capsys,
        "--model",
        "conv(4,5) relu maxpool(4) flatten fc(10)",
        "--dataset",
        "mnist",
        "--data-dir",
        str(tmp_path),
        "--device",
        "cpu",
        "--epochs",
        "3",
        "--optimizer",
        "adam",
        "--lr",
        "0.01",
    )
    assert "600 training and 200 test images" in err
    # label k is a bar in band k: only images and labels read in step can score this high
    assert data["test_accuracy"] >= 0.9, data


def test_a_missing_dataset_names_the_files_and_exits_2(tmp_path, capsys):
    empty = tmp_path / "nothing-here"
    code = main(["train", "--dataset", "mnist", "--data-dir", str(empty), "--device", "cpu"])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("cnn-tui: MNIST is not in")
    for name in MNIST_FILES.values():
        assert name in err
    assert str(empty / "MNIST" / "raw") in err
    assert "Traceback" not in err


def test_a_diverging_run_prints_why_and_exits_1(capsys):
    code = main(["train", *QUICK, "--lr", "1e12", "--momentum", "0.9"])
    captured = capsys.readouterr()
    assert code == 1
    lines = [line for line in captured.err.splitlines() if line.startswith("cnn-tui: ")]
    assert len(lines) == 1, captured.err
    assert re.search(r"loss became (NaN|infinite) at step \d+", lines[0]), lines[0]
    assert "learning rate 1e+12" in lines[0]
    assert "Traceback" not in captured.err
    assert "Test loss" not in captured.out  # it never reached a test


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lr", "-1"], "learning rate must be a positive number"),
        (["--race", "sgd,fancy"], "optimizer 'fancy' is not one of"),
        (["--augment", "spin=3"], "augmentation 'spin' is not one of"),
        (["--augment", "shift"], "augmentation shift needs a value"),
        (["--ema", "1.5"], "EMA decay must be in (0, 1)"),
        (["--dataset", "imagenet"], "unknown dataset 'imagenet'"),
        (["--model", "conv(4,3) relu bogus(2)"], "unknown layer 'bogus'"),
        (["--model", "conv(4,9) flatten fc(10)"], "smaller than the 9x9 kernel"),
    ],
)
def test_bad_settings_are_one_line_and_exit_2(capsys, args, message):
    # later flags win, so each case overrides one of the quick defaults
    code = main(["train", *QUICK, *args])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_argparse_rejects_a_bad_number(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--batch-size", "0"])
    assert exc.value.code == 2
    assert "must be at least 1, got 0" in capsys.readouterr().err


def test_parse_augment():
    assert parse_augment("shift=2,flip,rotate=10,noise=0.1") == Augment(2, True, 10.0, 0.1)
    assert parse_augment("none") == Augment()
    assert parse_augment("flip=false") == Augment()


def _probe(code: str) -> dict:
    probe = code + "\nimport json, sys\nprint(json.dumps({m: m in sys.modules for m in ['torch']}))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_train_help_and_bad_settings_never_import_torch():
    code = (
        "import contextlib, io\n"
        "from cnn_tui import cli\n"
        "out, err = io.StringIO(), io.StringIO()\n"
        "with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):\n"
        "    try:\n"
        "        cli.main(['train', '--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "    assert cli.main(['train', '--lr', '-1']) == 2\n"
    )
    assert _probe(code) == {"torch": False}


def test_ctrl_c_stops_cleanly_with_status_130(tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "cnn_tui", "train", *TINY, "--epochs", "200"]
    command += ["--log-every", "5", "--metrics-out", str(tmp_path / "m.jsonl")]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    seen = ""
    while "Train Epoch: 1," not in seen and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen += line
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert "stopped in epoch" in seen + out
    assert "Test loss: " in out  # epoch 0 finished and was tested: its result is printed
    kinds = [json.loads(line)["kind"] for line in (tmp_path / "m.jsonl").read_text().splitlines()]
    assert kinds[-1] == "stopped"


def test_help_lists_train(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "train" in capsys.readouterr().out


def test_app_flag_opens_the_train_screen_with_the_settings(monkeypatch, capsys):
    from cnn_tui.app.app import CnnTuiApp

    opened = []
    monkeypatch.setattr(CnnTuiApp, "run", lambda self, *a, **k: opened.append(self))
    args = [*QUICK, "--race", "sgd,adam", "--augment", "shift=1", "--app"]
    assert main(["train", *args]) == 0
    (app,) = opened
    assert app.initial_mode == "train"
    config = app.train_config
    assert [o.name for o in config.optimizers] == ["sgd", "adam"]
    assert config.input_shape == (1, 8, 8) and config.limit_train == 256
    assert config.augment == Augment(shift=1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--json"], "--app trains in the app: leave out --json"),
        (["--model", "conv(4,9) flatten fc(10)"], "smaller than the 9x9 kernel"),
    ],
)
def test_app_flag_refuses_what_it_cannot_do(monkeypatch, capsys, args, message):
    from cnn_tui.app.app import CnnTuiApp

    monkeypatch.setattr(CnnTuiApp, "run", lambda self, *a, **k: pytest.fail("app opened"))
    assert main(["train", *QUICK, "--app", *args]) == 2
    assert message in capsys.readouterr().err


def test_confusion_matrix_in_json_and_as_a_table(capsys):
    summary, _ = train_json(capsys, *QUICK, "--confusion", "--race", "sgd,adam")
    assert summary["labels"] == [str(d) for d in range(10)]
    for run in ("sgd", "adam"):
        matrix = summary["confusion"][run]
        assert len(matrix) == 10 and all(len(row) == 10 for row in matrix)
        assert sum(map(sum, matrix)) == 360  # every test image, once
        right = sum(matrix[i][i] for i in range(10))
        accuracy = next(r["test_accuracy"] for r in summary["runs"] if r["run"] == run)
        assert right / 360 == pytest.approx(accuracy)
    assert main(["train", *QUICK, "--confusion"]) == 0
    out = capsys.readouterr().out
    assert "confusion matrix of sgd: rows true, columns predicted" in " ".join(out.split())


def test_top_three_predictions_in_json_and_as_a_table(capsys):
    summary, _ = train_json(capsys, *QUICK, "--predictions", "4")
    shown = summary["predictions"]["sgd"]
    assert [p["index"] for p in shown] == [0, 1, 2, 3]
    for p in shown:
        probabilities = [v for _, v in p["top"]]
        assert len(p["top"]) == 3 and probabilities == sorted(probabilities, reverse=True)
        assert 0 <= p["label"] < 10
    assert main(["train", *QUICK, "--predictions", "2"]) == 0
    out = capsys.readouterr().out
    assert "top-3 guesses of sgd" in out and "#1" in out


def test_json_stays_strict_when_a_run_diverges(capsys):
    code = main(["train", *QUICK, "--lr", "1e30", "--eval-every", "1", "--json"])
    captured = capsys.readouterr()
    assert code == 1

    def refuse(name):
        raise ValueError(f"{name} is not JSON")

    summary = json.loads(captured.out, parse_constant=refuse)
    assert summary["runs"][0]["status"] == "error"


def test_an_unwritable_checkpoint_is_one_line_after_the_results(tmp_path, capsys, monkeypatch):
    from cnn_tui.core.training import loop as training

    def disk_full(*args):
        raise OSError(28, "No space left on device")

    # a path that is writable when the run starts (checked then) and fails at the end
    blocker = tmp_path / "file"
    monkeypatch.setattr(training, "save_checkpoint", disk_full)
    code = main(["train", *QUICK, "--save", str(blocker / "run.pt")])
    captured = capsys.readouterr()
    assert code == 2
    assert "Test loss:" in captured.out
    assert f"checkpoint not saved to {blocker / 'run.pt'}" in " ".join(captured.err.split())
    assert "Traceback" not in captured.err


def test_threads_option_sets_the_run_s_cpu_threads_with_the_app_s_default():
    """Issue 15 item 15: --threads N, default the same as the app's form."""
    from cnn_tui.cli.parser import build_parser
    from cnn_tui.cli.train import train_config_from_args
    from cnn_tui.core.training.train_config import DEFAULT_CPU_THREADS, TrainConfig

    parser = build_parser()
    assert train_config_from_args(parser.parse_args(["train", "--threads", "2"])).cpu_threads == 2
    default = train_config_from_args(parser.parse_args(["train"]))
    assert default.cpu_threads == DEFAULT_CPU_THREADS == TrainConfig().cpu_threads
