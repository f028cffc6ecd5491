"""Each optimizer's update written out with numbers, from the core's own formulas (the same
arithmetic, in the same order, as torch.optim's single-tensor code): the gradient, every state
named as in lesson 10 (velocity, sum or average of g², first and second moments and their
bias-corrected values) and the step taken. Plain Python floats; no torch."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from .setup import OptimizerSetup
from .surfaces import Point, Surface

State = dict[str, Point]


@dataclass(frozen=True)
class Quantity:
    """One line of a written-out update: a named value for x and for y."""

    name: str
    """In words: 'velocity', 'first moment, bias-corrected'."""
    symbol: str
    """The lesson's symbol: 'v', 'm̂'."""
    formula: str
    """How it is computed: 'm̂ = m / (1 − β1^t)'."""
    value: Point
    """Its value, (for x, for y)."""

    def line(self) -> str:
        """'m̂ = m / (1 − β1^t)       = (-5, -50)': the formula padded to 24 columns."""
        # m̂ and v̂ carry a combining hat: pad by the characters a terminal shows
        shown = sum(1 for c in self.formula if not unicodedata.combining(c))
        padding = " " * max(0, 24 - shown)
        return f"{self.formula}{padding} = ({self.value[0]:.6g}, {self.value[1]:.6g})"


@dataclass(frozen=True)
class Update:
    """Step t of one optimizer, written out."""

    step: int
    """t, counting from 1."""
    point: Point
    """x before the step."""
    loss: float
    """f(x) before the step."""
    gradient: Point
    """g = ∇f(x), before any weight decay."""
    quantities: tuple[Quantity, ...]
    """The gradient, then the optimizer's states and intermediate values, in the order they
    are computed; the last is the step Δx."""
    change: Point
    """The step taken: x_new − x (AdamW's decay included)."""
    new_point: Point
    """x after the step."""

    def to_dict(self) -> dict[str, object]:
        return {
            "step": self.step,
            "point": list(self.point),
            "loss": self.loss,
            "gradient": list(self.gradient),
            "quantities": [
                {"name": q.name, "symbol": q.symbol, "formula": q.formula, "value": list(q.value)}
                for q in self.quantities
            ],
            "change": list(self.change),
            "new_point": list(self.new_point),
        }

    def lines(self) -> list[str]:
        """The update as text, one quantity a line, then x ← x + Δx."""
        out = [q.line() for q in self.quantities]
        out.append(Quantity("new point", "x", "x ← x + Δx", self.new_point).line())
        return out


def _map(fn: Callable[..., float], *vectors: Point) -> Point:
    return (fn(*(v[0] for v in vectors)), fn(*(v[1] for v in vectors)))


def _fma(a: float, b: float, c: float) -> float:
    """a·b + c rounded once, as torch's CPU kernels compute `add(alpha=)`, addcmul and lerp
    (a path that wanders can turn one rounding's difference into a visible one)."""
    if hasattr(math, "fma"):  # Python 3.13+
        return float(math.fma(a, b, c))
    if math.isfinite(a) and math.isfinite(b) and math.isfinite(c):
        return float(Fraction(a) * Fraction(b) + Fraction(c))
    return a * b + c


def _sqrt(value: float) -> float:
    return math.sqrt(value) if value >= 0 else math.nan


def _lerp(start: float, end: float, weight: float) -> float:
    """torch.lerp's own two forms (they round differently)."""
    if abs(weight) < 0.5:
        return _fma(weight, end - start, start)
    return _fma(-(end - start), 1 - weight, end)


Rule = tuple[Point, str, Point]
"""What an optimizer's rule returns: the step Δx, its formula, and the new point."""


def _decayed(setup: OptimizerSetup, x: Point, g: Point, lines: list[Quantity]) -> Point:
    """g + λ·x for every optimizer but AdamW (which decays x itself)."""
    wd = setup.weight_decay
    if not wd or setup.name == "adamw":
        return g
    g = _map(lambda gi, xi: _fma(wd, xi, gi), g, x)
    lines.append(Quantity("gradient with weight decay", "g", "g ← g + λ·x", g))
    return g


def _scaled(lr: float, d: Point, x: Point, formula: str) -> Rule:
    """Δx = −α·d, and x + Δx as torch's add(alpha=−α) computes it."""
    return (
        _map(lambda di: -lr * di, d),
        formula,
        _map(lambda xi, di: _fma(-lr, di, xi), x, d),
    )


def _divided(lr: float, g: Point, root: Point, x: Point, formula: str) -> Rule:
    """Δx = −α·g / root, and x + Δx as torch's addcdiv computes it."""
    step = _map(lambda gi, ri: (-lr * gi) / ri, g, root)
    return step, formula, _map(lambda xi, di: xi + di, x, step)


def _sgd(s: OptimizerSetup, x: Point, g: Point, state: State, t: int, out: list[Quantity]):
    rho = s.momentum
    if not rho:
        return _scaled(s.lr, g, x, "Δx = −α·g")
    v = g if "v" not in state else _map(lambda vi, gi: vi * rho + gi, state["v"], g)
    state["v"] = v
    out.append(Quantity("velocity", "v", "v ← ρ·v + g", v))
    if s.name != "nesterov":
        return _scaled(s.lr, v, x, "Δx = −α·v")
    d = _map(lambda gi, vi: _fma(rho, vi, gi), g, v)
    out.append(Quantity("look-ahead gradient", "d", "d = g + ρ·v", d))
    return _scaled(s.lr, d, x, "Δx = −α·d")


