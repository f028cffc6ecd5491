"""The builder's files: ctrl+s writes through a symlink to its target and keeps the file's
permission bits; a file another builder (or an editor) wrote since this one opened it is named
before it is replaced; a FIFO given to ctrl+o is refused at once."""

from __future__ import annotations

import os
import stat

from textual.widgets import Input

from cnn_tui.app.app import CnnTuiApp
from cnn_tui.app.screens.builder import BuilderScreen
from cnn_tui.app.widgets.builder.file_dialog import StackFileDialog
from cnn_tui.core.safe_files import write_atomic
from cnn_tui.core.stacks.stack_file import dumps_stack, load_stack, save_stack
from cnn_tui.core.stacks.zoo import resolve_stack

SIZE = (110, 40)


def message_of(dialog: StackFileDialog) -> str:
    return str(dialog.query_one("#file-dialog-message").render())


async def save_to(pilot, path) -> StackFileDialog:
    await pilot.press("ctrl+s")
    await pilot.pause()
    dialog = pilot.app.screen
    assert isinstance(dialog, StackFileDialog)
    dialog.query_one("#file-dialog-path", Input).value = str(path)
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    return dialog


async def test_saving_through_a_symlink_keeps_the_link_and_the_mode(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    real = tmp_path / "nets" / "real.json"
    real.parent.mkdir()
    save_stack(resolve_stack("lenet5"), real)
    real.chmod(0o600)
    link = tmp_path / "net.json"
    link.symlink_to(real)
    async with CnnTuiApp(mode="builder", builder_stack="seed-mnist").run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = pilot.app.screen
        assert isinstance(screen, BuilderScreen)
        dialog = await save_to(pilot, link)
        assert message_of(dialog) == f"{link} exists: press enter or Save again to replace it"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(pilot.app.screen, BuilderScreen)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert load_stack(real).layers == resolve_stack("seed-mnist").layers
    assert stat.S_IMODE(real.stat().st_mode) == 0o600


async def test_a_file_written_by_someone_else_since_it_was_opened_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "shared.json"
    save_stack(resolve_stack("lenet5"), target)
    async with CnnTuiApp(mode="builder", builder_stack=str(target)).run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = pilot.app.screen
        assert isinstance(screen, BuilderScreen)
        assert screen.saved_path == target
        # a second builder saves its own stack to the same file meanwhile
        theirs = dumps_stack(resolve_stack("seed-mnist"))
        write_atomic(target, theirs)
        dialog = await save_to(pilot, target)
        assert message_of(dialog) == (
            f"{target} changed on disk since this builder opened or saved it (another builder "
            "or an editor?): press enter or Save again to replace it anyway"
        )
        assert target.read_text() == theirs  # nothing replaced until the student says so
        await pilot.press("escape")
        await pilot.pause()
        assert screen.message_text == "not saved"
    assert target.read_text() == theirs


async def test_an_unchanged_file_gets_the_plain_question(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "mine.json"
    save_stack(resolve_stack("lenet5"), target)
    async with CnnTuiApp(mode="builder", builder_stack=str(target)).run_test(size=SIZE) as pilot:
        await pilot.pause()
        dialog = await save_to(pilot, target)
        assert message_of(dialog) == f"{target} exists: press enter or Save again to replace it"
        await pilot.press("enter")
        await pilot.pause()
        # saved: the signature is this builder's own write, so the next save asks plainly too
        dialog = await save_to(pilot, target)
        assert message_of(dialog) == f"{target} exists: press enter or Save again to replace it"


async def test_opening_a_fifo_is_refused_at_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    async with CnnTuiApp(mode="builder").run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = pilot.app.screen
        assert isinstance(screen, BuilderScreen)
        screen.table.focus()
        await pilot.press("ctrl+o")
        await pilot.pause()
        pilot.app.screen.query_one("#file-dialog-path", Input).value = str(fifo)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(pilot.app.screen, BuilderScreen)
        assert screen.message_text == (
            f"{fifo}: cannot be read (it is a FIFO (named pipe), not a regular file)"
        )
