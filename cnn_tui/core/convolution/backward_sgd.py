"""One step of gradient descent on a traced conv: W - lr*dL/dW with the numbers, the output
recomputed with the new weights, and the loss before and after."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .backward_conv import ConvBackward
from .conv_trace import conv1d_trace, conv2d_trace
from .stepper import StepperError, Trace, format_number
from .trace_inputs import frozen

SUM_OF_SQUARES = "L = sum of squares of the output"
LINEAR = "L = sum of dL/dY x Y (the loss whose gradient is the dL/dY given)"


@dataclass(frozen=True, eq=False)
class SGDStep:
    """W - lr*dL/dW and b - lr*dL/db, and what that does to the output and the loss."""

    lr: float
    kernel: np.ndarray
    """(K, C, *window) as typed, before the step."""
    new_kernel: np.ndarray
    bias: np.ndarray
    """(K,) before the step."""
    new_bias: np.ndarray
    backward: ConvBackward
    """The gradients the step follows."""
    new_trace: Trace
    """The forward pass recomputed with the new kernel and bias."""
    loss_name: str
    """SUM_OF_SQUARES when dL/dY came from that loss, else LINEAR (so dL/dY stays its gradient)."""
    loss_before: float
    loss_after: float
    verdict: str
    """Whether the loss went down, and by how much or why not, in a sentence."""

    @property
    def went_down(self) -> bool:
        return self.loss_after < self.loss_before

    def weight_lines(self) -> list[str]:
        """'w[0,0,0,0]: 1 - 0.1 x 6 = 0.4' for every weight, then 'b[0]: ...' for every bias."""
        lr = format_number(self.lr)
        lines = []
        grad = self.backward.grad_weight
        for at in np.ndindex(self.kernel.shape):
            where = ",".join(str(i) for i in at)
            lines.append(
                f"w[{where}]: {format_number(self.kernel[at])} - {lr} x "
                f"{_term(grad[at])} = {format_number(self.new_kernel[at])}"
            )
        for k, b in enumerate(self.bias):
            lines.append(
                f"b[{k}]: {format_number(b)} - {lr} x {_term(self.backward.grad_bias[k])} "
                f"= {format_number(self.new_bias[k])}"
            )
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "lr": self.lr,
            "kernel": self.kernel.tolist(),
            "new_kernel": self.new_kernel.tolist(),
            "bias": self.bias.tolist(),
            "new_bias": self.new_bias.tolist(),
            "output": self.backward.forward.output.tolist(),
            "new_output": self.new_trace.output.tolist(),
            "loss": self.loss_name,
            "loss_before": self.loss_before,
            "loss_after": self.loss_after,
            "went_down": self.went_down,
            "verdict": self.verdict,
            "weight_lines": self.weight_lines(),
        }


def _term(x: float) -> str:
    text = format_number(x)
    return f"({text})" if text.startswith("-") else text


def trace_biases(trace: Trace) -> np.ndarray:
    """(K,): each filter's bias, read from its first step."""
    per_filter = len(trace.steps) // trace.output.shape[0]
    return np.array([trace.steps[k * per_filter].bias for k in range(trace.output.shape[0])])


def _padding_spec(trace: Trace) -> Any:
    """The forward padding as the trace functions take it; uneven padding only comes from
    'same'."""
    pads = trace.padding
    if any(before != after for before, after in pads):
        return "same"
    return pads[0][0] if len(pads) == 1 else tuple(before for before, _ in pads)


def sgd_step(backward: ConvBackward, lr: float) -> SGDStep:
    """One gradient-descent step with learning rate lr on the kernel and bias of backward."""
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise StepperError(f"learning rate must be a positive number, got {lr!r}")
    trace = backward.forward
    assert trace.kernel is not None
    bias = trace_biases(trace)
    new_kernel = trace.kernel - lr * backward.grad_weight
    new_bias = bias - lr * backward.grad_bias
    make = conv1d_trace if trace.operation == "conv1d" else conv2d_trace
    stride: Any = trace.stride[0] if len(trace.stride) == 1 else trace.stride
    dilation: Any = trace.dilation[0] if len(trace.dilation) == 1 else trace.dilation
    new_trace = make(
        trace.input,
        new_kernel,
        bias=list(new_bias),
        stride=stride,
        padding=_padding_spec(trace),
        dilation=dilation,
        mode=trace.mode or "correlation",
    )
    if backward.upstream.source == "loss":
        name = SUM_OF_SQUARES
        before = float(np.sum(trace.output**2))
        after = float(np.sum(new_trace.output**2))
    else:
        name = LINEAR
        g = backward.upstream.values
        before = float(np.sum(g * trace.output))
        after = float(np.sum(g * new_trace.output))
    return SGDStep(
        lr=float(lr),
        kernel=trace.kernel,
        new_kernel=frozen(new_kernel),
        bias=frozen(bias),
        new_bias=frozen(new_bias),
        backward=backward,
        new_trace=new_trace,
        loss_name=name,
        loss_before=before,
        loss_after=after,
        verdict=_verdict(backward, before, after, lr),
    )


def _verdict(backward: ConvBackward, before: float, after: float, lr: float) -> str:
    change = format_number(abs(after - before))
    if after < before:
        return (
            f"the loss went down by {change}, "
            f"from {format_number(before)} to {format_number(after)}"
        )
    if not (np.any(backward.grad_weight) or np.any(backward.grad_bias)):
        return "the loss did not change: every gradient is 0, so the step moves nothing"
    if after == before:
        return f"the loss did not change: a step of lr {format_number(lr)} is too small to show"
    return (
        f"the loss went up by {change}: lr {format_number(lr)} overshoots the minimum along the "
        "gradient; try a smaller one"
    )
