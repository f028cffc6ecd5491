"""The builder's row model: table entries from a tally, fold paths, size limits, recovered rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..stacks.blocks import Concat, DenseBlock, Residual
from ..stacks.layers import Layer
from ..stacks.shapes import MAX_NESTING, Shape
from ..stacks.stack import nesting_depth, row_count
from ..stacks.stack_edit import Layers, editable_branches, get_layer
from ..stacks.stack_edit import Path as EditPath
from ..stacks.tally import Tally, tally
from .report import SUMMARY_COLUMNS, SummaryLine, summary_lines

EXPANDED = "▾"
"""Marks a block whose children are listed below it."""
COLLAPSED = "▸"
"""Marks a block whose children are hidden."""

COLLAPSE_ABOVE = 150
"""A loaded stack with more rows than this opens with its blocks folded (resnet50 and up):
the table stays readable. Speed is not the reason: resnet152's 516 rows tally in about 8 ms
and fill the table in about 20 ms."""

MAX_ROWS = 2_000
"""The most rows the builder edits: each change re-tallies and refills the table, about 0.1 s
per 600 rows, so 2,000 keeps a key press under half a second. `cnn-tui summary` and the
calculators take bigger stacks."""

ALL_DEPTHS = 1_000
"""summary_lines depth that lists every row, however deeply nested."""

DASH = "—"
"""The cells of a layer the tally did not reach."""


@dataclass(frozen=True)
class TableEntry:
    """One row of the builder's table and what it stands for in the stack."""

    number: str
    """'5.1.2' as in the tally; '' for the input line."""
    kind: str
    """'input', 'layer', 'dense' (a dense block's generated layer: fixed), or 'shortcut' (the
    empty shortcut of a res block, where a projection can be added)."""
    path: EditPath | None
    """The editing path (0-based) of the layer; for 'shortcut', the res block's path."""
    layer: Layer | None
    line: SummaryLine
    """The cells and emphasis shown."""
    incoming: Shape | None = None
    """The shape the layer receives, when the layers before it fit."""
    outgoing: Shape | None = None
    """The shape it gives, when it fits."""


BUILDER_DROPPABLE: tuple[str, ...] = ("biases", "MACs", "activations")
"""What the builder's table drops when narrow (80 columns: biases, then MACs), first to last:
it keeps the lecture's VGG table (layer, output, memory, weights), the totals keep the MACs."""


def number_of(path: EditPath) -> str:
    """(4, 0, 1) -> '5.1.2'."""
    return ".".join(str(index + 1) for index in path)


def block_caption(layer: Layer) -> str:
    """A block's label while its children are listed below it."""
    if isinstance(layer, Residual):
        shortcut = (
            f"{len(layer.shortcut)}-layer projection" if layer.shortcut else "identity shortcut"
        )
        return f"res: {len(layer.body)}-layer body + {shortcut}"
    if isinstance(layer, Concat):
        return f"cat: {len(layer.paths)} branches joined on channels"
    return layer.label()


def layer_cell(layer: Layer, depth: int, expanded: bool) -> str:
    """The 'layer' cell: indented by depth, a block marked folded or expanded."""
    indent = "  " * depth
    if not layer.is_block:
        return indent + layer.label()
    if expanded:
        return f"{indent}{EXPANDED} {block_caption(layer)}"
    return f"{indent}{COLLAPSED} {layer.label()}"


def _blank_cells(number: str, layer_text: str, fill: str = DASH) -> dict[str, str]:
    cells = dict.fromkeys(SUMMARY_COLUMNS, fill)
    cells.update({"#": number, "layer": layer_text})
    return cells


# ---------------------------------------------------------------------------------------------
# rows the tally dropped


def _lines_before_failure(layers: Layers, result: Tally) -> dict[str, SummaryLine]:
    """Rows inside the failing block that come before the failing layer.

    The tally drops a block's children when one of them fails; here each branch before the
    failure is tallied on its own, on the block's input, and renumbered into place."""
    error = result.error
    if error is None or len(error.path) < 3:
        return {}
    top = error.path[0]
    tops = {row.number: row for row in result.top_rows}
    if top == 1:
        shape_in: Shape = result.input_shape
    elif str(top - 1) in tops:
        shape_in = tops[str(top - 1)].output_shape
    else:
        return {}
    return _recover(layers, error.path, shape_in, "", result)


