"""The `inspect` subcommand: one image through a trained network, a cell's computation, where
it looks, and how little fools it. The core (cnn_tui.core.inspect) computes; this prints."""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from ..core.plain_text import visible
from .common import UsageError, _print_json


def add_inspect_arguments(p: argparse.ArgumentParser, whole: Any, number: Any) -> None:
    p.add_argument("checkpoint", help="a checkpoint written by cnn-tui train --save")
    p.add_argument("--run", metavar="NAME", help="which run of a race (its optimizer's label)")
    p.add_argument("--ema", action="store_true", help="the run's averaged (EMA) weights")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--image", metavar="N", type=whole, help="test image N of the dataset")
    source.add_argument("--image-file", metavar="PATH", help="a PNG or JPEG picture")
    p.add_argument(
        "--cell", metavar="LAYER,C,Y,X", help="trace one conv or pool cell (LAYER as summary rows)"
    )
    p.add_argument("--saliency", action="store_true", help="saliency and Grad-CAM maps")
    p.add_argument("--out", metavar="DIR", help="with --saliency: write the maps as PNG files")
    p.add_argument("--fgsm", metavar="EPS", type=number, help="perturb the 0-1 pixels by EPS")
    p.add_argument(
        "--fgsm-search", action="store_true", help="the smallest EPS on a 0.001 grid that flips it"
    )
    p.add_argument("--data-dir", metavar="DIR", help="where MNIST, Fashion-MNIST, CIFAR-10 live")
    p.add_argument("--json", action="store_true", help="print JSON")


def cmd_inspect(args: argparse.Namespace) -> int:
    if args.out is not None and not args.saliency:
        raise UsageError("--out writes the saliency maps: add --saliency")
    if args.out is not None and not args.out.strip():
        raise UsageError("--out needs a folder name")
    from ..core.inspect.cell import parse_cell

    cell = parse_cell(args.cell) if args.cell is not None else None
    if args.fgsm is not None and not (0.0 <= args.fgsm <= 1.0):  # nan fails both
        raise UsageError(f"--fgsm {args.fgsm}: ε is from 0 to 1 (pixels are 0-1)")
    report = _compute(args, cell)
    if args.json:
        _print_json(report["json"])
    else:
        sys.stdout.write("\n".join(report["text"]) + "\n")
    return 0


def _compute(args: argparse.Namespace, cell: tuple[str, int, int, int] | None) -> dict[str, Any]:
    from ..core.inspect import attribution, inputs
    from ..core.inspect.network import load_network
    from ..core.inspect.report import inspect_image

    network = load_network(args.checkpoint, run=args.run, ema=args.ema)
    if args.image is not None:
        image = inputs.dataset_image(network, args.image, args.data_dir)
    else:
        image = inputs.image_file(network, args.image_file)
    result = inspect_image(
        network,
        image,
        cell=cell,
        with_saliency=args.saliency,
        epsilon=args.fgsm,
        search=args.fgsm_search,
    )
    data = result.to_dict()
    text = _header(args, network, image, result.forward)
    if result.cell is not None:
        text += _cell_lines(result.cell)
    if result.saliency is not None:
        text += _saliency_lines(result.saliency)
        if args.out is not None:
            written = attribution.write_pngs(args.out, image, result.saliency)
            data["saliency"]["files"] = [str(p) for p in written]
            text.append("wrote " + ", ".join(visible(str(p)) for p in written))
    if result.fgsm is not None:
        text += _fgsm_lines(network, result.fgsm)
    if result.search is not None:
        text += _search_lines(network, result.search)
    return {"json": data, "text": text}


def _name(network: Any, index: int) -> str:
    return network.labels[index] if index < len(network.labels) else str(index)


def _top3(prediction: Any) -> str:
    return "  ".join(f"{visible(c.name)} {c.probability:.4f}" for c in prediction.top3)


