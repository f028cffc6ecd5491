"""Lessons 08-13: every exercise's engine answer against a value derived independently.

Each expected value is worked out here on its own, by hand arithmetic written out or with
PyTorch (torchvision models built on the meta device, torch.nn layers, torch.optim steps),
never copied from the engine's output. Tasks are checked against LessonState summaries.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import pytest

from cnn_tui.core.lesson_answers import (
    LessonState,
    check_task,
    compute,
    correct_choice,
    mark,
    validate_course_answers,
)
from cnn_tui.core.lessons import Lesson, load_lesson
from cnn_tui.core.zoo import resolve_stack

torch = pytest.importorskip("torch")
nn = torch.nn

LESSONS = Path(__file__).resolve().parents[2] / "lessons"
PART2 = ("08", "09", "10", "11", "12", "13")


def lesson(prefix: str) -> Lesson:
    (path,) = LESSONS.glob(f"{prefix}-*.md")
    return load_lesson(path)


def answer(prefix: str, exercise_id: str) -> Any:
    return compute(lesson(prefix).exercise(exercise_id).answer)


def choice_text(prefix: str, exercise_id: str) -> str:
    exercise = lesson(prefix).exercise(exercise_id)
    return exercise.choices[correct_choice(exercise)].text


def torchvision_model(name: str) -> Any:
    torchvision = pytest.importorskip("torchvision")
    # meta tensors have shapes but no storage: VGG builds in milliseconds
    with torch.device("meta"):
        return getattr(torchvision.models, name)(weights=None)


def count(module: Any) -> int:
    return sum(p.numel() for p in module.parameters())


# ---------------------------------------------------------------------------------------------
# The set of exercises: every one in 08-13 has an expectation below
# ---------------------------------------------------------------------------------------------

COVERED = {
    "08": {"vgg-first-fc", "vgg-forward-bytes", "three-3x3-field", "memory-vs-params"},
    "09": {"bn-output", "bn-params", "vgg-bn-extra", "bn-eval"},
    "10": {"momentum-velocity", "adagrad-shrink", "adam-first-step", "lr-too-high"},
    "11": {"head-params", "augment-shifts", "polyak-memory", "transfer-choice"},
    "12": {"iterations-per-epoch", "one-test-image", "train-lecture-net", "race-three"},
    "13": {"fgsm-pixel", "fgsm-sum", "gram-entry", "gram-choice"},
}


@pytest.mark.parametrize("prefix", PART2)
def test_every_exercise_is_covered_and_computes(prefix: str) -> None:
    current = lesson(prefix)
    assert {e.id for e in current.exercises} == COVERED[prefix]
    assert validate_course_answers([current]) == []
    assert current.order == int(prefix)
    assert 5 <= current.minutes <= 15
    assert 2 <= len(current.exercises) <= 4
    assert any(e.kind == "number" for e in current.exercises)


@pytest.mark.parametrize("prefix", PART2)
def test_try_targets_exist(prefix: str) -> None:
    for block in lesson(prefix).try_its:
        if block.screen in ("builder", "train"):
            assert resolve_stack(block.target).layers, block.target
        elif block.screen == "calculators":
            assert block.target in ("", "size", "params", "field", "summary")


# ---------------------------------------------------------------------------------------------
# 08 classic architectures
# ---------------------------------------------------------------------------------------------


def test_vgg_first_fc_matches_torchvision() -> None:
    vgg = torchvision_model("vgg16")
    first_fc = vgg.classifier[0]
    assert isinstance(first_fc, nn.Linear)
    assert count(first_fc) == 7 * 7 * 512 * 4096 + 4096 == 102_764_544
    assert answer("08", "vgg-first-fc") == count(first_fc)


def test_vgg_forward_bytes_is_the_slides_column_added_up() -> None:
    # the slide's memory column, row by row (input, 13 convs, 5 pools, 3 FC)
    by_hand = (
        224 * 224 * 3
        + 2 * 224 * 224 * 64
        + 112 * 112 * 64
        + 2 * 112 * 112 * 128
        + 56 * 56 * 128
        + 3 * 56 * 56 * 256
        + 28 * 28 * 256
        + 3 * 28 * 28 * 512
        + 14 * 14 * 512
        + 3 * 14 * 14 * 512
        + 7 * 7 * 512
        + 4096
        + 4096
        + 1000
    )
    assert by_hand == 15_237_608  # not the slide's "24M"
    # the same sum from torchvision's VGG-16: every conv, pool and linear output
    vgg = torchvision_model("vgg16")
    sizes: list[int] = []
    hooks = [
        m.register_forward_hook(lambda _m, _i, out: sizes.append(out.numel()))
        for m in vgg.modules()
        if isinstance(m, (nn.Conv2d, nn.MaxPool2d, nn.Linear))
    ]
    vgg(torch.empty(1, 3, 224, 224, device="meta"))
    for hook in hooks:
        hook.remove()
    assert 3 * 224 * 224 + sum(sizes) == by_hand
    assert answer("08", "vgg-forward-bytes") == 4 * by_hand == 60_950_432


def test_three_3x3_field_by_gradient() -> None:
    # which input pixels can change one output of three stacked 3x3 convs?
    convs = nn.Sequential(*(nn.Conv2d(1, 1, 3, padding=1, bias=False) for _ in range(3)))
    for conv in convs:
        nn.init.constant_(conv.weight, 1.0)
    x = torch.zeros(1, 1, 15, 15, requires_grad=True)
    convs(x)[0, 0, 7, 7].backward()
    touched = (x.grad[0, 0] != 0).nonzero()
    width = int(touched[:, 1].max() - touched[:, 1].min() + 1)
    assert width == 1 + 3 * (3 - 1) == 7
    assert answer("08", "three-3x3-field") == width


def test_memory_vs_params_choice() -> None:
    vgg = torchvision_model("vgg16")
    convs = [m for m in vgg.features if isinstance(m, nn.Conv2d)]
    fcs = [m for m in vgg.classifier if isinstance(m, nn.Linear)]
    # parameters: the FC layers hold most; activations: the first stage's maps are largest
    assert sum(map(count, fcs)) > sum(map(count, convs))
    assert choice_text("08", "memory-vs-params").startswith("Memory in the early conv layers")


# ---------------------------------------------------------------------------------------------
# 09 batch norm
# ---------------------------------------------------------------------------------------------


def test_bn_output_matches_torch_batchnorm() -> None:
    bn = nn.BatchNorm1d(1, eps=1e-12).double().train()  # torch refuses eps = 0
    with torch.no_grad():
        bn.weight.fill_(2.0)
        bn.bias.fill_(1.0)
    out = bn(torch.tensor([[2.0], [4.0], [6.0], [8.0]], dtype=torch.float64)).detach()
    by_hand = 2 * (8 - 5) / math.sqrt(5) + 1
    assert float(out[3, 0]) == pytest.approx(by_hand, rel=1e-9)
    assert answer("09", "bn-output") == pytest.approx(float(out[3, 0]), rel=1e-9)


def test_bn_params_two_per_channel() -> None:
    bn = nn.BatchNorm2d(64)
    assert count(bn) == 2 * 64
    assert sum(b.numel() for b in bn.buffers() if b.dim() == 1) == 2 * 64  # running stats
    assert answer("09", "bn-params") == count(bn)


def test_vgg_bn_extra_matches_torchvision() -> None:
    extra = count(torchvision_model("vgg16_bn")) - count(torchvision_model("vgg16"))
    assert extra == 2 * (64 * 2 + 128 * 2 + 256 * 3 + 512 * 6) == 8_448
    assert answer("09", "vgg-bn-extra") == extra


def test_bn_eval_choice() -> None:
    assert choice_text("09", "bn-eval") == "The running averages it collected during training"


# ---------------------------------------------------------------------------------------------
# 10 optimisers
# ---------------------------------------------------------------------------------------------


def _steps(optimizer_class: Any, grad: float, steps: int, **settings: Any) -> tuple[Any, float]:
    """Step a one-number parameter `steps` times with the same gradient; returns the
    optimizer's state for it and the size of the last step."""
    param = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = optimizer_class([param], **settings)
    last = 0.0
    for _ in range(steps):
        before = float(param.detach())
        param.grad = torch.full_like(param, grad)
        optimizer.step()
        last = abs(float(param.detach()) - before)
    return optimizer.state[param], last


