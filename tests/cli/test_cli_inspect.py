"""`cnn-tui inspect`: the issue's JSON keys, the cell trace's sum, maps on disk, clean failures."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cnn_tui.cli import main

torch = pytest.importorskip("torch")


def inspect_json(capsys, checkpoint, *args: str) -> dict:
    code = main(["inspect", str(checkpoint), "--run", "adam", *args, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_json_has_the_issues_keys(capsys, inspect_checkpoint):
    data = inspect_json(
        capsys, inspect_checkpoint, "--image", "7", "--cell", "3,4,1,2", "--fgsm", "0.05"
    )
    assert set(data) == {"input", "prediction", "layers", "cell", "fgsm"}
    assert data["input"] == {"source": "digits test image 7", "index": 7, "label": "5"}
    assert set(data["prediction"]) == {"top3", "probabilities"}
    assert [set(c) for c in data["prediction"]["top3"]] == [{"class", "probability"}] * 3
    assert len(data["prediction"]["probabilities"]) == 10
    assert sum(data["prediction"]["probabilities"]) == pytest.approx(1.0, abs=1e-6)
    assert data["layers"][6] == {**data["layers"][6], "row": "6.1.1", "shape": [6, 4, 4]}
    assert {tuple(sorted(layer)) for layer in data["layers"]} == {
        ("max", "mean", "min", "name", "row", "shape")
    }
    cell = data["cell"]
    assert set(cell) == {
        "layer",
        "channel",
        "y",
        "x",
        "window",
        "kernel",
        "bias",
        "sum",
        "activation",
    }
    assert (cell["layer"], cell["channel"], cell["y"], cell["x"]) == ("3", 4, 1, 2)
    assert np.array(cell["window"]).shape == (2, 3, 3) == np.array(cell["kernel"]).shape
    products = np.array(cell["window"]) * np.array(cell["kernel"])
    assert cell["sum"] == pytest.approx(products.sum() + cell["bias"], abs=1e-12)
    assert cell["sum"] == pytest.approx(cell["activation"], abs=1e-5)
    assert set(data["fgsm"]) == {"epsilon", "top3", "probabilities", "changed"}
    assert data["fgsm"]["epsilon"] == 0.05


def test_text_names_the_layers_the_cell_and_the_search(capsys, inspect_checkpoint, tmp_path):
    out_dir = tmp_path / "maps"
    args = ["--image", "7", "--cell", "5,1,0,0", "--saliency", "--out", str(out_dir)]
    assert main(["inspect", str(inspect_checkpoint), "--run", "adam", *args, "--fgsm-search"]) == 0
    out = capsys.readouterr().out
    assert "input:   digits test image 7, label 5" in out
    assert "\n  6.1.1 conv(6,3,p=same)" in out
    assert "cell 5,1,0,0: maxpool(2,s=1,p=1), channel 1 at y=0, x=0" in out
    assert "Grad-CAM on layer 6.1.1 (4x4)" in out
    assert "smallest flipping ε on a 0.001 grid up to 0.5: " in out
    assert sorted(p.name for p in out_dir.iterdir()) == ["gradcam.png", "input.png", "saliency.png"]


def test_an_image_file_and_the_averaged_weights(capsys, inspect_checkpoint, tmp_path):
    from PIL import Image

    picture = tmp_path / "digit.png"
    Image.fromarray(np.eye(16, dtype=np.uint8) * 255, "L").save(picture)
    data = inspect_json(capsys, inspect_checkpoint, "--ema", "--image-file", str(picture))
    assert data["input"] == {"source": "digit.png (16x16 L)", "index": None, "label": None}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--run", "adam", "--image", "360"], "--image 360: the test set has images 0 to 359"),
        (["--image", "0"], "holds 2 runs: pick one with --run ('sgd', 'adam')"),
        (["--run", "adam", "--image", "0", "--cell", "9,0,0,0"], "layer 9 is fc(10): cell"),
        (["--run", "adam", "--image", "0", "--cell", "1,0,0"], "expected LAYER,C,Y,X"),
        (["--run", "adam", "--image", "0", "--out", "maps"], "--out writes the saliency maps"),
        (["--run", "adam", "--image", "0", "--fgsm", "2"], "--fgsm 2.0: ε is from 0 to 1"),
        (["--run", "adam", "--image-file", "nowhere.png"], "no image file at nowhere.png"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, inspect_checkpoint, args, message):
    assert main(["inspect", str(inspect_checkpoint), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_a_missing_checkpoint_and_two_inputs_are_refused(capsys, tmp_path, inspect_checkpoint):
    assert main(["inspect", str(tmp_path / "none.pt"), "--image", "0"]) == 2
    assert "no checkpoint at" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        main(["inspect", str(inspect_checkpoint), "--image", "0", "--image-file", "x.png"])
    assert stop.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_a_max_pool_windows_padding_is_null_in_json(capsys, inspect_checkpoint):
    cell = inspect_json(capsys, inspect_checkpoint, "--image", "3", "--cell", "5,1,0,0")["cell"]
    assert cell["window"][0][0] == [None, None]  # -inf: padding a max never picks
    assert cell["kernel"] is None and cell["bias"] is None
    assert cell["sum"] == cell["activation"]


def test_inside_checks_the_checkpoint_before_the_app_opens(inspect_checkpoint, monkeypatch, capsys):
    """`cnn-tui inside FILE`: a race's checkpoint needs --run (said before any app opens);
    with one the app opens on the inside view with that run's network."""
    from cnn_tui.cli import app_launch, main

    opened = {}

    def fake_open_app(mode, **options):
        opened.update(options, mode=mode)
        return 0

    monkeypatch.setattr(app_launch, "open_app", fake_open_app)
    assert main(["inside", str(inspect_checkpoint)]) == 2
    assert "pick one with --run" in capsys.readouterr().err
    assert not opened
    assert main(["inside", str(inspect_checkpoint), "--run", "adam", "--ema"]) == 0
    title, make = opened["inside"]
    assert opened["mode"] == "inside" and title.endswith("run adam (EMA)")
    network = make()
    assert (network.run, network.ema) == ("adam", True)
    opened.clear()
    assert main(["inside"]) == 0
    assert opened == {"mode": "inside"}
