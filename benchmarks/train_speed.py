"""Epoch time of the lecture's MNIST net trained four ways, per batch size (prints a table, JSON).

  (a) lecture  the script as a student writes it: torchvision's MNIST from the IDX files,
               ToTensor + Normalize, a shuffling DataLoader, the lecture's Net (F.relu,
               F.max_pool2d, log_softmax), F.nll_loss, SGD lr 0.01 momentum 0.5, `.to(device)`
               per batch and loss.item() every 100 iterations (the print line)
  (b) bare     the same net and optimizer on a device-resident dataset: one tensor on the
               device, a random permutation per epoch, index, step; no reporting at all
  (c) cnn-tui  the engine's train() (seed-mnist, dataset mnist from the same files, SGD), with
               live metrics reported to a callback a few times a second and log lines on; on
               a CUDA GPU its full batches replay one captured CUDA graph per step
  (e) eager    the same engine with the graph turned off (cuda_graph=False): kernel by kernel,
               as (a) and (b) step

All three run in this process on one device, on random MNIST-shaped IDX files written to a
temporary folder. Each figure is the median epoch time over --epochs epochs after --warmup
warm-up epochs. The lecture's script runs at its own batch size (32, --lecture-batch-sizes
adds others); a/c divides its epoch at batch 32 by the engine's at each batch size. Targets on a
GPU: c within 5% of b; at batch 64, c at least 8x faster than a (at its batch 32).

Usage: python benchmarks/train_speed.py [--device cuda] [--batch-sizes 32,64,256,1024]
       [--images 60000] [--epochs 3] [--warmup 1] [--methods a,b,c,e]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from cnn_tui.core.training.devices import device_title, pick_device
from cnn_tui.core.training.idx_files import random_digits, write_mnist_folder
from cnn_tui.core.training.loop import train
from cnn_tui.core.training.train_config import OptimizerSettings, TrainConfig

LR, MOMENTUM = 0.01, 0.5
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


class Net(nn.Module):
    """The lecture's MNIST network, written the way its slide writes it."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 5, 1)
        self.conv2 = nn.Conv2d(20, 50, 5, 1)
        self.fc1 = nn.Linear(4 * 4 * 50, 500)
        self.fc2 = nn.Linear(500, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(x, 2, 2)
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2, 2)
        x = x.view(-1, 4 * 4 * 50)
        x = F.relu(self.fc1(x))
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def lecture_epochs(root: Path, device: str, batch: int, epochs: int, workers: int) -> list[float]:
    """(a): seconds per epoch of the student's script."""
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    transform = transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((MNIST_MEAN,), (MNIST_STD,))]
    )
    train_set = datasets.MNIST(str(root), train=True, download=False, transform=transform)
    extra = {"num_workers": workers, "pin_memory": device == "cuda"}
    loader = DataLoader(train_set, batch_size=batch, shuffle=True, **extra)
    torch.manual_seed(0)
    model = Net().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    times = []
    for _epoch in range(epochs):
        model.train()
        _sync(device)
        start = time.perf_counter()
        for idx, (data, target) in enumerate(loader):
            data, target = data.to(device), target.to(device)
            pred = model(data)
            loss = F.nll_loss(pred, target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if idx % 100 == 0:
                loss.item()  # the lecture prints this: one sync every 100 iterations
        _sync(device)
        times.append(time.perf_counter() - start)
    return times


def bare_epochs(root: Path, device: str, batch: int, epochs: int) -> list[float]:
    """(b): seconds per epoch of a device-resident loop with nothing but the steps."""
    from cnn_tui.core.training.idx_files import read_idx

    raw = root / "MNIST" / "raw"
    images = torch.from_numpy(read_idx(raw / "train-images-idx3-ubyte").copy())
    labels = torch.from_numpy(read_idx(raw / "train-labels-idx1-ubyte").copy())
    x = ((images.float() / 255.0 - MNIST_MEAN) / MNIST_STD).unsqueeze(1).to(device)
    y = labels.long().to(device)
    n = len(y)
    torch.manual_seed(0)
    model = Net().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    model.train()
    times = []
    for _epoch in range(epochs):
        _sync(device)
        start = time.perf_counter()
        order = torch.randperm(n, device=device)
        for first in range(0, n, batch):
            index = order[first : first + batch]
            loss = F.nll_loss(model(x[index]), y[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        _sync(device)
        times.append(time.perf_counter() - start)
    return times


def engine_epochs(
    root: Path, device: str, batch: int, epochs: int, graph: bool = True
) -> tuple[list[float], int, bool]:
    """(c), or (e) with graph=False: the engine's own epoch_seconds (training only; its test
    pass is not counted), the number of points it reported, and whether it replayed a graph."""
    config = TrainConfig(
        model="seed-mnist",
        dataset="mnist",
        data_dir=str(root),
        optimizers=(OptimizerSettings("sgd", lr=LR, momentum=MOMENTUM),),
        batch_size=batch,
        epochs=epochs,
        device=device,
        log_every=100,
        cuda_graph=graph,
    )
    points = []
    result = train(config, report=points.append)
    run = result.runs[0]
    if run.status != "done":
        raise SystemExit(f"cnn-tui engine run ended {run.status}: {run.message}")
    times = [p.epoch_seconds for p in points if p.kind == "epoch" and p.epoch_seconds]
    return times, len(points), run.cuda_graph


def median_after_warmup(times: list[float], warmup: int) -> float:
    timed = times[warmup:] or times[-1:]
    return statistics.median(timed)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", help="auto, cuda, mps or cpu")
    parser.add_argument("--batch-sizes", default="32,64,256,1024")
    parser.add_argument("--images", type=int, default=60_000, help="training images")
    parser.add_argument("--test-images", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs")
    parser.add_argument("--warmup", type=int, default=1, help="untimed epochs first")
    parser.add_argument("--methods", default="a,b,c,e", help="which of a (lecture), b, c, e to run")
    parser.add_argument(
        "--lecture-batch-sizes",
        default="32",
        help="batch sizes the lecture's script (a) runs at; the lecture's own is 32",
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="DataLoader workers for (a): 1 on CUDA, else 0"
    )
    args = parser.parse_args(argv)
    methods = {m.strip() for m in args.methods.split(",")}
    device = pick_device(args.device)
    batches = [int(b) for b in args.batch_sizes.split(",") if b.strip()]
    lecture_batches = {int(b) for b in args.lecture_batch_sizes.split(",") if b.strip()}
    if "a" in methods:
        batches = sorted(set(batches) | lecture_batches)
    workers = args.workers if args.workers is not None else (1 if device == "cuda" else 0)
    total = args.warmup + args.epochs

    rows = []
    with tempfile.TemporaryDirectory(prefix="cnn-tui-bench-") as folder:
        root = Path(folder)
        write_mnist_folder(
            root, random_digits(args.images, seed=1), random_digits(args.test_images, seed=2)
        )
        print(
            f"train_speed: the lecture's MNIST net (431,080 parameters), SGD lr {LR} momentum "
            f"{MOMENTUM}, {args.images:,} random MNIST-shaped images, on {device_title(device)}"
            f" (torch {torch.__version__}); median epoch seconds of {args.epochs} after "
            f"{args.warmup} warm-up; (a) DataLoader workers {workers}",
            flush=True,
        )
        for batch in batches:
            row: dict[str, float | int | None] = {"batch": batch}
            if "a" in methods and batch in lecture_batches:
                times = lecture_epochs(root, device, batch, total, workers)
                row["lecture"] = median_after_warmup(times, args.warmup)
            if "b" in methods:
                row["bare"] = median_after_warmup(
                    bare_epochs(root, device, batch, total), args.warmup
                )
            if "c" in methods:
                times, count, graphed = engine_epochs(root, device, batch, total)
                row["engine"] = median_after_warmup(times, args.warmup)
                row["engine_points"] = count
                row["engine_cuda_graph"] = graphed
            if "e" in methods:
                times, _, _ = engine_epochs(root, device, batch, total, graph=False)
                row["eager"] = median_after_warmup(times, args.warmup)
            if row.get("engine") and row.get("bare"):
                row["c_over_b"] = row["engine"] / row["bare"]
            if row.get("eager") and row.get("bare"):
                row["e_over_b"] = row["eager"] / row["bare"]
            rows.append(row)
            print(f"  batch {batch}: {_format_row(row)}", flush=True)

    lecture_32 = next((r["lecture"] for r in rows if r["batch"] == 32 and "lecture" in r), None)
    for row in rows:
        if row.get("engine") and lecture_32:
            row["a_over_c"] = lecture_32 / row["engine"]
    print()
    print(
        f"  {'batch':>5} {'(a) lecture':>12} {'(b) bare':>10} {'(c) cnn-tui':>12} "
        f"{'(e) eager':>10} {'c/b':>6} {'e/b':>6} {'a/c':>7}"
    )
    for row in rows:
        print(
            f"  {row['batch']:>5} {_seconds(row.get('lecture')):>12}"
            f" {_seconds(row.get('bare')):>10} {_seconds(row.get('engine')):>12}"
            f" {_seconds(row.get('eager')):>10}"
            f" {_ratio(row.get('c_over_b'), 3):>6} {_ratio(row.get('e_over_b'), 3):>6}"
            f" {_ratio(row.get('a_over_c'), 1):>7}"
        )
    print(
        "  seconds per epoch; c/b: the engine against a bare loop (target <= 1.05 on a GPU);"
        " e/b: the same with the CUDA graph off; a/c: the engine's speed-up over the lecture's"
        " script (target >= 8 at batch 64 on a GPU)"
    )
    print(json.dumps({"device": device, "device_name": device_title(device), "rows": rows}))


def _seconds(value) -> str:
    return "-" if value is None else f"{value:.3f} s"


def _ratio(value, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}x"


def _format_row(row: dict) -> str:
    parts = []
    for key, name in (("lecture", "a"), ("bare", "b"), ("engine", "c"), ("eager", "e")):
        if row.get(key) is not None:
            parts.append(f"{name} {row[key]:.3f} s")
    return ", ".join(parts)


if __name__ == "__main__":
    main(sys.argv[1:])