def test_momentum_velocity_matches_torch_sgd_buffer() -> None:
    state, _ = _steps(torch.optim.SGD, grad=1.0, steps=3, lr=0.1, momentum=0.9)
    buffer = float(state["momentum_buffer"])
    assert buffer == pytest.approx(1 + 0.9 + 0.81, rel=1e-12)
    assert answer("10", "momentum-velocity") == pytest.approx(buffer, rel=1e-12)


def test_adagrad_step_matches_torch_adagrad() -> None:
    _, fourth = _steps(torch.optim.Adagrad, grad=2.0, steps=4, lr=0.01, eps=1e-10)
    assert fourth == pytest.approx(0.01 * 2 / math.sqrt(4 * 2**2), rel=1e-9)
    assert answer("10", "adagrad-shrink") == pytest.approx(fourth, rel=1e-9)


def test_adam_first_step_is_the_learning_rate() -> None:
    _, first = _steps(torch.optim.Adam, grad=250.0, steps=1, lr=0.001)
    assert first == pytest.approx(0.001, rel=1e-6)
    assert answer("10", "adam-first-step") == pytest.approx(first, rel=1e-9)
    # whatever the gradient: a tiny one moves the weight as far
    _, tiny = _steps(torch.optim.Adam, grad=0.003, steps=1, lr=0.001)
    assert tiny == pytest.approx(0.001, rel=1e-4)


