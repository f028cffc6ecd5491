"""Two cnn-tuis sharing one progress file: each save applies its own change to what is on disk,
so neither erases the other's marks; set-aside copies never overwrite one another; a FIFO at
the progress path is refused, not read forever."""

from __future__ import annotations

import json
import os
import threading

import pytest

from cnn_tui.core.course import progress as progress_module
from cnn_tui.core.course.progress import load_progress


def saved(path) -> dict:
    return json.loads(path.read_text())["lessons"]


def test_interleaved_marks_from_two_instances_all_survive(tmp_path):
    path = tmp_path / "progress.json"
    first = load_progress(path)
    second = load_progress(path)
    second.set_done("lessons", "03-conv")
    first.set_done("lessons", "04-sizes")  # before the fix this wrote only lesson 4
    second.pass_exercise("lessons", "05-pool", "max-cell")
    first.pass_exercise("lessons", "05-pool", "avg-cell")
    assert saved(path) == {
        "lessons/03-conv": {"done": True, "passed": []},
        "lessons/04-sizes": {"done": True, "passed": []},
        "lessons/05-pool": {"done": False, "passed": ["avg-cell", "max-cell"]},
    }
    # each instance sees the merged record after its own save
    assert first.of("lessons", "03-conv").done
    assert sorted(first.of("lessons", "05-pool").passed) == ["avg-cell", "max-cell"]
    assert second.of("lessons", "04-sizes").done
    assert second.of("lessons", "05-pool").passed == ["max-cell"]  # it has not saved since


def test_an_unmark_survives_the_other_instance_marking_another_lesson(tmp_path):
    path = tmp_path / "progress.json"
    seed = load_progress(path)
    seed.set_done("lessons", "03-conv")
    first = load_progress(path)
    second = load_progress(path)
    assert first.of("lessons", "03-conv").done and second.of("lessons", "03-conv").done
    first.set_done("lessons", "03-conv", False)
    second.set_done("lessons", "04-sizes")  # its memory still says 3 is done: not written back
    assert saved(path) == {
        "lessons/03-conv": {"done": False, "passed": []},
        "lessons/04-sizes": {"done": True, "passed": []},
    }
    assert not second.of("lessons", "03-conv").done


def test_a_save_uses_a_lock_file_beside_the_progress_file(tmp_path):
    path = tmp_path / "progress.json"
    load_progress(path).set_done("lessons", "01-why")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["progress.json", "progress.json.lock"]


def test_two_set_asides_in_one_second_keep_two_copies(tmp_path, monkeypatch):
    monkeypatch.setattr(progress_module, "_stamp", lambda: "20260102-030405")
    path = tmp_path / "progress.json"
    path.write_text("{first")
    first = load_progress(path)
    path.write_text("{second")
    second = load_progress(path)
    one = tmp_path / "progress.json.corrupt-20260102-030405"
    two = tmp_path / "progress.json.corrupt-20260102-030405-2"
    assert one.read_text() == "{first" and two.read_text() == "{second"
    assert first.warning.endswith(f"kept as {one}, starting afresh")
    assert second.warning.endswith(f"kept as {two}, starting afresh")
    assert not path.exists()


def test_a_corrupt_file_found_at_save_time_is_set_aside_and_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(progress_module, "_stamp", lambda: "20260102-030405")
    path = tmp_path / "progress.json"
    progress = load_progress(path)
    progress.set_done("lessons", "03-conv")
    taken = tmp_path / "progress.json.corrupt-20260102-030405"
    taken.write_text("an older copy")  # never overwritten
    path.write_text("[1, 2")  # another program broke it meanwhile
    note = progress.set_done("lessons", "04-sizes")
    aside = tmp_path / "progress.json.corrupt-20260102-030405-2"
    assert note == (
        f"progress file {path} was unreadable (line 1: Expecting ',' delimiter); kept as "
        f"{aside}, and this session's progress is saved in its place"
    )
    assert aside.read_text() == "[1, 2"
    assert taken.read_text() == "an older copy"
    assert saved(path) == {
        "lessons/03-conv": {"done": True, "passed": []},
        "lessons/04-sizes": {"done": True, "passed": []},
    }
    assert progress.set_done("lessons", "05-pool") == ""  # a quiet save again


def finishes(function, fifo):
    """function()'s result, or a failure (not a hung test) when it blocks on the FIFO."""
    out: list = []

    def call() -> None:
        try:
            out.append(function())
        except BaseException as exc:  # raised again on the test's thread
            out.append(exc)

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(10)
    if worker.is_alive():
        # release the reader the old code left blocked in open(), then fail
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(10)
        pytest.fail("reading the progress file blocked on a FIFO")
    if isinstance(out[0], BaseException):
        raise out[0]
    return out[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_as_progress_file_is_refused_not_read(tmp_path):
    fifo = tmp_path / "progress.json"
    os.mkfifo(fifo)
    progress = finishes(lambda: load_progress(fifo), fifo)
    assert progress.warning == (
        f"progress file {fifo} cannot be read (it is a FIFO (named pipe), not a regular file); "
        "left as it is, and progress is not saved while it is there"
    )
    assert progress.blocked and progress.lessons == {}
    with pytest.raises(OSError) as info:
        progress.set_done("lessons", "01-why")
    assert info.value.strerror == "the file there could not be read, so it is not replaced"
    # a FIFO put there after loading is refused by the save's own re-read
    path = tmp_path / "other.json"
    later = load_progress(path)
    os.mkfifo(path)
    with pytest.raises(OSError) as info:
        finishes(lambda: later.set_done("lessons", "01-why"), path)
    assert info.value.strerror == "it is a FIFO (named pipe), not a regular file"
    assert info.value.filename == str(path)


def test_an_oversized_progress_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(progress_module, "PROGRESS_FILE_LIMIT", 100)
    path = tmp_path / "progress.json"
    path.write_text(" " * 101)
    progress = load_progress(path)
    assert progress.warning == (
        f"progress file {path} cannot be read (it is 101 B; cnn-tui reads such files up to "
        "100 B); left as it is, and progress is not saved while it is there"
    )
    assert path.read_text() == " " * 101
