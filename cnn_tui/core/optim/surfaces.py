"""The playground's six 2-D loss surfaces: formula, analytic gradient, default start, view
window, minima, the box a run must stay in, and the surface sampled on a grid for a map."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

Point = tuple[float, float]

ESCAPE_FACTOR = 3.0
"""A run has diverged once |x| or |y| is more than this many times the view window's largest
|x| or |y| (so a path may swing well out of view and come back; one that keeps going is
stopped long before its numbers overflow)."""

MAX_GRID_CELLS = 1_000_000
"""The most points surface_grid evaluates (columns x rows)."""


class SurfaceError(ValueError):
    """An unknown surface, or a start or grid that cannot work, naming it."""


@dataclass(frozen=True)
class Surface:
    """One loss surface f(x, y) the optimizers descend."""

    name: str
    """The key typed on the command line: 'rosenbrock'."""
    formula: str
    """The formula as shown to the student: 'f = x² + y²'."""
    value: Callable[[Any, Any], Any]
    """f(x, y) written with + - * only, so it works on floats, NumPy arrays and torch
    tensors (torch's autograd differentiates it for the optimizer paths)."""
    gradient: Callable[[float, float], Point]
    """The analytic gradient (∂f/∂x, ∂f/∂y) the written-out updates use."""
    start: Point
    """Where a run starts unless the student says otherwise."""
    window: tuple[float, float, float, float]
    """The view: x_min, x_max, y_min, y_max."""
    minima: tuple[Point, ...]
    """Every minimum inside the view (the saddle's two, Himmelblau's four)."""
    note: str
    """What the surface shows, in one line."""

    def loss(self, point: Point) -> float:
        """f at a point, as a Python float."""
        return float(self.value(point[0], point[1]))

    @property
    def limits(self) -> Point:
        """(x_limit, y_limit): a run that goes past |x| > x_limit or |y| > y_limit diverged."""
        x_min, x_max, y_min, y_max = self.window
        return (
            ESCAPE_FACTOR * max(abs(x_min), abs(x_max)),
            ESCAPE_FACTOR * max(abs(y_min), abs(y_max)),
        )

    def escape(self, point: Point) -> str:
        """'' while the point is inside the limits; else why not: '|x| > 6', 'y is nan'."""
        for axis, value, limit in zip("xy", point, self.limits, strict=True):
            if not math.isfinite(value):
                return f"{axis} is {value}"
            if abs(value) > limit:
                return f"|{axis}| > {limit:g}"
        return ""


def _bowl(x: Any, y: Any) -> Any:
    return x * x + y * y


def _bowl_gradient(x: float, y: float) -> Point:
    return (2 * x, 2 * y)


def _ravine(x: Any, y: Any) -> Any:
    return 0.05 * x * x + 5 * y * y


def _ravine_gradient(x: float, y: float) -> Point:
    return (0.1 * x, 10 * y)


def _rosenbrock(x: Any, y: Any) -> Any:
    return (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x)


def _rosenbrock_gradient(x: float, y: float) -> Point:
    return (-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x))


def _saddle(x: Any, y: Any) -> Any:
    return x * x - y * y + y * y * y * y / 4


def _saddle_gradient(x: float, y: float) -> Point:
    return (2 * x, -2 * y + y * y * y)


def _beale(x: Any, y: Any) -> Any:
    a = 1.5 - x + x * y
    b = 2.25 - x + x * y * y
    c = 2.625 - x + x * y * y * y
    return a * a + b * b + c * c


def _beale_gradient(x: float, y: float) -> Point:
    a = 1.5 - x + x * y
    b = 2.25 - x + x * y * y
    c = 2.625 - x + x * y * y * y
    dx = 2 * a * (y - 1) + 2 * b * (y * y - 1) + 2 * c * (y * y * y - 1)
    dy = 2 * a * x + 2 * b * 2 * x * y + 2 * c * 3 * x * y * y
    return (dx, dy)


def _himmelblau(x: Any, y: Any) -> Any:
    return (x * x + y - 11) * (x * x + y - 11) + (x + y * y - 7) * (x + y * y - 7)


def _himmelblau_gradient(x: float, y: float) -> Point:
    a = x * x + y - 11
    b = x + y * y - 7
    return (4 * x * a + 2 * b, 2 * a + 4 * y * b)


