"""Blocks made of branches of layers (res, cat, dense), and the walk that places every layer of
a stack, blocks and their insides, with the shapes around it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from .layers import _REQUIRED, BatchNorm2d, Conv2d, Dropout, Layer, ReLU
from .shapes import LayerError, Shape, StackError, _need_map, format_shape

Branch = tuple[Layer, ...]


@dataclass(frozen=True)
class Block(Layer):
    """A layer made of branches of layers."""

    @property
    def is_block(self) -> bool:
        return True

    def branches(self) -> tuple[Branch, ...]:
        raise NotImplementedError

    def label(self) -> str:
        inner = " | ".join(format_layers(b) if b else "id" for b in self.branches())
        args = self.args()
        head = f"{self.kind}({','.join(args)})" if args else self.kind
        return f"{head}[{inner}]"

    def walk_children(self, shape: Shape, path: tuple[int, ...], depth: int) -> Iterator[Placed]:
        raise NotImplementedError


@dataclass(frozen=True)
class Residual(Block):
    """y = body(x) + shortcut(x): identity shortcut when it is empty, a projection otherwise."""

    kind: ClassVar[str] = "res"
    body: Branch = ()
    shortcut: Branch = ()
    """Empty for the identity; typically conv(K,1,s=2,bias=false) bn for a projection."""

    def args(self) -> list[str]:
        return []

    def branches(self) -> tuple[Branch, ...]:
        return (self.body, self.shortcut) if self.shortcut else (self.body,)

    def output_shape(self, shape: Shape) -> Shape:
        out = _branch_shape(self.body, shape, 1)
        short = _branch_shape(self.shortcut, shape, 2)
        if out != short:
            what = "projection shortcut" if self.shortcut else "identity shortcut"
            raise LayerError(
                f"body gives {format_shape(out)} but the {what} gives {format_shape(short)}"
                + ("" if self.shortcut else "; add a projection: | conv(K,1,s=S) bn")
            )
        return out

    def walk_children(self, shape: Shape, path: tuple[int, ...], depth: int) -> Iterator[Placed]:
        for number, branch in enumerate(self.branches(), start=1):
            yield from walk(branch, shape, (*path, number), depth + 1)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.kind, "body": [x.to_dict() for x in self.body]}
        if self.shortcut:
            data["shortcut"] = [x.to_dict() for x in self.shortcut]
        return data


@dataclass(frozen=True)
class Concat(Block):
    """Parallel branches joined along channels, as in an Inception module."""

    kind: ClassVar[str] = "cat"
    paths: tuple[Branch, ...] = ()

    def args(self) -> list[str]:
        return []

    def branches(self) -> tuple[Branch, ...]:
        return self.paths

    def output_shape(self, shape: Shape) -> Shape:
        if not self.paths:
            raise LayerError("cat needs at least one branch")
        outs = [_branch_shape(b, shape, i) for i, b in enumerate(self.paths, start=1)]
        first = outs[0]
        for number, out in enumerate(outs[1:], start=2):
            if len(out) != 3 or out[1:] != first[1:]:
                raise LayerError(
                    f"branch {number} gives {format_shape(out)}, branch 1 gives "
                    f"{format_shape(first)}: their heights and widths must match"
                )
        return (sum(o[0] for o in outs), *first[1:])

    def walk_children(self, shape: Shape, path: tuple[int, ...], depth: int) -> Iterator[Placed]:
        for number, branch in enumerate(self.paths, start=1):
            yield from walk(branch, shape, (*path, number), depth + 1)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "branches": [[x.to_dict() for x in b] for b in self.paths]}


@dataclass(frozen=True)
class DenseBlock(Block):
    """DenseNet block: each layer sees every earlier output, concatenated on channels."""

    kind: ClassVar[str] = "dense"
    positional: ClassVar[tuple[str, ...]] = ("layers", "growth", "bn_size")
    layers: int = _REQUIRED
    """How many dense layers."""
    growth: int = _REQUIRED
    """Channels each layer adds (k in the paper)."""
    bn_size: int = 4
    """Bottleneck width as a multiple of growth."""
    drop_rate: float = 0.0

    def label(self) -> str:
        return Layer.label(self)

    def dense_layer(self) -> Branch:
        """One dense layer: bn relu conv1x1 bn relu conv3x3 (and dropout when asked)."""
        body: list[Layer] = [
            BatchNorm2d(),
            ReLU(),
            Conv2d(self.bn_size * self.growth, 1, bias=False),
            BatchNorm2d(),
            ReLU(),
            Conv2d(self.growth, 3, padding=1, bias=False),
        ]
        if self.drop_rate:
            body.append(Dropout(self.drop_rate))
        return tuple(body)

    def branches(self) -> tuple[Branch, ...]:
        return tuple(self.dense_layer() for _ in range(self.layers))

    def output_shape(self, shape: Shape) -> Shape:
        c, h, w = _need_map(shape, "dense")
        if self.layers < 1 or self.growth < 1:
            raise LayerError("dense needs at least 1 layer and a growth of at least 1")
        return (c + self.layers * self.growth, h, w)

    def walk_children(self, shape: Shape, path: tuple[int, ...], depth: int) -> Iterator[Placed]:
        c, h, w = shape
        for number, branch in enumerate(self.branches(), start=1):
            yield from walk(
                branch, (c + (number - 1) * self.growth, h, w), (*path, number), depth + 1
            )


def _branch_shape(branch: Branch, shape: Shape, number: int) -> Shape:
    for index, layer in enumerate(branch, start=1):
        try:
            shape = layer.output_shape(shape)
        except LayerError as exc:
            raise LayerError(f"branch {number}, layer {index} {layer.label()}: {exc}") from None
    return shape


@dataclass(frozen=True)
class Placed:
    """One layer placed in a stack: where it sits and the shapes around it."""

    path: tuple[int, ...]
    """1-based position; longer inside blocks: (block, branch, layer)."""
    layer: Layer
    input_shape: Shape
    output_shape: Shape
    depth: int = 0
    """0 for top-level layers, 1 inside a block, ..."""

    @property
    def number(self) -> str:
        return ".".join(str(p) for p in self.path)


def walk(
    layers: Sequence[Layer], shape: Shape, path: tuple[int, ...] = (), depth: int = 0
) -> Iterator[Placed]:
    """Every layer in order (blocks before their children), raising StackError where one fails."""
    for index, layer in enumerate(layers, start=1):
        here = (*path, index)
        # a block's children go first, so a failure inside names the inner layer's own path
        children = list(layer.walk_children(shape, here, depth)) if isinstance(layer, Block) else []
        try:
            out = layer.output_shape(shape)
        except LayerError as exc:
            raise StackError(str(exc), path=here, label=_short_label(layer)) from None
        yield Placed(here, layer, shape, out, depth)
        yield from children
        shape = out


def _short_label(layer: Layer) -> str:
    label = layer.label()
    return label if len(label) <= 40 else f"{layer.kind}[...]"


def infer_output(layers: Sequence[Layer], shape: Shape) -> Shape:
    """The stack's output shape (raises StackError naming the failing layer)."""
    for placed in walk(layers, shape):
        if placed.depth == 0:
            shape = placed.output_shape
    return shape


def format_layers(layers: Sequence[Layer]) -> str:
    """The one-line spec of a stack; parse_layers(format_layers(x)) == x."""
    return " ".join(layer.label() for layer in layers)
