"""Per-layer and total parameters, activations, MACs and memory estimates for a stack."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace

from ..convolution.arithmetic import (
    resolve_padding,
)
from .blocks import walk
from .layers import (
    GELU,
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Dropout2d,
    Flatten,
    Layer,
    LeakyReLU,
    Linear,
    LocalResponseNorm,
    LogSoftmax,
    MaxPool2d,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from .shapes import Shape, StackError, format_shape, per_axis
from .stack import Stack

DTYPE_BYTES: dict[str, int] = {"fp32": 4, "fp16": 2, "bf16": 2, "fp64": 8}
"""Bytes per number for each dtype a student may pick."""

OPTIMIZER_STATE: dict[str, int] = {
    "sgd": 0,
    "momentum": 1,
    "nesterov": 1,
    "adagrad": 1,
    "rmsprop": 1,
    "adam": 2,
    "adamw": 2,
}
"""Extra numbers an optimizer keeps per parameter (velocity, squared-gradient sums, moments)."""

OPTIMIZER_SCRATCH: dict[str, int] = {
    "sgd": 0,
    "momentum": 0,
    "nesterov": 0,
    "adagrad": 2,
    "rmsprop": 1,
    "adam": 1,
    "adamw": 1,
}
"""Numbers per parameter that one optimizer step builds and drops again.

PyTorch's multi-tensor ('foreach') step, its default on a GPU, works on all the parameters at
once: Adam, AdamW and RMSprop build a square root of the second moments for every parameter
before they update any, Adagrad also a scaled copy of the gradients. Plain SGD and momentum
update in place and need none.
"""

SAVED_DEVICES = ("cuda", "cpu")
"""Device types whose saved-tensor sizes `SavedParts.bytes` knows; they differ only in dropout
masks and batch-norm statistics."""

MIB = 1024 * 1024


@dataclass(frozen=True)
class Saved:
    """What one layer's backward pass reads from its forward pass, as PyTorch's autograd keeps it.

    A tensor is kept once however many layers read it: a ReLU keeps its output and the conv after
    it keeps the same tensor as its input. Parameters (conv and fc weights, batch-norm scales) are
    read too but are counted as parameters, not here.
    """

    needs_input: bool = False
    """The backward reads the layer's input: conv, fc, max and average pooling, batch norm,
    GELU, leaky ReLU, LRN."""
    needs_output: bool = False
    """The backward reads the layer's output: ReLU, tanh, sigmoid, softmax, log-softmax."""
    passes_through: bool = False
    """The output is the input's memory, no new tensor: flatten (a view), dropout with p=0."""
    numbers: int = 0
    """Further numbers per image in the activation dtype: the zero-padded copy an uneven 'same'
    conv makes, LRN's intermediate sums, dropout2d's per-channel scale."""
    indices: int = 0
    """int64 numbers per image: where each max-pool maximum came from."""
    mask: int = 0
    """Dropout mask elements per image (one byte each on a GPU, see `SavedParts.bytes`)."""
    stats: int = 0
    """Numbers per batch, not per image: batch norm's mean and inverse deviation per channel."""


