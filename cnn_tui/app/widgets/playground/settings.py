"""PlaygroundSettings: the playground's form: surface, start, the race (the Train screen's
syntax), and the settings of the run whose update is written out."""

from __future__ import annotations

from dataclasses import dataclass, replace

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, Select

from ....core.optim.scene import Scene, race_text, read_setups, with_setup
from ....core.optim.setup import SETTING_NAMES, OptimizerSetup, make_setup
from ....core.optim.surfaces import SURFACES, check_start, parse_point

SETTING_LABELS: dict[str, str] = {
    "lr": "learning rate α",
    "momentum": "momentum ρ (μ)",
    "rho": "RMSProp's decay ρ",
    "betas": "betas β1,β2",
    "eps": "ε",
    "weight_decay": "weight decay λ",
}
"""The label over each run setting's field, in the words of lesson 10."""


def setting_text(setup: OptimizerSetup, key: str) -> str:
    value = getattr(setup, key)
    return f"{value[0]:g},{value[1]:g}" if key == "betas" else f"{value:g}"


def read_setting(key: str, text: str) -> float | tuple[float, float]:
    """A field's text as the setting's value; ValueError names the field."""
    try:
        if key == "betas":
            first, second = text.replace(" ", ",").split(",")
            return (float(first), float(second))
        return float(text)
    except ValueError:
        example = "0.9,0.999" if key == "betas" else "0.01"
        raise ValueError(f"{SETTING_LABELS[key]}: {text!r} is not like {example}") from None


class PlaygroundSettings(VerticalScroll):
    """Edits post Edited with the whole scene (and the run written out), or Invalid."""

    WIDTH = 26
    """Columns the form takes: the playground folds it when the map needs the room."""

    DEFAULT_CSS = f"""
    PlaygroundSettings {{
        width: {WIDTH};
        height: 1fr;
        padding: 0 1;
        border-right: vkey $primary 50%;
        & Label {{ color: $text-muted; margin-top: 1; }}
        & Input, & Select {{ width: 100%; }}
        & .-hidden {{ display: none; }}
    }}
    """

    @dataclass
    class Edited(Message):
        """The fields describe a scene that works: here it is."""

        settings: PlaygroundSettings
        scene: Scene
        chosen: int
        """The run whose update is written out."""

        @property
        def control(self) -> PlaygroundSettings:
            return self.settings

    @dataclass
    class Invalid(Message):
        """A field holds something the playground cannot use."""

        settings: PlaygroundSettings
        message: str

        @property
        def control(self) -> PlaygroundSettings:
            return self.settings

    def __init__(self, scene: Scene, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.scene = scene
        """The last scene the fields described."""
        self.chosen = 0
        """The run whose settings the fields show (and whose update is written out)."""
        self._titles: list[tuple[str, int]] = []

    def compose(self) -> ComposeResult:
        yield Label("surface")
        options = [(name, name) for name in SURFACES]
        yield Select(
            options, allow_blank=False, value=self.scene.surface.name, id="surface", compact=True
        )
        yield Label("start x,y")
        yield Input(id="start", compact=True, tooltip="Where every run starts, e.g. -1.5,2")
        yield Label("race (2 to 5)")
        yield Input(
            id="race", compact=True, tooltip="Optimizers and rates: sgd:0.01,momentum:0.01,adam:0.1"
        )
        yield Label("run written out")
        self._titles = [(setup.title, index) for index, setup in enumerate(self.scene.setups)]
        yield Select(self._titles, allow_blank=False, id="run", compact=True)
        for key in SETTING_NAMES:
            yield Label(SETTING_LABELS[key], classes=f"setting {key}")
            yield Input(id=key, compact=True, classes=f"setting {key}", tooltip="This run only")

    def on_mount(self) -> None:
        self.load(self.scene, self.chosen)

    def load(self, scene: Scene, chosen: int) -> None:
        """Show a scene without posting Edited for each field."""
        self.scene, self.chosen = scene, chosen
        with self.prevent(Input.Changed, Select.Changed):
            self.query_one("#surface", Select).value = scene.surface.name
            self.query_one("#start", Input).value = f"{scene.start[0]:g},{scene.start[1]:g}"
            self.query_one("#race", Input).value = race_text(scene.setups)
            self._load_run()

    def _load_run(self) -> None:
        runs = self.query_one("#run", Select)
        titles = [(setup.title, index) for index, setup in enumerate(self.scene.setups)]
        with self.prevent(Input.Changed, Select.Changed):
            if titles != self._titles:
                runs.set_options(titles)
                self._titles = titles
            runs.value = self.chosen
            setup = self.scene.setups[self.chosen]
            for key in SETTING_NAMES:
                taken = key in setup.uses
                for widget in self.query(f".{key}"):
                    widget.set_class(not taken, "-hidden")
                if taken:
                    self.query_one(f"#{key}", Input).value = setting_text(setup, key)

    def _text(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value

    @on(Input.Submitted)
    def _field_submitted(self, event: Input.Submitted) -> None:
        # enter applies the field (as typing already did) and keeps focus in it
        event.stop()
        self._field_edited(event)

    @on(Input.Changed)
    @on(Select.Changed)
    def _field_edited(self, event: Input.Changed | Input.Submitted | Select.Changed) -> None:
        event.stop()
        widget = event.input if isinstance(event, Input.Changed | Input.Submitted) else event.select
        try:
            scene = self._read(widget.id or "")
        except ValueError as exc:
            self.post_message(self.Invalid(self, str(exc)))
            return
        self.scene = scene
        self.post_message(self.Edited(self, scene, self.chosen))

    def _read(self, field: str) -> Scene:
        """The scene after an edit of `field`; ValueError (SurfaceError, SetupError) says why."""
        scene = self.scene
        if field == "surface":
            where = SURFACES[str(self.query_one("#surface", Select).value)]
            scene = replace(scene, surface=where, start=where.start)
            with self.prevent(Input.Changed):
                self.query_one("#start", Input).value = f"{where.start[0]:g},{where.start[1]:g}"
            return scene
        if field == "start":
            start = parse_point(self._text("start"))
            check_start(scene.surface, start)
            return replace(scene, start=start)
        if field == "race":
            setups = read_setups(self._text("race"))
            scene = replace(scene, setups=setups)
            self.scene, self.chosen = scene, min(self.chosen, len(setups) - 1)
            self._load_run()
            return scene
        if field == "run":
            value = self.query_one("#run", Select).value
            self.chosen = value if isinstance(value, int) else 0
            self._load_run()
            return scene
        setup = scene.setups[self.chosen]
        given = {key: read_setting(key, self._text(key)) for key in setup.uses}
        return with_setup(scene, self.chosen, make_setup(setup.name, **given))
