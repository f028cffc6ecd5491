"""BackwardView: the stepper's backward pass, one gradient cell at a time (dL/dW, dL/dX, dL/db),
with dL/dY typed into a grid shaped like the output and one SGD step."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Label, Static

from ....core.convolution.backward_conv import ConvBackward
from ....core.convolution.backward_pool import PoolBackward
from ....core.convolution.backward_presets import BackwardPreset, backward_for
from ....core.convolution.backward_sgd import sgd_step
from ....core.convolution.stepper import StepperError, Trace, format_number
from ....core.views.backward_view import (
    TRACE_NAMES,
    VIEW_NAMES,
    BackwardPage,
    page,
    sgd_page,
    step_count,
    traces_for,
    views_for,
)
from ....core.views.backward_view import (
    in_columns as columns,
)
from ....core.views.stepper_layout import wrap_sum
from ..common.step_player import StepPlayer
from .number_grid import NumberGrid

SHORT = 32
"""Screens less tall than this show a backward preset's title without its description."""


class BackwardView(VerticalScroll):
    """The backward pass of the forward trace it is shown (attributes down, via `show`)."""

    DEFAULT_CSS = """
    BackwardView {
        width: 1fr;
        height: 1fr;
        padding: 0 0 0 1;
        & #backward-info, & #backward-notes { color: $text-muted; height: auto; }
        & #backward-grids { height: auto; }
        & #backward-grids.-rows { layout: vertical; }
        & #backward-grids.-rows NumberGrid { margin: 0 0 0 0; }
        & #backward-grids NumberGrid { margin: 0 2 1 0; }
        & #backward-heading { height: 1; }
        & #backward-lines { height: auto; }
        & #lr-row { height: auto; }
        & #lr-row Label { margin-right: 1; }
        & #lr-row Input { width: 12; }
        & #backward-message { height: auto; color: $error; text-style: bold; }
    }
    """

    @dataclass
    class Changed(Message):
        """The backward view changed shape: the screen fits it again."""

        view: BackwardView

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.forward: Trace | None = None
        self.grad: np.ndarray | None = None
        """dL/dY as typed (None: all ones)."""
        self.from_loss = False
        """dL/dY = 2Y, from L = sum of squares of the output."""
        self.trace_kind = "weight"
        self.view = "sum"
        self.index = 0
        self.lr = 0.1
        self.sgd_shown = False
        self.backward: ConvBackward | PoolBackward | None = None
        self._ids: tuple[str, ...] = ()
        self.player = StepPlayer(self, self._tick)
        """Playing the trace, a step at a time."""
        self._page: BackwardPage | None = None
        self.about = ""
        """The backward preset's title and description ('' for the student's own example)."""
        self.title = ""
        """Its title alone, for a short screen."""

    def compose(self) -> ComposeResult:
        yield Static(id="backward-info")
        yield Horizontal(id="backward-grids")
        yield Static(id="backward-heading")
        yield Static(id="backward-lines")
        yield Static(id="backward-notes")
        with Horizontal(id="lr-row"):
            yield Label("learning rate")
            yield Input("0.1", id="lr", compact=True, tooltip="A positive number; enter applies")
        yield Static(id="backward-message")

    # -----------------------------------------------------------------------------------------
    # state

    @property
    def count(self) -> int:
        if self.backward is None:
            return 0
        return step_count(self.backward, self.trace_kind, self.view)

    def load(self, preset: BackwardPreset | None) -> None:
        """A backward preset's dL/dY and learning rate (None: all ones, lr 0.1)."""
        self.stop_playing()
        self.grad = None if preset is None or preset.grad is None else np.array(preset.grad)
        self.from_loss = bool(preset and preset.from_loss)
        self.lr = preset.lr if preset and preset.lr else 0.1
        self.about = f"{preset.title}. {preset.description}" if preset else ""
        self.title = preset.title if preset else ""
        self.query_one("#lr", Input).value = format_number(self.lr)
        self.trace_kind, self.view, self.index, self.sgd_shown = "weight", "sum", 0, False

    async def show(self, forward: Trace, edited: bool = False) -> None:
        """Follow a new forward trace; a typed dL/dY is kept while its shape still fits."""
        self.forward = forward
        if edited:
            self.about = self.title = ""
        shape = forward.output.shape
        if self.grad is not None and shape not in (self.grad.shape, (1, *self.grad.shape)):
            self.grad = None
        await self.recompute()

    async def recompute(self) -> None:
        if self.forward is None:
            return
        try:
            self.backward = backward_for(self.forward, self.grad, from_loss=self.from_loss)
        except StepperError as exc:
            self.say(str(exc))
            return
        if self.trace_kind not in traces_for(self.backward):
            self.trace_kind = traces_for(self.backward)[0]
        if self.view not in views_for(self.backward):
            self.view = "sum"
        self.index = max(0, min(self.index, self.count - 1))
        await self.redraw()

    def say(self, text: str) -> None:
        # messages quote what was typed: plain text, never markup
        self.query_one("#backward-message", Static).update(Content(text))

    # -----------------------------------------------------------------------------------------
    # keys (run by the screen)

    async def step_by(self, delta: int) -> None:
        self.index = max(0, min(self.count - 1, self.index + delta))
        await self.redraw()

    async def jump(self, where: int) -> None:
        self.index = self.count - 1 if where < 0 else 0
        await self.redraw()

    def toggle_play(self, speed: float) -> None:
        """Play the trace (speed steps a second) from where it is, or from the start once at
        the end; pause when playing."""
        if self.player.playing:
            self.stop_playing()
            self.call_after_refresh(self._redraw_text)
            return
        if self.index >= self.count - 1:
            self.index = 0
        self.player.start(speed)
        self.call_after_refresh(self._redraw_text)

    @property
    def timer(self) -> Timer | None:
        """The play timer while the trace plays."""
        return self.player.timer

    def stop_playing(self) -> None:
        self.player.stop()

    async def _tick(self) -> None:
        if self.index >= self.count - 1:
            self.stop_playing()
        await self.step_by(1)

    async def act(self, what: str) -> None:
        """'trace', 'view', 'loss', 'random' or 'sgd'."""
        if self.backward is None or self.forward is None:
            return
        self.say("")
        if what == "trace":
            kinds = traces_for(self.backward)
            self.trace_kind = kinds[(kinds.index(self.trace_kind) + 1) % len(kinds)]
            self.index, self.sgd_shown = 0, False
        elif what == "view":
            views = views_for(self.backward)
            self.view = views[(views.index(self.view) + 1) % len(views)]
            self.trace_kind, self.index, self.sgd_shown = "input", 0, False
        elif what == "loss":
            self.from_loss, self.grad = not self.from_loss, None
        elif what == "random":
            rng = np.random.default_rng()
            self.from_loss = False
            self.grad = rng.integers(-2, 3, size=self.forward.output.shape).astype(float)
        elif what == "sgd":
            if isinstance(self.backward, PoolBackward):
                self.say("pooling has no weights: there is nothing for an SGD step to change")
                return
            self.sgd_shown = not self.sgd_shown
        await self.recompute()

    # -----------------------------------------------------------------------------------------
    # drawing

    async def redraw(self) -> None:
        backward = self.backward
        if backward is None or not self.count:
            return
        sgd = None
        if self.sgd_shown and isinstance(backward, ConvBackward):
            try:
                sgd = sgd_step(backward, self.lr)
            except StepperError as exc:
                self.say(str(exc))
        shown = sgd_page(sgd) if sgd else page(backward, self.trace_kind, self.view, self.index)
        ids = tuple(g.id for g in shown.grids)
        box = self.query_one("#backward-grids", Horizontal)
        # a signal's grids are rows: under each other, as wide as the screen allows
        box.set_class(self.forward is not None and self.forward.operation == "conv1d", "-rows")
        if ids != self._ids:
            self._ids = ids
            await box.remove_children()
            await box.mount_all(
                NumberGrid(
                    g.values,
                    title=g.title,
                    editable=g.editable,
                    min_size=g.values.shape,
                    max_size=g.values.shape,
                    id=f"bw-{g.id}",
                )
                for g in shown.grids
            )
            self.post_message(self.Changed(self))
        for g, grid in zip(shown.grids, box.query(NumberGrid), strict=True):
            if not np.array_equal(grid.values, g.values, equal_nan=True):
                grid.values = g.values
            grid.title = g.title
            grid.set_display(padding=g.padding, window=g.window, accent=g.accent, greyed=g.greyed)
        self._page = shown
        self.query_one("#lr-row").display = sgd is not None
        self._show_text(sgd.weight_lines() if sgd else [])

    def _show_text(self, weight_lines: list[str] | None = None) -> None:
        shown, backward = self._page, self.backward
        if shown is None or backward is None:
            return
        kind = TRACE_NAMES[self.trace_kind]
        if self.trace_kind == "input":
            kind += f" ({VIEW_NAMES[self.view]}, v)"
        info = f"backward: {kind}   dL/dY {backward.upstream.note}"
        short = self.screen.size.height < SHORT
        self.query_one("#backward-info", Static).update(
            Content("\n".join(filter(None, (self.title if short else self.about, info))))
        )
        where = "" if self.sgd_shown else f"step {self.index + 1}/{self.count}  "
        where += "playing  " if self.timer else ""
        self.query_one("#backward-heading", Static).update(
            Content.from_markup("[b]$where$heading[/b]", where=where, heading=shown.heading)
        )
        width = max(20, self.query_one("#backward-lines", Static).content_region.width or 60)
        lines = [part for line in shown.lines for part in wrap_sum(line, width)]
        if self.sgd_shown and weight_lines:
            lines.extend(columns(weight_lines, width))
        self.query_one("#backward-lines", Static).update(Content("\n".join(lines)))
        notes = [part for line in shown.notes for part in wrap_sum(line, width)]
        self.query_one("#backward-notes", Static).update(Content("\n".join(notes)))

    def on_resize(self) -> None:
        self.call_after_refresh(self._redraw_text)

    def _redraw_text(self) -> None:
        backward = self.backward
        sgd = None
        if self.sgd_shown and isinstance(backward, ConvBackward):
            try:
                sgd = sgd_step(backward, self.lr)
            except StepperError:
                sgd = None
        self._show_text(sgd.weight_lines() if sgd else [])

    def needed_width(self) -> int:
        """Columns the grids take side by side (the screen folds the settings for them)."""
        none = Size(0, 0)
        widths = [
            grid.get_content_width(none, none) + 2
            for grid in self.query("#backward-grids NumberGrid").results(NumberGrid)
        ]
        rows = self.query_one("#backward-grids").has_class("-rows")
        return (max(widths, default=0) if rows else sum(widths)) + 2

    # -----------------------------------------------------------------------------------------
    # what the student did

    @on(NumberGrid.Changed)
    async def _upstream_edited(self, event: NumberGrid.Changed) -> None:
        event.stop()
        if self.forward is None or not (event.grid.id or "").startswith("bw-upstream-"):
            return
        k = int((event.grid.id or "").rpartition("-")[2])
        base = self.backward.upstream.values if self.backward is not None else None
        grad = np.array(base if base is not None else np.ones(self.forward.output.shape))
        grad[k] = np.array(event.values).reshape(grad.shape[1:])
        self.grad, self.from_loss = grad, False
        await self.recompute()

    @on(NumberGrid.Invalid)
    def _grid_refused(self, event: NumberGrid.Invalid) -> None:
        event.stop()
        self.say(event.message)

    @on(Input.Submitted, "#lr")
    @on(Input.Changed, "#lr")
    async def _lr_edited(self, event: Input.Changed | Input.Submitted) -> None:
        event.stop()
        try:
            lr = float(event.value)
        except ValueError:
            self.say(f"learning rate: {event.value!r} is not a number")
            return
        if not (np.isfinite(lr) and lr > 0):
            self.say("learning rate must be a positive number")
            return
        self.say("")
        if lr != self.lr:
            self.lr = lr
            await self.redraw()
