"""`step ... --backward`: the backward pass of a convolution or pooling, printed or as JSON."""

from __future__ import annotations

import argparse
from typing import Any

from .common import UsageError, _console, _print_json
from .step import grid_table

_BACKWARD_OPTIONS = (("grad", "--grad"), ("from_loss", "--from-loss"), ("lr", "--lr"))


def _backward_preset(args: argparse.Namespace) -> Any:
    from ..core.convolution.backward_presets import BACKWARD_PRESETS

    return BACKWARD_PRESETS.get(args.preset) if args.preset else None


def wants_backward(args: argparse.Namespace) -> bool:
    """--backward, or a backward preset (which implies it)."""
    return bool(args.backward or _backward_preset(args))


def check_backward_options(args: argparse.Namespace) -> None:
    """The backward options belong to --backward; --grad and --from-loss exclude each other."""
    given = [flag for name, flag in _BACKWARD_OPTIONS if getattr(args, name) not in (None, False)]
    if given and not wants_backward(args):
        raise UsageError(f"{given[0]} is for the backward pass: add --backward")
    if args.grad is not None and args.from_loss:
        raise UsageError("give --grad or --from-loss, not both")
    if args.lr is not None:
        if args.operation == "pool":
            raise UsageError("--lr is for step conv and step conv1d: pooling has no weights")
        if not args.lr > 0:
            raise UsageError(f"--lr must be a positive number, got {args.lr:g}")


def print_backward(args: argparse.Namespace, trace: Any) -> int:
    """Build the backward pass (and the SGD step with --lr) and print it, or its JSON."""
    from ..core.convolution.backward_presets import backward_for
    from ..core.convolution.backward_sgd import sgd_step
    from ..core.convolution.trace_inputs import parse_grid

    preset = _backward_preset(args)
    grad = parse_grid(args.grad, "grad") if args.grad is not None else None
    from_loss = args.from_loss
    lr = args.lr
    if preset is not None:
        if grad is None and not from_loss:
            grad, from_loss = preset.grad, preset.from_loss
        lr = preset.lr if lr is None else lr
    backward = backward_for(trace, grad, from_loss=from_loss)
    sgd = sgd_step(backward, lr) if lr is not None and trace.kernel is not None else None
    if args.json:
        data = backward.to_dict()
        if sgd is not None:
            data["sgd"] = sgd.to_dict()
        _print_json(data)
        return 0
    console = _console()
    _print_backward_grids(console, backward)
    if args.trace:
        _print_backward_steps(console, backward)
    if sgd is not None:
        _print_sgd(console, sgd)
    return 0


def _named(base: str, index: int, count: int, letter: str) -> str:
    return f"{base} {letter}{index}" if count > 1 else base


def _print_backward_grids(console, backward) -> None:
    from rich.columns import Columns

    trace = backward.forward
    conv = trace.kernel is not None
    outer = "f" if conv else "c"
    panels = [
        grid_table(_named("input", c, len(trace.input), "c"), channel)
        for c, channel in enumerate(trace.input)
    ]
    if conv:
        kernel = trace.kernel
        for k, c in ((k, c) for k in range(kernel.shape[0]) for c in range(kernel.shape[1])):
            many = f" f{k} c{c}" if kernel.shape[0] * kernel.shape[1] > 1 else ""
            panels.append(grid_table(f"kernel{many}", kernel[k, c]))
    up = backward.upstream.values
    for k, values in enumerate(up):
        panels.append(grid_table(_named("dL/dY", k, len(up), outer), values))
    console.print(Columns(panels, padding=(0, 4)))
    console.print(f"dL/dY: {backward.upstream.note}", markup=False, style="dim")
    panels = []
    if conv:
        grad = backward.grad_weight
        for k, c in ((k, c) for k in range(grad.shape[0]) for c in range(grad.shape[1])):
            many = f" f{k} c{c}" if grad.shape[0] * grad.shape[1] > 1 else ""
            panels.append(grid_table(f"dL/dW{many}", grad[k, c]))
        panels.append(grid_table("dL/db", backward.grad_bias.reshape(-1, 1)))
    for c, channel in enumerate(backward.grad_input):
        panels.append(grid_table(_named("dL/dX", c, len(backward.grad_input), "c"), channel))
    console.print(Columns(panels, padding=(0, 4)))
    if conv and backward.weight_note:
        console.print(f"dL/dW: {backward.weight_note}", markup=False, style="dim")
    if not conv:
        console.print(backward.routing, markup=False, style="dim")
    axes = ("length",) if len(trace.size_reports) == 1 else ("rows", "columns")
    for report, axis in zip(trace.size_reports, axes, strict=True):
        if report.explanation:
            its = "its" if len(report.uncovered) == 1 else "their"
            console.print(
                f"{axis}: {report.explanation}, so {its} gradient is 0",
                markup=False,
                style="yellow",
            )


