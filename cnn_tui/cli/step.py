"""The `step` subcommand: a convolution or pooling traced cell by cell."""

from __future__ import annotations

import argparse
from typing import Any

from .common import UsageError, _console, _print_json
from .render import _print_formula


def cmd_step(args: argparse.Namespace) -> int:
    from ..core.convolution import stepper
    from .step_backward import check_backward_options, print_backward, wants_backward

    trace = _build_trace(args)
    check_backward_options(args)
    if wants_backward(args):
        return print_backward(args, trace)
    if args.json:
        _print_json(trace.to_dict())
        return 0
    console = _console()
    _print_grids(console, trace, stepper)
    axes = ("length",) if len(trace.size_reports) == 1 else ("rows", "columns")
    for sizes, axis in zip(trace.size_reports, axes, strict=True):
        _print_formula(console, f"output {axis}", sizes)
        if sizes.explanation:
            console.print(f"  [yellow]{sizes.explanation}[/]")
    if trace.flipped:
        console.print("[dim]true convolution: the kernel is flipped on both axes first[/]")
    if args.trace:
        for step in trace:
            where = ",".join(str(p) for p in step.output_position)
            head = f"step {step.index + 1:>3}  out[{where}]  "
            for number, line in enumerate(step.explain()):
                console.print(f"{head if number == 0 else ' ' * len(head)}{line}", markup=False)
    return 0


_CONV_OPTIONS = ("kernel", "bias", "dilation", "mode", "output")
_POOL_OPTIONS = ("kind", "size", "ceil")


def _build_trace(args: argparse.Namespace) -> Any:
    """The trace the options describe: a preset's settings with every option given on top."""
    from ..core.convolution.presets import PRESETS, trace_for
    from ..core.convolution.trace_inputs import parse_grid
    from ..core.views.stepper_trace import STEP_COMMANDS, step_command

    operation = STEP_COMMANDS[args.operation]
    pool = operation == "pool2d"
    if pool and args.output is not None:
        raise UsageError(
            f"pooling has no {args.output!r} output: pad with --padding N, "
            "at most half the window size"
        )
    foreign = _CONV_OPTIONS if pool else _POOL_OPTIONS
    for name in foreign:
        if getattr(args, name) not in (None, False):
            users = "step conv and step conv1d" if pool else "step pool"
            raise UsageError(f"--{name} is for {users}, not step {args.operation}")
    settings: dict[str, Any] = {}
    grid = kernel = None
    if args.preset:
        preset = PRESETS.get(args.preset) or _backward_forward(args.preset)
        if preset is None:
            known = ", ".join([*PRESETS, *_backward_names()])
            raise UsageError(f"unknown stepper preset {args.preset!r} (known: {known})")
        if preset.operation != operation:
            raise UsageError(
                f"preset {args.preset!r} is a {preset.operation} example: "
                f"run it with 'step {step_command(preset.operation)}', "
                f"not 'step {args.operation}'"
            )
        settings = dict(preset.settings)
        grid, kernel = preset.input, preset.kernel
    if args.input:
        grid = parse_grid(args.input, "input")
    elif grid is None:
        raise UsageError('give --input "1 1 1; 0 1 0; ..." or --preset NAME')
    if args.stride is not None:
        settings["stride"] = args.stride
    if args.padding is not None:
        settings["padding"] = args.padding
    if pool:
        for name, key in (("kind", "kind"), ("size", "size"), ("ceil", "ceil_mode")):
            if getattr(args, name):
                settings[key] = getattr(args, name)
        return trace_for(operation, grid, None, settings)
    if args.kernel:
        kernel = parse_grid(args.kernel, "kernel")
    elif kernel is None:
        raise UsageError('give --kernel "1 0 1; 0 1 0; 1 0 1" for a convolution')
    if args.output is not None:
        if args.padding is not None:
            raise UsageError("give --padding or --output, not both")
        settings["padding"] = args.output
    for name in ("bias", "dilation", "mode"):
        if getattr(args, name) is not None:
            settings[name] = getattr(args, name)
    if operation == "conv1d":
        if grid.ndim == 3:
            raise UsageError(
                "input: conv1d takes channels as rows separated by ';' "
                "(e.g. '1 2 3; 4 5 6'), not '|'"
            )
        one_row = grid.ndim == 2 and grid.shape[0] == 1
        return trace_for(
            operation,
            grid.reshape(-1) if one_row else grid,
            kernel.reshape(-1) if kernel.ndim == 2 and kernel.shape[0] == 1 else kernel,
            settings,
        )
    return trace_for(operation, grid, kernel, settings)


def _backward_forward(name: str) -> Any:
    """The forward preset under a backward preset's name, or None."""
    from ..core.convolution.backward_presets import BACKWARD_PRESETS

    found = BACKWARD_PRESETS.get(name)
    return None if found is None else found.forward


def _backward_names() -> list[str]:
    from ..core.convolution.backward_presets import BACKWARD_PRESETS

    return list(BACKWARD_PRESETS)


def grid_table(title: str, array) -> Any:
    """A grid of numbers under a title, as the stepper writes them (1-D: down the screen)."""
    from rich.table import Table

    from ..core.convolution.stepper import format_number

    table = Table(title=title, show_header=False, box=None, pad_edge=False, min_width=len(title))
    # a 1-D signal reads better down the screen than across it
    array = array if array.ndim >= 2 else array.reshape(-1, 1)
    for _ in range(array.shape[-1]):
        table.add_column(justify="right")
    for row in array.reshape(-1, array.shape[-1]):
        table.add_row(*(format_number(float(v)) for v in row))
    return table


def _print_grids(console, trace, stepper) -> None:
    from rich.columns import Columns

    panels = []
    for c, channel in enumerate(trace.input):
        panels.append(grid_table(f"input c{c}" if len(trace.input) > 1 else "input", channel))
    if trace.kernel is not None:
        used = trace.used_kernel
        for k, filt in enumerate(used):
            for c, channel in enumerate(filt):
                name = "kernel (flipped)" if trace.flipped else "kernel"
                if used.shape[0] > 1 or used.shape[1] > 1:
                    name += f" f{k} c{c}"
                panels.append(grid_table(name, channel))
    for k, out in enumerate(trace.output):
        panels.append(grid_table(f"output f{k}" if len(trace.output) > 1 else "output", out))
    console.print(Columns(panels, padding=(0, 4)))
