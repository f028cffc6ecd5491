"""The loss a stack trains on (by its last layer) and the test-set evaluation of a model."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..stacks.layers import LogSoftmax, Softmax
from ..stacks.stack import Stack

if TYPE_CHECKING:
    import torch
    from torch import nn

    from .data import DeviceData


def _loss_function(stack: Stack) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """nll_loss after log_softmax (the lecture's net), cross-entropy on raw scores."""
    import torch
    import torch.nn.functional as F

    last = stack.layers[-1] if stack.layers else None
    if isinstance(last, LogSoftmax):
        return F.nll_loss
    if isinstance(last, Softmax):
        return lambda out, y: F.nll_loss(torch.log(out.clamp_min(1e-12)), y)
    return F.cross_entropy


def evaluate(
    model: nn.Module, data: DeviceData, loss_fn: Callable, batch_size: int = 1000
) -> tuple[float, float]:
    """Mean test loss and accuracy (fraction), in large batches, one copy home at the end."""
    import torch

    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), device=data.device)
    correct = torch.zeros((), dtype=torch.int64, device=data.device)
    n = len(data.test_y)
    with torch.no_grad():
        for start in range(0, n, batch_size):
            x = data.test_x[start : start + batch_size]
            y = data.test_y[start : start + batch_size]
            out = model(x)
            loss_sum += loss_fn(out, y) * len(y)
            correct += (out.argmax(1) == y).sum()
    model.train(was_training)
    pair = torch.stack([loss_sum, correct.to(loss_sum.dtype)]).tolist()
    return pair[0] / n, pair[1] / n
