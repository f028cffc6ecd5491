"""The `cnn-tui` command: calculators, summaries, steppers and exports printed with Rich."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from . import __version__
from .core import report
from .core.arithmetic import (
    ArithmeticError_,
    conv_params,
    linear_params,
    size_report,
    transposed_output_size,
)
from .core.layers import Stack, StackError, format_shape, parse_shape
from .core.tally import (
    DTYPE_BYTES,
    OPTIMIZER_STATE,
    Tally,
    receptive_fields,
    short_count,
    tally,
)

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
    _console(stderr=True).print(f"cnn-tui: {message}", markup=False, style="red", soft_wrap=True)


def _text(value: str, limit: int = 60):
    from rich.text import Text

    return Text(value if len(value) <= limit else value[: limit - 3] + "...")


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


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
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def _shape(text: str):
    try:
        return parse_shape(text)
    except StackError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# ---------------------------------------------------------------------------------------------
# summary
# ---------------------------------------------------------------------------------------------


def _load_stack(model: str, input_shape) -> Stack:
    from .core.zoo import resolve_stack

    return resolve_stack(model, input_shape)


def cmd_summary(args: argparse.Namespace) -> int:
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
    """The lecture's VGG table for any stack, then the totals (text from core.report)."""
    from rich import box
    from rich.table import Table

    console = _console()
    table = Table(
        title=report.summary_title(result),
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
            f"[bold]{label:<{report.TOTALS_LABEL_WIDTH}}[/bold] {escape(text)}", highlight=False
        )
    console.print(f"[dim]{report.MEMORY_NOTE}[/dim]")


# ---------------------------------------------------------------------------------------------
# step
# ---------------------------------------------------------------------------------------------


def cmd_step(args: argparse.Namespace) -> int:
    from .core import stepper

    trace = _build_trace(args, stepper)
    if args.json:
        _print_json(trace.to_dict())
        return 0
    console = _console()
    _print_grids(console, trace, stepper)
    axes = ("length",) if len(trace.size_reports) == 1 else ("rows", "columns")
    for sizes, axis in zip(trace.size_reports, axes, strict=True):
        console.print(f"[bold]output {axis}[/]  {sizes.formula}")
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


def _build_trace(args: argparse.Namespace, stepper) -> Any:
    if args.preset:
        preset = stepper.PRESETS.get(args.preset)
        if preset is None:
            raise UsageError(
                f"unknown stepper preset {args.preset!r} (known: {', '.join(stepper.PRESETS)})"
            )
        return preset.trace()
    if not args.input:
        raise UsageError('give --input "1 1 1; 0 1 0; ..." or --preset NAME')
    grid = stepper.parse_grid(args.input)
    padding = args.output if args.output != "valid" else args.padding
    if args.operation == "pool":
        return stepper.pool2d_trace(
            grid,
            kind=args.kind,
            size=args.size,
            stride=args.stride,
            padding=args.padding,
            ceil_mode=args.ceil,
        )
    if not args.kernel:
        raise UsageError('give --kernel "1 0 1; 0 1 0; 1 0 1" for a convolution')
    kernel = stepper.parse_grid(args.kernel)
    options = dict(
        bias=args.bias,
        stride=args.stride or 1,
        padding=padding,
        dilation=args.dilation,
        mode=args.mode,
    )
    if args.operation == "conv1d":
        return stepper.conv1d_trace(
            grid.reshape(-1) if grid.ndim == 2 and grid.shape[0] == 1 else grid,
            kernel.reshape(-1) if kernel.ndim == 2 and kernel.shape[0] == 1 else kernel,
            **options,
        )
    return stepper.conv2d_trace(grid, kernel, **options)


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
        "padding": list(sizes.padding),
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
    console.print(f"[bold]output size[/]  {sizes.formula}")
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
    stride = args.stride or args.kernel
    sizes = size_report(args.size, args.kernel, stride, args.padding, 1, args.ceil)
    if args.json:
        _print_json({"output_size": sizes.output, **_report_dict(sizes)})
        return 0
    console = _console()
    console.print(f"[bold]output size[/]  {sizes.formula}")
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
    _console().print(table)
    return 0


# ---------------------------------------------------------------------------------------------
# export and presets
# ---------------------------------------------------------------------------------------------


def cmd_export(args: argparse.Namespace) -> int:
    stack = _load_stack(args.model, args.input)
    stack.output_shape()  # raises StackError naming the failing layer before torch is touched
    from .core.torch_bridge import export_source

    source = export_source(stack, class_name=args.class_name)
    if args.out:
        from pathlib import Path

        from .core.stack_file import write_atomic

        write_atomic(Path(args.out), source)
        _console(stderr=True).print(f"wrote {args.out}")
    else:
        sys.stdout.write(source)
    return 0


def cmd_presets(args: argparse.Namespace) -> int:
    from .core.zoo import PRESETS

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
    step.add_argument("--preset", help="seed-conv, seed-full-conv, seed-maxpool, ...")
    step.add_argument("--input", help='rows separated by ";", e.g. "1 1 1 0 0; 0 1 1 1 0"')
    step.add_argument("--kernel", help='kernel rows, e.g. "1 0 1; 0 1 0; 1 0 1"')
    step.add_argument("--bias", type=float, default=0.0)
    step.add_argument("--stride", type=_positive, default=None)
    step.add_argument("--padding", type=_padding, default=0)
    step.add_argument("--dilation", type=_positive, default=1)
    step.add_argument("--mode", choices=["correlation", "convolution"], default="correlation")
    step.add_argument(
        "--output",
        choices=["valid", "same", "full"],
        default="valid",
        help="output mode (overrides --padding unless valid)",
    )
    step.add_argument("--kind", choices=["max", "avg", "l2"], default="max", help="pool kind")
    step.add_argument("--size", type=_positive, default=2, help="pool window size")
    step.add_argument("--ceil", action="store_true", help="pool with ceil mode")
    step.add_argument("--trace", action="store_true", help="print every step's sum")
    step.add_argument("--json", action="store_true")

    command("stepper", cmd_stepper, "Open the app on the convolution stepper.").add_argument(
        "--preset", help="seed-conv, seed-full-conv, seed-maxpool, sensor-smoothing, ..."
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
    return parser


def open_app(
    mode: str = "stepper", stepper_preset: str | None = None, builder_stack: str | None = None
) -> int:
    """Run the Textual app on one screen; textual is imported only here, to keep the CLI quick."""
    if stepper_preset is not None:
        from .core.stepper import PRESETS

        if stepper_preset not in PRESETS:
            raise UsageError(
                f"unknown stepper preset {stepper_preset!r} (known: {', '.join(PRESETS)})"
            )
    if builder_stack is not None:
        _load_stack(
            builder_stack, None
        )  # a bad name, spec or file is reported before the app opens
    from .app.app import CnnTuiApp

    options = {"builder_stack": builder_stack} if builder_stack is not None else {}
    CnnTuiApp(mode=mode, stepper_preset=stepper_preset, **options).run()
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
