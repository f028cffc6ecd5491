"""main(): parse the command line, run the subcommand, print its errors as one line."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ..core.convolution.arithmetic import ArithmeticError_
from ..core.stacks.shapes import StackError
from .app_launch import open_app
from .common import EXIT_BAD_INPUT, UsageError, _console, _error
from .optim import glue_negative_points
from .parser import build_parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(glue_negative_points(sys.argv[1:] if argv is None else argv))
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
        from ..core.safe_files import naming

        worded = naming(exc.filename, exc) if exc.filename else exc
        _error(f"{exc.filename}: {worded.strerror}" if exc.filename else str(exc.strerror or exc))
        return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
