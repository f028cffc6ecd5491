"""Stack-file loading time by row count (linear, not quadratic) and the cost of refusing files
past the limits: prints seconds per size (and JSON with --json)."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from cnn_tui.core.stacks.shapes import StackError
from cnn_tui.core.stacks.stack_file import load_stack

ROWS = (1_000, 5_000, 10_000, 20_000, 200_000)


def stack_text(rows: int) -> str:
    layers = ",\n".join(['    {"type": "relu"}'] * rows)
    return '{\n  "input": "4",\n  "layers": [\n' + layers + "\n  ]\n}\n"


def time_load(path: Path) -> tuple[float, str]:
    start = time.perf_counter()
    try:
        outcome = f"{len(load_stack(path).layers):,} layers"
    except StackError as exc:
        outcome = f"refused: {str(exc).split(': ', 1)[1]}"
    return time.perf_counter() - start, outcome


def main() -> None:
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for rows in ROWS:
            path = Path(folder) / f"rows{rows}.json"
            path.write_text(stack_text(rows))
            seconds, outcome = time_load(path)
            results.append({"rows": rows, "seconds": round(seconds, 4), "outcome": outcome})
        big = Path(folder) / "huge.json"
        with open(big, "wb") as handle:
            handle.truncate(300 * 1024 * 1024)
        seconds, outcome = time_load(big)
        results.append({"rows": "300 MiB file", "seconds": round(seconds, 4), "outcome": outcome})
    if "--json" in sys.argv:
        print(json.dumps(results, indent=2))
        return
    for row in results:
        print(f"{row['rows']!s:>14}  {row['seconds']:8.4f} s  {row['outcome']}")


if __name__ == "__main__":
    main()
