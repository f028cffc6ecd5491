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

from cnn_tui.core.convolution.presets import PRESETS
from cnn_tui.core.course.lesson_answers import LessonState, check_task, compute
from cnn_tui.core.course.lessons import Exercise, Lesson, Markdown, TryIt, load_course
from cnn_tui.core.course.marking import correct_choice, mark, validate_course_answers
from cnn_tui.core.stacks.zoo import resolve_stack

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
AVGPOOL_GRID = [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 0, 0], [1, 2, 0, 8]]  # a lone 8 bottom right
L2POOL_GRID = [[3, 4, 0, 1], [0, 0, 2, 2], [1, 2, 5, 0], [2, 4, 0, 12]]

SOLID = [[1, 1, 1], [1, 1, 1], [1, 1, 1]]
X_DETECTOR = [[1, -1, 1], [-1, 1, -1], [1, -1, 1]]
X_AND_BLOCK = [  # lesson 3's x-detector input: an X, then a solid block
    [0, 0, 0, 0, 0, 0, 0, 0, 0],
    [0, 1, 0, 1, 0, 1, 1, 1, 0],
    [0, 0, 1, 0, 0, 1, 1, 1, 0],
    [0, 1, 0, 1, 0, 1, 1, 1, 0],
    [0, 0, 0, 0, 0, 0, 0, 0, 0],
]
SMALL_X = [  # lesson 6's shift-conv input
    [0, 0, 0, 0, 0, 0, 0],
    [0, 1, 0, 1, 0, 0, 0],
    [0, 0, 1, 0, 0, 0, 0],
    [0, 1, 0, 1, 0, 0, 0],
    [0, 0, 0, 0, 0, 0, 0],
]
SMALL_X_MOVED = [  # the same, one pixel to the right
    [0, 0, 0, 0, 0, 0, 0],
    [0, 0, 1, 0, 1, 0, 0],
    [0, 0, 0, 1, 0, 0, 0],
    [0, 0, 1, 0, 1, 0, 0],
    [0, 0, 0, 0, 0, 0, 0],
]
POOL_MAP = [[9, 1, 7, 0], [2, 0, 3, 0], [0, 0, 5, 0], [4, 1, 0, 2]]
POOL_MAP_MOVED = [[0, 9, 1, 7], [0, 2, 0, 3], [0, 0, 0, 5], [0, 4, 1, 0]]
DOTS = [[1 if r % 2 == 0 and c % 2 == 0 else 0 for c in range(7)] for r in range(7)]


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


