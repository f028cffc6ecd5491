"""Everything `cnn-tui inspect` (and a screen) shows for one image, computed in one call, and
its JSON with the issue's keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .activations import Forward, forward
from .attribution import Saliency, saliency
from .cell import CellTrace, trace_cell
from .fgsm import Fgsm, FlipSearch, fgsm, smallest_flip
from .inputs import InputImage
from .network import Network


@dataclass(frozen=True)
class Inspection:
    network: Network
    image: InputImage
    forward: Forward
    cell: CellTrace | None = None
    saliency: Saliency | None = None
    fgsm: Fgsm | None = None
    search: FlipSearch | None = None

    def class_name(self, index: int) -> str:
        labels = self.network.labels
        return labels[index] if 0 <= index < len(labels) else str(index)

    def to_dict(self) -> dict[str, Any]:
        """prediction, layers, and where asked: cell, saliency, fgsm, fgsm_search; input
        says which image it was."""
        image = self.image
        data: dict[str, Any] = {
            "input": {
                "source": image.source,
                "index": image.index,
                "label": None if image.label is None else self.class_name(image.label),
            },
            "prediction": self.forward.prediction.to_dict(),
            "layers": [a.to_dict() for a in self.forward.layers],
        }
        parts = {
            "cell": self.cell,
            "saliency": self.saliency,
            "fgsm": self.fgsm,
            "fgsm_search": self.search,
        }
        data.update({key: part.to_dict() for key, part in parts.items() if part is not None})
        return data


def inspect_image(
    network: Network,
    image: InputImage,
    *,
    cell: tuple[str, int, int, int] | None = None,
    with_saliency: bool = False,
    epsilon: float | None = None,
    search: bool = False,
) -> Inspection:
    """The forward pass, and the cell trace, maps, FGSM and ε search asked for."""
    seen = forward(network, image)
    return Inspection(
        network=network,
        image=image,
        forward=seen,
        cell=trace_cell(network, seen, *cell) if cell is not None else None,
        saliency=saliency(network, image) if with_saliency else None,
        fgsm=fgsm(network, image, epsilon) if epsilon is not None else None,
        search=smallest_flip(network, image) if search else None,
    )
