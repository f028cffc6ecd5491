"""The `export` subcommand: a stack written as standalone PyTorch source."""

from __future__ import annotations

import argparse
import sys

from ..core.plain_text import visible
from .common import UsageError, _console, _load_stack


def cmd_export(args: argparse.Namespace) -> int:
    if args.out is not None and not args.out.strip():
        raise UsageError("--out needs a file name (leave --out out to print the source)")
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
