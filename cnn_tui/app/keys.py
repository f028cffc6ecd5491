"""The app-wide keys: the modes (digits only where nothing takes typed text, F-keys always),
and the footer's word for what enter does on the focused widget."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import (
    Button,
    Checkbox,
    Input,
    OptionList,
    RadioButton,
    RadioSet,
    Select,
    TextArea,
)


@dataclass(frozen=True)
class Mode:
    """One top-level screen the student can switch to."""

    name: str
    """The mode's key in the app, e.g. 'stepper'."""
    title: str
    number: int
    """Its number key (and F-key); fixed across releases so muscle memory holds."""
    help: str

    @property
    def keys(self) -> str:
        """The number key and its F-key; Lessons has only '1', since F1 is help everywhere."""
        return str(self.number) if self.number == 1 else f"{self.number} / f{self.number}"


MODES_AVAILABLE: tuple[Mode, ...] = (
    Mode("lessons", "Lessons", 1, "Self-paced lessons with exercises that check your answers"),
    Mode("stepper", "Stepper", 2, "Step through a convolution or pooling, one cell at a time"),
    Mode(
        "builder",
        "Builder",
        3,
        "Assemble a layer stack and watch its shapes, parameters and memory add up",
    ),
    Mode(
        "train",
        "Train",
        4,
        "Train a stack on digits, MNIST or CIFAR-10 and watch the curves; race optimizers",
    ),
    Mode("calculators", "Calculators", 5, "Output sizes, parameter counts, receptive fields"),
    Mode(
        "playground",
        "Playground",
        6,
        "Race SGD, momentum, AdaGrad, RMSProp and Adam across a loss surface, step by step",
    ),
    Mode(
        "inside",
        "Inside",
        7,
        "One image through a trained network: every layer, any cell's numbers, where it "
        "looks, and how little fools it",
    ),
)

LAST = MODES_AVAILABLE[-1].number
DIGITS_NOTE = f"digits 1-{LAST} switch only while no text field has focus; F2-F{LAST} switch always"


def mode_bindings() -> list[Binding]:
    """Digits 1-7 (action `digit_mode`, refused while typing) and F2-F7 (always).

    The footer shows one entry: '1-7 Mode' while digits act, else 'f2-f7 Mode'. Each F-key has
    two bindings: the shown one (`fkey_mode`, only while digits do not act) and a hidden one
    that always switches; the first that is allowed runs."""
    bindings = [
        Binding(
            str(mode.number),
            f"digit_mode('{mode.name}')",
            "Mode" if mode.number == 1 else mode.title,
            key_display=f"1-{LAST}",
            show=mode.number == 1,
            tooltip=mode.help,
            id=f"mode-{mode.name}",
        )
        for mode in MODES_AVAILABLE
    ]
    for mode in MODES_AVAILABLE[1:]:
        if mode.number == 2:
            bindings.append(
                Binding(
                    "f2",
                    f"fkey_mode('{mode.name}')",
                    "Mode",
                    key_display=f"f2-f{LAST}",
                    tooltip="Switch screen (digits type while a field has focus)",
                )
            )
        bindings.append(
            Binding(
                f"f{mode.number}",
                f"switch_mode('{mode.name}')",
                mode.title,
                show=False,
                tooltip=mode.help,
                id=f"mode-{mode.name}-f",
            )
        )
    return bindings


def takes_typed_text(widget: Widget | None) -> bool:
    """Whether the widget wants typed characters: a text field, an open Select's list (it
    searches as you type), or a widget that declares `TAKES_TYPED_TEXT = True`."""
    if widget is None:
        return False
    if isinstance(widget, Input):
        return True
    if isinstance(widget, TextArea):
        return not widget.read_only
    if isinstance(widget, OptionList) and isinstance(widget.parent, Select):
        return True
    return bool(getattr(type(widget), "TAKES_TYPED_TEXT", False))


ENTER_WORDS: dict[str, str] = {
    "open": "Open",
    "press": "Press",
    "choose": "Choose",
    "toggle": "Toggle",
}
"""What enter does on the focused widget, by kind, as the footer says it."""


def enter_kind(widget: Widget | None) -> str | None:
    """The kind of the focused widget's enter (a key of ENTER_WORDS), or None to say nothing."""
    if isinstance(widget, Select):
        return "open"
    if isinstance(widget, Button):
        return "press"
    if isinstance(widget, (RadioSet, RadioButton)):
        return "choose"
    if isinstance(widget, Checkbox):
        return "toggle"
    return None


def enter_bindings() -> list[Binding]:
    """One priority binding per kind: its word shows in the footer only for its kind, and the
    action hands the key on to the focused widget, so enter does what it always did."""
    return [
        Binding("enter", f"enter_focused('{kind}')", word, priority=True, id=f"enter-{kind}")
        for kind, word in ENTER_WORDS.items()
    ]
