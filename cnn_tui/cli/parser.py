"""The argument parser: one add_<command>_parser per subcommand."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from .. import __version__
from ..core.convolution.arithmetic import PADDING_MODES
from ..core.optim.paths import MAX_STEPS
from ..core.optim.surfaces import SURFACES
from ..core.stacks.tally import DTYPE_BYTES, OPTIMIZER_STATE
from ..core.training.train_config import (
    DEFAULT_CPU_THREADS,
    DEVICES,
    FREEZE,
    MAX_CPU_THREADS,
    MAX_EPOCHS,
    MAX_SEED,
    OPTIMIZERS,
    SCHEDULES,
)
from .app_launch import cmd_builder, cmd_calc_app, cmd_inside, cmd_playground, cmd_stepper
from .calc import (
    cmd_calc_conv,
    cmd_calc_linear,
    cmd_calc_pool,
    cmd_calc_receptive_field,
    cmd_calc_transposed,
)
from .common import EXIT_BAD_INPUT, _betas, _count, _number, _padding, _positive, _shape, _whole_in
from .export import cmd_export
from .inspect import add_inspect_arguments, cmd_inspect
from .lessons import cmd_lessons
from .optim import cmd_optim, point_argument
from .presets import cmd_presets
from .step import cmd_step
from .summary import cmd_summary
from .train import cmd_train


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

    for add in (
        add_summary_parser,
        add_step_parser,
        add_stepper_parser,
        add_lessons_parser,
        add_builder_parser,
        add_calc_parser,
        add_export_parser,
        add_presets_parser,
        add_train_parser,
        add_optim_parser,
        add_playground_parser,
        add_inspect_parser,
        add_inside_parser,
    ):
        add(sub)
    return parser


def _command(sub, name: str, handler: Callable[[argparse.Namespace], int], help_text: str):
    p = sub.add_parser(name, help=help_text, description=help_text)
    p.set_defaults(handler=handler)
    return p


def _calculator(calc_sub, name: str, handler, help_text: str):
    p = calc_sub.add_parser(name, help=help_text, description=help_text)
    p.set_defaults(handler=handler)
    p.add_argument("--json", action="store_true")
    return p


def add_summary_parser(sub) -> None:
    """`summary MODEL`: the layer table."""
    summary = _command(sub, "summary", cmd_summary, "Layer-by-layer table and totals of a stack.")
    summary.add_argument("model", help="preset name (vgg16), one-line spec, or stack .json file")
    summary.add_argument("--input", type=_shape, help="input shape, e.g. 3x224x224")
    summary.add_argument("--batch", type=_positive, default=1, help="batch size (default 1)")
    summary.add_argument("--dtype", choices=list(DTYPE_BYTES), default="fp32")
    summary.add_argument("--optimizer", choices=list(OPTIMIZER_STATE), default="sgd")
    summary.add_argument(
        "--depth", type=int, default=0, help="show layers inside blocks down to this depth"
    )
    summary.add_argument("--json", action="store_true", help="print JSON instead of a table")


def add_step_parser(sub) -> None:
    """`step conv|conv1d|pool`: the stepper printed."""
    step = _command(sub, "step", cmd_step, "Step through a convolution or pooling cell by cell.")
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
        choices=PADDING_MODES,
        help="conv output mode, instead of --padding",
    )
    step.add_argument("--kind", choices=["max", "avg", "l2"], help="pool kind (default max)")
    step.add_argument("--size", type=_positive, help="pool window size (default 2)")
    step.add_argument("--ceil", action="store_true", help="pool with ceil mode")
    step.add_argument("--trace", action="store_true", help="print every step's sum")
    step.add_argument(
        "--backward", action="store_true", help="the backward pass: dL/dW, dL/dX, dL/db"
    )
    step.add_argument(
        "--grad", help='backward: dL/dY shaped like the output, e.g. "1 2; 3 4" (default ones)'
    )
    step.add_argument(
        "--from-loss", action="store_true", help="backward: dL/dY = 2Y, from L = sum of Y^2"
    )
    step.add_argument("--lr", type=_number, help="backward conv: show one SGD step at this rate")
    step.add_argument("--json", action="store_true")


def add_stepper_parser(sub) -> None:
    """`stepper`: the app on the stepper."""
    _command(sub, "stepper", cmd_stepper, "Open the app on the convolution stepper.").add_argument(
        "--preset", help="seed-conv, seed-full-conv, seed-maxpool, sensor-smoothing, ..."
    )


def add_playground_parser(sub) -> None:
    """`playground [SURFACE]`: the app on the optimizer playground."""
    playground = _command(
        sub, "playground", cmd_playground, "Open the app on the optimizer playground."
    )
    playground.add_argument("surface", nargs="?", help=", ".join(SURFACES))
    playground.add_argument(
        "--start", metavar="X,Y", type=point_argument, help="e.g. --start=-1.5,2"
    )
    playground.add_argument(
        "--race", metavar="LIST", help="1 to 5 optimizers: sgd:0.1,momentum:0.1,adam:0.1"
    )


def add_inside_parser(sub) -> None:
    """`inside [CHECKPOINT]`: the app on the inside view of a trained network."""
    inside = _command(
        sub,
        "inside",
        cmd_inside,
        "Open the app inside a trained network (a checkpoint, a run of Train, the course's).",
    )
    inside.add_argument("checkpoint", nargs="?", help="a checkpoint written by train --save")
    inside.add_argument("--run", metavar="NAME", help="which run of a race")
    inside.add_argument("--ema", action="store_true", help="the run's averaged (EMA) weights")


def add_lessons_parser(sub) -> None:
    """`lessons [NAME]`: the course."""
    lessons = _command(
        sub, "lessons", cmd_lessons, "Open the self-paced lessons (or list or check a course)."
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


def add_builder_parser(sub) -> None:
    """`builder [STACK]`: the app on the builder."""
    builder = _command(sub, "builder", cmd_builder, "Open the app on the layer-stack builder.")
    builder.add_argument("stack", nargs="?", help="a stack .json file or a one-line spec")
    builder.add_argument("--preset", help="seed-mnist, lenet5, vgg16, resnet50, ...")


def add_calc_parser(sub) -> None:
    """`calc [CALCULATOR]`: the quick calculators."""
    calc = _command(
        sub, "calc", cmd_calc_app, "Quick calculators (no calculator named: open the app's screen)."
    )
    calc_sub = calc.add_subparsers(dest="calc", metavar="CALCULATOR", parser_class=_Parser)

    conv = _calculator(calc_sub, "conv", cmd_calc_conv, "Conv output size (and parameters).")
    conv.add_argument("--size", type=_positive, required=True, help="input height/width W")
    conv.add_argument("--kernel", type=_positive, required=True, help="kernel size F")
    conv.add_argument("--stride", type=_positive, default=1)
    conv.add_argument("--padding", type=_padding, default=0, help="P, or valid/same/full")
    conv.add_argument("--dilation", type=_positive, default=1)
    conv.add_argument("--in-channels", type=_positive, help="C_in, to count parameters")
    conv.add_argument("--filters", type=_positive, default=1, help="K filters")
    conv.add_argument("--groups", type=_positive, default=1)
    conv.add_argument("--no-bias", action="store_true")

    pool = _calculator(calc_sub, "pool", cmd_calc_pool, "Pooling output size.")
    pool.add_argument("--size", type=_positive, required=True)
    pool.add_argument("--kernel", type=_positive, required=True)
    pool.add_argument("--stride", type=_positive, default=None, help="default: the kernel")
    pool.add_argument("--padding", type=int, default=0)
    pool.add_argument("--ceil", action="store_true", help="ceil mode")

    trans = _calculator(calc_sub, "transposed", cmd_calc_transposed, "Transposed conv output size.")
    trans.add_argument("--size", type=_positive, required=True)
    trans.add_argument("--kernel", type=_positive, required=True)
    trans.add_argument("--stride", type=_positive, default=1)
    trans.add_argument("--padding", type=int, default=0)
    trans.add_argument("--output-padding", type=int, default=0)
    trans.add_argument("--dilation", type=_positive, default=1)

    linear = _calculator(calc_sub, "linear", cmd_calc_linear, "Fully connected layer parameters.")
    linear.add_argument("--in-features", type=_positive, required=True)
    linear.add_argument("--out-features", type=_positive, required=True)
    linear.add_argument("--no-bias", action="store_true")

    field = _calculator(
        calc_sub, "receptive-field", cmd_calc_receptive_field, "Receptive field per layer."
    )
    field.add_argument("model", help="preset, one-line spec, or stack file")
    field.add_argument("--input", type=_shape)


def add_export_parser(sub) -> None:
    """`export MODEL`: PyTorch source."""
    export = _command(sub, "export", cmd_export, "Write a stack as standalone PyTorch source.")
    export.add_argument(
        "model", help="preset, one-line spec, stack file, or a checkpoint (.pt) to load weights"
    )
    export.add_argument("--input", type=_shape)
    export.add_argument("--out", help="write to this .py file instead of stdout")
    export.add_argument("--class-name", default="Net")
    export.add_argument("--checkpoint", help="a train --save checkpoint whose weights Net loads")
    export.add_argument("--run", metavar="NAME", help="which run of the checkpoint's race")
    export.add_argument("--ema", action="store_true", help="the run's averaged (EMA) weights")


def add_inspect_parser(sub) -> None:
    """`inspect CHECKPOINT`: one image through a trained network."""
    inspect = _command(
        sub,
        "inspect",
        cmd_inspect,
        "Follow one image through a trained network: every layer, one cell's computation, "
        "saliency, FGSM.",
    )
    add_inspect_arguments(inspect, _count, _number)


def add_presets_parser(sub) -> None:
    """`presets`: the model zoo."""
    presets = _command(sub, "presets", cmd_presets, "List the model zoo with parameter counts.")
    presets.add_argument("--json", action="store_true")


def add_train_parser(sub) -> None:
    """`train`: headless training (the settings, then the outputs)."""
    train = _command(
        sub,
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
    _add_train_settings(train)
    _add_train_transfer(train)
    _add_train_outputs(train)


def _add_train_settings(train) -> None:
    """How the run trains: the optimizer and its schedule, batches, epochs, device, data."""
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
    train.add_argument(
        "--threads",
        dest="cpu_threads",
        metavar="N",
        type=_whole_in(1, MAX_CPU_THREADS),
        help=f"CPU threads torch computes with (default {DEFAULT_CPU_THREADS}, as in the app; "
        "the count changes the last digits of the results)",
    )
    train.add_argument("--augment", metavar="LIST", help='e.g. "shift=2,flip,rotate=10,noise=0.1"')
    train.add_argument("--ema", type=_number, metavar="DECAY", help="weight averaging, e.g. 0.99")
    train.add_argument("--eval-every", metavar="STEPS", type=_count, help="also test every N steps")
    train.add_argument(
        "--log-every", metavar="N", type=_count, help="log line every N iterations (100)"
    )
    train.add_argument(
        "--limit-train",
        metavar="N",
        type=_positive,
        help="use the first N training images (with --classes: N of each class)",
    )
    train.add_argument(
        "--no-cuda-graph",
        action="store_true",
        help="on a CUDA GPU, step kernel by kernel instead of replaying one captured graph",
    )


def _add_train_transfer(train) -> None:
    """Transfer learning: start from a checkpoint, freeze the conv layers, a subset of classes."""
    train.add_argument(
        "--classes", metavar="LIST", help="train and test on these classes only, e.g. 0-4 or 5,7"
    )
    train.add_argument("--finetune", metavar="CHECKPOINT", help="start from a checkpoint's weights")
    train.add_argument("--run", metavar="NAME", help="which run of the --finetune checkpoint")
    train.add_argument(
        "--freeze", choices=list(FREEZE), help="conv: train only the layers after the convs"
    )
    train.add_argument(
        "--new-head",
        action="store_true",
        help="start the last linear layer afresh (a classifier for new classes)",
    )


def _add_train_outputs(train) -> None:
    """What the run writes and prints besides its progress."""
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


def add_optim_parser(sub) -> None:
    """`optim`: optimizers on a 2-D surface (the playground, headless)."""
    optim = _command(
        sub,
        "optim",
        cmd_optim,
        "Run or race optimizers (torch.optim) on a 2-D loss surface; print where they end and "
        "the first updates written out.",
    )
    optim.add_argument("--surface", metavar="NAME", required=True, help=", ".join(SURFACES))
    optim.add_argument(
        "--start",
        metavar="X,Y",
        type=point_argument,
        help="where every run starts (default: the surface's own), e.g. --start=-1.5,2",
    )
    which = optim.add_mutually_exclusive_group(required=True)
    which.add_argument("--optimizer", metavar="NAME", help=", ".join(OPTIMIZERS))
    which.add_argument(
        "--race", metavar="LIST", help="2 to 5 from the same start: sgd:0.01,momentum:0.01,adam:0.1"
    )
    optim.add_argument("--lr", metavar="RATE", type=_number, help="α (default: PyTorch's)")
    optim.add_argument(
        "--momentum",
        metavar="M",
        type=_number,
        help="sgd/rmsprop momentum (momentum, nesterov: 0.9)",
    )
    optim.add_argument("--rho", metavar="R", type=_number, help="RMSProp's decay (0.99)")
    optim.add_argument("--betas", metavar="B1,B2", type=_betas, help="Adam's betas (0.9,0.999)")
    optim.add_argument("--eps", metavar="E", type=_number, help="ε (default: PyTorch's)")
    optim.add_argument("--weight-decay", metavar="WD", type=_number, help="λ (0; adamw: 0.01)")
    optim.add_argument(
        "--steps", metavar="N", type=_whole_in(1, MAX_STEPS), default=200, help="default 200"
    )
    optim.add_argument(
        "--trace", metavar="K", type=_count, default=0, help="write out the first K updates"
    )
    optim.add_argument("--json", action="store_true", help="print JSON: every point of every path")
