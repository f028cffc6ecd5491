"""The playground's written-out updates (the core's own formulas) agree with torch.optim's
paths and states: every optimizer, default and other settings, with weight decay, 200 steps
on every surface, up to the step where a run diverges."""

from __future__ import annotations

import pytest

from cnn_tui.core.optim.paths import optimizer_path
from cnn_tui.core.optim.setup import make_setup
from cnn_tui.core.optim.surfaces import SURFACES
from cnn_tui.core.optim.updates import update_at, written_updates

OTHER_SETTINGS: dict[str, dict] = {
    "sgd": {"lr": 0.01, "momentum": 0.5},
    "momentum": {"lr": 0.003, "momentum": 0.99},
    "nesterov": {"lr": 0.005, "momentum": 0.7},
    "adagrad": {"lr": 0.5, "eps": 1e-6},
    "rmsprop": {"lr": 0.01, "rho": 0.9, "momentum": 0.5, "eps": 1e-6},
    "adam": {"lr": 0.1, "betas": (0.3, 0.99), "eps": 1e-6},  # β1 < 0.5: lerp's other form
    "adamw": {"lr": 0.05, "betas": (0.8, 0.95), "eps": 1e-7},
}


def _close(ours: float, theirs: float) -> bool:
    """Relative 1e-9, absolute for values under 1."""
    return abs(ours - theirs) <= 1e-9 * max(1.0, abs(theirs))


def _settings(name: str) -> list[dict]:
    other = OTHER_SETTINGS[name]
    return [{}, other, {**other, "weight_decay": 0.1}]


def _assert_agrees(update, point, state, what):
    assert all(map(_close, update.new_point, point)), (what, update.step)
    ours = {q.symbol: q.value for q in update.quantities if q.symbol in state}
    assert ours.keys() == state.keys(), (what, update.step)
    for symbol, value in state.items():
        assert all(map(_close, ours[symbol], value)), (what, update.step, symbol)


@pytest.mark.parametrize("surface_name", list(SURFACES))
@pytest.mark.parametrize("name", list(OTHER_SETTINGS))
def test_each_written_step_follows_torch_optim(surface_name, name):
    """Every step of the torch run, written out by the core from the run's point and state
    before it, lands on torch's next point and state: default and other settings, with
    weight decay, 200 steps or up to the divergence."""
    where = SURFACES[surface_name]
    for given in _settings(name):
        setup = make_setup(name, **given)
        run = optimizer_path(setup, where, steps=200)
        assert len(run.states) == run.steps_taken
        for k in range(1, run.steps_taken + 1):
            update = update_at(setup, where, run.path, run.states, k)
            _assert_agrees(update, run.path[k], run.states[k - 1], setup.describe())
        assert (run.status == "diverged") == bool(where.escape(run.path[-1]))
        assert run.steps_taken == 200 or run.status == "diverged"


@pytest.mark.parametrize("name", list(OTHER_SETTINGS))
def test_the_core_alone_retraces_torchs_default_paths(name):
    """With PyTorch's default settings the core's own run (no torch) follows torch's whole
    path on every surface: the same arithmetic in the same order, fused multiply-adds too."""
    setup = make_setup(name)
    for where in SURFACES.values():
        run = optimizer_path(setup, where, steps=200)
        updates = written_updates(setup, where, where.start, 200)
        assert len(updates) == run.steps_taken
        for update, point, state in zip(updates, run.path[1:], run.states, strict=True):
            _assert_agrees(update, point, state, (where.name, setup.describe()))


def test_the_agreement_covers_diverging_runs():
    """Some of the settings above leave the limits: the comparison stops at that step."""
    diverged = {
        (surface_name, name)
        for surface_name, where in SURFACES.items()
        for name in ("sgd", "nesterov", "adagrad")
        if optimizer_path(make_setup(name, **OTHER_SETTINGS[name]), where, steps=200).status
        == "diverged"
    }
    assert {("rosenbrock", "sgd"), ("rosenbrock", "nesterov")} <= diverged, diverged
