"""Time from launching the app to its first painted screen (headless), per screen; prints JSON too.

The child process runs the real app headless; an auto-pilot reports once the screen has mounted
and been drawn, together with whether torch had been imported by then (it must not be).
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


def first_paint(mode: str) -> tuple[float, bool]:
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", CHILD, mode], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    line = child.stdout.readline()
    elapsed = time.perf_counter() - start
    child.wait(timeout=30)
    if not line.startswith("painted"):
        raise SystemExit(f"the app did not paint: {line!r}")
    return elapsed, line.split()[1] == "True"


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    first_paint("stepper")  # warm the file cache
    results = {}
    for mode in ("lessons", "stepper", "builder", "train", "calculators"):
        times, torch_loaded = [], False
        for _ in range(runs):
            seconds, loaded = first_paint(mode)
            times.append(seconds)
            torch_loaded |= loaded
        results[mode] = {"median_s": round(statistics.median(times), 3), "torch": torch_loaded}
    print(f"time to first paint, median of {runs} runs (Python {sys.version.split()[0]})")
    for mode, figures in results.items():
        note = "torch imported!" if figures["torch"] else "torch not imported"
        print(f"  {mode:<12} {figures['median_s'] * 1000:6.0f} ms   ({note})")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
