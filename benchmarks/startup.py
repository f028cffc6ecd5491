"""Start-up time of the `cnn-tui` command: prints the median of several runs (and JSON)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "cnn-tui --help": ["--help"],
    "cnn-tui summary vgg16": ["summary", "vgg16"],
    "cnn-tui summary resnet50": ["summary", "resnet50"],
    "cnn-tui calc conv --size 32 --kernel 5": ["calc", "conv", "--size", "32", "--kernel", "5"],
    "cnn-tui step conv --preset seed-conv": ["step", "conv", "--preset", "seed-conv"],
}


def time_command(args: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "cnn_tui", *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    time_command(["--version"], 1)  # warm the file cache so the first timed run is not an outlier
    python_only = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        python_only.append(time.perf_counter() - start)
    results = {"python -c pass": statistics.median(python_only)}
    for name, args in COMMANDS.items():
        results[name] = statistics.median(time_command(args, runs))
    width = max(len(name) for name in results)
    print(f"start-up, median of {runs} runs ({sys.platform}, Python {sys.version.split()[0]})")
    for name, seconds in results.items():
        print(f"  {name:<{width}}  {seconds * 1000:7.0f} ms")
    print(json.dumps({name: round(s, 4) for name, s in results.items()}))


if __name__ == "__main__":
    main()
