"""JsonFileTree: a directory tree that lists folders and .json files only."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual.widgets import DirectoryTree


class JsonFileTree(DirectoryTree):
    """Folders (hidden ones left out) and stack files, for picking a file to open or replace."""

    DEFAULT_CSS = """
    JsonFileTree {
        height: 1fr;
        min-height: 3;
        background: $surface;
    }
    """

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [
            path
            for path in paths
            if not path.name.startswith(".")
            and (path.suffix.lower() == ".json" or _is_folder(path))
        ]


def _is_folder(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        # a folder we may not read is left out rather than failing the listing
        return False
