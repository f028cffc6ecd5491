"""The playground's surfaces, settings and written-out updates: exact values, lesson 10's
first steps, PyTorch's defaults, divergence messages and bad settings."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

from cnn_tui.core.optim.paths import optimizer_path
from cnn_tui.core.optim.setup import TORCH_DEFAULTS, SetupError, make_race, make_setup
from cnn_tui.core.optim.surfaces import SURFACES, shade_levels, surface_grid
from cnn_tui.core.optim.updates import written_updates


@pytest.mark.parametrize("where", SURFACES.values(), ids=list(SURFACES))
def test_analytic_gradients_match_autograd_and_minima_are_flat(where):
    import torch

    for point in (where.start, (0.7, -1.3), (-2.0, 0.5)):
        p = torch.tensor(point, dtype=torch.float64, requires_grad=True)
        where.value(p[0], p[1]).backward()
        assert where.gradient(*point) == pytest.approx(p.grad.tolist(), rel=1e-12, abs=1e-12)
    for minimum in where.minima:
        assert where.gradient(*minimum) == pytest.approx((0, 0), abs=1e-12)
        assert not where.escape(minimum)


def test_surface_values_from_the_issue():
    assert SURFACES["rosenbrock"].loss((-1.5, 2.0)) == 12.5
    assert SURFACES["saddle"].loss((0.0, math.sqrt(2))) == pytest.approx(-1)
    assert SURFACES["beale"].loss((3.0, 0.5)) == 0
    assert SURFACES["himmelblau"].loss((3.0, 2.0)) == 0
    assert SURFACES["ravine"].loss((10.0, 1.0)) == 10


def test_grid_rows_run_top_down_and_shades_use_every_level():
    grid = surface_grid(SURFACES["bowl"], 4, 2)
    assert grid.xs.tolist() == [-1.5, -0.5, 0.5, 1.5]
    assert grid.ys.tolist() == [1.0, -1.0]
    assert grid.values[0].tolist() == [3.25, 1.25, 1.25, 3.25]
    shades = shade_levels(np.array([[0.0, 1.0, 1e6]]), 4)
    assert shades.tolist() == [[0, 0, 3]]


def test_torch_defaults_are_torchs_own():
    import torch

    kinds = {
        "sgd": torch.optim.SGD,
        "adagrad": torch.optim.Adagrad,
        "rmsprop": torch.optim.RMSprop,
        "adam": torch.optim.Adam,
        "adamw": torch.optim.AdamW,
    }
    names = {"rho": "alpha"}
    for name, kind in kinds.items():
        signature = inspect.signature(kind.__init__).parameters
        for key, value in TORCH_DEFAULTS[name].items():
            assert signature[names.get(key, key)].default == value, (name, key)
    assert TORCH_DEFAULTS["momentum"]["momentum"] == TORCH_DEFAULTS["nesterov"]["momentum"] == 0.9


def test_lesson_10_first_steps_rmsprop_ten_alpha_adam_alpha():
    bowl = SURFACES["bowl"]
    rmsprop = written_updates(make_setup("rmsprop", lr=0.001), bowl, (-1.5, 1.0), 1)[0]
    assert rmsprop.change == pytest.approx((0.01, -0.01), rel=1e-6)
    adam = written_updates(make_setup("adam", lr=0.001), bowl, (-1.5, 1.0), 1)[0]
    assert adam.change == pytest.approx((0.001, -0.001), rel=1e-6)
    assert [q.symbol for q in adam.quantities] == ["g", "m", "v", "m̂", "v̂", "Δx"]
    assert adam.quantities[3].value == pytest.approx((-3.0, 2.0))


def test_momentum_velocity_and_adamw_decay_written_out():
    bowl = SURFACES["bowl"]
    steps = written_updates(make_setup("momentum", lr=0.1), bowl, (1.0, 0.0), 2)
    assert [q.formula for q in steps[1].quantities] == ["g = ∇f(x)", "v ← ρ·v + g", "Δx = −α·v"]
    assert steps[1].quantities[1].value == pytest.approx((0.9 * 2 + 1.6, 0))
    adamw = written_updates(make_setup("adamw", lr=0.1), bowl, (1.0, 0.0), 1)[0]
    assert adamw.quantities[1].formula == "x ← (1 − α·λ)·x"
    assert adamw.quantities[1].value == (0.999, 0.0)


def test_diverged_runs_stop_with_the_step_and_the_bound():
    run = optimizer_path(make_setup("sgd", lr=0.05), SURFACES["himmelblau"], steps=200)
    assert run.status == "diverged" and run.diverged_at == 6
    assert run.message == "diverged at step 6: |x| > 15 (x = 268.8)"
    assert len(run.path) == len(run.losses) == 7
    assert run.left_view(SURFACES["himmelblau"]) == 4  # out of view before the limit
    huge = optimizer_path(make_setup("sgd", lr=1e308), SURFACES["bowl"], steps=5)
    assert huge.message == "diverged at step 1: x is inf"


def test_reached_and_race_labels():
    run = optimizer_path(make_setup("rmsprop", lr=0.05), SURFACES["himmelblau"], steps=50)
    assert run.reached(SURFACES["himmelblau"]) == 30
    race = make_race("sgd:0.1,sgd:0.01,adam", betas=(0.8, 0.9), lr=0.2)
    assert [s.title for s in race] == ["sgd lr=0.1", "sgd lr=0.01", "adam"]
    assert race[2].lr == 0.2 and race[2].betas == (0.8, 0.9)


@pytest.mark.parametrize(
    ("name", "given", "message"),
    [
        ("adam", {"momentum": 0.5}, "adam takes no momentum"),
        ("nesterov", {"momentum": 0.0}, "nesterov needs a momentum above 0"),
        ("rmsprop", {"rho": 1.0}, "rho must be in [0, 1)"),
        ("sgd", {"lr": 0.0}, "lr must be more than 0"),
        ("adagrad", {"eps": math.nan}, "eps must be a finite number"),
        ("lion", {}, "optimizer 'lion' is not one of"),
    ],
)
def test_bad_settings_name_the_culprit(name, given, message):
    with pytest.raises(SetupError, match=message.replace("[", r"\[").replace(")", r"\)")):
        make_setup(name, **given)
