"""`cnn-tui train` stopped by SIGTERM or SIGHUP (`timeout`, `docker stop`, a closed SSH
session) ends like Ctrl+C: within a batch, with the checkpoint and metrics written and the
results printed, then exits 128 + the signal's number (143, 129)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
from cli_helpers import TINY

from cnn_tui.cli import main

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals")

EPOCHS = 1000
"""Far more than the run gets through before the signal, which comes after its first line."""


def start_training(tmp_path) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "cnn_tui", "train", *TINY, "--limit-train", "64"]
    command += ["--epochs", str(EPOCHS), "--save", "run.pt", "--metrics-out", "metrics.jsonl"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # each line as it is printed
    return subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for_training(process: subprocess.Popen[str]) -> list[str]:
    """The lines printed up to the first training log line."""
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("Train Epoch: 0, iteration: 0,"):
            return lines
    raise AssertionError(f"the run never started training: {''.join(lines)}")


@pytest.mark.parametrize(("name", "status"), [("SIGTERM", 143), ("SIGHUP", 129)])
def test_a_stop_signal_saves_the_run_and_prints_it(tmp_path, name, status):
    from cnn_tui.core.training.checkpoints import load_checkpoint

    process = start_training(tmp_path)
    try:
        before = wait_for_training(process)
        process.send_signal(getattr(signal, name))
        rest, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:  # a run that ignored the signal is ended here
            process.kill()
            process.communicate()
    out = "".join(before) + rest
    assert "Traceback" not in err
    assert process.returncode == status
    assert f"got {name}: stopping after this batch, then saving what is done\n" in out
    assert "Test loss: " in out
    last = out.splitlines()[-1]
    assert last.startswith("stopped: ") and f" of {EPOCHS:,} epochs, " in last
    assert err.splitlines() == ["wrote metrics.jsonl", "saved run.pt"]
    result = load_checkpoint(tmp_path / "run.pt")["runs"]["sgd"]["result"]
    assert result["status"] == "stopped"
    assert 1 <= result["epochs"] < EPOCHS
    kinds = [json.loads(line)["kind"] for line in (tmp_path / "metrics.jsonl").open()]
    assert (kinds[0], kinds[-1]) == ("start", "stopped")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.jsonl", "run.pt"]


def test_the_handlers_are_set_only_while_training(capsys, monkeypatch):
    import cnn_tui.core.training.loop as training

    def mine(number, frame):  # pragma: no cover - never called
        raise AssertionError("the old handler ran during training")

    seen = {}
    real_train = training.train

    def train(config, report, stop, save=None):
        seen["during"] = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)

        def report_and_signal(point):
            report(point)
            if point.kind == "train" and "sent" not in seen:
                seen["sent"] = True
                os.kill(os.getpid(), signal.SIGTERM)  # handled on the main thread

        return real_train(config, report_and_signal, stop, save=save)

    monkeypatch.setattr(training, "train", train)
    old = signal.signal(signal.SIGTERM, mine), signal.signal(signal.SIGHUP, mine)
    try:
        code = main(["train", *TINY, "--limit-train", "64", "--epochs", str(EPOCHS)])
        after = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)
    finally:
        signal.signal(signal.SIGTERM, old[0])
        signal.signal(signal.SIGHUP, old[1])
    out = capsys.readouterr().out
    assert code == 143
    assert mine not in seen["during"] and seen["during"][0] is seen["during"][1]
    assert after == (mine, mine)
    assert out.splitlines()[-1].startswith("stopped: ")


def test_the_apps_exit_status_is_the_commands(capsys, monkeypatch):
    from cnn_tui.app.app import CnnTuiApp

    def run_until_a_signal(app):
        # what stop_by_signal leaves behind, without a terminal
        app.exit_note = "cnn-tui: SIGTERM: the builder's unsaved stack is kept in k.json; ..."
        app.exit(return_code=143)

    monkeypatch.setattr(CnnTuiApp, "run", run_until_a_signal)
    assert main(["stepper"]) == 143
    assert capsys.readouterr().err == (
        "cnn-tui: SIGTERM: the builder's unsaved stack is kept in k.json; ...\n"
    )
