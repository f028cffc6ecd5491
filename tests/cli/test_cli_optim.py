"""`cnn-tui optim`: the JSON's shape, negative starts, races, a diverged run, the written-out
trace and one-line errors for bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from cli_helpers import run_json

from cnn_tui.cli import main


def test_json_has_steps_plus_one_points_from_the_start(capsys):
    data = run_json(
        capsys, "optim", "--surface", "rosenbrock", "--optimizer", "adam", "--steps", "5"
    )
    assert data["surface"] == "rosenbrock" and data["start"] == [-1.5, 2.0]
    (run,) = data["runs"]
    assert run["optimizer"] == "adam" and run["lr"] == 0.001 and run["status"] == "done"
    assert len(run["path"]) == len(run["loss"]) == 6
    assert run["path"][0] == [-1.5, 2.0] and run["loss"][0] == 12.5
    assert run["path"][1] == pytest.approx([-1.499, 2.001])


@pytest.mark.parametrize("start", [["--start=-1.5,2"], ["--start", "-1.5,2"]])
def test_negative_starts_both_ways(capsys, start):
    data = run_json(
        capsys, "optim", "--surface", "bowl", *start, "--optimizer", "sgd", "--steps", "1"
    )
    assert data["start"] == [-1.5, 2.0]
    assert data["runs"][0]["path"][1] == pytest.approx([-1.497, 1.996])


def test_race_applies_shared_flags_and_marks_the_diverged_run(capsys):
    data = run_json(
        capsys, "optim", "--surface", "himmelblau", "--race", "sgd:0.05,adam:0.05,rmsprop:0.05",
        "--eps", "1e-6", "--steps", "50",
    )  # fmt: skip
    sgd, adam, rmsprop = data["runs"]
    assert sgd["status"] == "diverged" and len(sgd["path"]) == 7
    assert sgd["message"] == "diverged at step 6: |x| > 15 (x = 268.8)"
    assert "eps" not in sgd and adam["eps"] == rmsprop["eps"] == 1e-6
    assert len(adam["path"]) == 51 and rmsprop["reached_minimum_at"] is not None


def test_trace_writes_out_the_first_updates(capsys):
    assert main(["optim", "--surface", "himmelblau", "--optimizer", "adam", "--lr", "0.05",
                 "--steps", "3", "--trace", "1"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "adam step 1: x = (0, 0), f = 170" in out
    assert "m̂ = m / (1 − β1^t)       = (-14, -22)" in out
    assert "Δx = −α·m̂ / (√v̂ + ε)     = (0.05, 0.05)" in out
    assert "adam step 2" not in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--surface", "nope", "--optimizer", "sgd"], "surface 'nope' is not one of bowl"),
        (
            ["--surface", "bowl", "--optimizer", "adam", "--momentum", "0.5"],
            "adam takes no momentum",
        ),
        (
            ["--surface", "bowl", "--race", "sgd,adam", "--rho", "0.9"],
            "none of sgd, adam takes rho",
        ),
        (["--surface", "bowl", "--optimizer", "sgd", "--start=1"], "start is two numbers"),
        (["--surface", "bowl", "--optimizer", "sgd", "--start=100,0"], "outside bowl's limits"),
        (["--surface", "bowl", "--race", "sgd"], "use --optimizer for one"),
        (["--surface", "bowl", "--optimizer", "sgd", "--steps", "0"], "--steps"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, args, message):
    with pytest.raises(SystemExit) if "--steps" in message or "two numbers" in message else _no():
        code = main(["optim", *args])
        assert code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


class _no:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_help_and_the_optim_help_import_no_torch():
    code = (
        "import contextlib, io, sys\n"
        "from cnn_tui import cli\n"
        "for argv in (['--help'], ['optim', '--help']):\n"
        "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "        cli.main(argv)\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().lower()) is False
