"""Pilot tests of the builder at its limits: a file nested far too deep opens as one red line
(it hung the app before), a block nested past the limit is refused, and a save below a file
names the file in the way."""

from __future__ import annotations

import json

from textual.widgets import Input

from cnn_tui.app.app import CnnTuiApp
from cnn_tui.app.screens.builder import BuilderScreen
from cnn_tui.app.widgets.builder.file_dialog import StackFileDialog
from cnn_tui.app.widgets.builder.layer_form import LayerForm
from cnn_tui.core.stacks.stack import nesting_depth

SIZE = (110, 40)


def screen_of(pilot) -> BuilderScreen:
    screen = pilot.app.screen
    assert isinstance(screen, BuilderScreen)
    return screen


async def set_path(pilot, path) -> None:
    dialog = pilot.app.screen
    assert isinstance(dialog, StackFileDialog)
    dialog.query_one("#file-dialog-path", Input).value = str(path)
    await pilot.pause()


async def test_opening_a_file_nested_300_deep_shows_one_message(tmp_path):
    layer: dict = {"type": "relu"}
    for _ in range(300):
        layer = {"type": "res", "body": [layer]}
    path = tmp_path / "d300.json"
    path.write_text(json.dumps({"format": "cnn-tui-stack", "input": "1x28x28", "layers": [layer]}))
    before = path.read_text()
    async with CnnTuiApp(mode="builder", builder_stack="seed-mnist").run_test(size=SIZE) as pilot:
        await pilot.pause()  # the screen's own mount runs after the app's
        screen = screen_of(pilot)
        layers = screen.layers
        await pilot.press("ctrl+o")
        await pilot.pause()
        await set_path(pilot, path)
        await pilot.press("enter")
        await pilot.pause()
        assert screen_of(pilot) is screen
        assert screen.message_text == (
            f"{path}, line 1: layer 1: blocks nested more than 16 levels deep"
        )
        assert screen.layers == layers  # the work in the builder is kept
    assert path.read_text() == before


async def test_a_block_past_the_nesting_limit_is_refused():
    spec = "res[" * 16 + "relu" + "]" * 16
    innermost = "1" + ".1.1" * 16
    async with CnnTuiApp(mode="builder", builder_stack=spec).run_test(size=SIZE) as pilot:
        await pilot.pause()  # the screen's own mount runs after the app's
        screen = screen_of(pilot)
        assert nesting_depth(screen.layers) == 16
        before = screen.layers
        numbers = [entry.number for entry in screen.entries]
        screen.table.move_cursor(row=numbers.index(innermost))
        screen.table.focus()
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(pilot.app.screen, LayerForm)
        await pilot.press("enter", *"res", "enter")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert screen_of(pilot) is screen
        assert screen.message_text == (
            "blocks nested 17 levels deep: stacks nest them at most 16 deep"
        )
        assert screen.layers == before
        assert not screen.history.can_undo


async def test_saving_below_a_file_names_the_file_in_the_way(tmp_path):
    existing = tmp_path / "existing.py"
    existing.write_text("mine\n")
    target = existing / "x.json"
    async with CnnTuiApp(mode="builder", builder_stack="seed-mnist").run_test(size=SIZE) as pilot:
        await pilot.pause()  # the screen's own mount runs after the app's
        screen = screen_of(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await set_path(pilot, target)
        await pilot.press("enter")
        await pilot.pause()
        assert screen_of(pilot) is screen
        assert screen.message_text == (f"{target}: not saved ({existing} is a file, not a folder)")
    assert existing.read_text() == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing.py"]
