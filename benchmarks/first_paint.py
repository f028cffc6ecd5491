"""Time from launching the app to its first painted screen (headless), per screen, side by side
with a minimal Textual app (a Header, a Static and a Footer) in the same run; prints each
screen's median and its ratio to the minimal app's, then JSON.

Two moments are timed in each launch:
- first paint: Textual has composed the screen's first whole frame (the first time the app hands
  a frame of a screen with widgets on it to its display; headless, it is built and not written);
- settled: the auto-pilot's first pause returns, when the message queues are empty: what a
  screen loads after its first frame (a lesson's later sections, the stack code for the
  recovery check) is done, and whether torch had been imported by then (it must not be).
The ratios and targets are the first paint's; the settled figures are printed beside them.

cnn_tui's own modules are compiled to bytecode first, as an installed package's are. The runs
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

WATCH_FRAMES = """
import sys
from textual.app import App

_display = App._display
def _first_frame(app, screen, renderable):
    if renderable is not None and screen.children and not getattr(app, "_framed", False):
        app._framed = True
        print("frame", flush=True)
    return _display(app, screen, renderable)
App._display = _first_frame
"""

CHILD = (
    WATCH_FRAMES
    + """
from cnn_tui.app.app import CnnTuiApp

async def report(pilot):
    await pilot.pause()
    print("settled", "torch" in sys.modules, flush=True)
    pilot.app.exit()

CnnTuiApp(mode=sys.argv[1]).run(headless=True, size=(120, 40), auto_pilot=report)
"""
)

MINIMAL = (
    WATCH_FRAMES
    + """
from textual.widgets import Footer, Header, Static

class Minimal(App):
    def compose(self):
        yield Header()
        yield Static("Hello")
        yield Footer()

async def report(pilot):
    await pilot.pause()
    print("settled", "torch" in sys.modules, flush=True)
    pilot.app.exit()

Minimal().run(headless=True, size=(120, 40), auto_pilot=report)
"""
)

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


def first_paint(mode: str) -> tuple[float, float, bool]:
    """Seconds to the first frame and to settling, and whether torch was imported by then."""
    code, args = (MINIMAL, []) if mode == "minimal" else (CHILD, [mode])
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    frame = child.stdout.readline()
    framed = time.perf_counter() - start
    line = child.stdout.readline()
    settled = time.perf_counter() - start
    child.wait(timeout=30)
    if not frame.startswith("frame") or not line.startswith("settled"):
        raise SystemExit(f"{mode} did not paint: {frame!r} {line!r}")
    return framed, settled, line.split()[1] == "True"


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
    frames: dict[str, list[float]] = {mode: [] for mode in modes}
    settles: dict[str, list[float]] = {mode: [] for mode in modes}
    torch_loaded = dict.fromkeys(modes, False)
    for _ in range(runs):
        for mode in modes:
            framed, settled, loaded = first_paint(mode)
            frames[mode].append(framed)
            settles[mode].append(settled)
            torch_loaded[mode] |= loaded
    paint = {mode: statistics.median(frames[mode]) for mode in modes}
    calm = {mode: statistics.median(settles[mode]) for mode in modes}
    base, calm_base = paint["minimal"], calm["minimal"]
    version = sys.version.split()[0]
    print(f"time to first paint and to settled, median of {runs} runs (Python {version})")
    print(f"  {'':<12} {'first paint':>17}  {'target':<10} {'settled':>15}")
    minimal = f"{base * 1000:6.0f} ms   1.00x  {'':<10} {calm_base * 1000:6.0f} ms  1.00x"
    print(f"  {'minimal app':<12} {minimal}")
    results: dict[str, dict[str, object]] = {
        "minimal": {"paint_s": round(base, 3), "settled_s": round(calm_base, 3)}
    }
    for mode in screens:
        ratio, calm_ratio = paint[mode] / base, calm[mode] / calm_base
        verdict = "ok" if ratio <= TARGETS[mode] else f"over {TARGETS[mode]:g}x"
        note = "torch imported!" if torch_loaded[mode] else "torch not imported"
        print(
            f"  {mode:<12} {paint[mode] * 1000:6.0f} ms  {ratio:5.2f}x  {verdict:<10} "
            f"{calm[mode] * 1000:6.0f} ms {calm_ratio:5.2f}x  ({note})"
        )
        results[mode] = {
            "paint_s": round(paint[mode], 3),
            "ratio": round(ratio, 2),
            "target": TARGETS[mode],
            "settled_s": round(calm[mode], 3),
            "settled_ratio": round(calm_ratio, 2),
            "torch": torch_loaded[mode],
        }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