def saved_for_backward(layer: Layer, shape: Shape, out: Shape) -> Saved:
    """The rule for one (non-block) layer, from PyTorch's derivative formulas."""
    if isinstance(layer, Conv2d):
        if layer.padding == "same":
            # per axis: a rectangular kernel may be even along one side only ('same' means
            # stride 1, or the layer would not have fitted)
            axes = zip(per_axis(layer.kernel), per_axis(layer.dilation), strict=True)
            pads = [resolve_padding(kernel, "same", dilation) for kernel, dilation in axes]
            extra_h, extra_w = (after - before for before, after in pads)
            if extra_h or extra_w:
                # torch pads the extra zeros on the far side first and keeps that copy, not
                # the input
                c, h, w = shape
                return Saved(numbers=c * (h + extra_h) * (w + extra_w))
        return Saved(needs_input=True)
    if isinstance(layer, MaxPool2d):
        return Saved(needs_input=True, indices=math.prod(out))
    if isinstance(layer, AdaptiveAvgPool2d):
        # pooling to 1x1 is a plain mean, whose backward needs only the input's size
        return Saved(needs_input=layer.output != 1)
    if isinstance(layer, (BatchNorm2d, BatchNorm1d)):
        return Saved(needs_input=True, stats=2 * shape[0])
    if isinstance(layer, LocalResponseNorm):
        c, h, w = shape
        # the squares padded across channels (pooled), then k + alpha*mean and its power beta
        return Saved(needs_input=True, numbers=(c + layer.size - 1) * h * w + 2 * c * h * w)
    if isinstance(layer, Dropout):
        if layer.p == 0:
            return Saved(passes_through=True)
        if layer.p == 1:
            # torch multiplies by a zero scalar and keeps that one number: too small to count
            return Saved()
        if isinstance(layer, Dropout2d) and len(shape) == 3:
            # one scale per channel, in the activation dtype, on either device
            return Saved(numbers=shape[0])
        return Saved(mask=math.prod(out))
    if isinstance(layer, Flatten):
        return Saved(passes_through=True)
    if isinstance(layer, (ReLU, Tanh, Sigmoid, Softmax, LogSoftmax)):
        return Saved(needs_output=True)
    if isinstance(layer, (Linear, AvgPool2d, GELU, LeakyReLU)):
        return Saved(needs_input=True)
    # a layer kind this table does not know yet: most backward formulas read the input
    return Saved(needs_input=True)


@dataclass(frozen=True)
class Row:
    """One line of the tally table: a layer (or a block) with its shape and costs."""

    number: str
    """Position in the stack: '4', or '5.1.2' inside a block (block 5, branch 1, layer 2)."""
    depth: int
    """0 for top-level layers, 1 and more inside blocks."""
    label: str
    """The layer in spec syntax."""
    kind: str
    input_shape: Shape
    output_shape: Shape
    activations: int
    """Numbers in the output, per image."""
    counted: bool
    """Whether the output counts as a new activation: element-wise layers, views (flatten) and
    identities (adaptive pooling to the size it already has) do not, as in the lecture's table."""
    weights: int
    biases: int
    buffers: int
    """Non-trainable stored numbers (batch-norm running mean and variance)."""
    macs: int
    """Multiply-accumulates per image."""
    is_block: bool
    saved: Saved = field(default_factory=Saved)
    """What the layer's backward reads (blocks: nothing of their own, see `saved_parts`)."""

    @property
    def params(self) -> int:
        return self.weights + self.biases


@dataclass(frozen=True)
class Totals:
    """Whole-stack figures; memory in bytes for the chosen batch size and dtype."""

    params: int
    weights: int
    biases: int
    buffers: int
    activations: int
    """Numbers per image across the input and every counted layer output (the lecture's sum)."""
    saved_activations: int
    """Numbers per image that autograd keeps for the backward pass, in the chosen dtype: each
    distinct tensor some layer's backward reads (see `Saved`), counted once, plus LRN's and
    uneven 'same' convs' intermediates. Nothing before the first layer with parameters."""
    macs: int
    forward_bytes: int
    """batch x activations x dtype size: what one forward pass produces."""
    saved_bytes: int
    """Everything kept for the backward pass on a GPU: batch x saved activations x dtype size,
    plus batch x (8 bytes per max-pool index + 1 per dropout-mask element), plus batch norm's
    per-channel statistics."""
    parameter_bytes: int
    gradient_bytes: int
    optimizer_bytes: int
    scratch_bytes: int
    """Temporaries one optimizer step builds for all parameters at once (OPTIMIZER_SCRATCH)."""
    training_bytes: int
    """Peak of a training step: parameters + gradients + optimizer state + the larger of the
    saved activations (the peak at the start of backward) and the step's scratch (the peak in
    optimizer.step(), when the activations are already freed). Leaves out cuDNN and cuBLAS
    workspaces, the caching allocator's rounding, buffers, the labels and the loss."""


