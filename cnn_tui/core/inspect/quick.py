"""A small network trained on the spot (the embedded digits, a few seconds on a CPU), so the
inside view works from a fresh clone with nothing trained yet."""

from __future__ import annotations

from .network import Network, network_from_result

QUICK_STACK = "conv(4,3,p=1) relu maxpool(2) conv(8,3,p=1) relu maxpool(2) flatten fc(10)"
"""The course network's stack: two small convs on 8x8 digits."""
QUICK_EPOCHS = 4


def train_small(epochs: int = QUICK_EPOCHS, seed: int = 0) -> Network:
    """Train QUICK_STACK on the digits at their own 8x8 size with Adam, and hand it back."""
    from ..training.loop import train
    from ..training.train_config import OptimizerSettings, TrainConfig

    config = TrainConfig(
        model=QUICK_STACK,
        input_shape=(1, 8, 8),
        dataset="digits",
        optimizers=(OptimizerSettings("adam", lr=0.01),),
        epochs=epochs,
        seed=seed,
        device="cpu",
    )
    result = train(config)
    return network_from_result(result, result.runs[0].run)
