"""StepperScreen: a convolution or pooling, one output cell at a time, forwards and backwards."""

from __future__ import annotations

import numpy as np
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.geometry import Size
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Header, Static

from ...core.convolution.backward_presets import BACKWARD_PRESETS
from ...core.convolution.presets import PRESETS
from ...core.convolution.stepper import Step, StepperError, Trace, format_number
from ...core.plain_text import visible
from ...core.views.backward_view import uncovered_cells
from ...core.views.stepper_config import StepperConfig
from ...core.views.stepper_layout import (
    channels_that_fit,
    page_starts,
    resized,
    with_channels,
    wrap_sum,
)
from ...core.views.stepper_text import FLIP_NOTE, formula_lines
from ...core.views.stepper_trace import config_from_preset, preset_words, trace_from_config
from ..widgets.common.steady_footer import SteadyFooter
from ..widgets.common.step_player import StepPlayer
from ..widgets.stepper.backward_view import BackwardView
from ..widgets.stepper.keys import STEPPER_BINDINGS
from ..widgets.stepper.number_grid import NumberGrid
from ..widgets.stepper.settings import StepperSettings
from ..widgets.stepper.signal_plot import SignalPlot

SPEEDS: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0)
"""Animation speeds in steps per second."""

__all__ = ["FLIP_NOTE", "StepperScreen"]

TALL = 32
SETTINGS = StepperSettings.WIDTH
"""Screens at least this tall stack the kernel over the products and explain the flip in full."""

STARTER_2D = PRESETS["seed-conv"]
STARTER_1D = PRESETS["sensor-smoothing"]


