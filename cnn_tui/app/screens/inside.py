"""InsideScreen: one image through a trained network. Pick a network (a run of this session's
Train screen, the course network, a checkpoint file, or a small one trained on the spot) and
an image (a test image, a drawing, a picture file); see every layer's maps, open any cell's
computation with its real numbers, see where it looks, and fool it with FGSM. The core
(cnn_tui.core.inspect) computes, in a worker; this screen draws."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import (
    Button,
    Footer,
    Header,
    Input,
    Select,
    Static,
    TabbedContent,
    TabPane,
    Tabs,
)

from ...core.plain_text import visible
from ..widgets.inside.canvas import DrawingCanvas

if TYPE_CHECKING:
    from ...core.inspect.network import Network

NetworkSource = tuple[str, Callable[[], "Network"]]
"""A network the student can pick: its title, and how to make it (a CPU copy, in a worker)."""

COURSE = "course network (shipped with the course, digits 8x8)"
TABS = ("in-tab-network", "in-tab-input", "in-tab-layers", "in-tab-cell", "in-tab-looks")
TABS += ("in-tab-fool",)
FIELDS = {"in-path", "in-run", "in-index", "in-class", "in-file", "in-cell", "in-eps"}


@dataclass
class Computed:
    """What one image shows: filled in a worker."""

    image: Any
    forward: Any
    saliency: Any
    fgsm: Any


class InsideScreen(Screen):
    """Inside a trained network: layers, cells, where it looks, and how to fool it."""

    TITLE = "Inside"
    AUTO_FOCUS = "#in-source"
    BINDINGS: ClassVar[list[Binding]] = [
        Binding("enter", "apply_field", "Apply", priority=True, id="inside-apply"),
        Binding("left_square_bracket", "tab(-1)", "Tab", key_display="[ ]", id="inside-tab"),
        Binding("right_square_bracket", "tab(1)", "Next tab", show=False),
        Binding("less_than_sign,comma", "cell_page(-1)", "Channels", key_display="< >"),
        Binding("greater_than_sign,full_stop", "cell_page(1)", "Channels", show=False),
        Binding("f", "search", "Find ε", tooltip="The smallest ε (0.001 grid) that flips it"),
        Binding("t", "train_small", "Train small", tooltip="Train a small network now", show=False),
        Binding("d", "draw", "Draw", tooltip="Draw on the canvas (Input tab)"),
        Binding("escape", "leave_field", "Leave field", show=False),
    ]

    class Loaded(Message):
        def __init__(self, generation: int, network: Any, error: str = "") -> None:
            super().__init__()
            self.generation, self.network, self.error = generation, network, error

    class Done(Message):
        def __init__(self, generation: int, computed: Computed | None, error: str = "") -> None:
            super().__init__()
            self.generation, self.computed, self.error = generation, computed, error

    class Searched(Message):
        def __init__(self, generation: int, search: Any, error: str = "") -> None:
            super().__init__()
            self.generation, self.search, self.error = generation, search, error

    def __init__(
        self,
        sources: Callable[[], list[NetworkSource]] | None = None,
        start: NetworkSource | None = None,
    ) -> None:
        super().__init__()
        self.sources_of = sources or (lambda: [])
        """The runs of this session's Train screen, asked for each time the screen shows."""
        self.sources: list[NetworkSource] = []
        self.start = start
        """A network to open at once (Train's 'inspect this run', `cnn-tui inside FILE`)."""
        self.network: Network | None = None
        self.network_title = ""
        self.image_maker: Callable[[Network], Any] | None = None
        """Makes the input for the current network (kept when the network changes)."""
        self.computed: Computed | None = None
        self.search: Any = None
        self.epsilon = 0.05
        self.cell: tuple[str, int, int, int] | None = None
        self.cell_page = 0
        self.note = ""
        self.generation = 0
        """Counts network loads and image changes: an older worker's answer is dropped."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="in-status")
        with TabbedContent(id="in-tabs"):
            with TabPane("Network", id="in-tab-network"), VerticalScroll():
                yield Select([], prompt="pick a network", id="in-source")
                with Horizontal(classes="in-row"):
                    yield Input(placeholder="checkpoint file (.pt)", id="in-path")
                    yield Input(placeholder="run (race)", id="in-run")
                yield Button("Train a small one now (t)", id="in-train-small")
                yield Static(id="in-network-note")
            with TabPane("Input", id="in-tab-input"), Horizontal():
                with Vertical(id="in-canvas-box"):
                    yield DrawingCanvas(id="in-canvas")
                    yield Static(id="in-canvas-note")
                with VerticalScroll(id="in-input-fields"):
                    yield Input(placeholder="test image number", id="in-index")
                    yield Input(placeholder="or a class: 7 (or 7,2 for the third 7)", id="in-class")
                    yield Input(placeholder="or a PNG/JPEG file", id="in-file")
                    yield Static(id="in-probabilities")
            with TabPane("Layers", id="in-tab-layers"), VerticalScroll(id="in-layers-scroll"):
                yield Static(id="in-layers")
            with TabPane("Cell", id="in-tab-cell"), Vertical():
                yield Input(
                    placeholder="LAYER,C,Y,X as summary numbers rows: 1,0,3,4", id="in-cell"
                )
                with VerticalScroll(id="in-cell-scroll"):
                    yield Static(id="in-cell-view")
            with TabPane("Looks", id="in-tab-looks"), VerticalScroll():
                yield Static(id="in-looks")
            with TabPane("Fool", id="in-tab-fool"), Vertical():
                yield Input(placeholder="ε from 0 to 1, e.g. 0.05", id="in-eps")
                with VerticalScroll():
                    yield Static(id="in-fool")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#in-eps", Input).value = f"{self.epsilon:g}"
        self.list_sources()
        if self.start is not None:
            self.open_network(*self.start)
        else:
            self.draw_all()

    def on_screen_resume(self) -> None:
        self.list_sources()

    # -- networks ------------------------------------------------------------------------------

    def list_sources(self) -> None:
        from ...core.course.inside_answers import course_network

        self.sources = [*self.sources_of(), (COURSE, course_network)]
        select = self.query_one("#in-source", Select)
        current = select.value
        with self.prevent(Select.Changed):
            select.set_options((visible(title), i) for i, (title, _) in enumerate(self.sources))
            if isinstance(current, int) and current < len(self.sources):
                select.value = current

    @on(Select.Changed, "#in-source")
    def _source_picked(self, event: Select.Changed) -> None:
        if isinstance(event.value, int) and event.value < len(self.sources):
            self.open_network(*self.sources[event.value])

    def open_network(self, title: str, make: Callable[[], Network]) -> None:
        """Load a network in a worker, then recompute the image through it."""
        self.generation += 1
        self.network_title = title
        self.note = f"loading {title} ..."
        self.draw_status()
        self._load(make, self.generation)

    def open_checkpoint(self, path: str, run: str | None = None) -> None:
        from ...core.inspect.network import load_network

        self.open_network(
            f"{path}" + (f" run {run}" if run else ""), lambda: load_network(path, run)
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="inside-load")
    def _load(self, make: Callable[[], Network], generation: int) -> None:
        from ...core.inspect.network import InspectError

        try:
            network = make()
        except (InspectError, ValueError, OSError, RuntimeError) as exc:
            self.post_message(self.Loaded(generation, None, str(exc)))
            return
        self.post_message(self.Loaded(generation, network))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        event.stop()
        if event.generation != self.generation:
            return
        if event.network is None:
            self.note = event.error
            self.draw_all()
            return
        network = event.network
        changed = self.network is None or network.input_shape != self.network.input_shape
        self.network, self.search, self.cell = network, None, None
        _, height, width = network.input_shape
        canvas = self.query_one(DrawingCanvas)
        if changed:
            canvas.set_pixels([[0.0] * width for _ in range(height)])
        if self.image_maker is None:
            self.image_maker = _test_image(0)
        self.note = ""
        if isinstance(self.focused, Select):  # picked: [ and ] now turn the tabs
            self.action_leave_field()
        self.compute()

    def action_train_small(self) -> None:
        from ...core.inspect.quick import train_small

        self.open_network("a small network trained now (digits 8x8, 4 epochs)", train_small)

    # -- the input -------------------------------------------------------------------------

    def use_image(self, maker: Callable[[Network], Any]) -> None:
        self.image_maker, self.search = maker, None
        self.compute()

    def compute(self) -> None:
        if self.network is None or self.image_maker is None:
            self.draw_all()
            return
        self.generation += 1
        self._compute(self.network, self.image_maker, self.epsilon, self.generation)

    @work(thread=True, exclusive=True, exit_on_error=False, group="inside-compute")
    def _compute(self, network: Network, maker: Callable, epsilon: float, generation: int) -> None:
        from ...core.inspect.activations import forward
        from ...core.inspect.attribution import saliency
        from ...core.inspect.fgsm import fgsm
        from ...core.inspect.network import InspectError

        try:
            image = maker(network)
            computed = Computed(
                image,
                forward(network, image),
                saliency(network, image),
                fgsm(network, image, epsilon),
            )
        except (InspectError, ValueError, OSError, RuntimeError) as exc:
            self.post_message(self.Done(generation, None, str(exc)))
            return
        self.post_message(self.Done(generation, computed))

    @on(Done)
    def _done(self, event: Done) -> None:
        event.stop()
        if event.generation != self.generation:
            return
        if event.computed is None:
            self.note = event.error
        else:
            self.computed, self.note = event.computed, ""
            image = event.computed.image
            if image.source != "drawing":  # the canvas starts from the picture shown
                self.query_one(DrawingCanvas).set_pixels(image.pixels.mean(axis=0).tolist())
            if self.cell is None:
                self.cell = _first_cell(event.computed.forward)
        self.draw_all()

    @on(DrawingCanvas.Changed)
    def _drawn(self, event: DrawingCanvas.Changed) -> None:
        pixels = [row[:] for row in event.canvas.pixels]
        self.use_image(lambda network: _drawing(network, pixels))

    def action_draw(self) -> None:
        self.query_one(TabbedContent).active = "in-tab-input"
        self.query_one(DrawingCanvas).focus()

    # -- fields --------------------------------------------------------------------------------

    def action_apply_field(self) -> None:
        focused = self.focused
        if not isinstance(focused, Input):
            return
        value = focused.value.strip()
        self.note = ""
        try:
            self._apply(focused.id or "", value)
        except ValueError as exc:
            self.note = str(exc)
        self.draw_status()

    def _apply(self, field: str, value: str) -> None:
        if field in ("in-path", "in-run"):
            path = self.query_one("#in-path", Input).value.strip()
            run = self.query_one("#in-run", Input).value.strip() or None
            if not path:
                raise ValueError("type the checkpoint file's path (written by train --save)")
            self.open_checkpoint(path, run)
        elif field == "in-index":
            self.use_image(_test_image(_whole(value, "a test image number")))
        elif field == "in-class":
            label, _, nth = value.partition(",")
            number = _whole(label, "a class number")
            self.use_image(_test_class(number, _whole(nth or "0", "which one")))
        elif field == "in-file":
            if not value:
                raise ValueError("type a PNG or JPEG file's path")
            self.use_image(lambda network: _file(network, value))
        elif field == "in-cell":
            self._open_cell(value)
        elif field == "in-eps":
            self._set_epsilon(value)

    def _open_cell(self, value: str) -> None:
        from ...core.inspect.cell import parse_cell, trace_cell
        from ...core.inspect.network import InspectError

        if self.network is None or self.computed is None:
            raise ValueError("pick a network and an image first")
        try:
            cell = parse_cell(value)
            trace_cell(self.network, self.computed.forward, *cell)
        except InspectError as exc:
            raise ValueError(str(exc).replace("--cell ", "")) from None
        self.cell, self.cell_page = cell, 0
        self.draw_cell()

    def _set_epsilon(self, value: str) -> None:
        try:
            epsilon = float(value)
        except ValueError:
            raise ValueError(f"ε {value!r} is not a number") from None
        if not 0.0 <= epsilon <= 1.0:
            raise ValueError(f"ε {value}: from 0 to 1 (pixels are 0-1)")
        self.epsilon = epsilon
        self.compute()

    def action_leave_field(self) -> None:
        self.query_one("#in-tabs", TabbedContent).query_one(Tabs).focus()

    def action_tab(self, step: int) -> None:
        tabs = self.query_one(TabbedContent)
        tabs.active = TABS[(TABS.index(tabs.active) + step) % len(TABS)]

    def action_cell_page(self, step: int) -> None:
        self.cell_page = max(0, self.cell_page + step)
        self.draw_cell()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        focused = self.focused
        typing = isinstance(focused, (Input, DrawingCanvas, Select))
        if action == "apply_field":
            return isinstance(focused, Input) and focused.id in FIELDS
        if action == "leave_field":
            return typing
        if action in ("search", "train_small", "draw", "tab", "cell_page") and typing:
            return False
        if action == "cell_page":
            return self.active_tab() == "in-tab-cell"
        if action == "search":
            return self.active_tab() == "in-tab-fool" and (self.computed is not None or None)
        return True

    def active_tab(self) -> str:
        """The tab shown; '' before the screen's widgets are there. Another screen's footer
        may ask this screen's check_action (its `screen.copy_text` binding names the app's
        current screen) while this one is still being composed."""
        tabs = self.query(TabbedContent)
        return tabs.first().active if tabs else ""

    @on(TabbedContent.TabActivated)
    def _tab_shown(self) -> None:
        self.refresh_bindings()  # the footer offers the keys of the tab shown

    # -- the ε search --------------------------------------------------------------------------

    def action_search(self) -> None:
        if self.network is None or self.computed is None:
            return
        self.note = "searching ε = 0.001, 0.002, ... 0.5 for the first that flips it ..."
        self.draw_status()
        self._search(self.network, self.computed.image, self.generation)

    @work(thread=True, exclusive=True, exit_on_error=False, group="inside-search")
    def _search(self, network: Network, image: Any, generation: int) -> None:
        from ...core.inspect.fgsm import smallest_flip

        try:
            found = smallest_flip(network, image)
        except (ValueError, RuntimeError) as exc:
            self.post_message(self.Searched(generation, None, str(exc)))
            return
        self.post_message(self.Searched(generation, found))

    @on(Searched)
    def _searched(self, event: Searched) -> None:
        event.stop()
        if event.generation != self.generation:
            return
        self.search, self.note = event.search, event.error
        self.draw_all()

    @on(Button.Pressed, "#in-train-small")
    def _train_pressed(self) -> None:
        self.action_train_small()

    # -- drawing ---------------------------------------------------------------------------------

    def on_resize(self) -> None:
        self.call_after_refresh(self.draw_all)

    def draw_all(self) -> None:
        from ..widgets.inside import drawing

        self.draw_status()
        self.query_one("#in-network-note", Static).update(drawing.network_note(self))
        self.query_one("#in-canvas-note", Static).update(drawing.canvas_note(self))
        self.query_one("#in-probabilities", Static).update(drawing.probabilities_of(self))
        width = max(20, self.size.width - 4)
        self.query_one("#in-layers", Static).update(drawing.layers_of(self, width))
        self.query_one("#in-looks", Static).update(drawing.looks_of(self, width))
        self.query_one("#in-fool", Static).update(drawing.fool_of(self, width))
        self.draw_cell()

    def draw_status(self) -> None:
        from ..widgets.inside import drawing

        self.query_one("#in-status", Static).update(drawing.status_of(self))

    def draw_cell(self) -> None:
        from ..widgets.inside import drawing

        height = max(6, self.size.height - 10)
        self.query_one("#in-cell-view", Static).update(drawing.cell_of(self, height))


def _whole(text: str, what: str) -> int:
    try:
        number = int(text.strip())
    except ValueError:
        raise ValueError(f"{what}: {text.strip()!r} is not a whole number") from None
    if number < 0:
        raise ValueError(f"{what}: {number} is below 0")
    return number


def _test_image(index: int) -> Callable[[Network], Any]:
    def make(network: Network) -> Any:
        from ...core.inspect.inputs import dataset_image

        return dataset_image(network, index)

    return make


def _test_class(label: int, nth: int) -> Callable[[Network], Any]:
    def make(network: Network) -> Any:
        from ...core.inspect.inputs import class_index, dataset_image

        return dataset_image(network, class_index(network, label, nth))

    return make


def _file(network: Network, path: str) -> Any:
    from ...core.inspect.inputs import image_file

    return image_file(network, path)


def _drawing(network: Network, pixels: list[list[float]]) -> Any:
    from ...core.inspect.inputs import drawn_image

    return drawn_image(network, pixels)


def _first_cell(seen: Any) -> tuple[str, int, int, int] | None:
    """The centre of channel 0 of the last conv layer (the cell shown until one is typed)."""
    for activation in reversed(seen.layers):
        if activation.row.kind == "conv" and activation.values.ndim == 3:
            _, height, width = activation.values.shape
            return activation.row.row, 0, height // 2, width // 2
    return None
