"""Optimizer paths on a surface from torch.optim itself (the optimizers the Train screen
uses) stepping a 2-element float64 tensor, stopped where a run leaves the surface's limits.
torch is imported inside the functions: the playground's surfaces and formulas need none."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from .setup import OptimizerSetup
from .surfaces import Point, Surface, SurfaceError, check_start

if TYPE_CHECKING:
    import torch

MAX_STEPS = 10_000
"""The most steps one run takes (a few seconds of torch at most)."""


REACHED = 0.01
"""A run has reached a minimum once it stays this close to it (distance in the plane)."""


def nearest_minimum(where: Surface, point: Point) -> tuple[Point, float]:
    """The surface's minimum nearest to point, and the distance to it."""
    best = min(where.minima, key=lambda m: math.dist(m, point))
    return best, math.dist(best, point)


@dataclass(frozen=True)
class Run:
    """One optimizer's path from the start."""

    setup: OptimizerSetup
    path: tuple[Point, ...]
    """x after 0, 1, ... steps: steps + 1 points, fewer when the run diverged."""
    losses: tuple[float, ...]
    """f at each point of the path."""
    status: Literal["done", "diverged"]
    diverged_at: int | None = None
    """The step whose point left the limits (the path's last point), else None."""
    message: str = ""
    """'diverged at step 12: |y| > 6 (y = -8.13)', or '' for a finished run."""
    states: tuple[dict[str, Point], ...] = ()
    """torch's optimizer state after each step under the lesson's symbols (v: velocity or
    second moment, s: sum or average of g², m: first moment, b: RMSProp's velocity);
    update_at() writes step k out from path[k - 1] and states[k - 2]."""

    @property
    def steps_taken(self) -> int:
        return len(self.path) - 1

    def left_view(self, where: Surface) -> int | None:
        """The first step whose point is outside the surface's view window, else None."""
        x_min, x_max, y_min, y_max = where.window
        for step, (x, y) in enumerate(self.path):
            if not (x_min <= x <= x_max and y_min <= y <= y_max):
                return step
        return None

    def reached(self, where: Surface, tolerance: float = REACHED) -> int | None:
        """The first step whose point is within `tolerance` of one of the surface's minima
        (and stays within it to the end of the run), else None."""
        first = None
        for step, point in enumerate(self.path):
            if nearest_minimum(where, point)[1] <= tolerance:
                first = step if first is None else first
            else:
                first = None
        return first

    def to_dict(self) -> dict[str, Any]:
        data = self.setup.to_dict()
        data.update(
            path=[list(p) for p in self.path],
            loss=list(self.losses),
            status=self.status,
            diverged_at=self.diverged_at,
            message=self.message,
        )
        return data


def diverged_message(where: Surface, step: int, point: Point) -> str:
    """'diverged at step k: |x| > 6 (x = 7.5)' for a point past the limits, else ''."""
    reason = where.escape(point)
    if not reason:
        return ""
    axis = 0 if reason.lstrip("|").startswith("x") else 1
    if not math.isfinite(point[axis]):
        return f"diverged at step {step}: {reason}"
    return f"diverged at step {step}: {reason} ({'xy'[axis]} = {point[axis]:.4g})"


def make_torch_optimizer(
    setup: OptimizerSetup, params: list[torch.Tensor]
) -> torch.optim.Optimizer:
    """torch's optimizer for a setup (single-tensor code, as on the CPU by default)."""
    import torch

    name = setup.name
    if name in ("sgd", "momentum", "nesterov"):
        return torch.optim.SGD(
            params,
            lr=setup.lr,
            momentum=setup.momentum,
            nesterov=name == "nesterov",
            weight_decay=setup.weight_decay,
            foreach=False,
        )
    if name == "adagrad":
        return torch.optim.Adagrad(
            params, lr=setup.lr, eps=setup.eps, weight_decay=setup.weight_decay, foreach=False
        )
    if name == "rmsprop":
        return torch.optim.RMSprop(
            params,
            lr=setup.lr,
            alpha=setup.rho,
            eps=setup.eps,
            momentum=setup.momentum,
            weight_decay=setup.weight_decay,
            foreach=False,
        )
    kind = torch.optim.Adam if name == "adam" else torch.optim.AdamW
    return kind(
        params,
        lr=setup.lr,
        betas=setup.betas,
        eps=setup.eps,
        weight_decay=setup.weight_decay,
        foreach=False,
    )


def optimizer_path(
    setup: OptimizerSetup,
    where: Surface,
    start: Point | None = None,
    steps: int = 200,
) -> Run:
    """`steps` steps of torch.optim from start (default: the surface's own), fed the
    surface's analytic gradient (tests check it against autograd of the formula). The run
    stops at the first point past the surface's limits (status 'diverged'); it never raises
    for a diverging run."""
    import torch

    if not 1 <= steps <= MAX_STEPS:
        raise SurfaceError(f"steps must be from 1 to {MAX_STEPS:,}, got {steps}")
    first = where.start if start is None else start
    check_start(where, first)
    point = torch.tensor(first, dtype=torch.float64, requires_grad=True)
    optimizer = make_torch_optimizer(setup, [point])
    path = [first]
    losses = [where.loss(first)]
    x, y = first
    states: list[dict[str, Point]] = []
    for step in range(1, steps + 1):
        point.grad = torch.tensor(where.gradient(x, y), dtype=torch.float64)
        optimizer.step()
        x, y = point.detach().tolist()
        path.append((x, y))
        losses.append(where.loss((x, y)))
        states.append(_state_of(optimizer.state[point]))
        message = diverged_message(where, step, (x, y))
        if message:
            return Run(setup, tuple(path), tuple(losses), "diverged", step, message, tuple(states))
    return Run(setup, tuple(path), tuple(losses), "done", states=tuple(states))


_STATE_SYMBOLS = {
    "momentum_buffer": "v",
    "sum": "s",
    "square_avg": "s",
    "exp_avg": "m",
    "exp_avg_sq": "v",
}


def _state_of(state: dict[str, Any]) -> dict[str, Point]:
    """torch's state tensors under the lesson's symbols (RMSProp's buffer is 'b')."""
    out: dict[str, Point] = {}
    for key, tensor in state.items():
        if key == "step" or tensor is None:
            continue
        symbol = "b" if key == "momentum_buffer" and "square_avg" in state else _STATE_SYMBOLS[key]
        x, y = tensor.tolist()
        out[symbol] = (x, y)
    return out


def race(
    setups: tuple[OptimizerSetup, ...], where: Surface, start: Point | None = None, steps: int = 200
) -> tuple[Run, ...]:
    """Every setup's path from the same start."""
    return tuple(optimizer_path(s, where, start, steps) for s in setups)
