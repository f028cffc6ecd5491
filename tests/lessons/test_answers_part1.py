"""Lessons 01-07: every engine-computed answer agrees with one worked out independently here.

The expected values are derived in this file by hand arithmetic (written out) or with PyTorch
(conv2d, conv_transpose2d, pooling, layer parameter counts, softmax, dropout) on the same grids
the lessons show, never copied from the engine's output.
"""

from __future__ import annotations

import math
from collections.abc import Callable
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
from cnn_tui.core.lessons import Exercise, Lesson, load_course
from cnn_tui.core.stepper import PRESETS
from cnn_tui.core.zoo import resolve_stack

torch = pytest.importorskip("torch")
F = torch.nn.functional

LESSONS_DIR = Path(__file__).resolve().parents[2] / "lessons"
PART1 = (
    "01-why-cnns",
    "02-convolution-1d",
    "03-convolution-2d",
    "04-stride-padding",
    "05-filters-channels",
    "06-pooling",
    "07-classifier",
)


def _lessons() -> dict[str, Lesson]:
    course = load_course(LESSONS_DIR)
    return {lesson.id: lesson for lesson in course.lessons if lesson.id in PART1}


LESSONS = _lessons()


def _exercise(lesson_id: str, exercise_id: str) -> tuple[Exercise, Lesson]:
    lesson = LESSONS[lesson_id]
    return lesson.exercise(exercise_id), lesson


# ---------------------------------------------------------------------------------------------
# The grids the lessons show, written out again here
# ---------------------------------------------------------------------------------------------

SENSOR = [0.12, 0.55, 0.31, 0.88, 0.64, 1.17, 0.92, 1.46]
SENSOR += [1.21, 1.73, 1.52, 2.04, 1.79, 2.31, 2.12, 2.58]
SMOOTHING = [0.4, 0.3, 0.2, 0.1]  # weight by age: now, 1 step old, 2 steps, 3 steps

SEED_INPUT = [
    [1, 1, 1, 0, 0],
    [0, 1, 1, 1, 0],
    [0, 0, 1, 1, 1],
    [0, 0, 1, 1, 0],
    [0, 1, 1, 0, 0],
]
SEED_KERNEL = [[1, 0, 1], [0, 1, 0], [1, 0, 1]]

FULL_A = [[1, 3, 1], [0, -1, 1], [2, 2, -1]]
FULL_B = [[1, 2], [0, -1]]
FULL_RESULT = [[1, 5, 7, 2], [0, -2, -4, 1], [2, 6, 4, -3], [0, -2, -2, 1]]  # the lecture's

RGB_IMAGE = [
    [[0, 1, 2, 0, 1], [2, 1, 0, 1, 2], [1, 0, 2, 2, 0], [0, 2, 1, 0, 1], [2, 0, 1, 1, 0]],
    [[1, 0, 0, 2, 1], [0, 2, 1, 0, 0], [2, 1, 0, 1, 2], [1, 1, 2, 0, 0], [0, 2, 0, 1, 2]],
    [[2, 2, 1, 0, 0], [1, 0, 0, 1, 2], [0, 1, 1, 2, 1], [2, 0, 0, 1, 1], [1, 1, 2, 0, 2]],
]
RGB_FILTER_1 = [
    [[1, 0, -1], [0, 1, 0], [-1, 0, 1]],
    [[0, 1, 0], [1, -1, 1], [0, 1, 0]],
    [[-1, -1, 0], [0, 0, 1], [1, 0, 0]],
]

MAXPOOL_GRID = [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]
L2POOL_GRID = [[3, 4, 0, 1], [0, 0, 2, 2], [1, 2, 5, 0], [2, 4, 0, 12]]


def _image(rows: list[list[float]]) -> Any:
    """(H, W) or (C, H, W) nested lists -> a (1, C, H, W) float64 tensor."""
    tensor = torch.tensor(rows, dtype=torch.float64)
    while tensor.dim() < 4:
        tensor = tensor.unsqueeze(0)
    return tensor


def _params(module: Any) -> int:
    return sum(p.numel() for p in module.parameters())


