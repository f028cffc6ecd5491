"""SteadyFooter: Textual's Footer, rebuilt only when what it shows changes.

Textual's Footer builds its keys again after every change of the screen's bindings (each focus
change, each `refresh_bindings`), several times while a screen opens, though the keys shown
are mostly the same. This one compares what it would show with what it shows and builds again
only when they differ, once however many changes arrive before the next paint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Footer

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.screen import Screen


class SteadyFooter(Footer):
    """A Footer that skips rebuilds which would draw the same keys."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.shown: tuple[object, ...] | None = None
        """What the keys built last show (None before they are built)."""
        self.rebuild_pending = False

    def showing(self) -> tuple[object, ...]:
        """Everything the keys would show now: each shown binding's key, its label, its
        description and group, whether it is enabled, and its tooltip."""
        app = self.app
        return (
            self.compact,
            self.show_command_palette,
            tuple(
                (
                    binding.key,
                    app.get_key_display(binding),
                    binding.action,
                    binding.description,
                    binding.show,
                    binding.group,
                    enabled,
                    tooltip,
                )
                for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
                if binding.show or binding.key == app.COMMAND_PALETTE_BINDING
            ),
        )

    def compose(self) -> ComposeResult:
        self.shown = self.showing() if self._bindings_ready else None
        yield from super().compose()

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        if not self.rebuild_pending and self.showing() != self.shown:
            self.rebuild_pending = True
            self.call_after_refresh(self.rebuild)

    async def rebuild(self) -> None:
        self.rebuild_pending = False
        if self.showing() != self.shown:
            await self.recompose()
