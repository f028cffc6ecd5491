"""KeysFooter: Textual's Footer, rebuilt once per refresh however often the keys change.

Textual's Footer rebuilds all its keys (removes and mounts every FooterKey) each time a screen
says its bindings changed, and a screen says so several times while it opens (mounting, the
first focus, its own layout deciding which keys apply): each rebuild after the first was
thrown away by the next, and together they were a large part of a screen's first paint. This
footer rebuilds once, after the refresh, from the bindings as they are by then, so it shows
exactly what Textual's would once the changes have settled.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeysFooter(Footer):
    """A Footer whose rebuilds, asked for several times before a refresh, happen once."""

    _rebuild_pending = False

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._rebuild_pending:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_pending = False
        await self.recompose()