class StepperScreen(Screen):
    """Edit an input and a kernel, then watch every output cell being computed."""

    TITLE = "Stepper"
    AUTO_FOCUS = ""  # nothing focused at first, so the arrow keys step straight away
    BINDINGS = STEPPER_BINDINGS

    def __init__(self, preset: str | None = None) -> None:
        super().__init__()
        self.preset_name = preset or "seed-conv"
        """The example shown first."""
        self.config = StepperConfig()
        """The form's last good settings."""
        self.inputs = np.zeros((1, 5, 5))
        """Input channels (C, H, W); a 1-D signal is one row."""
        self.kernels = np.zeros((1, 1, 3, 3))
        """Kernels (K, C, kh, kw) as typed (not flipped)."""
        self.trace: Trace | None = None
        """The last trace that computed; kept while the settings are invalid."""
        self.index = 0
        """The current step."""
        self.speed = 2
        """Index into SPEEDS."""
        self.player = StepPlayer(self, self._tick)
        self.first_flipped: Trace | None = None
        """The first trace with a flipped kernel: it carries the full explanation."""
        self._layout_key: tuple | None = None
        self._page_end = 1
        self.settings_choice: bool | None = None
        """Settings shown (True) or hidden (False) by `s`; None: shown when there is room."""
        self.page = 0
        """The first input channel shown."""
        self.pages: list[int] = [0]
        """The first channel of every page (one page when all channels fit)."""
        self.speed_changed = False
        """Say the new speed on the step line (a popup would cover the formulas)."""

    # -----------------------------------------------------------------------------------------
    # layout

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="stepper-body"):
            yield StepperSettings(id="settings")
            with Vertical(id="stage"):
                yield Static(id="preset-info")
                yield Vertical(id="grids")
                yield Static(id="step-info")
                yield Static(id="equation")
                yield Static(id="formula")
                yield Static(id="message")
            yield BackwardView(id="backward")
        yield SteadyFooter()

    async def on_mount(self) -> None:
        await self.load_preset(self.preset_name)

    @property
    def step(self) -> Step | None:
        return self.trace[self.index] if self.trace is not None and len(self.trace) else None

    def _layout_for(self) -> tuple:
        pool = self.config.is_pool
        outputs = self.trace.output.shape[0] if self.trace is not None else 1
        flipped = bool(self.trace is not None and self.trace.flipped)
        return (pool, self.config.operation == "conv1d", self.inputs.shape[0], outputs, flipped)

    async def _rebuild_grids(self) -> None:
        key = self._layout_for()
        if key == self._layout_key:
            return
        self._layout_key = key
        pool, one_d, channels, outputs, flipped = key
        grids = self.query_one("#grids", Vertical)
        await grids.remove_children()
        sides = [self._side_grids(c, pool, flipped) for c in range(channels)]
        inputs = [
            NumberGrid(self.inputs[c], title=f"input c{c}", id=f"input-{c}")
            for c in range(channels)
        ]
        outs = [
            NumberGrid(np.zeros((1, 1)), title="output", editable=False, id=f"output-{k}")
            for k in range(outputs)
        ]
        if one_d:
            # a signal reads left to right: each channel's row over what multiplies it, then
            # the output and a plot of the first channel against it
            columns = [Vertical(classes="channel-column") for _ in range(channels)]
            await grids.mount_all([*columns, *outs, SignalPlot(id="signal-plot")])
            for column, first, side in zip(columns, inputs, sides, strict=True):
                side_row = Horizontal(classes="signal-side")
                await column.mount_all([first, side_row])
                await side_row.mount_all(side)
            return
        row = Horizontal(id="grid-row")
        await grids.mount(row)
        columns = [Horizontal(classes="channel-column") for _ in range(channels)]
        output_column = Vertical(classes="output-column")
        await row.mount_all([*columns, output_column])
        for column, first, side in zip(columns, inputs, sides, strict=True):
            # input on the left, what multiplies it beside it (stacked when there is height)
            await column.mount_all([first, Vertical(*side, classes="side-column")])
        await output_column.mount_all(outs)

    def _side_grids(self, c: int, pool: bool, flipped: bool) -> list[NumberGrid]:
        """The kernel (conv), its flipped copy (true convolution) and the products or window."""
        side = [] if pool else [NumberGrid(self.kernels[0, c], title="kernel", id=f"kernel-{c}")]
        if flipped:
            side.append(
                NumberGrid(self.kernels[0, c], title="flipped", editable=False, id=f"flipped-{c}")
            )
        title = "window" if pool else "products"
        side.append(NumberGrid(np.zeros((1, 1)), title=title, editable=False, id=f"products-{c}"))
        return side

    # -----------------------------------------------------------------------------------------
    # fitting the step into the terminal

    def on_resize(self) -> None:
        self.fit()
        self.refresh_view()

    def _width_of(self, grid_id: str, height: bool = False) -> int:
        """A grid's content width (or height), 0 when there is no such grid."""
        grid, none = self._grid(grid_id), Size(0, 0)
        if grid is None:
            return 0
        return (
            grid.get_content_height(none, none, 0) if height else grid.get_content_width(none, none)
        )

    def _column_widths(self, across: bool, kinds: tuple[str, ...]) -> list[int]:
        """Columns each input channel's column takes, its side grids of `kinds` included."""
        widths = []
        for c in range(self.inputs.shape[0]):
            side = [self._width_of(f"{kind}-{c}") for kind in kinds if self._grid(f"{kind}-{c}")]
            side_width = sum(w + 2 for w in side) if across else max(side, default=0)
            widths.append(self._width_of(f"input-{c}") + 3 + side_width + 1 + 4)
        return widths

    def fit(self) -> None:
        """Fold the settings away when the step needs their room (unless `s` said otherwise),
        lay the kernel beside the input when the screen is short (folding the kernel, which
        the sum spells out, when even one channel does not fit), and page the channels."""
        if not self.size.width:
            return
        width, height = self.size
        kinds = ("kernel", "flipped", "products")
        stacked = sum(
            self._width_of(f"{kind}-0", height=True) + 1
            for kind in kinds
            if self._grid(f"{kind}-0")
        )
        across = height < TALL and stacked > max(self._width_of("input-0", height=True) + 1, 10)
        self.set_class(across, "-across")
        outputs = self.trace.output.shape[0] if self.trace is not None else 1
        output_width = max(self._width_of(f"output-{k}") for k in range(outputs))
        room = width - 1  # the stage's left padding
        widths = self._column_widths(across, kinds)
        fold_kernel = across and max(widths) + output_width > room
        if fold_kernel:
            widths = self._column_widths(across, kinds[1:])
        for kernel in self.query(".side-column NumberGrid"):
            kernel.display = not (fold_kernel and (kernel.id or "").startswith("kernel-"))
        one_d = bool(self.query("#signal-plot"))
        if one_d:  # rows under each other: as wide as the widest, a channel a page when short
            row = max(self._width_of(f"input-{c}") for c in range(self.inputs.shape[0]))
            widths, output_width = [row] * self.inputs.shape[0], 0
        if self.backward_view.display:  # the backward grids decide the room
            short = SETTINGS if height < TALL else 0  # a short screen folds them for the sums
            widths, output_width, one_d = [self.backward_view.needed_width() + short], 0, False
        settings = self.query_one(StepperSettings)
        show = self.settings_choice
        if show is None:
            show = (max(widths) if one_d else sum(widths)) + output_width <= room - SETTINGS
        if settings.display != show:
            settings.display = show
            self.call_after_refresh(self.refresh_view)  # the sums wrap to the new width
        room -= SETTINGS if show else 0
        if one_d:  # every channel's row when tall, one a page when short
            widths = [room + 1 if height < TALL else 0] * len(widths)
        self.pages = page_starts(widths, output_width, room)
        self.page = max(start for start in self.pages if start <= self.page)
        shown = channels_that_fit(widths, output_width, room, self.page)
        self._page_end = shown.stop
        for c, column in enumerate(self.query(".channel-column")):
            column.display = c in shown
        self.refresh_bindings()

    # -----------------------------------------------------------------------------------------
    # state changes

    async def load_preset(self, name: str) -> None:
        config, inputs, kernels = config_from_preset(name)
        self.preset_name = name
        self.query_one(StepperSettings).load(config, name)
        title, description = preset_words(name)
        self.query_one("#preset-info", Static).update(f"[b]{title}[/b]  {description}")
        self.config, self.inputs, self.kernels = config, inputs, kernels
        self.index = 0
        self.stop_playing()
        self.backward_view.load(BACKWARD_PRESETS.get(name))
        self.show_direction(name in BACKWARD_PRESETS)
        await self.recompute(rebuild=True)

    def compute(self) -> Trace:
        """A trace of the current config and grids (raises StepperError when it cannot)."""
        return trace_from_config(self.config, self.inputs, self.kernels)

    async def recompute(self, rebuild: bool = False) -> None:
        """Recompute the trace; on bad settings say why and keep showing the last good one."""
        try:
            trace = self.compute()
        except (StepperError, ValueError) as exc:
            self.show_message(f"{exc} (showing the last result that worked)")
            if rebuild:
                await self._rebuild_grids()
            self.refresh_view()
            self.fit()
            return
        self.trace = trace
        self.index = min(self.index, len(trace) - 1)
        self.show_message("")
        await self._rebuild_grids()
        self.refresh_view()
        self.fit()
        await self.backward_view.show(trace, edited=not rebuild)

    def show_message(self, text: str) -> None:
        message = self.query_one("#message", Static)
        # messages quote what was typed ('[/]' is not a number): plain text, never markup
        message.update(Content(visible(text)))
        self.backward_view.say(visible(text))  # hidden with the forward stage: said there too
        message.set_class(bool(text), "-error")

    # -----------------------------------------------------------------------------------------
    # drawing

    def refresh_view(self) -> None:
        trace, step = self.trace, self.step
        if trace is None or step is None:
            return
        one_d = trace.operation == "conv1d"
        # drawn from the trace, not the form: a refused change keeps the last good trace
        pool = trace.operation.endswith("pool")
        focus = step.output_position[0]
        padding = trace.padding if not one_d else ((0, 0), trace.padding[0])
        greyed = uncovered_cells(trace)
        windows: dict[int, set[tuple[int, int]]] = {}
        for cell in step.cells:
            channel, *where = cell.position
            windows.setdefault(channel, set()).add((0, where[0]) if one_d else tuple(where))
        winner = step.cells[step.argmax].position if step.argmax is not None else None
        for c in range(self.inputs.shape[0]):
            grid = self._grid(f"input-{c}")
            if grid is None:
                continue
            if not np.array_equal(grid.values, self.inputs[c]):
                grid.values = self.inputs[c]
            accent = None
            if winner is not None and winner[0] == c:
                accent = (0, winner[1]) if one_d else tuple(winner[1:])
            # a max pool's padding is -inf (never the winner); every other kind pads with 0
            grid.padding_value = -np.inf if trace.operation == "maxpool" else 0.0
            if one_d:  # equal cells, so the plot's columns sit under the readings
                grid.min_cell_width = max(len(format_number(v)) for v in self.inputs[c].flat)
            grid.set_display(
                padding=padding,
                window=frozenset(windows.get(c, set())),
                accent=accent,
                greyed=greyed,
            )
            self._show_window_grid(c, step, pool, one_d)
            if pool:
                continue
            kernel = self._grid(f"kernel-{c}")
            if kernel is not None:
                kernel.values = self.kernels[focus, c]
                kernel.title = f"kernel f{focus} c{c}" if self.kernels.shape[0] > 1 else "kernel"
            flipped = self._grid(f"flipped-{c}")
            if flipped is not None and trace.used_kernel is not None:
                used = trace.used_kernel[focus, c]
                flipped.values = used.reshape(1, -1) if one_d else used
        partial = trace.partial_output(self.index)
        for k in range(partial.shape[0]):
            grid = self._grid(f"output-{k}")
            if grid is None:
                continue
            values = partial[k].reshape(1, -1) if one_d else partial[k]
            grid.min_cell_width = max(len(format_number(v)) for v in trace.output[k].flat)
            grid.values = values
            grid.title = f"output {'c' if pool else 'f'}{k}" if partial.shape[0] > 1 else "output"
            here = step.output_position[1:]
            grid.set_display(
                accent=((0, here[0]) if one_d else tuple(here)) if k == focus else None
            )
        self._show_plot(trace, partial)
        self._show_text(trace, step)

    def _show_plot(self, trace: Trace, partial: np.ndarray) -> None:
        found, source = self.query(SignalPlot), self._grid("input-0")
        if found and source is not None:
            ((left, _),) = trace.padding
            span = (self.kernels.shape[-1] - 1) * trace.dilation[0]
            found.first().show(
                self.inputs[0, 0], partial[0], left=left, span=span, stride=trace.stride[0],
                cell=source.min_cell_width,
            )  # fmt: skip

    def _show_window_grid(self, channel: int, step: Step, pool: bool, one_d: bool) -> None:
        grid = self._grid(f"products-{channel}")
        if grid is None:
            return
        cells = [cell for cell in step.cells if cell.position[0] == channel]
        if not cells:
            grid.values = np.full((1, 1), np.nan)
            return
        rows = len({cell.position[1] for cell in cells}) if not one_d else 1
        numbers = [cell.value if pool else cell.product for cell in cells]
        values = np.array(numbers, dtype=float).reshape(rows, -1)
        grid.values = values
        accent = None
        if step.argmax is not None and step.cells[step.argmax] in cells:
            spot = cells.index(step.cells[step.argmax])
            accent = divmod(spot, values.shape[1])
        grid.set_display(accent=accent)

    def _show_text(self, trace: Trace, step: Step) -> None:
        where = ", ".join(str(p) for p in step.output_position)
        what = "channel" if trace.operation.endswith("pool") else "filter"
        total = len(trace)
        speed = f"{format_number(SPEEDS[self.speed])}/s"
        playing = f"  playing {speed}" if self.timer else ""
        if self.speed_changed and not self.timer:
            playing = f"  speed {speed}"
        if len(self.pages) > 1:
            shown = range(self.page, self._page_end)
            last = f"-c{shown[-1]}" if len(shown) > 1 else ""
            playing += f"  [dim]c{shown[0]}{last} of {self.inputs.shape[0]} (])[/dim]"
        self.query_one("#step-info", Static).update(
            f"[b]step {step.index + 1}/{total}[/b]  output[{where}]  "
            f"({what} {step.output_position[0]})  = [b]{format_number(step.value)}[/b]{playing}"
        )
        # a wrapped sum keeps '= result' together on its last line
        equation = self.query_one("#equation", Static)
        width = equation.content_region.width
        lines = [wrapped for line in step.explain() for wrapped in wrap_sum(line, width)]
        equation.update(Content("\n".join(lines)))
        if trace.flipped and self.first_flipped is None:
            self.first_flipped = trace  # the first flipped kernel shown carries the explanation
        full = trace is self.first_flipped and self.size.height >= TALL
        self.query_one("#formula", Static).update("\n".join(formula_lines(trace, full)))

    def _grid(self, grid_id: str) -> NumberGrid | None:
        found = self.query(f"#{grid_id}")
        return found.first(NumberGrid) if found else None

    # -----------------------------------------------------------------------------------------
    # actions

    @property
    def backward_view(self) -> BackwardView:
        return self.query_one(BackwardView)

    async def action_step(self, delta: int) -> None:
        if self.backward_view.display:
            await self.backward_view.step_by(delta)
        if self.trace is None or self.backward_view.display:
            return
        self.speed_changed = False
        self.index = max(0, min(len(self.trace) - 1, self.index + delta))
        self.refresh_view()

    async def action_jump(self, where: int) -> None:
        if self.backward_view.display:
            await self.backward_view.jump(where)
        if self.trace is None or self.backward_view.display:
            return
        self.index = len(self.trace) - 1 if where < 0 else 0
        self.refresh_view()

    def action_play(self) -> None:
        if self.backward_view.display:
            return self.backward_view.toggle_play(SPEEDS[self.speed])
        self.speed_changed = False
        if self.player.playing:
            self.stop_playing()
        else:
            if self.trace is not None and self.index >= len(self.trace) - 1:
                self.index = 0
            self.player.start(SPEEDS[self.speed])
        self.refresh_view()

    @property
    def timer(self) -> Timer | None:
        """The play timer while the steps play."""
        return self.player.timer

    def stop_playing(self) -> None:
        self.player.stop()

    def _tick(self) -> None:
        if self.trace is None or self.index >= len(self.trace) - 1:
            self.stop_playing()
        else:
            self.index += 1
        self.refresh_view()

    def action_speed(self, delta: int) -> None:
        self.speed = max(0, min(len(SPEEDS) - 1, self.speed + delta))
        self.player.retime(SPEEDS[self.speed])
        self.speed_changed = True
        self.refresh_view()

    def action_toggle_settings(self) -> None:
        self.settings_choice = not self.query_one(StepperSettings).display
        self.fit()

    def action_page(self, delta: int) -> None:
        at = self.pages.index(self.page) if self.page in self.pages else 0
        self.page = self.pages[(at + delta) % len(self.pages)]
        self.fit()
        self.refresh_view()

    def show_direction(self, backward: bool) -> None:
        """Step the backward pass (True) or the forward one."""
        self.stop_playing()
        self.backward_view.stop_playing()
        self.query_one("#stage").display = not backward
        self.backward_view.display = backward
        self.query_one(StepperSettings).show_direction(backward)
        self.fit()
        self.refresh_bindings()

    def action_direction(self) -> None:
        self.show_direction(not self.backward_view.display)

    async def action_backward(self, what: str) -> None:
        await self.backward_view.act(what)
        self.fit()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("backward", "speed"):  # the backward keys act only there
            return self.backward_view.display == (action == "backward")
        if action == "page":
            return len(self.pages) > 1  # in the footer only while channels are paged
        return True

    def action_leave_field(self) -> None:
        self.set_focus(None)

    # -----------------------------------------------------------------------------------------
    # what the student did

    @on(StepperSettings.DirectionChosen)
    def _direction_chosen(self, event: StepperSettings.DirectionChosen) -> None:
        self.show_direction(event.backward)

    @on(BackwardView.Changed)
    def _backward_changed(self) -> None:
        self.call_after_refresh(self.fit)

    @on(StepperSettings.PresetChosen)
    async def _open_preset(self, event: StepperSettings.PresetChosen) -> None:
        await self.load_preset(event.name)

    @on(StepperSettings.Invalid)
    @on(NumberGrid.Invalid)
    def _report_invalid(self, event: StepperSettings.Invalid | NumberGrid.Invalid) -> None:
        event.stop()
        self.show_message(f"{event.message} (showing the last result that worked)")

    @on(StepperSettings.Changed)
    async def _apply_settings(self, event: StepperSettings.Changed) -> None:
        event.stop()
        old, new = self.config, event.config
        self.query_one("#preset-info", Static).update("[b]Your own example[/b]")
        one_d_before, one_d_after = old.operation == "conv1d", new.operation == "conv1d"
        if one_d_before != one_d_after:
            # moving between a signal and an image starts from that kind's own example
            _, inputs, kernels = config_from_preset(
                STARTER_1D.name if one_d_after else STARTER_2D.name
            )
            self.inputs, self.kernels = inputs, kernels
        self.inputs = with_channels(self.inputs, new.channels)
        kernels = with_channels(self.kernels.transpose(1, 0, 2, 3), new.channels)
        self.kernels = with_channels(kernels.transpose(1, 0, 2, 3), new.filters)
        self.config = new
        await self.recompute()

    @on(NumberGrid.Changed)
    async def _grid_edited(self, event: NumberGrid.Changed) -> None:
        event.stop()
        grid_id = event.grid.id or ""
        kind, _, number = grid_id.partition("-")
        values = np.array(event.values, dtype=float)
        if self.config.operation == "conv1d" and values.shape[0] != 1:
            values = values[:1]
            self.show_message("a 1-D signal has one row")
        if kind == "input":
            if values.shape != self.inputs.shape[1:]:
                self.inputs = resized(self.inputs, values.shape)
            self.inputs[int(number)] = values
        elif kind == "kernel":
            if values.shape != self.kernels.shape[2:]:
                self.kernels = resized(self.kernels, values.shape)
            focus = self.step.output_position[0] if self.step else 0
            self.kernels[focus, int(number)] = values
        else:
            return
        self.query_one("#preset-info", Static).update("[b]Your own example[/b]")
        await self.recompute()
