"""The backward stepper's ready-made examples: a forward preset with its dL/dY and learning rate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .backward_conv import ConvBackward, conv_backward
from .backward_pool import PoolBackward, pool_backward
from .backward_sgd import SGDStep, sgd_step
from .presets import PRESETS, StepperPreset, _preset
from .stepper import Trace
from .trace_inputs import frozen


def backward_for(
    trace: Trace, grad: Any = None, *, from_loss: bool = False
) -> ConvBackward | PoolBackward:
    """conv_backward or pool_backward, whichever the trace is."""
    if trace.kernel is None:
        return pool_backward(trace, grad, from_loss=from_loss)
    return conv_backward(trace, grad, from_loss=from_loss)


@dataclass(frozen=True, eq=False)
class BackwardPreset:
    """A ready-made backward example for the stepper screen and the CLI."""

    name: str
    """The key in BACKWARD_PRESETS, e.g. 'backprop-seed-conv'."""
    title: str
    description: str
    forward: StepperPreset
    """The forward example the gradient flows back through."""
    grad: np.ndarray | None = None
    """dL/dY shaped like the output; None for all ones."""
    from_loss: bool = False
    """True: dL/dY = 2Y, from L = sum of squares of the output."""
    lr: float | None = None
    """The learning rate of the SGD step shown (conv only); None for none."""

    @property
    def operation(self) -> str:
        return self.forward.operation

    def trace(self) -> Trace:
        return self.forward.trace()

    def backward(self) -> ConvBackward | PoolBackward:
        return backward_for(self.trace(), self.grad, from_loss=self.from_loss)

    def sgd(self) -> SGDStep | None:
        """The SGD step at lr, for a conv preset that names one."""
        backward = self.backward()
        if self.lr is None or not isinstance(backward, ConvBackward):
            return None
        return sgd_step(backward, self.lr)


def _backward(
    name: str,
    title: str,
    description: str,
    forward: StepperPreset,
    grad: Any = None,
    **options: Any,
) -> BackwardPreset:
    upstream = None if grad is None else frozen(np.array(grad))
    return BackwardPreset(name, title, description, forward, upstream, **options)


_STRIDE_TWO_INPUT = [
    [1, 2, 0, 1, 3, 9],
    [0, 1, 2, 1, 0, 9],
    [2, 0, 1, 0, 1, 9],
    [1, 1, 0, 2, 1, 9],
    [0, 2, 1, 1, 0, 9],
    [9, 9, 9, 9, 9, 9],
]
_TWO_CHANNELS = [
    [[1, 0, 2, 1], [0, 1, 1, 0], [2, 1, 0, 1], [1, 0, 1, 2]],
    [[0, 1, 0, 2], [1, 2, 0, 1], [0, 1, 1, 0], [2, 0, 1, 1]],
]
_TWO_FILTERS = [
    [[[1, 0], [0, 1]], [[0, -1], [1, 0]]],
    [[[0, 1], [1, 0]], [[1, 1], [0, -1]]],
]

BACKWARD_PRESETS: dict[str, BackwardPreset] = {
    preset.name: preset
    for preset in (
        _backward(
            "backprop-seed-conv",
            "The lecture's 5x5 example, backwards",
            "dL/dY is all ones: each weight's gradient is the sum of the 9 input cells it "
            "touched, and each input cell's gradient counts the weights that met it (the "
            "centre, met by all 9 windows, gets 5: the kernel's five ones).",
            PRESETS["seed-conv"],
            lr=0.1,
        ),
        _backward(
            "backprop-stride2",
            "Stride 2: cells no window reads",
            "A 3x3 kernel at stride 2 over a 6x6 input gives 2x2: the windows overlap on row "
            "and column 2, where the gradients add up, and never read row 5 or column 5 (the "
            "9s), whose gradient is 0.",
            _preset(
                "stride2-backward",
                "Stride 2 over 6x6",
                "A 3x3 kernel at stride 2 over a 6x6 input.",
                "conv2d",
                _STRIDE_TWO_INPUT,
                [[1, 0, -1], [0, 1, 0], [1, 0, -1]],
                stride=2,
            ),
            grad=[[1, 2], [-1, 1]],
            lr=0.05,
        ),
        _backward(
            "backprop-maxpool-tie",
            "Max pooling routes the gradient, ties included",
            "Each window sends its dL/dY to its largest cell only. Three windows hold ties "
            "(two 3s, three 2s, two 4s): the gradient goes to the first in row-major "
            "order, as PyTorch does.",
            _preset(
                "maxpool-tie",
                "Max pooling with ties",
                "2x2 max pooling at stride 2 with tied maxima.",
                "pool2d",
                [[1, 3, 2, 2], [3, 0, 1, 2], [4, 0, 5, 2], [0, 4, 0, 1]],
                kind="max",
                size=2,
                stride=2,
            ),
            grad=[[1, 2], [3, 4]],
        ),
        _backward(
            "backprop-two-filters",
            "Two channels, two filters, backwards",
            "dL/dW has one 2x2 grid per filter and channel; dL/db sums each filter's dL/dY; "
            "each input cell's gradient adds what both filters send it.",
            _preset(
                "two-filters-backward",
                "Two channels, two filters",
                "Two 2x2x2 filters over a 2-channel 4x4 input, biases 1 and -1.",
                "conv2d",
                _TWO_CHANNELS,
                _TWO_FILTERS,
                bias=[1.0, -1.0],
            ),
            lr=0.05,
        ),
        _backward(
            "backprop-loss",
            "From a loss: L = sum of squares of the output",
            "dL/dY = 2Y: cells with a large output push hardest. One SGD step at lr 0.02 "
            "shrinks the output and the loss.",
            _preset(
                "loss-backward",
                "A 3x3 input, a 2x2 kernel",
                "A 2x2 kernel over a 3x3 input.",
                "conv2d",
                [[1, 2, 0], [0, 1, 1], [1, 0, 2]],
                [[1, 0], [1, -1]],
            ),
            from_loss=True,
            lr=0.02,
        ),
    )
}
"""Named backward examples, keyed by name."""
