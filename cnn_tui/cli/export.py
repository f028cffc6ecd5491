"""The `export` subcommand: a stack written as standalone PyTorch source."""

from __future__ import annotations

import argparse
import sys

from ..core.plain_text import visible
from .common import UsageError, _console, _load_stack


def cmd_export(args: argparse.Namespace) -> int:
    if args.out is not None and not args.out.strip():
        raise UsageError("--out needs a file name (leave --out out to print the source)")
    checkpoint = args.checkpoint
    if checkpoint is None and args.model.lower().endswith((".pt", ".pth")):
        checkpoint = args.model
    if checkpoint is not None:
        source = _with_weights(args, checkpoint)
    else:
        if args.run is not None or args.ema:
            raise UsageError("--run and --ema pick a checkpoint's weights: name a checkpoint")
        stack = _load_stack(args.model, args.input)
        stack.output_shape()  # raises StackError naming the failing layer before torch is touched
        from ..core.stacks.torch_bridge import export_source

        source = export_source(stack, class_name=args.class_name)
    if args.out is not None:
        from pathlib import Path

        from ..core.safe_files import write_atomic

        try:
            write_atomic(Path(args.out), source)
        except OSError as exc:
            raise UsageError(f"{args.out}: cannot write ({exc.strerror or exc})") from None
        _console(stderr=True).print(f"wrote {visible(args.out)}", markup=False, soft_wrap=True)
    else:
        sys.stdout.write(source)
    return 0


def _with_weights(args: argparse.Namespace, checkpoint: str) -> str:
    """Source whose Net loads the checkpoint's weights; a spec given beside --checkpoint
    must be the checkpoint's own stack."""
    from ..core.inspect.network import export_checkpoint, load_network
    from ..core.stacks.torch_bridge import check_class_name

    check_class_name(args.class_name)
    if args.input is not None:
        raise UsageError("--input comes from the checkpoint: leave it out")
    if args.checkpoint is not None:
        stack = _load_stack(args.model, None)
        saved = load_network(checkpoint, run=args.run, ema=args.ema).stack
        if stack.layers != saved.layers:
            raise UsageError(
                f"the checkpoint's stack is {saved.spec}, not {stack.spec}: "
                "export the checkpoint alone (cnn-tui export CHECKPOINT)"
            )
    return export_checkpoint(checkpoint, run=args.run, ema=args.ema, class_name=args.class_name)
