"""Receptive fields: how much of the input each cell sees, after each top-level layer of a
stack, along the height and the width."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..convolution.arithmetic import (
    INPUT_FIELD,
    FieldStep,
    adaptive_field_step,
    receptive_field_step,
)
from .blocks import Concat, DenseBlock, Residual, walk
from .layers import AdaptiveAvgPool2d, Layer
from .shapes import Shape, per_axis
from .stack import Stack


@dataclass(frozen=True)
class FieldRow:
    """Receptive field after one top-level layer."""

    number: str
    label: str
    output_shape: Shape
    field: FieldStep | None
    """None once the layer mixes the whole image (flatten, fc, global pooling). Along the
    height, and the width too unless `across` says otherwise."""
    across: FieldStep | None = None
    """The field along the width where it differs from `field` (after a rectangular kernel,
    stride or padding: conv(8,1x7) sees 1 row and 7 columns); None when the axes agree."""

    def to_dict(self) -> dict:
        data: dict = {
            "number": self.number,
            "name": self.label,
            "output_shape": list(self.output_shape),
        }
        if self.field is None:
            data.update(size="global", jump=None, start=None, exact=True, even=True)
        elif self.across is not None:  # [height, width] where the axes differ
            height, width = self.field, self.across
            data.update(
                size=[height.size, width.size],
                jump=[height.jump, width.jump],
                start=[height.start, width.start],
                exact=height.exact and width.exact,
                even=height.even and width.even,
            )
        else:
            field = self.field
            data.update(size=field.size, jump=field.jump, start=field.start)
            data.update(exact=field.exact, even=field.even)
        return data


def _through(layer: Layer, field: FieldStep | None, axis: int, shape: Shape) -> FieldStep | None:
    """The field after layer (whose input has shape) along axis 0 (height) or 1 (width)."""
    if field is None:
        return None
    if isinstance(layer, Residual | Concat | DenseBlock):
        if isinstance(layer, DenseBlock):
            # the deepest path runs through every dense layer in turn
            path = layer.dense_layer() * layer.layers
            candidates = [_through_branch(path, field, axis, shape)]
        else:
            candidates = [_through_branch(b, field, axis, shape) for b in layer.branches()]
            if isinstance(layer, Residual) and not layer.shortcut:
                candidates.append(field)
        known = [c for c in candidates if c is not None]
        if len(known) < len(candidates):
            return None
        return max(known, key=lambda f: f.size)
    geometry = layer.geometry(axis)
    if geometry is not None:
        return receptive_field_step(field, *geometry)
    if isinstance(layer, AdaptiveAvgPool2d):
        # PyTorch's windows along this axis, from the map's size to the layer's output
        return adaptive_field_step(field, shape[1 + axis], per_axis(layer.output)[axis])
    if layer.kind in ("flatten", "fc"):
        return None
    return field


def _through_branch(
    layers: Sequence[Layer], field: FieldStep | None, axis: int, shape: Shape
) -> FieldStep | None:
    for layer in layers:
        field = _through(layer, field, axis, shape)
        # only the spatial sizes matter here: a dense path's channel counts are not tracked
        shape = layer.output_shape(shape)
    return field


def receptive_fields(stack: Stack) -> list[FieldRow]:
    """Receptive field, jump and start of the first cell, after each top-level layer."""
    rows: list[FieldRow] = []
    fields: list[FieldStep | None] = [INPUT_FIELD, INPUT_FIELD]  # along the height, the width
    for placed in walk(stack.layers, stack.input_shape):
        if placed.depth:
            continue
        fields = [
            _through(placed.layer, field, axis, placed.input_shape)
            for axis, field in enumerate(fields)
        ]
        height, width = fields
        across = width if height is not None and width != height else None
        row = FieldRow(placed.number, placed.layer.label(), placed.output_shape, height, across)
        rows.append(row)
    return rows
