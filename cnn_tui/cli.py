"""The `cnn-tui` command: calculators, summaries, steppers and exports printed with Rich."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

from . import __version__
from .core.convolution.arithmetic import (
    ArithmeticError_,
    conv_params,
    linear_params,
    size_report,
    transposed_output_size,
)
from .core.plain_text import visible
from .core.stacks.layers import Stack, StackError, format_shape, parse_shape
from .core.stacks.tally import (
    DTYPE_BYTES,
    OPTIMIZER_STATE,
    Tally,
    receptive_fields,
    short_bytes,
    short_count,
    tally,
)
from .core.training.train_config import (
    DEVICES,
    MAX_EPOCHS,
    MAX_SEED,
    OPTIMIZERS,
    SCHEDULES,
    ConfigError,
    parse_augment,
    parse_betas,
)
from .core.views import report

EXIT_BAD_INPUT = 2


class UsageError(ValueError):
    """Bad command-line input: printed as one line, exit status 2."""


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def _console(stderr: bool = False):
    # rich is imported here, not at module top, so `cnn-tui --help` stays quick
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _error(message: str) -> None:
    # messages quote file names and typed text: their control characters are shown, not sent
    shown = visible(message, keep="\n")
    _console(stderr=True).print(f"cnn-tui: {shown}", markup=False, style="red", soft_wrap=True)


def _text(value: str, limit: int = 60):
    """A table cell: plain text (never markup), hidden characters visible, cut to limit."""
    from rich.text import Text

    value = visible(value)
    return Text(value if len(value) <= limit else value[: limit - 3] + "...")


def _print_json(data: Any) -> None:
    from .core.training.metrics import json_safe

    # strict JSON: a diverged run's NaN losses are written as null
    sys.stdout.write(json.dumps(json_safe(data), indent=2, allow_nan=False) + "\n")


def _padding(text: str) -> int | str:
    value = text.strip().lower()
    if value in ("valid", "same", "full"):
        return value
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"padding must be a whole number or valid/same/full, got {text!r}"
        ) from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"padding must be 0 or more, got {number}")
    return number


def _positive(text: str) -> int:
    number = _whole(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def _whole_in(least: int, most: int):
    """An argparse type: a whole number from `least` to `most` (argparse names the flag)."""

    def whole(text: str) -> int:
        number = _positive(text) if least == 1 else _whole(text)
        if not least <= number <= most:
            raise argparse.ArgumentTypeError(f"must be from {least} to {most:,}, got {text}")
        return number

    return whole


def _whole(text: str) -> int:
    if not re.fullmatch(r"-?[0-9]{1,30}", text.strip()):
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
    return int(text)


def _shape(text: str):
    try:
        return parse_shape(text)
    except StackError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# ---------------------------------------------------------------------------------------------
# summary
# ---------------------------------------------------------------------------------------------


def _load_stack(model: str, input_shape) -> Stack:
    from .core.stacks.zoo import resolve_stack

    return resolve_stack(model, input_shape)


def cmd_summary(args: argparse.Namespace) -> int:
    if args.depth < 0:
        raise UsageError(f"--depth must be 0 (top-level layers) or more, got {args.depth}")
    stack = _load_stack(args.model, args.input)
    result = tally(stack, batch=args.batch, dtype=args.dtype, optimizer=args.optimizer)
    if args.json:
        _print_json(result.to_dict())
    else:
        render_summary(result, depth=args.depth)
    if result.error:
        _error(result.error.describe())
        return EXIT_BAD_INPUT
    return 0


def render_summary(result: Tally, depth: int = 0) -> None:
    """The lecture's VGG table for any stack, then the totals (text from core.views.report)."""
    from rich import box
    from rich.table import Table

    console = _console()
    table = Table(
        title=_text(report.summary_title(result), 200),  # the name is the file's: plain text
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    lines = report.summary_lines(result, depth)
    widths = report.column_widths(lines)
    columns = report.fit_columns(lines, console.width)
    room = console.width - sum(widths[c] + 3 for c in columns if c != "layer") - 3
    for name in columns:
        table.add_column(
            name,
            justify="left" if name == "layer" else "right",
            no_wrap=True,
            min_width=widths[name] if name != "layer" else None,
            max_width=max(12, room - 2) if name == "layer" else None,
            overflow="ellipsis",
        )
    styles = {"peak": "bold yellow", "uncounted": "dim"}
    for line in lines:
        table.add_row(
            *(_text(line.cells.get(c, ""), 200) for c in columns),
            style=styles.get(line.emphasis, ""),
        )
    console.print(table)
    for label, text in report.summary_totals(result, label_limit=50):
        console.print(
            f"[bold]{label:<{report.TOTALS_LABEL_WIDTH}}[/bold] {escape(visible(text))}",
            highlight=False,
        )
    console.print(f"[dim]{report.MEMORY_NOTE}[/dim]")


# ---------------------------------------------------------------------------------------------
# step
# ---------------------------------------------------------------------------------------------


def cmd_step(args: argparse.Namespace) -> int:
    from .core.convolution import stepper

    trace = _build_trace(args, stepper)
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


_STEP_OPERATIONS = {"conv": "conv2d", "conv1d": "conv1d", "pool": "pool2d"}
"""`step` subcommand -> the operation a stepper preset names."""
_CONV_OPTIONS = ("kernel", "bias", "dilation", "mode", "output")
_POOL_OPTIONS = ("kind", "size", "ceil")


def _print_formula(console, label: str, sizes) -> None:
    """The output-size formula; a ceil-mode drop goes on a line of its own, indented."""
    first, *rest = sizes.formula_lines
    console.print(f"[bold]{label}[/]  {first}")
    for line in rest:
        console.print(f"  {line}", markup=False)


def _build_trace(args: argparse.Namespace, stepper) -> Any:
    """The trace the options describe: a preset's settings with every option given on top."""
    operation = _STEP_OPERATIONS[args.operation]
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
        preset = stepper.PRESETS.get(args.preset)
        if preset is None:
            raise UsageError(
                f"unknown stepper preset {args.preset!r} (known: {', '.join(stepper.PRESETS)})"
            )
        if preset.operation != operation:
            command = next(k for k, v in _STEP_OPERATIONS.items() if v == preset.operation)
            raise UsageError(
                f"preset {args.preset!r} is a {preset.operation} example: "
                f"run it with 'step {command}', not 'step {args.operation}'"
            )
        settings = dict(preset.settings)
        grid, kernel = preset.input, preset.kernel
    if args.input:
        grid = stepper.parse_grid(args.input, "input")
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
        return stepper.pool2d_trace(grid, **settings)
    if args.kernel:
        kernel = stepper.parse_grid(args.kernel, "kernel")
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
        return stepper.conv1d_trace(
            grid.reshape(-1) if one_row else grid,
            kernel.reshape(-1) if kernel.ndim == 2 and kernel.shape[0] == 1 else kernel,
            **settings,
        )
    return stepper.conv2d_trace(grid, kernel, **settings)


def _print_grids(console, trace, stepper) -> None:
    from rich.columns import Columns
    from rich.table import Table

    def grid_table(title: str, array) -> Table:
        table = Table(
            title=title, show_header=False, box=None, pad_edge=False, min_width=len(title)
        )
        # a 1-D signal reads better down the screen than across it
        array = array if array.ndim >= 2 else array.reshape(-1, 1)
        for _ in range(array.shape[-1]):
            table.add_column(justify="right")
        for row in array.reshape(-1, array.shape[-1]):
            table.add_row(*(stepper.format_number(float(v)) for v in row))
        return table

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


# ---------------------------------------------------------------------------------------------
# calc
# ---------------------------------------------------------------------------------------------


def _report_dict(sizes) -> dict[str, Any]:
    return {
        "output": sizes.output,
        "formula": sizes.formula,
        "exact": sizes.exact,
        "uncovered": list(sizes.uncovered),
        "uncovered_causes": list(sizes.causes),
        "padding": list(sizes.padding),
        "dropped": sizes.dropped,
    }


def cmd_calc_conv(args: argparse.Namespace) -> int:
    sizes = size_report(args.size, args.kernel, args.stride, args.padding, args.dilation)
    data: dict[str, Any] = {"output_size": sizes.output, **_report_dict(sizes)}
    if args.in_channels:
        count = conv_params(
            args.kernel, args.in_channels, args.filters, args.groups, not args.no_bias
        )
        data.update(
            output_shape=[args.filters, sizes.output, sizes.output],
            weights=count.weights,
            biases=count.biases,
            params=count.total,
        )
    if args.json:
        _print_json(data)
        return 0
    console = _console()
    _print_formula(console, "output size", sizes)
    if sizes.explanation:
        console.print(f"  [yellow]{sizes.explanation}[/]")
    if args.in_channels:
        shape = report.conv_shape_text(args.in_channels, args.size, args.filters, sizes.output)
        formula = report.conv_params_formula(
            args.kernel, args.in_channels, args.filters, args.groups, not args.no_bias
        )
        console.print(f"[bold]output shape[/] {shape}")
        console.print(f"[bold]parameters[/]   {formula}")
    return 0


def cmd_calc_pool(args: argparse.Namespace) -> int:
    from .core.convolution.arithmetic import pool_size_report

    sizes = pool_size_report(args.size, args.kernel, args.stride, args.padding, args.ceil)
    if args.json:
        _print_json({"output_size": sizes.output, **_report_dict(sizes)})
        return 0
    console = _console()
    _print_formula(console, "output size", sizes)
    if sizes.explanation:
        console.print(f"  [yellow]{sizes.explanation}[/]")
    console.print("[dim]pooling keeps the depth: each channel is pooled on its own[/]")
    return 0


def cmd_calc_transposed(args: argparse.Namespace) -> int:
    out = transposed_output_size(
        args.size, args.kernel, args.stride, args.padding, args.output_padding, args.dilation
    )
    formula = report.transposed_formula(
        args.size, args.kernel, args.stride, args.padding, args.output_padding, args.dilation
    )
    if args.json:
        _print_json({"output_size": out, "formula": formula})
    else:
        _console().print(f"[bold]output size[/]  {formula}")
    return 0


def cmd_calc_linear(args: argparse.Namespace) -> int:
    count = linear_params(args.in_features, args.out_features, not args.no_bias)
    if args.json:
        _print_json({"weights": count.weights, "biases": count.biases, "params": count.total})
        return 0
    formula = report.linear_params_formula(args.in_features, args.out_features, not args.no_bias)
    _console().print(f"[bold]parameters[/]  {formula}")
    return 0


def cmd_calc_receptive_field(args: argparse.Namespace) -> int:
    stack = _load_stack(args.model, args.input)
    rows = receptive_fields(stack)
    if args.json:
        _print_json([row.to_dict() for row in rows])
        return 0
    from rich.table import Table

    table = Table(
        title=f"receptive field  input {format_shape(stack.input_shape)}",
        title_justify="left",
        pad_edge=False,
    )
    for name in report.FIELD_COLUMNS:
        table.add_column(name, justify="left" if name == "layer" else "right")
    for row in rows:
        cells = report.field_cells(row)
        table.add_row(*(_text(cells[name], 50) for name in report.FIELD_COLUMNS))
    console = _console()
    console.print(table)
    note = report.field_note(rows)
    if note:
        console.print(f"[dim]{escape(visible(note))}[/dim]", highlight=False)
    return 0


# ---------------------------------------------------------------------------------------------
# export and presets
# ---------------------------------------------------------------------------------------------


def cmd_export(args: argparse.Namespace) -> int:
    if args.out is not None and not args.out.strip():
        raise UsageError("--out needs a file name (leave --out out to print the source)")
    stack = _load_stack(args.model, args.input)
    stack.output_shape()  # raises StackError naming the failing layer before torch is touched
    from .core.stacks.torch_bridge import export_source

    source = export_source(stack, class_name=args.class_name)
    if args.out is not None:
        from pathlib import Path

        from .core.safe_files import write_atomic

        try:
            write_atomic(Path(args.out), source)
        except OSError as exc:
            raise UsageError(f"{args.out}: cannot write ({exc.strerror or exc})") from None
        _console(stderr=True).print(f"wrote {visible(args.out)}", markup=False, soft_wrap=True)
    else:
        sys.stdout.write(source)
    return 0


def cmd_presets(args: argparse.Namespace) -> int:
    from .core.stacks.zoo import PRESETS

    rows = []
    for preset in PRESETS.values():
        result = tally(preset.stack())
        rows.append(
            {
                "name": preset.name,
                "title": preset.title,
                "input": format_shape(preset.input_shape),
                "params": result.totals.params,
                "activations": result.totals.activations,
                "macs": result.totals.macs,
                "description": preset.description,
            }
        )
    if args.json:
        _print_json(rows)
        return 0
    from rich import box
    from rich.table import Table

    table = Table(pad_edge=False, header_style="bold", box=box.SIMPLE_HEAD)
    for name in ("name", "model", "input", "params", "activations", "MACs"):
        table.add_column(
            name, justify="left" if name in ("name", "model") else "right", no_wrap=name != "model"
        )
    for row in rows:
        table.add_row(
            row["name"],
            row["title"],
            row["input"],
            f"{row['params']:,}",
            short_count(row["activations"]),
            short_count(row["macs"]),
        )
    _console().print(table)
    return 0


# ---------------------------------------------------------------------------------------------
# train
# ---------------------------------------------------------------------------------------------

EXIT_RUN_FAILED = 1
EXIT_INTERRUPTED = 130
STOP_SIGNALS = ("SIGTERM", "SIGHUP")
"""Signals that end a run like Ctrl+C (`timeout`, `docker stop`, a closed SSH session); the
exit status is 128 + the signal's number: 143 and 129."""


@contextlib.contextmanager
def stop_on_signals(stop: Any):
    """While inside: SIGTERM and SIGHUP set `stop` (the run ends within one batch, then its
    files are written and its results printed) and are listed in the yielded list; the old
    handlers are back afterwards. Off the main thread (where Python cannot take signals) it
    installs nothing."""
    import signal
    import threading

    received: list[int] = []

    def on_signal(number: int, _frame: object) -> None:
        received.append(number)
        stop.set()  # only flags: the main thread says so, outside the handler

    numbers = [getattr(signal, name) for name in STOP_SIGNALS if hasattr(signal, name)]
    if threading.current_thread() is not threading.main_thread():
        numbers = []
    old = {number: signal.signal(number, on_signal) for number in numbers}
    try:
        yield received
    finally:
        for number, handler in old.items():
            signal.signal(number, handler)


def signal_name(number: int) -> str:
    import signal

    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def _count(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {number}")
    return number


def _betas(text: str) -> tuple[float, float]:
    try:
        return parse_betas(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def train_config_from_args(args: argparse.Namespace):
    """The TrainConfig the command line asks for (ConfigError/DatasetError name the setting)."""
    from .core.training.data import dataset_info
    from .core.training.train_config import OptimizerSettings, TrainConfig, parse_race

    common: dict[str, Any] = {"momentum": args.momentum, "weight_decay": args.weight_decay}
    if args.betas is not None:
        common["betas"] = args.betas
    if args.race:
        optimizers = parse_race(args.race, lr=args.lr, **common)
    else:
        optimizers = (OptimizerSettings(name=args.optimizer.lower(), lr=args.lr, **common),)
    options: dict[str, Any] = {}
    for name in (
        "schedule",
        "step_epochs",
        "gamma",
        "batch_size",
        "epochs",
        "seed",
        "device",
        "eval_every",
        "log_every",
        "test_batch_size",
    ):
        value = getattr(args, name)
        if value is not None:
            options[name] = value
    return TrainConfig(
        model=args.model,
        input_shape=args.input,
        dataset=dataset_info(args.dataset).name,
        optimizers=optimizers,
        data_dir=args.data_dir,
        download=args.download,
        augment=parse_augment(args.augment or ""),
        ema_decay=args.ema,
        limit_train=args.limit_train,
        cuda_graph=not args.no_cuda_graph,
        **options,
    )


def _graph_words(run: Any) -> str:
    """' (CUDA graph)', ' (eager: <why>)' on a CUDA GPU; '' elsewhere."""
    if run.cuda_graph:
        return " (CUDA graph)"
    return f" (eager: {run.graph_note})" if run.graph_note else ""


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value >= 10 else f"{value:.2f} s"


def _percent(fraction: float | None) -> str:
    return "-" if fraction is None else f"{fraction * 100:.2f}"


class TrainView:
    """Prints a training run as it goes: a Rich progress bar, the lecture's log lines, epochs.

    report() is called on the training thread; Rich's console and progress take their own locks.
    """

    def __init__(self, console, config) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = console
        self.config = config
        self.race = config.is_race
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self.tasks: dict[str, Any] = {}
        self.epochs = config.epochs
        self.header_printed = False
        self.epochs_printed: set[int] = set()

    def __enter__(self) -> TrainView:
        if self.console.is_terminal:  # a pipe or a file gets the lines without the bar
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress.live.is_started:
            self.progress.stop()

    def _prefix(self, run: str) -> str:
        return f"[{run}] " if self.race else ""

    def print(self, text: str, style: str = "") -> None:
        from rich.text import Text

        # a styled Text, not print(style=...): that style would also tint the live bar below
        # the header names the model as typed (a path, a spec): its control characters shown
        self.progress.console.print(
            Text(visible(text, keep="\n"), style=style), highlight=False, soft_wrap=True
        )

    def report(self, point) -> None:
        handler = getattr(self, f"_on_{point.kind}", None)
        if handler is not None:
            handler(point)

    def _task(self, run: str, total: int | None = None):
        if run not in self.tasks:
            self.tasks[run] = self.progress.add_task(
                run if self.race else "training", total=total, status=""
            )
        return self.tasks[run]

    def _on_start(self, point) -> None:
        extra = point.extra
        self._task(point.run, extra.get("total_steps"))
        if self.header_printed:
            return  # one header for a whole race
        self.header_printed = True
        runs = f"{len(self.config.optimizers)} optimizers racing, " if self.race else ""
        steps = _plural(extra.get("steps_per_epoch", 0), "step")
        self.print(
            f"{self.config.model} on {extra.get('dataset') or self.config.dataset}: "
            f"{extra.get('train_size', 0):,} training and {extra.get('test_size', 0):,} test "
            f"images, {extra.get('params', 0):,} parameters, {runs}"
            f"{extra.get('device_name') or extra.get('device', '?')}"
            f"{' (CUDA graph)' if extra.get('cuda_graph') else ''}, "
            f"{_plural(self.epochs, 'epoch')} of {steps} (batch {self.config.batch_size})",
            style="dim",
        )

    def _on_train(self, point) -> None:
        status = f"epoch {point.epoch + 1}/{self.epochs}"
        if point.loss is not None:
            status += f"  loss {point.loss:.4f}"
        if point.accuracy is not None:
            status += f"  acc {point.accuracy * 100:.1f}%"
        if point.memory_bytes:
            status += f"  {short_bytes(point.memory_bytes)}"
        self.progress.update(self._task(point.run), completed=point.step, status=status)

    def _on_log(self, point) -> None:
        # the lecture's line, with the loss as Python prints a float
        self.print(
            f"{self._prefix(point.run)}Train Epoch: {point.epoch}, "
            f"iteration: {point.iteration}, Loss: {point.loss}"
        )

    def _on_test(self, point) -> None:
        text = (
            f"{self._prefix(point.run)}Epoch {point.epoch} step {point.step:,}: "
            f"test loss {point.loss:.4f}, accuracy {_percent(point.accuracy)}%"
        )
        if point.ema_accuracy is not None:
            text += f"; EMA loss {point.ema_loss:.4f}, accuracy {_percent(point.ema_accuracy)}%"
        self.print(text, style="cyan")

    def _on_epoch(self, point) -> None:
        self.progress.update(self._task(point.run), completed=point.step)
        if point.epoch in self.epochs_printed:
            return  # a race's optimizers share their batches and so their epoch time
        self.epochs_printed.add(point.epoch)
        text = f"Epoch {point.epoch} done"
        if point.epoch_seconds is not None:
            text += f" in {_seconds(point.epoch_seconds)}"
        if point.images_per_second is not None:
            text += f", {point.images_per_second:,.0f} images/s"
        self.print(text, style="dim")

    def _on_done(self, point) -> None:
        task = self._task(point.run)
        self.progress.update(task, completed=self.progress.tasks[task].total or point.step)

    def _on_stopped(self, point) -> None:
        self.print(
            f"{self._prefix(point.run)}stopped in epoch {point.epoch} after {point.step:,} steps",
            style="yellow",
        )

    def _on_error(self, point) -> None:
        _error(f"{self._prefix(point.run)}{point.message}")


def _confusion_matrices(result) -> dict[str, Any]:
    """counts[true, predicted] of every run that has a network, from core.training.model_views."""
    from .core.training.model_views import confusion_matrix

    if result.data is None:
        return {}
    return {
        run.run: confusion_matrix(run.model, result.data)
        for run in result.runs
        if run.model is not None
    }


def _predictions(result, count: int) -> dict[str, Any]:
    from .core.training.model_views import top_predictions

    if result.data is None:
        return {}
    return {
        run.run: top_predictions(run.model, result.data, count=count)
        for run in result.runs
        if run.model is not None
    }


def render_predictions(console, run: str, shown, labels) -> None:
    """Test images with the network's three best guesses, like the lecture's CIFAR-10 demo."""
    from rich import box
    from rich.table import Table

    table = Table(
        title=f"top-3 guesses of {run}", box=box.SIMPLE_HEAD, pad_edge=False, title_justify="left"
    )
    for name in ("image", "true", "1st", "2nd", "3rd"):
        table.add_column(name, no_wrap=True)
    for p in shown:
        guesses = [
            f"[{'green' if c == p.label else 'red' if i == 0 else 'default'}]"
            f"{escape(labels[c])} {v:.0%}[/]"
            for i, (c, v) in enumerate(p.top)
        ]
        table.add_row(f"#{p.index}", escape(labels[p.label]), *guesses)
    console.print(table)


def render_confusion(console, run: str, matrix, labels) -> None:
    """The confusion matrix as a table: rows are the true classes, columns the predictions."""
    from rich import box
    from rich.table import Table

    names = [label[:8] for label in labels]
    table = Table(
        title=f"confusion matrix of {run}: rows true, columns predicted",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        title_justify="left",
    )
    table.add_column("true", no_wrap=True)
    for name in names:
        table.add_column(name, justify="right")
    for name, row in zip(names, matrix.tolist(), strict=True):
        cells = [f"[bold]{n}[/bold]" if i == len(table.rows) else str(n) for i, n in enumerate(row)]
        table.add_row(name, *cells)
    console.print(table)


def _loss_text(value: float) -> str:
    """0.0810, or 6.71e+35 for a run that blew up (a table column stays narrow)."""
    return f"{value:.4f}" if abs(value) < 1e5 else f"{value:.3g}"


def render_train_result(console, result, config) -> None:
    """The last words of a run: the lecture's test line, or a race's leaderboard."""
    settings = {o.title: o for o in config.race_settings()}
    if not config.is_race:
        run = result.runs[0]
        if run.test_loss is not None:
            console.print(
                f"Test loss: {run.test_loss:.4f}, Accuracy: {_percent(run.test_accuracy)}",
                markup=False,
                highlight=False,
                style="bold",
            )
        if run.ema_test_loss is not None:
            console.print(
                f"EMA test loss: {run.ema_test_loss:.4f}, "
                f"Accuracy: {_percent(run.ema_test_accuracy)}",
                markup=False,
                highlight=False,
            )
        speed = f", {run.images_per_second:,.0f} images/s" if run.images_per_second else ""
        console.print(
            f"{run.status}: {run.epochs} of {_plural(config.epochs, 'epoch')}, "
            f"{_plural(run.steps, 'step')}, {_seconds(run.seconds)} of training{speed}, "
            f"{result.device_name}{_graph_words(run)}",
            markup=False,
            highlight=False,
            style="dim",
            soft_wrap=True,
        )
        return
    from rich import box
    from rich.table import Table

    from .core.views.race_board import rank_runs

    ema = any(r.ema_test_accuracy is not None for r in result.runs)
    graphed = [r.run for r in result.runs if r.cuda_graph]
    graph = ""
    if graphed:
        some = len(graphed) < len(result.runs)
        graph = f" (CUDA graph{' for ' + ', '.join(graphed) if some else ''})"
    table = Table(
        title=f"race on {config.dataset}: {_plural(config.epochs, 'epoch')}, "
        f"batch {config.batch_size}, {result.device_name}{graph}",
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    columns = ["#", "optimizer", "settings", "acc %", "loss"]
    columns += ["EMA acc %"] if ema else []
    columns += ["epochs", "status"]
    for name in columns:
        # only the settings may wrap (at spaces): the figures stay whole on a narrow terminal
        table.add_column(
            name,
            justify="left" if name in ("optimizer", "settings", "status") else "right",
            no_wrap=name != "settings",
            min_width=12 if name == "settings" else None,
            overflow="fold",
        )
    ranked = rank_runs(result.runs)
    for place, run in enumerate(ranked, 1):
        option = settings.get(run.run)
        described = option.describe() if option else run.optimizer
        # the settings without the optimizer's name, which has its own column
        name, _, rest = described.partition(" ")
        row = [
            str(place),
            run.run,
            rest if option is not None and name == option.name else described,
            _percent(run.test_accuracy),
            "-" if run.test_loss is None else _loss_text(run.test_loss),
        ]
        if ema:
            row.append(_percent(run.ema_test_accuracy))
        row += [str(run.epochs), run.status]
        table.add_row(*row, style="" if run.status == "done" else "yellow")
    console.print(table)
    speed = result.runs[0].images_per_second
    console.print(
        f"{_seconds(result.runs[0].seconds)} of training"
        + (f", {speed:,.0f} images/s (each through every optimizer)" if speed else ""),
        markup=False,
        highlight=False,
        style="dim",
    )


def _same_file(first: str, second: str) -> bool:
    """Whether two paths name one file (through links, ~ and relative parts)."""
    real = [os.path.realpath(os.path.expanduser(p)) for p in (first, second)]
    return real[0] == real[1]


def cmd_train(args: argparse.Namespace) -> int:
    import threading

    config = train_config_from_args(args)  # bad settings stop here, before torch is imported
    if args.app:
        extras = [
            flag
            for flag, value in (
                ("--json", args.json),
                ("--metrics-out", args.metrics_out),
                ("--save", args.save),
            )
            if value
        ]
        if extras:
            raise UsageError(f"--app trains in the app: leave out {', '.join(extras)}")
        _load_stack(config.model, config.input_shape).output_shape()  # named before the app
        return open_app("train", train_config=config)
    from .core.training.loop import TrainingError, check_writable

    if args.save and args.metrics_out and _same_file(args.save, args.metrics_out):
        raise UsageError(
            f"--save {args.save} and --metrics-out {args.metrics_out} name the same file: "
            "one would overwrite the other"
        )
    for flag, path in (("--save", args.save), ("--metrics-out", args.metrics_out)):
        try:
            if path:
                check_writable(path, flag)  # now: after the run, a refusal would lose it
        except TrainingError as exc:
            raise UsageError(str(exc)) from None
    stop = threading.Event()
    with stop_on_signals(stop) as received:
        return _train_and_report(args, config, stop, received)


def _train_and_report(args: argparse.Namespace, config: Any, stop: Any, received: list[int]) -> int:
    """Run the training on a thread, stop it on Ctrl+C or a stop signal, then write its files
    and print its results: all of them, whatever the other writes and the run did."""
    import threading

    from .core.training.data import DatasetError
    from .core.training.loop import TrainingError, train

    console = _console(stderr=args.json)
    outcome: dict[str, Any] = {}

    view = TrainView(console, config)
    finished = threading.Event()

    def work() -> None:
        try:
            outcome["result"] = train(config, view.report, stop, save=args.save)
        except BaseException as exc:  # handed to the main thread, which reports it
            outcome["error"] = exc
        finally:
            finished.set()

    # training runs on a thread so that Ctrl+C reaches the main thread, which sets `stop`:
    # the engine then ends within one batch and returns what it finished. The main thread
    # waits on an Event, not Thread.join: a KeyboardInterrupt inside join() can mark a thread
    # that is still running as finished (CPython bpo-45274).
    worker = threading.Thread(target=work, name="cnn-tui-train", daemon=True)
    interrupted = False
    announced = False
    with view:
        worker.start()
        while not finished.is_set():
            try:
                finished.wait(0.1)
                if received and not announced:
                    announced = True  # said here, not in the handler, which may cut a print
                    view.print(
                        f"got {signal_name(received[0])}: stopping after this batch, then "
                        "saving what is done",
                        "yellow",
                    )
            except KeyboardInterrupt:
                if interrupted:
                    _error("interrupted again: quitting without waiting for the run")
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os._exit(EXIT_INTERRUPTED)  # the run holds the device: no clean way out
                interrupted = True
                stop.set()
                view.print("stopping after this batch (Ctrl+C again to quit at once)", "yellow")
    worker.join()
    error = outcome.get("error")
    if isinstance(error, (TrainingError, DatasetError)):
        _error(str(error))
        return EXIT_BAD_INPUT
    if error is not None:
        raise error  # StackError / ConfigError: main() prints them; anything else is a bug
    result = outcome["result"]
    problems: list[str] = []
    if args.metrics_out:
        from pathlib import Path

        from .core.safe_files import write_atomic

        try:
            write_atomic(Path(args.metrics_out), result.log.to_jsonl())
            _console(stderr=True).print(
                f"wrote {args.metrics_out}", style="dim", markup=False, soft_wrap=True
            )
        except OSError as exc:
            problems.append(f"metrics not written to {args.metrics_out}: {exc.strerror or exc}")
    if result.save_error:
        problems.append(result.save_error)
    if args.save and result.checkpoint is not None:
        _console(stderr=True).print(
            f"saved {result.checkpoint}", style="dim", markup=False, soft_wrap=True
        )
    confusion = _confusion_matrices(result) if args.confusion else {}
    predictions = _predictions(result, args.predictions) if args.predictions else {}
    if args.json:
        summary = result.summary()
        if args.confusion:
            summary["labels"] = list(result.data.labels) if result.data is not None else []
            summary["confusion"] = {run: m.tolist() for run, m in confusion.items()}
        if args.predictions:
            summary["predictions"] = {
                run: [
                    {"index": p.index, "label": p.label, "top": [[c, v] for c, v in p.top]}
                    for p in shown
                ]
                for run, shown in predictions.items()
            }
        _print_json(summary)
    else:
        render_train_result(console, result, config)
        for run, matrix in confusion.items():
            render_confusion(console, run, matrix, result.data.labels)
        for run, shown in predictions.items():
            render_predictions(console, run, shown, result.data.labels)
    for problem in problems:
        _error(problem)  # after the results, which are not lost
    if problems:
        return EXIT_BAD_INPUT
    if received:
        return 128 + received[0]  # the shell's status for a signal: 143 SIGTERM, 129 SIGHUP
    if interrupted or any(run.status == "stopped" for run in result.runs):
        return EXIT_INTERRUPTED
    if any(run.status == "error" for run in result.runs):
        return EXIT_RUN_FAILED
    return 0


# ---------------------------------------------------------------------------------------------
# argument parsing
# ---------------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad input as one line and exits 2 (its default), never a trace."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"cnn-tui: {message}\n  (see: {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cnn-tui",
        description="A terminal sandbox for learning convolutional neural networks. "
        "With no command it opens the app.",
        epilog="Examples: cnn-tui summary vgg16 | cnn-tui calc conv --size 32 --kernel 5 "
        "--in-channels 3 --filters 6 | cnn-tui step conv --preset seed-conv --trace",
    )
    parser.add_argument("--version", action="version", version=f"cnn-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, handler: Callable[[argparse.Namespace], int], help_text: str):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        return p

    summary = command("summary", cmd_summary, "Layer-by-layer table and totals of a stack.")
    summary.add_argument("model", help="preset name (vgg16), one-line spec, or stack .json file")
    summary.add_argument("--input", type=_shape, help="input shape, e.g. 3x224x224")
    summary.add_argument("--batch", type=_positive, default=1, help="batch size (default 1)")
    summary.add_argument("--dtype", choices=list(DTYPE_BYTES), default="fp32")
    summary.add_argument("--optimizer", choices=list(OPTIMIZER_STATE), default="sgd")
    summary.add_argument(
        "--depth", type=int, default=0, help="show layers inside blocks down to this depth"
    )
    summary.add_argument("--json", action="store_true", help="print JSON instead of a table")

    step = command("step", cmd_step, "Step through a convolution or pooling cell by cell.")
    step.add_argument("operation", choices=["conv", "conv1d", "pool"])
    step.add_argument(
        "--preset", help="seed-conv, seed-maxpool, ...; options given too override its settings"
    )
    step.add_argument("--input", help='rows separated by ";", e.g. "1 1 1 0 0; 0 1 1 1 0"')
    step.add_argument("--kernel", help='kernel rows, e.g. "1 0 1; 0 1 0; 1 0 1"')
    # defaults are None so that an option given with --preset can be told from one left out
    step.add_argument("--bias", type=float, help="conv bias (default 0)")
    step.add_argument("--stride", type=_positive, help="default 1; pool: the window size")
    step.add_argument("--padding", type=_padding, help="default 0; conv: or valid/same/full")
    step.add_argument("--dilation", type=_positive, help="conv dilation (default 1)")
    step.add_argument(
        "--mode", choices=["correlation", "convolution"], help="conv (default correlation)"
    )
    step.add_argument(
        "--output",
        choices=["valid", "same", "full"],
        help="conv output mode, instead of --padding",
    )
    step.add_argument("--kind", choices=["max", "avg", "l2"], help="pool kind (default max)")
    step.add_argument("--size", type=_positive, help="pool window size (default 2)")
    step.add_argument("--ceil", action="store_true", help="pool with ceil mode")
    step.add_argument("--trace", action="store_true", help="print every step's sum")
    step.add_argument("--json", action="store_true")

    command("stepper", cmd_stepper, "Open the app on the convolution stepper.").add_argument(
        "--preset", help="seed-conv, seed-full-conv, seed-maxpool, sensor-smoothing, ..."
    )

    lessons = command(
        "lessons", cmd_lessons, "Open the self-paced lessons (or list or check a course)."
    )
    lessons.add_argument("name", nargs="?", help="a lesson: its number, file name or title")
    lessons.add_argument(
        "--lessons", metavar="DIR", help="another course folder (default: the shipped course)"
    )
    lessons.add_argument("--list", action="store_true", help="print the lessons and progress")
    lessons.add_argument("--json", action="store_true", help="the list as JSON")
    lessons.add_argument(
        "--check", action="store_true", help="parse every lesson and compute every answer"
    )

    builder = command("builder", cmd_builder, "Open the app on the layer-stack builder.")
    builder.add_argument("stack", nargs="?", help="a stack .json file or a one-line spec")
    builder.add_argument("--preset", help="seed-mnist, lenet5, vgg16, resnet50, ...")

    calc = command(
        "calc", cmd_calc_app, "Quick calculators (no calculator named: open the app's screen)."
    )
    calc_sub = calc.add_subparsers(dest="calc", metavar="CALCULATOR", parser_class=_Parser)

    def calculator(name: str, handler, help_text: str):
        p = calc_sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        p.add_argument("--json", action="store_true")
        return p

    conv = calculator("conv", cmd_calc_conv, "Conv output size (and parameters).")
    conv.add_argument("--size", type=_positive, required=True, help="input height/width W")
    conv.add_argument("--kernel", type=_positive, required=True, help="kernel size F")
    conv.add_argument("--stride", type=_positive, default=1)
    conv.add_argument("--padding", type=_padding, default=0, help="P, or valid/same/full")
    conv.add_argument("--dilation", type=_positive, default=1)
    conv.add_argument("--in-channels", type=_positive, help="C_in, to count parameters")
    conv.add_argument("--filters", type=_positive, default=1, help="K filters")
    conv.add_argument("--groups", type=_positive, default=1)
    conv.add_argument("--no-bias", action="store_true")

    pool = calculator("pool", cmd_calc_pool, "Pooling output size.")
    pool.add_argument("--size", type=_positive, required=True)
    pool.add_argument("--kernel", type=_positive, required=True)
    pool.add_argument("--stride", type=_positive, default=None, help="default: the kernel")
    pool.add_argument("--padding", type=int, default=0)
    pool.add_argument("--ceil", action="store_true", help="ceil mode")

    trans = calculator("transposed", cmd_calc_transposed, "Transposed conv output size.")
    trans.add_argument("--size", type=_positive, required=True)
    trans.add_argument("--kernel", type=_positive, required=True)
    trans.add_argument("--stride", type=_positive, default=1)
    trans.add_argument("--padding", type=int, default=0)
    trans.add_argument("--output-padding", type=int, default=0)
    trans.add_argument("--dilation", type=_positive, default=1)

    linear = calculator("linear", cmd_calc_linear, "Fully connected layer parameters.")
    linear.add_argument("--in-features", type=_positive, required=True)
    linear.add_argument("--out-features", type=_positive, required=True)
    linear.add_argument("--no-bias", action="store_true")

    field = calculator("receptive-field", cmd_calc_receptive_field, "Receptive field per layer.")
    field.add_argument("model", help="preset, one-line spec, or stack file")
    field.add_argument("--input", type=_shape)

    export = command("export", cmd_export, "Write a stack as standalone PyTorch source.")
    export.add_argument("model", help="preset, one-line spec, or stack file")
    export.add_argument("--input", type=_shape)
    export.add_argument("--out", help="write to this .py file instead of stdout")
    export.add_argument("--class-name", default="Net")

    presets = command("presets", cmd_presets, "List the model zoo with parameter counts.")
    presets.add_argument("--json", action="store_true")

    train = command(
        "train",
        cmd_train,
        "Train a stack headless and print the lecture's progress lines (Ctrl+C stops cleanly).",
    )
    train.add_argument(
        "--model",
        metavar="MODEL",
        default="seed-mnist",
        help="preset, one-line spec or stack .json file",
    )
    train.add_argument(
        "--input", metavar="CxHxW", type=_shape, help="input shape, e.g. 1x28x28 (data is resized)"
    )
    train.add_argument(
        "--dataset",
        metavar="NAME",
        default="digits",
        help="digits (embedded), mnist, fashion-mnist, cifar10",
    )
    train.add_argument(
        "--data-dir", metavar="DIR", help="folder in torchvision's layout (default: the cache)"
    )
    train.add_argument("--download", action="store_true", help="download a missing dataset")
    optimizer = train.add_mutually_exclusive_group()
    optimizer.add_argument(
        "--optimizer", metavar="NAME", default="sgd", help=f"{', '.join(OPTIMIZERS)}"
    )
    optimizer.add_argument(
        "--race",
        metavar="LIST",
        help="train several from the same start: sgd,momentum,adam or sgd:0.1,adam:0.001",
    )
    train.add_argument(
        "--lr", metavar="RATE", type=_number, help="learning rate (default: per optimizer)"
    )
    train.add_argument("--momentum", metavar="M", type=_number, help="SGD/RMSProp momentum")
    train.add_argument("--weight-decay", metavar="WD", type=_number, default=0.0, help="L2 penalty")
    train.add_argument("--betas", metavar="B1,B2", type=_betas, help="Adam betas, e.g. 0.9,0.999")
    train.add_argument("--schedule", choices=list(SCHEDULES), help="learning-rate schedule")
    train.add_argument(
        "--step-epochs", metavar="N", type=_positive, help="step schedule: every N epochs"
    )
    train.add_argument(
        "--gamma", metavar="G", type=_number, help="step schedule: multiply the rate by this"
    )
    train.add_argument("--batch-size", metavar="N", type=_positive, help="default 32")
    train.add_argument("--test-batch-size", metavar="N", type=_positive, help="default 1000")
    train.add_argument("--epochs", metavar="N", type=_whole_in(1, MAX_EPOCHS), help="default 10")
    train.add_argument("--seed", metavar="N", type=_whole_in(0, MAX_SEED), help="default 0")
    train.add_argument("--device", choices=list(DEVICES), help="default auto: cuda, mps, cpu")
    train.add_argument("--augment", metavar="LIST", help='e.g. "shift=2,flip,rotate=10,noise=0.1"')
    train.add_argument("--ema", type=_number, metavar="DECAY", help="weight averaging, e.g. 0.99")
    train.add_argument("--eval-every", metavar="STEPS", type=_count, help="also test every N steps")
    train.add_argument(
        "--log-every", metavar="N", type=_count, help="log line every N iterations (100)"
    )
    train.add_argument(
        "--limit-train", metavar="N", type=_positive, help="use the first N training images"
    )
    train.add_argument(
        "--no-cuda-graph",
        action="store_true",
        help="on a CUDA GPU, step kernel by kernel instead of replaying one captured graph",
    )
    train.add_argument("--metrics-out", metavar="FILE", help="write every report as JSON lines")
    train.add_argument("--save", metavar="FILE", help="write a checkpoint (.pt) at the end")
    train.add_argument("--json", action="store_true", help="only the final JSON summary on stdout")
    train.add_argument(
        "--confusion",
        action="store_true",
        help="also print each run's confusion matrix on the test set (in the JSON too)",
    )
    train.add_argument(
        "--predictions",
        type=_positive,
        metavar="N",
        help="also print the top-3 guesses for the first N test images (in the JSON too)",
    )
    train.add_argument(
        "--app", action="store_true", help="open the app's Train screen with these settings"
    )
    return parser


def open_app(
    mode: str = "stepper",
    stepper_preset: str | None = None,
    builder_stack: str | None = None,
    train_config: Any = None,
    lessons_dir: str | None = None,
    lesson: str | None = None,
) -> int:
    """Run the Textual app on one screen; textual is imported only here, to keep the CLI quick."""
    if stepper_preset is not None:
        from .core.convolution.stepper import PRESETS

        if stepper_preset not in PRESETS:
            raise UsageError(
                f"unknown stepper preset {stepper_preset!r} (known: {', '.join(PRESETS)})"
            )
    if builder_stack is not None:
        _load_stack(
            builder_stack, None
        )  # a bad name, spec or file is reported before the app opens
    from .app.app import CnnTuiApp

    options: dict[str, Any] = {}
    if builder_stack is not None:
        options["builder_stack"] = builder_stack
    if train_config is not None:
        options["train_config"] = train_config
    if lessons_dir is not None:
        options["lessons_dir"] = lessons_dir
    if lesson is not None:
        options["lesson"] = lesson
    app = CnnTuiApp(mode=mode, stepper_preset=stepper_preset, **options)
    app.run()
    if app.exit_note:
        # SIGHUP: the terminal may be gone; the recovery file holds what matters
        with contextlib.suppress(OSError):
            _console(stderr=True).print(app.exit_note, markup=False, soft_wrap=True)
    return app.return_code or 0  # 143 / 129 when SIGTERM / SIGHUP ended it


def cmd_lessons(args: argparse.Namespace) -> int:
    """Open the lessons reader, or list / check a course without the app."""
    from .core.course.lessons import load_course

    course = load_course(args.lessons)  # a missing folder is one line, exit 2
    if args.check:
        return _check_course(course, args.name)
    if args.list or args.json:
        return _list_course(course, args.json)
    if args.name:
        course.find(args.name)  # an unknown lesson is reported before the app opens
    return open_app("lessons", lessons_dir=str(course.folder), lesson=args.name or None)


def _check_course(course, name: str | None = None) -> int:
    """Check every lesson, or only the one named (a file that did not parse counts too)."""
    from .core.course.lesson_answers import validate_course
    from .core.course.lessons import LessonError

    lessons, problems, where = course.lessons, list(course.problems), str(course.folder)
    if name:
        try:
            lessons = (course.find(name),)
            problems = [p for p in problems if p.path == lessons[0].path]
        except LessonError:
            key = name.strip().lower()
            broken = [p for p in problems if p.path is not None and key in p.path.stem.lower()]
            if len(broken) != 1:
                raise
            lessons, problems = (), broken
        where = str(lessons[0].path if lessons else problems[0].path)
    problems += validate_course(lessons)
    for problem in problems:
        _error(str(problem))
    exercises = sum(len(lesson.exercises) for lesson in lessons)
    if problems:
        return EXIT_BAD_INPUT
    count = _plural(len(lessons), "lesson")
    _console().print(
        f"{visible(where)}: {count}, {_plural(exercises, 'exercise')}, "
        "every answer computed and every Try-it target found",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    return 0


def _list_course(course, as_json: bool) -> int:
    from .core.course.progress import load_progress

    progress = load_progress(set_aside=False)  # a listing only reads: it moves nothing
    key = course.folder.name
    rows = []
    for lesson in course.lessons:
        entry = progress.for_lesson(key, lesson)
        ids = {e.id for e in lesson.exercises}
        rows.append(
            {
                "order": lesson.order,
                "id": lesson.id,
                "title": lesson.title,
                "minutes": lesson.minutes,
                "exercises": len(ids),
                "passed": len(ids & set(entry.passed)),
                "done": entry.done,
            }
        )
    if progress.warning:
        _error(progress.warning)
    if as_json:
        _print_json(
            {
                "folder": str(course.folder),
                "lessons": rows,
                "problems": [str(p) for p in course.problems],
            }
        )
        return 0
    from rich import box
    from rich.table import Table

    table = Table(pad_edge=False, header_style="bold", box=box.SIMPLE_HEAD)
    for name in ("#", "lesson", "min", "exercises", "done"):
        table.add_column(name, justify="left" if name == "lesson" else "right")
    for row in rows:
        # the title and file name are the lesson file's: plain text, never markup
        lesson = _text(row["title"], 200)
        lesson.append(f"  {visible(row['id'])}", style="dim")
        table.add_row(
            str(row["order"]),
            lesson,
            str(row["minutes"]),
            f"{row['passed']}/{row['exercises']}",
            "✓" if row["done"] else "",
        )
    console = _console()
    console.print(table)
    for problem in course.problems:
        _error(str(problem))
    return 0


def cmd_builder(args: argparse.Namespace) -> int:
    return open_app("builder", builder_stack=args.preset or args.stack)


def cmd_stepper(args: argparse.Namespace) -> int:
    return open_app("stepper", args.preset)


def cmd_calc_app(args: argparse.Namespace) -> int:
    return open_app("calculators")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None) or (lambda _: open_app())
    try:
        return handler(args)
    except (StackError, ArithmeticError_, UsageError, ValueError) as exc:
        # every engine problem is a ValueError subclass carrying one clear line
        _error(str(exc))
        pointer = exc.pointer() if isinstance(exc, StackError) else ""
        if pointer:
            _console(stderr=True).print(pointer, markup=False, highlight=False, soft_wrap=True)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return 0
    except OSError as exc:
        # a path the system refuses that no check named first (a name over 255 bytes, say)
        from .core.safe_files import naming

        worded = naming(exc.filename, exc) if exc.filename else exc
        _error(f"{exc.filename}: {worded.strerror}" if exc.filename else str(exc.strerror or exc))
        return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