def _recover(
    siblings: Sequence[Layer], path: tuple[int, ...], shape_in: Shape, prefix: str, result: Tally
) -> dict[str, SummaryLine]:
    """The rows before the failure at `path` (1-based, below `siblings`), each branch of the
    failing block re-tallied on `shape_in`, numbered after `prefix`."""
    found: dict[str, SummaryLine] = {}
    if len(path) < 3 or not 0 < path[0] <= len(siblings):
        return found
    branches = editable_branches(siblings[path[0] - 1])
    failing_branch, failing_index = path[1], path[2]
    for number, branch in enumerate(branches[:failing_branch], start=1):
        head = branch if number < failing_branch else branch[: failing_index - 1]
        base = f"{prefix}{path[0]}.{number}."
        inner: Shape | None = shape_in
        if head:
            part = tally(
                head,
                shape_in,
                batch=result.batch,
                dtype=result.dtype,
                optimizer=result.optimizer,
            )
            if part.error is not None:
                continue
            for line in summary_lines(part, depth=ALL_DEPTHS)[1:]:
                assert line.row is not None
                emphasis = "" if line.row.counted else "uncounted"
                found[base + line.row.number] = SummaryLine(dict(line.cells), emphasis, line.row)
            inner = part.output_shape
        if number == failing_branch and len(path) > 3 and inner is not None:
            found.update(_recover(branch, path[2:], inner, base, result))
    return found


# ---------------------------------------------------------------------------------------------
# the table's entries


@dataclass
class _Entries:
    """Walks a stack into table entries (build_entries' state)."""

    result: Tally
    collapsed: frozenset[EditPath] | set[EditPath]
    lines: list[SummaryLine]
    by_number: dict[str, SummaryLine]
    failing: str
    entries: list[TableEntry] = field(default_factory=list)

    def status_of(self, number: str) -> str:
        if number in self.by_number:
            return "ok"
        failing = self.failing
        if failing and (failing == number or failing.startswith(number + ".")):
            return "error"
        return "unreached"

    def visit(
        self,
        siblings: Sequence[Layer],
        numbers: tuple[int, ...],
        paths: EditPath,
        depth: int,
        shape: Shape | None,
    ) -> None:
        for index, layer in enumerate(siblings):
            here = (*numbers, index + 1)
            path = (*paths, index)
            number = ".".join(str(n) for n in here)
            expanded = layer.is_block and path not in self.collapsed
            text = layer_cell(layer, depth, expanded)
            status = self.status_of(number)
            found = self.by_number.get(number)
            outgoing: Shape | None = None
            if status == "ok" and found is not None:
                line = SummaryLine({**found.cells, "layer": text}, found.emphasis, found.row)
                outgoing = found.row.output_shape if found.row is not None else None
            else:
                line = SummaryLine(_blank_cells(number, text), status)
            self.entries.append(TableEntry(number, "layer", path, layer, line, shape, outgoing))
            if expanded:
                self.inside(layer, here, path, depth, shape)
            shape = outgoing

    def inside(
        self, layer: Layer, here: tuple[int, ...], path: EditPath, depth: int, shape: Shape | None
    ) -> None:
        """The rows of an expanded block, below its own."""
        number = ".".join(str(n) for n in here)
        if isinstance(layer, DenseBlock):
            self.dense_rows(number, path)
            return
        for branch_index, branch in enumerate(editable_branches(layer)):
            if branch:
                inner = (*here, branch_index + 1)
                self.visit(branch, inner, (*path, branch_index), depth + 1, shape)
            elif isinstance(layer, Residual) and branch_index == 1:
                self.shortcut_row(number, path, depth, shape)

    def dense_rows(self, number: str, path: EditPath) -> None:
        """A dense block's generated layers, as the tally lists them."""
        prefix = number + "."
        for child in self.lines[1:]:
            if child.row is not None and child.row.number.startswith(prefix):
                cells = {**child.cells, "layer": "  " * child.row.depth + child.row.label}
                self.entries.append(
                    TableEntry(
                        child.row.number,
                        "dense",
                        path,
                        None,
                        SummaryLine(cells, child.emphasis, child.row),
                        child.row.input_shape,
                        child.row.output_shape,
                    )
                )

    def shortcut_row(self, number: str, path: EditPath, depth: int, shape: Shape | None) -> None:
        """The empty shortcut of a res block, where a projection can be added."""
        note = "  " * (depth + 1) + "identity shortcut (a adds a projection)"
        cells = _blank_cells(f"{number}.2", note, "")
        self.entries.append(
            TableEntry(
                f"{number}.2", "shortcut", path, None, SummaryLine(cells, "unreached"), shape
            )
        )


