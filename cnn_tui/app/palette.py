"""The command palette's own commands: every stepper preset, every zoo network (in the builder
or in Train), every lesson, every calculators tab, and every action of the screen it was opened
on, with its keys. The app opens each through the same paths as a lesson's 'Try it'."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from ..core.plain_text import visible

CALCULATOR_TITLES = {
    "size": "Conv / pool size",
    "params": "Parameters",
    "field": "Receptive field",
    "summary": "Summary",
}
"""The calculators screen's tabs (the 'Try it' targets of core.course.marking), by title."""


class Opener(Protocol):
    """What the palette asks of the app."""

    async def open_target(self, screen: str, target: str) -> None: ...

    async def open_lesson(self, key: str) -> None: ...

    def lesson_titles(self) -> list[tuple[str, str]]: ...


@dataclass(frozen=True)
class Command:
    """One line of the palette."""

    text: str
    """What is searched and shown, e.g. 'Stepper preset: max-pool'."""
    help: str
    run: Callable[[], Awaitable[None] | None]


def target_commands(app: Opener) -> list[Command]:
    """The presets, networks, lessons and calculators tabs: the same for every screen."""
    from ..core.convolution.backward_presets import BACKWARD_PRESETS
    from ..core.convolution.presets import PRESETS
    from ..core.stacks.zoo import PRESETS as ZOO

    words = [(name, p.title, p.description) for name, p in PRESETS.items()]
    words += [(name, p.title, p.description) for name, p in BACKWARD_PRESETS.items()]
    commands = [
        Command(
            f"Stepper preset: {name}",
            f"{title}: {description}",
            partial(app.open_target, "stepper", name),
        )
        for name, title, description in words
    ]
    for name, network in ZOO.items():
        commands.append(
            Command(
                f"Builder preset: {name}",
                f"Open {network.title} in the builder",
                partial(app.open_target, "builder", name),
            )
        )
        commands.append(
            Command(
                f"Train preset: {name}",
                f"Put {network.title} in Train's form",
                partial(app.open_target, "train", name),
            )
        )
    for key, title in app.lesson_titles():
        commands.append(
            Command(f"Lesson: {title}", "Open it in Lessons", partial(app.open_lesson, key))
        )
    for tab, title in CALCULATOR_TITLES.items():
        commands.append(
            Command(
                f"Calculator: {title}",
                "Open this calculators tab",
                partial(app.open_target, "calculators", tab),
            )
        )
    return commands


class PaletteCommands(Provider):
    """Presets, lessons, calculators and the current screen's actions."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.commands: list[Command] = []

    async def startup(self) -> None:
        self.commands = self._screen_actions() + target_commands(self.app)  # type: ignore[arg-type]

    def _screen_actions(self) -> list[Command]:
        """The actions active on the screen the palette was opened on (not the app's: those
        are the system commands), each with its keys."""
        screen, app = self.screen, self.app
        grouped: dict[tuple[int, str], tuple[list[str], object, str, str]] = {}
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.description or active.node is app:
                continue
            keys, _, _, _ = grouped.setdefault(
                (id(active.node), binding.action),
                ([], active.node, binding.description, binding.tooltip or ""),
            )
            keys.append(app.get_key_display(binding))
        return [
            Command(
                f"{description} ({' / '.join(keys)})",
                tooltip,
                partial(app.run_action, action, node),  # type: ignore[arg-type]
            )
            for (_, action), (keys, node, description, tooltip) in grouped.items()
        ]

    async def discover(self) -> Hits:
        for command in self.commands:
            yield DiscoveryHit(plain(command.text), command.run, help=plain(command.help))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self.commands:
            text = visible(command.text)
            score = matcher.match(text)
            if score > 0:
                # names and lesson titles are the user's: plain text, never markup
                _, offsets = matcher.fuzzy_search.match(query, text)
                shown = Content(text)
                for offset in offsets:
                    shown = shown.stylize("bold underline", offset, offset + 1)
                yield Hit(score, shown, command.run, help=plain(command.help))


def plain(text: str) -> str:
    """Text the palette shows as it is (it reads a str as markup; Content passes through)."""
    return Content(visible(text))  # type: ignore[return-value]