def _field_by_gradient(layers: list[Any], size: int = 32) -> int:
    """Receptive field by autograd: the width of the input patch whose pixels change the middle
    cell of the last map. Weights are all positive and max pools become average pools (the
    same windows), so no pixel in the field can have a zero gradient by accident."""
    modules = []
    for layer in layers:
        if isinstance(layer, torch.nn.MaxPool2d):
            layer = torch.nn.AvgPool2d(layer.kernel_size, layer.stride)
        elif isinstance(layer, torch.nn.Conv2d):
            torch.nn.init.constant_(layer.weight, 1.0)
        modules.append(layer)
    net = torch.nn.Sequential(*modules).double()
    image = torch.zeros(1, 1, size, size, dtype=torch.float64, requires_grad=True)
    out = net(image)
    out[0, 0, out.shape[2] // 2, out.shape[3] // 2].backward()
    columns = image.grad[0, 0].abs().sum(0).nonzero().flatten()
    return int(columns.max() - columns.min() + 1)


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
    ("03-convolution-2d", "solid-patch"): lambda: F.conv2d(
        _image(SOLID), _image(SEED_KERNEL)
    ).item(),
    ("03-convolution-2d", "detector-on-block"): lambda: F.conv2d(
        _image(SOLID), _image(X_DETECTOR)
    ).item(),
    # lesson 4: output sizes of real torch layers
    ("04-stride-padding", "stride-two"): lambda: torch.nn.Conv2d(1, 1, 3, stride=2)(
        torch.zeros(1, 1, 5, 5)
    ).shape[-1],
    ("04-stride-padding", "same-padding"): lambda: (5 - 1) // 2,
    ("04-stride-padding", "uneven-size"): lambda: torch.nn.Conv2d(1, 1, 3, stride=2)(
        torch.zeros(1, 1, 10, 10)
    ).shape[-1],
    ("04-stride-padding", "dilated-size"): lambda: torch.nn.Conv2d(1, 1, 3, dilation=2)(
        torch.zeros(1, 1, 32, 32)
    ).shape[-1],
    ("04-stride-padding", "field-two-layers"): lambda: _field_by_gradient(
        [torch.nn.Conv2d(1, 1, 3), torch.nn.Conv2d(1, 1, 3)]
    ),
    ("04-stride-padding", "field-after-stride"): lambda: _field_by_gradient(
        [torch.nn.Conv2d(1, 1, 3, stride=2), torch.nn.Conv2d(1, 1, 3)]
    ),
    # lesson 5
    ("05-filters-channels", "alexnet-conv1-params"): lambda: _params(
        torch.nn.Conv2d(3, 96, 11, stride=4)
    ),
    # a locally connected layer: every one of the 55 x 55 positions owns 96 filters and biases
    ("05-filters-channels", "alexnet-no-sharing"): lambda: 55 * 55 * (11 * 11 * 3 * 96 + 96),
    # im2col by torch.unfold: (positions x patch) times (patch x filters)
    ("05-filters-channels", "im2col-macs"): lambda: (
        math.prod(F.unfold(torch.zeros(1, 20, 12, 12), 5)[0].T.shape) * 50
    ),
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
    ("06-pooling", "shifted-x"): lambda: F.conv2d(_image(SMALL_X_MOVED), _image(X_DETECTOR))[
        0, 0, 1, 3
    ].item(),
    ("06-pooling", "shifted-pool"): lambda: F.max_pool2d(_image(POOL_MAP_MOVED), 2)[
        0, 0, 0, 1
    ].item(),
    ("06-pooling", "field-seed-mnist"): lambda: _field_by_gradient(
        [
            torch.nn.Conv2d(1, 1, 5),
            torch.nn.MaxPool2d(2, 2),
            torch.nn.Conv2d(1, 1, 5),
            torch.nn.MaxPool2d(2, 2),
        ],
        size=28,
    ),
    # lesson 7
    ("07-classifier", "fc1-params"): lambda: _params(torch.nn.Linear(50 * 4 * 4, 500)),
    ("07-classifier", "softmax-top"): lambda: torch.softmax(
        torch.tensor([3.0, 1.0, 0.2], dtype=torch.float64), 0
    )[0].item(),
    ("07-classifier", "dropout-factor"): lambda: 1 / (1 - 0.2),
    # 44 full batches of 32 and one of 29: torch's DataLoader keeps the last, smaller batch
    ("07-classifier", "epoch-steps"): lambda: len(
        torch.utils.data.DataLoader(range(1437), batch_size=32)
    ),
}

