"""The builder's row model: entries (with rows recovered before a failure), fold paths, limits."""

from __future__ import annotations

from cnn_tui.core.stacks.blocks import Residual
from cnn_tui.core.stacks.layers import Layer
from cnn_tui.core.stacks.shapes import MAX_NESTING
from cnn_tui.core.stacks.spec_parser import parse_layers
from cnn_tui.core.stacks.tally import tally
from cnn_tui.core.stacks.zoo import resolve_stack
from cnn_tui.core.views.builder_rows import (
    MAX_ROWS,
    build_entries,
    default_folds,
    shifted,
    swapped,
    too_big,
    too_deep,
)


def test_an_error_inside_a_block_keeps_the_rows_before_it():
    layers = parse_layers("conv(8,3) res[conv(8,3,p=1) relu conv(8,40) | conv(8,1)] fc(10)")
    result = tally(layers, (1, 28, 28))
    assert result.error is not None and result.error.path == (2, 1, 3)
    entries = {e.number: e for e in build_entries(layers, result, set())}
    assert list(entries) == ["", "1", "2", "2.1.1", "2.1.2", "2.1.3", "2.2.1", "3"]
    assert entries["2.1.1"].line.cells["output"] == "8x26x26"  # before the failure: counted
    assert entries["2.1.1"].line.cells["weights"] == "576"
    assert entries["2.1.2"].line.emphasis == "uncounted"
    assert entries["2.1.3"].line.emphasis == "error"
    assert entries["2.1.3"].incoming == (8, 26, 26)  # the form can show what it receives
    assert entries["2"].line.emphasis == "error"  # the block that holds it
    assert entries["2.2.1"].line.emphasis == "unreached"
    assert entries["3"].line.cells["output"] == "—"


def test_fold_paths_follow_inserts_deletes_and_moves():
    folds = {(2,), (4,), (4, 0, 1), (1, 1, 0)}
    assert shifted(folds, (3,), 1) == {(2,), (5,), (5, 0, 1), (1, 1, 0)}
    assert shifted(folds, (4,), -1) == {(2,), (1, 1, 0)}
    assert shifted(folds, (1, 1, 0), 1) == {(2,), (4,), (4, 0, 1), (1, 1, 1)}
    assert swapped(folds, (2,), (3,)) == {(3,), (4,), (4, 0, 1), (1, 1, 0)}
    layers = resolve_stack("resnet50").layers
    assert default_folds(layers, 200) and default_folds(layers, 100) == set()
    dense = resolve_stack("densenet121").layers
    assert all(dense[path[0]].kind == "dense" for path in default_folds(dense, 100))


def test_the_limits_count_rows_as_the_table_shows_them():
    # a block counts itself and its insides; a dense block its generated layers
    assert too_big(parse_layers(f"conv(8,3,p=1)*{MAX_ROWS}")) == ""
    assert too_big(parse_layers(f"conv(8,3,p=1)*{MAX_ROWS + 1}")).startswith(
        f"{MAX_ROWS + 1:,} rows: the builder edits stacks of up to {MAX_ROWS:,}"
    )
    assert too_big(parse_layers("res[conv(8,3,p=1) relu]*666")) == ""  # 3 rows each: 1,998
    assert too_big(parse_layers("res[conv(8,3,p=1) relu]*667")).startswith("2,001 rows")
    assert too_big(resolve_stack("densenet121").layers) == ""


def test_blocks_nested_past_the_file_limit_are_refused():
    layers: tuple[Layer, ...] = parse_layers("relu")
    for _ in range(MAX_NESTING):
        layers = (Residual(body=layers),)
    assert too_deep(layers) == ""
    deeper = (Residual(body=layers),)
    assert too_deep(deeper) == (
        f"blocks nested {MAX_NESTING + 1} levels deep: stacks nest them at most {MAX_NESTING} deep"
    )


def test_a_narrow_builder_table_keeps_the_lectures_memory_column():
    from cnn_tui.core.stacks.tally import tally
    from cnn_tui.core.stacks.zoo import get_preset
    from cnn_tui.core.views.builder_rows import BUILDER_DROPPABLE
    from cnn_tui.core.views.report import fit_columns, summary_lines

    lines = summary_lines(tally(get_preset("vgg16").stack()))
    narrow = fit_columns(lines, 78, gap=2, droppable=BUILDER_DROPPABLE)
    assert narrow == ["#", "layer", "output", "activations", "memory", "weights"]
    assert "memory" not in fit_columns(lines, 78, gap=2)  # the summary's own order differs
    assert len(fit_columns(lines, 120, gap=2, droppable=BUILDER_DROPPABLE)) == 8
