"""Transfer learning in small: a run that starts from a checkpoint's weights, with the conv
layers frozen so only the classifier learns, on a subset of the classes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..stacks.shapes import format_shape, parse_shape
from ..stacks.stack import Stack
from .devices import TrainingError
from .train_config import TrainConfig

if TYPE_CHECKING:
    from torch import nn


@dataclass(frozen=True)
class Start:
    """The weights a fine-tuning run starts from and the normalisation they were trained on."""

    state: dict[str, Any]
    mean: list[float]
    std: list[float]


def load_start(config: TrainConfig, stack: Stack) -> Start | None:
    """The --finetune checkpoint's weights for this stack; None without --finetune.
    TrainingError for a checkpoint of another stack or a run it does not hold."""
    if config.finetune is None:
        return None
    from ..stacks.zoo import resolve_stack
    from .checkpoints import load_checkpoint

    payload = load_checkpoint(config.finetune)
    runs = payload.get("runs") or {}
    run = config.finetune_run
    if run is None:
        if len(runs) != 1:
            names = ", ".join(repr(n) for n in runs)
            raise TrainingError(f"{config.finetune} holds {len(runs)} runs: pick one ({names})")
        run = next(iter(runs))
    if run not in runs or runs[run].get("state_dict") is None:
        raise TrainingError(f"{config.finetune} holds no run {run!r} with weights")
    saved = payload.get("stack") or {}
    theirs = resolve_stack(str(saved.get("spec", "")), parse_shape(str(saved.get("input"))))
    if theirs.layers != stack.layers or theirs.input_shape != stack.input_shape:
        raise TrainingError(
            f"{config.finetune} holds {theirs.spec} on {format_shape(theirs.input_shape)}: "
            f'fine-tune it with --model "{theirs.spec}" --input {format_shape(theirs.input_shape)}'
        )
    norm = payload.get("normalisation") or {}
    return Start(runs[run]["state_dict"], list(norm.get("mean", [])), list(norm.get("std", [])))


def prepare_model(
    model: nn.Module, start: Start | None, freeze: str, new_head: bool = False
) -> None:
    """Load the start weights, start the last linear layer afresh when `new_head` (its own
    initialisation, drawn from the run's seed), then freeze what `freeze` names (conv and 2-d
    batch-norm parameters: their running statistics still follow the new data in training
    mode)."""
    from torch import nn

    if start is not None:
        model.load_state_dict(start.state)
    if new_head:
        heads = [m for m in model.modules() if isinstance(m, nn.Linear)]
        if not heads:
            raise TrainingError("--new-head needs a linear layer at the end of the stack")
        heads[-1].reset_parameters()
    if freeze == "conv":
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.BatchNorm2d)):
                module.requires_grad_(False)
        if not any(p.requires_grad for p in model.parameters()):
            raise TrainingError("--freeze conv leaves no parameters to train")
