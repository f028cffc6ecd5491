"""`cnn-tui train --save --metrics-out` when a write fails late (a disk filling up while the
checkpoint is written): the other file is written, the results are printed, the old checkpoint
is left byte for byte, no temporary file stays behind, and one `cnn-tui: ...` line says which
file is missing and why; exit 2."""

from __future__ import annotations

import errno
import io
import json

import pytest
from cli_helpers import TINY

from cnn_tui.cli import main

torch = pytest.importorskip("torch")

QUICK = [*TINY, "--epochs", "1", "--limit-train", "64"]
OLD_CHECKPOINT = b"the checkpoint of an earlier run"
TORCH_SHORT_WRITE = "[enforce fail at inline_container.cc:672] . unexpected pos 64 vs 0"


class FillingDisk(io.RawIOBase):
    """A file that takes `room` bytes, then fails every write as a full disk does."""

    def __init__(self, handle, room: int) -> None:
        self.handle = handle
        self.room = room

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        if len(data) > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.room -= len(data)
        return self.handle.write(data)


def torch_runtime_error(payload, handle) -> None:
    handle.write(b"PK\x03\x04 part of a zip")
    raise RuntimeError(f"{TORCH_SHORT_WRITE}\n(a second line of torch's)")


def os_error(payload, handle) -> None:
    handle.write(b"PK\x03\x04 part of a zip")
    raise OSError(errno.ENOSPC, "No space left on device")


REAL_SAVE = torch.save


def disk_fills_under_torch(payload, handle) -> None:
    # the real torch.save: it swallows the OSError of a short write and raises a RuntimeError
    REAL_SAVE(payload, FillingDisk(handle, room=200))


WRITERS = {
    "torch's RuntimeError": (
        torch_runtime_error,
        f"torch could not write it ({TORCH_SHORT_WRITE} (a second line of torch's))",
    ),
    "an OSError": (os_error, "No space left on device"),
    "a full disk under torch.save": (disk_fills_under_torch, "No space left on device"),
}


def train(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["train", *QUICK, *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_checkpoint_write_that_fails_midway_keeps_the_rest(tmp_path, capsys, monkeypatch, writer):
    fake, why = WRITERS[writer]
    checkpoint = tmp_path / "run.pt"
    checkpoint.write_bytes(OLD_CHECKPOINT)
    metrics = tmp_path / "metrics.jsonl"
    monkeypatch.setattr(torch, "save", fake)
    code, out, err = train(capsys, "--save", str(checkpoint), "--metrics-out", str(metrics))
    assert code == 2
    assert checkpoint.read_bytes() == OLD_CHECKPOINT
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.jsonl", "run.pt"]
    kinds = [json.loads(line)["kind"] for line in metrics.read_text().splitlines()]
    assert kinds == ["start", "log", "train", "epoch", "test", "done"]
    assert "Test loss: " in out
    assert out.splitlines()[-1].startswith("done: 1 of 1 epoch, 2 steps, ")
    assert err.splitlines() == [
        f"wrote {metrics}",
        f"cnn-tui: checkpoint not saved to {checkpoint}: {why}",
    ]


def test_a_failed_checkpoint_still_prints_the_json_summary(tmp_path, capsys, monkeypatch):
    checkpoint = tmp_path / "run.pt"
    monkeypatch.setattr(torch, "save", torch_runtime_error)
    code, out, err = train(capsys, "--save", str(checkpoint), "--json")
    assert code == 2
    summary = json.loads(out)
    assert (summary["status"], summary["epochs"]) == ("done", 1)
    assert not checkpoint.exists()
    assert list(tmp_path.iterdir()) == []
    assert [line for line in err.splitlines() if line.startswith("cnn-tui: ")] == [
        f"cnn-tui: checkpoint not saved to {checkpoint}: torch could not write it "
        f"({TORCH_SHORT_WRITE} (a second line of torch's))"
    ]


def test_a_metrics_write_that_fails_keeps_the_checkpoint(tmp_path, capsys, monkeypatch):
    from cnn_tui.core import safe_files
    from cnn_tui.core.training.checkpoints import load_checkpoint

    real_write = safe_files.write_atomic

    def full_for_metrics(target, content):
        if str(target).endswith(".jsonl"):
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        real_write(target, content)

    monkeypatch.setattr(safe_files, "write_atomic", full_for_metrics)
    checkpoint = tmp_path / "run.pt"
    metrics = tmp_path / "metrics.jsonl"
    code, out, err = train(capsys, "--save", str(checkpoint), "--metrics-out", str(metrics))
    assert code == 2
    result = load_checkpoint(checkpoint)["runs"]["sgd"]["result"]
    assert (result["status"], result["epochs"]) == ("done", 1)
    assert not metrics.exists()
    assert "Test loss: " in out
    assert err.splitlines() == [
        f"saved {checkpoint}",
        f"cnn-tui: metrics not written to {metrics}: No space left on device",
    ]
