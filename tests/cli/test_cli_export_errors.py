"""Writing files where they cannot go: one line naming the user's path, exit 2, no traceback,
nothing left behind; and the summary's --depth."""

from __future__ import annotations

import errno
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cnn_tui.cli import main
from cnn_tui.core.safe_files import write_atomic

# --- write_atomic names the target, never its temporary file -------------------------------------


def test_a_folder_as_the_target_is_refused_and_left_alone(tmp_path):
    folder = tmp_path / "review"
    folder.mkdir()
    (folder / "keep.txt").write_text("keep")
    with pytest.raises(IsADirectoryError) as info:
        write_atomic(folder, "text")
    assert info.value.errno == errno.EISDIR
    assert info.value.filename == str(folder)
    assert info.value.strerror == "it is a folder, not a file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["review"]
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]


@pytest.mark.parametrize("inside", ["x.py", "a/b/x.py"])
def test_a_file_where_a_folder_should_be_is_named(tmp_path, inside):
    existing = tmp_path / "existing.py"
    existing.write_text("print('mine')\n")
    target = existing / inside
    with pytest.raises(NotADirectoryError) as info:
        write_atomic(target, "text")
    assert info.value.filename == str(target)
    assert info.value.strerror == f"{existing} is a file, not a folder"
    assert existing.read_text() == "print('mine')\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing.py"]


def test_a_failing_write_names_the_target_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def fail(handle) -> None:
        handle.write(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError) as info:
        write_atomic(target, fail)
    assert info.value.errno == errno.ENOSPC
    assert info.value.filename == str(target)
    assert str(info.value) == f"[Errno 28] No space left on device: '{target}'"
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_an_unwritable_place_names_the_target():
    with pytest.raises(OSError) as info:
        write_atomic(Path("/proc/x.py"), "text")
    assert info.value.filename == "/proc/x.py"


# --- export --out --------------------------------------------------------------------------------


def export_error(capsys, out: str) -> str:
    pytest.importorskip("torch")
    assert main(["export", "conv(2,3) relu", "--input", "1x8x8", "--out", out]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err
    return captured.err


def test_export_to_a_folder_names_the_users_path(tmp_path, capsys):
    err = export_error(capsys, str(tmp_path))
    assert err == f"cnn-tui: {tmp_path}: cannot write (it is a folder, not a file)\n"
    assert list(tmp_path.iterdir()) == []


def test_export_below_a_file_names_the_file(tmp_path, capsys):
    existing = tmp_path / "existing.py"
    existing.write_text("mine\n")
    target = existing / "x.py"
    err = export_error(capsys, str(target))
    assert err == f"cnn-tui: {target}: cannot write ({existing} is a file, not a folder)\n"
    assert existing.read_text() == "mine\n"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_export_to_proc_is_one_line(capsys):
    err = export_error(capsys, "/proc/x.py")
    assert err == "cnn-tui: /proc/x.py: cannot write (No such file or directory)\n"


@pytest.mark.parametrize("out", ["", "  "])
def test_an_empty_out_is_refused_not_stdout(capsys, out):
    assert main(["export", "conv(2,3) relu", "--input", "1x8x8", "--out", out]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "cnn-tui: --out needs a file name (leave --out out to print the source)\n"
    )


def test_export_still_writes_a_good_path(tmp_path, capsys):
    pytest.importorskip("torch")
    target = tmp_path / "new" / "net[1].py"
    assert main(["export", "conv(2,3) relu", "--input", "1x8x8", "--out", str(target)]) == 0
    assert target.read_text().startswith("# Net: a custom stack for 1x8x8 inputs")
    assert capsys.readouterr().err == f"wrote {target}\n"


# --- summary -------------------------------------------------------------------------------------


def test_summary_refuses_a_negative_depth(capsys):
    assert main(["summary", "vgg16", "--depth", "-1"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "cnn-tui: --depth must be 0 (top-level layers) or more, got -1\n"


@pytest.mark.parametrize(
    ("command", "spec", "rows"),
    [
        ("summary", "res[relu*10000]*10000", "100,010,000"),
        ("export", "res[relu*9000]*9000", "81,009,000"),
        ("summary", "dense(1000,1)*2", "12,002"),
    ],
)
def test_a_stack_too_big_to_walk_is_refused_at_once(capsys, command, spec, rows):
    assert main([command, spec, "--input", "1x4x4"]) == 2
    assert capsys.readouterr().err == (
        f"cnn-tui: {rows} layers (blocks counted with their insides); a stack holds at most "
        "10,000\n"
    )


def test_summary_of_a_deep_file_is_one_line(tmp_path, capsys):
    layer: dict = {"type": "relu"}
    for _ in range(300):
        layer = {"type": "res", "body": [layer]}
    path = tmp_path / "d300.json"
    path.write_text(json.dumps({"format": "cnn-tui-stack", "input": "1x28x28", "layers": [layer]}))
    assert main(["summary", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"cnn-tui: {path}, line 1: layer 1: blocks nested more than 16 levels deep\n"
    )


def test_summary_of_a_deep_spec_points_at_the_column(capsys):
    spec = "res[" * 200 + "relu" + "]" * 200
    assert main(["summary", spec]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "cnn-tui: column 65: blocks and [groups] nested more than 16 levels deep"
    assert lines[2] == " " * 64 + "^"


def test_the_installed_command_gives_no_traceback_for_a_bad_out(tmp_path):
    pytest.importorskip("torch")
    result = subprocess.run(
        [sys.executable, "-m", "cnn_tui", "export", "relu", "--input", "4", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr == f"cnn-tui: {tmp_path}: cannot write (it is a folder, not a file)\n"
