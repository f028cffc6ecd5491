"""What a training run is asked to do: optimizer settings, schedule, augmentation, data, device.

Plain frozen dataclasses with no torch in them, so the app and the CLI can build, show, check
and save a configuration before anything heavy is imported.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

OPTIMIZERS: dict[str, str] = {
    "sgd": "SGD",
    "momentum": "SGD with momentum",
    "nesterov": "SGD with Nesterov momentum",
    "adagrad": "AdaGrad",
    "rmsprop": "RMSProp",
    "adam": "Adam",
    "adamw": "AdamW",
}
"""Optimizer keys (as typed on the command line) and their titles."""

DEFAULT_LR: dict[str, float] = {
    "sgd": 0.01,
    "momentum": 0.01,
    "nesterov": 0.01,
    "adagrad": 0.01,
    "rmsprop": 0.001,
    "adam": 0.001,
    "adamw": 0.001,
}
"""Learning rates that train the small presets well when the student gives none."""

SCHEDULES: dict[str, str] = {
    "constant": "constant learning rate",
    "step": "multiply by gamma every step-epochs epochs",
    "cosine": "cosine decay to zero over the run",
    "onecycle": "one cycle: warm up to the rate, then anneal",
}

DEVICES = ("auto", "cuda", "mps", "cpu")

MAX_RACE = 5
"""A race overlays at most this many optimizers (colours stay distinguishable)."""

MAX_SEED = 2**63 - 1
"""The largest seed: torch and numpy take it; past 2**64 torch fails with 'Overflow'."""

MAX_EPOCHS = 10_000
"""The most epochs a run may ask for: beyond it is a typo, and the run would never end."""

DEFAULT_CPU_THREADS = 1
"""Threads torch computes with on the CPU unless a run says otherwise, the same in the app and
the CLI: the thread count changes how sums are split, and so the last digits of every figure.
One thread leaves a core for the app to stay responsive while it trains (see the README's
trade-off figures)."""

MAX_CPU_THREADS = 256
"""The most CPU threads a run may ask for."""


FREEZE = ("none", "conv")
"""What a run keeps fixed: nothing, or the conv layers (with their batch norms)."""


class ConfigError(ValueError):
    """A training setting that cannot work, naming the setting."""


@dataclass(frozen=True)
class OptimizerSettings:
    """One optimizer with its hyperparameters; None means the optimizer's usual value."""

    name: str = "sgd"
    lr: float | None = None
    momentum: float | None = None
    """SGD momentum (momentum/nesterov: default 0.9), RMSProp momentum (default 0)."""
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 0.0
    label: str = ""
    """How the run is called in plots and tables; defaults to the name (and lr when raced)."""

    def __post_init__(self) -> None:
        if self.name not in OPTIMIZERS:
            known = ", ".join(OPTIMIZERS)
            raise ConfigError(f"optimizer {self.name!r} is not one of {known}")
        if self.lr is not None and not (math.isfinite(self.lr) and self.lr > 0):
            raise ConfigError(f"learning rate must be a positive number, not {self.lr}")
        if self.momentum is not None and not (
            math.isfinite(self.momentum) and 0 <= self.momentum < 1
        ):
            raise ConfigError(f"momentum must be in [0, 1), not {self.momentum}")
        if not all(math.isfinite(b) and 0 <= b < 1 for b in self.betas):
            raise ConfigError(f"betas must be in [0, 1), not {self.betas}")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise ConfigError(f"weight decay must be 0 or more, not {self.weight_decay}")

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else DEFAULT_LR[self.name]

    @property
    def momentum_value(self) -> float:
        if self.momentum is not None:
            return self.momentum
        return 0.9 if self.name in ("momentum", "nesterov") else 0.0

    @property
    def title(self) -> str:
        return self.label or self.name

    def describe(self) -> str:
        """One line: 'adam lr=0.001 betas=(0.9, 0.999)'."""
        parts = [self.name, f"lr={self.learning_rate:g}"]
        if self.name in ("sgd", "momentum", "nesterov", "rmsprop") and self.momentum_value:
            parts.append(f"momentum={self.momentum_value:g}")
        if self.name in ("adam", "adamw"):
            parts.append(f"betas=({self.betas[0]:g}, {self.betas[1]:g})")
        if self.weight_decay:
            parts.append(f"weight_decay={self.weight_decay:g}")
        return " ".join(parts)


