"""Opening the Textual app, and the subcommands that only open it."""

from __future__ import annotations

import argparse
import contextlib
from typing import Any

from .common import UsageError, _console, _load_stack


def open_app(
    mode: str = "stepper",
    stepper_preset: str | None = None,
    builder_stack: str | None = None,
    train_config: Any = None,
    lessons_dir: str | None = None,
    lesson: str | None = None,
    playground: str | None = None,
    inside: Any = None,
) -> int:
    """Run the Textual app on one screen; textual is imported only here, to keep the CLI quick."""
    if stepper_preset is not None:
        from ..core.convolution.backward_presets import BACKWARD_PRESETS
        from ..core.convolution.presets import PRESETS

        if stepper_preset not in PRESETS and stepper_preset not in BACKWARD_PRESETS:
            known = ", ".join([*PRESETS, *BACKWARD_PRESETS])
            raise UsageError(f"unknown stepper preset {stepper_preset!r} (known: {known})")
    if builder_stack is not None:
        _load_stack(
            builder_stack, None
        )  # a bad name, spec or file is reported before the app opens
    from ..app.app import CnnTuiApp

    options: dict[str, Any] = {}
    if builder_stack is not None:
        options["builder_stack"] = builder_stack
    if train_config is not None:
        options["train_config"] = train_config
    if lessons_dir is not None:
        options["lessons_dir"] = lessons_dir
    if lesson is not None:
        options["lesson"] = lesson
    if playground is not None:
        options["playground"] = playground
    if inside is not None:
        options["inside"] = inside
    app = CnnTuiApp(mode=mode, stepper_preset=stepper_preset, **options)
    app.run()
    if app.exit_note:
        # SIGHUP: the terminal may be gone; the recovery file holds what matters
        with contextlib.suppress(OSError):
            _console(stderr=True).print(app.exit_note, markup=False, soft_wrap=True)
    return app.return_code or 0  # 143 / 129 when SIGTERM / SIGHUP ended it


def cmd_builder(args: argparse.Namespace) -> int:
    return open_app("builder", builder_stack=args.preset or args.stack)


def cmd_stepper(args: argparse.Namespace) -> int:
    return open_app("stepper", args.preset)


def cmd_calc_app(args: argparse.Namespace) -> int:
    return open_app("calculators")


def cmd_playground(args: argparse.Namespace) -> int:
    """The app on the playground; a bad surface, start or race is reported before it opens."""
    from ..core.optim.scene import DEFAULT_RACE, DEFAULT_SURFACE, read_scene

    target = f"{args.surface or DEFAULT_SURFACE} {args.race or DEFAULT_RACE}"
    if args.start is not None:
        target += f" start={args.start[0]!r},{args.start[1]!r}"
    try:
        read_scene(target)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return open_app("playground", playground=target)


def cmd_inside(args: argparse.Namespace) -> int:
    """The app on the inside view; a checkpoint that cannot be read is reported before it
    opens (the app loads it again, in a worker)."""
    if args.checkpoint is None:
        return open_app("inside")
    from ..core.inspect.network import InspectError, load_network

    path, run, ema = args.checkpoint, args.run, args.ema
    try:
        network = load_network(path, run=run, ema=ema)
    except InspectError as exc:
        raise UsageError(str(exc)) from None
    title = f"{path} run {network.run}" + (" (EMA)" if ema else "")
    return open_app("inside", inside=(title, lambda: load_network(path, run=run, ema=ema)))
