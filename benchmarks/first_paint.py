"""Time from launching the app to its first painted screen (headless), per screen, side by side
with a minimal Textual app (a Header, a Static and a Footer) in the same run; prints each
screen's median and its ratio to the minimal app's, then JSON.

cnn_tui's own modules are compiled to bytecode first, as an installed package's are.

The child process runs the app headless; an auto-pilot reports once the screen has mounted and
been drawn, together with whether torch had been imported by then (it must not be). The runs
take turns (minimal app, lessons, stepper, ..., minimal app, lessons, ...) so that a busy
machine slows them all alike.

    python benchmarks/first_paint.py [RUNS] [SCREEN ...]

With screen names after RUNS, only those screens run (beside the minimal app), e.g.
`python benchmarks/first_paint.py 5 train`.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

CHILD = """
import sys
from cnn_tui.app.app import CnnTuiApp

async def report(pilot):
    await pilot.pause()
    print("painted", "torch" in sys.modules, flush=True)
    pilot.app.exit()

CnnTuiApp(mode=sys.argv[1]).run(headless=True, size=(120, 40), auto_pilot=report)
"""

MINIMAL = """
import sys
from textual.app import App
from textual.widgets import Footer, Header, Static

class Minimal(App):
    def compose(self):
        yield Header()
        yield Static("Hello")
        yield Footer()

async def report(pilot):
    await pilot.pause()
    print("painted", "torch" in sys.modules, flush=True)
    pilot.app.exit()

Minimal().run(headless=True, size=(120, 40), auto_pilot=report)
"""

SCREENS = ("lessons", "stepper", "builder", "train", "calculators", "playground")
TARGETS = {
    "lessons": 2.5,
    "stepper": 2.0,
    "builder": 2.0,
    "train": 2.0,
    "calculators": 2.0,
    "playground": 2.0,
}
"""The most each screen's first paint may take, as a multiple of the minimal app's."""


def first_paint(mode: str) -> tuple[float, bool]:
    code, args = (MINIMAL, []) if mode == "minimal" else (CHILD, [mode])
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    line = child.stdout.readline()
    elapsed = time.perf_counter() - start
    child.wait(timeout=30)
    if not line.startswith("painted"):
        raise SystemExit(f"{mode} did not paint: {line!r}")
    return elapsed, line.split()[1] == "True"


def compile_bytecode() -> None:
    """Compile cnn_tui's modules to bytecode first, as pip does when it installs the package
    (and as Python does on the first run where PYTHONDONTWRITEBYTECODE is unset): the libraries
    it is measured against already have theirs, so a source tree that has none would pay for
    compiling every module it imports on every launch."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("cnn_tui")
    assert spec is not None and spec.submodule_search_locations
    for folder in spec.submodule_search_locations:
        compileall.compile_dir(folder, quiet=1)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    screens = tuple(sys.argv[2:]) or SCREENS
    unknown = [name for name in screens if name not in SCREENS]
    if unknown:
        raise SystemExit(f"no such screen: {', '.join(unknown)} (screens: {', '.join(SCREENS)})")
    compile_bytecode()
    first_paint("minimal")  # warm the file cache
    first_paint(screens[0])
    modes = ("minimal", *screens)
    times: dict[str, list[float]] = {mode: [] for mode in modes}
    torch_loaded = dict.fromkeys(modes, False)
    for _ in range(runs):
        for mode in modes:
            seconds, loaded = first_paint(mode)
            times[mode].append(seconds)
            torch_loaded[mode] |= loaded
    medians = {mode: statistics.median(times[mode]) for mode in modes}
    base = medians["minimal"]
    print(f"time to first paint, median of {runs} runs (Python {sys.version.split()[0]})")
    print(f"  {'minimal app':<12} {base * 1000:6.0f} ms   1.00x")
    results: dict[str, dict[str, object]] = {"minimal": {"median_s": round(base, 3)}}
    for mode in screens:
        ratio = medians[mode] / base
        verdict = "ok" if ratio <= TARGETS[mode] else f"over {TARGETS[mode]:g}x"
        note = "torch imported!" if torch_loaded[mode] else "torch not imported"
        print(f"  {mode:<12} {medians[mode] * 1000:6.0f} ms   {ratio:4.2f}x  {verdict:<9} ({note})")
        results[mode] = {
            "median_s": round(medians[mode], 3),
            "ratio": round(ratio, 2),
            "target": TARGETS[mode],
            "torch": torch_loaded[mode],
        }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