@dataclass(frozen=True)
class Tally:
    """A stack's table and totals, or as much of it as fits when a layer fails."""

    name: str
    input_shape: Shape
    batch: int
    dtype: str
    optimizer: str
    rows: tuple[Row, ...]
    totals: Totals
    output_shape: Shape | None
    """None when the stack does not fit its input."""
    error: StackError | None
    """The first failing layer, if any; rows stop just before it."""

    @property
    def top_rows(self) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if r.depth == 0)

    @property
    def memory_peak(self) -> Row | None:
        """The top-level row with the largest output (the lecture: most memory in early convs)."""
        rows = [r for r in self.top_rows if r.counted]
        return max(rows, key=lambda r: r.activations, default=None)

    @property
    def params_peak(self) -> Row | None:
        """The top-level row with most parameters (the lecture: most in the late FC layers)."""
        rows = [r for r in self.top_rows if r.params]
        return max(rows, key=lambda r: r.params, default=None)

    def row_bytes(self, row: Row) -> int:
        return row.activations * self.batch * DTYPE_BYTES[self.dtype]

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "input_shape": list(self.input_shape),
            "output_shape": list(self.output_shape) if self.output_shape else None,
            "batch": self.batch,
            "dtype": self.dtype,
            "optimizer": self.optimizer,
            "layers": [
                {
                    "number": r.number,
                    "depth": r.depth,
                    "name": r.label,
                    "kind": r.kind,
                    "output_shape": list(r.output_shape),
                    "activations": r.activations,
                    "counted": r.counted,
                    "params": r.params,
                    "weights": r.weights,
                    "biases": r.biases,
                    "buffers": r.buffers,
                    "macs": r.macs,
                    "memory_bytes": self.row_bytes(r),
                }
                for r in self.rows
            ],
            "totals": asdict(self.totals),
            "error": self.error.describe() if self.error else None,
        }


def _row(placed_number: str, depth: int, layer: Layer, shape: Shape, out: Shape) -> Row:
    if layer.is_block:
        weights = biases = buffers = macs = 0
    else:
        count = layer.params(shape)
        weights, biases = count.weights, count.biases
        buffers, macs = layer.buffers(shape), layer.macs(shape, out)
    return Row(
        number=placed_number,
        depth=depth,
        label=layer.label(),
        kind=layer.kind,
        input_shape=shape,
        output_shape=out,
        activations=math.prod(out),
        counted=not (
            layer.pointwise or isinstance(layer, Flatten) or _is_identity(layer, shape, out)
        ),
        weights=weights,
        biases=biases,
        buffers=buffers,
        macs=macs,
        is_block=layer.is_block,
        saved=Saved() if layer.is_block else saved_for_backward(layer, shape, out),
    )


def _is_identity(layer: Layer, shape: Shape, out: Shape) -> bool:
    # torchvision's VGG pools 7x7 to 7x7: an identity that the lecture's table rightly omits
    return isinstance(layer, AdaptiveAvgPool2d) and shape == out


def _roll_up(rows: list[Row]) -> list[Row]:
    """Give each block row the sums of the leaves inside it."""
    out: list[Row] = []
    for row in rows:
        if row.is_block:
            prefix = row.number + "."
            inside = [r for r in rows if r.number.startswith(prefix) and not r.is_block]
            row = replace(
                row,
                weights=sum(r.weights for r in inside),
                biases=sum(r.biases for r in inside),
                buffers=sum(r.buffers for r in inside),
                macs=sum(r.macs for r in inside),
            )
        out.append(row)
    return out


