"""CnnTuiApp: the modes (lessons, stepper, builder, train, calculators, playground, inside),
app-wide keys, help and the palette."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, on
from textual.actions import parse as parse_action
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import TabbedContent

from ..core.plain_text import visible
from ..core.stacks.recovery_path import default_recovery_path
from .keys import MODES_AVAILABLE, enter_bindings, enter_kind, mode_bindings, takes_typed_text
from .messages import InspectRun, OpenTryIt, UseStackInTrain
from .typed_keys import keep_typed_keys_in_order

if TYPE_CHECKING:
    from textual.command import Provider

    # the layer stacks, the course and the dialogs are imported when first used (after the
    # first paint), so the start imports only what the first screen needs
    from ..core.course.lesson_answers import LessonState
    from ..core.course.lessons import TryIt
    from ..core.stacks.recovery import Recovered
    from ..core.stacks.stack import Stack
    from ..core.training.train_config import TrainConfig

    # each screen's module is imported when the screen is first opened (see _make_screen):
    # the first paint imports only the screen shown
    from .screens.builder import BuilderScreen
    from .screens.calculators import CalculatorsScreen
    from .screens.inside import InsideScreen, NetworkSource
    from .screens.lessons import LessonsScreen
    from .screens.playground import PlaygroundScreen
    from .screens.stepper import StepperScreen
    from .screens.train import TrainScreen


def palette_commands() -> type[Provider]:
    """The palette's own commands, imported when the palette first opens (as Textual's are)."""
    from .palette import PaletteCommands

    return PaletteCommands


STOP_SIGNALS = ("SIGTERM", "SIGHUP")
"""Signals that quit at once, without a question (there may be no terminal to answer it):
the builder's unsaved edits go to the recovery file, and the exit status is 128 + the signal's
number (143, 129)."""

LIGHT_THEME = "textual-light"
DARK_THEME = "textual-dark"


@dataclass
class OpenedScreens:
    """The screen of each mode once it has been opened (None before), so the app reaches each
    by its own type and a screen never needs another."""

    lessons: LessonsScreen | None = None
    stepper: StepperScreen | None = None
    builder: BuilderScreen | None = None
    train: TrainScreen | None = None
    calculators: CalculatorsScreen | None = None
    playground: PlaygroundScreen | None = None
    inside: InsideScreen | None = None


class CnnTuiApp(App[None]):
    """The cnn-tui learning sandbox."""

    TITLE = "cnn-tui"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {palette_commands}
    BINDINGS = [
        *mode_bindings(),
        *enter_bindings(),
        Binding("question_mark,f1", "help", "Help", tooltip="Every key of this screen", id="help"),
        Binding(
            "ctrl+t", "toggle_theme", "Theme", tooltip="Switch light/dark", id="theme", show=False
        ),
        Binding("q,ctrl+q", "quit", "Quit", tooltip="Leave cnn-tui", id="quit"),
    ]

    def __init__(
        self,
        mode: str = "stepper",
        stepper_preset: str | None = None,
        builder_stack: str | None = None,
        train_model: str | None = None,
        train_config: TrainConfig | None = None,
        lessons_dir: str | None = None,
        lesson: str | None = None,
        recovery_path: Path | None = None,
        playground: str | None = None,
        inside: NetworkSource | None = None,
    ) -> None:
        # the first screen is the mode's own (built when the app composes): no blank default
        # screen first, and one styling of the mode's screen instead of two on a mode switch
        self.DEFAULT_MODE = mode
        super().__init__()
        keep_typed_keys_in_order()
        self.initial_mode = mode
        """The mode shown first."""
        self.stepper_preset = stepper_preset
        """The stepper preset to open with, if one was asked for."""
        self.builder_stack = builder_stack
        """The builder's first stack (a preset name, spec or .json file), if one was asked for."""
        self.train_model = train_model
        """The train screen's first model (a preset name, spec or .json file), if one was asked
        for; it wins over train_config's model."""
        self.train_config = train_config
        """The settings the train screen's form opens with (the CLI's `train --app`); settings
        the form has no field for (schedule, augmentation, limit train, ...) are used as given."""
        self.lessons_dir = lessons_dir
        """The course folder (None: the shipped course)."""
        self.lesson = lesson
        """The lesson to open first (number, id or title); None: the first one not done."""
        self.playground = playground
        """The playground's first scene ('SURFACE [RACE] [start=X,Y]'), if one was asked for."""
        self.inside = inside
        """The network the inside view opens with (`cnn-tui inside FILE`), if one was given."""
        self.mode_screens: dict[str, Screen] = {}
        """The screen of each mode that has been opened, by the mode's name."""
        self.opened = OpenedScreens()
        """The same screens, each under its own type."""
        self.recovery_path = recovery_path or default_recovery_path()
        """Where a stop signal keeps the builder's unsaved edits, and the start looks for them."""
        self.exit_note = ""
        """A line for the terminal once the app has closed (what a stop signal did)."""
        self._replaced_handlers: dict[int, object] = {}
        """The handlers the stop signals had before the app took them, to put back on exit."""
        for mode_info in MODES_AVAILABLE:
            self.add_mode(mode_info.name, self._remembered(mode_info.name))

    def _remembered(self, name: str) -> Callable[[], Screen]:
        def build() -> Screen:
            screen = self._make_screen(name)
            self.mode_screens[name] = screen
            setattr(self.opened, name, screen)
            return screen

        return build

    def _make_screen(self, name: str) -> Screen:
        """A new screen for the mode, its module imported now (the first time it opens)."""
        if name == "lessons":
            from .screens.lessons import LessonsScreen

            return LessonsScreen(
                course_dir=self.lessons_dir, lesson=self.lesson, state_of=self.lesson_state
            )
        if name == "stepper":
            from .screens.stepper import StepperScreen

            return StepperScreen(preset=self.stepper_preset)
        if name == "builder":
            from .screens.builder import BuilderScreen

            return BuilderScreen(stack=self.builder_stack)
        if name == "train":
            from .screens.train import TrainScreen

            return TrainScreen(model=self.train_model, config=self.train_config)
        if name == "playground":
            from .screens.playground import PlaygroundScreen

            return PlaygroundScreen(target=self.playground)
        if name == "inside":
            from .screens.inside import InsideScreen

            return InsideScreen(sources=self.session_networks, start=self.inside)
        from .screens.calculators import CalculatorsScreen

        return CalculatorsScreen()

    def on_mount(self) -> None:
        self._take_stop_signals()
        self.switch_mode(self.initial_mode)
        self.call_after_refresh(self.offer_recovery)

    def on_unmount(self) -> None:
        self._give_back_stop_signals()

    # -- stop signals and the recovery file -----------------------------------------------------

    def _take_stop_signals(self) -> None:
        # through the event loop, so the handler runs as app code between messages
        loop = asyncio.get_running_loop()
        for name in STOP_SIGNALS:
            number = getattr(signal, name, None)
            if number is None:
                continue
            previous = signal.getsignal(number)
            try:
                loop.add_signal_handler(number, self.stop_by_signal, int(number))
            except (NotImplementedError, RuntimeError, ValueError):
                continue  # no signals here, or not the main thread: the default stays
            self._replaced_handlers[int(number)] = previous

    def _give_back_stop_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for number, previous in self._replaced_handlers.items():
            loop.remove_signal_handler(number)  # this sets SIG_DFL: the old one goes back next
            if previous is not None:
                signal.signal(number, previous)  # type: ignore[arg-type]
        self._replaced_handlers.clear()

    def stop_by_signal(self, number: int) -> None:
        """SIGTERM or SIGHUP: keep the builder's unsaved edits, stop any training within a
        batch, and quit with status 128 + number, asking nothing."""
        if self._exit:
            return  # already on the way out
        self.exit_note = self._keep_unsaved_edits(signal.Signals(number).name)
        if self.opened.train is not None:
            self.opened.train.stop_training()
        self.exit(return_code=128 + number)

    def _keep_unsaved_edits(self, why: str) -> str:
        builder = self.opened.builder
        if builder is None or not builder.has_unsaved_edits:
            return ""
        if not builder.layers:
            return ""  # every layer deleted: no stack to keep (a stack file holds one or more)
        from ..core.stacks.recovery import save_recovery

        try:
            kept = save_recovery(builder.stack(), builder.saved_path, self.recovery_path)
        except OSError as exc:
            return (
                f"cnn-tui: {why}: the builder's unsaved stack could not be kept in "
                f"{self.recovery_path} ({exc.strerror or exc})"
            )
        return (
            f"cnn-tui: {why}: the builder's unsaved stack is kept in {kept}; the next start "
            "offers it"
        )

    def offer_recovery(self) -> None:
        """Offer the stack a stop signal kept last time, if there is one."""
        try:
            os.lstat(self.recovery_path)
        except FileNotFoundError:
            return  # none (the usual case): the layer stacks are not imported at the start
        except OSError:
            pass  # load_recovery says what is wrong with it
        from ..core.stacks.recovery import RecoveryError, load_recovery
        from .widgets.common.recovery_offer import RecoveryOffer

        try:
            recovered = load_recovery(self.recovery_path)
        except RecoveryError as exc:
            self._set_aside(self.recovery_path, f"{exc}: ")
            return
        if recovered is None:
            return
        stack = recovered.stack
        what = f"the stack '{stack.name}'" if stack.name else "an untitled stack"
        if recovered.source is not None:
            what += f" (from {recovered.source})"

        async def answered(reopen: bool | None) -> None:
            if reopen:
                await self.reopen_recovered(recovered)
            else:
                self._set_aside(recovered.file, "", "information")

        self.push_screen(RecoveryOffer(what, str(recovered.file)), answered)

    async def reopen_recovered(self, recovered: Recovered) -> None:
        """Open the kept stack in the builder, then remove its file (the builder holds it)."""
        await self.switch_mode("builder")
        builder = self.opened.builder
        if builder is None or not builder.open_recovered(recovered.stack, recovered.source):
            self._set_aside(recovered.file, "the kept stack could not be opened: ")
            return
        from ..core.stacks.recovery import remove_recovery

        try:
            remove_recovery(recovered.file)
        except OSError as exc:
            self._tell(f"{recovered.file} could not be removed ({exc.strerror or exc})", "warning")

    def _set_aside(self, path: Path, why: str, severity: str = "warning") -> None:
        from ..core.stacks.recovery import set_aside

        try:
            moved = set_aside(path)
        except OSError as exc:
            self._tell(
                f"{why}{path} could not be set aside ({exc.strerror or exc}); it is offered again "
                "at the next start",
                "warning",
            )
            return
        self._tell(f"{why}the kept stack is now {moved}: the builder's ctrl+o opens it", severity)

    def _tell(self, text: str, severity: str) -> None:
        # paths and names come from the user: shown as plain text, control characters escaped
        self.notify(visible(text), severity=severity, markup=False)  # type: ignore[arg-type]

    # -- requests from the screens -------------------------------------------------------------

    @on(UseStackInTrain)
    def train_the_stack(self, request: UseStackInTrain) -> None:
        """The builder's 't': switch to Train with the stack in its form."""
        self.use_stack_in_train(request.stack)

    def use_stack_in_train(self, stack: Stack) -> None:
        """Switch to Train and hand it the stack (a new screen fills its form when mounted)."""
        self.switch_mode("train")
        if self.opened.train is not None:
            self.opened.train.use_stack(stack)

    def session_networks(self) -> list[NetworkSource]:
        """Every finished run of this session's Train screen (a race's runs, and their averaged
        weights where kept), newest first, as the inside view lists them."""
        train = self.opened.train
        if train is None:
            return []
        sources: list[NetworkSource] = []
        for number, result in reversed(list(enumerate(train.finished, start=1))):
            for outcome in result.runs:
                for ema in (False, True):
                    model = outcome.ema_model if ema else outcome.model
                    if model is None:
                        continue
                    title = f"Train run {number}: {outcome.run} ({result.config.model})"
                    sources.append(
                        (title + (" EMA" if ema else ""), _loader(result, outcome.run, ema))
                    )
        return sources

    @on(InspectRun)
    async def inspect_run(self, request: InspectRun) -> None:
        """Train's 'inspect this run': open the inside view on it."""
        source = (f"Train run: {request.run}", _loader(request.result, request.run, False))
        if self.opened.inside is None:
            self.inside = source  # the new screen opens on it
            await self.switch_mode("inside")
            return
        await self.switch_mode("inside")
        self.opened.inside.open_network(*source)

    @on(OpenTryIt)
    def open_try_it(self, request: OpenTryIt) -> None:
        """A lesson's 'Try it': open its target, and tell the lessons screen how it went."""
        # in a task of its own, as when the lessons screen awaited it: the app's own loop stays
        # free to mount the target screen while the target is loaded into it
        self.run_worker(self._try_it_and_answer(request.try_it), group="try-it")

    async def _try_it_and_answer(self, try_it: TryIt) -> None:
        problem = await self.try_it(try_it)
        if self.opened.lessons is not None:
            self.opened.lessons.try_it_answered(problem)

    async def try_it(self, try_it: TryIt) -> str | None:
        """Open a lesson's 'Try it' target; the reason when it cannot be opened."""
        from ..core.course.marking import try_target_problem

        problem = try_target_problem(try_it.screen, try_it.target)
        if problem:
            return problem
        target = try_it.target
        fresh = try_it.screen not in self.mode_screens
        if fresh and try_it.screen == "stepper" and target:
            self.stepper_preset = target  # the new screen opens on it
        if fresh and try_it.screen == "builder" and target:
            self.builder_stack = target
        if fresh and try_it.screen == "playground" and target:
            self.playground = target
        if fresh and try_it.screen == "inside" and target:
            self.inside = _course_source(target)
        await self.switch_mode(try_it.screen)
        if not target or (
            fresh and try_it.screen in ("stepper", "builder", "playground", "inside")
        ):
            return None
        opened = self.opened
        if try_it.screen == "stepper" and opened.stepper is not None:
            await opened.stepper.load_preset(target)  # back to the example, even if it was edited
        elif try_it.screen == "builder" and opened.builder is not None:
            opened.builder.open_text(target)  # the stack it replaces can be undone
        elif try_it.screen == "train" and opened.train is not None:
            from ..core.stacks.zoo import resolve_stack

            opened.train.use_stack(resolve_stack(target))
        elif try_it.screen == "playground" and opened.playground is not None:
            await opened.playground.open_target(target)
        elif try_it.screen == "inside" and opened.inside is not None:
            opened.inside.open_network(*_course_source(target))
        elif try_it.screen == "calculators" and opened.calculators is not None:
            opened.calculators.query_one(TabbedContent).active = f"tab-{target}"
        return None

    # -- the palette's commands ------------------------------------------------------------------

    async def open_target(self, screen: str, target: str) -> None:
        """Open a preset, network or tab on its screen, as a lesson's 'Try it' does."""
        from ..core.course.lessons import TryIt

        problem = await self.try_it(TryIt(screen, target, "", 0))
        if problem:
            self._tell(problem, "warning")

    def lesson_titles(self) -> list[tuple[str, str]]:
        """(id, 'number. title') of every lesson of the course, for the palette."""
        from ..core.course.lessons import LessonError, load_course

        try:
            course = load_course(self.lessons_dir)
        except LessonError:
            return []
        return [(lesson.id, f"{lesson.order}. {lesson.title}") for lesson in course.lessons]

    async def open_lesson(self, key: str) -> None:
        """Switch to Lessons and open the lesson (by id, number or title)."""
        if self.opened.lessons is None:
            self.lesson = key  # the new screen opens on it
        await self.switch_mode("lessons")
        lessons = self.opened.lessons
        if lessons is None or lessons.course is None or lessons.lesson is None:
            return
        if lessons.lesson.id != key:
            await lessons.open_lesson(lessons.course.find(key))

    def lesson_state(self) -> LessonState:
        """What 'make it happen' tasks are checked against."""
        from ..core.course.lesson_answers import LessonState

        state = LessonState()
        builder, train, stepper = self.opened.builder, self.opened.train, self.opened.stepper
        if builder is not None and builder.is_mounted:
            state.stack = builder.stack()
        if train is not None and train.finished:  # every run finished this session counts
            state.training = train.finished[-1].summary()
            state.earlier_training = tuple(r.summary() for r in train.finished[:-1])
        if stepper is not None and stepper.is_mounted:
            state.stepper = {"preset": stepper.preset_name, **asdict(stepper.config)}
        return state

    async def action_quit(self) -> None:
        """Quit, but ask first when the builder holds edits that were never saved."""
        from .widgets.common.quit_confirm import QuitConfirm

        builder = self.opened.builder
        if builder is None or not builder.has_unsaved_edits or isinstance(self.screen, QuitConfirm):
            self.exit()
            return
        name = builder.stack_name or "untitled"

        def quit_if_confirmed(confirmed: bool | None) -> None:
            if confirmed:
                self.exit()

        self.push_screen(QuitConfirm(f"The builder's stack '{name}'"), quit_if_confirmed)

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
            return
        self.push_screen(HelpScreen(self.screen))

    # -- the mode keys and enter --------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "digit_mode":
            return not takes_typed_text(self.focused)
        if action == "fkey_mode":
            return takes_typed_text(self.focused)
        if action == "enter_focused":
            return bool(parameters) and parameters[0] == enter_kind(self.focused)
        return True

    async def action_digit_mode(self, name: str) -> None:
        """A digit: switch mode (refused by check_action while a field takes typed text)."""
        await self.switch_mode(name)

    async def action_fkey_mode(self, name: str) -> None:
        await self.switch_mode(name)

    async def action_enter_focused(self, kind: str) -> None:
        """Enter on a widget the footer names it for: enter does what it would without this
        binding (which exists so the footer can say what enter does). As Textual would: the
        priority bindings from the focused widget up to its screen first (a form's own enter),
        then the nearest non-priority one (the widget's own), each only where its node's
        check_action allows it; else the widget's own key handler."""
        focused = self.focused
        if focused is None:
            return
        chain: list[DOMNode] = []
        node: DOMNode | None = focused
        while node is not None and node is not self:
            chain.append(node)
            node = node.parent
        for priority in (True, False):
            for node in chain:
                for binding in node._bindings.key_to_bindings.get("enter", ()):
                    if binding.priority != priority:
                        continue
                    _, name, parameters = parse_action(binding.action)
                    if node.check_action(name, parameters) is not True:
                        continue
                    if await self.run_action(binding.action, node):
                        return
        focused._forward_event(events.Key("enter", "\r"))

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT_THEME if self.current_theme.dark else DARK_THEME

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for mode in MODES_AVAILABLE:
            yield SystemCommand(
                f"{mode.title} ({mode.number})",
                mode.help,
                lambda name=mode.name: self.switch_mode(name),
            )
        yield SystemCommand("Help (? or F1)", "Every key of the current screen", self.action_help)
        yield SystemCommand("Light / dark (ctrl+t)", "Switch theme", self.action_toggle_theme)
        yield from super().get_system_commands(screen)


def _loader(result: object, run: str, ema: bool) -> Callable[[], object]:
    def load() -> object:
        from ..core.inspect.network import network_from_result

        return network_from_result(result, run, ema)  # type: ignore[arg-type]

    return load


def _course_source(target: str) -> NetworkSource:
    """A lesson's '::: try inside course' target: the course network."""
    from ..core.course.inside_answers import course_network

    return ("course network (shipped with the course, digits 8x8)", course_network)
