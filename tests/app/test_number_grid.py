"""Pilot tests for NumberGrid: editing keys, resizing, fills, clicks and what the grid shows."""

from __future__ import annotations

import numpy as np
import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding

from cnn_tui.app.widgets.stepper.number_grid import NumberGrid


class GridApp(App):
    """One or two grids; records every message they post and the app keys that reach it."""

    BINDINGS = [
        Binding("n", "record('n')", "Next", tooltip="Test binding on a letter"),
        Binding("1", "record('1')", "One", tooltip="Test binding on a digit"),
        Binding("escape", "record('escape')", "Leave", tooltip="Test binding on escape"),
    ]

    def __init__(self, *grids: NumberGrid) -> None:
        super().__init__()
        self.grids = grids
        self.messages: list[NumberGrid.Changed | NumberGrid.Invalid] = []
        self.actions: list[str] = []

    def compose(self) -> ComposeResult:
        yield from self.grids

    def action_record(self, key: str) -> None:
        self.actions.append(key)

    def on_number_grid_changed(self, event: NumberGrid.Changed) -> None:
        self.messages.append(event)

    def on_number_grid_invalid(self, event: NumberGrid.Invalid) -> None:
        self.messages.append(event)

    @property
    def invalid(self) -> list[str]:
        return [m.message for m in self.messages if isinstance(m, NumberGrid.Invalid)]

    @property
    def changed(self) -> list[list[list[float]]]:
        return [m.values.tolist() for m in self.messages if isinstance(m, NumberGrid.Changed)]


async def focused(app: GridApp, pilot, index: int = 0) -> NumberGrid:
    grid = app.grids[index]
    grid.focus()
    await pilot.pause()
    return grid


# ---------------------------------------------------------------------------------------------
# typing


async def test_typing_a_value_and_enter_stores_it_and_posts_changed():
    app = GridApp(NumberGrid([[1, 2], [3, 4]], id="g"))
    async with app.run_test() as pilot:
        grid = await focused(app, pilot)
        await pilot.press("right", "down", "-", "2", ".", "5")
        assert grid.editing == "-2.5"
        assert grid.cell_text(1, 1) == "-2.5"
        assert grid.values.tolist() == [[1, 2], [3, 4]]  # nothing stored before Enter
        await pilot.press("enter")
        await pilot.pause()
        assert grid.values.tolist() == [[1, 2], [3, -2.5]]
        assert grid.editing is None
        assert grid.cursor == (1, 1)  # Enter stays on the cell
        assert app.changed == [[[1, 2], [3, -2.5]]]
        message = app.messages[0]
        assert message.control is grid and message.grid is grid
        # The message carries a copy: changing it leaves the grid alone.
        message.values[0, 0] = 99
        assert grid.values[0, 0] == 1


async def test_exponent_only_extends_a_number():
    app = GridApp(NumberGrid([[0]]))
    async with app.run_test() as pilot:
        grid = await focused(app, pilot)
        await pilot.press("e")  # cannot start a number, so it is left alone
        assert grid.editing is None
        await pilot.press("1", "e", "2", "enter")
        await pilot.pause()
        assert grid.values.tolist() == [[100.0]]
        assert grid.rendered_lines() == ["100"]


@pytest.mark.parametrize(
    ("keys", "text"),
    [(("1", "-", "2"), "1-2"), ((".",), "."), (("-",), "-"), (("1", "e"), "1e")],
)
async def test_bad_text_posts_invalid_and_keeps_the_old_value(keys, text):
    app = GridApp(NumberGrid([[1, 2, 3], [4, 5, 6]]))
    async with app.run_test() as pilot:
        grid = await focused(app, pilot)
        await pilot.press("down", "right", "right", *keys, "enter")
        await pilot.pause()
        assert grid.values.tolist() == [[1, 2, 3], [4, 5, 6]]
        assert app.invalid == [f"row 2, column 3: {text!r} is not a number"]
        assert app.changed == []
        assert grid.editing is None
        assert grid.cell_text(1, 2) == "6"


async def test_a_number_too_large_for_a_float_is_refused():
    app = GridApp(NumberGrid([[1]]))
    async with app.run_test() as pilot:
        grid = await focused(app, pilot)
        await pilot.press("9", "e", "9", "9", "9", "enter")
        await pilot.pause()
        assert grid.values.tolist() == [[1]]
        assert app.invalid == ["row 1, column 1: '9e999' is too large"]


