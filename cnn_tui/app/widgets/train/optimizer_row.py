"""TrainOptimizerRow: the train form's second row, the dataset and the one optimizer with its
learning rate, momentum and weight decay (grey hints show the optimizer's usual values)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Label, Select

from ....core.stacks.shapes import format_shape
from ....core.training.data import DATASETS, DatasetInfo
from ....core.training.train_config import DEFAULT_LR, OPTIMIZERS, TrainConfig


def dataset_words(info: DatasetInfo) -> str:
    """'mnist: MNIST, 1x28x28, 10 classes': one dataset of the engine's list, for the tooltip."""
    return f"{info.name}: {info.title}, {format_shape(info.shape)}, {len(info.labels)} classes"


def momentum_hint(optimizer: str) -> str:
    """The momentum field's grey hint: the optimizer's usual momentum."""
    return "0.9" if optimizer in ("momentum", "nesterov") else "0"


class TrainOptimizerRow(Horizontal):
    """Data, optimizer, lr, momentum and weight decay."""

    def __init__(self, base: TrainConfig) -> None:
        super().__init__(classes="train-row")
        self.base = base
        """The settings the fields start from."""

    def compose(self) -> ComposeResult:
        base = self.base
        single = base.optimizers[0]
        yield Label("data", classes="train-label")
        yield Select(
            [(name, name) for name in DATASETS],
            value=base.dataset if base.dataset in DATASETS else "digits",
            allow_blank=False,
            compact=True,
            id="train-dataset",
            tooltip="; ".join(dataset_words(info) for info in DATASETS.values()),
        )
        yield Label("optimizer", classes="train-label")
        yield Select(
            [(name, name) for name in OPTIMIZERS],
            value=single.name,
            allow_blank=False,
            compact=True,
            id="train-optimizer",
            tooltip="; ".join(f"{name}: {title}" for name, title in OPTIMIZERS.items()),
        )
        yield Label("lr", classes="train-label")
        yield Input(
            # in a race each entry carries its own rate in the race field
            f"{single.lr:g}" if single.lr is not None and not base.is_race else "",
            placeholder=f"{DEFAULT_LR[single.name]:g}",
            compact=True,
            select_on_focus=True,
            id="train-lr",
            tooltip="Learning rate (empty: the optimizer's usual rate, shown grey)",
        )
        yield Label("mom", classes="train-label")
        yield Input(
            f"{single.momentum:g}" if single.momentum is not None else "",
            placeholder=momentum_hint(single.name),
            compact=True,
            select_on_focus=True,
            id="train-momentum",
            tooltip="Momentum in [0, 1): SGD variants and RMSProp (empty: the usual value)",
        )
        yield Label("wd", classes="train-label")
        yield Input(
            f"{single.weight_decay:g}",
            compact=True,
            select_on_focus=True,
            id="train-decay",
            tooltip="Weight decay (L2 penalty), 0 or more",
        )

    @on(Select.Changed, "#train-optimizer")
    def show_usual_values(self, event: Select.Changed) -> None:
        event.stop()
        name = str(event.value)
        self.query_one("#train-lr", Input).placeholder = f"{DEFAULT_LR[name]:g}"
        self.query_one("#train-momentum", Input).placeholder = momentum_hint(name)
