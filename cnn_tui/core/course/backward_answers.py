"""The lesson answers of the backward pass: one cell of dL/dW or dL/dX of a small conv or pool,
and a kernel flipped, computed by the same core as the backward stepper."""

from __future__ import annotations

from typing import Any


def _upstream(grad: str | None, name: str = "grad") -> Any:
    from .lesson_answers import _grid

    return None if grad is None else _grid(grad, name)


def _conv(input: str, kernel: str, stride: int, padding: Any, mode: str) -> Any:
    from ..convolution.conv_trace import conv2d_trace
    from .lesson_answers import _charge_trace, _grid, _padding

    image, weights = _grid(input, "input"), _grid(kernel, "kernel")
    _charge_trace(
        image, 2 * weights.size, 2, stride, _padding(padding, max(weights.shape[-2:], default=1))
    )
    return conv2d_trace(image, weights, stride=stride, padding=padding, mode=mode)


def weight_grad(
    input: str,
    kernel: str,
    row: int,
    col: int,
    grad: str | None = None,
    stride: int = 1,
    padding: int | str = 0,
    mode: str = "correlation",
) -> int | float:
    """dL/dW at kernel cell (row, col) of a 2-D conv, for dL/dY = grad (all ones if omitted)."""
    from ..convolution.backward_conv import conv_backward
    from .lesson_answers import _number

    trace = _conv(input, kernel, stride, padding, mode)
    backward = conv_backward(trace, _upstream(grad))
    return _number(round(float(backward.grad_weight[0, 0, row, col]), 10))


def input_grad(
    input: str,
    kernel: str,
    row: int,
    col: int,
    grad: str | None = None,
    stride: int = 1,
    padding: int | str = 0,
    mode: str = "correlation",
) -> int | float:
    """dL/dX at input cell (row, col) of a 2-D conv, for dL/dY = grad (all ones if omitted)."""
    from ..convolution.backward_conv import conv_backward
    from .lesson_answers import _number

    trace = _conv(input, kernel, stride, padding, mode)
    backward = conv_backward(trace, _upstream(grad))
    return _number(round(float(backward.grad_input[0, row, col]), 10))


def pool_grad(
    input: str,
    size: int,
    row: int,
    col: int,
    grad: str | None = None,
    stride: int | None = None,
    kind: str = "max",
) -> int | float:
    """dL/dX at input cell (row, col) of a pooling, for dL/dY = grad (all ones if omitted)."""
    from ..convolution.backward_pool import pool_backward
    from ..convolution.pool_trace import pool2d_trace
    from .lesson_answers import _charge_trace, _grid, _number, _positive

    image = _grid(input, "input")
    side = _positive(size, 1)
    _charge_trace(image, 2 * side * side, 2, size if stride is None else stride, 0)
    trace = pool2d_trace(image, kind=kind, size=size, stride=stride)
    backward = pool_backward(trace, _upstream(grad))
    return _number(round(float(backward.grad_input[0, row, col]), 10))


def flipped(kernel: str) -> str:
    """A kernel turned half a turn (flipped on both axes), written as rows split by ';'."""
    from ..convolution.stepper import format_number
    from .lesson_answers import _grid

    grid = _grid(kernel, "kernel")
    grid = grid.reshape(grid.shape[-2:]) if grid.ndim > 2 else grid
    turned = grid[::-1, ::-1] if grid.ndim == 2 else grid[::-1]
    rows = turned if turned.ndim == 2 else turned[None]
    return "; ".join(" ".join(format_number(v) for v in row) for row in rows)


BACKWARD_ANSWERS = (weight_grad, input_grad, pool_grad, flipped)
"""The answer functions this module adds to the lessons' ANSWERS."""
