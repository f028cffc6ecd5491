"""The stepper's ready-made examples: named inputs and kernels, each with its trace settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from .conv_trace import conv1d_trace, conv2d_trace
from .pool_trace import pool2d_trace
from .stepper import Trace
from .trace_inputs import frozen


@dataclass(frozen=True, eq=False)
class StepperPreset:
    """A ready-made example for the stepper screen and the CLI."""

    name: str
    """The key in PRESETS, e.g. 'seed-conv'."""
    title: str
    """A short heading."""
    description: str
    """A sentence or two on what the example shows."""
    operation: str
    """'conv1d', 'conv2d' or 'pool2d'."""
    input: np.ndarray
    kernel: np.ndarray | None
    """None for pooling."""
    settings: Mapping[str, Any] = field(default_factory=dict)
    """Keyword arguments for the trace function (bias, stride, padding, mode, kind, ...)."""

    def trace(self) -> Trace:
        return trace_for(self.operation, self.input, self.kernel, self.settings)


def trace_for(operation: str, input: Any, kernel: Any, settings: Mapping[str, Any]) -> Trace:
    """The trace of an operation as a preset names it ('conv1d', 'conv2d' or 'pool2d'; pooling
    takes no kernel), with settings as the trace function's keyword arguments."""
    if operation == "conv1d":
        return conv1d_trace(input, kernel, **settings)
    if operation == "conv2d":
        return conv2d_trace(input, kernel, **settings)
    return pool2d_trace(input, **settings)


def _preset(
    name: str,
    title: str,
    description: str,
    operation: str,
    input: Any,
    kernel: Any = None,
    **settings: Any,
) -> StepperPreset:
    grid = frozen(np.array(input))
    weights = None if kernel is None else frozen(np.array(kernel))
    return StepperPreset(
        name, title, description, operation, grid, weights, MappingProxyType(settings)
    )


_RGB_IMAGE = [
    [[0, 1, 2, 0, 1], [2, 1, 0, 1, 2], [1, 0, 2, 2, 0], [0, 2, 1, 0, 1], [2, 0, 1, 1, 0]],
    [[1, 0, 0, 2, 1], [0, 2, 1, 0, 0], [2, 1, 0, 1, 2], [1, 1, 2, 0, 0], [0, 2, 0, 1, 2]],
    [[2, 2, 1, 0, 0], [1, 0, 0, 1, 2], [0, 1, 1, 2, 1], [2, 0, 0, 1, 1], [1, 1, 2, 0, 2]],
]
_RGB_FILTERS = [
    [
        [[1, 0, -1], [0, 1, 0], [-1, 0, 1]],
        [[0, 1, 0], [1, -1, 1], [0, 1, 0]],
        [[-1, -1, 0], [0, 0, 1], [1, 0, 0]],
    ],
    [
        [[0, -1, 1], [1, 0, -1], [0, 1, 0]],
        [[-1, 0, 0], [0, 1, -1], [1, 0, 1]],
        [[1, 1, 1], [0, -1, 0], [-1, 0, -1]],
    ],
]
_SENSOR_READINGS = [
    0.12, 0.55, 0.31, 0.88, 0.64, 1.17, 0.92, 1.46,
    1.21, 1.73, 1.52, 2.04, 1.79, 2.31, 2.12, 2.58,
]  # fmt: skip
_DIAGONAL_WITH_NINES = [[*(int(r == c) for c in range(6)), 9] for r in range(6)] + [[9] * 7]
_X_DETECTOR = [[1, -1, 1], [-1, 1, -1], [1, -1, 1]]
"""+1 where an X is bright, -1 where it is dark: a solid bright patch scores only 5 - 4 = 1."""
_X_AND_BLOCK = [
    [0, 0, 0, 0, 0, 0, 0, 0, 0],
    [0, 1, 0, 1, 0, 1, 1, 1, 0],
    [0, 0, 1, 0, 0, 1, 1, 1, 0],
    [0, 1, 0, 1, 0, 1, 1, 1, 0],
    [0, 0, 0, 0, 0, 0, 0, 0, 0],
]
_SMALL_X = [
    [0, 0, 0, 0, 0, 0, 0],
    [0, 1, 0, 1, 0, 0, 0],
    [0, 0, 1, 0, 0, 0, 0],
    [0, 1, 0, 1, 0, 0, 0],
    [0, 0, 0, 0, 0, 0, 0],
]
_POOL_MAP = [[9, 1, 7, 0], [2, 0, 3, 0], [0, 0, 5, 0], [4, 1, 0, 2]]
"""Every window's maximum sits in its left column, and what a one-pixel shift to the right
carries into the next window is smaller than that window's maximum."""


def _shifted_right(grid: list[list[int]]) -> list[list[int]]:
    """The grid moved one pixel to the right: a zero column enters, the last column leaves."""
    return [[0, *row[:-1]] for row in grid]


