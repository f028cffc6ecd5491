"""Per-layer and total parameters, activations, MACs and memory estimates for a stack."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from .arithmetic import INPUT_FIELD, FieldStep, receptive_field_step
from .layers import (
    AdaptiveAvgPool2d,
    Concat,
    DenseBlock,
    Flatten,
    Layer,
    Residual,
    Shape,
    Stack,
    StackError,
    format_shape,
    walk,
)

DTYPE_BYTES: dict[str, int] = {"fp32": 4, "fp16": 2, "bf16": 2, "fp64": 8}
"""Bytes per number for each dtype a student may pick."""

OPTIMIZER_STATE: dict[str, int] = {
    "sgd": 0,
    "momentum": 1,
    "nesterov": 1,
    "adagrad": 1,
    "rmsprop": 1,
    "adam": 2,
    "adamw": 2,
}
"""Extra numbers an optimizer keeps per parameter (velocity, squared-gradient sums, moments)."""

MIB = 1024 * 1024


@dataclass(frozen=True)
class Row:
    """One line of the tally table: a layer (or a block) with its shape and costs."""

    number: str
    """Position in the stack: '4', or '5.1.2' inside a block (block 5, branch 1, layer 2)."""
    depth: int
    """0 for top-level layers, 1 and more inside blocks."""
    label: str
    """The layer in spec syntax."""
    kind: str
    input_shape: Shape
    output_shape: Shape
    activations: int
    """Numbers in the output, per image."""
    counted: bool
    """Whether the output counts as a new activation: element-wise layers, views (flatten) and
    identities (adaptive pooling to the size it already has) do not, as in the lecture's table."""
    weights: int
    biases: int
    buffers: int
    """Non-trainable stored numbers (batch-norm running mean and variance)."""
    macs: int
    """Multiply-accumulates per image."""
    is_block: bool

    @property
    def params(self) -> int:
        return self.weights + self.biases


@dataclass(frozen=True)
class Totals:
    """Whole-stack figures; memory in bytes for the chosen batch size and dtype."""

    params: int
    weights: int
    biases: int
    buffers: int
    activations: int
    """Numbers per image across the input and every counted layer output (the lecture's sum)."""
    saved_activations: int
    """Numbers per image kept for the backward pass: every layer output except views."""
    macs: int
    forward_bytes: int
    """batch x activations x dtype size: what one forward pass produces."""
    saved_bytes: int
    """batch x saved activations x dtype size."""
    parameter_bytes: int
    gradient_bytes: int
    optimizer_bytes: int
    training_bytes: int
    """Estimate of one training step: saved activations + parameters + gradients + state."""


@dataclass(frozen=True)
class Tally:
    """A stack's table and totals, or as much of it as fits when a layer fails."""

    name: str
    input_shape: Shape
    batch: int
    dtype: str
    optimizer: str
    rows: tuple[Row, ...]
    totals: Totals
    output_shape: Shape | None
    """None when the stack does not fit its input."""
    error: StackError | None
    """The first failing layer, if any; rows stop just before it."""

    @property
    def top_rows(self) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if r.depth == 0)

    @property
    def memory_peak(self) -> Row | None:
        """The top-level row with the largest output (the lecture: most memory in early convs)."""
        rows = [r for r in self.top_rows if r.counted]
        return max(rows, key=lambda r: r.activations, default=None)

    @property
    def params_peak(self) -> Row | None:
        """The top-level row with most parameters (the lecture: most in the late FC layers)."""
        rows = [r for r in self.top_rows if r.params]
        return max(rows, key=lambda r: r.params, default=None)

    def row_bytes(self, row: Row) -> int:
        return row.activations * self.batch * DTYPE_BYTES[self.dtype]

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "input_shape": list(self.input_shape),
            "output_shape": list(self.output_shape) if self.output_shape else None,
            "batch": self.batch,
            "dtype": self.dtype,
            "optimizer": self.optimizer,
            "layers": [
                {
                    "number": r.number,
                    "depth": r.depth,
                    "name": r.label,
                    "kind": r.kind,
                    "output_shape": list(r.output_shape),
                    "activations": r.activations,
                    "counted": r.counted,
                    "params": r.params,
                    "weights": r.weights,
                    "biases": r.biases,
                    "buffers": r.buffers,
                    "macs": r.macs,
                    "memory_bytes": self.row_bytes(r),
                }
                for r in self.rows
            ],
            "totals": asdict(self.totals),
            "error": self.error.describe() if self.error else None,
        }


