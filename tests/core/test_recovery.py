"""The builder's recovery file: where it lives, what it holds (a stack file plus the stack's own
file), and how an unreadable one is reported rather than trusted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cnn_tui.core.safe_files import STACK_FILE_LIMIT
from cnn_tui.core.stacks.recovery import (
    RecoveryError,
    default_recovery_path,
    load_recovery,
    recovery_text,
    save_recovery,
    set_aside,
)
from cnn_tui.core.stacks.stack_file import dumps_stack, load_stack
from cnn_tui.core.stacks.zoo import resolve_stack


def test_the_path_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("CNN_TUI_RECOVERY", raising=False)
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_recovery_path() == tmp_path / ".local/state/cnn-tui/builder-recovery.json"
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert default_recovery_path() == tmp_path / "state/cnn-tui/builder-recovery.json"
    monkeypatch.setenv("CNN_TUI_RECOVERY", "~/kept.json")
    assert default_recovery_path() == tmp_path / "kept.json"


@pytest.mark.parametrize("source", [None, Path("nets/my net.json")])
def test_a_kept_stack_reads_back_with_its_file(tmp_path, source):
    stack = resolve_stack("seed-mnist")
    path = save_recovery(stack, source, tmp_path / "state" / "recovery.json")
    recovered = load_recovery(path)
    assert recovered is not None
    assert (recovered.stack, recovered.source, recovered.file) == (stack, source, path)
    assert load_stack(path) == stack  # a stack file like any other


def test_the_text_is_the_stack_file_with_one_more_field():
    stack = resolve_stack("lenet5")
    lines = recovery_text(stack, Path("a/b.json")).splitlines()
    assert lines[:2] == ["{", '  "recovered_from": "a/b.json",']
    assert lines[2:] == dumps_stack(stack).splitlines()[1:]


def test_no_file_is_no_recovery(tmp_path):
    assert load_recovery(tmp_path / "none.json") is None


def test_unreadable_files_are_named(tmp_path):
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.truncate(STACK_FILE_LIMIT + 1024 * 1024)
    with pytest.raises(RecoveryError) as caught:
        load_recovery(big)
    assert str(caught.value) == (
        f"recovery file {big}: it is 17.0 MiB; cnn-tui reads such files up to 16.0 MiB"
    )
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    with pytest.raises(RecoveryError) as caught:
        load_recovery(fifo)  # refused before a read could block
    assert str(caught.value) == (
        f"recovery file {fifo}: it is a FIFO (named pipe), not a regular file"
    )
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"name": "caf\xe9"}')
    with pytest.raises(RecoveryError) as caught:
        load_recovery(latin)
    assert str(caught.value) == f"recovery file {latin}: not UTF-8 text"


def test_setting_aside_never_replaces_an_earlier_one(tmp_path):
    path = tmp_path / "builder-recovery.json"
    names = []
    for text in ("first", "second"):
        path.write_text(text)
        names.append(set_aside(path))
    assert [p.name for p in names] == [
        "builder-recovery.set-aside-1.json",
        "builder-recovery.set-aside-2.json",
    ]
    assert [p.read_text() for p in names] == ["first", "second"]
    assert not path.exists()
