"""Helpers the training engine's test files share: the tiny stack and a one-epoch CPU config."""

from __future__ import annotations

from cnn_tui.core.training.train_config import OptimizerSettings, TrainConfig

TINY = "conv(4,3) relu maxpool(2) flatten linear(10)"
"""8x8 digits -> 4x6x6 -> 4x3x3 -> 36 -> 10: 410 parameters, a step takes microseconds."""


def tiny(**changes) -> TrainConfig:
    values = {
        "model": TINY,
        "input_shape": (1, 8, 8),
        "dataset": "digits",
        "optimizers": (OptimizerSettings("sgd", lr=0.1),),
        "batch_size": 32,
        "epochs": 1,
        "limit_train": 256,
        "device": "cpu",
    }
    values.update(changes)
    return TrainConfig(**values)
