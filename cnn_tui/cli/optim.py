"""The `optim` subcommand: optimizers raced on a 2-D surface, their ends, and the first
updates written out with numbers (the playground's engine, headless)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from typing import Any

from .common import _console, _print_json

_NEGATIVE_VALUE = re.compile(r"-[\d.]")
_POINT_FLAGS = ("--start",)


def glue_negative_points(argv: Sequence[str]) -> list[str]:
    """`--start -1.5,2` -> `--start=-1.5,2`: argparse takes '-1.5,2' for an option."""
    out: list[str] = []
    args = list(argv)
    index = 0
    while index < len(args):
        arg = args[index]
        following = args[index + 1] if index + 1 < len(args) else ""
        if arg in _POINT_FLAGS and _NEGATIVE_VALUE.match(following):
            out.append(f"{arg}={following}")
            index += 2
            continue
        out.append(arg)
        index += 1
    return out


def point_argument(text: str) -> tuple[float, float]:
    """An argparse type: 'x,y' (argparse names the flag in its message)."""
    from ..core.optim.surfaces import SurfaceError, parse_point

    try:
        return parse_point(text)
    except SurfaceError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_optim(args: argparse.Namespace) -> int:
    from ..core.optim.paths import race
    from ..core.optim.setup import make_race, make_setup
    from ..core.optim.surfaces import check_start, surface
    from ..core.optim.updates import update_at

    where = surface(args.surface)
    start = args.start if args.start is not None else where.start
    check_start(where, start)
    given: dict[str, Any] = {
        "lr": args.lr,
        "momentum": args.momentum,
        "rho": args.rho,
        "betas": args.betas,
        "eps": args.eps,
        "weight_decay": args.weight_decay,
    }
    if args.race:
        setups = make_race(args.race, one="use --optimizer for one", **given)
    else:
        setups = (make_setup(args.optimizer, **given),)
    runs = race(setups, where, start, args.steps)
    traces = [
        tuple(
            update_at(run.setup, where, run.path, run.states, k)
            for k in range(1, min(args.trace, run.steps_taken) + 1)
        )
        for run in runs
    ]
    if args.json:
        _print_json(_as_json(where, start, args.steps, runs, traces))
        return 0
    _print_text(where, start, args.steps, runs, traces)
    return 0


def _as_json(where, start, steps: int, runs, traces) -> dict[str, Any]:
    out = []
    for run, updates in zip(runs, traces, strict=True):
        data = run.to_dict()
        data["reached_minimum_at"] = run.reached(where)
        if updates:
            data["updates"] = [u.to_dict() for u in updates]
        out.append(data)
    return {
        "surface": where.name,
        "formula": where.formula,
        "start": list(start),
        "steps": steps,
        "minima": [list(m) for m in where.minima],
        "limits": list(where.limits),
        "runs": out,
    }


def _point(point: tuple[float, float]) -> str:
    return f"({point[0]:.6g}, {point[1]:.6g})"


def _print_text(where, start, steps: int, runs, traces) -> None:
    from ..core.optim.paths import nearest_minimum

    console = _console()

    def say(text: str = "") -> None:
        console.print(text, markup=False, highlight=False, soft_wrap=True)

    minima = ", ".join(_point(m) for m in where.minima)
    x_limit, y_limit = where.limits
    say(f"{where.name}: {where.formula}")
    say(f"start {_point(start)}, {steps} steps; minima {minima}")
    say(f"a run diverges past |x| > {x_limit:g} or |y| > {y_limit:g}")
    for run in runs:
        say()
        say(run.setup.describe())
        end = run.path[-1]
        if run.status == "diverged":
            say(f"  {run.message}")
            continue
        minimum, distance = nearest_minimum(where, end)
        reached = run.reached(where)
        say(f"  ends at {_point(end)}, f = {run.losses[-1]:.6g}")
        near = f"  {distance:.3g} from the minimum {_point(minimum)}"
        say(near + (f"; within 0.01 from step {reached} on" if reached is not None else ""))
    for run, updates in zip(runs, traces, strict=True):
        for update in updates:
            say()
            say(
                f"{run.setup.title} step {update.step}: x = {_point(update.point)}, "
                f"f = {update.loss:.6g}"
            )
            for line in update.lines():
                say(f"  {line}")
