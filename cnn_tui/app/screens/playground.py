"""PlaygroundScreen: optimizers raced across a 2-D loss surface, one update at a time, with the
chosen optimizer's update written out in numbers (paths from torch.optim, in a worker)."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Header, Static
from textual.worker import get_current_worker

from ...core.optim.paths import Run
from ...core.optim.scene import DEFAULT_RACE, DEFAULT_SURFACE, Scene, read_scene
from ...core.optim.updates import update_at
from ...core.plain_text import visible
from ...core.views.train_status import run_colour
from ..widgets.common.steady_footer import SteadyFooter
from ..widgets.common.step_player import StepPlayer
from ..widgets.playground.loss_plot import LossPlot
from ..widgets.playground.settings import PlaygroundSettings
from ..widgets.playground.surface_map import HERE, LEFT_VIEW, MINIMUM, START, SurfaceMap

STEP_KEYS = Binding.Group("Step")
"""Next and back share one footer entry: 'n p Step'."""

SPEEDS: tuple[float, ...] = (2.0, 5.0, 10.0, 20.0, 50.0)
"""Animation speeds in steps per second (a path has 200 steps)."""

WIDE = 100
"""Screens at least this wide show the settings column beside the map (unless `s` hid it)."""

PATHS_AFTER_SECONDS = 0.5
"""The paths (which import torch) are computed this long after the first paint."""


def _point(point: tuple[float, float]) -> str:
    return f"({point[0]:.4g}, {point[1]:.4g})"


class PlaygroundScreen(Screen):
    """Race optimizers across a loss surface and step through their updates."""

    TITLE = "Playground"
    AUTO_FOCUS = ""  # nothing focused at first, so the arrow keys step straight away
    BINDINGS = [
        Binding("right,n", "step(1)", "Next", tooltip="Next update", id="next", group=STEP_KEYS),
        Binding(
            "left,p", "step(-1)", "Back", tooltip="Previous update", id="back", group=STEP_KEYS
        ),
        Binding("home", "jump(0)", "Start", tooltip="Back to the start", id="start", show=False),
        Binding("end", "jump(-1)", "End", tooltip="The last step", id="end", show=False),
        Binding("space", "play", "Play", tooltip="Play or pause the race", id="play"),
        Binding(
            "plus,equals_sign", "speed(1)", "Faster", tooltip="Play faster", id="faster", show=False
        ),
        Binding("minus", "speed(-1)", "Slower", tooltip="Play slower", id="slower", show=False),
        Binding(
            "o",
            "next_run",
            "Run",  # short: the footer keeps Mode and Help at 80 columns
            tooltip="Write out the next optimizer's update",
            id="next_run",
        ),
        Binding("s", "toggle_settings", "Settings", tooltip="Show or hide the form", id="settings"),
        Binding(
            "escape",
            "leave_field",
            "Stop editing",
            show=False,
            tooltip="Leave the field; arrows step again",
        ),
    ]

    @dataclass
    class PathsReady(Message):
        """The worker computed every path of one scene (or could not: error)."""

        generation: int
        runs: tuple[Run, ...]
        error: str = ""

    def __init__(self, target: str | None = None) -> None:
        super().__init__()
        self.scene: Scene = read_scene(target or f"{DEFAULT_SURFACE} {DEFAULT_RACE}")
        """The surface, start and race shown."""
        self.runs: tuple[Run, ...] = ()
        """The paths of the scene (empty while the worker computes them)."""
        self.generation = 0
        """Counts path requests: a worker's answer for an older one is dropped."""
        self.index = self.scene.steps
        """The step shown: every path is drawn up to it."""
        self.chosen = 0
        """The run whose update is written out."""
        self.speed = 2
        self.player = StepPlayer(self, self._tick)
        self.settings_choice: bool | None = None
        """Form shown (True) or hidden (False) by `s`; None: shown when the screen is wide."""
        self.note = ""
        """A message under the update: why an edit was refused."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="playground-body"):
            yield PlaygroundSettings(self.scene, id="pg-settings")
            with Vertical(id="pg-stage"):
                yield Static(id="pg-info")
                with Horizontal(id="pg-main"):
                    yield SurfaceMap(id="pg-map")
                    yield LossPlot(id="pg-loss")
                yield Static(id="pg-legend")
                yield Static(id="pg-update")
                yield Static(id="pg-message")
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.fit()
        self.refresh_view()
        # painted first: the paths need torch, whose import takes seconds the first time
        self.call_after_refresh(self.set_timer, PATHS_AFTER_SECONDS, self.compute_paths)

    def on_resize(self) -> None:
        self.fit()
        self.call_after_refresh(self.refresh_view)

    def fit(self) -> None:
        settings = self.query_one(PlaygroundSettings)
        show = self.settings_choice
        if show is None:
            show = self.size.width >= WIDE
        settings.display = show

    # -- the scene and its paths ---------------------------------------------------------------

    async def open_target(self, target: str) -> None:
        """Open a lesson's 'Try it' target ('ravine sgd:0.1,adam:0.1 start=-9,1')."""
        self.use_scene(read_scene(target), 0)
        self.query_one(PlaygroundSettings).load(self.scene, 0)

    def use_scene(self, scene: Scene, chosen: int) -> None:
        moved = scene.surface != self.scene.surface or scene.start != self.scene.start
        changed = scene != self.scene
        self.scene, self.chosen = scene, chosen
        if changed:
            if moved or len(self.runs) != len(scene.setups):
                self.runs = ()
            self.compute_paths()
        self.refresh_view()

    def compute_paths(self) -> None:
        self.generation += 1
        self._paths(self.scene, self.generation)

    @work(thread=True, exclusive=True, exit_on_error=False, group="playground-paths")
    def _paths(self, scene: Scene, generation: int) -> None:
        from ...core.optim.paths import optimizer_path  # torch, imported in this thread

        worker = get_current_worker()
        runs = []
        try:
            for setup in scene.setups:
                if worker.is_cancelled:
                    return
                runs.append(optimizer_path(setup, scene.surface, scene.start, scene.steps))
        except (ValueError, ArithmeticError, RuntimeError) as exc:
            self.post_message(self.PathsReady(generation, (), str(exc)))
            return
        self.post_message(self.PathsReady(generation, tuple(runs)))

    @on(PathsReady)
    def _paths_ready(self, event: PathsReady) -> None:
        event.stop()
        if event.generation != self.generation:
            return  # an older scene's paths
        self.runs = event.runs
        self.note = event.error
        self.refresh_view()

    # -- drawing ---------------------------------------------------------------------------------

    def refresh_view(self) -> None:
        scene, runs = self.scene, self.runs
        self.query_one(SurfaceMap).show(scene.surface, scene.start, runs, self.index)
        self.query_one(LossPlot).show(scene.surface, runs, self.index, scene.steps)
        playing = f"  playing {SPEEDS[self.speed]:g}/s" if self.timer else ""
        self.query_one("#pg-info", Static).update(
            Content.assemble(
                (scene.surface.name, "bold"),
                f"  {scene.surface.formula}  ",
                (f"step {self.index}/{scene.steps}", "bold"),
                playing,
            )
        )
        self.query_one("#pg-legend", Static).update(self._legend())
        self.query_one("#pg-update", Static).update(Content(self._update_text()))
        message = self.query_one("#pg-message", Static)
        message.update(Content(visible(self.note)))
        message.set_class(bool(self.note), "-error")

    def _legend(self) -> Content:
        keys = f"{MINIMUM} minimum  {START} start  {HERE} now  {LEFT_VIEW} left the view"
        if not self.runs:
            waiting = Content("computing the paths (PyTorch loads the first time)...")
            return Content("\n").join([waiting, Content(keys)])
        lines = []
        for index, run in enumerate(self.runs):
            title = run.setup.title
            style = "bold underline" if index == self.chosen else ""
            lines.append(
                Content.assemble(
                    ("━━ ", run_colour(index)), (title, style), f"  {self._where(run)}"
                )
            )
        lines.append(Content.styled(keys, "dim"))
        return Content("\n").join(lines)

    def _where(self, run: Run) -> str:
        """Where a run is at the step shown, or why it stopped."""
        if run.diverged_at is not None and self.index >= run.diverged_at:
            return run.message
        k = min(self.index, run.steps_taken)
        reached = run.reached(self.scene.surface)
        at = f"; at the minimum from step {reached}" if reached is not None and reached <= k else ""
        return f"{_point(run.path[k])} f = {run.losses[k]:.3g}{at}"

    def _update_text(self) -> str:
        if not self.runs or self.chosen >= len(self.runs):
            return ""
        run = self.runs[self.chosen]
        k = min(self.index, run.steps_taken)
        if k == 0:
            start = run.path[0]
            return (
                f"{run.setup.describe()}\n"
                f"x = {_point(start)}, f = {run.losses[0]:.6g}: the start (→ takes the first step)"
            )
        update = update_at(run.setup, self.scene.surface, run.path, run.states, k)
        lines = [
            f"{run.setup.title} step {k}: x = {_point(update.point)}, f = {update.loss:.6g}",
            *update.lines(),
        ]
        if run.diverged_at is not None and self.index >= run.diverged_at:
            lines.append(run.message)
        return "\n".join(lines)

    # -- keys --------------------------------------------------------------------------------------

    def action_step(self, delta: int) -> None:
        self.index = max(0, min(self.scene.steps, self.index + delta))
        self.refresh_view()

    def action_jump(self, where: int) -> None:
        self.index = self.scene.steps if where < 0 else 0
        self.refresh_view()

    @property
    def timer(self) -> Timer | None:
        """The play timer while the race plays."""
        return self.player.timer

    def action_play(self) -> None:
        if self.player.playing:
            self.stop_playing()
        else:
            if self.index >= self.scene.steps:
                self.index = 0
            self.player.start(SPEEDS[self.speed])
        self.refresh_view()

    def stop_playing(self) -> None:
        self.player.stop()

    def _tick(self) -> None:
        if self.index >= self.scene.steps:
            self.stop_playing()
        else:
            self.index += 1
        self.refresh_view()

    def action_speed(self, delta: int) -> None:
        self.speed = max(0, min(len(SPEEDS) - 1, self.speed + delta))
        self.player.retime(SPEEDS[self.speed])
        self.note = f"speed {SPEEDS[self.speed]:g} steps/s"
        self.refresh_view()

    def action_next_run(self) -> None:
        self.chosen = (self.chosen + 1) % len(self.scene.setups)
        self.query_one(PlaygroundSettings).load(self.scene, self.chosen)
        self.refresh_view()

    def action_toggle_settings(self) -> None:
        self.settings_choice = not self.query_one(PlaygroundSettings).display
        self.fit()

    def action_leave_field(self) -> None:
        self.set_focus(None)

    # -- the form ------------------------------------------------------------------------------

    @on(PlaygroundSettings.Edited)
    def _edited(self, event: PlaygroundSettings.Edited) -> None:
        event.stop()
        self.note = ""
        self.use_scene(event.scene, event.chosen)

    @on(PlaygroundSettings.Invalid)
    def _refused(self, event: PlaygroundSettings.Invalid) -> None:
        event.stop()
        self.note = f"{event.message} (showing the last paths that worked)"
        self.refresh_view()
