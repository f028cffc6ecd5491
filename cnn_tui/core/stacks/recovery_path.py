"""Where the builder's recovery file lives (apart from the recovery code, so the app can
know the path at its start without importing the layer stacks)."""

from __future__ import annotations

import os
from pathlib import Path


def default_recovery_path() -> Path:
    """$CNN_TUI_RECOVERY, else $XDG_STATE_HOME/cnn-tui/builder-recovery.json, else
    ~/.local/state/cnn-tui/builder-recovery.json."""
    explicit = os.environ.get("CNN_TUI_RECOVERY")
    if explicit:
        return Path(explicit).expanduser()
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state).expanduser() / "cnn-tui" / "builder-recovery.json"
