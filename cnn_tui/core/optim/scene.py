"""What the playground shows, as plain data: a surface, a start and the raced optimizers (read
from a lesson's 'Try it' target or the form), and where a path falls on a map of cells."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from .setup import SETTING_NAMES, OptimizerSetup, SetupError, make_race, make_setup
from .surfaces import SURFACES, Point, Surface, SurfaceError, check_start, parse_point, surface

DEFAULT_SURFACE = "ravine"
DEFAULT_RACE = "sgd:0.1,momentum:0.1,adam:0.1"
"""What the playground opens on: three optimizers at one rate in the ravine."""

PLAYGROUND_STEPS = 200
"""Steps every path of the playground takes."""


@dataclass(frozen=True)
class Scene:
    """One race on one surface: everything the paths depend on."""

    surface: Surface
    start: Point
    setups: tuple[OptimizerSetup, ...]
    steps: int = PLAYGROUND_STEPS


def read_setups(text: str, **given: float | tuple[float, float]) -> tuple[OptimizerSetup, ...]:
    """'adam:0.1' (one run) or 'sgd:0.01,momentum:0.01,adam:0.1' (a race of 2 to 5, the Train
    screen's syntax) with the settings given for every run that takes them, and PyTorch's
    defaults for the rest; SetupError says why not."""
    entries = [part.strip() for part in text.split(",") if part.strip()]
    if len(entries) != 1:
        try:
            return make_race(text, one="", **given)
        except ValueError as exc:  # the Train parser's ConfigError too
            raise SetupError(str(exc)) from None
    name, _, rate = entries[0].partition(":")
    try:
        lr = float(rate) if rate.strip() else None
    except ValueError:
        raise SetupError(f"learning rate {rate!r} in {entries[0]!r} is not a number") from None
    return (make_setup(name, "", lr=lr, **given),)


def race_text(setups: tuple[OptimizerSetup, ...]) -> str:
    """The setups back in the race syntax: 'sgd:0.1,adam:0.1'."""
    return ",".join(f"{s.name}:{s.lr:g}" for s in setups)


def read_scene(text: str) -> Scene:
    """A 'Try it' target: 'SURFACE [RACE] [start=X,Y] [SETTING=VALUE ...]', e.g. 'saddle
    sgd:0.1,momentum:0.1 start=1.5,0.001 momentum=0.99' (a setting applies to every run that
    takes it; betas=0.9,0.99). The race defaults to DEFAULT_RACE, the start to the surface's
    own. SurfaceError or SetupError names what is wrong."""
    words = text.split()
    if not words:
        raise SurfaceError(f"name a surface: one of {', '.join(SURFACES)}")
    where = surface(words[0])
    start, race = where.start, DEFAULT_RACE
    given: dict[str, float | tuple[float, float]] = {}
    for word in words[1:]:
        key, equals, value = word.partition("=")
        key = key.lower().replace("-", "_")
        if not equals:
            race = word
        elif key == "start":
            start = parse_point(value)
        elif key in SETTING_NAMES and key != "lr":
            point = parse_point(value, key) if key == "betas" else None
            given[key] = point if point is not None else _number(key, value)
        else:
            raise SetupError(f"{key!r} is not start or one of {', '.join(SETTING_NAMES[1:])}")
    check_start(where, start)
    return Scene(where, start, read_setups(race, **given))


def _number(key: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise SetupError(f"{key} {text!r} is not a number") from None


def with_setup(scene: Scene, index: int, setup: OptimizerSetup) -> Scene:
    """The scene with run `index` replaced (its legend label kept)."""
    setups = list(scene.setups)
    setups[index] = replace(setup, label=scene.setups[index].label)
    return replace(scene, setups=tuple(setups))


def map_cell(
    point: Point, window: tuple[float, float, float, float], columns: int, rows: int
) -> tuple[int, int] | None:
    """The (column, row) of a map of columns x rows cells over the window (row 0 at the top)
    that holds the point; None outside the window or for a number that is not finite."""
    x_min, x_max, y_min, y_max = window
    x, y = point
    if not (math.isfinite(x) and math.isfinite(y)):
        return None
    if not (x_min <= x <= x_max and y_min <= y <= y_max):
        return None
    column = min(int((x - x_min) / (x_max - x_min) * columns), columns - 1)
    row = min(int((y_max - y) / (y_max - y_min) * rows), rows - 1)
    return column, row


def line_cells(start: tuple[int, int], end: tuple[int, int]) -> list[tuple[int, int]]:
    """The cells of a straight line from start to end, both included (Bresenham)."""
    (x0, y0), (x1, y1) = start, end
    dx, dy = abs(x1 - x0), -abs(y1 - y0)
    sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
    error = dx + dy
    out = []
    while True:
        out.append((x0, y0))
        if (x0, y0) == (x1, y1):
            return out
        twice = 2 * error
        if twice >= dy:
            error += dy
            x0 += sx
        if twice <= dx:
            error += dx
            y0 += sy


def path_cells(
    path: tuple[Point, ...], window: tuple[float, float, float, float], columns: int, rows: int
) -> list[tuple[int, int]]:
    """The cells a path's straight segments cross, in order, for the part of it in the window
    (a segment with an end outside the window is left out: the path left the view there)."""
    out: list[tuple[int, int]] = []
    previous = None
    for point in path:
        cell = map_cell(point, window, columns, rows)
        if cell is not None:
            out.extend(line_cells(previous, cell) if previous is not None else [cell])
        previous = cell
    return out