def test_lr_too_high_choice() -> None:
    assert choice_text("10", "lr-too-high") == "Lower the learning rate, say ten times"


# ---------------------------------------------------------------------------------------------
# 11 generalisation
# ---------------------------------------------------------------------------------------------


def test_head_params_of_a_new_10_class_layer() -> None:
    head = nn.Linear(4096, 10)
    assert count(head) == 4096 * 10 + 10
    assert answer("11", "head-params") == count(head)


def test_augment_shifts_counted() -> None:
    offsets = list(itertools.product(range(-2, 2 + 1), repeat=2))  # across, down
    assert answer("11", "augment-shifts") == len(offsets) == 25


def test_polyak_memory_by_simulation() -> None:
    x_test, x = 1.0, 0.0  # today's average is all 1; every later weight is 0
    for _ in range(100):
        x_test = 0.995 * x_test + 0.005 * x
    assert answer("11", "polyak-memory") == pytest.approx(x_test, rel=1e-12)


def test_transfer_choice() -> None:
    assert choice_text("11", "transfer-choice").startswith("Freeze a pretrained network")


# ---------------------------------------------------------------------------------------------
# 12 practice
# ---------------------------------------------------------------------------------------------


def test_iterations_per_epoch_match_a_dataloader() -> None:
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    train_images = len(sklearn_datasets.load_digits().images) - 360
    assert train_images == 1437
    loader = torch.utils.data.DataLoader(range(train_images), batch_size=32)
    assert answer("12", "iterations-per-epoch") == len(loader) == math.ceil(1437 / 32) == 45


def test_one_test_image_in_points() -> None:
    assert answer("12", "one-test-image") == pytest.approx(1 / 360 * 100, rel=1e-12)


def _summary(*accuracies: float, model: str = "seed-mnist") -> dict[str, Any]:
    return {
        "model": model,
        "dataset": "digits",
        "runs": [{"test_accuracy": a, "status": "done"} for a in accuracies],
    }


def test_train_lecture_net_task() -> None:
    current = lesson("12")
    task = current.exercise("train-lecture-net")
    assert check_task(task, LessonState(training=_summary(0.9528)), current).correct
    short = check_task(task, LessonState(training=_summary(0.9472)), current)
    assert not short.correct
    assert "Hint:" in short.message
    assert not check_task(task, LessonState(training=_summary(0.99, model="lenet5"))).correct
    assert not check_task(task, LessonState(training=None)).correct


