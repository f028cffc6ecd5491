"""Lesson 8, the backward pass: every answer against torch.autograd, its Try-it presets, and
the renamed lessons after it keeping their students' progress."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnn_tui.core.course.lesson_answers import compute
from cnn_tui.core.course.lessons import load_course, load_lesson
from cnn_tui.core.course.marking import correct_choice, try_target_problem, validate_course_answers

torch = pytest.importorskip("torch")
F = torch.nn.functional

LESSON = load_lesson(Path(__file__).resolve().parents[2] / "lessons" / "08-backward-pass.md")
SEED = [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]]
SEED_KERNEL = [[1, 0, 1], [0, 1, 0], [1, 0, 1]]
SMALL = [[1, 2, 0], [0, 1, 1], [1, 0, 2]]
SMALL_KERNEL = [[1, 0], [1, -1]]


def answer(exercise_id: str):
    return compute(LESSON.exercise(exercise_id).answer)


def conv_grads(image, kernel, grad=None):
    x = torch.tensor([[image]], dtype=torch.float64, requires_grad=True)
    w = torch.tensor([[kernel]], dtype=torch.float64, requires_grad=True)
    y = F.conv2d(x, w)
    y.backward(torch.ones_like(y) if grad is None else torch.tensor([[grad]], dtype=y.dtype))
    return w.grad[0, 0], x.grad[0, 0]


def test_every_answer_computes_and_every_try_it_opens():
    assert validate_course_answers([LESSON]) == []
    assert LESSON.order == 8
    for try_it in LESSON.try_its:
        assert try_target_problem(try_it.screen, try_it.target) is None
    assert {t.target for t in LESSON.try_its} >= {
        "backprop-seed-conv", "backprop-stride2", "backprop-maxpool-tie", "backprop-two-filters",
        "backprop-loss", "seed-full-conv",
    }  # fmt: skip


def test_conv_gradients_equal_autograd():
    grad_w, grad_x = conv_grads(SEED, SEED_KERNEL)
    assert answer("weight-gradient") == grad_w[0, 0].item() == 6
    assert answer("input-gradient") == grad_x[2, 2].item() == 5
    assert answer("sgd-weight") == pytest.approx(1 - 0.1 * grad_w[0, 0].item())
    grad_w, _ = conv_grads(SMALL, SMALL_KERNEL, [[3, 1], [2, 0]])
    assert answer("weight-gradient-weighted") == grad_w[0, 1].item() == 8
    _, grad_x = conv_grads(SMALL, SMALL_KERNEL, [[2, 1], [1, 2]])
    assert answer("input-gradient-weighted") == grad_x[1, 1].item() == 1


def test_the_max_pool_tie_goes_where_autograd_sends_it():
    x = torch.tensor(
        [[[[1, 3, 2, 2], [3, 0, 1, 2], [4, 0, 5, 2], [0, 4, 0, 1]]]],
        dtype=torch.float64,
        requires_grad=True,
    )
    F.max_pool2d(x, 2).backward(torch.tensor([[[[1, 2], [3, 4]]]], dtype=torch.float64))
    assert answer("maxpool-route") == x.grad[0, 0, 0, 1].item() == 1
    assert x.grad[0, 0, 1, 0].item() == 0
    other_three = "input='1 3 2 2; 3 0 1 2; 4 0 5 2; 0 4 0 1', size=2, row=1, col=0"
    assert compute(f"pool_grad({other_three}, grad='1 2; 3 4')") == 0


def test_the_flipped_kernel_is_the_one_the_full_convolution_uses():
    exercise = LESSON.exercise("flip-kernel")
    flipped = torch.flip(torch.tensor([[1, 2], [3, 4]]), dims=(0, 1)).tolist()
    text = "; ".join(" ".join(str(v) for v in row) for row in flipped)
    assert exercise.choices[correct_choice(exercise)].text == text == "4 3; 2 1"
    # dL/dX is the full convolution of dL/dY with that flipped kernel: autograd agrees
    _, grad_x = conv_grads(SMALL, SMALL_KERNEL, [[2, 1], [1, 2]])
    full = F.conv2d(
        F.pad(torch.tensor([[[[2.0, 1], [1, 2]]]], dtype=torch.float64), (1, 1, 1, 1)),
        torch.flip(torch.tensor([[SMALL_KERNEL]], dtype=torch.float64), dims=(2, 3)),
    )
    assert torch.equal(full[0, 0], grad_x)


def test_the_lessons_after_it_keep_their_old_ids_for_progress():
    course = load_course()
    was = {lesson.id: lesson.was for lesson in course.lessons if lesson.order > 8}
    assert was == {
        "09-classic-architectures": ("08-classic-architectures",),
        "10-batch-norm": ("09-batch-norm",),
        "11-optimisers": ("10-optimisers",),
        "12-generalisation": ("11-generalisation",),
        "13-practice": ("12-practice",),
        "14-adversarial-and-beyond": ("13-adversarial-and-beyond",),
    }