def _row(placed_number: str, depth: int, layer: Layer, shape: Shape, out: Shape) -> Row:
    if layer.is_block:
        weights = biases = buffers = macs = 0
    else:
        count = layer.params(shape)
        weights, biases = count.weights, count.biases
        buffers, macs = layer.buffers(shape), layer.macs(shape, out)
    return Row(
        number=placed_number,
        depth=depth,
        label=layer.label(),
        kind=layer.kind,
        input_shape=shape,
        output_shape=out,
        activations=math.prod(out),
        counted=not (
            layer.pointwise or isinstance(layer, Flatten) or _is_identity(layer, shape, out)
        ),
        weights=weights,
        biases=biases,
        buffers=buffers,
        macs=macs,
        is_block=layer.is_block,
    )


def _is_identity(layer: Layer, shape: Shape, out: Shape) -> bool:
    # torchvision's VGG pools 7x7 to 7x7: an identity that the lecture's table rightly omits
    return isinstance(layer, AdaptiveAvgPool2d) and shape == out


def _roll_up(rows: list[Row]) -> list[Row]:
    """Give each block row the sums of the leaves inside it."""
    out: list[Row] = []
    for row in rows:
        if row.is_block:
            prefix = row.number + "."
            inside = [r for r in rows if r.number.startswith(prefix) and not r.is_block]
            row = Row(
                **{
                    **asdict(row),
                    "weights": sum(r.weights for r in inside),
                    "biases": sum(r.biases for r in inside),
                    "buffers": sum(r.buffers for r in inside),
                    "macs": sum(r.macs for r in inside),
                }
            )
        out.append(row)
    return out


def tally(
    stack: Stack | Sequence[Layer],
    input_shape: Shape | None = None,
    *,
    batch: int = 1,
    dtype: str = "fp32",
    optimizer: str = "sgd",
) -> Tally:
    """Walk the stack and add everything up; a failing layer ends the table with its error."""
    if isinstance(stack, Stack):
        layers, name = stack.layers, stack.name
        shape = input_shape or stack.input_shape
    else:
        layers, name = tuple(stack), ""
        if input_shape is None:
            raise StackError("an input shape is needed, e.g. 3x224x224")
        shape = input_shape
    if batch < 1:
        raise StackError(f"batch size must be at least 1, got {batch}")
    if dtype not in DTYPE_BYTES:
        raise StackError(f"dtype must be one of {', '.join(DTYPE_BYTES)}, got {dtype!r}")
    if optimizer not in OPTIMIZER_STATE:
        raise StackError(
            f"optimizer must be one of {', '.join(OPTIMIZER_STATE)}, got {optimizer!r}"
        )
    rows: list[Row] = []
    error: StackError | None = None
    output: Shape | None = shape
    try:
        for placed in walk(layers, shape):
            rows.append(
                _row(
                    placed.number,
                    placed.depth,
                    placed.layer,
                    placed.input_shape,
                    placed.output_shape,
                )
            )
            if placed.depth == 0:
                output = placed.output_shape
    except StackError as exc:
        error, output = exc, None
    rows = _roll_up(rows)
    return Tally(
        name=name,
        input_shape=shape,
        batch=batch,
        dtype=dtype,
        optimizer=optimizer,
        rows=tuple(rows),
        totals=_totals(rows, shape, batch, dtype, optimizer),
        output_shape=output,
        error=error,
    )