def tally(
    stack: Stack | Sequence[Layer],
    input_shape: Shape | None = None,
    *,
    batch: int = 1,
    dtype: str = "fp32",
    optimizer: str = "sgd",
) -> Tally:
    """Walk the stack and add everything up; a failing layer ends the table with its error."""
    if isinstance(stack, Stack):
        layers, name = stack.layers, stack.name
        shape = input_shape or stack.input_shape
    else:
        layers, name = tuple(stack), ""
        if input_shape is None:
            raise StackError("an input shape is needed, e.g. 3x224x224")
        shape = input_shape
    if batch < 1:
        raise StackError(f"batch size must be at least 1, got {batch}")
    if dtype not in DTYPE_BYTES:
        raise StackError(f"dtype must be one of {', '.join(DTYPE_BYTES)}, got {dtype!r}")
    if optimizer not in OPTIMIZER_STATE:
        raise StackError(
            f"optimizer must be one of {', '.join(OPTIMIZER_STATE)}, got {optimizer!r}"
        )
    rows: list[Row] = []
    error: StackError | None = None
    output: Shape | None = shape
    try:
        for placed in walk(layers, shape):
            rows.append(
                _row(
                    placed.number,
                    placed.depth,
                    placed.layer,
                    placed.input_shape,
                    placed.output_shape,
                )
            )
            if placed.depth == 0:
                output = placed.output_shape
    except StackError as exc:
        error, output = exc, None
    rows = _roll_up(rows)
    return Tally(
        name=name,
        input_shape=shape,
        batch=batch,
        dtype=dtype,
        optimizer=optimizer,
        rows=tuple(rows),
        totals=_totals(rows, shape, batch, dtype, optimizer),
        output_shape=output,
        error=error,
    )


@dataclass(frozen=True)
class SavedParts:
    """Everything autograd keeps for the backward pass of a stack, by element type."""

    activations: int
    """Numbers per image in the activation dtype."""
    indices: int
    """int64 numbers per image (max-pool indices)."""
    mask: int
    """Dropout-mask elements per image."""
    stats: int
    """Numbers per batch (batch-norm statistics)."""

    def bytes(self, batch: int, dtype: str, device: str = "cuda") -> int:
        """Bytes for a batch on 'cuda' (what tally reports) or on 'cpu'."""
        if device not in SAVED_DEVICES:
            raise ValueError(f"device must be one of {', '.join(SAVED_DEVICES)}, got {device!r}")
        size = DTYPE_BYTES[dtype]
        on_gpu = device == "cuda"
        # the GPU's fused dropout keeps a one-byte mask; the CPU keeps a scale in the dtype
        mask = 1 if on_gpu else size
        # cuDNN keeps float32 statistics for half-precision inputs; the CPU uses the dtype
        stats = max(size, 4) if on_gpu else size
        per_image = self.activations * size + self.indices * 8 + self.mask * mask
        return batch * per_image + self.stats * stats


class _Tensor:
    """A tensor of the forward pass: its size per image and whether a backward reads it."""

    def __init__(self, numbers: int) -> None:
        self.numbers = numbers
        self.kept = False


def saved_parts(rows: Sequence[Row], input_shape: Shape) -> SavedParts:
    """Follow the tensors through the stack as PyTorch runs it and add up what autograd keeps.

    Each layer makes a new output tensor (views and no-op dropouts hand on their input); a tensor
    is kept when its own layer or any reader needs it, and counts once. Nothing is recorded
    until a tensor needs a gradient, that is before the first layer with parameters. Blocks
    follow torch_modules: a residual's sum and a concatenation keep nothing but are new tensors,
    and every dense layer reads a fresh concatenation of all the features before it.

    The rule describes the modules torch_bridge builds (ReLUs not in place) and torchvision's
    alike: an in-place ReLU overwrites a tensor that no backward reads, so the same tensors are
    kept, only under fewer names.
    """
    branches: dict[tuple[int, ...], list[list[Row]]] = {}
    top: list[Row] = []
    for row in rows:
        path = tuple(int(part) for part in row.number.split("."))
        if len(path) == 1:
            top.append(row)
            continue
        # a block's rows come before its children's, so the block's entry exists already
        block = branches.setdefault(path[:-2], [])
        while len(block) < path[-2]:
            block.append([])
        block[path[-2] - 1].append(row)

    tensors: list[_Tensor] = []
    extra = {"numbers": 0, "indices": 0, "mask": 0, "stats": 0}

    def new(shape: Shape) -> _Tensor:
        tensors.append(_Tensor(math.prod(shape)))
        return tensors[-1]

    def run(sequence: Sequence[Row], tensor: _Tensor, grad: bool) -> tuple[_Tensor, bool]:
        for row in sequence:
            tensor, grad = step(row, tensor, grad)
        return tensor, grad

    def step(row: Row, tensor: _Tensor, grad: bool) -> tuple[_Tensor, bool]:
        if row.is_block:
            inner = branches.get(tuple(int(p) for p in row.number.split(".")), [])
            if row.kind == "dense":
                # each dense layer reads torch.cat of the input and every output so far: a copy
                for branch in inner:
                    _, made = run(branch, new(branch[0].input_shape), grad)
                    grad = grad or made
                return new(row.output_shape), grad
            grads = [run(branch, tensor, grad)[1] for branch in inner]
            if row.kind == "res" and len(inner) == 1:
                grads.append(grad)  # the identity shortcut
            return new(row.output_shape), any(grads)
        saved = row.saved
        records = grad or row.params > 0
        if records:
            tensor.kept = tensor.kept or saved.needs_input
            extra["numbers"] += saved.numbers
            extra["indices"] += saved.indices
            extra["mask"] += saved.mask
            extra["stats"] += saved.stats
        out = tensor if saved.passes_through else new(row.output_shape)
        if records and saved.needs_output:
            out.kept = True
        return out, records

    run(top, new(input_shape), False)
    return SavedParts(
        activations=sum(t.numbers for t in tensors if t.kept) + extra["numbers"],
        indices=extra["indices"],
        mask=extra["mask"],
        stats=extra["stats"],
    )


