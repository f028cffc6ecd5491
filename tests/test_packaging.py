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


def test_the_wheel_carries_the_course(tmp_path):
    import shutil
    import subprocess
    import sys
    import zipfile

    pytest.importorskip("setuptools")
    # build from a copy, so the source tree gets no build/ or egg-info
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("cnn_tui", "lessons"):
        shutil.copytree(
            ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    done = subprocess.run(
        [*command, "-w", str(tmp_path), str(source)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    (wheel,) = tmp_path.glob("cnn_tui-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = sorted(n.split("/")[-1] for n in names if n.startswith("cnn_tui/lessons/"))
    assert shipped == sorted(p.name for p in (ROOT / "lessons").glob("*.md"))
    assert "cnn_tui/app/app.tcss" in names
    assert "cnn_tui/core/course/inside_net.json" in names  # the course network's weights
