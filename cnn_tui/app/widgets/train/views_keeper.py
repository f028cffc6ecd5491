"""TrainViewsKeeper: keeps the Train screen's picture tabs (predictions, confusion matrix,
filters and feature maps) in step with the network, computing them in a worker off the UI
thread. It draws nothing itself: it reads the run from its host (the screen) and fills the
tabs' widgets."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Protocol

from textual import on, work
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from ....core.views.train_lines import (
    confusion_heading,
    filters_heading,
    maps_heading,
    predictions_heading,
)
from ....core.views.train_status import ending_of
from .board import TrainBoard
from .confusion import TrainConfusion
from .filters import TrainFilters
from .predictions import TrainPredictions

if TYPE_CHECKING:
    from ....core.training.metrics import MetricsLog
    from ....core.training.model_views import ModelViews
    from ....core.training.results import LiveRun, TrainResult

CONFUSION_FIRST = "The confusion matrix on the test set appears here once a run has started."

VIEWS_EVERY_SECONDS = 5.0
"""While a run trains, the picture tabs follow it at most this often: each redraw copies the
network and runs the test set, which takes the trainer's time (short epochs end many times a
second)."""


class ViewsHost(Protocol):
    """What the keeper reads from the screen it serves."""

    metrics: MetricsLog
    result: TrainResult | None
    live: LiveRun | None

    @property
    def running(self) -> bool: ...

    @property
    def views_showing(self) -> bool: ...

    def say(self, text: str, tone: str = "info") -> None: ...


class TrainViewsKeeper(Widget):
    """Not drawn (display: none): the views' state and their worker."""

    DEFAULT_CSS = "TrainViewsKeeper { display: none; }"

    def __init__(self, host: ViewsHost, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.host = host
        self.views_key: tuple[str, int, int, int] | None = None
        """(run, epochs finished, runs ended, test image) when the views were last asked for:
        they are computed again when this changes and a views tab is showing."""
        self.views_pending = False
        """The views were asked for while a computation ran: ask again when it ends."""
        self.views_at = 0.0
        """When the views were last asked for (time.monotonic())."""
        self.views: ModelViews | None = None
        """What the views tabs show now."""
        self.tabs_built = False
        """Whether the picture tabs have their widgets yet (they get them when first shown)."""
        self.tabs_building = False

    def build_tabs(self) -> None:
        """Give the picture tabs their widgets, once (the first paint leaves them empty); views
        that arrived before are drawn then."""
        if not self.tabs_built and not self.tabs_building:
            self.tabs_building = True
            self.call_later(self._build_tabs)

    async def _build_tabs(self) -> None:
        screen = self.screen
        await screen.query_one("#train-tab-predictions").mount(
            TrainPredictions(id="train-predictions")
        )
        await screen.query_one("#train-tab-confusion").mount_all(
            [Static(CONFUSION_FIRST, id="confusion-heading"), TrainConfusion(id="train-confusion")]
        )
        await screen.query_one("#train-tab-filters").mount(TrainFilters(id="train-filters"))
        self.tabs_built, self.tabs_building = True, False
        if self.views is not None:
            self.show_views(self.views)

    def forget(self) -> None:
        """A new run: whatever the tabs show is stale."""
        self.views_key = None

    def view_run(self) -> str | None:
        """The run whose network the views show: the board's cursor row, else the first."""
        chosen = self.screen.query_one("#train-board", TrainBoard).chosen_run
        runs = self.host.metrics.runs()
        return chosen if chosen in runs else (runs[0] if runs else None)

    def _model_and_data(self, run: str) -> tuple[Any, Any]:
        result = self.host.result
        if result is not None:
            for outcome in result.runs:
                if outcome.run == run and outcome.model is not None:
                    return outcome.model, result.data
        live = self.host.live
        if live is not None and live.data is not None:
            return live.models.get(run), live.data
        return None, None

    def _views_now(self) -> tuple[str, int, int, int] | None:
        run = self.view_run()
        if run is None:
            return None
        metrics = self.host.metrics
        epochs = len(metrics.points(kind="epoch"))
        ended = sum(ending_of(metrics, name) is not None for name in metrics.runs())
        filters = (
            self.screen.query("#train-filters").only_one(TrainFilters) if self.tabs_built else None
        )
        image = filters.image_index if filters is not None else 0
        return run, epochs, ended, image

    def views_stale(self) -> bool:
        """Whether the network changed (an epoch or a run ended, another run was picked) or
        another test image was chosen since the views were asked for."""
        return self._views_now() != self.views_key

    def follow(self) -> None:
        """Called at each redraw: a new epoch ended while the student watches the views."""
        recent = time.monotonic() - self.views_at < VIEWS_EVERY_SECONDS and self.host.running
        if self.host.views_showing and self.views_stale() and not recent:
            self.refresh_views()

    @property
    def views_busy(self) -> bool:
        return any(
            worker.group == "views" and worker.state in (WorkerState.PENDING, WorkerState.RUNNING)
            for worker in self.workers
        )

    def refresh_views(self, announce: bool = False) -> None:
        """Compute the views again in a worker: only the feature maps when only the image
        changed; after the running computation when one runs (they never pile up). announce:
        say so when there is no network yet, even while a run is starting."""
        run = self.view_run()
        model, data = self._model_and_data(run) if run else (None, None)
        if model is None or data is None:
            if announce or not self.host.running:
                self.host.say("no network to look at yet: ctrl+r starts a run")
            return
        if self.views_busy:
            self.views_pending = True
            return
        now = self._views_now()
        assert now is not None
        maps_only = self.views_key is not None and self.views_key[:3] == now[:3]
        self.views_key, self.views_pending = now, False
        self.views_at = time.monotonic()
        self.views_in_background(model, data, run, now[3], maps_only)

    @work(thread=True, exclusive=True, exit_on_error=False, group="views")
    def views_in_background(
        self, model: Any, data: Any, run: str, index: int, maps_only: bool
    ) -> ModelViews:
        # imported here: NumPy (and torch) are not needed before a network is looked at
        from ....core.training.model_views import compute_views

        return compute_views(model, data, run, index, maps_only=maps_only)

    @on(Worker.StateChanged)
    def _views_worker_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != "views":
            return
        event.stop()
        if worker.state == WorkerState.SUCCESS and worker.result is not None:
            self.show_views(worker.result)
        elif worker.state == WorkerState.ERROR:
            self.host.say(f"views: {worker.error}", "error")
        if worker.is_finished and (
            self.views_pending or (self.host.views_showing and self.views_stale())
        ):
            self.refresh_views()

    def show_views(self, views: ModelViews) -> None:
        """Draw views computed by compute_views (or made up by a test)."""
        self.views = views
        if not self.tabs_built:
            self.build_tabs()  # drawn once they are there
            return
        screen = self.screen
        filters = screen.query_one("#train-filters", TrainFilters)
        if not views.maps_only:
            predictions = screen.query_one("#train-predictions", TrainPredictions)
            predictions.show(predictions_heading(views), views.tiles)
            heading = confusion_heading(views)
            if heading is not None and views.matrix is not None:
                screen.query_one("#confusion-heading", Static).update(heading)
                screen.query_one("#train-confusion", TrainConfusion).show(
                    views.matrix, views.labels
                )
            filters.show_filters(
                filters_heading(views), views.filters if views.filter_shape else []
            )
        if views.map_shape:
            filters.show_maps(maps_heading(views), views.image, views.maps)
        else:
            filters.show_maps(maps_heading(views), None, [])
