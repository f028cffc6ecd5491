"""TrainRunRow: the train form's third row, an optimizer race, the batch size, the epochs, the
device and whether to download the data."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Checkbox, Input, Label, Select

from ....core.training.train_config import DEVICES, MAX_RACE, TrainConfig


class TrainRunRow(Horizontal):
    """Race, batch, epochs, device and download."""

    def __init__(self, base: TrainConfig) -> None:
        super().__init__(classes="train-row")
        self.base = base
        """The settings the fields start from."""

    def compose(self) -> ComposeResult:
        base = self.base
        yield Label("race", classes="train-label")
        yield Input(
            ",".join(f"{o.name}:{o.lr:g}" if o.lr is not None else o.name for o in base.optimizers)
            if base.is_race
            else "",
            placeholder="e.g. sgd,adam",
            compact=True,
            id="train-race",
            tooltip=f"Race 2 to {MAX_RACE} optimizers from the same initial weights: names "
            "separated by commas, a rate after a colon (sgd:0.1,adam); empty trains the "
            "optimizer above",
        )
        yield Label("batch", classes="train-label")
        yield Input(
            str(base.batch_size),
            compact=True,
            select_on_focus=True,
            id="train-batch",
            tooltip="Images per optimizer step",
        )
        yield Label("epochs", classes="train-label")
        yield Input(
            str(base.epochs),
            compact=True,
            select_on_focus=True,
            id="train-epochs",
            tooltip="Passes over the training set",
        )
        yield Label("device", classes="train-label")
        yield Select(
            [(name, name) for name in DEVICES],
            value=base.device,
            allow_blank=False,
            compact=True,
            id="train-device",
            tooltip="auto: the GPU (cuda), then Apple's mps, then the cpu",
        )
        yield Checkbox(
            "download",
            base.download,
            compact=True,
            id="train-download",
            tooltip="Fetch MNIST, Fashion-MNIST or CIFAR-10 from the internet when they "
            "are not on disk yet (digits ships with scikit-learn)",
        )
