"""quick_switching: the short switch interval an in-app run trains with, and its restoring."""

from __future__ import annotations

import sys

import pytest

from cnn_tui.core.training.sharing import TRAINING_SWITCH_SECONDS, quick_switching


@pytest.fixture
def default_interval():
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    yield
    sys.setswitchinterval(before)


def test_the_interval_is_short_inside_and_restored_after(default_interval):
    with quick_switching():
        assert sys.getswitchinterval() == pytest.approx(TRAINING_SWITCH_SECONDS)
    assert sys.getswitchinterval() == pytest.approx(0.005)


def test_it_is_restored_after_an_error(default_interval):
    with pytest.raises(RuntimeError), quick_switching(0.0005):
        assert sys.getswitchinterval() == pytest.approx(0.0005)
        raise RuntimeError("the run broke")
    assert sys.getswitchinterval() == pytest.approx(0.005)


def test_overlapping_runs_restore_it_when_the_last_one_ends(default_interval):
    first, second = quick_switching(), quick_switching()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert sys.getswitchinterval() == pytest.approx(TRAINING_SWITCH_SECONDS)
    second.__exit__(None, None, None)
    assert sys.getswitchinterval() == pytest.approx(0.005)


def test_a_shorter_interval_already_set_is_kept(default_interval):
    sys.setswitchinterval(0.0002)
    shorter = sys.getswitchinterval()  # (Python keeps it in whole microseconds)
    with quick_switching():
        assert sys.getswitchinterval() == shorter
    assert sys.getswitchinterval() == shorter