@dataclass(frozen=True)
class Augment:
    """On-device augmentation of each training batch (the lecture's list)."""

    shift: int = 0
    """Random translation by up to this many pixels in x and y (zero-filled)."""
    flip: bool = False
    """Random horizontal flips (right for CIFAR-10, wrong for digits)."""
    rotate: float = 0.0
    """Random rotation by up to this many degrees either way."""
    noise: float = 0.0
    """Gaussian noise with this standard deviation, added after normalisation."""

    def __post_init__(self) -> None:
        if not all(math.isfinite(v) and v >= 0 for v in (self.shift, self.rotate, self.noise)):
            raise ConfigError("augmentation amounts must be numbers, 0 or more")
        if self.rotate > 180:
            raise ConfigError(f"rotation of {self.rotate} degrees: use at most 180")

    @property
    def active(self) -> bool:
        return bool(self.shift or self.flip or self.rotate or self.noise)

    def describe(self) -> str:
        if not self.active:
            return "none"
        parts = []
        if self.shift:
            parts.append(f"shift ±{self.shift}px")
        if self.flip:
            parts.append("flips")
        if self.rotate:
            parts.append(f"rotate ±{self.rotate:g}°")
        if self.noise:
            parts.append(f"noise σ={self.noise:g}")
        return ", ".join(parts)


