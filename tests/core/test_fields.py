"""The field readers the app and the CLI share (cnn_tui.core.views.fields)."""

import pytest

from cnn_tui.core.plain_text import plural
from cnn_tui.core.views.fields import (
    FieldError,
    read_bias,
    read_padding,
    read_whole,
    read_whole_or_pair,
)
from cnn_tui.core.views.stepper_config import StepperConfig, read_config


def test_read_whole_and_padding_name_the_field():
    assert read_whole("kernel", " 5 ") == 5
    assert read_padding("padding", "SAME") == "same"
    assert read_padding("padding", "2") == 2
    with pytest.raises(FieldError, match=r"^kernel: expected a whole number, got 'abc'$"):
        read_whole("kernel", "abc")
    with pytest.raises(FieldError, match=r"^padding: must be 0 or more, got -2$"):
        read_padding("padding", "-2")


def test_read_whole_limits_and_odd_digits():
    assert read_whole("seed", "0", minimum=0) == 0
    assert read_whole("n", "-3", minimum=None) == -3
    with pytest.raises(FieldError, match=r"^n: expected a whole number, got nothing$"):
        read_whole("n", "  ")
    with pytest.raises(FieldError, match=r"^channels: must be from 1 to 4, got 5$"):
        read_whole("channels", "5", minimum=1, maximum=4)
    for odd in ("1_000", "١٢", "1.5"):  # int() takes the first two
        with pytest.raises(FieldError, match="expected a whole number"):
            read_whole("n", odd)


def test_pairs_and_paddings():
    assert read_whole_or_pair("stride", "2x1") == (2, 1)
    assert read_whole_or_pair("stride", "3x3") == 3
    assert read_padding("padding", "0x1", pairs=True) == (0, 1)
    assert read_padding("padding", " Full ", pairs=True) == "full"
    with pytest.raises(FieldError, match=r"^padding: must be 0 or more, got -1$"):
        read_padding("padding", "0x-1", pairs=True)
    with pytest.raises(FieldError, match=r"^padding: expected a whole number or valid/same/full"):
        read_padding("padding", "0x1")  # no pairs here


def test_bias_and_plural():
    assert read_bias("bias", "") == (0.0,)
    assert read_bias("bias", "1, -0.5") == (1.0, -0.5)
    with pytest.raises(FieldError, match=r"^bias: 'nan' is not a finite number$"):
        read_bias("bias", "nan")
    assert plural(1, "epoch") == "1 epoch"
    assert plural(2_000, "step") == "2,000 steps"


def test_a_stepper_config_reads_back_what_its_fields_show():
    config = StepperConfig(stride=(2, 1), padding=(0, 1), dilation=(1, 2), bias=(1.0, 0.0))
    assert read_config("conv2d", config.texts()) == config
    pool = StepperConfig(operation="maxpool", stride=None, size=(3, 1), ceil_mode=True)
    assert read_config("maxpool", pool.texts(), ceil_mode=True) == pool
    with pytest.raises(FieldError, match=r"^filters: must be from 1 to 4, got 9$"):
        read_config("conv2d", {**config.texts(), "filters": "9"})
