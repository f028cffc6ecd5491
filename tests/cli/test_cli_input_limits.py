"""The CLI's smaller input limits (issue 12 item 9): --seed and --epochs ranges named with their
flag, full-width digits refused, --save and --metrics-out naming one file, a path given as
--model said to be no such file, a stack file past the limits, all one line and exit 2."""

from __future__ import annotations

import json
import os
import stat

import pytest
from cli_helpers import TINY

from cnn_tui.cli import main


def refused(capsys, *args: str) -> str:
    """The one error line of a command that must exit 2."""
    with pytest.raises(SystemExit) as info:
        code = main(list(args))
        raise SystemExit(code)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return " ".join(line.strip() for line in err.strip().splitlines() if "see: cnn-tui" not in line)


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--seed", str(2**64), f"must be from 0 to 9,223,372,036,854,775,807, got {2**64}"),
        ("--seed", "-1", "must be from 0 to 9,223,372,036,854,775,807, got -1"),
        ("--seed", "２", "expected a whole number, got '２'"),
        ("--epochs", "10001", "must be from 1 to 10,000, got 10001"),
        ("--epochs", "0", "must be at least 1, got 0"),
        ("--batch-size", "３２", "expected a whole number, got '３２'"),
    ],
)
def test_training_numbers_out_of_range_name_their_flag(capsys, flag, value, message):
    line = refused(capsys, "train", *TINY, flag, value)
    assert line == f"cnn-tui: argument {flag}: {message}"


def test_the_largest_seed_is_accepted(capsys):
    code = main(["train", *TINY, "--epochs", "1", "--limit-train", "32", "--seed", str(2**63 - 1)])
    assert code == 0
    assert "Traceback" not in capsys.readouterr().err


def test_save_and_metrics_out_naming_one_file_are_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.symlink("run.pt", tmp_path / "link.pt")
    line = refused(capsys, "train", *TINY, "--save", "run.pt", "--metrics-out", "./link.pt")
    assert line == (
        "cnn-tui: --save run.pt and --metrics-out ./link.pt name the same file: "
        "one would overwrite the other"
    )
    assert not (tmp_path / "run.pt").exists()


@pytest.mark.parametrize("model", ["x.pt", "runs/net", "~/missing-net.txt"])
def test_a_path_given_as_model_is_no_such_file(tmp_path, capsys, monkeypatch, model):
    monkeypatch.chdir(tmp_path)
    line = refused(capsys, "summary", model)
    shown = os.path.expanduser(model)
    assert line == (
        f"cnn-tui: {shown}: no such file (stack files end in .json; or give a preset or a spec)"
    )


def test_an_existing_file_that_is_no_stack_file_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "run.pt").write_bytes(b"PK\x03\x04")
    line = refused(capsys, "summary", "run.pt")
    assert line == (
        "cnn-tui: run.pt: not a stack file (stack files are .json files, as the builder saves them)"
    )


def test_specs_with_dots_are_still_specs(capsys):
    assert main(["summary", "conv(4,3) dropout(0.5) flatten fc(10)", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["output_shape"] == [10]


def test_a_stack_file_of_too_many_rows_is_one_line(tmp_path, capsys):
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"input": "4", "layers": [{"type": "relu"}] * 10_001}))
    line = refused(capsys, "summary", str(path))
    assert line == (
        f"cnn-tui: {path}: 10,001 layers (blocks counted with their insides); a stack holds at "
        "most 10,000"
    )


def test_a_fifo_given_as_a_stack_file_is_refused_at_once(tmp_path, capsys):
    path = tmp_path / "net.json"
    os.mkfifo(path)
    line = refused(capsys, "summary", str(path))
    assert (
        line == f"cnn-tui: {path}: cannot be read (it is a FIFO (named pipe), not a regular file)"
    )


LONG = "n" * 300


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["train", *TINY, "--save", "{d}/" + LONG + ".pt"], "--save {d}/" + LONG + ".pt"),
        (["lessons", "--list", "--lessons", "{d}/" + LONG], "{d}/" + LONG),
        (["summary", "{d}/" + LONG + ".json"], "{d}/" + LONG + ".json"),
        (["export", "vgg11", "--out", "{d}/" + LONG + ".py"], "{d}/" + LONG + ".py"),
    ],
)
def test_a_file_name_over_255_bytes_is_one_line(tmp_path, capsys, args, shown):
    line = refused(capsys, *(a.format(d=tmp_path) for a in args))
    assert line.startswith(f"cnn-tui: {shown.format(d=tmp_path)}")
    assert line.rstrip(")").endswith("the file name is too long (at most 255 bytes per name")


@pytest.mark.parametrize("flag", ["--save", "--metrics-out"])
def test_an_output_that_is_a_fifo_is_refused_before_training(tmp_path, capsys, flag):
    fifo = tmp_path / "out"
    os.mkfifo(fifo)
    line = refused(capsys, "train", *TINY, flag, str(fifo))
    assert line == f"cnn-tui: {flag} {fifo}: it is a FIFO (named pipe), not a regular file"


def test_export_into_a_fifo_is_refused_and_the_fifo_kept(tmp_path, capsys):
    fifo = tmp_path / "net.py"
    os.mkfifo(fifo)
    line = refused(capsys, "export", "seed-mnist", "--out", str(fifo))
    assert line == f"cnn-tui: {fifo}: cannot write (it is a FIFO (named pipe), not a regular file)"
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_export_through_a_symlink_updates_its_target_and_keeps_its_mode(tmp_path, capsys):
    real = tmp_path / "real.py"
    real.write_text("old")
    real.chmod(0o600)
    link = tmp_path / "net.py"
    link.symlink_to(real)
    assert main(["export", "seed-mnist", "--out", str(link)]) == 0
    assert link.is_symlink()
    assert real.read_text().startswith("# Net: the stack")
    assert stat.S_IMODE(real.stat().st_mode) == 0o600


def test_a_dataset_file_that_is_a_fifo_is_named_not_read(tmp_path, capsys):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    os.mkfifo(folder / "data_batch_1")
    line = refused(capsys, "train", "--dataset", "cifar10", "--data-dir", str(tmp_path))
    assert line == (
        f"cnn-tui: CIFAR-10 in {tmp_path}: data_batch_1: it is a FIFO (named pipe), "
        "not a regular file"
    )