async def test_storing_the_same_value_posts_nothing():
    app = GridApp(NumberGrid([[2]]))
    async with app.run_test() as pilot:
        await focused(app, pilot)
        await pilot.press("2", ".", "0", "enter")
        await pilot.pause()
        assert app.messages == []


async def test_backspace_deletes_and_escape_cancels_the_edit():
    app = GridApp(NumberGrid([[7, 8]]))
    async with app.run_test() as pilot:
        grid = await focused(app, pilot)
        await pilot.press("1", "2", "3", "backspace")
        assert grid.editing == "12"
        assert grid.rendered_lines() == ["12 8"]  # the edit widens its column
        await pilot.press("escape")
        await pilot.pause()
        assert grid.editing is None
        assert grid.values.tolist() == [[7, 8]]
        assert grid.rendered_lines() == ["7 8"]
        assert app.messages == []
        assert app.actions == []  # that escape cancelled the edit; it did not reach the app
        assert grid.has_focus


async def test_escape_without_an_edit_reaches_the_screen():
    app = GridApp(NumberGrid([[7, 8]]))
    async with app.run_test() as pilot:
        await focused(app, pilot)
        await pilot.press("escape")
        assert app.actions == ["escape"]


async def test_an_arrow_commits_then_moves():
    app = GridApp(NumberGrid([[0, 0], [0, 0]]))
    async with app.run_test() as pilot:
        grid = await focused(app, pilot)
        await pilot.press("4", "right", "5", "down", "6", "left")
        await pilot.pause()
        assert grid.values.tolist() == [[4, 5], [0, 6]]
        assert grid.cursor == (1, 0)
        assert app.changed == [[[4, 0], [0, 0]], [[4, 5], [0, 0]], [[4, 5], [0, 6]]]


async def test_an_arrow_after_bad_text_stays_on_that_cell():
    app = GridApp(NumberGrid([[0, 0]]))
    async with app.run_test() as pilot:
        grid = await focused(app, pilot)
        await pilot.press("-", "right")
        await pilot.pause()
        assert grid.cursor == (0, 0)
        assert app.invalid == ["row 1, column 1: '-' is not a number"]


async def test_leaving_the_grid_keeps_what_was_typed():
    app = GridApp(NumberGrid([[0]]), NumberGrid([[0]]))
    async with app.run_test() as pilot:
        first = await focused(app, pilot)
        await pilot.press("3")
        app.grids[1].focus()
        await pilot.pause()
        assert first.values.tolist() == [[3]]
        assert app.changed == [[[3]]]


# ---------------------------------------------------------------------------------------------
# moving


async def test_arrows_move_and_stop_at_the_edges():
    app = GridApp(NumberGrid(np.zeros((3, 4))))
    async with app.run_test() as pilot:
        grid = await focused(app, pilot)
        assert grid.cursor == (0, 0)
        await pilot.press("up", "left")
        assert grid.cursor == (0, 0)
        await pilot.press("down", "right", "right")
        assert grid.cursor == (1, 2)
        await pilot.press("down", "down", "down")
        assert grid.cursor == (2, 2)
        await pilot.press("end")
        assert grid.cursor == (2, 3)
        await pilot.press("right")
        assert grid.cursor == (2, 3)
        await pilot.press("home")
        assert grid.cursor == (2, 0)
        assert app.messages == []


async def test_cursor_stays_inside_when_the_screen_shrinks_the_values():
    app = GridApp(NumberGrid(np.zeros((3, 3))))
    async with app.run_test() as pilot:
        grid = await focused(app, pilot)
        await pilot.press("down", "down", "right", "right", "5")
        grid.values = np.ones((2, 2))
        await pilot.pause()
        assert grid.cursor == (1, 1)
        assert grid.editing is None  # the cell being typed into may be gone
        grid.values = np.zeros((2, 2))  # same shape: an edit would survive
        assert grid.cursor == (1, 1)


# ---------------------------------------------------------------------------------------------
# resizing, filling, clearing