def _shape_text(tensor: Any) -> str:
    return "x".join(str(n) for n in tensor.shape[1:])


def _smoothed(signal: list[float]) -> list[float]:
    """The lesson's s(t) = 0.4 x(t) + 0.3 x(t-1) + 0.2 x(t-2) + 0.1 x(t-3), by torch: conv1d
    is a cross-correlation, so the kernel goes in oldest-first, i.e. flipped."""
    x = torch.tensor(signal, dtype=torch.float64).view(1, 1, -1)
    w = torch.tensor(SMOOTHING[::-1], dtype=torch.float64).view(1, 1, -1)
    return F.conv1d(x, w).flatten().tolist()


def _full_convolution() -> Any:
    # a stride-1 transposed convolution scatters A[i, j] * B[s, t] into (i + s, j + t):
    # exactly the full true convolution sum_s sum_t A[s, t] B[i - s, j - t]
    return F.conv_transpose2d(_image(FULL_A), _image(FULL_B))[0, 0]


# ---------------------------------------------------------------------------------------------
# Independent expected values, one per exercise
# ---------------------------------------------------------------------------------------------

NUMBERS: dict[tuple[str, str], Callable[[], float]] = {
    # lesson 1: hand arithmetic and torch layer sizes
    ("01-why-cnns", "fc-weights"): lambda: 200 * 200 * 3 * 1000,
    ("01-why-cnns", "two-big-layers"): lambda: 256 * 256 * 15000 + 15000 * 15000,
    ("01-why-cnns", "one-filter"): lambda: _params(torch.nn.Conv2d(3, 1, 5)),
    # lesson 2: the smoothing by torch.conv1d
    ("02-convolution-1d", "second-output"): lambda: _smoothed(SENSOR)[1],
    ("02-convolution-1d", "how-many-outputs"): lambda: len(_smoothed(SENSOR)),
    ("02-convolution-1d", "step-response"): lambda: _smoothed([0, 0, 0, 0, 10, 10, 10, 10])[3],
    # lesson 3: conv2d (cross-correlation) and conv_transpose2d (full true convolution)
    ("03-convolution-2d", "seed-cell"): lambda: F.conv2d(_image(SEED_INPUT), _image(SEED_KERNEL))[
        0, 0, 1, 0
    ].item(),
    ("03-convolution-2d", "full-cell"): lambda: _full_convolution()[2, 1].item(),
    # lesson 4: output sizes of real torch layers
    ("04-stride-padding", "stride-two"): lambda: torch.nn.Conv2d(1, 1, 3, stride=2)(
        torch.zeros(1, 1, 5, 5)
    ).shape[-1],
    ("04-stride-padding", "same-padding"): lambda: (5 - 1) // 2,
    ("04-stride-padding", "uneven-size"): lambda: torch.nn.Conv2d(1, 1, 3, stride=2)(
        torch.zeros(1, 1, 10, 10)
    ).shape[-1],
    # lesson 5
    ("05-filters-channels", "vgg-second-layer"): lambda: torch.nn.Conv2d(
        64, 64, 3, bias=False
    ).weight.numel(),
    ("05-filters-channels", "rgb-first-cell"): lambda: F.conv2d(
        _image(RGB_IMAGE),
        torch.tensor([RGB_FILTER_1], dtype=torch.float64),
        bias=torch.tensor([1.0], dtype=torch.float64),
        stride=2,
        padding=1,
    )[0, 0, 0, 0].item(),
    # lesson 6: torch pooling
    ("06-pooling", "avg-lecture-grid"): lambda: F.avg_pool2d(_image(MAXPOOL_GRID), 2)[
        0, 0, 0, 1
    ].item(),
    ("06-pooling", "l2-cell"): lambda: F.lp_pool2d(_image(L2POOL_GRID), 2, 2)[0, 0, 1, 1].item(),
    # lesson 7
    ("07-classifier", "fc1-params"): lambda: _params(torch.nn.Linear(50 * 4 * 4, 500)),
    ("07-classifier", "softmax-top"): lambda: torch.softmax(
        torch.tensor([3.0, 1.0, 0.2], dtype=torch.float64), 0
    )[0].item(),
    ("07-classifier", "dropout-factor"): lambda: 1 / (1 - 0.2),
}

