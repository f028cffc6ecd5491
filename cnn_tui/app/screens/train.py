"""TrainScreen: train a stack (or race optimizers) on a dataset while the curves draw
themselves; then look at its predictions, confusion matrix, filters and feature maps."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.events import ScreenResume, ScreenSuspend
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Header, Input, Select, Static, TabbedContent, TabPane, Tabs
from textual.worker import Worker, WorkerState, get_current_worker

from ...core.plain_text import visible
from ...core.stacks.stack import Stack
from ...core.training.metrics import AXES, Axis, MetricsLog
from ...core.training.preload import loading_stage, preload_torch
from ...core.training.train_config import TrainConfig
from ...core.views.fields import FieldError
from ...core.views.train_lines import (
    end_unfinished_runs,
    errors_line,
    failure_line,
    outcome_line,
    run_title,
)
from ..messages import InspectRun
from ..widgets.common.steady_footer import SteadyFooter
from ..widgets.train.board import TrainBoard
from ..widgets.train.curves import TrainCurves
from ..widgets.train.filters import TrainFilters
from ..widgets.train.form import TrainForm
from ..widgets.train.predictions import TrainPredictions
from ..widgets.train.status import TrainStatus
from ..widgets.train.views_keeper import TrainViewsKeeper

if TYPE_CHECKING:
    from ...core.training.model_views import ModelViews
    from ...core.training.results import LiveRun, TrainResult

FOLD_FORM_BELOW = 32
"""On screens shorter than this the settings fold away while a run trains (s brings them
back), so the plots get the rows."""

REDRAW_SECONDS = 0.25
PRELOAD_AFTER_SECONDS = 1.0
"""How long after its first paint the screen starts loading torch in the background."""
"""How often the plots, board and status line look at the log (they redraw only when it grew)."""

TAB_IDS: tuple[str, ...] = (
    "train-tab-curves",
    "train-tab-predictions",
    "train-tab-confusion",
    "train-tab-filters",
)
CURVES_TAB = TAB_IDS[0]
VIEW_TABS = frozenset(TAB_IDS[1:])
"""Tabs drawn from the model itself (computed in a worker), not from the log."""

LETTER_ACTIONS = frozenset(
    {"pause", "stop", "toggle_settings", "refresh_views", "switch_tab", "toggle_axis", "inspect"},
)
"""Actions on plain letters: offered while the keys do not go to a field."""


class TrainScreen(Screen):
    """A settings form, a status line and four tabs: curves and leaderboard, predictions,
    confusion matrix, filters and feature maps."""

    TITLE = "Train"
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (100, "-wide")]
    """Under 100 columns the form gives the spec field a line of its own."""
    BINDINGS: ClassVar[list[Binding]] = [
        Binding(
            "ctrl+r",
            "start",
            "Start",
            tooltip="Train with the form's settings (enter in a field, or the Start button)",
            id="train-start",
        ),
        Binding(
            "enter",
            "start_in_field",
            "Start",
            priority=True,
            tooltip="Train with the form's settings; the focus stays in the field",
            id="train-enter",
        ),
        Binding(
            "p",
            "pause",
            "Pause",
            tooltip="Pause the run, or resume it (the curves and clock wait too)",
            id="train-pause",
        ),
        Binding(
            "x",
            "stop",
            "Stop",
            tooltip="Stop the run after the batch in hand; its curves and model stay to look at",
            id="train-stop",
        ),
        Binding(
            "s",
            "toggle_settings",
            "Settings",
            tooltip="Hide or show the settings form (more room for the plots)",
            id="train-settings",
            show=False,
        ),
        Binding(
            "v",
            "refresh_views",
            "Views",
            tooltip="Redraw the predictions, confusion matrix, filters and maps from the model now",
            id="train-views",
            show=False,
        ),
        Binding(
            "i",
            "inspect",
            "Inspect",
            tooltip="Look inside the board's chosen run once it has finished (Inside, mode 7)",
            show=False,
        ),
        Binding(
            "e",
            "toggle_axis",
            "Axis",
            tooltip="Draw the curves against optimizer steps or against epochs",
            id="train-axis",
            show=False,
        ),
        Binding(
            "left_square_bracket",
            "switch_tab(-1)",
            "Prev tab",
            tooltip="The tab to the left",
            id="train-previous-tab",
            show=False,
        ),
        Binding(
            "right_square_bracket",
            "switch_tab(1)",
            "Next tab",
            tooltip="The tab to the right",
            id="train-next-tab",
            show=False,
        ),
        Binding(
            "escape",
            "leave_field",
            "Leave field",
            tooltip="Leave the field, so p, x, s and the mode digits work again",
            id="train-leave-field",
        ),
    ]

    def __init__(self, model: str | None = None, config: TrainConfig | None = None) -> None:
        super().__init__()
        # the breakpoint class of the app's width now: the first resize then restyles nothing
        width = self.app.size.width
        self.add_class(max(b for b in self.HORIZONTAL_BREAKPOINTS if width >= b[0])[1])
        base = config or TrainConfig()
        if model:
            base = replace(base, model=model, input_shape=None)
        self.base = base
        """The settings the form opens with."""
        self.metrics = MetricsLog()
        """The metrics of the current (or last) run; a new one per start."""
        self.pause_event = threading.Event()
        """Set while the student has the run paused."""
        self.hold = threading.Event()
        """Set from a key until the screen has been drawn again: the run waits between steps
        meanwhile (a fraction of a second at most), so the answer to a key is drawn at once."""
        self.worker: Worker[TrainResult] | None = None
        """The worker training now (or last)."""
        self.live: LiveRun | None = None
        """Filled by the engine once the run is set up: its data and its networks."""
        self.result: TrainResult | None = None
        """How the last run ended, once it has."""
        self.finished: list[TrainResult] = []
        """Every run that finished on this screen in this app session, oldest first."""
        self.drawn: tuple[int, bool] = (-1, False)
        """The log version and pause state the board and status line show."""
        self.plots_drawn = -1
        """The log version the plots show (they wait while their tab is hidden)."""
        self.axis: Axis = AXES[0]
        """What the curves are drawn against, 'step' or 'epoch': kept from run to run."""
        self.errors_seen = 0
        """Error points already reported in the message line."""
        self.handed_over: Stack | None = None
        """A stack from the builder waiting for the form to be mounted."""
        self.stack_name = ("", "")
        """(spec, name) of the stack the builder handed over: the title names it so."""
        self.timer: Timer | None = None
        """The redraw timer; paused while another mode is on screen."""
        self.starting = False
        """A run was started and has not reported yet: the message line says it is loading."""
        self.started_at = 0.0
        """When that run was started (time.monotonic): the message line counts the wait."""
        self.starting_what = ""
        self.starting_dataset = ""
        self.note = ("", "info")
        """The message line: text and tone ('info' or 'error')."""

    # -----------------------------------------------------------------------------------------
    # layout

    def compose(self) -> ComposeResult:
        yield Header()
        yield TrainForm(self.base, id="train-form")
        yield Static("", id="train-message", markup=False)
        yield TrainStatus(id="train-status")
        with TabbedContent(id="train-tabs"):
            with TabPane("Curves", id="train-tab-curves"):
                yield TrainCurves(id="train-curves")
                yield TrainBoard(id="train-board")
            # filled by the keeper when one of them is first shown (not for the first paint)
            yield TabPane("Predictions", id="train-tab-predictions")
            yield TabPane("Confusion", id="train-tab-confusion")
            yield TabPane("Filters", id="train-tab-filters")
        yield TrainViewsKeeper(self, id="train-views-keeper")
        yield SteadyFooter()

    @property
    def form(self) -> TrainForm:
        return self.query_one("#train-form", TrainForm)

    @property
    def tabs(self) -> TabbedContent:
        return self.query_one("#train-tabs", TabbedContent)

    def on_mount(self) -> None:
        self.timer = self.set_interval(REDRAW_SECONDS, self.redraw)
        self.sub_title = run_title(self.base)
        if self.handed_over is not None:
            self._fill_in(self.handed_over)
        else:
            self.say("ctrl+r (or enter in a field) trains with these settings; ? lists every key")
        self.redraw(force=True)
        self.query_one("#train-start").focus()
        # torch loads in the background once the screen has painted (seconds: the first run
        # would otherwise wait on it); the first paint never imports it
        self.call_after_refresh(self.set_timer, PRELOAD_AFTER_SECONDS, preload_torch)

    def on_unmount(self) -> None:
        self.stop_training()

    @on(ScreenSuspend)
    def rest_while_hidden(self) -> None:
        # the run goes on; only the drawing waits
        if self.timer is not None:
            self.timer.pause()

    @on(ScreenResume)
    def catch_up(self) -> None:
        if self.timer is not None:
            self.timer.resume()
        if self.handed_over is not None and self.is_mounted:
            self._fill_in(self.handed_over)
        self.redraw()

    # -----------------------------------------------------------------------------------------
    # messages

    def say(self, text: str, tone: str = "info") -> None:
        self.note = (text, tone)
        line = self.query_one("#train-message", Static)
        text = visible(text)  # the stack's name and typed settings: control characters shown
        line.update(text)
        line.tooltip = Content(text) if text else None  # a str tooltip would be read as markup
        line.set_class(tone == "error", "-error")

    @property
    def message_text(self) -> str:
        return self.note[0]

    # -----------------------------------------------------------------------------------------
    # the builder's stack

    def use_stack(self, stack: Stack) -> None:
        """Train this stack next: its layers and input shape go into the form."""
        self.handed_over = stack
        if self.is_mounted:
            self._fill_in(stack)

    def _fill_in(self, stack: Stack) -> None:
        self.handed_over = None
        self.form.use_stack(stack.spec, stack.input_shape)
        self.stack_name = (stack.spec, stack.name)
        self.sub_title = self.title_of(replace(self.form_config(), model=stack.spec))
        name = stack.name or "untitled stack from the builder"
        shape = "x".join(map(str, stack.input_shape))
        self.say(f"{name}: {len(stack.layers)} layers, input {shape}; ctrl+r trains it")

    def form_config(self) -> TrainConfig:
        """The form's settings, or the ones it opened with while a field is unusable."""
        try:
            return self.form.config()
        except FieldError:
            return self.base

    def title_of(self, config: TrainConfig) -> str:
        """The subtitle: the builder's name for its stack while the form holds that stack."""
        spec, name = self.stack_name
        return run_title(config, name if config.model.strip() == spec else "")

    # -----------------------------------------------------------------------------------------
    # keys

    def on_key(self, event: events.Key) -> None:
        """A key the focused widget left to the screen: the run waits until it is drawn."""
        self.hold_run_until_drawn()

    def hold_run_until_drawn(self) -> None:
        if self.running:
            self.hold.set()
            self.call_after_refresh(self.hold.clear)

    @property
    def running(self) -> bool:
        return self.worker is not None and self.worker.state in (
            WorkerState.PENDING,
            WorkerState.RUNNING,
        )

    @property
    def in_form_field(self) -> bool:
        """Whether the focus is in one of the form's text fields."""
        focused = self.focused
        return isinstance(focused, Input) and self.form in focused.ancestors

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        typing = isinstance(self.focused, Input | Select)
        if action == "start_in_field":
            return self.in_form_field  # elsewhere enter does what the focused widget does
        if action == "leave_field":
            return typing
        if action in LETTER_ACTIONS and typing:
            return False
        if action in ("pause", "stop") and not self.running:
            return None  # shown dimmed: nothing to pause or stop
        return True

    def action_start_in_field(self) -> None:
        """Enter in a form field: train with the form's settings, the focus staying there."""
        self.action_start()

    def action_leave_field(self) -> None:
        self.tabs.query_one(Tabs).focus()

    def action_inspect(self) -> None:
        run = self.view_run() if self.result is not None and not self.running else None
        if run is not None and self.result is not None:
            self.post_message(InspectRun(self.result, run))

    def action_toggle_settings(self) -> None:
        self.show_form(not self.form.display)

    def show_form(self, shown: bool) -> None:
        form = self.form
        form.display = shown
        if not shown and self.focused is not None and form in self.focused.ancestors:
            self.action_leave_field()

    def action_toggle_axis(self) -> None:
        self.axis = AXES[(AXES.index(self.axis) + 1) % len(AXES)]
        if self.tabs.active == CURVES_TAB:
            self.draw_plots()
        else:
            self.plots_drawn = -1  # drawn against the new axis when the Curves tab shows

    def action_switch_tab(self, step: int) -> None:
        self.hold_run_until_drawn()
        tabs = self.tabs
        current = TAB_IDS.index(tabs.active) if tabs.active in TAB_IDS else 0
        tabs.active = TAB_IDS[(current + step) % len(TAB_IDS)]

    @on(TabbedContent.TabActivated, "#train-tabs")
    def look_at_tab(self, event: TabbedContent.TabActivated) -> None:
        event.stop()
        if event.pane.id == CURVES_TAB and self.plots_drawn != self.metrics.version:
            self.draw_plots()
        elif event.pane.id in VIEW_TABS:
            self.keeper.build_tabs()
            if self.views_stale():
                self.call_after_refresh(self.refresh_views)  # the tab shows first, its views next

    # -----------------------------------------------------------------------------------------
    # running

    @on(TrainForm.StartPressed)
    def start_from_form(self, event: TrainForm.StartPressed) -> None:
        event.stop()
        self.action_start()

    def action_start(self) -> None:
        if self.running:
            self.say("a run is going: x stops it (p pauses it)", "error")
            return
        try:
            config = self.form.config()
        except FieldError as exc:
            self.say(str(exc), "error")
            return
        self.start(config)

    def start(self, config: TrainConfig) -> None:
        """Train with config (the form's, or a test's): a new log, fresh plots."""
        self.metrics = MetricsLog()
        self.pause_event.clear()
        self.live = None
        self.result = None
        self.errors_seen = 0
        self.keeper.forget()
        self.sub_title = self.title_of(config)
        runs = ", ".join(o.title for o in config.race_settings())
        preload_torch()  # (if the screen's own start of it has not come yet)
        self.started_at = time.monotonic()
        self.starting_what = f"starting {runs}: "
        self.starting_dataset = config.dataset
        self.say(self.starting_what + loading_stage(config.dataset, 0))
        self.starting = True
        self.worker = self.train_in_background(config, self.metrics, self.pause_event)
        if self.size.height < FOLD_FORM_BELOW and not self.in_form_field:
            self.show_form(False)  # not under the student typing: enter keeps the focus there
        self.refresh_bindings()
        self.redraw(force=True)

    @work(thread=True, exclusive=True, exit_on_error=False, group="train")
    def train_in_background(
        self, config: TrainConfig, log: MetricsLog, pause: threading.Event
    ) -> TrainResult:
        # imported here: training imports torch (seconds), never on the UI thread at start-up
        from ...core.training.loop import train
        from ...core.training.results import LiveRun
        from ...core.training.sharing import quick_switching

        live = LiveRun()
        self.live = live
        # cancelling the worker (x, leaving the app) sets this event: the engine stops
        # within one batch
        stop = get_current_worker().cancelled_event
        with quick_switching():  # keys are answered sooner while the run holds Python
            return train(config, stop=stop, pause=pause, log=log, live=live, hold=self.hold)

    def action_pause(self) -> None:
        if not self.running:
            self.say("nothing to pause: ctrl+r starts a run")
            return
        if self.pause_event.is_set():
            self.pause_event.clear()
            self.say("resumed")
        else:
            self.pause_event.set()
            self.say("paused: p resumes, x stops")
        self.redraw(force=True)

    def action_stop(self) -> None:
        if not self.running:
            self.say("nothing to stop")
            return
        self.stop_training()
        self.say("stopping after the batch in hand...")

    def stop_training(self) -> None:
        """Ask the engine to stop (it does within one batch); a paused run is let go first."""
        if self.worker is not None:
            self.worker.cancelled_event.set()
        self.pause_event.clear()

    @on(Worker.StateChanged)
    def follow_workers(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group == "train" and worker is self.worker:
            event.stop()
            self._train_worker_changed(worker)

    def _train_worker_changed(self, worker: Worker[TrainResult]) -> None:
        state = worker.state
        if state == WorkerState.SUCCESS:
            self.result = worker.result
            self.finished.append(worker.result)
            self.redraw(force=True)
            self.say_outcome()
            if self.tabs.active in VIEW_TABS:
                self.refresh_views()
        elif state == WorkerState.ERROR:
            # the run could not start (or broke): the engine's one-line reason, the form as
            # it was; drawn last, so the "training" line cannot cover it
            self.starting = False
            message = failure_line(worker.error)
            end_unfinished_runs(self.metrics, message)
            self.errors_seen = len(self.metrics.points(kind="error"))
            self.redraw(force=True)
            self.say(message, "error")
            self.show_form(True)
        elif state == WorkerState.CANCELLED:
            self.say("stopped")
            self.redraw(force=True)
        self.refresh_bindings()

    def say_outcome(self) -> None:
        """One line on how the run ended: the test accuracies, or why it failed."""
        self.say(*outcome_line(self.metrics, settings_shown=self.form.display))

    # -----------------------------------------------------------------------------------------
    # drawing from the log

    def redraw(self, force: bool = False) -> None:
        """Redraw plots, board and status when the log grew (or the run paused)."""
        state = (self.metrics.version, self.pause_event.is_set())
        if self.starting and not self.metrics.runs():  # what the run still waits for
            waited = time.monotonic() - self.started_at
            self.say(self.starting_what + loading_stage(self.starting_dataset, waited))
        if state == self.drawn and not force:
            return
        self.drawn = state
        log, paused = self.metrics, state[1] and self.running
        if self.tabs.active == CURVES_TAB:
            self.draw_plots()  # hidden plots wait: drawing them costs the trainer time
        self.query_one("#train-board", TrainBoard).show(log, paused)
        self.query_one("#train-status", TrainStatus).show(log, paused)
        if self.starting and self.metrics.runs():
            self.starting = False
            settings = "" if self.form.display else "; s shows the settings"
            keys = "esc, then p pauses, x stops" if self.in_form_field else "p pauses, x stops"
            self.say(f"training: {keys}{settings}; the tabs show the network")
        self._report_errors()
        self.keeper.follow()  # a new epoch ended while the student watches the predictions

    def draw_plots(self) -> None:
        self.query_one("#train-curves", TrainCurves).show(self.metrics, self.axis)
        self.plots_drawn = self.metrics.version

    def _report_errors(self) -> None:
        errors = self.metrics.points(kind="error")
        if len(errors) > self.errors_seen:
            self.errors_seen = len(errors)
            self.say(errors_line(self.metrics), "error")

    # -----------------------------------------------------------------------------------------
    # the model's views (kept by TrainViewsKeeper)

    @property
    def keeper(self) -> TrainViewsKeeper:
        return self.query_one("#train-views-keeper", TrainViewsKeeper)

    @property
    def views(self) -> ModelViews | None:
        """What the views tabs show now."""
        return self.keeper.views

    @property
    def views_showing(self) -> bool:
        return self.tabs.active in VIEW_TABS

    def view_run(self) -> str | None:
        """The run whose network the views show: the board's cursor row, else the first."""
        return self.keeper.view_run()

    def views_stale(self) -> bool:
        return self.keeper.views_stale()

    def action_refresh_views(self) -> None:
        self.keeper.forget()  # all of it, even if nothing seems to have changed
        self.refresh_views(announce=True)

    def refresh_views(self, announce: bool = False) -> None:
        self.keeper.refresh_views(announce)

    def show_views(self, views: ModelViews) -> None:
        """Draw views computed by compute_views (or made up by a test)."""
        self.keeper.show_views(views)

    @on(TrainPredictions.ImageChosen)
    def show_maps_of_clicked(self, event: TrainPredictions.ImageChosen) -> None:
        event.stop()
        self.query_one("#train-filters", TrainFilters).choose_image(event.index)
        self.tabs.active = "train-tab-filters"
        self.refresh_views()

    @on(TrainFilters.ImageTyped)
    def show_maps_of_typed(self, event: TrainFilters.ImageTyped) -> None:
        event.stop()
        self.refresh_views(announce=True)
