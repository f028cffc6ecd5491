"""Exercise answers from the optimizer playground's engine (torch.optim on a 2-D surface):
who reaches the minimum first, when a path first overshoots, a step's size, when a run leaves
a saddle. Each charges its optimizer steps to the expression's budget before running."""

from __future__ import annotations

from typing import Any

from ..optim.paths import Run
from ..optim.scene import PLAYGROUND_STEPS, read_scene
from .answer_expressions import charge

STEP_COST = 20
"""Operations charged per torch.optim step (about 20 times an answer function's plain step)."""


def _runs(
    surface: str, race: str, start: str | None, steps: int, momentum: float | None = None
) -> tuple[Any, tuple[Run, ...]]:
    from ..optim.paths import race as run_race

    target = f"{surface} {race}" + (f" start={start}" if start else "")
    target += f" momentum={momentum!r}" if momentum is not None else ""
    scene = read_scene(target)
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 2000:
        raise ValueError(f"steps must be a whole number from 1 to 2,000, got {steps!r}")
    charge(steps * len(scene.setups) * STEP_COST)
    return scene, run_race(scene.setups, scene.surface, scene.start, steps)


def first_to_minimum(
    surface: str, race: str, start: str | None = None, steps: int = PLAYGROUND_STEPS
) -> str:
    """The optimizer of a race (its name, as the legend shows it) that comes within 0.01 of a
    minimum first and stays; 'none' when no run does within `steps`."""
    scene, runs = _runs(surface, race, start, steps)
    reached = [(r.reached(scene.surface), i, r.setup.title) for i, r in enumerate(runs)]
    done = sorted((step, i, title) for step, i, title in reached if step is not None)
    return done[0][2] if done else "none"


def steps_to_minimum(
    surface: str, optimizer: str, start: str | None = None, steps: int = PLAYGROUND_STEPS
) -> int:
    """The step from which one optimizer ('momentum:0.1') stays within 0.01 of a minimum;
    ValueError when it does not within `steps`."""
    scene, (run,) = _runs(surface, optimizer, start, steps)
    reached = run.reached(scene.surface)
    if reached is None:
        raise ValueError(f"{optimizer} does not reach a minimum of {surface} in {steps} steps")
    return reached


def first_overshoot(
    surface: str,
    optimizer: str,
    momentum: float | None = None,
    axis: str = "x",
    start: str | None = None,
    steps: int = 200,
) -> int:
    """The first step whose point is past the minimum on `axis` (the coordinate has crossed the
    minimum's, seen from the start); ValueError when it never does within `steps`."""
    scene, (run,) = _runs(surface, optimizer, start, steps, momentum)
    which = "xy".index(axis)
    goal = min(scene.surface.minima, key=lambda m: abs(m[which] - scene.start[which]))[which]
    side = scene.start[which] - goal
    for step, point in enumerate(run.path):
        if (point[which] - goal) * side < 0:
            return step
    raise ValueError(f"{optimizer} does not overshoot on {axis} in {steps} steps")


def step_size(
    surface: str, optimizer: str, step: int = 1, axis: str = "x", start: str | None = None
) -> float:
    """|Δ| on `axis` of one optimizer's update at `step`, from its torch.optim path."""
    _, (run,) = _runs(surface, optimizer, start, step)
    if run.steps_taken < step:
        raise ValueError(f"{optimizer} diverged before step {step}")
    which = "xy".index(axis)
    return abs(run.path[step][which] - run.path[step - 1][which])


def steps_to_leave(
    surface: str,
    optimizer: str,
    distance: float = 1.0,
    axis: str = "y",
    start: str | None = None,
    steps: int = 1000,
) -> int:
    """The first step at which |coordinate on axis| is more than `distance` (a run leaving the
    saddle's ridge); ValueError when it stays within `steps`."""
    _, (run,) = _runs(surface, optimizer, start, steps)
    which = "xy".index(axis)
    for step, point in enumerate(run.path):
        if abs(point[which]) > distance:
            return step
    raise ValueError(f"{optimizer} stays within {distance:g} on {axis} for {steps} steps")


OPTIM_ANSWERS = (first_to_minimum, steps_to_minimum, first_overshoot, step_size, steps_to_leave)
"""The playground's answer functions, for lesson_answers.ANSWERS."""