@dataclass(frozen=True)
class TrainConfig:
    """Everything one training run (or race) needs; JSON-able through to_dict()."""

    model: str = "seed-mnist"
    """A preset name, a .json stack file or a one-line spec (see zoo.resolve_stack)."""
    input_shape: tuple[int, int, int] | None = None
    """Overrides the stack's own input shape; the dataset is served at this size."""
    dataset: str = "digits"
    optimizers: tuple[OptimizerSettings, ...] = (OptimizerSettings(),)
    """One optimizer trains one run; two to five race from the same initial weights."""
    schedule: str = "constant"
    step_epochs: int = 1
    """'step' schedule: multiply the rate by gamma every this many epochs."""
    gamma: float = 0.5
    batch_size: int = 32
    epochs: int = 10
    seed: int = 0
    device: str = "auto"
    data_dir: str | None = None
    """Folder with torchvision's layout; None: $CNN_TUI_DATA or the user's cache folder."""
    download: bool = False
    augment: Augment = field(default_factory=Augment)
    ema_decay: float | None = None
    """Polyak (exponential moving) averaging of the weights, evaluated beside the raw ones."""
    eval_every: int = 0
    """Also evaluate on the test set every this many steps (0: after each epoch only)."""
    log_every: int = 100
    """Record the loss of every this many iterations, like the lecture's print loop."""
    report_seconds: float = 0.25
    """How often the loss and accuracy sums are copied from the device and reported."""
    test_batch_size: int = 1000
    limit_train: int | None = None
    """Use only the first N training images (quick runs, tests)."""
    cpu_threads: int = DEFAULT_CPU_THREADS
    """Threads torch computes with on the CPU during the run (set for the run, restored
    after); the same count gives the same numbers, in the app and the CLI alike."""
    cuda_graph: bool = True
    """On a CUDA GPU, replay each full-batch step as one captured CUDA graph (same arithmetic,
    a fraction of the launch overhead); False steps eagerly, kernel by kernel."""
    classes: tuple[int, ...] | None = None
    """Train and test on these class indices only; limit_train then counts per class."""
    finetune: str | None = None
    """A checkpoint whose weights the run starts from (its stack must be this one)."""
    finetune_run: str | None = None
    """Which run of that checkpoint (needed when it holds a race)."""
    freeze: str = "none"
    """'conv': the conv and 2-d batch-norm parameters stay as they start (transfer learning)."""
    new_head: bool = False
    """Start the last linear layer afresh (after loading --finetune weights): a classifier
    trained on other classes would otherwise start out voting for those."""

    def __post_init__(self) -> None:
        if not self.optimizers:
            raise ConfigError("give at least one optimizer")
        if len(self.optimizers) > MAX_RACE:
            raise ConfigError(f"a race takes at most {MAX_RACE} optimizers")
        titles = [o.title for o in self.race_settings()]
        if len(set(titles)) != len(titles):
            raise ConfigError(f"race entries need different names: {', '.join(titles)}")
        if self.schedule not in SCHEDULES:
            raise ConfigError(f"schedule {self.schedule!r} is not one of {', '.join(SCHEDULES)}")
        if self.device not in DEVICES:
            raise ConfigError(f"device {self.device!r} is not one of {', '.join(DEVICES)}")
        for name in ("batch_size", "epochs", "step_epochs", "test_batch_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name.replace('_', ' ')} must be at least 1")
        if self.epochs > MAX_EPOCHS:
            raise ConfigError(f"epochs must be at most {MAX_EPOCHS:,}, got {self.epochs:,}")
        if not 0 <= self.seed <= MAX_SEED:
            raise ConfigError(f"seed must be from 0 to {MAX_SEED:,} (2**63 - 1), got {self.seed}")
        if self.eval_every < 0 or self.log_every < 0:
            raise ConfigError("eval every / log every must be 0 or more")
        if not (math.isfinite(self.gamma) and 0 < self.gamma <= 1):
            raise ConfigError(f"gamma must be in (0, 1], not {self.gamma}")
        if self.ema_decay is not None and not (
            math.isfinite(self.ema_decay) and 0 < self.ema_decay < 1
        ):
            raise ConfigError(f"EMA decay must be in (0, 1), e.g. 0.99, not {self.ema_decay}")
        if not (math.isfinite(self.report_seconds) and self.report_seconds > 0):
            raise ConfigError("report interval must be positive")
        if not 1 <= self.cpu_threads <= MAX_CPU_THREADS:
            raise ConfigError(
                f"cpu threads must be from 1 to {MAX_CPU_THREADS}, got {self.cpu_threads}"
            )
        if self.limit_train is not None and self.limit_train < 1:
            raise ConfigError("limit train must be at least 1")
        if self.classes is not None and (
            not self.classes
            or any(c < 0 for c in self.classes)
            or list(self.classes) != sorted(set(self.classes))
        ):
            raise ConfigError("classes must be distinct class numbers, 0 or more, in order")
        if self.freeze not in FREEZE:
            raise ConfigError(f"freeze {self.freeze!r} is not one of {', '.join(FREEZE)}")
        if self.finetune_run is not None and self.finetune is None:
            raise ConfigError("a fine-tune run names a run of the --finetune checkpoint")

    @property
    def is_race(self) -> bool:
        return len(self.optimizers) > 1

    def race_settings(self) -> tuple[OptimizerSettings, ...]:
        """The optimizers with their display labels filled in (unique in a race)."""
        if len(self.optimizers) == 1:
            return self.optimizers
        names = [o.name for o in self.optimizers]
        out = []
        for o in self.optimizers:
            if o.label:
                out.append(o)
            elif names.count(o.name) > 1:
                out.append(replace(o, label=f"{o.name} lr={o.learning_rate:g}"))
            else:
                out.append(o)
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["optimizers"] = [asdict(o) for o in self.optimizers]
        data["augment"] = asdict(self.augment)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        values = dict(data)
        values["optimizers"] = tuple(
            OptimizerSettings(**{**o, "betas": tuple(o.get("betas", (0.9, 0.999)))})
            for o in values.get("optimizers", ())
        )
        values["augment"] = Augment(**values.get("augment", {}))
        for name in ("input_shape", "classes"):
            if values.get(name) is not None:
                values[name] = tuple(values[name])
        return cls(**values)


def format_number(number: float) -> str:
    """The shortest text that reads back as the same number: '0.1', '10', '0.123456789'."""
    short = f"{number:g}"
    return short if float(short) == number else repr(float(number))


def parse_betas(text: str) -> tuple[float, float]:
    """'0.9,0.999' (or '(0.9, 0.999)', '0.9 0.999') -> Adam's two betas, each in [0, 1)."""
    parts = [p for p in text.replace("(", "").replace(")", "").replace(" ", ",").split(",") if p]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 2:
        raise ConfigError(f"betas are two numbers like 0.9,0.999, got {text!r}")
    if not all(math.isfinite(b) and 0 <= b < 1 for b in values):
        raise ConfigError(f"betas must be in [0, 1), like 0.9,0.999, got {text.strip()!r}")
    return values