PRESETS: dict[str, StepperPreset] = {
    preset.name: preset
    for preset in (
        _preset(
            "seed-conv",
            "The lecture's first convolution",
            "A 3x3 kernel slides over a 5x5 binary image with stride 1 and no padding: "
            "nine products per window, summed into a 3x3 feature map.",
            "conv2d",
            [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]],
            [[1, 0, 1], [0, 1, 0], [1, 0, 1]],
        ),
        _preset(
            "seed-full-conv",
            "Full true convolution",
            "(A*B)_ij = sum_s sum_t A_st B_(i-s,j-t): the 2x2 kernel is flipped and every "
            "overlap is kept, so zero padding of 1 on each side turns a 3x3 input into a 4x4 map.",
            "conv2d",
            [[1, 3, 1], [0, -1, 1], [2, 2, -1]],
            [[1, 2], [0, -1]],
            padding="full",
            mode="convolution",
        ),
        _preset(
            "seed-maxpool",
            "Max pooling, 2x2 windows, stride 2",
            "Each 2x2 block keeps only its largest value, halving the height and the width.",
            "pool2d",
            [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]],
            kind="max",
            size=2,
            stride=2,
        ),
        _preset(
            "sensor-smoothing",
            "Smoothing a noisy sensor",
            "s(t) = sum_a x(a) w(t-a) with w = 0.4, 0.3, 0.2, 0.1: each output is a weighted "
            "average of the 4 most recent readings, the newest weighted most. The weights sum "
            "to 1, so the smoothed signal keeps the same level.",
            "conv1d",
            _SENSOR_READINGS,
            [0.4, 0.3, 0.2, 0.1],
            mode="convolution",
        ),
        _preset(
            "rgb-two-filters",
            "Three channels, two filters",
            "A 5x5 RGB image, zero-padded by 1, meets two 3x3x3 filters at stride 2. Each "
            "output cell adds 27 products (9 per channel) plus the filter's bias (1 and 0), "
            "giving a 2x3x3 output: one 3x3 map per filter.",
            "conv2d",
            _RGB_IMAGE,
            _RGB_FILTERS,
            bias=[1.0, 0.0],
            stride=2,
            padding=1,
        ),
        _preset(
            "uneven-stride",
            "A stride that does not fit",
            "A 3x3 kernel at stride 3 over a 7x7 input: (7 - 3) / 3 is not whole, so the "
            "output is 2x2 and row 6 and column 6 (all the 9s) are never covered.",
            "conv2d",
            _DIAGONAL_WITH_NINES,
            [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
            stride=3,
        ),
        _preset(
            "avgpool",
            "Average pooling, 2x2 windows, stride 2",
            "Each 2x2 block becomes its mean. Top left, the lecture's 1 1 / 5 6 gives 3.25 (max "
            "pooling keeps 6); bottom right, a lone 8 among zeros is diluted to 2.",
            "pool2d",
            [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 0, 0], [1, 2, 0, 8]],
            kind="avg",
            size=2,
            stride=2,
        ),
        _preset(
            "l2pool",
            "L2-norm pooling, 2x2 windows, stride 2",
            "Each 2x2 block becomes sqrt(a^2 + b^2 + c^2 + d^2), its Euclidean length.",
            "pool2d",
            [[3, 4, 0, 1], [0, 0, 2, 2], [1, 2, 5, 0], [2, 4, 0, 12]],
            kind="lp",
            norm_type=2.0,
            size=2,
            stride=2,
        ),
        _preset(
            "x-detector",
            "An X detector with negative weights",
            "The X scores 5, the solid block only 1: the -1 weights punish bright cells where an "
            "X is dark. The lecture's kernel 1 0 1 / 0 1 0 / 1 0 1 scores 5 on both.",
            "conv2d",
            _X_AND_BLOCK,
            _X_DETECTOR,
        ),
        _preset(
            "dilated-conv",
            "Dilation 2: a 3x3 kernel with gaps",
            "Taps two cells apart: 9 weights span 5x5, so 7x7 in gives 3x3 out (7 - 5 + 1). At "
            "(0, 0) the taps land on nine dots; one cell to the right, on none.",
            "conv2d",
            [[int(r % 2 == 0 and c % 2 == 0) for c in range(7)] for r in range(7)],
            [[1, 1, 1], [1, 1, 1], [1, 1, 1]],
            dilation=2,
        ),
        _preset(
            "shift-conv",
            "An X, before the shift",
            "The X detector over a small X: the map peaks at 5 in row 1, column 1. "
            "shift-conv-moved moves the X one pixel to the right.",
            "conv2d",
            _SMALL_X,
            _X_DETECTOR,
        ),
        _preset(
            "shift-conv-moved",
            "The same X, one pixel to the right",
            "The X of shift-conv one pixel to the right: the map moves with it, its 5 now in "
            "column 2. Convolution is equivariant to shifts.",
            "conv2d",
            _shifted_right(_SMALL_X),
            _X_DETECTOR,
        ),
        _preset(
            "shift-maxpool",
            "Max pooling, before the shift",
            "2x2 max pooling at stride 2 of a 4x4 feature map: 9 7 / 4 5. "
            "shift-maxpool-moved moves the map one pixel to the right.",
            "pool2d",
            _POOL_MAP,
            kind="max",
            size=2,
            stride=2,
        ),
        _preset(
            "shift-maxpool-moved",
            "The same map, one pixel to the right",
            "The map of shift-maxpool one pixel to the right: still 9 7 / 4 5, as every maximum "
            "stays inside its window. A small shift leaves max pooling unchanged.",
            "pool2d",
            _shifted_right(_POOL_MAP),
            kind="max",
            size=2,
            stride=2,
        ),
    )
}
"""Named examples, keyed by name."""
