"""Typed text lands in order, even when keys arrive in one burst (a fast typist, a paste of
keys, tmux send-keys).

Textual's Input and TextArea insert a printable character in their own key handler, but their
editing keys (backspace, delete, arrows, home, end, ...) are bindings, and a binding runs only
once the key has bubbled up to the app: in a burst, the characters after a backspace were
inserted before it ran (`123`, three backspaces, `1208040000` gave `1231208040`). Textual issue
6605 (fix proposed in pull request 6631): until it is released, the text widgets run their own
bindings in their own key handler, in the order the keys came."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual import events
from textual.widget import Widget
from textual.widgets import Input, TextArea

KeyHandler = Callable[[Widget, events.Key], Awaitable[None]]


async def run_own_binding(widget: Widget, event: events.Key) -> bool:
    """Run the widget's own (non-priority) binding for the key there and then; whether one
    ran. What runs is what the app would have run: the focused widget's bindings come first in
    its binding chain, and priority bindings were checked before the key reached the widget."""
    for binding in widget._bindings.key_to_bindings.get(event.key, ()):
        if not binding.priority and await widget.app.run_action(binding.action, widget):
            event.stop()
            event.prevent_default()
            return True
    return False


def _in_order(handler: KeyHandler) -> KeyHandler:
    async def on_key(self: Widget, event: events.Key) -> None:
        await handler(self, event)
        if not event._stop_propagation and not event._no_default_action:
            await run_own_binding(self, event)

    on_key.__wrapped__ = handler  # type: ignore[attr-defined]
    return on_key


def keep_typed_keys_in_order() -> None:
    """Make Input and TextArea (and their subclasses) run their own bindings as keys arrive.
    Idempotent."""
    for cls in (Input, TextArea):
        if not hasattr(cls._on_key, "__wrapped__"):
            cls._on_key = _in_order(cls._on_key)  # type: ignore[method-assign]