def format_betas(betas: tuple[float, float]) -> str:
    """(0.9, 0.999) -> '0.9,0.999', the text parse_betas reads back."""
    return ",".join(format_number(b) for b in betas)


_AUGMENT_KINDS: dict[str, type] = {"shift": int, "flip": bool, "rotate": float, "noise": float}
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def parse_augment(text: str) -> Augment:
    """'shift=2,flip,rotate=10,noise=0.1' -> Augment; 'none' or '' -> no augmentation."""
    values: dict[str, Any] = {}
    for part in text.replace(" ", ",").split(","):
        part = part.strip().lower()
        if not part or part == "none":
            continue
        name, sep, value = part.partition("=")
        name = name.strip()
        if name not in _AUGMENT_KINDS:
            raise ConfigError(
                f"augmentation {name!r} is not one of {', '.join(_AUGMENT_KINDS)} "
                "(e.g. shift=2,flip,rotate=10,noise=0.1)"
            )
        kind = _AUGMENT_KINDS[name]
        if kind is bool:
            if sep and value not in _TRUE + _FALSE:
                raise ConfigError(
                    f"augmentation flip takes no value (or true/false), not {value!r}"
                )
            values[name] = not sep or value in _TRUE
            continue
        if not sep:
            raise ConfigError(f"augmentation {name} needs a value, e.g. {name}=2")
        try:
            values[name] = kind(value)
        except ValueError:
            what = "a whole number of pixels" if kind is int else "a number"
            raise ConfigError(f"augmentation {name}={value!r}: expected {what}") from None
    return Augment(**values)


def format_augment(augment: Augment) -> str:
    """Augment -> 'shift=2,flip,rotate=10,noise=0.1' ('' for none), the text parse_augment
    reads back."""
    parts = []
    if augment.shift:
        parts.append(f"shift={augment.shift}")
    if augment.flip:
        parts.append("flip")
    if augment.rotate:
        parts.append(f"rotate={format_number(augment.rotate)}")
    if augment.noise:
        parts.append(f"noise={format_number(augment.noise)}")
    return ",".join(parts)


def parse_race(
    text: str,
    lr: float | None = None,
    *,
    one: str = "use --optimizer for one",
    **common: Any,
) -> tuple[OptimizerSettings, ...]:
    """'sgd,momentum,adam' or 'sgd:0.1,adam:0.001' -> optimizer settings (lr after a colon).

    A race takes 2 to MAX_RACE entries; `one` ends the message for a race of one, saying how
    to train a single optimizer where the text came from (the command line, the app's form)."""
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        name, _, rate = part.partition(":")
        try:
            value = float(rate) if rate else lr
        except ValueError:
            raise ConfigError(f"learning rate {rate!r} in {part!r} is not a number") from None
        out.append(OptimizerSettings(name=name.strip().lower(), lr=value, **common))
    if not out:
        raise ConfigError("name at least one optimizer, e.g. sgd,momentum,adam")
    if len(out) == 1:  # TrainConfig refuses more than MAX_RACE
        hint = f"; {one}" if one else ""
        raise ConfigError(f"a race needs 2 to {MAX_RACE} optimizers, got 1 ({out[0].name}){hint}")
    return tuple(out)


def parse_classes(text: str) -> tuple[int, ...]:
    """'0-4', '5,7,9' or '0-2,8' -> (0, 1, 2, 8): class numbers, sorted and distinct."""
    found: set[int] = set()
    for part in text.replace(" ", "").split(","):
        low, dash, high = part.partition("-")
        try:
            first = int(low)
            last = int(high) if dash else first
        except ValueError:
            raise ConfigError(
                f"classes {text!r}: expected numbers and ranges such as 0-4 or 5,7,9"
            ) from None
        if first < 0 or last < first or last >= 10_000:
            raise ConfigError(f"classes {text!r}: {part} is not a range of class numbers")
        found.update(range(first, last + 1))
    return tuple(sorted(found))