def _adagrad(s: OptimizerSetup, x: Point, g: Point, state: State, t: int, out: list[Quantity]):
    total = _map(lambda si, gi: _fma(gi, gi, si), state.get("s", (0.0, 0.0)), g)
    state["s"] = total
    out.append(Quantity("sum of squared gradients", "s", "s ← s + g²", total))
    root = _map(lambda si: _sqrt(si) + s.eps, total)
    return _divided(s.lr, g, root, x, "Δx = −α·g / (√s + ε)")


def _rmsprop(s: OptimizerSetup, x: Point, g: Point, state: State, t: int, out: list[Quantity]):
    rho, mu = s.rho, s.momentum
    avg = _map(lambda si, gi: _fma((1 - rho) * gi, gi, si * rho), state.get("s", (0.0, 0.0)), g)
    state["s"] = avg
    out.append(Quantity("average of squared gradients", "s", "s ← ρ·s + (1 − ρ)·g²", avg))
    root = _map(lambda si: _sqrt(si) + s.eps, avg)
    if not mu:
        return _divided(s.lr, g, root, x, "Δx = −α·g / (√s + ε)")
    buf = _map(lambda bi, gi, ri: bi * mu + gi / ri, state.get("b", (0.0, 0.0)), g, root)
    state["b"] = buf
    out.append(Quantity("velocity", "b", "b ← μ·b + g / (√s + ε)", buf))
    return _scaled(s.lr, buf, x, "Δx = −α·b")


def _adam(s: OptimizerSetup, x: Point, g: Point, state: State, t: int, out: list[Quantity]):
    b1, b2 = s.betas
    m = _map(lambda mi, gi: _lerp(mi, gi, 1 - b1), state.get("m", (0.0, 0.0)), g)
    v = _map(lambda vi, gi: _fma((1 - b2) * gi, gi, vi * b2), state.get("v", (0.0, 0.0)), g)
    state["m"], state["v"] = m, v
    correction1 = 1 - b1 ** float(t)
    correction2 = 1 - b2 ** float(t)
    m_hat = _map(lambda mi: mi / correction1, m)
    v_hat = _map(lambda vi: vi / correction2, v)
    out.append(Quantity("first moment", "m", "m ← β1·m + (1 − β1)·g", m))
    out.append(Quantity("second moment", "v", "v ← β2·v + (1 − β2)·g²", v))
    out.append(Quantity("first moment, bias-corrected", "m̂", "m̂ = m / (1 − β1^t)", m_hat))
    out.append(Quantity("second moment, bias-corrected", "v̂", "v̂ = v / (1 − β2^t)", v_hat))
    # torch folds the corrections into the rate and the root: the same value, its rounding
    root = correction2**0.5
    denominator = _map(lambda vi: _sqrt(vi) / root + s.eps, v)
    return _divided(s.lr / correction1, m, denominator, x, "Δx = −α·m̂ / (√v̂ + ε)")


_RULES = {
    "sgd": _sgd,
    "momentum": _sgd,
    "nesterov": _sgd,
    "adagrad": _adagrad,
    "rmsprop": _rmsprop,
    "adam": _adam,
    "adamw": _adam,
}


def update(setup: OptimizerSetup, where: Surface, x: Point, state: State, t: int) -> Update:
    """Step t (from 1) of setup at x; `state` (empty at t = 1) is updated in place."""
    gradient = where.gradient(*x)
    out = [Quantity("gradient", "g", "g = ∇f(x)", gradient)]
    g = _decayed(setup, x, gradient, out)
    start = x
    if setup.name == "adamw" and setup.weight_decay:
        shrink = 1 - setup.lr * setup.weight_decay
        x = _map(lambda xi: xi * shrink, x)
        out.append(Quantity("decayed point", "x", "x ← (1 − α·λ)·x", x))
    step, formula, new = _RULES[setup.name](setup, x, g, state, t, out)
    out.append(Quantity("step", "Δx", formula, step))
    change = _map(lambda ni, si: ni - si, new, start)
    return Update(t, start, where.loss(start), gradient, tuple(out), change, new)


def update_at(
    setup: OptimizerSetup,
    where: Surface,
    path: tuple[Point, ...],
    states: tuple[State, ...],
    k: int,
) -> Update:
    """Step k (1 to len(path) - 1) of a run written out, from the run's own point and state
    before it (Run.path, Run.states), so the numbers match the drawn path whatever the
    rounding of the steps before."""
    if not 1 <= k < len(path):
        raise ValueError(f"step must be from 1 to {len(path) - 1}, got {k}")
    state = dict(states[k - 2]) if k > 1 else {}
    return update(setup, where, path[k - 1], state, k)


def written_updates(
    setup: OptimizerSetup, where: Surface, start: Point, steps: int
) -> tuple[Update, ...]:
    """The first `steps` updates from start, from the core's formulas alone (no torch);
    they stop after the step whose new point leaves the surface's limits."""
    state: State = {}
    out = []
    x = start
    for t in range(1, steps + 1):
        step = update(setup, where, x, state, t)
        out.append(step)
        x = step.new_point
        if where.escape(x):
            break
    return tuple(out)
