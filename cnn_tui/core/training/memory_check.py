"""Measured memory of real torch modules, to check the tally's training-step estimate against.

`measure_saved_bytes` counts what autograd keeps for the backward pass of a built stack (on any
device, the CPU included); `measure_cuda_step` runs real training steps on a GPU and reads the
caching allocator's peak. torch is imported inside the functions: the core must load without it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..stacks.shapes import StackError, format_shape
from ..stacks.stack import Stack
from ..stacks.tally import DTYPE_BYTES, OPTIMIZER_STATE, saved_parts, tally
from ..stacks.torch_bridge import StackLike, build_module
from ..stacks.zoo import resolve_stack

if TYPE_CHECKING:
    import torch
    from torch import nn

TORCH_DTYPES = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16", "fp64": "float64"}
"""The torch dtype name for each dtype a student may pick."""

MEASURED_STEPS = 2
"""Training steps measured by measure_cuda_step: the first creates the optimizer state (Adam's
moments), the second runs its backward pass with that state already in memory, which is the
peak every later step repeats."""


def _as_stack(stack: StackLike | str) -> Stack:
    if isinstance(stack, Stack):
        return stack
    if isinstance(stack, str):
        return resolve_stack(stack)
    raise StackError("measure a Stack or a preset name / spec text, e.g. 'vgg16'")


def _torch_dtype(dtype: str) -> torch.dtype:
    import torch

    if dtype not in TORCH_DTYPES:
        raise StackError(f"dtype must be one of {', '.join(TORCH_DTYPES)}, got {dtype!r}")
    return getattr(torch, TORCH_DTYPES[dtype])


def _storage_key(tensor: torch.Tensor) -> int:
    # distinct tensors that share memory (a view, an output kept by two layers) count once
    return tensor.untyped_storage().data_ptr()


def measure_saved_bytes(
    stack: Stack | str, batch: int, dtype: str = "fp32", device: str = "cpu", seed: int = 0
) -> int:
    """Bytes of the distinct storages autograd saves in one training-mode forward pass.

    Builds the stack with torch_bridge.build_module, runs a random batch under
    torch.autograd.graph.saved_tensors_hooks and sums each saved storage once (keyed by its
    data pointer). Parameters and buffers are left out: the tally counts them separately.
    """
    # deferred: importing torch takes seconds and the app must paint at once
    import torch

    target = _as_stack(stack)
    torch_dtype = _torch_dtype(dtype)
    torch.manual_seed(seed)
    module = build_module(target).to(device=device, dtype=torch_dtype)
    images = torch.randn(batch, *target.input_shape, device=device, dtype=torch_dtype)
    return measure_module_saved_bytes(module, images)


def measure_module_saved_bytes(module: nn.Module, images: torch.Tensor) -> int:
    """Bytes autograd saves in one training-mode forward pass of any module (torchvision's too).

    Each saved storage counts once; the module's own parameters and buffers are left out.
    """
    import torch

    module.train()
    owned = {_storage_key(t) for t in (*module.parameters(), *module.buffers())}
    saved: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        key = _storage_key(tensor)
        if key not in owned:
            saved.setdefault(key, tensor.untyped_storage().nbytes())
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        output = module(images)
    del output
    # an empty tensor (cuDNN batch norm's reserve) has no memory and a null pointer
    saved.pop(0, None)
    return sum(saved.values())


def estimated_saved_bytes(
    stack: Stack | str, batch: int, dtype: str = "fp32", device: str = "cuda"
) -> int:
    """The tally's saved-for-backward bytes for that device type ('cuda' or 'cpu')."""
    target = _as_stack(stack)
    result = tally(target, batch=batch, dtype=dtype)
    return saved_parts(result.rows, result.input_shape).bytes(batch, dtype, device)


def _optimizer(name: str, module: nn.Module) -> torch.optim.Optimizer:
    import torch

    params = module.parameters()
    makers = {
        "sgd": lambda: torch.optim.SGD(params, lr=0.01),
        "momentum": lambda: torch.optim.SGD(params, lr=0.01, momentum=0.9),
        "nesterov": lambda: torch.optim.SGD(params, lr=0.01, momentum=0.9, nesterov=True),
        "adagrad": lambda: torch.optim.Adagrad(params, lr=0.01),
        "rmsprop": lambda: torch.optim.RMSprop(params, lr=0.001),
        "adam": lambda: torch.optim.Adam(params, lr=0.001),
        "adamw": lambda: torch.optim.AdamW(params, lr=0.001),
    }
    if name not in makers:
        raise StackError(f"optimizer must be one of {', '.join(OPTIMIZER_STATE)}, got {name!r}")
    return makers[name]()


def measure_cuda_step(
    stack: Stack | str,
    batch: int,
    optimizer: str = "sgd",
    dtype: str = "fp32",
    steps: int = MEASURED_STEPS,
    seed: int = 0,
) -> dict[str, Any]:
    """Peak GPU memory of real training steps next to the tally's estimate.

    Moves the built stack to the GPU, makes the optimizer and a random batch with labels, resets
    the peak statistics and runs `steps` full steps (forward, cross-entropy or NLL loss,
    backward, optimizer.step, zero_grad). Returns max_allocated (the peak over all the steps),
    first_step (the peak of the first step alone), estimate (Totals.training_bytes), ratio
    (estimate / max_allocated) and the parts of the estimate. Every figure leaves out what was
    allocated before the call (other_allocated: earlier runs' tensors, cuBLAS workspaces of
    other streams), so a long-lived process measures the same. Raises RuntimeError without CUDA.
    """
    import torch
    import torch.nn.functional as F

    if not torch.cuda.is_available():
        raise RuntimeError("measure_cuda_step needs a CUDA device")
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    target = _as_stack(stack)
    totals = tally(target, batch=batch, dtype=dtype, optimizer=optimizer).totals
    output_shape = target.output_shape()
    if len(output_shape) != 1:
        raise StackError(
            f"a training step needs class scores, the stack gives {format_shape(output_shape)}"
        )
    classes = output_shape[0]
    torch_dtype = _torch_dtype(dtype)
    torch.manual_seed(seed)
    device = torch.device("cuda")
    torch.cuda.synchronize()
    other = torch.cuda.memory_allocated()
    module = build_module(target).to(device=device, dtype=torch_dtype).train()
    opt = _optimizer(optimizer, module)
    images = torch.randn(batch, *target.input_shape, device=device, dtype=torch_dtype)
    labels = torch.randint(0, classes, (batch,), device=device)
    # the lecture's nets end in log-softmax and train with NLL; raw scores take cross-entropy
    ends_in_log_probs = target.layers[-1].kind == "logsoftmax"
    loss_of = F.nll_loss if ends_in_log_probs else F.cross_entropy

    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    baseline = torch.cuda.memory_allocated() - other
    first_step, peak = _peak_of_steps(module, opt, images, labels, loss_of, steps, other)
    result = {
        "stack": target.name or target.spec,
        "batch": batch,
        "optimizer": optimizer,
        "dtype": dtype,
        "device": torch.cuda.get_device_name(device),
        "max_allocated": peak,
        "first_step": first_step,
        "before_step": baseline,
        "other_allocated": other,
        "estimate": totals.training_bytes,
        "ratio": totals.training_bytes / peak,
        "saved_bytes": totals.saved_bytes,
        "parameter_bytes": totals.parameter_bytes,
        "gradient_bytes": totals.gradient_bytes,
        "optimizer_bytes": totals.optimizer_bytes,
        "scratch_bytes": totals.scratch_bytes,
        "dtype_bytes": DTYPE_BYTES[dtype],
    }
    del module, opt, images, labels
    torch.cuda.empty_cache()
    return result


def _peak_of_steps(
    module: nn.Module,
    opt: torch.optim.Optimizer,
    images: torch.Tensor,
    labels: torch.Tensor,
    loss_of: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    steps: int,
    other: int,
) -> tuple[int, int]:
    """Run `steps` full training steps: the peak of the first step alone and of them all,
    each less `other` (what was allocated before the measurement)."""
    import torch

    first_step = 0
    for number in range(steps):
        loss = loss_of(module(images), labels)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        del loss
        if number == 0:
            torch.cuda.synchronize()
            first_step = torch.cuda.max_memory_allocated() - other
    torch.cuda.synchronize()
    peak = torch.cuda.max_memory_allocated() - other
    return first_step, peak