def _where(position) -> str:
    return ",".join(str(p) for p in position)


def _print_lines(console, head: str, lines: list[str]) -> None:
    for number, line in enumerate(lines):
        console.print(f"{head if number == 0 else ' ' * len(head)}{line}", markup=False)


def _print_backward_steps(console, backward) -> None:
    conv = backward.forward.kernel is not None
    if conv:
        for step in backward.weight_steps:
            _print_lines(console, f"dW[{_where(step.position)}]  ", step.explain())
        for step in backward.bias_steps:
            _print_lines(console, f"db[{_where(step.position)}]  ", step.explain())
    else:
        for step in backward.scatter_steps:
            sent = [
                f"{_where(c.input_position)} gets {c.factor:.4g} x {c.upstream:g}"
                for c in step.contributions
                if c.amount != 0
            ]
            lines = ["; ".join(sent) or "nothing"] + ([step.note] if step.note else [])
            _print_lines(console, f"window[{_where(step.output_position)}]  ", lines)
    for step in backward.input_steps:
        _print_lines(console, f"dX[{_where(step.position)}]  ", step.explain())
    if conv:
        _print_full_convolution(console, backward.full_convolution)


def _print_full_convolution(console, full) -> None:
    from rich.columns import Columns

    axes = ("",) if len(full.padding) == 1 else ("rows ", "columns ")
    pads = "; ".join(
        f"{n}{b} before, {a} after" for n, (b, a) in zip(axes, full.padding, strict=True)
    )
    crop = "; ".join(f"{n}{b} before, {a} after" for n, (b, a) in zip(axes, full.crop, strict=True))
    console.print(
        "dL/dX as a full convolution: dL/dY spread by the stride, padded "
        f"({pads}), slid over by the flipped kernel (dilated as forward), then cropped by "
        f"the forward padding ({crop})",
        markup=False,
        style="dim",
    )
    panels = [
        grid_table(_named("padded dL/dY", k, len(full.padded), "f"), grid)
        for k, grid in enumerate(full.padded)
    ]
    kernel = full.kernel
    for c, k in ((c, k) for c in range(kernel.shape[0]) for k in range(kernel.shape[1])):
        many = f" c{c} f{k}" if kernel.shape[0] * kernel.shape[1] > 1 else ""
        panels.append(grid_table(f"flipped kernel{many}", kernel[c, k]))
    console.print(Columns(panels, padding=(0, 4)))


def _print_sgd(console, sgd) -> None:
    from rich.columns import Columns

    console.print(f"one SGD step, lr {sgd.lr:g}:", markup=False, style="bold")
    for line in sgd.weight_lines():
        console.print(f"  {line}", markup=False)
    new = sgd.new_trace.output
    console.print(
        Columns(
            [
                grid_table(_named("new output", k, len(new), "f"), grid)
                for k, grid in enumerate(new)
            ],
            padding=(0, 4),
        )
    )
    console.print(sgd.loss_name, markup=False)
    console.print(sgd.verdict, markup=False, style="green" if sgd.went_down else "yellow")
