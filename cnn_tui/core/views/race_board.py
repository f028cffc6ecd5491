"""The order of a race's leaderboard: one ranking, drawn by the CLI's table and the app's board."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Protocol, TypeVar


class Ranked(Protocol):
    """What the ranking reads of a run: its name and its last test-set figures."""

    @property
    def run(self) -> str: ...

    @property
    def test_accuracy(self) -> float | None: ...

    @property
    def test_loss(self) -> float | None: ...


R = TypeVar("R", bound=Ranked)


def _loss_key(loss: float | None) -> float:
    """A loss to sort by: a missing or NaN loss is worse than any number."""
    return math.inf if loss is None or math.isnan(loss) else loss


def rank_runs(runs: Iterable[R]) -> list[R]:
    """The runs of a race in leaderboard order, best first.

    The rule:
    1. runs with a test accuracy before runs without one: a run that failed or stopped before its
       first test, or has not reached it yet, goes last, whatever its status;
    2. among the tested, the higher final test accuracy first (the status does not count: a run
       stopped or failed after a test is ranked by its last test);
    3. equal accuracies: the lower final test loss first (a missing or NaN loss last);
    4. still equal, and among the untested: the order given (the race's order), so a race that
       has not tested yet lists its runs as the user named them.
    """
    return sorted(
        runs,
        key=lambda r: (
            r.test_accuracy is None,
            -(r.test_accuracy or 0.0),
            _loss_key(r.test_loss) if r.test_accuracy is not None else 0.0,
        ),
    )