def _header(args: argparse.Namespace, network: Any, image: Any, seen: Any) -> list[str]:
    weights = "averaged (EMA) weights" if network.ema else "raw weights"
    label = "" if image.label is None else f", label {visible(_name(network, image.label))}"
    lines = [
        f"network: {visible(args.checkpoint)}, run {visible(network.run)} ({weights})",
        f"input:   {visible(image.source)}{label}",
        f"predicted: {_top3(seen.prediction)}",
        "",
        f"{'row':<7} {'layer':<30} {'shape':>10} {'min':>10} {'max':>10} {'mean':>10}",
    ]
    for a in seen.layers:
        name = visible(a.row.name)
        name = name if len(name) <= 30 else name[:27] + "..."
        indent = "  " * a.row.depth
        shape = "x".join(map(str, a.shape))
        lines.append(
            f"{indent + a.row.row:<7} {name:<30} {shape:>10} "
            f"{a.minimum:>10.4f} {a.maximum:>10.4f} {a.mean:>10.4f}"
        )
    return lines


def _grid(values: Any, width: int = 9) -> list[str]:
    return ["  ".join(_number(v, width) for v in row) for row in values]


def _number(value: float, width: int) -> str:
    if math.isinf(value):
        return f"{'pad':>{width}}"
    return f"{value:>{width}.4f}"


def _cell_lines(trace: Any) -> list[str]:
    row = trace.layer
    head = (
        f"cell {row.row},{trace.channel},{trace.y},{trace.x}: {visible(row.name)}, "
        f"channel {trace.channel} at y={trace.y}, x={trace.x}"
    )
    where = f"rows {_span(trace.rows)}, cols {_span(trace.cols)} of the layer's input"
    lines = ["", head]
    if trace.kind == "conv":
        for i, channel in enumerate(trace.input_channels):
            lines.append(f"  input channel {channel} ({where}): window, kernel, products")
            for w, k, p in zip(
                _grid(trace.window[i]),
                _grid(trace.kernel[i]),
                _grid(trace.products[i]),
                strict=True,
            ):
                lines.append(f"    {w}   |{k}   |{p}")
            lines.append(f"    partial sum {trace.partial_sums[i]:.6f}")
        bias = 0.0 if trace.bias is None else trace.bias
        lines.append(f"  bias {bias:.6f}" + ("" if trace.bias is not None else " (none)"))
        lines.append(f"  sum of products + bias = {trace.total:.6f}")
    else:
        how = {"maxpool": "max", "avgpool": "mean", "adaptiveavgpool": "mean"}[trace.kind]
        lines.append(f"  window ({where}; pad: outside the input)")
        lines += [f"    {line}" for line in _grid(trace.window[0])]
        divisor = f" (sum / {trace.divisor})" if trace.divisor else ""
        lines.append(f"  {how}{divisor} = {trace.total:.6f}")
    lines.append(f"  the network's activation = {trace.activation:.6f}")
    return lines


def _span(values: tuple[int, ...]) -> str:
    return ",".join(map(str, values))


def _saliency_lines(maps: Any) -> list[str]:
    s = maps.to_dict()
    stats = s["saliency"]
    lines = [
        "",
        f"saliency for class {visible(maps.name)} (score {maps.score:.4f}): |d score / d input| "
        f"min {stats['min']:.4g}, max {stats['max']:.4g}, mean {stats['mean']:.4g}",
    ]
    cam = s["gradcam"]
    if cam is None:
        lines.append("Grad-CAM: the network has no conv layer")
    else:
        shape = "x".join(map(str, cam["shape"]))
        lines.append(
            f"Grad-CAM on layer {cam['layer']} ({shape}): "
            f"min {cam['min']:.4g}, max {cam['max']:.4g}, mean {cam['mean']:.4g}"
        )
    return lines


def _fgsm_lines(network: Any, result: Any) -> list[str]:
    verdict = "the top class changed" if result.changed else "the top class held"
    return [
        "",
        f"FGSM ε={result.epsilon:g} on the 0-1 pixels (loss of class "
        f"{visible(_name(network, result.target))}): {_top3(result.prediction)}; {verdict}",
    ]


def _search_lines(network: Any, found: Any) -> list[str]:
    grid = f"on a {found.step:g} grid up to {found.limit:g}"
    if found.epsilon is None:
        return [f"smallest flipping ε {grid}: none flips it"]
    before = visible(_name(network, found.result.target))
    after = visible(_name(network, found.result.prediction.predicted))
    return [f"smallest flipping ε {grid}: {found.epsilon:g} ({before} -> {after})"]