async def test_resize_keys_add_and_remove_rows_and_columns():
    app = GridApp(NumberGrid([[1, 2], [3, 4]]))
    async with app.run_test() as pilot:
        grid = await focused(app, pilot)
        await pilot.press("ctrl+right")
        await pilot.pause()
        assert grid.values.tolist() == [[1, 2, 0], [3, 4, 0]]
        await pilot.press("ctrl+down")
        await pilot.pause()
        assert grid.values.tolist() == [[1, 2, 0], [3, 4, 0], [0, 0, 0]]
        await pilot.press("ctrl+up", "ctrl+left", "ctrl+left")
        await pilot.pause()
        assert grid.values.tolist() == [[1], [3]]
        assert app.changed == [
            [[1, 2, 0], [3, 4, 0]],
            [[1, 2, 0], [3, 4, 0], [0, 0, 0]],
            [[1, 2, 0], [3, 4, 0]],
            [[1, 2], [3, 4]],
            [[1], [3]],
        ]


async def test_resize_keys_stop_at_the_limits_and_say_why():
    app = GridApp(NumberGrid([[1, 2]], title="the input", max_size=(2, 2)))
    async with app.run_test() as pilot:
        grid = await focused(app, pilot)
        await pilot.press("ctrl+up", "ctrl+right", "ctrl+down", "ctrl+down")
        await pilot.pause()
        assert grid.values.tolist() == [[1, 2], [0, 0]]
        assert app.invalid == [
            "the input needs at least 1 row",
            "the input can have at most 2 columns",
            "the input can have at most 2 rows",
        ]
        await pilot.press("ctrl+left", "ctrl+left")
        await pilot.pause()
        assert grid.values.tolist() == [[1], [0]]
        assert app.invalid[-1] == "the input needs at least 1 column"


async def test_removing_the_cursor_column_moves_the_cursor_back_inside():
    app = GridApp(NumberGrid([[1, 2, 3]]))
    async with app.run_test() as pilot:
        grid = await focused(app, pilot)
        await pilot.press("end", "ctrl+left")
        await pilot.pause()
        assert grid.cursor == (0, 1)


async def test_r_fills_with_seeded_random_integers_and_c_clears():
    grid = NumberGrid(np.zeros((2, 3)))
    grid.rng = np.random.default_rng(0)
    app = GridApp(grid)
    async with app.run_test() as pilot:
        await focused(app, pilot)
        await pilot.press("r")
        await pilot.pause()
        # default_rng(0).integers(-2, 3, size=(2, 3)): -2 inclusive, 3 exclusive
        assert grid.values.tolist() == [[2, 1, 0], [-1, -1, -2]]
        await pilot.press("c")
        await pilot.pause()
        assert grid.values.tolist() == [[0, 0, 0], [0, 0, 0]]
        assert app.changed == [[[2, 1, 0], [-1, -1, -2]], [[0, 0, 0], [0, 0, 0]]]


async def test_random_range_and_delete_key():
    grid = NumberGrid(np.ones((1, 3)), random_range=(5, 6))
    app = GridApp(grid)
    async with app.run_test() as pilot:
        await focused(app, pilot)
        await pilot.press("r")
        await pilot.pause()
        assert grid.values.tolist() == [[5, 5, 5]]
        await pilot.press("delete")
        await pilot.pause()
        assert grid.values.tolist() == [[0, 0, 0]]


# ---------------------------------------------------------------------------------------------
# keys the grid leaves alone, and grids that only display


async def test_letters_reach_the_screen_but_digits_do_not():
    app = GridApp(NumberGrid([[0]]))
    async with app.run_test() as pilot:
        grid = await focused(app, pilot)
        await pilot.press("n", "1")
        assert app.actions == ["n"]
        assert grid.editing == "1"


async def test_an_unfocused_grid_leaves_every_key_to_the_app():
    app = GridApp(NumberGrid([[0]]))
    async with app.run_test() as pilot:
        app.set_focus(None)
        await pilot.pause()
        await pilot.press("n", "1")
        assert app.actions == ["n", "1"]


async def test_a_display_only_grid_ignores_typing_and_clicks():
    grid = NumberGrid([[1, 2]], editable=False)
    app = GridApp(grid)
    async with app.run_test() as pilot:
        assert not grid.can_focus
        grid.focus()
        await pilot.pause()
        assert not grid.has_focus
        await pilot.click(NumberGrid, offset=(2, 0))
        await pilot.press("5", "enter", "r", "c", "ctrl+right", "1")
        await pilot.pause()
        assert grid.values.tolist() == [[1, 2]]
        assert grid.cursor == (0, 0)
        assert app.messages == []
        assert app.actions == ["1"]