def _totals(rows: list[Row], shape: Shape, batch: int, dtype: str, optimizer: str) -> Totals:
    leaves = [r for r in rows if not r.is_block]
    weights = sum(r.weights for r in leaves)
    biases = sum(r.biases for r in leaves)
    params = weights + biases
    image = math.prod(shape)
    activations = image + sum(r.activations for r in rows if r.counted)
    parts = saved_parts(rows, shape)
    size = DTYPE_BYTES[dtype]
    parameter_bytes = params * size
    optimizer_bytes = params * size * OPTIMIZER_STATE[optimizer]
    scratch_bytes = params * size * OPTIMIZER_SCRATCH[optimizer]
    saved_bytes = parts.bytes(batch, dtype)
    return Totals(
        params=params,
        weights=weights,
        biases=biases,
        buffers=sum(r.buffers for r in leaves),
        activations=activations,
        saved_activations=parts.activations,
        macs=sum(r.macs for r in leaves),
        forward_bytes=batch * activations * size,
        saved_bytes=saved_bytes,
        parameter_bytes=parameter_bytes,
        gradient_bytes=parameter_bytes,
        optimizer_bytes=optimizer_bytes,
        scratch_bytes=scratch_bytes,
        # the activations are freed by the end of backward, before step() builds its scratch
        training_bytes=2 * parameter_bytes + optimizer_bytes + max(saved_bytes, scratch_bytes),
    )


# ---------------------------------------------------------------------------------------------
# Number formatting shared by the CLI and the app
# ---------------------------------------------------------------------------------------------


def short_count(value: int) -> str:
    """138357544 -> '138.4 M', 15237608 -> '15.2 M', 1728 -> '1.7 K'; up to Y (10**24)."""
    return _scaled(value, 1000, ("K", "M", "G", "T", "P", "E", "Z", "Y"), str(value))


def short_bytes(value: int) -> str:
    """Bytes in binary units: 58.1 MiB, 1.2 GiB; up to YiB (2**80)."""
    units = ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")
    return _scaled(value, 1024, units, f"{value} B")


def _scaled(value: int, base: int, units: tuple[str, ...], plain: str) -> str:
    # pick the unit after rounding, so 999,950 reads 1.0 M rather than 1000.0 K
    for power in range(len(units), 0, -1):
        # plain numbers stay plain below one unit: 999 is '999', not '1.0 K'
        reached = round(abs(value) / base**power, 1) >= 1 if power > 1 else abs(value) >= base
        if reached:
            return f"{value / base**power:.1f} {units[power - 1]}"
    return plain


def describe_shape(shape: Shape | None) -> str:
    return format_shape(shape) if shape else "-"
