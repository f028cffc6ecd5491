"""One forward pass with a hook on every layer: each layer's activations by summary row, and
the prediction (top-3 and the probabilities in class order)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..stacks.layers import LogSoftmax, Softmax
from .inputs import InputImage
from .network import InspectError, LayerRow, Network

if TYPE_CHECKING:
    import numpy as np
    import torch

TOP = 3


@dataclass(frozen=True)
class ClassScore:
    index: int
    name: str
    probability: float


@dataclass(frozen=True)
class Prediction:
    top3: tuple[ClassScore, ...]
    """The most probable classes, most probable first (ties: the lower class index first)."""
    probabilities: tuple[float, ...]
    """In class order."""

    @property
    def predicted(self) -> int:
        return self.top3[0].index

    def to_dict(self) -> dict:
        return {
            "top3": [{"class": c.name, "probability": c.probability} for c in self.top3],
            "probabilities": list(self.probabilities),
        }


@dataclass(frozen=True)
class Activation:
    """One layer's output for the image, and the figures a screen prints beside it."""

    row: LayerRow
    values: np.ndarray = field(compare=False, repr=False)
    """The output without the batch axis: (C, H, W) for a conv or pool, (F,) after flatten."""
    inputs: np.ndarray = field(compare=False, repr=False)
    """What the layer was given (without the batch axis): a cell trace's window comes from it."""
    minimum: float
    maximum: float
    mean: float

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.values.shape)

    def to_dict(self) -> dict:
        return {
            "row": self.row.row,
            "name": self.row.name,
            "shape": list(self.shape),
            "min": self.minimum,
            "max": self.maximum,
            "mean": self.mean,
        }


@dataclass(frozen=True)
class Forward:
    """Everything one forward pass shows: every layer's activations and the prediction."""

    image: InputImage
    layers: tuple[Activation, ...]
    prediction: Prediction

    def layer(self, row: str) -> Activation:
        for activation in self.layers:
            if activation.row.row == row:
                return activation
        raise InspectError(
            f"no layer {row!r}: the rows are {', '.join(a.row.row for a in self.layers)}"
        )


@contextmanager
def hooked(network: Network, rows: tuple[LayerRow, ...]) -> Iterator[dict[str, tuple]]:
    """Forward hooks on the rows' modules; yields {row: (inputs, output)} filled by a pass."""
    from ..stacks.torch_bridge import module_at

    seen: dict[str, tuple] = {}
    handles = []
    for row in rows:
        module = module_at(network.model, row.path)

        def hook(_module, inputs, output, number: str = row.row) -> None:
            seen[number] = (inputs, output)

        handles.append(module.register_forward_hook(hook))
    try:
        yield seen
    finally:
        for handle in handles:
            handle.remove()


def probabilities(network: Network, output: torch.Tensor) -> torch.Tensor:
    """The network's output for one image -> class probabilities (its last layer may already
    be a softmax or a log-softmax)."""
    import torch

    last = network.stack.layers[-1] if network.stack.layers else None
    flat = output.reshape(output.shape[0], -1)
    if isinstance(last, LogSoftmax):
        return flat.exp()
    if isinstance(last, Softmax):
        return flat
    return torch.softmax(flat, dim=1)


def prediction(network: Network, output: torch.Tensor) -> Prediction:
    """Top-3 and the probabilities of one image's output."""
    probs = [float(p) for p in probabilities(network, output.detach())[0]]
    order = sorted(range(len(probs)), key=lambda i: (-probs[i], i))[:TOP]
    return Prediction(
        top3=tuple(ClassScore(i, _name(network, i), probs[i]) for i in order),
        probabilities=tuple(probs),
    )


def _name(network: Network, index: int) -> str:
    return network.labels[index] if index < len(network.labels) else str(index)


def forward(network: Network, image: InputImage) -> Forward:
    """Run the image through the network with a hook on every layer (blocks and the layers
    inside them too)."""
    import torch

    with hooked(network, network.rows) as seen, torch.no_grad():
        output = network.model(image.x)
    layers = []
    for row in network.rows:
        given, output = seen[row.row]
        values = output[0].detach().float()
        layers.append(
            Activation(
                row=row,
                values=values.numpy().copy(),
                inputs=given[0][0].detach().float().numpy().copy(),
                minimum=float(values.min()),
                maximum=float(values.max()),
                mean=float(values.mean()),
            )
        )
    return Forward(image=image, layers=tuple(layers), prediction=prediction(network, output))