SHAPES: dict[tuple[str, str], Callable[[], str]] = {
    ("05-filters-channels", "six-filters-shape"): lambda: _shape_text(
        torch.nn.Conv2d(3, 6, 5)(torch.zeros(1, 3, 32, 32))
    ),
    ("06-pooling", "pool-depth"): lambda: _shape_text(
        torch.nn.MaxPool2d(2, 2)(torch.zeros(1, 6, 28, 28))
    ),
}

CHOICES: dict[tuple[str, str], str] = {
    ("01-why-cnns", "which-idea"): "weight sharing",
    ("02-convolution-1d", "why-sum-one"): (
        "so that a steady signal comes out unchanged, at the same level"
    ),
    ("03-convolution-2d", "why-same"): (
        "the X kernel looks exactly the same after a half turn, so flipping changes nothing"
    ),
    ("04-stride-padding", "leftover"): (
        "drop the window that would hang off the edge, leaving the last cells unused"
    ),
    ("05-filters-channels", "usual-count"): "256",
    ("06-pooling", "what-is-lost"): "exactly where inside each window the strongest response was",
}

TASKS = {
    ("03-convolution-2d", "flip-the-x"),
    ("07-classifier", "small-cnn"),
}


# ---------------------------------------------------------------------------------------------
# The course itself
# ---------------------------------------------------------------------------------------------


def test_part1_lessons_load_and_compute() -> None:
    course = load_course(LESSONS_DIR)
    broken = [p for p in course.problems if p.path and p.path.stem in PART1]
    assert broken == []
    assert sorted(LESSONS) == sorted(PART1)
    assert [LESSONS[i].order for i in PART1] == [1, 2, 3, 4, 5, 6, 7]
    assert validate_course_answers([LESSONS[i] for i in PART1]) == []


def test_every_exercise_has_an_independent_expectation() -> None:
    listed = set(NUMBERS) | set(SHAPES) | set(CHOICES) | TASKS
    present = {(lesson_id, e.id) for lesson_id in PART1 for e in LESSONS[lesson_id].exercises}
    assert present == listed


def test_each_lesson_has_a_number_exercise_and_a_try_block() -> None:
    for lesson_id in PART1:
        lesson = LESSONS[lesson_id]
        assert 2 <= len(lesson.exercises) <= 4, lesson_id
        assert any(e.kind == "number" for e in lesson.exercises), lesson_id
        assert lesson.try_its, lesson_id


def test_try_targets_exist() -> None:
    for lesson_id in PART1:
        for try_it in LESSONS[lesson_id].try_its:
            if try_it.screen == "stepper":
                assert try_it.target in PRESETS, try_it
            elif try_it.screen in ("builder", "train"):
                assert resolve_stack(try_it.target).layers, try_it
            else:
                assert try_it.target in ("size", "params", "field", "summary"), try_it


# ---------------------------------------------------------------------------------------------
# Answers
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(NUMBERS), ids=lambda k: f"{k[0][:2]}-{k[1]}")
def test_number_answers(key: tuple[str, str]) -> None:
    exercise, lesson = _exercise(*key)
    assert exercise.kind == "number"
    expected = NUMBERS[key]()
    got = compute(exercise.answer, exercise, lesson)
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)
    # what the student is told they must type: whole answers stay whole
    if float(expected).is_integer():
        assert float(got).is_integer()


@pytest.mark.parametrize("key", sorted(SHAPES), ids=lambda k: f"{k[0][:2]}-{k[1]}")
def test_shape_answers(key: tuple[str, str]) -> None:
    exercise, lesson = _exercise(*key)
    assert exercise.kind == "shape"
    assert compute(exercise.answer, exercise, lesson) == SHAPES[key]()


