"""Training-step memory: the tally's estimate against torch, printed as tables (and JSON).

On any machine: the bytes autograd saves for backward in small stacks (and VGG-16 and ResNet-50
at batch 1), measured on the CPU, next to the estimate. With CUDA: the peak of real training
steps (torch.cuda.max_memory_allocated) for VGG-16 and ResNet-50 at batch 8 and 32 with SGD and
Adam, next to Totals.training_bytes. Usage: python benchmarks/memory_estimate.py [--no-big]
"""

from __future__ import annotations

import json
import sys
import warnings

from cnn_tui.core.stacks.spec_parser import parse_layers
from cnn_tui.core.stacks.stack import Stack
from cnn_tui.core.training.memory_check import (
    estimated_saved_bytes,
    measure_cuda_step,
    measure_saved_bytes,
)

MIB = 1024 * 1024

CPU_CASES: list[tuple[str, Stack | str, int]] = [
    ("seed-mnist", "seed-mnist", 8),
    ("lenet5", "lenet5", 8),
    (
        "resnet-like",
        Stack(
            parse_layers(
                "conv(16,3,p=1,bias=false) bn relu res[conv(16,3,p=1) bn relu conv(16,3,p=1) bn]"
                " relu res[conv(32,3,s=2,p=1) bn relu conv(32,3,p=1) bn | conv(32,1,s=2) bn]"
                " relu adaptiveavgpool(1) flatten fc(10)"
            ),
            (3, 32, 32),
        ),
        8,
    ),
    (
        "inception-like",
        Stack(
            parse_layers(
                "conv(16,3,p=1) relu maxpool(2) cat[conv(8,1) relu | conv(8,3,p=1) relu"
                " | maxpool(3,s=1,p=1) conv(8,1) relu] dropout2d(0.2) avgpool(2) lrn(5)"
                " dense(2,8) flatten dropout fc(64) tanh fc(10) logsoftmax"
            ),
            (3, 32, 32),
        ),
        8,
    ),
]
BIG_CPU_CASES: list[tuple[str, Stack | str, int]] = [
    ("vgg16", "vgg16", 1),
    ("resnet50", "resnet50", 1),
]

GPU_MODELS = ("vgg16", "resnet50")
GPU_BATCHES = (8, 32)
GPU_OPTIMIZERS = ("sgd", "adam")


def cpu_part(big: bool) -> list[dict]:
    rows = []
    warnings.filterwarnings("ignore", "Using padding='same' with even kernel")
    for name, stack, batch in CPU_CASES + (BIG_CPU_CASES if big else []):
        measured = measure_saved_bytes(stack, batch)
        estimate = estimated_saved_bytes(stack, batch, device="cpu")
        on_gpu = estimated_saved_bytes(stack, batch, device="cuda")
        rows.append(
            {
                "stack": name,
                "batch": batch,
                "estimate_bytes": estimate,
                "measured_bytes": measured,
                "ratio": estimate / measured if measured else None,
                "gpu_estimate_bytes": on_gpu,
            }
        )
    print("saved for backward, fp32, measured on the CPU (saved_tensors_hooks, distinct storages)")
    print(f"  {'stack':<15} {'batch':>5} {'estimate':>14} {'measured':>14} {'ratio':>7}")
    for row in rows:
        ratio = f"{row['ratio']:.4f}" if row["ratio"] is not None else "-"
        print(
            f"  {row['stack']:<15} {row['batch']:>5} {row['estimate_bytes']:>14,}"
            f" {row['measured_bytes']:>14,} {ratio:>7}"
        )
    return rows


def gpu_part() -> list[dict]:
    rows = []
    for name in GPU_MODELS:
        for batch in GPU_BATCHES:
            for optimizer in GPU_OPTIMIZERS:
                rows.append(measure_cuda_step(name, batch, optimizer))
    print(f"one training step on {rows[0]['device']}, fp32: max_memory_allocated over two steps")
    header = (
        f"  {'model':<9} {'batch':>5} {'optimizer':<9} {'estimate MiB':>12}"
        f" {'measured MiB':>12} {'ratio':>6} {'1st step MiB':>12}"
    )
    print(header)
    for row in rows:
        print(
            f"  {row['stack']:<9} {row['batch']:>5} {row['optimizer']:<9}"
            f" {row['estimate'] / MIB:>12.1f} {row['max_allocated'] / MIB:>12.1f}"
            f" {row['ratio']:>6.3f} {row['first_step'] / MIB:>12.1f}"
        )
    print(
        "  not estimated: cuDNN and cuBLAS workspaces, the allocator's 512-byte rounding,"
        " buffers, labels and the loss"
    )
    return rows


def main() -> None:
    # deferred like everywhere else: only this script needs torch at start
    import torch

    big = "--no-big" not in sys.argv[1:]
    results: dict = {"cpu_saved": cpu_part(big)}
    print()
    if torch.cuda.is_available():
        results["cuda_step"] = gpu_part()
    else:
        results["cuda_step"] = None
        print("the CUDA part (VGG-16 and ResNet-50 training steps) needs a GPU: skipped")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
