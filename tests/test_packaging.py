"""The package list in pyproject.toml covers the source tree, and the course ships in the wheel."""

from __future__ import annotations

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_is_listed():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "cnn_tui").rglob("__init__.py")
    }
    listed = set(config["packages"])
    assert found | {"cnn_tui.lessons"} == listed
    assert config["package-dir"] == {"cnn_tui.lessons": "lessons"}
    assert config["package-data"]["cnn_tui.lessons"] == ["*.md"]
