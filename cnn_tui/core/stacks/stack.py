"""The Stack record (layers and the input shape they are meant for), and what is counted over a
stack's layers: how deeply blocks nest, and how many rows a tally of them has."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from .blocks import Block, DenseBlock, format_layers, infer_output
from .layers import Layer
from .shapes import Shape


@dataclass(frozen=True)
class Stack:
    """A named stack of layers with the input shape it is meant for."""

    layers: tuple[Layer, ...]
    input_shape: Shape
    """Per-image input, e.g. (3, 224, 224)."""
    name: str = ""
    description: str = ""
    classes: int | None = field(default=None, compare=False)
    """Number of output classes, when the stack ends in a classifier."""

    @property
    def spec(self) -> str:
        return format_layers(self.layers)

    def output_shape(self) -> Shape:
        return infer_output(self.layers, self.input_shape)

    def with_input(self, shape: Shape) -> Stack:
        return replace(self, input_shape=shape)


def nesting_depth(layers: Sequence[Layer]) -> int:
    """Levels of blocks inside each other: 0 for plain layers, 1 for resnet's blocks. Counted
    without recursion, so a stack nested far too deep is measured, not a RecursionError."""
    deepest = 0
    pending = [(layer, 1) for layer in layers]
    while pending:
        layer, level = pending.pop()
        if not isinstance(layer, Block):
            continue
        deepest = max(deepest, level)
        if not isinstance(layer, DenseBlock):  # a dense block's generated layers hold no blocks
            pending.extend((child, level + 1) for branch in layer.branches() for child in branch)
    return deepest


def row_count(layers: Sequence[Layer]) -> int:
    """Rows of a tally of these layers: every layer, every block with its insides, a dense
    block's generated layers too. Counted once per distinct layer object, so that
    res[relu*9000]*9000 (one block, referenced 9000 times) is counted at once, not walked."""
    known: dict[int, int] = {}

    def rows(layer: Layer) -> int:
        if id(layer) not in known:
            if isinstance(layer, DenseBlock):
                known[id(layer)] = 1 + layer.layers * len(layer.dense_layer())
            elif isinstance(layer, Block):
                inside = sum(rows(child) for branch in layer.branches() for child in branch)
                known[id(layer)] = 1 + inside
            else:
                known[id(layer)] = 1
        return known[id(layer)]

    return sum(rows(layer) for layer in layers)