@pytest.mark.parametrize("key", sorted(CHOICES), ids=lambda k: f"{k[0][:2]}-{k[1]}")
def test_choice_answers(key: tuple[str, str]) -> None:
    exercise, lesson = _exercise(*key)
    assert exercise.kind == "choice"
    assert exercise.choices[correct_choice(exercise, lesson)].text == CHOICES[key]


# ---------------------------------------------------------------------------------------------
# The facts the prose states, checked the same independent way
# ---------------------------------------------------------------------------------------------


def test_lesson1_figures() -> None:
    assert 256 * 256 == 65536
    assert 256 * 256 * 1000 > 65_000_000  # "over 65 million"
    assert 256 * 256 * 15000 + 15000 * 15000 > 1_000_000_000  # "over a billion"
    assert _params(torch.nn.Conv2d(3, 1, 5, bias=False)) == 5 * 5 * 3 == 75


def test_lesson2_smoothing_figures() -> None:
    smoothed = _smoothed(SENSOR)
    assert smoothed[0] == pytest.approx(0.4 * 0.88 + 0.3 * 0.31 + 0.2 * 0.55 + 0.1 * 0.12)
    assert smoothed[0] == pytest.approx(0.567)
    assert len(smoothed) == 16 - 4 + 1
    assert _smoothed([0, 0, 0, 0, 10, 10, 10, 10]) == pytest.approx([0, 4, 7, 9, 10])
    assert sum(SMOOTHING) == pytest.approx(1.0)
    # the stepper preset is this very example
    preset = PRESETS["sensor-smoothing"]
    assert preset.input.tolist() == SENSOR
    assert preset.trace().output.flatten().tolist() == pytest.approx(smoothed)


def test_lesson3_grids() -> None:
    seed = F.conv2d(_image(SEED_INPUT), _image(SEED_KERNEL))[0, 0]
    assert seed[0, 0] == 4 and seed[0, 1] == 3  # the lecture's first two cells
    assert tuple(seed.shape) == (3, 3)
    assert _full_convolution().tolist() == FULL_RESULT
    # the pad-then-slide-the-flipped-kernel recipe of the lesson gives the same grid
    flipped = torch.flip(_image(FULL_B), dims=(2, 3))
    assert F.conv2d(_image(FULL_A), flipped, padding=1)[0, 0].tolist() == FULL_RESULT
    # why-same: the X kernel is its own half turn, so convolution equals correlation
    kernel = _image(SEED_KERNEL)
    assert torch.equal(torch.flip(kernel, dims=(2, 3)), kernel)
    assert PRESETS["seed-conv"].input.tolist() == SEED_INPUT
    assert PRESETS["seed-full-conv"].input.tolist() == FULL_A


def test_lesson4_table_and_uneven_stride() -> None:
    rows = [(5, 3, 0, 1, 3), (5, 3, 1, 1, 5), (32, 5, 0, 1, 28), (224, 3, 1, 1, 224)]
    for w, f, p, s, o in rows:
        conv = torch.nn.Conv2d(1, 1, f, stride=s, padding=p)
        assert conv(torch.zeros(1, 1, w, w)).shape[-1] == o
    assert F.conv_transpose2d(torch.zeros(1, 1, 3, 3), torch.zeros(1, 1, 2, 2)).shape[-1] == 4
    # 7x7, 3x3, stride 3: two windows; the last row and column (the 9s) change nothing
    grid = torch.tensor(PRESETS["uneven-stride"].input, dtype=torch.float64).view(1, 1, 7, 7)
    kernel = torch.eye(3, dtype=torch.float64).view(1, 1, 3, 3)
    out = F.conv2d(grid, kernel, stride=3)
    assert tuple(out.shape[-2:]) == (2, 2)
    changed = grid.clone()
    changed[..., 6, :] = -100
    changed[..., :, 6] = -100
    assert torch.equal(F.conv2d(changed, kernel, stride=3), out)


