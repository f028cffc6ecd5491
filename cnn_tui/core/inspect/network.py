"""A trained network to look inside: loaded from a checkpoint (the safe loader, weights only)
or wrapped around a model the app already holds, with its labels and normalisation."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..stacks.blocks import walk
from ..stacks.layers import Layer
from ..stacks.shapes import Shape, StackError, format_shape, parse_shape
from ..stacks.stack import Stack

if TYPE_CHECKING:
    from torch import nn

    from ..training.results import LiveRun, TrainResult


class InspectError(ValueError):
    """Something the inspector cannot do, in one line naming the culprit."""


@dataclass(frozen=True)
class LayerRow:
    """One layer as `cnn-tui summary` numbers it: '4', or '5.1.2' inside a block."""

    row: str
    path: tuple[int, ...]
    name: str
    """The layer in spec syntax (the summary's label)."""
    kind: str
    input_shape: Shape
    output_shape: Shape
    depth: int
    is_block: bool


@dataclass(frozen=True)
class Network:
    """A trained stack with the numbers needed to feed it and read it."""

    stack: Stack
    model: nn.Sequential = field(compare=False, repr=False)
    """build_module's nn.Sequential with the weights loaded, in eval mode, on the CPU."""
    labels: tuple[str, ...]
    mean: tuple[float, ...]
    """Per-channel mean of the raw [0, 1] training pixels (the checkpoint's normalisation)."""
    std: tuple[float, ...]
    dataset: str
    run: str
    ema: bool
    """Whether these are the run's averaged (EMA) weights."""
    rows: tuple[LayerRow, ...]

    @property
    def input_shape(self) -> Shape:
        return self.stack.input_shape

    def row(self, number: str) -> LayerRow:
        """The layer a summary row number names; InspectError listing the rows otherwise."""
        wanted = number.strip()
        for row in self.rows:
            if row.row == wanted:
                return row
        known = ", ".join(r.row for r in self.rows)
        raise InspectError(f"no layer {number!r}: the rows are {known}")


def layer_rows(layers: tuple[Layer, ...], shape: Shape) -> tuple[LayerRow, ...]:
    return tuple(
        LayerRow(
            row=p.number,
            path=p.path,
            name=p.layer.label(),
            kind=p.layer.kind,
            input_shape=p.input_shape,
            output_shape=p.output_shape,
            depth=p.depth,
            is_block=p.layer.is_block,
        )
        for p in walk(layers, shape)
    )


def network_from_model(
    model: nn.Module,
    stack: Stack,
    labels: tuple[str, ...],
    mean: tuple[float, ...],
    std: tuple[float, ...],
    *,
    dataset: str = "digits",
    run: str = "",
    ema: bool = False,
) -> Network:
    """A Network around a model already in memory (a run of the app's Train session): a CPU
    copy in eval mode, so looking inside never disturbs the run."""
    import copy

    import torch

    if not isinstance(model, torch.nn.Sequential):
        raise InspectError("the model is not the nn.Sequential that build_module makes")
    cpu = copy.deepcopy(model).cpu().float().eval()
    for parameter in cpu.parameters():
        parameter.requires_grad_(False)
    if len(mean) != stack.input_shape[0] or len(std) != len(mean):
        raise InspectError(
            f"the normalisation has {len(mean)} channels; the input "
            f"{format_shape(stack.input_shape)} has {stack.input_shape[0]}"
        )
    return Network(
        stack=stack,
        model=cpu,
        labels=tuple(labels),
        mean=tuple(float(m) for m in mean),
        std=tuple(float(s) for s in std),
        dataset=dataset,
        run=run,
        ema=ema,
        rows=layer_rows(stack.layers, stack.input_shape),
    )


def network_from_live(live: LiveRun, run: str, ema: bool = False) -> Network:
    """A run of the app's Train session (a race's runs included), as train() left it in
    `live`: a CPU copy of its raw or averaged weights."""
    models = live.ema_models if ema else live.models
    if live.data is None or live.stack is None or run not in models:
        what = "averaged (EMA) weights" if ema else "weights"
        raise InspectError(f"no {what} of a run {run!r} in this session")
    data = live.data
    return network_from_model(
        models[run],
        live.stack,
        data.labels,
        tuple(float(v) for v in data.mean.cpu()),
        tuple(float(v) for v in data.std.cpu()),
        dataset=data.name,
        run=run,
        ema=ema,
    )


def network_from_result(result: TrainResult, run: str, ema: bool = False) -> Network:
    """A finished run of the app's Train session (TrainResult.runs, a race's included): its
    stack rebuilt from the run's settings, a CPU copy of its raw or averaged weights."""
    from ..stacks.zoo import resolve_stack

    outcome = next((r for r in result.runs if r.run == run), None)
    model = None if outcome is None else (outcome.ema_model if ema else outcome.model)
    data = result.data
    if model is None or data is None:
        what = "averaged (EMA) weights" if ema else "weights"
        raise InspectError(f"no {what} of a run {run!r} in this session")
    try:
        stack = resolve_stack(result.config.model, result.config.input_shape)
    except StackError as exc:
        raise InspectError(f"the stack of run {run!r} cannot be rebuilt ({exc})") from None
    return network_from_model(
        model,
        stack,
        data.labels,
        tuple(float(v) for v in data.mean.cpu()),
        tuple(float(v) for v in data.std.cpu()),
        dataset=data.name,
        run=run,
        ema=ema,
    )


def run_names(payload: dict[str, Any]) -> tuple[str, ...]:
    runs = payload.get("runs")
    return tuple(runs) if isinstance(runs, dict) else ()


def load_network(path: str | Path, run: str | None = None, ema: bool = False) -> Network:
    """The network a `--save` checkpoint holds, read with torch.load(weights_only=True).

    `run` picks one run of a race by name (the only run when omitted); `ema` its averaged
    weights, where the run kept them. Raises InspectError naming the file, run or layer."""
    from ..stacks.torch_bridge import build_module
    from ..stacks.zoo import resolve_stack
    from ..training.checkpoints import load_checkpoint
    from ..training.devices import TrainingError

    try:
        payload = load_checkpoint(path)
    except TrainingError as exc:
        raise InspectError(str(exc)) from None
    names = run_names(payload)
    if not names:
        raise InspectError(f"{path} holds no runs")
    if run is None:
        if len(names) > 1:
            raise InspectError(
                f"{path} holds {len(names)} runs: pick one with --run ({_list(names)})"
            )
        run = names[0]
    if run not in names:
        raise InspectError(f"no run {run!r} in {path}: it holds {_list(names)}")
    entry = payload["runs"][run]
    key = "ema_state_dict" if ema else "state_dict"
    state = entry.get(key) if isinstance(entry, dict) else None
    if state is None:
        what = "kept no averaged (EMA) weights" if ema else "holds no weights"
        raise InspectError(f"run {run!r} in {path} {what}")
    try:
        spec = payload["stack"]["spec"]
        shape = parse_shape(payload["stack"]["input"])
        stack = resolve_stack(spec, shape)
        model = build_module(stack)
        model.load_state_dict(state)
    except (KeyError, TypeError, StackError) as exc:
        raise InspectError(f"{path}: the stack cannot be rebuilt ({exc})") from None
    except RuntimeError as exc:  # load_state_dict: missing keys or wrong shapes
        first = " ".join(str(exc).split())[:200]
        raise InspectError(f"{path}: the weights do not fit the stack ({first})") from None
    norm = payload.get("normalisation") or {}
    labels = tuple(str(label) for label in payload.get("labels") or ())
    config = payload.get("config") or {}
    return network_from_model(
        model,
        stack,
        labels or tuple(str(i) for i in range(_classes(stack))),
        tuple(norm.get("mean") or (0.0,) * shape[0]),
        tuple(norm.get("std") or (1.0,) * shape[0]),
        dataset=str(config.get("dataset", "digits")),
        run=run,
        ema=ema,
    )


def _classes(stack: Stack) -> int:
    out = stack.output_shape()
    return out[0] if out else 0


def _list(names: tuple[str, ...]) -> str:
    return ", ".join(repr(n) for n in names)


def export_checkpoint(
    path: str | Path, run: str | None = None, ema: bool = False, class_name: str = "Net"
) -> str:
    """Standalone PyTorch source whose Net loads this checkpoint's weights (`load_weights`)."""
    from ..stacks.export_weights import export_with_weights

    network = load_network(path, run=run, ema=ema)
    return export_with_weights(
        network.stack,
        list(network.model.state_dict()),
        str(Path(path).expanduser().resolve()),
        network.run,
        ema,
        (network.mean, network.std),
        network.labels,
        class_name=class_name,
    )
