"""Saliency, Grad-CAM and FGSM against direct torch computations."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from cnn_tui.core.inspect.attribution import saliency, write_pngs  # noqa: E402
from cnn_tui.core.inspect.fgsm import fgsm, grid, smallest_flip  # noqa: E402
from cnn_tui.core.inspect.inputs import dataset_image  # noqa: E402
from cnn_tui.core.inspect.network import InspectError, load_network  # noqa: E402


@pytest.fixture(scope="module")
def net(inspect_checkpoint):
    return load_network(inspect_checkpoint, run="adam")


@pytest.fixture(scope="module")
def seven(net):
    return dataset_image(net, 7)


def _pixels(image):
    return torch.from_numpy(image.pixels).unsqueeze(0)


def _normalised(net, pixels):
    mean = torch.tensor(net.mean).view(1, -1, 1, 1)
    std = torch.tensor(net.std).view(1, -1, 1, 1)
    return (pixels - mean) / std


def test_saliency_is_the_gradient_of_the_top_score(net, seven):
    result = saliency(net, seven)
    x = seven.x.clone().requires_grad_(True)
    out = net.model(x)
    top = int(out.argmax())
    (grad,) = torch.autograd.grad(out[0, top], [x])
    assert result.target == top and result.name == str(top)
    assert np.array_equal(result.gradient, grad[0].numpy())
    assert np.array_equal(result.saliency, grad[0].abs().amax(dim=0).numpy())
    assert result.score == pytest.approx(float(out[0, top].detach()))


def test_gradcam_on_the_last_conv_layer(net, seven):
    result = saliency(net, seven, target=3)
    assert result.gradcam_layer.row == "6.1.1"  # the conv inside the residual block
    x = seven.x.clone()
    conv = net.model[5].body[0]
    seen = {}
    handle = conv.register_forward_hook(lambda _m, _i, out: seen.setdefault("a", out))
    with torch.enable_grad():
        x.requires_grad_(True)
        out = net.model(x)
        (grad,) = torch.autograd.grad(out[0, 3], [seen["a"]])
    handle.remove()
    maps = seen["a"][0]
    weights = grad[0].mean(dim=(1, 2))
    cam = torch.relu(torch.einsum("k,khw->hw", weights, maps))
    assert np.allclose(result.gradcam, cam.detach().numpy(), atol=1e-6)
    up = F.interpolate(cam[None, None], size=(8, 8), mode="bilinear", align_corners=False)
    assert np.allclose(result.gradcam_map, up[0, 0].detach().numpy(), atol=1e-6)
    assert set(result.to_dict()) == {"class", "score", "saliency", "gradcam"}


def test_maps_are_written_as_pngs(net, seven, tmp_path):
    from PIL import Image

    paths = write_pngs(tmp_path / "maps", seven, saliency(net, seven))
    assert [p.name for p in paths] == ["input.png", "saliency.png", "gradcam.png"]
    with Image.open(paths[1]) as picture:
        assert picture.size == (224, 224) and picture.mode == "L"
        assert picture.getextrema()[1] == 255
    with Image.open(paths[2]) as picture:
        assert picture.mode == "RGB"


def test_fgsm_image_is_x_plus_epsilon_sign_clipped(net, seven):
    result = fgsm(net, seven, 0.05)
    pixels = _pixels(seven).requires_grad_(True)
    out = net.model(_normalised(net, pixels))
    clean = int(out.argmax())
    loss = F.cross_entropy(out, torch.tensor([clean]))
    (grad,) = torch.autograd.grad(loss, [pixels])
    expected = (_pixels(seven) + 0.05 * grad.sign()).clamp(0, 1)
    assert result.target == clean
    assert np.array_equal(result.pixels, expected[0].numpy())
    assert np.array_equal(result.perturbation, (0.05 * grad.sign())[0].numpy())
    probs = torch.softmax(net.model(_normalised(net, expected)), dim=1)[0]
    assert result.prediction.probabilities == pytest.approx(probs.tolist(), abs=1e-7)
    assert result.changed == (int(probs.argmax()) != clean)
    assert set(result.to_dict()) == {"epsilon", "top3", "probabilities", "changed"}
    assert not fgsm(net, seven, 0.0).changed


def test_the_search_finds_the_first_flipping_grid_value(net, seven):
    found = smallest_flip(net, seven)
    assert found.epsilon is not None and found.result.changed
    clean = fgsm(net, seven, 0.0).prediction.predicted
    below = [e for e in grid() if e < found.epsilon]
    sign = torch.from_numpy(fgsm(net, seven, 1.0).perturbation).sign().unsqueeze(0)
    eps = torch.tensor(below).view(-1, 1, 1, 1)
    with torch.no_grad():
        out = net.model(_normalised(net, (_pixels(seven) + eps * sign).clamp(0, 1)))
    assert (out.argmax(dim=1) == clean).all()
    assert found.epsilon == round(len(below) * 0.001 + 0.001, 9)


def test_no_flip_within_the_limit_is_said_and_bad_epsilons_refused(net, seven):
    first = smallest_flip(net, seven).epsilon
    found = smallest_flip(net, seven, step=0.001, limit=round(first - 0.001, 9))
    assert found.epsilon is None and found.result is None
    assert found.to_dict() == {"step": 0.001, "limit": found.limit, "epsilon": None, "top3": None}
    with pytest.raises(InspectError, match="ε is from 0 to 1"):
        fgsm(net, seven, 1.5)
    with pytest.raises(InspectError, match="ε is from 0 to 1"):
        fgsm(net, seven, float("nan"))
    assert grid(0.001, 0.005) == [0.001, 0.002, 0.003, 0.004, 0.005]