def build_entries(
    layers: Layers, result: Tally, collapsed: frozenset[EditPath] | set[EditPath]
) -> list[TableEntry]:
    """The table's rows: the input line, then every layer with its tally cells, blocks before
    their children (unless folded); the failing layer and those after it get dashes."""
    lines = summary_lines(result, depth=ALL_DEPTHS)
    by_number = {line.row.number: line for line in lines[1:] if line.row is not None}
    for number, line in _lines_before_failure(layers, result).items():
        by_number.setdefault(number, line)
    error = result.error
    failing = ".".join(str(p) for p in error.path) if error is not None and error.path else ""
    first = lines[0]
    walk = _Entries(result, collapsed, lines, by_number, failing)
    walk.entries.append(
        TableEntry(
            "",
            "input",
            None,
            None,
            SummaryLine({**first.cells, "#": ""}, "input"),
            None,
            result.input_shape,
        )
    )
    walk.visit(layers, (), (), 0, result.input_shape)
    return walk.entries


# ---------------------------------------------------------------------------------------------
# limits


def too_big(layers: Sequence[Layer]) -> str:
    """Why the builder will not take layers, or '' when it will."""
    rows = row_count(layers)
    if rows <= MAX_ROWS:
        return ""
    return (
        f"{rows:,} rows: the builder edits stacks of up to {MAX_ROWS:,}"
        " (cnn-tui summary and the calculators take bigger ones)"
    )


def too_deep(layers: Sequence[Layer]) -> str:
    """Why the builder will not nest blocks so deep ('' when it will): a stack file must load."""
    depth = nesting_depth(layers)
    if depth <= MAX_NESTING:
        return ""
    return f"blocks nested {depth} levels deep: stacks nest them at most {MAX_NESTING} deep"


# ---------------------------------------------------------------------------------------------
# fold paths


def block_paths(layers: Sequence[Layer], prefix: EditPath = ()) -> list[EditPath]:
    """The editing path of every block, nested ones included."""
    found: list[EditPath] = []
    for index, layer in enumerate(layers):
        path = (*prefix, index)
        if layer.is_block:
            found.append(path)
            for branch_index, branch in enumerate(editable_branches(layer)):
                found += block_paths(branch, (*path, branch_index))
    return found


def default_folds(layers: Sequence[Layer], rows: int) -> set[EditPath]:
    """Blocks folded when a stack opens: all of them for a long table, else dense blocks (whose
    generated layers cannot be edited one by one)."""
    paths = block_paths(layers)
    if rows > COLLAPSE_ABOVE:
        return set(paths)
    return {path for path in paths if isinstance(get_layer(tuple(layers), path), DenseBlock)}


def shifted(folds: set[EditPath], at: EditPath, step: int) -> set[EditPath]:
    """Fold paths after a layer was inserted at `at` (step 1) or deleted there (step -1)."""
    level = len(at) - 1
    moved: set[EditPath] = set()
    for path in folds:
        same_list = len(path) > level and path[:level] == at[:level]
        if not same_list or path[level] < at[level]:
            moved.add(path)
        elif step < 0 and path[level] == at[level]:
            continue  # folded block (or one inside it) deleted
        else:
            moved.add((*path[:level], path[level] + step, *path[level + 1 :]))
    return moved


def swapped(folds: set[EditPath], one: EditPath, other: EditPath) -> set[EditPath]:
    """Fold paths after two neighbouring siblings traded places."""
    moved: set[EditPath] = set()
    for path in folds:
        if path[: len(one)] == one:
            moved.add((*other, *path[len(one) :]))
        elif path[: len(other)] == other:
            moved.add((*one, *path[len(other) :]))
        else:
            moved.add(path)
    return moved
