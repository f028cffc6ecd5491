"""Checks a trace makes before it is built: the window fits, the size limits, no overflow."""

from __future__ import annotations

from collections.abc import Sequence

from .arithmetic import (
    ArithmeticError_,
    SizeReport,
    check_pool_padding,
    effective_kernel,
    resolve_padding,
    size_report,
)
from .stepper import MAX_SIDE, MAX_TERMS, StepperError

_LARGEST_FLOAT = "the largest float (about 1.8e308)"


def _dims(shape: Sequence[int]) -> str:
    return "x".join(str(n) for n in shape)


def checked_size_reports(
    sizes: Sequence[int],
    window: Sequence[int],
    stride: Sequence[int],
    padding: Sequence[int | str],
    dilation: Sequence[int],
    ceil_mode: bool,
    window_name: str,
) -> tuple[SizeReport, ...]:
    """size_report per axis, after checking the window fits with a message in the grid's terms."""
    try:
        pads = [
            resolve_padding(k, p, d, s)
            for k, p, d, s in zip(window, padding, dilation, stride, strict=True)
        ]
        spans = [effective_kernel(k, d) for k, d in zip(window, dilation, strict=True)]
        padded = [n + before + after for n, (before, after) in zip(sizes, pads, strict=True)]
        if any(span > room for span, room in zip(spans, padded, strict=True)):
            dilated = "dilated " if any(d > 1 for d in dilation) else ""
            if len(sizes) == 1:
                raise StepperError(
                    f"{dilated}{window_name} covers {spans[0]} samples "
                    f"but the padded signal has only {padded[0]}"
                )
            verb = "spans" if dilated else "is"
            raise StepperError(
                f"{dilated}{window_name} {verb} {_dims(spans)} "
                f"but the padded input is only {_dims(padded)}"
            )
        _check_side(sizes, padded, padding, dilation)
        return tuple(
            size_report(n, k, s, p, d, ceil_mode)
            for n, k, s, p, d in zip(sizes, window, stride, padding, dilation, strict=True)
        )
    except ArithmeticError_ as error:
        raise StepperError(str(error)) from None


def _check_side(
    sizes: Sequence[int],
    padded: Sequence[int],
    padding: Sequence[int | str],
    dilation: Sequence[int],
) -> None:
    """Refuse a padded input longer than MAX_SIDE on any axis, blaming the padding or the input."""
    if max(padded) <= MAX_SIDE:
        return
    one_d = len(sizes) == 1
    limit = f"{MAX_SIDE} samples" if one_d else f"{MAX_SIDE}x{MAX_SIDE}"
    if max(sizes) > MAX_SIDE:
        what = f"signal has {sizes[0]} samples" if one_d else f"input is {_dims(sizes)}"
        raise StepperError(f"{what}; the stepper shows at most {limit}")
    same = all(p == padding[0] for p in padding)
    cause = f"padding {_shown(padding[0]) if same else tuple(padding)}"
    if isinstance(padding[0], str) and max(dilation) > 1:
        cause += f" with dilation {max(dilation):,}"
    result = (
        f"a padded signal of {padded[0]:,} samples" if one_d else f"a {_dims(padded)} padded input"
    )
    raise StepperError(f"{cause} makes {result}; the stepper shows at most {limit}")


def _shown(value: int | str) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def check_terms(steps: int, per_step: int, what: str) -> None:
    """Refuse a trace with more than MAX_TERMS window cells in all."""
    if steps * per_step > MAX_TERMS:
        raise StepperError(
            f"{steps:,} output cells x {per_step:,} {what} each = {steps * per_step:,} {what}; "
            f"the stepper traces at most {MAX_TERMS:,}"
        )


def overflow_error(where: tuple[int, ...], what: str) -> StepperError:
    """The error for an output cell whose computation left the float range."""
    cell = ", ".join(str(i) for i in where)
    return StepperError(f"output[{cell}] overflows: {what} is beyond {_LARGEST_FLOAT}")


def check_pool_padding_rule(window: int, padding: int | str) -> None:
    """PyTorch's rule that pool padding is at most half the window, as a StepperError."""
    try:
        check_pool_padding(window, padding)
    except ArithmeticError_ as error:
        raise StepperError(str(error)) from None