def test_lesson5_figures() -> None:
    assert _params(torch.nn.Conv2d(3, 6, 5)) == (5 * 5 * 3) * 6 + 6 == 456
    assert torch.nn.Conv2d(3, 64, 3, bias=False).weight.numel() == 1728
    assert torch.nn.Conv2d(64, 128, 3, bias=False).weight.numel() == 73728
    assert 32 * 32 * 3 == 3072 and 28 * 28 * 6 == 4704
    # the grids printed in the lesson are the stepper preset's
    preset = PRESETS["rgb-two-filters"]
    assert preset.input.tolist() == RGB_IMAGE
    assert preset.kernel[0].tolist() == RGB_FILTER_1
    out = F.conv2d(
        _image(RGB_IMAGE),
        torch.tensor(preset.kernel.tolist(), dtype=torch.float64),
        bias=torch.tensor([1.0, 0.0], dtype=torch.float64),
        stride=2,
        padding=1,
    )
    assert _shape_text(out) == "2x3x3"
    # the worked explanation: red 1, green -1, blue 2, plus the bias 1
    red = 0 * 1 + 1 * 0 + 2 * 0 + 1 * 1
    green = 1 * -1 + 0 * 1 + 0 * 1 + 2 * 0
    blue = 2 * 0 + 2 * 1 + 1 * 0 + 0 * 0
    assert out[0, 0, 0, 0].item() == red + green + blue + 1 == 3


def test_lesson6_figures() -> None:
    grid = _image(MAXPOOL_GRID)
    assert F.max_pool2d(grid, 2)[0, 0].tolist() == [[6, 8], [3, 4]]  # the lecture's
    assert F.avg_pool2d(grid, 2)[0, 0, 0, 0].item() == (1 + 1 + 5 + 6) / 4 == 3.25
    top_left_l2 = F.lp_pool2d(grid, 2, 2)[0, 0, 0, 0].item()
    assert top_left_l2 == pytest.approx(math.sqrt(1 + 1 + 25 + 36))
    assert round(top_left_l2, 2) == 7.94
    assert _params(torch.nn.MaxPool2d(2)) == 0
    assert PRESETS["seed-maxpool"].input.tolist() == MAXPOOL_GRID
    assert PRESETS["l2pool"].input.tolist() == L2POOL_GRID


