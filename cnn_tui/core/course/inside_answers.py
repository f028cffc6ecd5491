"""The course network (small fixed weights shipped with the course, trained once on the
embedded digits) and the answers the inside-a-network lesson asks of it.

The weights are plain JSON numbers (no pickle), so loading them runs no code; the answers do
not depend on a training run or on the thread count (the network is tiny and every sum is
short)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..inspect.network import Network

WEIGHTS = Path(__file__).with_name("inside_net.json")
"""The course network: its stack, normalisation, labels and state dict as JSON numbers."""


@lru_cache(maxsize=1)
def _payload() -> dict:
    with WEIGHTS.open(encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, dict) or not isinstance(data.get("state_dict"), dict):
        raise ValueError(f"{WEIGHTS.name} holds no state_dict")
    return data


def course_network() -> Network:
    """The shipped course network, ready to look inside (run 'course')."""
    import torch

    from ..inspect.network import network_from_model
    from ..stacks.shapes import parse_shape
    from ..stacks.torch_bridge import build_module
    from ..stacks.zoo import resolve_stack

    data = _payload()
    stack = resolve_stack(str(data["stack"]), parse_shape(str(data["input"])))
    model = build_module(stack)
    state = {str(k): torch.tensor(v, dtype=torch.float32) for k, v in data["state_dict"].items()}
    model.load_state_dict(state)
    return network_from_model(
        model,
        stack,
        tuple(str(label) for label in data["labels"]),
        tuple(float(m) for m in data["mean"]),
        tuple(float(s) for s in data["std"]),
        dataset=str(data["dataset"]),
        run="course",
    )


def fgsm_flip(image: int) -> float:
    """The smallest ε on the 0.001 grid whose FGSM image of digits test image `image` changes
    the course network's top class; ValueError when none up to 0.5 does."""
    from ..inspect.fgsm import smallest_flip
    from ..inspect.inputs import dataset_image

    if isinstance(image, bool) or not isinstance(image, int):
        raise ValueError(f"image must be a whole number, got {image!r}")
    network = course_network()
    found = smallest_flip(network, dataset_image(network, image))
    if found.epsilon is None:
        raise ValueError(f"no ε up to {found.limit:g} flips test image {image}")
    return found.epsilon


def course_prediction(image: int) -> int:
    """The class the course network predicts for digits test image `image`."""
    from ..inspect.activations import forward
    from ..inspect.inputs import dataset_image

    network = course_network()
    return forward(network, dataset_image(network, image)).prediction.predicted


INSIDE_ANSWERS = (fgsm_flip, course_prediction)
"""The inside-a-network answer functions, for lesson_answers.ANSWERS."""