def test_race_three_task() -> None:
    current = lesson("12")
    task = current.exercise("race-three")
    race = _summary(0.95, 0.99, 0.99)
    assert check_task(task, LessonState(training=race), current).correct
    assert not check_task(task, LessonState(training=_summary(0.95, 0.99)), current).correct
    assert not check_task(task, LessonState(training=_summary(0.99)), current).correct


# ---------------------------------------------------------------------------------------------
# 13 adversarial examples and style transfer
# ---------------------------------------------------------------------------------------------


def test_fgsm_pixel_with_autograd() -> None:
    x = torch.tensor([0.5], dtype=torch.float64, requires_grad=True)
    loss = (-3.2 * x).sum()  # d loss / dx = -3.2
    loss.backward()
    adversarial = x.detach() + 0.007 * x.grad.sign()
    assert float(adversarial) == pytest.approx(0.493, rel=1e-12)
    assert answer("13", "fgsm-pixel") == pytest.approx(float(adversarial), rel=1e-12)


def test_fgsm_sum_on_a_linear_unit() -> None:
    generator = torch.Generator().manual_seed(0)
    w = torch.full((3, 224, 224), 0.01, dtype=torch.float64)
    w[torch.rand(w.shape, generator=generator) < 0.5] *= -1  # signs mixed, sizes 0.01
    x = torch.rand((3, 224, 224), generator=generator, dtype=torch.float64)
    rise = float((w * (x + 0.007 * w.sign())).sum() - (w * x).sum())
    assert rise == pytest.approx(0.007 * 0.01 * 150_528, rel=1e-9)
    assert answer("13", "fgsm-sum") == pytest.approx(rise, rel=1e-9)


def test_gram_entry_with_a_matrix_product() -> None:
    features = torch.tensor([[1.0, 0.0, 2.0, 1.0], [0.0, 1.0, 1.0, 3.0]])
    gram = features @ features.T
    assert answer("13", "gram-entry") == float(gram[0, 1]) == 5


def test_gram_choice() -> None:
    assert "not where" in choice_text("13", "gram-choice")


# ---------------------------------------------------------------------------------------------
# Marking what a student types
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "exercise_id", "typed", "right"),
    [
        ("08", "vgg-first-fc", "102,764,544", True),
        ("08", "vgg-first-fc", "102,760,448", False),  # the slide's weights, no biases
        ("08", "vgg-forward-bytes", "60950432", True),
        ("08", "vgg-forward-bytes", "96000000", False),
        ("09", "bn-output", "3.68", True),
        ("09", "bn-output", "3.5", False),
        ("10", "adam-first-step", "0.001", True),
        ("10", "adam-first-step", "1e-3", True),
        ("10", "adam-first-step", "0.25", False),
        ("10", "momentum-velocity", "2.71", True),
        ("10", "momentum-velocity", "10", False),
        ("11", "polyak-memory", "0.61", True),
        ("11", "polyak-memory", "0.5", False),
        ("12", "iterations-per-epoch", "45", True),
        ("12", "iterations-per-epoch", "44", False),
        ("12", "one-test-image", "0.28", True),
        ("13", "fgsm-pixel", "0.493", True),
        ("13", "fgsm-pixel", "0.507", False),
    ],
)
def test_mark_numbers(prefix: str, exercise_id: str, typed: str, right: bool) -> None:
    current = lesson(prefix)
    verdict = mark(current.exercise(exercise_id), typed, current)
    assert verdict.correct is right, verdict.message
    if not right:
        assert "too high" in verdict.message or "too low" in verdict.message


def test_mark_too_low_shows_the_hint() -> None:
    current = lesson("08")
    verdict = mark(current.exercise("vgg-first-fc"), "102,760,448", current)
    assert "too low" in verdict.message
    assert "Hint:" in verdict.message


def test_mark_choices_by_number_letter_and_text() -> None:
    current = lesson("08")
    exercise = current.exercise("memory-vs-params")
    assert mark(exercise, "2", current).correct
    assert mark(exercise, "b", current).correct
    assert not mark(exercise, "1", current).correct
    text = "Memory in the early conv layers, parameters in the late FC layers"
    assert mark(exercise, text, current).correct
    assert not mark(lesson("10").exercise("lr-too-high"), "Raise the learning rate").correct
