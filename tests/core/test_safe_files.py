"""safe_files: atomic writes through symlinks, refusing what is not a regular file, keeping the
old file's permission bits, and bounded reads that never block on a FIFO."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest

from cnn_tui.core.safe_files import (
    check_readable,
    check_regular,
    file_signature,
    read_regular,
    read_regular_text,
    size_words,
    write_atomic,
)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_a_symlink_stays_a_link_and_its_target_gets_the_text(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_atomic(link, "new")
    assert link.is_symlink()
    assert os.readlink(link) == str(real)
    assert real.read_text() == "new"
    assert _leftovers(tmp_path) == []


def test_a_chain_of_links_and_a_relative_link_reach_the_real_file(tmp_path):
    (tmp_path / "sub").mkdir()
    real = tmp_path / "sub" / "real.txt"
    real.write_text("old")
    first = tmp_path / "first"
    first.symlink_to("sub/real.txt")  # relative, as `ln -s` makes them
    second = tmp_path / "second"
    second.symlink_to(first)
    write_atomic(second, "new")
    assert second.is_symlink() and first.is_symlink()
    assert real.read_text() == "new"


def test_a_dangling_link_creates_its_target(tmp_path):
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "missing.txt")
    write_atomic(link, "made")
    assert link.is_symlink()
    assert (tmp_path / "missing.txt").read_text() == "made"


def test_a_fifo_is_refused_and_left_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OSError) as info:
        write_atomic(fifo, "text")
    assert info.value.strerror == "it is a FIFO (named pipe), not a regular file"
    assert info.value.filename == str(fifo)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert _leftovers(tmp_path) == []


def test_a_link_to_a_fifo_is_refused_naming_the_link(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "out.pt"
    link.symlink_to(fifo)
    with pytest.raises(OSError) as info:
        write_atomic(link, b"bytes")
    assert info.value.filename == str(link)
    assert info.value.strerror == "it is a FIFO (named pipe), not a regular file"
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_socket_is_refused(tmp_path):
    path = tmp_path / "sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(str(path))
        with pytest.raises(OSError) as info:
            write_atomic(path, "text")
        assert info.value.strerror == "it is a socket, not a regular file"
        assert stat.S_ISSOCK(os.stat(path).st_mode)
    finally:
        server.close()


def test_a_character_device_is_refused_before_anything_is_written():
    # /dev/null is checked, never written: the refusal comes before the temporary file
    with pytest.raises(OSError) as info:
        check_regular("/dev/null")
    assert info.value.strerror == "it is a character device, not a regular file"


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o755])
def test_an_existing_file_keeps_its_permission_bits(tmp_path, mode):
    target = tmp_path / "secret.json"
    target.write_text("old")
    target.chmod(mode)
    write_atomic(target, "new")
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert target.read_text() == "new"


def test_a_new_file_is_0644(tmp_path):
    target = tmp_path / "new.json"
    write_atomic(target, "x")
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_a_writer_that_fails_mid_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "run.pt"
    target.write_bytes(b"the old checkpoint")

    def short_write(handle):
        handle.write(b"half of it")
        raise RuntimeError("PytorchStreamWriter failed writing file data/0: file write failed")

    with pytest.raises(RuntimeError):
        write_atomic(target, short_write)
    assert target.read_bytes() == b"the old checkpoint"
    assert _leftovers(tmp_path) == []


def test_a_name_over_255_bytes_says_so(tmp_path):
    target = tmp_path / ("n" * 300 + ".json")
    with pytest.raises(OSError) as info:
        write_atomic(target, "x")
    assert info.value.strerror == "the file name is too long (at most 255 bytes per name)"
    assert info.value.filename == str(target)
    with pytest.raises(OSError) as info:
        read_regular(target, 100)
    assert info.value.strerror == "the file name is too long (at most 255 bytes per name)"


def test_reading_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(OSError) as info:
        read_regular(fifo, 1000)  # would block for ever if it were opened for a plain read
    assert info.value.strerror == "it is a FIFO (named pipe), not a regular file"


@pytest.mark.parametrize(
    ("path", "kind"), [("/dev/zero", "a character device"), ("/dev/urandom", "a character device")]
)
def test_reading_a_device_is_refused(path, kind):
    with pytest.raises(OSError) as info:
        read_regular(path, 1000)
    assert info.value.strerror == f"it is {kind}, not a regular file"


def test_reading_a_folder_is_refused(tmp_path):
    with pytest.raises(OSError) as info:
        read_regular(tmp_path, 1000)
    assert info.value.strerror == "it is a folder, not a file"


def test_a_file_over_the_limit_is_refused_with_its_size_and_the_limit(tmp_path):
    big = tmp_path / "big.json"
    with open(big, "wb") as handle:
        handle.truncate(3 * 1024 * 1024)  # sparse: no 3 MiB written
    with pytest.raises(OSError) as info:
        read_regular(big, 1024 * 1024)
    assert info.value.strerror == "it is 3.0 MiB; cnn-tui reads such files up to 1.0 MiB"
    assert read_regular(big, 3 * 1024 * 1024)[:4] == b"\0\0\0\0"


def test_text_reading_skips_a_byte_order_mark(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"\xef\xbb\xbfhello")
    assert read_regular_text(path, 100) == "hello"


def test_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_regular(tmp_path / "missing", 10)
    check_regular(tmp_path / "missing")  # fine: writing will create it


def test_the_signature_changes_when_the_file_is_replaced(tmp_path):
    path = tmp_path / "a.json"
    path.write_text("one")
    before = file_signature(path)
    write_atomic(path, "two")
    assert file_signature(path) != before
    assert file_signature(tmp_path / "missing") is None


def test_size_words():
    assert [size_words(n) for n in (0, 1023, 1536, 16 * 1024 * 1024)] == [
        "0 B",
        "1,023 B",
        "1.5 KiB",
        "16.0 MiB",
    ]


def test_check_readable_refuses_what_a_reader_would_hang_on_or_choke_on(tmp_path):
    fifo = tmp_path / "run.pt"
    os.mkfifo(fifo)
    with pytest.raises(OSError) as info:
        check_readable(fifo, 100)
    assert info.value.strerror == "it is a FIFO (named pipe), not a regular file"
    big = tmp_path / "big.pt"
    with open(big, "wb") as handle:
        handle.truncate(2048)
    with pytest.raises(OSError) as info:
        check_readable(big, 1024)
    assert info.value.strerror == "it is 2.0 KiB; cnn-tui reads such files up to 1.0 KiB"
    check_readable(big, 2048)


def test_a_checkpoint_that_is_a_fifo_is_refused_before_torch_opens_it(tmp_path):
    from cnn_tui.core.training.checkpoints import load_checkpoint
    from cnn_tui.core.training.devices import TrainingError

    fifo = tmp_path / "run.pt"
    os.mkfifo(fifo)
    with pytest.raises(TrainingError) as info:
        load_checkpoint(fifo)
    assert str(info.value) == f"checkpoint {fifo}: it is a FIFO (named pipe), not a regular file"
