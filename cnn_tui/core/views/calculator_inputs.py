"""Reading the calculators' typed stacks and shapes, and naming the field an engine message
blames: each as a FieldError that names the field at fault."""

from __future__ import annotations

from collections.abc import Sequence

from ..convolution.arithmetic import ArithmeticError_
from ..stacks.shapes import MAX_LAYERS, Shape, StackError, parse_shape
from ..stacks.stack import Stack, row_count
from ..stacks.zoo import resolve_stack
from .fields import FieldError


def blame(exc: ArithmeticError_, fields: Sequence[str], default: str) -> FieldError:
    """An engine message as a FieldError, naming the field it starts with (else default)."""
    text = str(exc)
    for field in fields:
        if text.startswith(field + " "):
            return FieldError(field, text[len(field) + 1 :])
    return FieldError(default, text)


def read_shape(field: str, text: str) -> Shape | None:
    """A typed input shape, or None when empty (the stack's own)."""
    if not text.strip():
        return None
    try:
        return parse_shape(text)
    except StackError as exc:
        raise FieldError(field, exc.describe().removeprefix("input shape ")) from None


def read_stack(field: str, text: str, shape: Shape | None) -> tuple[Stack, int]:
    """A preset, spec or stack file, with its number of layers (blocks counted inside)."""
    if not text.strip():
        raise FieldError(field, "type a preset (vgg16) or layers like conv(20,5) relu maxpool(2)")
    try:
        stack = resolve_stack(text, shape)
    except (StackError, ValueError, OSError) as exc:
        reason = exc.describe() if isinstance(exc, StackError) else str(exc)
        raise FieldError(field, reason) from None
    layers = row_count(stack.layers)
    if layers > MAX_LAYERS:  # a stack file may hold more than a spec (the parser's limit)
        raise FieldError(field, f"{layers:,} layers; the calculators stop at {MAX_LAYERS:,}")
    return stack, layers
