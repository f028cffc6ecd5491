"""The playground's answer functions (lesson 10): exact values from torch.optim's paths."""

from __future__ import annotations

import pytest

from cnn_tui.core.course.lesson_answers import compute
from cnn_tui.core.course.lessons import LessonError


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("first_to_minimum(surface=ravine, race='sgd:0.1,momentum:0.1,adam:0.1')", "momentum"),
        ("first_to_minimum(surface=ravine, race='sgd:0.01,adam:0.001', steps=20)", "none"),
        ("steps_to_minimum(surface=ravine, optimizer='momentum:0.1')", 123),
        ("first_overshoot(surface=ravine, optimizer='momentum:0.1', momentum=0.99)", 16),
        ("first_overshoot(surface=ravine, optimizer='momentum:0.1', momentum=0.9)", 24),
        ("steps_to_leave(surface=saddle, optimizer='sgd:0.1')", 40),
        ("steps_to_leave(surface=saddle, optimizer='sgd:0.01')", 366),
        ("steps_to_leave(surface=saddle, optimizer='momentum:0.01')", 73),
    ],
)
def test_answers(expression, expected):
    assert compute(expression) == expected


def test_rmsprop_first_step_is_ten_times_adams():
    rmsprop = compute("step_size(surface=ravine, optimizer='rmsprop:0.01')")
    adam = compute("step_size(surface=ravine, optimizer='adam:0.01')")
    assert rmsprop == pytest.approx(0.1, rel=1e-6) and adam == pytest.approx(0.01, rel=1e-6)


def test_bad_targets_name_the_problem():
    with pytest.raises(LessonError, match="surface 'hill' is not one of"):
        compute("first_to_minimum(surface=hill, race='sgd,adam')")
    with pytest.raises(LessonError, match="does not overshoot"):
        compute("first_overshoot(surface=ravine, optimizer='sgd:0.01', steps=5)")
