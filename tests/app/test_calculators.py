"""Pilot tests for the calculators screen: sizes, parameters, receptive fields and summaries."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from calculators_pilot import screen_of, set_value
from pilot_waits import wait_for
from textual.widgets import Checkbox, Input, Select, TabbedContent, Tabs
from textual.widgets._tabbed_content import ContentTab

from cnn_tui.app.app import CnnTuiApp
from cnn_tui.app.screens.help import help_rows
from cnn_tui.app.widgets.calculators.panel import CalcPanel
from cnn_tui.app.widgets.calculators.receptive_table import ReceptiveFieldTable
from cnn_tui.app.widgets.common.message import CalcMessage
from cnn_tui.app.widgets.common.result_panel import CalcResult
from cnn_tui.app.widgets.common.tally_table import TallyTable
from cnn_tui.core.stacks.tally import short_bytes, tally
from cnn_tui.core.stacks.zoo import resolve_stack
from cnn_tui.core.views.report import (
    conv_params_formula,
    fit_columns,
    linear_params_formula,
    summary_lines,
    transposed_formula,
)

SIZE = (80, 24)
FAILING_SPEC = "conv(20,5) relu maxpool(2) conv(50,5) relu maxpool(2) conv(50,5)"


def calculators() -> CnnTuiApp:
    return CnnTuiApp(mode="calculators")


def result(pilot, widget_id: str) -> CalcResult:
    return screen_of(pilot).query_one(f"#{widget_id}", CalcResult)


def message(pilot, widget_id: str) -> CalcMessage:
    return screen_of(pilot).query_one(f"#{widget_id}", CalcMessage)


async def type_into(pilot, input_id: str, text: str) -> None:
    """Focus the field, clear it with keys and type text one key at a time."""
    field = screen_of(pilot).query_one(f"#{input_id}", Input)
    field.focus()
    await pilot.pause()
    await pilot.press("end", "ctrl+u", *text)
    await pilot.pause()


async def show_tab(pilot, pane_id: str) -> None:
    screen_of(pilot).query_one("#calc-tabs", TabbedContent).active = pane_id
    await pilot.pause()


def row_text(table, index: int) -> list[str]:
    return [str(cell) for cell in table.get_row_at(index)]


# ---------------------------------------------------------------------------------------------
# conv / pool size


async def test_opens_on_the_lecture_conv_size_with_its_formula():
    async with calculators().run_test(size=SIZE) as pilot:
        assert screen_of(pilot).query_one("#calc-tabs", TabbedContent).active == "tab-size"
        text = result(pilot, "size-result").text
        assert "output size  (32 - 5 + 2*0) / 1 + 1 = 28" in text
        assert "transposed   (32 - 1)*1 - 2*0 + 1*(5 - 1) + 0 + 1 = 36" in text
        assert not message(pilot, "size-message").display


async def test_typed_keys_update_the_size_and_explain_the_uncovered_cell():
    async with calculators().run_test(size=SIZE) as pilot:
        await type_into(pilot, "size-w", "7")
        await type_into(pilot, "size-f", "3")
        await type_into(pilot, "size-s", "3")
        text = result(pilot, "size-result").text
        assert "floor((7 - 3 + 2*0) / 3) + 1 = 2" in text
        assert (
            "input index 6 is never used: it lies past the last window (ending at 5), as (7 - 3) is"
            " not a multiple of the stride 3"
        ) in text


async def test_a_long_explanation_wraps_under_its_own_text():
    async with calculators().run_test(size=SIZE) as pilot:
        for input_id, value in [
            ("size-w", "20"),
            ("size-f", "3"),
            ("size-s", "2"),
            ("size-p", "1"),
            ("size-d", "3"),
        ]:
            await set_value(pilot, input_id, value)
        widget = result(pilot, "size-result")
        assert (
            "input indices 0, 18 are never used: index 0 falls in a gap of the dilated kernel"
            " (dilation 3) and would need a window starting before the padding; index 18 falls"
            " in a gap of the dilated kernel and would need a window running past the end of the"
            " padding"
        ) in widget.text
        shown = str(widget.render()).splitlines()
        assert shown[1] == (
            "             input indices 0, 18 are never used: index 0 falls in a gap of the"
        )
        # the continuation lines keep to the text's column, none runs past the screen
        assert all(line.startswith(" " * 13) for line in shown[2:5])
        assert max(len(line) for line in shown) <= SIZE[0]


async def test_same_padding_keeps_the_size_and_needs_stride_one():
    async with calculators().run_test(size=SIZE) as pilot:
        await set_value(pilot, "size-p", "same")
        text = result(pilot, "size-result").text
        assert "(32 - 5 + 2*2) / 1 + 1 = 32" in text
        assert "transposed   takes a number for padding" in text
        await set_value(pilot, "size-s", "2")
        assert message(pilot, "size-message").text == (
            "padding: 'same' needs stride 1 (as in PyTorch)"
        )


async def test_ceil_mode_checkbox_rounds_a_pooling_window_up():
    async with calculators().run_test(size=SIZE) as pilot:
        await set_value(pilot, "size-w", "7")
        await set_value(pilot, "size-f", "2")
        await set_value(pilot, "size-s", "2")
        assert "floor((7 - 2 + 2*0) / 2) + 1 = 3" in result(pilot, "size-result").text
        await pilot.click("#size-ceil")
        await pilot.pause()
        assert screen_of(pilot).query_one("#size-ceil", Checkbox).value
        assert "ceil((7 - 2 + 2*0) / 2) + 1 = 4" in result(pilot, "size-result").text


async def test_a_bad_value_names_the_field_and_keeps_the_last_result_dimmed():
    async with calculators().run_test(size=SIZE) as pilot:
        await type_into(pilot, "size-f", "abc")
        shown = message(pilot, "size-message")
        assert shown.text == "kernel: expected a whole number, got 'abc'"
        assert shown.display and shown.has_class("-error")
        size_result = result(pilot, "size-result")
        assert "(32 - 5 + 2*0) / 1 + 1 = 28" in size_result.text
        assert size_result.has_class("-stale")
        await type_into(pilot, "size-f", "3")
        assert not shown.display
        assert not size_result.has_class("-stale")
        assert "(32 - 3 + 2*0) / 1 + 1 = 30" in size_result.text


@pytest.mark.parametrize(
    ("input_id", "value", "expected"),
    [
        ("size-w", "", "size: expected a whole number, got nothing"),
        ("size-s", "0", "stride: must be at least 1, got 0"),
        ("size-p", "-1", "padding: must be 0 or more, got -1"),
        ("size-f", "40", "kernel: input is 32 (padded 32), smaller than the kernel span 40"),
        ("size-d", "1.5", "dilation: expected a whole number, got '1.5'"),
    ],
)
async def test_each_bad_size_field_gets_its_own_message(input_id, value, expected):
    async with calculators().run_test(size=SIZE) as pilot:
        await set_value(pilot, input_id, value)
        assert message(pilot, "size-message").text == expected
        assert "= 28" in result(pilot, "size-result").text


async def test_a_huge_size_is_refused_instead_of_stalling():
    async with calculators().run_test(size=SIZE) as pilot:
        await set_value(pilot, "size-w", "100000000")
        assert message(pilot, "size-message").text.startswith("size: 99,999,996 windows of 5")


# ---------------------------------------------------------------------------------------------
# parameters


async def test_conv_parameters_of_the_lectures_six_filters():
    async with calculators().run_test(size=SIZE) as pilot:
        await show_tab(pilot, "tab-params")
        text = result(pilot, "conv-result").text
        assert "parameters    (5*5*3)*6 + 6 = 456" in text
        assert "450 weights + 6 biases" in text
        assert "output shape  6x28x28  (3x32x32 in)" in text


async def test_conv_parameters_follow_bias_groups_and_an_empty_size():
    async with calculators().run_test(size=SIZE) as pilot:
        await show_tab(pilot, "tab-params")
        await pilot.click("#conv-bias")
        await pilot.pause()
        assert "(5*5*3)*6 = 450" in result(pilot, "conv-result").text
        await set_value(pilot, "conv-cin", "4")
        await set_value(pilot, "conv-k", "8")
        await set_value(pilot, "conv-groups", "2")
        assert "(5*5*4/2)*8 = 400" in result(pilot, "conv-result").text
        await set_value(pilot, "conv-groups", "3")
        assert message(pilot, "conv-message").text.startswith("groups: ")
        await set_value(pilot, "conv-groups", "1")
        await set_value(pilot, "conv-w", "")
        assert "output shape  type W to see it" in result(pilot, "conv-result").text
        await set_value(pilot, "conv-w", "3")
        assert message(pilot, "conv-message").text.startswith("kernel: input is 3")


async def test_linear_parameters_of_the_mnist_hidden_layer():
    async with calculators().run_test(size=SIZE) as pilot:
        await show_tab(pilot, "tab-params")
        assert "parameters  800*500 + 500 = 400,500" in result(pilot, "linear-result").text
        await set_value(pilot, "linear-out", "x")
        assert message(pilot, "linear-message").text == (
            "out features: expected a whole number, got 'x'"
        )
        assert result(pilot, "linear-result").has_class("-stale")
        await set_value(pilot, "linear-out", "10")
        assert "800*10 + 10 = 8,010" in result(pilot, "linear-result").text


# ---------------------------------------------------------------------------------------------
# receptive field


async def test_receptive_field_of_a_small_spec_grows_3_5_6():
    async with calculators().run_test(size=SIZE) as pilot:
        await show_tab(pilot, "tab-field")
        await set_value(pilot, "field-spec", "conv(8,3) conv(8,3) maxpool(2)")
        table = screen_of(pilot).query_one("#field-table", ReceptiveFieldTable)
        assert table.row_count == 3
        rows = [row_text(table, i) for i in range(3)]
        assert [row[3] for row in rows] == ["3x3", "5x5", "6x6"]
        assert [row[4] for row in rows] == ["1", "1", "2"]
        assert rows[0][:3] == ["1", "conv(8,3)", "8x26x26"]
        await set_value(pilot, "field-input", "3x32x32")
        assert row_text(table, 0)[2] == "8x30x30"


async def test_receptive_field_of_vgg16_reaches_the_whole_input():
    async with calculators().run_test(size=SIZE) as pilot:
        await show_tab(pilot, "tab-field")
        await set_value(pilot, "field-spec", "vgg16")
        screen = screen_of(pilot)
        table = screen.query_one("#field-table", ReceptiveFieldTable)
        assert table.row_count == 40
        assert row_text(table, 30)[3] == "212x212"  # after the last max pool
        assert row_text(table, 33)[3] == "whole input"
        assert "input 3x224x224" in str(screen.query_one("#field-title").render())


async def test_receptive_field_through_adaptive_pools_marks_and_names_unequal_windows():
    async with calculators().run_test(size=SIZE) as pilot:
        await show_tab(pilot, "tab-field")
        await set_value(pilot, "field-spec", "vgg16")
        table = screen_of(pilot).query_one("#field-table", ReceptiveFieldTable)
        # 7x7 pooled to 7x7: an identity, the field stays
        assert row_text(table, 31)[1:6] == ["adaptiveavgpool(7)", "512x7x7", "212x212", "32", "16"]
        assert not message(pilot, "field-message").display
        await set_value(pilot, "field-spec", "conv(8,3) adaptiveavgpool(4) conv(4,3,p=1)")
        await set_value(pilot, "field-input", "1x8x8")
        assert [row_text(table, i)[3:5] for i in range(3)] == [
            ["3x3", "1"],
            ["4x4", "≤2"],
            ["≤8x8", "≤2"],
        ]
        note = message(pilot, "field-message")
        assert note.display and note.has_class("-info")
        assert note.text.startswith("≤: layer 2 adaptiveavgpool(4) pools windows of unequal")


async def test_receptive_field_errors_keep_the_last_table():
    async with calculators().run_test(size=SIZE) as pilot:
        await show_tab(pilot, "tab-field")
        table = screen_of(pilot).query_one("#field-table", ReceptiveFieldTable)
        before = table.row_count
        await set_value(pilot, "field-input", "3x4")
        assert message(pilot, "field-message").text.startswith("input shape: '3x4' must be")
        assert table.row_count == before and table.has_class("-stale")
        await set_value(pilot, "field-input", "1x6x6")
        assert message(pilot, "field-message").text.startswith("layer ")


# ---------------------------------------------------------------------------------------------
# summary


async def test_summary_opens_on_seed_mnist():
    async with calculators().run_test(size=SIZE) as pilot:
        await show_tab(pilot, "tab-summary")
        table = screen_of(pilot).query_one("#summary-table", TallyTable)
        assert table.row_count == 12  # the input line and 11 layers
        assert "431,080 (431.1 K)" in result(pilot, "summary-totals").text


async def test_summary_of_vgg16_shows_the_lectures_totals_and_first_conv():
    async with calculators().run_test(size=SIZE) as pilot:
        await show_tab(pilot, "tab-summary")
        await type_into(pilot, "summary-model", "vgg16")
        table = screen_of(pilot).query_one("#summary-table", TallyTable)
        assert table.row_count == 41
        first = dict(zip(table.columns_shown, row_text(table, 1), strict=True))
        assert first["#"] == "1"
        assert first["layer"] == "conv(64,3,p=1)"
        assert first["output"] == "64x224x224"
        assert first["activations"] == "3,211,264"
        assert first["weights"] == "1,728"
        totals = result(pilot, "summary-totals").text
        assert "parameters   138,357,544 (138.4 M) = 138,344,128 weights + 13,416 biases" in totals
        assert "15,237,608 (15.2 M)" in totals
        assert "most params  layer 34 fc(4096): 102,764,544 parameters" in totals
        assert not message(pilot, "summary-message").display


async def test_summary_drops_biases_then_memory_on_a_narrow_screen():
    async with calculators().run_test(size=SIZE) as pilot:
        await show_tab(pilot, "tab-summary")
        await set_value(pilot, "summary-model", "vgg16")
        table = screen_of(pilot).query_one("#summary-table", TallyTable)
        assert "biases" not in table.columns_shown
        assert table.columns_shown[:3] == ("#", "layer", "output")
    async with calculators().run_test(size=(120, 40)) as pilot:
        await show_tab(pilot, "tab-summary")
        await set_value(pilot, "summary-model", "vgg16")
        table = screen_of(pilot).query_one("#summary-table", TallyTable)
        assert table.columns_shown == (
            "#",
            "layer",
            "output",
            "activations",
            "memory",
            "weights",
            "biases",
            "MACs",
        )
        assert row_text(table, 1)[4] == "12.2 MiB"


async def test_summary_shows_the_rows_that_fit_and_the_failing_layer():
    async with calculators().run_test(size=SIZE) as pilot:
        await show_tab(pilot, "tab-summary")
        await set_value(pilot, "summary-model", FAILING_SPEC)
        shown = message(pilot, "summary-message")
        assert shown.text == "layer 7 conv(50,5): input is 4x4, smaller than the 5x5 kernel"
        assert shown.has_class("-error")
        table = screen_of(pilot).query_one("#summary-table", TallyTable)
        assert table.row_count == 7  # input line and the six layers that fit
        assert row_text(table, 6)[1] == "maxpool(2)"
        assert not table.has_class("-stale")


async def test_summary_parse_error_gives_the_column_and_keeps_the_table():
    async with calculators().run_test(size=SIZE) as pilot:
        await show_tab(pilot, "tab-summary")
        await set_value(pilot, "summary-model", "conv(20,5) relu foo(3)")
        assert message(pilot, "summary-message").text.startswith(
            "model: column 17: unknown layer 'foo'"
        )
        table = screen_of(pilot).query_one("#summary-table", TallyTable)
        assert table.row_count == 12 and table.has_class("-stale")
        assert result(pilot, "summary-totals").has_class("-stale")
        await set_value(pilot, "summary-model", "vg")
        assert message(pilot, "summary-message").text.startswith("model: 'vg' is not a preset")
        await set_value(pilot, "summary-model", "")
        assert message(pilot, "summary-message").text.startswith("model: type a preset")


async def test_summary_batch_dtype_and_optimizer_change_the_memory():
    async with calculators().run_test(size=SIZE) as pilot:
        await show_tab(pilot, "tab-summary")
        screen = screen_of(pilot)
        await set_value(pilot, "summary-batch", "32")
        screen.query_one("#summary-dtype", Select).value = "fp16"
        screen.query_one("#summary-optimizer", Select).value = "adam"
        await pilot.pause()
        expected = tally(resolve_stack("seed-mnist"), batch=32, dtype="fp16", optimizer="adam")
        totals = result(pilot, "summary-totals").text
        assert f"{short_bytes(expected.totals.training_bytes)} per step, batch 32, fp16, adam" in (
            totals
        )
        assert f"optimizer state {short_bytes(expected.totals.optimizer_bytes)}" in totals
        await set_value(pilot, "summary-batch", "0")
        assert message(pilot, "summary-message").text == "batch: must be at least 1, got 0"
        await set_value(pilot, "summary-input", "3x32x32x1")
        await set_value(pilot, "summary-batch", "1")
        assert message(pilot, "summary-message").text.startswith("input shape: ")


async def test_dim_rows_follow_a_theme_switch():
    async with calculators().run_test(size=SIZE) as pilot:
        await show_tab(pilot, "tab-summary")
        table = screen_of(pilot).query_one("#summary-table", TallyTable)
        relu = table.get_row_at(2)[1]
        assert str(relu) == "relu"
        before = relu.style.color
        await pilot.press("ctrl+t")
        await pilot.pause()
        after = table.get_row_at(2)[1].style.color
        assert after == table.get_component_rich_style("tally-table--uncounted").color
        assert after != before


async def test_a_big_stack_is_tallied_by_a_worker_while_the_screen_stays_live(monkeypatch):
    from cnn_tui.app.widgets.calculators import summary_panel as module

    release = threading.Event()

    def slow_tally(*args, **kwargs):
        # holds the worker thread until the test has looked at the screen meanwhile
        assert threading.current_thread() is not threading.main_thread()
        release.wait(10)
        return tally(*args, **kwargs)

    async with calculators().run_test(size=SIZE) as pilot:
        await show_tab(pilot, "tab-summary")
        await set_value(pilot, "summary-input", "8x16x16")
        monkeypatch.setattr(module, "tally", slow_tally)
        await set_value(pilot, "summary-model", "conv(8,3,p=1)*3000")
        screen = screen_of(pilot)
        shown = message(pilot, "summary-message")
        assert shown.text == "counting 3,000 layers..." and shown.has_class("-info")
        table = screen.query_one("#summary-table", TallyTable)
        assert table.has_class("-stale") and table.row_count == 12
        await set_value(pilot, "summary-batch", "x")  # the form still answers meanwhile
        assert shown.text == "batch: expected a whole number, got 'x'"
        await set_value(pilot, "summary-batch", "2")
        release.set()
        await screen.workers.wait_for_complete()
        await pilot.pause()
        assert table.row_count == 3001 and not table.has_class("-stale")
        assert "parameters   1,752,000 (1.8 M)" in result(pilot, "summary-totals").text
        assert "batch 2, fp32" in result(pilot, "summary-totals").text
        assert not shown.display


async def test_a_big_receptive_field_is_traced_by_a_worker():
    async with calculators().run_test(size=SIZE) as pilot:
        await show_tab(pilot, "tab-field")
        await set_value(pilot, "field-input", "8x16x16")
        await set_value(pilot, "field-spec", "conv(8,3,p=1)*2500")
        screen = screen_of(pilot)
        await screen.workers.wait_for_complete()
        await pilot.pause()
        table = screen.query_one("#field-table", ReceptiveFieldTable)
        assert table.row_count == 2500
        assert row_text(table, 2499)[3] == "5001x5001"
        assert not message(pilot, "field-message").display
        await set_value(pilot, "field-spec", "conv(8,3,p=1)*2500 conv(8,40)")
        await screen.workers.wait_for_complete()
        await pilot.pause()
        assert message(pilot, "field-message").text.startswith("layer 2501 conv(8,40): ")
        assert table.has_class("-stale")


async def test_absurd_repeats_are_refused_before_they_are_built():
    async with calculators().run_test(size=SIZE) as pilot:
        await show_tab(pilot, "tab-summary")
        await set_value(pilot, "summary-model", "relu*20000")
        assert message(pilot, "summary-message").text == (
            "model: column 6: a stack of more than 10,000 layers is too big"
        )
        await set_value(pilot, "summary-model", "relu*999999999999")
        assert message(pilot, "summary-message").text == (
            "model: column 6: a stack of more than 10,000 layers is too big"
        )
        await set_value(pilot, "summary-model", "res[relu*9000]*9000")
        assert message(pilot, "summary-message").text == (
            "model: 81,009,000 layers (blocks counted with their insides); a stack holds at "
            "most 10,000"
        )


# ---------------------------------------------------------------------------------------------
# tabs and keys


async def test_only_the_shown_tab_is_built_and_the_others_when_first_shown():
    """Item 14 (first paint): the tabs not shown are composed when first opened."""
    async with calculators().run_test(size=SIZE) as pilot:
        screen = screen_of(pilot)
        built = {pane.id for pane in screen.query(CalcPanel) if pane.built}
        assert built == {"tab-size"}
        assert not screen.query("#conv-result")
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: bool(screen.query("#conv-result")))
        assert "= 456" in result(pilot, "conv-result").text
        assert not screen.query(ReceptiveFieldTable)


async def test_brackets_switch_tabs_and_are_typed_inside_a_field():
    async with calculators().run_test(size=SIZE) as pilot:
        screen = screen_of(pilot)
        tabs = screen.query_one("#calc-tabs", TabbedContent)
        assert isinstance(screen.focused, Tabs)
        await pilot.press("right_square_bracket")
        assert tabs.active == "tab-params"
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert tabs.active == "tab-summary"
        await pilot.press("left_square_bracket")
        assert tabs.active == "tab-field"
        await type_into(pilot, "field-spec", "[conv(8,3) relu]*2")
        assert tabs.active == "tab-field"
        assert screen.query_one("#field-spec", Input).value == "[conv(8,3) relu]*2"
        assert screen.query_one("#field-table", ReceptiveFieldTable).row_count == 4
        await pilot.press("escape", "right_square_bracket")
        assert tabs.active == "tab-summary"


async def test_tabs_switch_with_the_mouse():
    async with calculators().run_test(size=SIZE) as pilot:
        await pilot.click(f"#{ContentTab.add_prefix('tab-summary')}")
        await pilot.pause()
        assert screen_of(pilot).query_one("#calc-tabs", TabbedContent).active == "tab-summary"


async def test_help_lists_the_tab_keys():
    async with calculators().run_test(size=SIZE) as pilot:
        rows = {description: tooltip for _, description, tooltip in help_rows(screen_of(pilot))}
        assert rows["Prev tab"] == "The calculator tab to the left"
        assert rows["Next tab"] == "The calculator tab to the right"
        await pilot.press("question_mark")
        assert type(pilot.app.screen).__name__ == "HelpScreen"


def test_the_screen_never_imports_torch():
    probe = (
        "import sys\nfrom cnn_tui.app.screens import calculators\nprint('torch' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


# ---------------------------------------------------------------------------------------------
# the shared text in cnn_tui.core.views.report


def test_formulas_match_the_cli():
    assert conv_params_formula(5, 3, 6) == "(5*5*3)*6 + 6 = 456"
    assert conv_params_formula(3, 64, 64, groups=64, bias=False) == "(3*3*64/64)*64 = 576"
    assert linear_params_formula(800, 500) == "800*500 + 500 = 400,500"
    assert transposed_formula(4, 3, 2, 1, 1) == "(4 - 1)*2 - 2*1 + 1*(3 - 1) + 1 + 1 = 8"


def test_fit_columns_drops_biases_then_memory():
    lines = summary_lines(tally(resolve_stack("vgg16")))
    assert "biases" in fit_columns(lines, 200)
    narrow = fit_columns(lines, 95)
    assert "biases" not in narrow and "memory" in narrow
    assert fit_columns(lines, 60) == ["#", "layer", "output", "activations", "weights", "MACs"]


# ---------------------------------------------------------------------------------------------
# snapshots


def test_snapshot_conv_size_tab_80x24(snap_compare):
    """The Conv / pool size tab at 80x24: the five fields with hints, the ceil-mode checkbox,
    'output size  (32 - 5 + 2*0) / 1 + 1 = 28' and the transposed line; the footer shows
    [ Prev tab and ] Next tab."""
    assert snap_compare(calculators(), terminal_size=(80, 24))


def test_snapshot_summary_of_vgg16_120x40(snap_compare):
    """The Summary tab at 120x40 on vgg16: all eight columns (memory and biases included), the
    first conv row bold in the warning colour (most memory), relu rows dim, and the totals below
    the table from 'parameters   138,357,544 (138.4 M)' to 'output       1000'."""

    async def open_vgg16(pilot) -> None:
        await show_tab(pilot, "tab-summary")
        await set_value(pilot, "summary-model", "vgg16")

    assert snap_compare(calculators(), terminal_size=(120, 40), run_before=open_vgg16)
