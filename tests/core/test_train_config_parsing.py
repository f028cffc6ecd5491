"""The text forms of a training configuration's numbers, betas and augmentation: format_number,
parse_betas, format_betas, parse_augment and format_augment (exact values, errors that name the
setting, round trips)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnn_tui.core.training.train_config import (
    Augment,
    ConfigError,
    format_augment,
    format_betas,
    format_number,
    parse_augment,
    parse_betas,
)


def test_format_number_is_short_and_exact():
    assert [format_number(x) for x in (0.1, 10.0, 2, 0.0, 1e-5)] == ["0.1", "10", "2", "0", "1e-05"]
    assert format_number(0.123456789) == "0.123456789"
    assert format_number(1 / 3) == "0.3333333333333333"


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_format_number_reads_back(number):
    assert float(format_number(number)) == number


# ---------------------------------------------------------------------------------------------
# betas


@pytest.mark.parametrize(
    ("text", "betas"),
    [
        ("0.9,0.999", (0.9, 0.999)),
        ("0.8, 0.99", (0.8, 0.99)),
        ("(0.5, 0.9)", (0.5, 0.9)),
        ("0 0.5", (0.0, 0.5)),
        (" 0.95,0.9999 ", (0.95, 0.9999)),
    ],
)
def test_parse_betas(text, betas):
    assert parse_betas(text) == betas


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0.9", "betas are two numbers like 0.9,0.999, got '0.9'"),
        ("0.9,0.99,0.999", "betas are two numbers like 0.9,0.999, got '0.9,0.99,0.999'"),
        ("a,b", "betas are two numbers like 0.9,0.999, got 'a,b'"),
        ("", "betas are two numbers like 0.9,0.999, got ''"),
        ("1,0.999", "betas must be in [0, 1), like 0.9,0.999, got '1,0.999'"),
        ("0.9,-0.1", "betas must be in [0, 1), like 0.9,0.999, got '0.9,-0.1'"),
        ("nan,0.9", "betas must be in [0, 1)"),
    ],
)
def test_bad_betas_are_named(text, message):
    with pytest.raises(ConfigError) as caught:
        parse_betas(text)
    assert str(caught.value).startswith(message)


def test_format_betas():
    assert format_betas((0.9, 0.999)) == "0.9,0.999"
    assert format_betas((0.0, 0.5)) == "0,0.5"
    assert format_betas((0.123456789, 0.9)) == "0.123456789,0.9"  # not cut to 6 digits


@settings(max_examples=200, deadline=None)
@given(st.tuples(*[st.floats(min_value=0, max_value=1, exclude_max=True)] * 2))
def test_betas_round_trip(betas):
    assert parse_betas(format_betas(betas)) == betas


# ---------------------------------------------------------------------------------------------
# augmentation


@pytest.mark.parametrize(
    ("text", "augment"),
    [
        ("shift=2,flip,rotate=10,noise=0.1", Augment(shift=2, flip=True, rotate=10.0, noise=0.1)),
        ("", Augment()),
        ("none", Augment()),
        ("shift=1", Augment(shift=1)),
        ("flip", Augment(flip=True)),
        ("flip=yes", Augment(flip=True)),
        ("flip=false", Augment()),
        ("FLIP, Rotate=15", Augment(flip=True, rotate=15.0)),
        ("noise=0.25 shift=3", Augment(shift=3, noise=0.25)),
    ],
)
def test_parse_augment(text, augment):
    assert parse_augment(text) == augment


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("spin=3", "augmentation 'spin' is not one of shift, flip, rotate, noise"),
        ("shift", "augmentation shift needs a value, e.g. shift=2"),
        ("shift=1.5", "augmentation shift='1.5': expected a whole number of pixels"),
        ("noise=lots", "augmentation noise='lots': expected a number"),
        ("flip=maybe", "augmentation flip takes no value (or true/false), not 'maybe'"),
        ("rotate=200", "rotation of 200.0 degrees: use at most 180"),
        ("shift=-1", "augmentation amounts must be numbers, 0 or more"),
        ("noise=nan", "augmentation amounts must be numbers, 0 or more"),
    ],
)
def test_bad_augmentation_is_named(text, message):
    with pytest.raises(ConfigError) as caught:
        parse_augment(text)
    assert str(caught.value).startswith(message)


def test_format_augment():
    assert format_augment(Augment()) == ""
    assert format_augment(Augment(2, True, 10.0, 0.1)) == "shift=2,flip,rotate=10,noise=0.1"
    assert format_augment(Augment(flip=True)) == "flip"
    assert format_augment(Augment(noise=0.05)) == "noise=0.05"
    assert format_augment(Augment(rotate=12.3456789)) == "rotate=12.3456789"


@settings(max_examples=300, deadline=None)
@given(
    st.builds(
        Augment,
        shift=st.integers(min_value=0, max_value=50),
        flip=st.booleans(),
        rotate=st.floats(min_value=0, max_value=180),
        noise=st.floats(min_value=0, max_value=10),
    )
)
def test_augment_round_trip(augment):
    assert parse_augment(format_augment(augment)) == augment


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(["shift=3", "flip", "rotate=7.5", "noise=0.2", "none", ""]), max_size=6
    )
)
def test_text_round_trip_is_stable(parts):
    augment = parse_augment(",".join(parts))
    assert format_augment(augment) == format_augment(parse_augment(format_augment(augment)))
    assert augment.active == bool(format_augment(augment))