async def test_making_a_grid_read_only_drops_focus_and_the_edit():
    app = GridApp(NumberGrid([[1]]))
    async with app.run_test() as pilot:
        grid = await focused(app, pilot)
        await pilot.press("4")
        grid.editable = False
        await pilot.pause()
        assert not grid.has_focus
        assert grid.editing is None
        assert grid.values.tolist() == [[1]]
        assert grid.has_class("-readonly")


# ---------------------------------------------------------------------------------------------
# mouse


async def test_a_click_focuses_the_grid_and_moves_the_cursor_to_that_cell():
    other = NumberGrid([[0]], id="other")
    grid = NumberGrid([[1, 22, 3], [4, 5, 6]], title="t", id="clicked")
    app = GridApp(other, grid)
    async with app.run_test() as pilot:
        await focused(app, pilot)
        # Lines: "t", "1 22 3", "4  5 6". x=3 is the second digit of 22.
        await pilot.click("#clicked", offset=(3, 1))
        await pilot.pause()
        assert grid.has_focus
        assert grid.cursor == (0, 1)
        await pilot.click("#clicked", offset=(5, 2))
        assert grid.cursor == (1, 2)
        await pilot.click("#clicked", offset=(1, 2))  # the space before a column selects it
        assert grid.cursor == (1, 1)
        await pilot.click("#clicked", offset=(0, 0))  # the title moves nothing
        assert grid.cursor == (1, 1)


async def test_a_click_on_padding_picks_the_nearest_value():
    grid = NumberGrid([[1, 2], [3, 4]])
    grid.padding = ((1, 1), (1, 1))
    app = GridApp(grid)
    async with app.run_test() as pilot:
        await pilot.click(NumberGrid, offset=(6, 3))  # bottom-right padding corner
        assert grid.cursor == (1, 1)


async def test_a_click_commits_the_edit_in_progress():
    app = GridApp(NumberGrid([[0, 0]]))
    async with app.run_test() as pilot:
        grid = await focused(app, pilot)
        await pilot.press("8")
        await pilot.click(NumberGrid, offset=(2, 0))
        await pilot.pause()
        assert grid.values.tolist() == [[8, 0]]
        assert grid.cursor == (0, 1)


# ---------------------------------------------------------------------------------------------
# what is shown


def test_padding_ring_is_drawn_as_zeros_around_the_values():
    grid = NumberGrid([[1, 2], [3, 4]], title="input")
    grid.set_display(padding=((1, 1), (1, 1)))
    assert grid.rendered_lines() == ["input", "0 0 0 0", "0 1 2 0", "0 3 4 0", "0 0 0 0"]
    assert grid.cell_text(-1, 0) == "0"
    assert grid.cell_text(2, 2) == "0"
    assert grid.cell_text(1, 0) == "3"


def test_uneven_padding_and_a_padding_value():
    grid = NumberGrid([[1, 2]])
    grid.padding = ((0, 1), (2, 0))
    assert grid.rendered_lines() == ["0 0 1 2", "0 0 0 0"]
    grid.padding_value = float("-inf")
    assert grid.rendered_lines() == ["-∞ -∞  1  2", "-∞ -∞ -∞ -∞"]  # a max pool's padding


def test_not_yet_computed_cells_show_a_dot():
    grid = NumberGrid([[1.5, np.nan], [np.nan, np.nan]], editable=False)
    assert grid.rendered_lines() == ["1.5 ·", "  · ·"]
    assert grid.cell_text(0, 1) == "·"


def test_columns_are_as_wide_as_their_widest_number():
    grid = NumberGrid([[-1.5, 10, 0], [2, 0.25, 1 / 3]])
    assert grid.rendered_lines() == ["-1.5   10     0", "   2 0.25 0.333"]
    assert grid.get_content_width(None, None) == 15
    assert grid.get_content_height(None, None, 15) == 2


def test_a_long_title_sets_the_width():
    grid = NumberGrid([[1]], title="kernel f0 c1")
    assert grid.get_content_width(None, None) == 12
    assert grid.get_content_height(None, None, 12) == 2


