"""One playground optimizer with every setting filled in (PyTorch's defaults for what is not
given), which settings each optimizer takes, and the Train screen's race syntax read into them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from ..training.train_config import MAX_RACE, OPTIMIZERS, OptimizerSettings, parse_race

TRAIN_DEFAULT_MOMENTUM = OptimizerSettings(name="momentum").momentum_value
"""'momentum' and 'nesterov' use the Train screen's momentum (0.9) when none is given."""

TORCH_DEFAULTS: dict[str, dict[str, float | tuple[float, float]]] = {
    "sgd": {"lr": 0.001, "momentum": 0.0, "weight_decay": 0.0},
    "momentum": {"lr": 0.001, "momentum": TRAIN_DEFAULT_MOMENTUM, "weight_decay": 0.0},
    "nesterov": {"lr": 0.001, "momentum": TRAIN_DEFAULT_MOMENTUM, "weight_decay": 0.0},
    "adagrad": {"lr": 0.01, "eps": 1e-10, "weight_decay": 0.0},
    "rmsprop": {"lr": 0.01, "rho": 0.99, "momentum": 0.0, "eps": 1e-8, "weight_decay": 0.0},
    "adam": {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0},
    "adamw": {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.01},
}
"""torch.optim's defaults (torch 2.x) per optimizer; the keys are the settings it takes.
rho is RMSprop's `alpha`, the decay of its running average of g²."""

SETTING_NAMES = ("lr", "momentum", "rho", "betas", "eps", "weight_decay")


class SetupError(ValueError):
    """A setting that cannot work, or one no optimizer of the run takes, naming it."""


@dataclass(frozen=True)
class OptimizerSetup:
    """One optimizer of the playground with all its settings; build it with make_setup()."""

    name: str
    """sgd, momentum, nesterov, adagrad, rmsprop, adam or adamw."""
    lr: float
    """α, the learning rate."""
    momentum: float = 0.0
    """ρ of SGD's velocity (sgd, momentum, nesterov) or RMSProp's momentum."""
    rho: float = 0.0
    """RMSProp's decay of its average of g² (torch's `alpha`)."""
    betas: tuple[float, float] = (0.9, 0.999)
    """Adam's β1 and β2."""
    eps: float = 0.0
    """ε, added to the square root in AdaGrad, RMSProp and Adam."""
    weight_decay: float = 0.0
    """λ: added to the gradient as λ·x (AdamW: shrinks x by 1 − α·λ first)."""
    label: str = field(default="")
    """The run's name in a race legend; defaults to describe(short=True)."""

    @property
    def uses(self) -> tuple[str, ...]:
        """The settings this optimizer takes."""
        return tuple(TORCH_DEFAULTS[self.name])

    @property
    def title(self) -> str:
        return self.label or self.name

    def describe(self) -> str:
        """'adam lr=0.1 betas=(0.9, 0.999) eps=1e-08': the name and the settings it takes."""
        parts = [self.name]
        for key in self.uses:
            value = getattr(self, key)
            if key == "betas":
                parts.append(f"betas=({value[0]:g}, {value[1]:g})")
            else:
                parts.append(f"{key}={value:g}")
        return " ".join(parts)

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"optimizer": self.name, "label": self.title}
        for key in self.uses:
            value = getattr(self, key)
            data[key] = list(value) if key == "betas" else value
        return data


def _check(name: str, key: str, value: float | tuple[float, float]) -> None:
    if key == "betas":
        assert isinstance(value, tuple)
        if len(value) != 2 or not all(math.isfinite(b) and 0 <= b < 1 for b in value):
            raise SetupError(f"betas must be two numbers in [0, 1), not {value}")
        return
    assert isinstance(value, float | int)
    if not math.isfinite(value):
        raise SetupError(f"{key} must be a finite number, not {value}")
    if key in ("lr", "eps") and value <= 0:
        raise SetupError(f"{key} must be more than 0, not {value:g}")
    if key in ("momentum", "rho") and not 0 <= value < 1:
        raise SetupError(f"{key} must be in [0, 1), not {value:g}")
    if key == "momentum" and name == "nesterov" and value == 0:
        raise SetupError("nesterov needs a momentum above 0 (PyTorch refuses 0)")
    if key == "weight_decay" and value < 0:
        raise SetupError(f"weight decay must be 0 or more, not {value:g}")


def make_setup(
    name: str, label: str = "", **given: float | tuple[float, float] | None
) -> OptimizerSetup:
    """The setup of optimizer `name` with the settings given (None: not given) and PyTorch's
    defaults for the rest. SetupError for an unknown optimizer, a bad value, or a setting the
    optimizer does not take ('adam takes no momentum')."""
    key_name = name.strip().lower()
    if key_name not in TORCH_DEFAULTS:
        raise SetupError(f"optimizer {name!r} is not one of {', '.join(OPTIMIZERS)}")
    values = dict(TORCH_DEFAULTS[key_name])
    for key, value in given.items():
        if key not in SETTING_NAMES:
            raise SetupError(f"unknown optimizer setting {key!r}")
        if value is None:
            continue
        if key not in values:
            raise SetupError(f"{key_name} takes no {key.replace('_', ' ')}")
        values[key] = (float(value[0]), float(value[1])) if isinstance(value, tuple) else value
    for key, value in values.items():
        _check(key_name, key, value)
    return OptimizerSetup(name=key_name, label=label, **values)  # type: ignore[arg-type]


def make_race(
    text: str, one: str = "use one optimizer for one", **given: float | tuple[float, float] | None
) -> tuple[OptimizerSetup, ...]:
    """'sgd:0.01,momentum:0.01,adam:0.1' (the Train screen's syntax) -> 2 to MAX_RACE setups.

    The settings given apply to every run that takes them (a race of sgd and adam with betas
    gives adam the betas); a setting no run takes is a SetupError. An lr after a colon wins
    over a given lr. `one` ends the message for a race of one (how to run one instead)."""
    entries = parse_race(text, lr=None, one=one)
    common_lr = given.pop("lr", None)
    takers = {key for e in entries for key in TORCH_DEFAULTS.get(e.name, {})}
    for key, value in given.items():
        if value is not None and key not in takers:
            names = ", ".join(e.name for e in entries)
            raise SetupError(f"none of {names} takes {key.replace('_', ' ')}")
    setups = []
    for entry in entries:
        own = {k: v for k, v in given.items() if k in TORCH_DEFAULTS[entry.name]}
        own["lr"] = entry.lr or common_lr
        setups.append(make_setup(entry.name, "", **own))
    return _labelled(tuple(setups))


def _labelled(setups: tuple[OptimizerSetup, ...]) -> tuple[OptimizerSetup, ...]:
    """Race labels: the name, with the rate where two runs share a name."""
    if len(setups) > MAX_RACE:
        raise SetupError(f"a race takes at most {MAX_RACE} optimizers, got {len(setups)}")
    names = [s.name for s in setups]
    out = [
        replace(s, label=f"{s.name} lr={s.lr:g}") if names.count(s.name) > 1 else s for s in setups
    ]
    titles = [s.title for s in out]
    if len(set(titles)) != len(titles):
        raise SetupError(f"race entries need different names or rates: {', '.join(titles)}")
    return tuple(out)
