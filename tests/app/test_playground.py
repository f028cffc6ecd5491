"""Pilot and snapshot tests for the optimizer playground: the mode key, surfaces, races,
stepping, redraws after an edit, the diverged marker and the keys rule in its fields."""

from __future__ import annotations

from pilot_waits import wait_for
from textual.widgets import Input, Select

from cnn_tui.app.app import CnnTuiApp
from cnn_tui.app.screens.playground import PlaygroundScreen
from cnn_tui.app.widgets.playground.surface_map import LEFT_VIEW, SurfaceMap
from cnn_tui.core.optim.paths import optimizer_path
from cnn_tui.core.optim.setup import make_setup
from cnn_tui.core.optim.surfaces import SURFACES
from cnn_tui.core.optim.updates import update_at

SMALL = (80, 24)


def screen_of(pilot) -> PlaygroundScreen:
    screen = pilot.app.screen
    assert isinstance(screen, PlaygroundScreen)
    return screen


def text_of(pilot, widget_id: str) -> str:
    return str(screen_of(pilot).query_one(f"#{widget_id}").render())


async def paths_drawn(pilot, count: int | None = None) -> PlaygroundScreen:
    """Wait until the worker's paths for the current scene are in."""
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, PlaygroundScreen))
    screen = screen_of(pilot)
    await wait_for(pilot, lambda: len(screen.runs) == (count or len(screen.scene.setups)))
    return screen


async def test_key_6_opens_the_race_and_steps_back_and_forth():
    app = CnnTuiApp(mode="stepper")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("6")
        screen = await paths_drawn(pilot, 3)
        assert [r.setup.title for r in screen.runs] == ["sgd", "momentum", "adam"]
        assert screen.index == 200
        assert "step 200/200" in text_of(pilot, "pg-info")
        await pilot.press("home", "right", "right")
        assert screen.index == 2
        await pilot.press("left")
        assert screen.index == 1
        # the written-out update is sgd's first step, with the numbers of the drawn path
        sgd = screen.runs[0]
        update = update_at(sgd.setup, SURFACES["ravine"], sgd.path, sgd.states, 1)
        shown = text_of(pilot, "pg-update")
        assert "sgd step 1: x = (-9, 1), f = 9.05" in shown
        assert update.lines()[-1] in shown
        assert update.new_point == sgd.path[1] and sgd.path[1][0] == -8.91
        await pilot.press("o")  # momentum's update now
        assert "v ← ρ·v + g" in text_of(pilot, "pg-update")
        await pilot.press("space")
        await wait_for(pilot, lambda: screen.index >= 3)
        await pilot.press("space")
        assert screen.timer is None


async def test_surface_race_and_rate_edits_redraw_the_paths():
    app = CnnTuiApp(mode="playground")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await paths_drawn(pilot)
        screen.query_one("#surface", Select).value = "himmelblau"
        await wait_for(pilot, lambda: screen.scene.surface.name == "himmelblau")
        await wait_for(pilot, lambda: screen.runs and screen.runs[0].path[0] == (0.0, 0.0))
        race = screen.query_one("#race", Input)
        race.focus()
        race.value = "sgd:0.01,adam:0.05"
        await wait_for(pilot, lambda: len(screen.runs) == 2)
        assert screen.runs[1].setup.lr == 0.05
        lr = screen.query_one("#lr", Input)
        lr.focus()
        lr.value = "0.02"
        await wait_for(pilot, lambda: screen.runs[0].setup.lr == 0.02)
        expected = optimizer_path(make_setup("sgd", lr=0.02), SURFACES["himmelblau"], (0, 0))
        assert screen.runs[0].path == expected.path
        lr.value = "fast"
        await pilot.pause()
        assert "learning rate α: 'fast' is not like 0.01" in text_of(pilot, "pg-message")
        assert screen.runs[0].setup.lr == 0.02  # the last paths that worked stay


async def test_a_diverged_run_is_marked_where_it_left_the_view():
    app = CnnTuiApp(mode="playground", playground="ravine nesterov:0.19,adam:0.1")
    async with app.run_test(size=SMALL) as pilot:
        screen = await paths_drawn(pilot, 2)
        assert screen.runs[0].diverged_at == 3
        legend = text_of(pilot, "pg-legend")
        assert "diverged at step 3: |y| > 6 (y = -11.13)" in legend
        assert LEFT_VIEW in [m.text for m in screen.query_one(SurfaceMap).markers]


async def test_digits_typed_into_a_field_stay_in_the_field():
    app = CnnTuiApp(mode="playground")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await paths_drawn(pilot)
        start = screen.query_one("#start", Input)
        start.focus()
        start.value = ""
        await pilot.press("-", "3", ",", "1", "enter")
        assert isinstance(app.screen, PlaygroundScreen)
        assert start.value == "-3,1" and app.focused is start
        await wait_for(pilot, lambda: screen.runs and screen.runs[0].path[0] == (-3.0, 1.0))
        await pilot.press("escape", "2")
        assert app.screen is not screen


async def test_a_lesson_try_it_opens_its_surface_and_race():
    from cnn_tui.core.course.lessons import TryIt

    app = CnnTuiApp(mode="stepper")
    async with app.run_test(size=SMALL) as pilot:
        problem = await app.try_it(TryIt("playground", "saddle sgd:0.1,momentum:0.1", "", 0))
        assert problem is None
        screen = await paths_drawn(pilot, 2)
        assert screen.scene.surface.name == "saddle" and screen.scene.start == (1.5, 0.001)


def test_snapshot_ravine_race_at_80x24(snap_compare):
    """The ravine at 80x24 after the race's 200 steps, the form folded away: the line 'ravine
    f = 0.05·x² + 5·y²  step 200/200'; the grey map (dark along the valley floor y = 0) with
    the start ○ at the left, the three paths in blue, orange and green ending in ● marks; the
    log₁₀(f − f_min) plot beside it; a legend line per run (momentum 'at the minimum from step
    123'); the marker key; sgd's step 200 written out (g, Δx = −α·g, x ← x + Δx); the footer
    with Step, Play, Run (the run written out), Settings, '1-7 Mode' and '? Help'."""

    async def paths(pilot) -> None:
        await paths_drawn(pilot, 3)
        await pilot.pause()

    assert snap_compare(CnnTuiApp(mode="playground"), terminal_size=SMALL, run_before=paths)
