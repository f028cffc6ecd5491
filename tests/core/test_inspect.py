"""Inside a trained network: loading, inputs, activations and cell traces against torch itself."""

from __future__ import annotations

import itertools
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from cnn_tui.core.inspect.activations import forward  # noqa: E402
from cnn_tui.core.inspect.cell import parse_cell, trace_cell  # noqa: E402
from cnn_tui.core.inspect.inputs import dataset_image, drawn_image, image_file  # noqa: E402
from cnn_tui.core.inspect.network import InspectError, load_network  # noqa: E402
from cnn_tui.core.training.data import load_dataset  # noqa: E402


@pytest.fixture(scope="module")
def net(inspect_checkpoint):
    return load_network(inspect_checkpoint, run="adam")


@pytest.fixture(scope="module")
def seven(net):
    return dataset_image(net, 7)


@pytest.fixture(scope="module")
def passed(net, seven):
    return forward(net, seven)


def test_a_race_needs_a_run_and_names_its_runs(inspect_checkpoint):
    with pytest.raises(InspectError, match=r"holds 2 runs: pick one with --run \('sgd', 'adam'\)"):
        load_network(inspect_checkpoint)
    with pytest.raises(InspectError, match=r"no run 'rmsprop' in .*: it holds 'sgd', 'adam'"):
        load_network(inspect_checkpoint, run="rmsprop")


def test_raw_and_averaged_weights_are_the_runs_own(inspect_checkpoint):
    payload = torch.load(inspect_checkpoint, weights_only=True)
    for ema, key in ((False, "state_dict"), (True, "ema_state_dict")):
        network = load_network(inspect_checkpoint, run="sgd", ema=ema)
        expected = payload["runs"]["sgd"][key]
        got = network.model.state_dict()
        assert set(got) == set(expected)
        assert all(torch.equal(got[k], expected[k]) for k in expected)
        assert network.ema is ema and network.run == "sgd"
    assert network.mean == pytest.approx(payload["normalisation"]["mean"])


def test_a_malicious_checkpoint_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    bad = tmp_path / "evil.pt"
    torch.save({"format": "cnn-tui-checkpoint", "runs": {"x": Evil()}}, bad)
    with pytest.raises(InspectError, match=r"evil\.pt is not a readable checkpoint"):
        load_network(bad)
    assert not marker.exists()


def test_a_test_image_is_the_training_pipelines_test_image(net, seven):
    data = load_dataset("digits", (1, 8, 8), limit_train=256)
    assert torch.equal(seven.x[0], data.test_x[7])
    assert seven.label == int(data.test_y[7])
    assert seven.pixels.shape == (1, 8, 8)
    with pytest.raises(InspectError, match="--image 360: the test set has images 0 to 359"):
        dataset_image(net, 360)


def test_an_image_file_goes_through_the_training_code(net, tmp_path):
    from PIL import Image

    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 256, (20, 12, 3), dtype=np.uint8)
    path = tmp_path / "pic.png"
    Image.fromarray(rgb, "RGB").save(path)
    got = image_file(net, path)
    raw = torch.from_numpy(rgb.astype(np.float32) / 255.0).permute(2, 0, 1).unsqueeze(0)
    grey = raw.mean(dim=1, keepdim=True)
    fitted = F.interpolate(grey, size=(8, 8), mode="bilinear", align_corners=False)
    mean, std = torch.tensor(net.mean), torch.tensor(net.std)
    assert torch.allclose(got.x, (fitted - mean) / std, atol=1e-6)
    assert got.source == "pic.png (12x20 RGB)" and got.label is None
    # a drawing of the same fitted pixels is the same input
    assert torch.equal(drawn_image(net, fitted[0, 0].numpy()).x, got.x)


