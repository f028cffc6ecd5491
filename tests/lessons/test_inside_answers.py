"""The course network (shipped JSON weights) and the inside lesson's answers."""

from __future__ import annotations

import json

import pytest

from cnn_tui.core.course.inside_answers import (
    WEIGHTS,
    course_network,
    course_prediction,
    fgsm_flip,
)
from cnn_tui.core.course.marking import try_target_problem
from cnn_tui.core.inspect.fgsm import fgsm
from cnn_tui.core.inspect.inputs import dataset_image


def test_the_weights_are_plain_json_numbers_and_the_network_is_the_stack():
    data = json.loads(WEIGHTS.read_text())
    network = course_network()
    assert network.stack.input_shape == (1, 8, 8)
    assert set(data["state_dict"]) == set(network.model.state_dict())
    import torch

    for key, value in network.model.state_dict().items():
        assert torch.equal(value, torch.tensor(data["state_dict"][key], dtype=torch.float32))


def test_the_flipping_epsilon_of_test_image_0_is_0_058():
    assert course_prediction(0) == 0
    assert fgsm_flip(image=0) == 0.058
    network = course_network()
    image = dataset_image(network, 0)
    # the grid value before does not flip it; the margin is wide enough for any thread count
    before = fgsm(network, image, 0.057).prediction.top3
    after = fgsm(network, image, 0.058).prediction.top3
    assert before[0].name == "0" and before[0].probability - before[1].probability > 0.01
    assert after[0].name == "5" and after[0].probability - after[1].probability > 0.01


def test_the_answer_is_the_same_on_one_thread():
    import torch

    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        assert fgsm_flip(0) == 0.058
    finally:
        torch.set_num_threads(threads)


def test_bad_arguments_and_try_targets():
    with pytest.raises(ValueError, match="whole number"):
        fgsm_flip(image=0.5)  # type: ignore[arg-type]
    assert try_target_problem("inside", "course") is None
    assert try_target_problem("inside", "") is None
    assert "no inside target" in (try_target_problem("inside", "vgg16") or "")