class _LectureNet(torch.nn.Module):
    """The lecture's MNIST network, as its PyTorch code defines it."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 20, 5, 1)
        self.conv2 = torch.nn.Conv2d(20, 50, 5, 1)
        self.fc1 = torch.nn.Linear(4 * 4 * 50, 500)
        self.fc2 = torch.nn.Linear(500, 10)

    def forward(self, x: Any) -> Any:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2, 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2, 2)
        x = F.relu(self.fc1(x.flatten(1)))
        return F.log_softmax(self.fc2(x), dim=1)


def test_lesson7_figures() -> None:
    net = _LectureNet()
    total = _params(net)
    assert total == 431_080
    conv = _params(net.conv1) + _params(net.conv2)
    assert 25_000 <= conv < 26_000  # "about 25,000"
    assert _params(net.fc1) / total > 0.9  # "more than 90 %"
    assert net(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    probs = torch.softmax(torch.tensor([2.0, 1.0, 0.1], dtype=torch.float64), 0)
    assert [round(p, 2) for p in probs.tolist()] == [0.66, 0.24, 0.10]
    # inverted dropout: survivors are scaled by 1 / (1 - p) while training
    dropout = torch.nn.Dropout(0.2).train()
    kept = dropout(torch.ones(10_000))
    survivors = kept[kept != 0]
    assert 0 < survivors.numel() < kept.numel()
    assert torch.allclose(survivors, torch.full_like(survivors, 1.25))


# ---------------------------------------------------------------------------------------------
# Marking what a student types
# ---------------------------------------------------------------------------------------------


def test_marking_numbers() -> None:
    exercise, lesson = _exercise("01-why-cnns", "fc-weights")
    assert mark(exercise, "120,000,000", lesson).correct
    assert mark(exercise, "1.2e8", lesson).correct
    low = mark(exercise, "12,000,000", lesson)
    assert not low.correct and "too low" in low.message
    assert "Hint:" in low.message

    exercise, lesson = _exercise("02-convolution-1d", "second-output")
    assert mark(exercise, "0.637", lesson).correct
    assert not mark(exercise, "0.567", lesson).correct  # the first output, not the second

    exercise, lesson = _exercise("07-classifier", "softmax-top")
    assert mark(exercise, "0.84", lesson).correct
    assert mark(exercise, "0.836", lesson).correct
    assert not mark(exercise, "0.9", lesson).correct

    exercise, lesson = _exercise("04-stride-padding", "uneven-size")
    assert mark(exercise, "4", lesson).correct
    assert not mark(exercise, "4.5", lesson).correct  # no rounding down: wrong

    exercise, lesson = _exercise("07-classifier", "dropout-factor")
    assert mark(exercise, "1.25", lesson).correct
    assert mark(exercise, "5/4", lesson).correct
    assert not mark(exercise, "0.8", lesson).correct


def test_marking_shapes_either_order() -> None:
    exercise, lesson = _exercise("05-filters-channels", "six-filters-shape")
    assert mark(exercise, "28x28x6", lesson).correct
    assert mark(exercise, "6x28x28", lesson).correct
    assert not mark(exercise, "6x24x24", lesson).correct
    exercise, lesson = _exercise("06-pooling", "pool-depth")
    assert mark(exercise, "14x14x6", lesson).correct
    assert not mark(exercise, "3x14x14", lesson).correct


def test_marking_choices() -> None:
    exercise, lesson = _exercise("01-why-cnns", "which-idea")
    assert mark(exercise, "2", lesson).correct
    assert mark(exercise, "b", lesson).correct
    assert mark(exercise, "weight sharing", lesson).correct
    assert not mark(exercise, "pooling", lesson).correct
    exercise, lesson = _exercise("05-filters-channels", "usual-count")
    assert mark(exercise, "256", lesson).correct
    assert not mark(exercise, "5000", lesson).correct


# ---------------------------------------------------------------------------------------------
# Tasks
# ---------------------------------------------------------------------------------------------


def test_small_cnn_task() -> None:
    exercise, lesson = _exercise("07-classifier", "small-cnn")
    assert exercise.kind == "task"

    def verdict(spec: str | None) -> Any:
        stack = resolve_stack(spec, (1, 28, 28)) if spec else None
        return check_task(exercise, LessonState(stack=stack), lesson)

    assert not verdict(None).correct
    # the lecture's network: 431,080 parameters, far over the limit
    assert not verdict("seed-mnist").correct
    # the hint's spec: 8*25+8 + 16*8*25+16 + 16*4*4*10+10 = 5,994 parameters
    small = "conv(8,5) relu maxpool(2) conv(16,5) relu maxpool(2) flatten fc(10)"
    assert 8 * 25 + 8 + 16 * 8 * 25 + 16 + 256 * 10 + 10 == 5994
    good = verdict(small)
    assert good.correct and "5,994" in good.message
    # fits and ends in 10, but has no convolution
    assert not verdict("flatten fc(10)").correct
    # a CNN under the limit that ends in the wrong number of classes
    assert not verdict("conv(8,5) relu maxpool(2) flatten fc(12)").correct
    # a CNN that ends in 10 but has just too many parameters: 20*25+20 + 20*12*12*35+35
    over = "conv(20,5) relu maxpool(2) flatten fc(35)"
    assert 20 * 25 + 20 + 20 * 12 * 12 * 35 + 35 >= 100_000
    assert not verdict(over + " relu fc(10)").correct


def test_flip_task() -> None:
    exercise, lesson = _exercise("03-convolution-2d", "flip-the-x")
    assert exercise.kind == "task"
    flipped = LessonState(stepper={"preset": "seed-conv", "mode": "convolution"})
    assert check_task(exercise, flipped, lesson).correct
    plain = LessonState(stepper={"preset": "seed-conv", "mode": "correlation"})
    assert not check_task(exercise, plain, lesson).correct
    other = LessonState(stepper={"preset": "seed-full-conv", "mode": "convolution"})
    assert not check_task(exercise, other, lesson).correct
    assert not check_task(exercise, LessonState(), lesson).correct
