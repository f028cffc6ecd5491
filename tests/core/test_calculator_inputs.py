"""The calculators' readers in the core: typed shapes, typed stacks, and the blamed field."""

from __future__ import annotations

import pytest

from cnn_tui.core.convolution.arithmetic import ArithmeticError_
from cnn_tui.core.stacks.shapes import MAX_LAYERS
from cnn_tui.core.views.calculator_inputs import blame, read_shape, read_stack
from cnn_tui.core.views.fields import FieldError


def test_blame_names_the_field_an_engine_message_starts_with():
    named = blame(ArithmeticError_("stride must be 1 or more"), ("kernel", "stride"), "kernel")
    assert (named.field, named.reason) == ("stride", "must be 1 or more")
    other = blame(ArithmeticError_("the window does not fit"), ("stride",), "kernel")
    assert (other.field, other.reason) == ("kernel", "the window does not fit")


def test_read_shape_empty_means_the_stacks_own():
    assert read_shape("input shape", "  ") is None
    assert read_shape("input shape", "3x32x32") == (3, 32, 32)
    with pytest.raises(FieldError) as caught:
        read_shape("input shape", "3xax4")
    assert caught.value.field == "input shape"


def test_read_stack_counts_layers_and_names_the_field():
    stack, layers = read_stack("spec", "conv(8,3) relu maxpool(2)", (1, 28, 28))
    assert layers == 3 and stack.input_shape == (1, 28, 28)
    with pytest.raises(FieldError, match="type a preset"):
        read_stack("model", "", None)
    with pytest.raises(FieldError) as caught:
        read_stack("model", "nonsense(", None)
    assert caught.value.field == "model"
    with pytest.raises(FieldError, match=r"^model: .*too big"):
        read_stack("model", f"relu*{MAX_LAYERS + 1}", (1, 8, 8))
