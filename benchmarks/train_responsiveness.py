"""Key to repaint on the Train screen, idle and while a CPU run trains (issue 15, item 15).

The real app runs headless at 120x40. Each press of `]` (next tab) is timed from posting the
key to the end of the first screen update that shows the new tab; the update is rendered to
text as a terminal would be sent it, so the figure covers the key, the tab switch, the layout
and the drawing. ~30 presses idle before any run (the tabs still empty), ~30 while the default
run (seed-mnist on digits) trains on the CPU with the given thread count, and ~30 idle again
once the run has stopped, so the tabs hold what they held while it trained (curves, pictures).
Prints the median and the worst of each, and the training median as a ratio of each idle one:
issue 15 asks for the one against idle with the same content (after the run).

    PYTHONPATH=. python benchmarks/train_responsiveness.py [--threads N] [--presses N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time

from textual import events

from cnn_tui.app.app import CnnTuiApp
from cnn_tui.app.screens.train import TAB_IDS, TrainScreen
from cnn_tui.core.training.train_config import DEFAULT_CPU_THREADS, TrainConfig

SIZE = (120, 40)


class Timed:
    """Wraps the app's display: remembers when an update showing `wanted` tab was drawn."""

    def __init__(self, app: CnnTuiApp) -> None:
        self.app = app
        self.wanted: str | None = None
        self.done = asyncio.Event()
        self.drawn_at = 0.0
        original = app._display

        def display(screen, renderable) -> None:
            original(screen, renderable)
            if renderable is None or self.wanted is None:
                return
            if isinstance(screen, TrainScreen) and screen.tabs.active == self.wanted:
                render = getattr(renderable, "render_segments", None)
                if render is not None:
                    render(app.console)  # what a terminal would be sent
                self.drawn_at = time.perf_counter()
                self.wanted = None
                self.done.set()

        app._display = display  # type: ignore[method-assign]

    async def press(self, screen: TrainScreen) -> float:
        """Seconds from posting `]` to the first update showing the next tab."""
        current = TAB_IDS.index(screen.tabs.active)
        self.wanted = TAB_IDS[(current + 1) % len(TAB_IDS)]
        self.done.clear()
        start = time.perf_counter()
        self.app.post_message(events.Key("right_square_bracket", "]"))
        await asyncio.wait_for(self.done.wait(), 10)
        return self.drawn_at - start


async def measure(timed: Timed, screen: TrainScreen, presses: int) -> list[float]:
    figures = []
    for _ in range(presses):
        figures.append(await timed.press(screen))
        await asyncio.sleep(random.uniform(0.15, 0.35))  # presses land at any phase of the run
    return figures


def summary(figures: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(figures) * 1000, 1),
        "max_ms": round(max(figures) * 1000, 1),
    }


async def run(threads: int, presses: int) -> dict[str, object]:
    config = TrainConfig(device="cpu", epochs=10_000, cpu_threads=threads)
    app = CnnTuiApp(mode="train", train_config=config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TrainScreen)
        screen.tabs.query_one("Tabs").focus()
        timed = Timed(app)
        await asyncio.sleep(1.0)
        idle = await measure(timed, screen, presses)
        screen.start(config)
        while not screen.metrics.points(kind="train"):  # torch loaded, the run is stepping
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)
        training = await measure(timed, screen, presses)
        trained = screen.metrics.points(kind="train")[-1]
        screen.stop_training()
        while screen.running or screen.keeper.views_busy:
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)
        after = await measure(timed, screen, presses)
    idle_figures, training_figures, after_figures = summary(idle), summary(training), summary(after)
    return {
        "threads": threads,
        "presses": presses,
        "idle": idle_figures,
        "training": training_figures,
        "idle_after": after_figures,
        "median_ratio": round(training_figures["median_ms"] / idle_figures["median_ms"], 2),
        "median_ratio_same_content": round(
            training_figures["median_ms"] / after_figures["median_ms"], 2
        ),
        "images_per_second": round(trained.images_per_second or 0.0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=DEFAULT_CPU_THREADS)
    parser.add_argument("--presses", type=int, default=30)
    args = parser.parse_args()
    result = asyncio.run(run(args.threads, args.presses))
    idle, training, after = result["idle"], result["training"], result["idle_after"]
    threads = f"{args.threads} thread{'s' if args.threads != 1 else ''}"
    print(
        f"Train tabs, key to repaint at 120x40 over {args.presses} presses of ']':\n"
        f"  idle before any run (tabs empty):  median {idle['median_ms']} ms, "  # type: ignore[index]
        f"max {idle['max_ms']} ms\n"  # type: ignore[index]
        f"  while a CPU run trains ({threads}):  "
        f"median {training['median_ms']} ms, max {training['max_ms']} ms "  # type: ignore[index]
        f"(the run at {result['images_per_second']:,} img/s)\n"
        f"  idle after the run (same content): median {after['median_ms']} ms, "  # type: ignore[index]
        f"max {after['max_ms']} ms\n"  # type: ignore[index]
        f"  training median / idle median: {result['median_ratio_same_content']}x with the same "
        f"content (issue 15's figure), {result['median_ratio']}x against the empty tabs"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