SHAPES: dict[tuple[str, str], Callable[[], str]] = {
    ("05-filters-channels", "alexnet-conv1-shape"): lambda: _shape_text(
        torch.nn.Conv2d(3, 96, 11, stride=4)(torch.zeros(1, 3, 227, 227))
    ),
    ("06-pooling", "alexnet-pool"): lambda: _shape_text(
        torch.nn.MaxPool2d(3, 2)(torch.zeros(1, 96, 55, 55))
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
    # the run behind this one is tests/lessons/test_run_claims_part1.py
    ("07-classifier", "one-epoch-guess"): (
        "far below it, well under 90 %: 45 small steps are not enough"
    ),
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
        assert 2 <= len(lesson.exercises) <= 8, lesson_id
        assert any(e.kind == "number" for e in lesson.exercises), lesson_id
        assert lesson.try_its, lesson_id


PREDICTIONS: dict[str, list[tuple[str, str]]] = {
    # lesson: (exercise asked first, a phrase of the explanation that gives its answer)
    "01-why-cnns": [("fc-weights", "120,000 × 1,000 = 120,000,000")],
    "02-convolution-1d": [("how-many-outputs", "16 − 4 + 1 = 13")],
    "03-convolution-2d": [("solid-patch", "The blob scores 5")],
    "04-stride-padding": [
        ("stride-two", "can start at column 0 and column 2"),
        ("same-padding", "P = (F − 1) / 2"),
        ("field-two-layers", "together they cover 5"),
    ],
    "05-filters-channels": [("alexnet-conv1-shape", "With K filters we get K feature maps")],
    "06-pooling": [
        ("shifted-x", "That is **equivariance**"),
        ("shifted-pool", "**invariant** to that shift"),
        ("field-seed-mnist", "The last pool brings it to 16"),
    ],
    "07-classifier": [
        ("epoch-steps", "ours makes 45"),
        ("one-epoch-guess", "one-epoch run ends at about 58 %"),
    ],
}


def _prose(segments: Any) -> str:
    """The reading text and Try-it texts, whitespace folded (exercises left out)."""
    texts = (s.text for s in segments if isinstance(s, (Markdown, TryIt)))
    return " ".join(" ".join(text.split()) for text in texts)


def test_every_lesson_asks_before_it_tells() -> None:
    """Each lesson has a prediction exercise whose explanation comes only after it."""
    assert sorted(PREDICTIONS) == sorted(PART1)
    for lesson_id, asked in PREDICTIONS.items():
        segments = LESSONS[lesson_id].segments
        for exercise_id, phrase in asked:
            at = next(
                i for i, s in enumerate(segments) if isinstance(s, Exercise) and s.id == exercise_id
            )
            assert phrase not in _prose(segments[:at]), (lesson_id, exercise_id)
            assert phrase in _prose(segments[at + 1 :]), (lesson_id, exercise_id)


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


def test_lesson3_kernel_detects_brightness_not_an_x() -> None:
    x_patch = _image(SEED_KERNEL)  # a perfect X is the kernel itself
    assert F.conv2d(x_patch, _image(SEED_KERNEL)).item() == 5
    assert F.conv2d(_image(SOLID), _image(SEED_KERNEL)).item() == 5  # the blob ties the X
    assert F.conv2d(x_patch, _image(X_DETECTOR)).item() == 5
    assert F.conv2d(_image(SOLID), _image(X_DETECTOR)).item() == 5 - 4
    # the x-detector preset: the X scores 5 at (1, 1), the block 1 at (1, 5); the lecture's
    # kernel scores 5 on both
    preset = PRESETS["x-detector"]
    assert preset.input.tolist() == X_AND_BLOCK
    assert preset.kernel.tolist() == X_DETECTOR
    with_negatives = F.conv2d(_image(X_AND_BLOCK), _image(X_DETECTOR))[0, 0]
    assert preset.trace().output[0].tolist() == with_negatives.tolist()
    assert (with_negatives[1, 1].item(), with_negatives[1, 5].item()) == (5, 1)
    assert with_negatives.max().item() == 5
    plain = F.conv2d(_image(X_AND_BLOCK), _image(SEED_KERNEL))[0, 0]
    assert (plain[1, 1].item(), plain[1, 5].item()) == (5, 5)


def test_lesson4_dilation_preset() -> None:
    preset = PRESETS["dilated-conv"]
    assert preset.input.tolist() == DOTS
    assert preset.settings["dilation"] == 2
    ones = torch.ones(1, 1, 3, 3, dtype=torch.float64)
    dilated = F.conv2d(_image(DOTS), ones, dilation=2)[0, 0]
    assert dilated.tolist() == [[9, 0, 9], [0, 0, 0], [9, 0, 9]]  # nine dots, then none
    assert preset.trace().output[0].tolist() == dilated.tolist()
    assert tuple(F.conv2d(_image(DOTS), ones).shape[-2:]) == (5, 5)  # dilation 1
    assert 2 * (3 - 1) + 1 == 5  # the span F' = d(F - 1) + 1
    # two 3x3 layers see as far as one 5x5; a stride on the second layer widens nothing yet
    assert _field_by_gradient([torch.nn.Conv2d(1, 1, 5)]) == 5
    assert _field_by_gradient([torch.nn.Conv2d(1, 1, 3), torch.nn.Conv2d(1, 1, 3, stride=2)]) == 5
    assert _field_by_gradient([torch.nn.Conv2d(1, 1, 3, dilation=2)]) == 5


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


def test_lesson5_alexnet_and_im2col() -> None:
    conv1 = torch.nn.Conv2d(3, 96, 11, stride=4)
    assert _params(conv1) == 34_944
    assert 55 * 55 * _params(conv1) == 105_705_600
    assert round(105_705_600 / 34_944) == 55 * 55 == 3025  # "about 3,000 times as many"
    assert (227 - 11) % 4 == 0 and (224 - 11) % 4 != 0  # only 227 divides whole
    # im2col of the six 5x5 filters on 32x32x3: (784 x 75) @ (75 x 6), folded back = conv2d
    image = torch.randn(
        1, 3, 32, 32, dtype=torch.float64, generator=torch.Generator().manual_seed(0)
    )
    conv = torch.nn.Conv2d(3, 6, 5).double()
    patches = F.unfold(image, 5)[0].T
    assert tuple(patches.shape) == (784, 75)
    weights = conv.weight.reshape(6, 75).T
    assert tuple(weights.shape) == (75, 6)
    folded = (patches @ weights + conv.bias).T.reshape(1, 6, 28, 28)
    assert torch.allclose(folded, conv(image))
    assert 784 * 75 * 6 == 352_800 and 784 * 75 == 58_800 and 32 * 32 * 3 == 3072
    # the lecture's conv2: 64 x 500 patches, 500 x 50 weights
    assert tuple(F.unfold(torch.zeros(1, 20, 12, 12), 5)[0].T.shape) == (64, 500)
    assert 64 * 500 * 50 == 1_600_000


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
    # the avgpool preset: the table's 3.25 top left, and a lone 8 diluted to a quarter
    averaged = PRESETS["avgpool"]
    assert averaged.input.tolist() == AVGPOOL_GRID
    assert AVGPOOL_GRID[:2] == MAXPOOL_GRID[:2]
    pooled = F.avg_pool2d(_image(AVGPOOL_GRID), 2)[0, 0]
    assert averaged.trace().output[0].tolist() == pooled.tolist() == [[3.25, 5.25], [2, 2]]
    assert F.max_pool2d(_image(AVGPOOL_GRID), 2)[0, 0, 1, 1].item() == 8 == 4 * pooled[1, 1]
    # AlexNet's overlapping pool
    assert (55 - 3) // 2 + 1 == 27


def test_lesson6_shifts_equivariance_and_invariance() -> None:
    assert PRESETS["shift-conv"].input.tolist() == SMALL_X
    assert PRESETS["shift-conv-moved"].input.tolist() == SMALL_X_MOVED
    assert PRESETS["shift-maxpool"].input.tolist() == POOL_MAP
    assert PRESETS["shift-maxpool-moved"].input.tolist() == POOL_MAP_MOVED
    assert torch.equal(torch.roll(_image(SMALL_X), 1, dims=3), _image(SMALL_X_MOVED))
    for name in ("shift-conv", "shift-conv-moved"):
        assert PRESETS[name].kernel.tolist() == X_DETECTOR
    before = F.conv2d(_image(SMALL_X), _image(X_DETECTOR))[0, 0]
    after = F.conv2d(_image(SMALL_X_MOVED), _image(X_DETECTOR))[0, 0]
    assert PRESETS["shift-conv"].trace().output[0].tolist() == before.tolist()
    assert PRESETS["shift-conv-moved"].trace().output[0].tolist() == after.tolist()
    assert before[1].tolist() == [-3, 5, -3, 2, 0]  # "its middle row reads -3 5 -3 2 0"
    assert torch.equal(after[:, 1:], before[:, :-1])  # equivariance: the map moved too
    assert after[1, 2].item() == 5
    # pooling: the shifted map pools to the same 9 7 / 4 5
    pooled = F.max_pool2d(_image(POOL_MAP), 2)[0, 0]
    assert pooled.tolist() == [[9, 7], [4, 5]]
    assert F.max_pool2d(_image(POOL_MAP_MOVED), 2)[0, 0].tolist() == pooled.tolist()
    for name in ("shift-maxpool", "shift-maxpool-moved"):
        assert PRESETS[name].trace().output[0].tolist() == pooled.tolist()
    assert POOL_MAP_MOVED[0][2:] == [1, 7] and POOL_MAP_MOVED[1][2:] == [0, 3]
    # "shift two pixels and the maxima cross into the next windows"
    two = torch.roll(_image(POOL_MAP_MOVED), 1, dims=3)
    two[..., 0] = 0
    assert F.max_pool2d(two, 2)[0, 0].tolist() != pooled.tolist()
    # the receptive field walk of seed-mnist: 5, 6, 14, 16 (pools as averages, same windows)
    conv, pool = torch.nn.Conv2d(1, 1, 5), torch.nn.MaxPool2d(2, 2)
    assert _field_by_gradient([conv], 28) == 5
    assert _field_by_gradient([conv, pool], 28) == 6
    assert _field_by_gradient([conv, pool, torch.nn.Conv2d(1, 1, 5)], 28) == 14


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

    exercise, lesson = _exercise("06-pooling", "shifted-x")
    assert mark(exercise, "-3", lesson).correct
    high = mark(exercise, "2", lesson)  # the value before the shift
    assert not high.correct and "too high" in high.message

    exercise, lesson = _exercise("07-classifier", "dropout-factor")
    assert mark(exercise, "1.25", lesson).correct
    assert mark(exercise, "5/4", lesson).correct
    assert not mark(exercise, "0.8", lesson).correct


def test_marking_shapes_either_order() -> None:
    exercise, lesson = _exercise("05-filters-channels", "alexnet-conv1-shape")
    assert mark(exercise, "55x55x96", lesson).correct
    assert mark(exercise, "96x55x55", lesson).correct
    assert not mark(exercise, "3x55x55", lesson).correct  # one map per filter, not per channel
    exercise, lesson = _exercise("06-pooling", "alexnet-pool")
    assert mark(exercise, "27x27x96", lesson).correct
    assert not mark(exercise, "96x27x27x96", lesson).correct
    assert not mark(exercise, "28x28x96", lesson).correct


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