def test_image_files_that_are_not_pictures_are_named(net, tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("hello")
    with pytest.raises(InspectError, match=r"notes\.png is not an image Pillow can read"):
        image_file(net, text)
    with pytest.raises(InspectError, match="no image file at"):
        image_file(net, tmp_path / "missing.png")


def test_activations_equal_forward_hooks(net, seven):
    result = forward(net, seven)
    modules = {"1": net.model[0], "6.1.1": net.model[5].body[0], "9": net.model[8]}
    seen = {}
    handles = [
        m.register_forward_hook(lambda _m, _i, out, row=row: seen.__setitem__(row, out))
        for row, m in modules.items()
    ]
    with torch.no_grad():
        out = net.model(seven.x)
    for handle in handles:
        handle.remove()
    for row, value in seen.items():
        assert np.array_equal(result.layer(row).values, value[0].numpy())
    assert [a.row.row for a in result.layers] == [
        "1", "2", "3", "4", "5", "6", "6.1.1", "6.1.2", "7", "8", "9"
    ]  # fmt: skip
    assert result.layer("3").shape == (6, 3, 3)
    probs = torch.softmax(out, dim=1)[0]
    assert result.prediction.probabilities == pytest.approx(probs.tolist(), abs=1e-7)
    top = torch.topk(probs, 3)
    assert [c.index for c in result.prediction.top3] == top.indices.tolist()
    assert result.prediction.top3[0].name == str(int(top.indices[0]))


@pytest.mark.parametrize("row", ["1", "3", "5", "6.1.1", "7"])
def test_every_cell_trace_adds_up_to_the_networks_activation(net, passed, row):
    values = passed.layer(row).values
    for c, y, x in itertools.product(*(range(n) for n in values.shape)):
        trace = trace_cell(net, passed, row, c, y, x)
        assert trace.activation == float(values[c, y, x])
        assert trace.total == pytest.approx(trace.activation, abs=1e-5)


def test_a_conv_trace_shows_its_numbers(net, passed):
    trace = trace_cell(net, passed, "3", 4, 1, 2)  # conv(6,3,s=2,p=1,d=2,g=2): group 2
    assert trace.kind == "conv" and trace.input_channels == (2, 3)
    assert trace.rows == (1, 3, 5) and trace.cols == (3, 5, 7)
    conv = net.model[2]
    assert np.array_equal(trace.kernel, conv.weight[4].double().numpy())
    assert trace.bias == float(conv.bias[4])
    before = passed.layer("2").values
    assert np.array_equal(trace.window, before[2:4, 1:6:2, 3:8:2].astype(np.float64))
    assert np.allclose(trace.products, trace.window * trace.kernel)
    assert trace.partial_sums == pytest.approx(trace.products.sum(axis=(1, 2)).tolist())
    edge = trace_cell(net, passed, "1", 0, 0, 0)  # p=1: the top row and left column are padding
    assert edge.rows == (-1, 0, 1) and edge.window[0, 0].tolist() == [0.0, 0.0, 0.0]


def test_a_pool_trace_shows_its_window(net, passed):
    trace = trace_cell(net, passed, "5", 1, 0, 0)  # maxpool(2,s=1,p=1): a corner
    assert trace.kind == "maxpool" and trace.kernel is None and trace.bias is None
    assert trace.window.shape == (1, 2, 2) and trace.window[0, 0, 0] == -np.inf
    avg = trace_cell(net, passed, "7", 0, 2, 2)  # ceil mode: the last window overhangs
    assert avg.kind == "avgpool" and avg.divisor == 1


def test_bad_cells_are_named(net, passed):
    with pytest.raises(InspectError, match="layer 9 is fc\\(10\\): cell traces are for conv"):
        trace_cell(net, passed, "9", 0, 0, 0)
    with pytest.raises(InspectError, match=r"--cell y 3 is outside layer 3 .*: 0 to 2"):
        trace_cell(net, passed, "3", 0, 3, 0)
    with pytest.raises(InspectError, match=r"no layer '6\.2'"):
        trace_cell(net, passed, "6.2", 0, 0, 0)
    with pytest.raises(InspectError, match="expected LAYER,C,Y,X"):
        parse_cell("3,1,2")
    assert parse_cell(" 6.1.1, 2,0,3") == ("6.1.1", 2, 0, 3)


def test_a_live_run_and_a_class_index(net):
    from cnn_tui.core.inspect.inputs import class_index
    from cnn_tui.core.inspect.network import network_from_live
    from cnn_tui.core.training.loop import train
    from cnn_tui.core.training.results import LiveRun
    from cnn_tui.core.training.train_config import TrainConfig

    live = LiveRun()
    config = TrainConfig(
        model="conv(2,3) relu flatten fc(10)", input_shape=(1, 8, 8), epochs=1,
        limit_train=64, device="cpu", ema_decay=0.5,
    )  # fmt: skip
    train(config, live=live)
    network = network_from_live(live, "sgd", ema=True)
    assert network.model is not live.ema_models["sgd"]  # a copy: looking never disturbs a run
    assert network.rows[0].row == "1" and network.labels[3] == "3"
    with pytest.raises(InspectError, match="no weights of a run 'adam' in this session"):
        network_from_live(live, "adam")
    index = class_index(net, 7, nth=2)
    assert dataset_image(net, index).label == 7
    with pytest.raises(InspectError, match="images of class 7, not 1000 or more"):
        class_index(net, 7, nth=999)
