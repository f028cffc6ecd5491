"""The stepper screen's keys: stepping, playing, settings, channel pages, and the backward
pass's keys (which the screen runs only while the backward pass is shown)."""

from __future__ import annotations

from textual.binding import Binding, BindingType

STEP_KEYS = Binding.Group("Step")
"""Next and back share one footer entry: 'n p Step'."""

BACKWARD_BINDINGS: list[BindingType] = [
    # d is named by the settings' "direction (d)" control: the footer keeps Mode and Help at
    # 80 columns
    Binding(
        "d",
        "direction",
        "Direction",
        tooltip="Step the forward or the backward pass",
        id="dir",
        show=False,
    ),
    Binding(
        "t", "backward('trace')", "Trace", tooltip="Next trace: dL/dW, dL/dX, dL/db", id="bw_trace"
    ),
    Binding(
        "v",
        "backward('view')",
        "View",
        tooltip="dL/dX as each cell's sum, scattered from each window, or a full convolution",
        id="bw_view",
    ),
    Binding(
        "l",
        "backward('loss')",
        "Loss",
        tooltip="dL/dY from a loss (L = sum of squares, dL/dY = 2Y) or typed",
        id="bw_loss",
        show=False,
    ),
    Binding(
        "r",
        "backward('random')",
        "Random",
        tooltip="Fill dL/dY with random whole numbers",
        id="bw_r",
        show=False,
    ),
    Binding("g", "backward('sgd')", "SGD", tooltip="One SGD step: W - lr x dL/dW", id="bw_sgd"),
]
"""The backward pass's keys."""

STEPPER_BINDINGS: list[BindingType] = [
    Binding("right,n", "step(1)", "Next", tooltip="Next output cell", id="next", group=STEP_KEYS),
    Binding(
        "left,p", "step(-1)", "Back", tooltip="Previous output cell", id="back", group=STEP_KEYS
    ),
    Binding("home", "jump(0)", "Start", tooltip="First output cell", id="start", show=False),
    Binding("end", "jump(-1)", "End", tooltip="Last output cell (all done)", id="end", show=False),
    Binding("space", "play", "Play", tooltip="Play or pause the animation", id="play"),
    Binding(
        "plus,equals_sign",
        "speed(1)",
        "Faster",
        tooltip="Animate faster",
        id="faster",
        show=False,
    ),
    Binding("minus", "speed(-1)", "Slower", tooltip="Animate slower", id="slower", show=False),
    Binding(
        "s",
        "toggle_settings",
        "Settings",
        tooltip="Show or hide the settings column",
        id="settings",
    ),
    Binding(
        "right_square_bracket",
        "page(1)",
        "More",
        tooltip="Show the next input channels (they do not all fit)",
        id="page",
    ),
    Binding(
        "left_square_bracket",
        "page(-1)",
        "Back channels",
        tooltip="Show the previous input channels",
        id="page_back",
        show=False,
    ),
    Binding(
        "escape",
        "leave_field",
        "Stop editing",
        show=False,
        tooltip="Leave the grid or field; arrows step again",
    ),
    *BACKWARD_BINDINGS,
]
"""Every key of the stepper screen."""
