"""UI-thread CPU to draw Train pictures (issue 15, item 15): a 28x28 test digit as drawn in a
Predictions tile (16 columns) and a grid of sixteen 5x5 filters (10x5 cells each).

Grey pictures, as the app's are: a ring on black for the digit, random weights for the
filters. Each picture is made the way the Filters and Predictions tabs make it after an epoch
(a new TrainPicture) and drawn to strips as a mounted widget is; `time.process_time` over N
rounds, so the figure does not depend on the machine's load. "new" pictures differ every round
(filters after an epoch), "same" pictures repeat (the test images of the Predictions tab).

    PYTHONPATH=. python benchmarks/picture_render.py [ROUNDS]
"""

from __future__ import annotations

import asyncio
import sys
import time

import numpy as np
from textual.app import App, ComposeResult
from textual.visual import Visual, visualize

from cnn_tui.app.widgets.train.picture import TrainPicture


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield TrainPicture(np.zeros((28, 28), dtype=np.uint8), widest=16, id="host")


def draw(host: TrainPicture, picture: np.ndarray, widest: int) -> int:
    """Make a TrainPicture of `picture` and draw it as `host` would be drawn; its line count."""
    made = TrainPicture(picture, widest=widest)
    width, height = made.cells
    visual = visualize(host, made.render())
    return len(Visual.to_strips(host, visual, width, height, host.visual_style))


def seconds_per_round(host: TrainPicture, rounds: int, pictures, widest: int) -> float:
    start = time.process_time()
    for index in range(rounds):
        for picture in pictures(index):
            draw(host, picture, widest)
    return (time.process_time() - start) / rounds


async def measure(rounds: int) -> dict[str, float]:
    generator = np.random.default_rng(0)

    def grey(*shape: int) -> np.ndarray:  # as model_views.to_picture makes them
        return np.repeat(generator.integers(0, 256, (*shape, 1), dtype=np.uint8), 3, axis=-1)

    def digit() -> np.ndarray:  # a '0' of random size and place: a ring on black, soft edges
        y, x = np.mgrid[:28, :28]
        cy, cx, r = generator.uniform(11, 17), generator.uniform(11, 17), generator.uniform(6, 9)
        ink = np.clip(1.5 - np.abs(np.hypot((y - cy) / 1.3, x - cx) - r), 0, 1)
        return np.repeat((ink * 255).astype(np.uint8)[:, :, None], 3, axis=2)

    digits = [digit() for _ in range(rounds)]
    filters = [grey(16, 5, 5) for _ in range(rounds)]
    app = Host()
    async with app.run_test(size=(120, 40)):
        host = app.query_one("#host", TrainPicture)
        figures = {
            "digit 28x28, new each round": seconds_per_round(
                host, rounds, lambda i: [digits[i]], 16
            ),
            "digit 28x28, same each round": seconds_per_round(
                host, rounds, lambda i: [digits[0]], 16
            ),
            "16 filters 5x5, new each round": seconds_per_round(
                host, rounds, lambda i: list(filters[i]), 14
            ),
            "16 filters 5x5, same each round": seconds_per_round(
                host, rounds, lambda i: list(filters[0]), 14
            ),
        }
    return figures


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    for name, seconds in asyncio.run(measure(rounds)).items():
        print(f"{name:34} {seconds * 1000:7.2f} ms CPU per round ({rounds} rounds)")


if __name__ == "__main__":
    main()