SURFACES: dict[str, Surface] = {
    s.name: s
    for s in (
        Surface(
            "bowl", "f = x² + y²", _bowl, _bowl_gradient, (-1.5, 1.0), (-2, 2, -2, 2),
            ((0.0, 0.0),), "the same curvature every way: every optimizer heads straight in",
        ),
        Surface(
            "ravine", "f = 0.05·x² + 5·y²", _ravine, _ravine_gradient, (-9.0, 1.0),
            (-10, 10, -2, 2), ((0.0, 0.0),),
            "condition number 100: steep across, shallow along; SGD zig-zags and crawls",
        ),
        Surface(
            "rosenbrock", "f = (1 − x)² + 100·(y − x²)²", _rosenbrock, _rosenbrock_gradient,
            (-1.5, 2.0), (-2, 2, -1, 3), ((1.0, 1.0),),
            "a curved, flat-bottomed valley: easy to reach, slow to follow to (1, 1)",
        ),
        Surface(
            "saddle", "f = x² − y² + y⁴/4", _saddle, _saddle_gradient, (1.5, 0.001),
            (-2, 2, -2.5, 2.5), ((0.0, -math.sqrt(2)), (0.0, math.sqrt(2))),
            "a saddle at the origin, minima at y = ±√2: plain SGD crawls off it",
        ),
        Surface(
            "beale", "f = (1.5 − x + x·y)² + (2.25 − x + x·y²)² + (2.625 − x + x·y³)²",
            _beale, _beale_gradient, (1.0, 1.5), (-4.5, 4.5, -4.5, 4.5), ((3.0, 0.5),),
            "flat plateaus and steep walls: gradients from tiny to huge",
        ),
        Surface(
            "himmelblau", "f = (x² + y − 11)² + (x + y² − 7)²", _himmelblau,
            _himmelblau_gradient, (0.0, 0.0), (-5, 5, -5, 5),
            (
                (3.0, 2.0),
                (-2.805118086952745, 3.131312518250573),
                (-3.779310253377747, -3.2831859912861696),
                (3.5844283403304917, -1.8481265269644036),
            ),
            "four minima: where a run ends depends on its start and its optimizer",
        ),
    )
}  # fmt: skip
"""The surfaces by name, in the order they are offered."""


def surface(name: str) -> Surface:
    """The surface called name (any case); SurfaceError lists the known ones."""
    found = SURFACES.get(name.strip().lower())
    if found is None:
        raise SurfaceError(f"surface {name!r} is not one of {', '.join(SURFACES)}")
    return found


def parse_point(text: str, what: str = "start") -> Point:
    """'-1.5,2' (or '-1.5 2', '(-1.5, 2)') -> (-1.5, 2.0); SurfaceError names `what`."""
    parts = [p for p in text.replace("(", "").replace(")", "").replace(" ", ",").split(",") if p]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 2:
        raise SurfaceError(f"{what} is two numbers x,y like -1.5,2, got {text!r}")
    if not all(math.isfinite(v) for v in values):
        raise SurfaceError(f"{what} must be finite numbers, got {text.strip()!r}")
    return (values[0], values[1])


def check_start(where: Surface, start: Point) -> None:
    """SurfaceError when a start is already past the surface's limits."""
    reason = where.escape(start)
    if reason:
        raise SurfaceError(
            f"start ({start[0]:g}, {start[1]:g}) is outside {where.name}'s limits: {reason}"
        )


@dataclass(frozen=True)
class SurfaceGrid:
    """f sampled on a grid for a contour or shaded map; row 0 is the top (the largest y)."""

    xs: np.ndarray
    """The x of each column, left to right."""
    ys: np.ndarray
    """The y of each row, top to bottom (falling)."""
    values: np.ndarray
    """f, shape (rows, columns), float64."""


def surface_grid(
    where: Surface,
    columns: int,
    rows: int,
    window: tuple[float, float, float, float] | None = None,
) -> SurfaceGrid:
    """f at the centre of each of columns x rows cells covering the window (default: the
    surface's view), for a map a terminal draws one cell per character."""
    if columns < 1 or rows < 1 or columns * rows > MAX_GRID_CELLS:
        raise SurfaceError(f"a grid is 1 to {MAX_GRID_CELLS:,} cells, not {columns}x{rows}")
    x_min, x_max, y_min, y_max = window or where.window
    import numpy as np

    xs = x_min + (np.arange(columns) + 0.5) * (x_max - x_min) / columns
    ys = y_max - (np.arange(rows) + 0.5) * (y_max - y_min) / rows
    grid_x, grid_y = np.meshgrid(xs, ys)
    values = np.asarray(where.value(grid_x, grid_y), dtype=np.float64)
    return SurfaceGrid(xs=xs, ys=ys, values=values)


def shade_levels(values: np.ndarray, levels: int) -> np.ndarray:
    """Each value's shade, 0 (lowest) to levels - 1, on a log scale above the grid's lowest
    value, so the valleys keep their detail beside walls a million times higher."""
    if levels < 1:
        raise SurfaceError(f"levels must be at least 1, not {levels}")
    import numpy as np

    lifted = np.log1p(values - np.min(values))
    top = float(np.max(lifted))
    if top <= 0:
        return np.zeros(values.shape, dtype=np.int64)
    return np.minimum((lifted / top * levels).astype(np.int64), levels - 1)
