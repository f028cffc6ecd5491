"""The training-step memory estimate against torch.cuda.max_memory_allocated() (GPU only).

Kept apart from tests/core/test_memory_estimate.py so that the GPU box, which has pytest and
torch but not hypothesis, can run it: `bash benchmarks/gpu_session.sh`.
"""

from __future__ import annotations

import pytest

from cnn_tui.core.stacks import zoo
from cnn_tui.core.stacks.tally import tally
from cnn_tui.core.training.memory_check import measure_cuda_step

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.gpu

TOLERANCE = 0.15
"""How far the estimate may sit from torch.cuda.max_memory_allocated(): cuDNN and cuBLAS
workspaces and the allocator's 512-byte rounding are measured but not estimated."""


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("batch", [8, 32])
@pytest.mark.parametrize("name", ["vgg16", "resnet50"])
def test_training_step_estimate_within_15_percent_on_a_gpu(name, batch, optimizer) -> None:
    result = measure_cuda_step(name, batch, optimizer)
    expected = tally(zoo.get_preset(name).stack(), batch=batch, optimizer=optimizer)
    assert result["estimate"] == expected.totals.training_bytes
    assert result["first_step"] <= result["max_allocated"]
    # what the step needs beyond the parameters already on the GPU is real and large
    assert result["max_allocated"] > result["before_step"] + expected.totals.gradient_bytes
    low, high = 1 - TOLERANCE, 1 + TOLERANCE
    assert low <= result["ratio"] <= high, (
        f"{name} batch {batch} {optimizer}: estimate {result['estimate'] / 2**20:.0f} MiB,"
        f" measured {result['max_allocated'] / 2**20:.0f} MiB"
    )