def test_transpose_shows_rows_as_columns_with_padding():
    grid = NumberGrid([[1, 2, 3]], transpose=True)
    assert grid.rendered_lines() == ["1", "2", "3"]
    grid.set_display(padding=((0, 0), (1, 2)))
    assert grid.rendered_lines() == ["0", "1", "2", "3", "0", "0"]


def test_values_are_copied_and_one_dimensional_values_become_a_row():
    source = np.array([[1.0, 2.0]])
    grid = NumberGrid(source)
    source[0, 0] = 9
    assert grid.values.tolist() == [[1, 2]]
    grid.values = [4, 5, 6]
    assert grid.values.shape == (1, 3)
    with pytest.raises(ValueError, match="2-D"):
        grid.values = np.zeros((2, 2, 2))


def test_set_display_sets_the_highlights_and_always_moves_the_accent():
    grid = NumberGrid([[1, 2], [3, 4]])
    grid.set_display(padding=1, window=[(-1, -1), (0, 0)], accent=(1, 1), greyed=[(1, 0)])
    assert grid.padding == ((1, 1), (1, 1))
    assert grid.window == frozenset({(-1, -1), (0, 0)})
    assert grid.accent == (1, 1)
    assert grid.greyed == frozenset({(1, 0)})
    grid.set_display()
    assert grid.accent is None
    assert grid.window == frozenset({(-1, -1), (0, 0)})  # left as it was
    with pytest.raises(ValueError, match="negative"):
        grid.set_display(padding=((0, -1), (0, 0)))


async def test_transposed_keys_follow_what_is_shown():
    grid = NumberGrid([[1, 2, 3]], transpose=True)
    app = GridApp(grid)
    async with app.run_test() as pilot:
        await focused(app, pilot)
        await pilot.press("down", "down", "7", "enter")
        await pilot.pause()
        assert grid.values.tolist() == [[1, 2, 7]]
        await pilot.press("right", "9")
        assert grid.cursor == (0, 2)  # one shown column: right stays put
        await pilot.press("escape", "ctrl+down")
        await pilot.pause()
        # A shown row is a value column: the signal grows by one sample.
        assert grid.values.tolist() == [[1, 2, 7, 0]]
        await pilot.press("ctrl+left")
        await pilot.pause()
        assert app.invalid == ["the grid needs at least 1 column"]
        await pilot.press("-", "enter")
        await pilot.pause()
        assert app.invalid[-1] == "row 3, column 1: '-' is not a number"


async def test_the_cursor_is_drawn_only_while_focused():
    grid = NumberGrid([[1, 2]])
    app = GridApp(grid)
    async with app.run_test() as pilot:

        def cell_style(x: int):
            strip = grid.render_line(0)
            segments = list(strip)
            position = 0
            for segment in segments:
                if position <= x < position + len(segment.text):
                    return segment.style
                position += len(segment.text)
            raise AssertionError("no segment at that column")

        app.set_focus(None)
        await pilot.pause()
        assert not cell_style(0).reverse
        await focused(app, pilot)
        assert cell_style(0).reverse
        assert not cell_style(2).reverse


# ---------------------------------------------------------------------------------------------
# snapshot


class SnapshotApp(App):
    CSS = "Screen { padding: 1 2; }"
    AUTO_FOCUS = None  # as on the stepper screen: no cursor until the student picks a grid

    def compose(self) -> ComposeResult:
        yield NumberGrid(
            [[1, 2, 0, 1], [0, 1, 3, 2], [2, 0, 1, 1], [1, 1, 0, 2]], title="input c0", id="g"
        )

    def on_mount(self) -> None:
        grid = self.query_one(NumberGrid)
        window = frozenset((r, c) for r in range(-1, 2) for c in range(-1, 2))
        grid.set_display(padding=((1, 1), (1, 1)), window=window, accent=(0, 0))


def test_snapshot_padding_window_and_accent(snap_compare):
    """A bold 'input c0' title over a 6x6 grid: a ring of italic dim 0s on a panel background
    around the 4x4 values; the top-left 3x3 block (two padding sides and 1 2 / 0 1) shaded as
    the window in a solid block, and the value 1 at row 0, column 0 in a strong warning colour.
    No cursor: the grid is not focused."""
    assert snap_compare(SnapshotApp(), terminal_size=(40, 12))
