"""Lessons 09-14: every exercise's engine answer against a value derived independently.

Each expected value is worked out here on its own, by hand arithmetic written out or with
PyTorch (torchvision models built on the meta device, torch.nn layers, torch.optim steps),
never copied from the engine's output. Tasks are checked against LessonState summaries.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from cnn_tui.core.course.answer_expressions import ExpressionLimitError, evaluate, parse
from cnn_tui.core.course.lesson_answers import ANSWERS, LessonState, check_task, compute
from cnn_tui.core.course.lessons import Lesson, LessonError, load_lesson
from cnn_tui.core.course.marking import correct_choice, mark, validate_course_answers
from cnn_tui.core.stacks.zoo import resolve_stack

torch = pytest.importorskip("torch")
nn = torch.nn

LESSONS = Path(__file__).resolve().parents[2] / "lessons"
PART2 = ("09", "10", "11", "12", "13", "14")


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
# The set of exercises: every one in 09-14 has an expectation below
# ---------------------------------------------------------------------------------------------

COVERED = {
    "09": {
        "three-3x3-field",
        "memory-vs-params",
        "vgg-cifar-shape",
        "vgg-cifar-params",
        "bottleneck-params",
        "densenet-vs-resnet",
    },
    "10": {"bn-output", "bn-swap-bias", "vgg-bn-extra", "bn-eval"},
    "11": {
        "momentum-flip",
        "rmsprop-first-step",
        "adam-first-step",
        "adagrad-shrink",
        "lr-too-high",
        "saddle-escape",
        "ravine-race",
        "momentum-overshoot",
        "rmsprop-vs-adam",
    },
    "12": {"head-params", "augment-shifts", "ema-start-left", "polyak-memory", "transfer-choice"},
    "13": {
        "iterations-per-epoch",
        "one-test-image",
        "train-lecture-net",
        "race-laggard",
        "race-three",
        "slide-denominator",
    },
    "14": {"fgsm-pixel", "fgsm-sum", "gram-entry", "gram-choice", "fgsm-flip-course"},
}

REPLACED = {
    "09": {"vgg-first-fc": "vgg-cifar-shape", "vgg-forward-bytes": "vgg-cifar-params"},
    "10": {"bn-params": "bn-swap-bias"},
    "11": {"momentum-velocity": "momentum-flip"},
}
"""Issue 13's copy-the-number exercises, each replaced by a transfer exercise that carries
its id in `was:` (a student who passed the old one keeps the pass)."""


@pytest.mark.parametrize("prefix", PART2)
def test_every_exercise_is_covered_and_computes(prefix: str) -> None:
    current = lesson(prefix)
    assert {e.id for e in current.exercises} == COVERED[prefix]
    assert validate_course_answers([current]) == []
    assert current.order == int(prefix)
    assert 5 <= current.minutes <= 20
    # lesson 11 adds four predict-then-watch exercises in the playground to its five
    assert 2 <= len(current.exercises) <= (9 if prefix == "11" else 6)
    assert any(e.kind == "number" for e in current.exercises)


@pytest.mark.parametrize("prefix", sorted(REPLACED))
def test_replaced_exercises_carry_their_old_ids(prefix: str) -> None:
    current = lesson(prefix)
    for old, new in REPLACED[prefix].items():
        assert old in current.exercise(new).was


PREDICTIONS = {
    "09": [
        ("three-3x3-field", "Two 3x3 convs in a row see a 5x5 patch"),
        ("memory-vs-params", "Two patterns jump out"),
        ("bottleneck-params", "The work shrinks by the same factor"),
        ("densenet-vs-resnet", "Each dense layer adds only 32 new channels"),
    ],
    "10": [("bn-eval", "evaluation mode it uses those fixed values")],
    "11": [
        ("momentum-flip", "gradients that flip sign cancel"),
        ("rmsprop-first-step", "the first step is α / √(1 − decay)"),
        ("adam-first-step", "At t = 1 the correction gives m̂ = g"),
    ],
    "12": [("ema-start-left", "So choose β to fit the run")],
    "13": [("race-laggard", "plain SGD ended the first epoch at 58 %")],
    "14": [("fgsm-sum", "Each pixel adds only a sliver")],
}
"""Ask before telling: each lesson asks these before the text that gives their answer."""


@pytest.mark.parametrize("prefix", PART2)
def test_every_lesson_asks_before_it_tells(prefix: str) -> None:
    (path,) = LESSONS.glob(f"{prefix}-*.md")
    flat = " ".join(path.read_text(encoding="utf-8").split())  # phrases span line breaks
    for exercise_id, explanation in PREDICTIONS[prefix]:
        block = flat.index(f"::: exercise {exercise_id} ")
        block_end = flat.index(" ::: ", block)
        assert flat.count(explanation) == 1, explanation
        assert block_end < flat.index(explanation), exercise_id


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


def test_vgg_cifar_shape_is_five_halvings_in_torchvision() -> None:
    vgg = torchvision_model("vgg16")
    pools = [i for i, m in enumerate(vgg.features) if isinstance(m, nn.MaxPool2d)]
    assert len(pools) == 5
    out = vgg.features(torch.empty(1, 3, 32, 32, device="meta"))
    assert tuple(out.shape[1:]) == (512, 32 // 2**5, 32 // 2**5) == (512, 1, 1)
    assert answer("09", "vgg-cifar-shape") == "512x1x1"


def test_vgg_cifar_params_are_the_224_params_since_the_pool_is_adaptive() -> None:
    vgg = torchvision_model("vgg16")
    seen: list[int] = []
    hook = vgg.classifier[0].register_forward_hook(lambda _m, i, _o: seen.append(i[0].shape[1]))
    out = vgg(torch.empty(1, 3, 32, 32, device="meta"))
    hook.remove()
    assert tuple(out.shape) == (1, 1000)
    assert seen == [7 * 7 * 512]  # the 1x1 maps stretched to 7x7: the first fc is unchanged
    by_hand = (
        sum(9 * c_in * c_out + c_out for c_in, c_out in VGG16_CONVS)
        + (25_088 * 4096 + 4096)
        + (4096 * 4096 + 4096)
        + (4096 * 1000 + 1000)
    )
    assert by_hand == count(vgg) == 138_357_544
    assert answer("09", "vgg-cifar-params") == by_hand
    # the CIFAR-style first fc the explanation quotes: 512 inputs instead of 25,088
    assert count(nn.Linear(512, 4096)) == 2_101_248


VGG16_CONVS = [
    (3, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256), (256, 256),
    (256, 512), (512, 512), (512, 512), (512, 512), (512, 512), (512, 512),
]  # fmt: skip


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
    assert answer("09", "three-3x3-field") == width


def test_bottleneck_params_with_torch_layers() -> None:
    squeezed = nn.Sequential(nn.Conv2d(192, 16, 1), nn.Conv2d(16, 32, 5, padding=2))
    direct = nn.Conv2d(192, 32, 5, padding=2)
    assert count(squeezed) == (192 * 16 + 16) + (16 * 25 * 32 + 32) == 15_920
    assert count(direct) == 192 * 25 * 32 + 32 == 153_632  # the figure the question gives
    x = torch.empty(1, 192, 28, 28, device="meta")
    assert squeezed.to("meta")(x).shape == direct.to("meta")(x).shape == (1, 32, 28, 28)
    assert answer("09", "bottleneck-params") == count(squeezed)


def test_bottleneck_macs_quoted_in_the_text() -> None:
    # each weight is used once per output position: 28 x 28 of them
    direct = 192 * 25 * 32 * 28 * 28
    squeezed = 192 * 16 * 28 * 28 + 16 * 25 * 32 * 28 * 28
    assert (direct, squeezed) == (120_422_400, 12_443_648)
    assert compute("stack_macs(model='conv(32,5,p=2)', input='192x28x28')") == direct
    assert compute("stack_macs(model='conv(16,1) conv(32,5,p=2)', input='192x28x28')") == squeezed


def test_inception_module_figures_quoted_in_the_text() -> None:
    # GoogLeNet's first module (1x1 squeezes) against the naive one (none), on 192x28x28
    def macs(convs: list[tuple[int, int, int]]) -> int:
        return sum(c_in * k * k * c_out * 28 * 28 for c_in, k, c_out in convs)

    squeezed = [(192, 1, 64), (192, 1, 96), (96, 3, 128), (192, 1, 16), (16, 5, 32), (192, 1, 32)]
    naive = [(192, 1, 64), (192, 3, 128), (192, 5, 32)]
    params = [sum(count(nn.Conv2d(i, o, k)) for i, k, o in convs) for convs in (squeezed, naive)]
    assert params == [163_696, 387_296]
    assert [round(macs(c) / 1e6) for c in (squeezed, naive)] == [128, 303]
    assert 64 + 128 + 32 + 192 == 416  # the naive pool passes its 192 channels through
    module = "cat[conv(64,1) | conv(96,1) conv(128,3,p=1) | conv(16,1) conv(32,5,p=2)"
    module += " | maxpool(3,s=1,p=1) conv(32,1)]"
    assert compute(f"stack_params(model='{module}', input='192x28x28')") == params[0]
    plain = "cat[conv(64,1) | conv(128,3,p=1) | conv(32,5,p=2) | maxpool(3,s=1,p=1)]"
    assert compute(f"stack_params(model='{plain}', input='192x28x28')") == params[1]
    assert compute(f"output_shape(model='{plain}', input='192x28x28')") == "416x28x28"


def _forward_costs(model: Any) -> tuple[int, int]:
    """Numbers put out by every conv, pool, norm and linear layer (activations, counted as
    the VGG table counts them, plus the norms) and the multiply-accumulates of the convs and
    linear layers, for one 3x224x224 image."""
    outputs, macs = [0], [0]

    def hook(module: Any, _inputs: Any, out: Any) -> None:
        outputs[0] += out.numel()
        if isinstance(module, nn.Conv2d):
            per_output = module.in_channels // module.groups * math.prod(module.kernel_size)
            macs[0] += out.numel() * per_output
        elif isinstance(module, nn.Linear):
            macs[0] += out.numel() * module.in_features

    kinds = (nn.Conv2d, nn.Linear, nn.BatchNorm2d, nn.MaxPool2d, nn.AvgPool2d)
    hooks = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, kinds)]
    model(torch.empty(1, 3, 224, 224, device="meta"))
    for h in hooks:
        h.remove()
    return outputs[0], macs[0]


def test_densenet_keeps_more_and_works_more_with_fewer_parameters() -> None:
    densenet, resnet = torchvision_model("densenet121"), torchvision_model("resnet18")
    assert count(densenet) == 7_978_856 < count(resnet) == 11_689_512
    dense_activations, dense_macs = _forward_costs(densenet)
    res_activations, res_macs = _forward_costs(resnet)
    assert dense_activations > 3 * res_activations
    assert dense_macs > 1.4 * res_macs
    assert choice_text("09", "densenet-vs-resnet") == (
        "DenseNet-121 keeps more activations and does more multiply-accumulates"
    )
    # the figures the explanation quotes, from the engine
    assert compute("stack_activations(model=densenet121)") == 24_550_632
    assert compute("stack_activations(model=resnet18)") == 6_072_808
    assert round(compute("stack_macs(model=densenet121)") / 1e9, 2) == 2.83
    assert round(compute("stack_macs(model=resnet18)") / 1e9, 2) == 1.81
    assert round(dense_macs / 1e9, 2) == 2.83 and round(res_macs / 1e9, 2) == 1.81


def test_memory_vs_params_choice() -> None:
    vgg = torchvision_model("vgg16")
    convs = [m for m in vgg.features if isinstance(m, nn.Conv2d)]
    fcs = [m for m in vgg.classifier if isinstance(m, nn.Linear)]
    # parameters: the FC layers hold most; activations: the first stage's maps are largest
    assert sum(map(count, fcs)) > sum(map(count, convs))
    assert choice_text("09", "memory-vs-params").startswith("Memory in the early conv layers")


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
    assert answer("10", "bn-output") == pytest.approx(float(out[3, 0]), rel=1e-9)


def test_bn_swap_bias_with_torch_layers() -> None:
    before = nn.Conv2d(48, 96, 3, padding=1)
    after = nn.Sequential(nn.Conv2d(48, 96, 3, padding=1, bias=False), nn.BatchNorm2d(96))
    assert count(after) - count(before) == -96 + 2 * 96 == 96
    assert sum(b.numel() for b in after[1].buffers() if b.dim() == 1) == 2 * 96  # not trained
    assert answer("10", "bn-swap-bias") == count(after) - count(before)


def test_a_batch_of_one_trains_batchnorm2d_but_not_batchnorm1d() -> None:
    # the lesson's claim: flat features have no spread in a batch of one, conv maps do
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        nn.BatchNorm1d(3).train()(torch.randn(1, 3))
    out = nn.BatchNorm2d(3).train()(torch.randn(1, 3, 28, 28))
    assert torch.allclose(out.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-5)


def test_vgg_bn_extra_matches_torchvision() -> None:
    extra = count(torchvision_model("vgg16_bn")) - count(torchvision_model("vgg16"))
    assert extra == 2 * (64 * 2 + 128 * 2 + 256 * 3 + 512 * 6) == 8_448
    assert answer("10", "vgg-bn-extra") == extra


def test_bn_eval_choice() -> None:
    assert choice_text("10", "bn-eval") == "The running averages it collected during training"


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


def test_momentum_flip_matches_torch_sgd_buffer() -> None:
    param = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=0.1, momentum=0.9)
    for grad in (1.0, 1.0, -1.0):
        param.grad = torch.full_like(param, grad)
        optimizer.step()
    buffer = float(optimizer.state[param]["momentum_buffer"])
    assert buffer == pytest.approx(0.9 * (0.9 * 1 + 1) - 1, rel=1e-12)
    assert answer("11", "momentum-flip") == pytest.approx(buffer, rel=1e-12) == 0.71
    # the text's constant-gradient series still holds: 1, 1.9, 2.71
    state, _ = _steps(torch.optim.SGD, grad=1.0, steps=3, lr=0.1, momentum=0.9)
    assert float(state["momentum_buffer"]) == pytest.approx(2.71, rel=1e-12)


def test_rmsprop_first_step_matches_torch_rmsprop() -> None:
    _, first = _steps(torch.optim.RMSprop, grad=250.0, steps=1, lr=0.001, alpha=0.99)
    assert first == pytest.approx(0.001 * 250 / math.sqrt(0.01 * 250**2), rel=1e-6)
    assert answer("11", "rmsprop-first-step") == pytest.approx(first, rel=1e-9)


def test_rmsprop_steps_quoted_in_the_text() -> None:
    # PyTorch's RMSprop (default alpha 0.99, no bias correction) on a constant gradient, in
    # units of the learning rate: 10, 7.1, 5.8, 5.0, ... and near 1 only after hundreds
    sizes = [_steps(torch.optim.RMSprop, grad=1.0, steps=t, lr=1.0)[1] for t in (1, 2, 3, 4)]
    assert [round(size, 1) for size in sizes] == [10.0, 7.1, 5.8, 5.0]
    for t, size in zip((1, 2, 3, 4), sizes, strict=True):
        assert size == pytest.approx(1 / math.sqrt(1 - 0.99**t), rel=1e-6)
        assert compute(f"rmsprop_step(grad=1, lr=1, steps={t})") == pytest.approx(size, rel=1e-9)
    _, late = _steps(torch.optim.RMSprop, grad=1.0, steps=300, lr=1.0)
    assert 1.0 < late < 1.03


def test_adagrad_step_matches_torch_adagrad() -> None:
    _, fourth = _steps(torch.optim.Adagrad, grad=2.0, steps=4, lr=0.01, eps=1e-10)
    assert fourth == pytest.approx(0.01 * 2 / math.sqrt(4 * 2**2), rel=1e-9)
    assert answer("11", "adagrad-shrink") == pytest.approx(fourth, rel=1e-9)


def test_adam_first_step_is_the_learning_rate() -> None:
    _, first = _steps(torch.optim.Adam, grad=250.0, steps=1, lr=0.001)
    assert first == pytest.approx(0.001, rel=1e-6)
    assert answer("11", "adam-first-step") == pytest.approx(first, rel=1e-9)
    # whatever the gradient: a tiny one moves the weight as far
    _, tiny = _steps(torch.optim.Adam, grad=0.003, steps=1, lr=0.001)
    assert tiny == pytest.approx(0.001, rel=1e-4)


def test_lr_too_high_choice() -> None:
    assert choice_text("11", "lr-too-high") == "Lower the learning rate, say ten times"


# ---------------------------------------------------------------------------------------------
# 11 generalisation
# ---------------------------------------------------------------------------------------------


def test_head_params_of_a_new_10_class_layer() -> None:
    head = nn.Linear(4096, 10)
    assert count(head) == 4096 * 10 + 10
    assert answer("12", "head-params") == count(head)


def test_augment_shifts_counted() -> None:
    offsets = list(itertools.product(range(-2, 2 + 1), repeat=2))  # across, down
    assert answer("12", "augment-shifts") == len(offsets) == 25


def test_ema_start_left_by_simulation() -> None:
    x_test, x = 1.0, 0.0  # the average starts as the random weights (1); training moves to 0
    for _ in range(10 * 45):
        x_test = 0.995 * x_test + 0.005 * x
    assert x_test == pytest.approx(0.105, abs=0.001)
    assert answer("12", "ema-start-left") == pytest.approx(x_test, rel=1e-9)
    assert 0.95**450 < 1e-9  # the decay that fits the run forgets its start


def test_polyak_memory_by_simulation() -> None:
    x_test, x = 1.0, 0.0  # today's average is all 1; every later weight is 0
    for _ in range(100):
        x_test = 0.995 * x_test + 0.005 * x
    assert answer("12", "polyak-memory") == pytest.approx(x_test, rel=1e-12)


def test_transfer_choice() -> None:
    assert choice_text("12", "transfer-choice").startswith("Freeze a pretrained network")


# ---------------------------------------------------------------------------------------------
# 12 practice
# ---------------------------------------------------------------------------------------------


def test_iterations_per_epoch_match_a_dataloader() -> None:
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    train_images = len(sklearn_datasets.load_digits().images) - 360
    assert train_images == 1437
    loader = torch.utils.data.DataLoader(range(train_images), batch_size=32)
    assert answer("13", "iterations-per-epoch") == len(loader) == math.ceil(1437 / 32) == 45


def test_slide_denominator_by_fractions() -> None:
    slide = 0.7065217391304348
    assert not any(k / 200 == slide for k in range(201))  # no k/200 prints as the slide's line
    smallest = next(n for n in range(1, 201) if any(k / n == slide for k in range(n + 1)))
    assert Fraction(slide).limit_denominator(200) == Fraction(65, smallest) == Fraction(65, 92)
    assert slide == 130 / 184  # the only other count up to 200
    assert answer("13", "slide-denominator") == smallest


def test_race_laggard_choice() -> None:
    # the outcome itself is checked by running the race: test_run_claims_part2.py
    assert choice_text("13", "race-laggard") == "sgd, plain SGD without momentum"


def test_one_test_image_in_points() -> None:
    assert answer("13", "one-test-image") == pytest.approx(1 / 360 * 100, rel=1e-12)


def _summary(*accuracies: float, model: str = "seed-mnist") -> dict[str, Any]:
    return {
        "model": model,
        "dataset": "digits",
        "runs": [{"test_accuracy": a, "status": "done"} for a in accuracies],
    }


def test_train_lecture_net_task() -> None:
    current = lesson("13")
    task = current.exercise("train-lecture-net")
    assert check_task(task, LessonState(training=_summary(0.9528)), current).correct
    short = check_task(task, LessonState(training=_summary(0.9472)), current)
    assert not short.correct
    assert "Hint:" in short.message
    assert not check_task(task, LessonState(training=_summary(0.99, model="lenet5"))).correct
    assert not check_task(task, LessonState(training=None)).correct


def test_race_three_task() -> None:
    current = lesson("13")
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
    assert answer("14", "fgsm-pixel") == pytest.approx(float(adversarial), rel=1e-12)


def test_fgsm_sum_on_a_linear_unit() -> None:
    generator = torch.Generator().manual_seed(0)
    w = torch.full((3, 224, 224), 0.01, dtype=torch.float64)
    w[torch.rand(w.shape, generator=generator) < 0.5] *= -1  # signs mixed, sizes 0.01
    x = torch.rand((3, 224, 224), generator=generator, dtype=torch.float64)
    rise = float((w * (x + 0.007 * w.sign())).sum() - (w * x).sum())
    assert rise == pytest.approx(0.007 * 0.01 * 150_528, rel=1e-9)
    assert answer("14", "fgsm-sum") == pytest.approx(rise, rel=1e-9)


def test_gram_entry_with_a_matrix_product() -> None:
    features = torch.tensor([[1.0, 0.0, 2.0, 1.0], [0.0, 1.0, 1.0, 3.0]])
    gram = features @ features.T
    assert answer("14", "gram-entry") == float(gram[0, 1]) == 5


def test_gram_choice() -> None:
    assert "not where" in choice_text("14", "gram-choice")


# ---------------------------------------------------------------------------------------------
# The answer functions issue 13 added: layer_shape and rmsprop_step
# ---------------------------------------------------------------------------------------------


def test_layer_shape_reads_one_rows_output() -> None:
    spec = "conv(6,5) relu maxpool(2)"
    shapes = [compute(f"layer_shape(model='{spec}', layer={n}, input='1x32x32')") for n in (1, 3)]
    x = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2))(torch.zeros(1, 1, 32, 32))
    assert shapes == ["6x28x28", "x".join(map(str, x.shape[1:]))] == ["6x28x28", "6x14x14"]
    with pytest.raises(LessonError) as info:
        compute("layer_shape(model='relu', layer=2, input='1x4x4')")
    assert str(info.value).endswith("cannot be computed: lesson: relu has no layer 2")


def test_rmsprop_step_matches_torch_over_many_steps_and_is_charged() -> None:
    _, tenth = _steps(torch.optim.RMSprop, grad=-3.0, steps=10, lr=0.01, alpha=0.9)
    value = compute("rmsprop_step(grad=-3, lr=0.01, alpha=0.9, steps=10)")
    assert abs(value) == pytest.approx(tenth, rel=1e-9)
    assert value < 0  # a step against a negative gradient: the size keeps the gradient's sign
    tree = parse("rmsprop_step(grad=1, steps=10)")  # 1 + 1 + 2 argument values + 10 steps
    evaluate(tree, ANSWERS, budget=14)
    with pytest.raises(ExpressionLimitError):
        evaluate(tree, ANSWERS, budget=13)
    with pytest.raises(LessonError) as info:
        compute("rmsprop_step(grad=1, steps=0)")
    assert str(info.value).endswith("steps must be a whole number from 1 to 100,000, got 0")


# ---------------------------------------------------------------------------------------------
# Marking what a student types
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "exercise_id", "typed", "right"),
    [
        ("09", "vgg-cifar-params", "138,357,544", True),
        ("09", "vgg-cifar-params", "37,694,248", False),  # a first fc of 512 inputs
        ("09", "bottleneck-params", "15920", True),
        ("09", "bottleneck-params", "153632", False),
        ("09", "vgg-cifar-shape", "512x1x1", True),
        ("09", "vgg-cifar-shape", "1x1x512", True),  # channels last, as the lecture writes
        ("10", "bn-swap-bias", "96", True),
        ("10", "bn-swap-bias", "192", False),  # forgot the biases the conv drops
        ("10", "bn-output", "3.68", True),
        ("10", "bn-output", "3.5", False),
        ("11", "adam-first-step", "0.001", True),
        ("11", "adam-first-step", "1e-3", True),
        ("11", "adam-first-step", "0.25", False),
        ("11", "momentum-flip", "0.71", True),
        ("11", "momentum-flip", "-1", False),
        ("11", "rmsprop-first-step", "0.01", True),
        ("11", "rmsprop-first-step", "0.001", False),  # Adam's answer, not RMSProp's
        ("12", "ema-start-left", "0.105", True),
        ("12", "ema-start-left", "0", False),
        ("13", "slide-denominator", "92", True),
        ("13", "slide-denominator", "200", False),
        ("12", "polyak-memory", "0.61", True),
        ("12", "polyak-memory", "0.5", False),
        ("13", "iterations-per-epoch", "45", True),
        ("13", "iterations-per-epoch", "44", False),
        ("13", "one-test-image", "0.28", True),
        ("14", "fgsm-pixel", "0.493", True),
        ("14", "fgsm-pixel", "0.507", False),
    ],
)
def test_mark_numbers(prefix: str, exercise_id: str, typed: str, right: bool) -> None:
    current = lesson(prefix)
    verdict = mark(current.exercise(exercise_id), typed, current)
    assert verdict.correct is right, verdict.message
    if not right:
        assert "too high" in verdict.message or "too low" in verdict.message


def test_mark_too_low_shows_the_hint() -> None:
    current = lesson("09")
    verdict = mark(current.exercise("vgg-cifar-params"), "37,694,248", current)
    assert "too low" in verdict.message
    assert "Hint:" in verdict.message


def test_mark_choices_by_number_letter_and_text() -> None:
    current = lesson("09")
    exercise = current.exercise("memory-vs-params")
    assert mark(exercise, "2", current).correct
    assert mark(exercise, "b", current).correct
    assert not mark(exercise, "1", current).correct
    text = "Memory in the early conv layers, parameters in the late FC layers"
    assert mark(exercise, text, current).correct
    assert not mark(lesson("11").exercise("lr-too-high"), "Raise the learning rate").correct
