"""`cnn-tui train` faults: one `cnn-tui: ...` line naming the culprit, exit 2 for bad input
(damaged data, unwritable files, a race of one, a shift too large), exit 1 for a run that broke
(a NaN left by the last step), and --json's stdout empty or valid JSON, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import TINY

from cnn_tui.cli import main
from cnn_tui.core.training.idx_files import pattern_digits, write_idx_labels, write_mnist_folder

torch = pytest.importorskip("torch")

QUICK = [*TINY, "--epochs", "1", "--limit-train", "64"]
NOT_IDX = b"hello world this is not idx"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["train", *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def one_line(err: str) -> str:
    """The one error line, with Rich's soft wrapping undone."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def mnist_args(root: Path) -> list[str]:
    return ["--dataset", "mnist", "--data-dir", str(root), "--epochs", "1", "--device", "cpu"]


def mnist_folder(root: Path) -> Path:
    return write_mnist_folder(root, pattern_digits(300, seed=1), pattern_digits(200, seed=2))


@pytest.mark.parametrize("as_json", [False, True])
def test_a_garbage_mnist_file_is_named_and_exits_2(tmp_path, capsys, as_json):
    raw = mnist_folder(tmp_path)
    (raw / "t10k-labels-idx1-ubyte").write_bytes(NOT_IDX)
    code, out, err = run(capsys, *mnist_args(tmp_path), *(["--json"] if as_json else []))
    assert code == 2
    assert out == ""
    assert one_line(err) == (
        f"cnn-tui: MNIST in {tmp_path}: t10k-labels-idx1-ubyte is not an IDX file (it starts "
        "with the bytes 68 65 6c 6c; an IDX file starts with 00 00, a type byte and its number "
        "of dimensions)"
    )


def test_labels_outside_the_classes_exit_2_before_training(tmp_path, capsys):
    raw = mnist_folder(tmp_path)
    write_idx_labels(raw / "train-labels-idx1-ubyte", (np.arange(300) % 250).astype(np.uint8))
    code, out, err = run(capsys, *mnist_args(tmp_path))
    assert code == 2
    assert out == ""
    assert one_line(err) == (
        f"cnn-tui: MNIST in {tmp_path}: train-labels-idx1-ubyte holds label 249; MNIST has 10 "
        "classes (0-9)"
    )


def test_images_and_labels_out_of_step_exit_2(tmp_path, capsys):
    raw = mnist_folder(tmp_path)
    write_idx_labels(raw / "t10k-labels-idx1-ubyte", np.zeros(199, np.uint8))
    code, _, err = run(capsys, *mnist_args(tmp_path), "--json")
    assert code == 2
    assert one_line(err) == (
        f"cnn-tui: MNIST in {tmp_path}: t10k-images-idx3-ubyte holds 200 images but "
        "t10k-labels-idx1-ubyte holds 199 labels"
    )


@pytest.mark.parametrize("flag", ["--save", "--metrics-out"])
def test_an_unwritable_output_is_refused_before_training(tmp_path, capsys, flag):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cases = {
        str(tmp_path): f"cnn-tui: {flag} {tmp_path} is a folder: name a file in it, like "
        f"{tmp_path / 'run.pt'}",
        str(blocker / "out"): f"cnn-tui: {flag} {blocker / 'out'}: {blocker} is a file, not a "
        "folder",
    }
    for path, message in cases.items():
        code, out, err = run(capsys, *QUICK, flag, path, "--json")
        assert code == 2
        assert out == ""  # nothing trained, no summary
        assert one_line(err) == message


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
@pytest.mark.parametrize(
    ("flag", "path"), [("--save", "/proc/x.pt"), ("--metrics-out", "/proc/x.jsonl")]
)
def test_an_output_in_proc_is_refused_before_training(capsys, flag, path):
    code, out, err = run(capsys, *QUICK, flag, path)
    assert code == 2
    assert out == ""
    assert one_line(err).startswith(f"cnn-tui: {flag} {path}: cannot create a file in /proc (")


def test_a_nan_left_by_the_last_step_exits_1(capsys):
    code, out, err = run(capsys, *QUICK, "--optimizer", "sgd", "--lr", "1e10")
    assert code == 1
    lines = [line for line in err.splitlines() if line.startswith("cnn-tui: ")]
    assert lines == [
        "cnn-tui: test loss became NaN after step 1 (epoch 0, iteration 1; counted from 0 like "
        "the log lines) with learning rate 1e+10: the rate is probably too high for this stack; "
        "try 1e+09, or add batch norm"
    ]
    assert "Test loss" not in out
    assert out.splitlines()[-1].startswith("error: 1 of 1 epoch, 2 steps, ")


def test_a_nan_left_by_the_last_step_in_json(capsys):
    code, out, _ = run(capsys, *QUICK, "--optimizer", "sgd", "--lr", "1e10", "--json")
    assert code == 1
    summary = json.loads(out)
    assert (summary["status"], summary["test_loss"], summary["test_accuracy"]) == (
        "error",
        None,
        None,
    )
    assert summary["runs"][0]["message"].startswith("test loss became NaN after step 1 ")


def test_a_network_too_large_for_memory_is_one_line(capsys):
    model = "flatten fc(1000000) fc(1000000) fc(10)"
    code, out, err = run(capsys, *QUICK, "--model", model, "--json")
    assert code == 2
    assert out == ""
    line = one_line(err)
    # refused by the tally against the free memory, or (elsewhere) when torch's allocation fails
    assert line.startswith(
        (
            "cnn-tui: the network has 1,000,076,000,010 parameters, 3.6 TiB a copy by the "
            "builder's tally; the run needs 2 copies (7.3 TiB) and ",
            "cnn-tui: cpu out of memory while setting up the dataset and 2 copies of the network "
            "(1,000,076,000,010 parameters, 3.6 TiB a copy by the builder's tally); ",
        )
    )


@pytest.mark.parametrize("race", ["sgd", "sgd,", "adam:0.01"])
def test_a_race_of_one_is_refused(capsys, race):
    code, out, err = run(capsys, *QUICK, "--race", race, "--json")
    assert code == 2
    assert out == ""
    name = race.split(":")[0].strip(",")
    assert one_line(err) == (
        f"cnn-tui: a race needs 2 to 5 optimizers, got 1 ({name}); use --optimizer for one"
    )


def test_a_shift_as_large_as_the_image_is_refused(capsys):
    code, out, err = run(capsys, *QUICK, "--augment", "shift=100")
    assert code == 2
    assert out == ""
    assert one_line(err) == (
        "cnn-tui: augmentation shift=100 can move the 8x8 images wholly out of the picture: "
        "use a shift below 8"
    )
