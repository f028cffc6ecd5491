"""From a stepper preset or a StepperConfig to a trace, and the one map of the stepper's names."""

from __future__ import annotations

import numpy as np

from ..convolution.backward_presets import BACKWARD_PRESETS
from ..convolution.presets import PRESETS, StepperPreset, trace_for
from ..convolution.stepper import StepperError, Trace
from .stepper_config import StepperConfig

STEP_COMMANDS = {"conv": "conv2d", "conv1d": "conv1d", "pool": "pool2d"}
"""`cnn-tui step` word -> the operation a preset names; `step pool --kind` picks the kind."""
POOL_OPERATIONS = {"max": "maxpool", "avg": "avgpool", "lp": "l2pool", "l2": "l2pool"}
"""A pool2d preset's kind -> the StepperConfig operation that shows it (the form's lp is L2)."""
POOL_KINDS = {"maxpool": "max", "avgpool": "avg", "l2pool": "lp"}
"""A pooling StepperConfig operation -> the kind pool2d_trace computes."""


def step_command(operation: str) -> str:
    """The `cnn-tui step` word that runs a preset operation: 'pool2d' -> 'pool'."""
    return next(word for word, named in STEP_COMMANDS.items() if named == operation)


def stepper_preset(name: str) -> StepperPreset:
    """A forward preset by name; a backward preset's name gives the forward example it flows
    back through."""
    return PRESETS[name] if name in PRESETS else BACKWARD_PRESETS[name].forward


def preset_words(name: str) -> tuple[str, str]:
    """A forward or backward preset's title and description."""
    preset = BACKWARD_PRESETS[name] if name in BACKWARD_PRESETS else PRESETS[name]
    return preset.title, preset.description


def config_from_preset(name: str) -> tuple[StepperConfig, np.ndarray, np.ndarray]:
    """A preset as the stepper screen holds it: config, inputs (C, H, W), kernels (K, C, kh, kw).

    A 1-D signal is one row of height 1; pooling gets 3x3 kernels of ones the form never shows.
    A backward preset's name gives its forward example.
    """
    preset = stepper_preset(name)
    settings = dict(preset.settings)
    if preset.operation == "pool2d":
        kind = settings.get("kind", "max")
        operation = POOL_OPERATIONS.get(kind, "l2pool")
        inputs = _channels_first(np.array(preset.input, dtype=float), 2)
        config = StepperConfig(
            operation=operation,
            channels=inputs.shape[0],
            stride=settings.get("stride"),
            padding=settings.get("padding", 0),
            size=settings.get("size", 2),
            ceil_mode=settings.get("ceil_mode", False),
        )
        kernels = np.ones((1, inputs.shape[0], 3, 3))
        return config, inputs, kernels
    one_d = preset.operation == "conv1d"
    inputs = _channels_first(np.array(preset.input, dtype=float), 1 if one_d else 2)
    if one_d:
        inputs = inputs[:, None, :]
    kernel = np.array(preset.kernel, dtype=float)
    spatial = 1 if one_d else 2
    while kernel.ndim < spatial + 2:
        kernel = kernel[None]
    if one_d:
        kernel = kernel[:, :, None, :]
    bias = settings.get("bias", 0.0)
    config = StepperConfig(
        operation=preset.operation,
        channels=inputs.shape[0],
        filters=kernel.shape[0],
        stride=settings.get("stride", 1),
        padding=settings.get("padding", 0),
        dilation=settings.get("dilation", 1),
        bias=tuple(float(b) for b in np.atleast_1d(bias)),
        mode=settings.get("mode", "correlation"),
    )
    return config, inputs, kernel


def _channels_first(array: np.ndarray, spatial: int) -> np.ndarray:
    return array[None] if array.ndim == spatial else array


def trace_from_config(config: StepperConfig, inputs: np.ndarray, kernels: np.ndarray) -> Trace:
    """The trace of a config over inputs (C, H, W) and kernels (K, C, kh, kw), laid out as
    config_from_preset gives them; raises StepperError when it cannot be built."""
    if config.is_pool:
        return trace_for(
            "pool2d",
            inputs,
            None,
            dict(
                kind=POOL_KINDS.get(config.operation, "lp"),
                size=config.size,
                stride=config.stride,
                padding=config.padding,
                ceil_mode=config.ceil_mode,
            ),
        )
    bias = config.bias
    filters = kernels.shape[0]
    if len(bias) not in (1, filters):
        raise StepperError(f"bias: give one value or one per filter ({filters})")
    options = dict(
        bias=list(bias) if len(bias) > 1 else bias[0],
        stride=config.stride or 1,
        padding=config.padding,
        dilation=config.dilation,
        mode=config.mode,
    )
    if config.operation == "conv1d":
        return trace_for("conv1d", inputs[:, 0, :], kernels[:, :, 0, :], options)
    return trace_for("conv2d", inputs, kernels, options)