def _totals(rows: list[Row], shape: Shape, batch: int, dtype: str, optimizer: str) -> Totals:
    leaves = [r for r in rows if not r.is_block]
    weights = sum(r.weights for r in leaves)
    biases = sum(r.biases for r in leaves)
    params = weights + biases
    image = math.prod(shape)
    activations = image + sum(r.activations for r in rows if r.counted)
    saved = image + sum(r.activations for r in rows if r.kind != "flatten")
    size = DTYPE_BYTES[dtype]
    parameter_bytes = params * size
    optimizer_bytes = params * size * OPTIMIZER_STATE[optimizer]
    return Totals(
        params=params,
        weights=weights,
        biases=biases,
        buffers=sum(r.buffers for r in leaves),
        activations=activations,
        saved_activations=saved,
        macs=sum(r.macs for r in leaves),
        forward_bytes=batch * activations * size,
        saved_bytes=batch * saved * size,
        parameter_bytes=parameter_bytes,
        gradient_bytes=parameter_bytes,
        optimizer_bytes=optimizer_bytes,
        training_bytes=batch * saved * size + 2 * parameter_bytes + optimizer_bytes,
    )


# ---------------------------------------------------------------------------------------------
# Receptive field of a stack
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldRow:
    """Receptive field after one top-level layer."""

    number: str
    label: str
    output_shape: Shape
    field: FieldStep | None
    """None once the layer mixes the whole image (flatten, fc, global pooling)."""

    def to_dict(self) -> dict:
        data: dict = {
            "number": self.number,
            "name": self.label,
            "output_shape": list(self.output_shape),
        }
        if self.field is None:
            data.update(size="global", jump=None, start=None)
        else:
            data.update(size=self.field.size, jump=self.field.jump, start=self.field.start)
        return data


def _through(layer: Layer, field: FieldStep | None) -> FieldStep | None:
    if field is None:
        return None
    if isinstance(layer, Residual | Concat | DenseBlock):
        if isinstance(layer, DenseBlock):
            # the deepest path runs through every dense layer in turn
            candidates = [_through_branch(layer.dense_layer() * layer.layers, field)]
        else:
            candidates = [_through_branch(b, field) for b in layer.branches()]
            if isinstance(layer, Residual) and not layer.shortcut:
                candidates.append(field)
        if any(c is None for c in candidates):
            return None
        return max(candidates, key=lambda f: f.size)  # type: ignore[arg-type,return-value]
    geometry = layer.geometry()
    if geometry is not None:
        return receptive_field_step(field, *geometry)
    if layer.kind in ("flatten", "fc", "adaptiveavgpool"):
        return None
    return field


def _through_branch(layers: Sequence[Layer], field: FieldStep | None) -> FieldStep | None:
    for layer in layers:
        field = _through(layer, field)
    return field


def receptive_fields(stack: Stack) -> list[FieldRow]:
    """Receptive field, jump and start of the first cell, after each top-level layer."""
    rows: list[FieldRow] = []
    field: FieldStep | None = INPUT_FIELD
    for placed in walk(stack.layers, stack.input_shape):
        if placed.depth:
            continue
        field = _through(placed.layer, field)
        rows.append(FieldRow(placed.number, placed.layer.label(), placed.output_shape, field))
    return rows


# ---------------------------------------------------------------------------------------------
# Number formatting shared by the CLI and the app
# ---------------------------------------------------------------------------------------------


def short_count(value: int) -> str:
    """138357544 -> '138.4 M', 15237608 -> '15.2 M', 1728 -> '1.7 K'."""
    return _scaled(value, 1000, ("K", "M", "G", "T"), str(value))


def short_bytes(value: int) -> str:
    """Bytes in binary units: 58.1 MiB, 1.2 GiB."""
    return _scaled(value, 1024, ("KiB", "MiB", "GiB", "TiB"), f"{value} B")


def _scaled(value: int, base: int, units: tuple[str, ...], plain: str) -> str:
    # pick the unit after rounding, so 999,950 reads 1.0 M rather than 1000.0 K
    for power in range(len(units), 0, -1):
        # plain numbers stay plain below one unit: 999 is '999', not '1.0 K'
        reached = round(abs(value) / base**power, 1) >= 1 if power > 1 else abs(value) >= base
        if reached:
            return f"{value / base**power:.1f} {units[power - 1]}"
    return plain


def describe_shape(shape: Shape | None) -> str:
    return format_shape(shape) if shape else "-"
