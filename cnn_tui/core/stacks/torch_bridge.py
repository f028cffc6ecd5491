"""Layer specs -> real torch modules, and -> readable, standalone PyTorch source code."""

from __future__ import annotations

import builtins
import inspect
import keyword
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..plain_text import printable
from .blocks import Block, Concat, DenseBlock, Placed, Residual, walk
from .layer_settings import non_finite_setting
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
from .shapes import Shape, StackError, format_shape, parse_shape, per_axis
from .spec_parser import parse_layers
from .stack import Stack

if TYPE_CHECKING:
    from torch import nn

StackLike = Stack | Sequence[Layer] | str
"""A Stack, a sequence of layer specs, or one-line spec text."""

LINE_WIDTH = 100
"""Exported lines are kept within this many characters where the names allow."""


# ---------------------------------------------------------------------------------------------
# One spec layer -> one torch constructor call
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Code:
    """A Python expression written as-is into exported source (e.g. '64 + 32 * i')."""

    text: str


def _literal(value: Any) -> str:
    if isinstance(value, _Code):
        return value.text
    text = repr(value)  # escapes quotes, backslashes and line breaks: no string ends early
    if isinstance(value, str) and text.startswith("'") and '"' not in value:
        # no quote of either kind inside: the file's double quotes hold it just as safely
        return f'"{text[1:-1]}"'
    return text


@dataclass(frozen=True)
class _Call:
    """nn.<name>(*args, **kwargs): printable as source and buildable as a module."""

    name: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    def code(self) -> str:
        parts = [_literal(a) for a in self.args]
        parts += [f"{key}={_literal(value)}" for key, value in self.kwargs.items()]
        return f"nn.{self.name}({', '.join(parts)})"

    def build(self) -> nn.Module:
        # deferred: importing torch takes seconds and the app must paint at once
        from torch import nn

        return getattr(nn, self.name)(*self.args, **self.kwargs)


def _non_default(**pairs: tuple[Any, Any]) -> dict[str, Any]:
    """Keyword arguments whose (value, default) pair differs, in the order given."""
    return {key: value for key, (value, default) in pairs.items() if value != default}


def _leaf_call(layer: Layer, shape: Shape) -> _Call:
    """The torch module for one (non-block) layer, given the shape that reaches it."""
    if isinstance(layer, Conv2d):
        padding = layer.padding
        if padding == "full":
            # torch has no 'full' mode; it is the same as d*(k-1) zeros on every side
            spans = zip(per_axis(layer.dilation), per_axis(layer.kernel), strict=True)
            height, width = (dilation * (kernel - 1) for dilation, kernel in spans)
            padding = height if height == width else (height, width)
        kwargs = _non_default(
            stride=(layer.stride, 1),
            padding=(padding, 0),
            dilation=(layer.dilation, 1),
            groups=(layer.groups, 1),
            bias=(layer.bias, True),
        )
        return _Call("Conv2d", (shape[0], layer.out_channels, layer.kernel), kwargs)
    if isinstance(layer, (MaxPool2d, AvgPool2d)):
        # a stride equal to the kernel is torch's default (None), so it need not be written
        stride = None if layer.stride == layer.kernel else layer.stride
        kwargs = _non_default(
            stride=(stride, None),
            padding=(layer.padding, 0),
            ceil_mode=(layer.ceil_mode, False),
        )
        if isinstance(layer, AvgPool2d):
            kwargs.update(_non_default(count_include_pad=(layer.count_include_pad, True)))
        return _Call(type(layer).__name__, (layer.kernel,), kwargs)
    if isinstance(layer, AdaptiveAvgPool2d):
        return _Call("AdaptiveAvgPool2d", (layer.output,))
    if isinstance(layer, LeakyReLU):
        return _Call("LeakyReLU", (layer.slope,) if layer.slope != 0.01 else ())
    if isinstance(layer, (ReLU, Tanh, Sigmoid, GELU, Flatten)):
        return _Call(type(layer).__name__)
    if isinstance(layer, (Softmax, LogSoftmax)):
        return _Call(type(layer).__name__, kwargs={"dim": 1})
    if isinstance(layer, (BatchNorm2d, BatchNorm1d)):
        kwargs = _non_default(eps=(layer.eps, 1e-5), momentum=(layer.momentum, 0.1))
        return _Call(type(layer).__name__, (shape[0],), kwargs)
    if isinstance(layer, LocalResponseNorm):
        kwargs = _non_default(alpha=(layer.alpha, 1e-4), beta=(layer.beta, 0.75), k=(layer.k, 1.0))
        return _Call("LocalResponseNorm", (layer.size,), kwargs)
    if isinstance(layer, Dropout2d) and len(shape) == 3:
        return _Call("Dropout2d", (layer.p,))
    if isinstance(layer, Dropout):
        # dropout2d on a feature vector: each feature is a 1x1 "channel", which is plain dropout
        return _Call("Dropout", (layer.p,))
    if isinstance(layer, Linear):
        kwargs = _non_default(bias=(layer.bias, True))
        return _Call("Linear", (shape[0], layer.out_features), kwargs)
    raise _no_module_for(layer)


def _no_module_for(layer: Layer) -> StackError:
    return StackError(f"no PyTorch module is known for {layer.kind}", label=layer.label())


def _functional(layer: Layer) -> str | None:
    """The one-line forward() form of a stateless top-level layer, or None for a module."""
    if isinstance(layer, LeakyReLU):
        return "F.leaky_relu(x)" if layer.slope == 0.01 else f"F.leaky_relu(x, {layer.slope!r})"
    simple = {
        ReLU: "F.relu(x)",
        Tanh: "torch.tanh(x)",
        Sigmoid: "torch.sigmoid(x)",
        GELU: "F.gelu(x)",
        Softmax: "F.softmax(x, dim=1)",
        LogSoftmax: "F.log_softmax(x, dim=1)",
        Flatten: "torch.flatten(x, 1)",
    }
    return simple.get(type(layer))


def _attribute_stem(layer: Layer) -> str:
    """Attribute names as in the lecture's Net: conv1, pool1, fc1, plus bn, lrn, drop, block."""
    if layer.is_block:
        return "block"
    stems: dict[type, str] = {
        Conv2d: "conv",
        MaxPool2d: "pool",
        AvgPool2d: "pool",
        AdaptiveAvgPool2d: "pool",
        BatchNorm2d: "bn",
        BatchNorm1d: "bn",
        LocalResponseNorm: "lrn",
        Dropout: "drop",
        Dropout2d: "drop",
        Linear: "fc",
    }
    return stems.get(type(layer), layer.kind or "layer")


# ---------------------------------------------------------------------------------------------
# The walked stack as a tree: each block with its branches of placed layers
# ---------------------------------------------------------------------------------------------


@dataclass
class _Node:
    placed: Placed
    branches: list[list[_Node]] = field(default_factory=list)

    @property
    def layer(self) -> Layer:
        return self.placed.layer


def _tree(layers: Sequence[Layer], shape: Shape) -> list[_Node]:
    """walk() regrouped: a child at path (..block, branch, index) hangs under its block."""
    top: list[_Node] = []
    by_path: dict[tuple[int, ...], _Node] = {}
    for placed in walk(layers, shape):
        setting = non_finite_setting(placed.layer)
        if setting is not None:
            # nan and inf would be written as bare names (a NameError) or train into nan
            raise StackError(
                f"{setting} must be a finite number, not {getattr(placed.layer, setting)}",
                path=placed.path,
                label=placed.layer.label(),
            )
        node = _Node(placed)
        if isinstance(placed.layer, Block):
            # every branch gets a list up front: an empty branch (identity) yields no children
            node.branches = [[] for _ in placed.layer.branches()]
        by_path[placed.path] = node
        if len(placed.path) == 1:
            top.append(node)
        else:
            by_path[placed.path[:-2]].branches[placed.path[-2] - 1].append(node)
    return top


def _resolve(
    stack: StackLike, input_shape: Shape | str | None
) -> tuple[tuple[Layer, ...], Shape, Stack | None]:
    if isinstance(input_shape, str):
        input_shape = parse_shape(input_shape)
    if isinstance(stack, Stack):
        return stack.layers, tuple(input_shape or stack.input_shape), stack
    layers = parse_layers(stack) if isinstance(stack, str) else tuple(stack)
    if input_shape is None:
        raise StackError("an input shape is needed, e.g. 3x224x224")
    return layers, tuple(input_shape), None


# ---------------------------------------------------------------------------------------------
# Building modules
# ---------------------------------------------------------------------------------------------


def build_module(stack: StackLike, input_shape: Shape | str | None = None) -> nn.Sequential:
    """Real torch modules for a stack: one module per spec layer, in an nn.Sequential.

    Input channels and features come from the walked shapes, so the parameter count and the
    output shape match the engine's. Blocks become the Residual / Concat / DenseBlock modules of
    torch_modules, each branch an nn.Sequential; `module_at` finds a layer's module by its path.
    Raises StackError (naming the layer) for a stack that does not fit its input.
    """
    # deferred: importing torch takes seconds and the app must paint at once
    from torch import nn

    layers, shape, _ = _resolve(stack, input_shape)
    return nn.Sequential(*(_build(node) for node in _tree(layers, shape)))


def _build(node: _Node) -> nn.Module:
    from torch import nn

    from . import torch_modules

    layer = node.layer
    if not layer.is_block:
        return _leaf_call(layer, node.placed.input_shape).build()
    branches: list[nn.Module] = [
        nn.Sequential(*(_build(child) for child in b)) for b in node.branches
    ]
    if isinstance(layer, Residual):
        return torch_modules.Residual(branches[0], branches[1] if layer.shortcut else None)
    if isinstance(layer, Concat):
        return torch_modules.Concat(*branches)
    if isinstance(layer, DenseBlock):
        return torch_modules.DenseBlock(branches)
    raise _no_module_for(layer)


def module_at(root: nn.Sequential, path: Sequence[int]) -> nn.Module:
    """The module that build_module made for the layer at a walk() path, e.g. (5, 2, 1)."""
    from torch import nn

    from . import torch_modules

    module: nn.Module = root[path[0] - 1]
    rest = list(path[1:])
    while rest:
        branch, index, *rest = rest
        if isinstance(module, torch_modules.Residual):
            seq = module.body if branch == 1 else module.shortcut
        elif isinstance(module, torch_modules.Concat):
            seq = module.branches[branch - 1]
        elif isinstance(module, torch_modules.DenseBlock):
            seq = module.layers[branch - 1]
        else:
            raise KeyError(f"no block at path {tuple(path)}")
        if not isinstance(seq, nn.Sequential | nn.ModuleList):  # a Residual's missing shortcut
            raise KeyError(f"no branch {branch} at path {tuple(path)}")
        module = seq[index - 1]
    return module


def count_parameters(module: nn.Module) -> int:
    """Every number the optimizer can change (what the tally calls parameters)."""
    return sum(p.numel() for p in module.parameters())


def engine_parameter_count(layers: Sequence[Layer], input_shape: Shape) -> int:
    """The engine's parameter total: the sum over leaf layers (blocks add none of their own)."""
    return sum(
        p.layer.params(p.input_shape).total
        for p in walk(layers, input_shape)
        if not p.layer.is_block
    )


# ---------------------------------------------------------------------------------------------
# Exporting source
# ---------------------------------------------------------------------------------------------


@dataclass
class _Group:
    """A call or list whose items may be laid out on one line or one per line."""

    opener: str
    """'nn.Sequential(' or '['."""
    items: list[tuple[str, Any]]
    """(prefix such as 'body=', expression) pairs; an expression is a str or a _Group."""
    closer: str = ")"
    loop: str = ""
    """'for i in range(6)': the group is a list comprehension over its single item."""

    def flat(self) -> str:
        inner = ", ".join(prefix + _flat(expr) for prefix, expr in self.items)
        if self.loop:
            inner = f"{inner} {self.loop}"
        return f"{self.opener}{inner}{self.closer}"

    @property
    def must_break(self) -> bool:
        if self.loop or any(isinstance(expr, _Group) for _, expr in self.items):
            return True
        return self.opener == "nn.Sequential(" and len(self.items) > 1


def _flat(expr: str | _Group) -> str:
    return expr if isinstance(expr, str) else expr.flat()


def _lines(expr: str | _Group, indent: int, prefix: str = "", suffix: str = "") -> list[str]:
    pad = " " * indent
    if isinstance(expr, str):
        return [f"{pad}{prefix}{expr}{suffix}"]
    one_line = f"{pad}{prefix}{expr.flat()}{suffix}"
    if not expr.must_break and len(one_line) <= LINE_WIDTH:
        return [one_line]
    out = [f"{pad}{prefix}{expr.opener}"]
    for item_prefix, item in expr.items:
        out += _lines(item, indent + 4, item_prefix, "" if expr.loop else ",")
    if expr.loop:
        out.append(f"{pad}    {expr.loop}")
    out.append(f"{pad}{expr.closer}{suffix}")
    return out


@dataclass
class _Uses:
    """Which helper classes and imports the exported file needs."""

    helpers: set[str] = field(default_factory=set)
    functional: bool = False


def _expression(node: _Node, uses: _Uses) -> str | _Group:
    layer = node.layer
    if not layer.is_block:
        return _leaf_call(layer, node.placed.input_shape).code()
    if isinstance(layer, DenseBlock):
        uses.helpers.add("DenseBlock")
        return _dense_expression(layer, node, uses)
    branches = [_sequential(branch, uses) for branch in node.branches]
    if isinstance(layer, Residual):
        uses.helpers.add("Residual")
        items = [("body=", branches[0])]
        if layer.shortcut:
            items.append(("shortcut=", branches[1]))
        return _Group("Residual(", items)
    if isinstance(layer, Concat):
        uses.helpers.add("Concat")
        return _Group("Concat(", [("", b) for b in branches])
    raise _no_module_for(layer)


def _sequential(branch: list[_Node], uses: _Uses) -> str | _Group:
    if not branch:
        return "nn.Identity()"
    if len(branch) == 1:
        # a one-layer branch reads better bare; the parameters come in the same order either way
        return _expression(branch[0], uses)
    return _Group("nn.Sequential(", [("", _expression(child, uses)) for child in branch])


def _dense_expression(layer: DenseBlock, node: _Node, uses: _Uses) -> _Group:
    if layer.layers == 1:
        only = _Group("[", [("", _sequential(node.branches[0], uses))], "]")
        return _Group("DenseBlock(", [("", only)])
    # every dense layer is the same but for its input channels: write it once, in a loop over i
    channels = _Code(f"{node.placed.input_shape[0]} + {layer.growth} * i")
    items: list[tuple[str, Any]] = []
    widened = True
    for child in node.branches[0]:
        call = _leaf_call(child.layer, child.placed.input_shape)
        if widened and call.args and call.name in ("BatchNorm2d", "Conv2d"):
            call = _Call(call.name, (channels, *call.args[1:]), call.kwargs)
            # layers up to the first conv see the growing concatenation; after it, a fixed width
            widened = call.name != "Conv2d"
        items.append(("", call.code()))
    body = _Group("nn.Sequential(", items)
    loop = _Group("[", [("", body)], "]", loop=f"for i in range({layer.layers})")
    return _Group("DenseBlock(", [("", loop)])


_TAKEN_NAMES = frozenset({"torch", "nn", "F", "Residual", "Concat", "DenseBlock"})
"""Names the exported file itself uses: a class named so would replace them."""


def check_class_name(class_name: str) -> None:
    """Raise ValueError unless the name can be the exported class's: a plain ASCII Python
    identifier that is no keyword and hides none of the names the file (or Python) relies on."""
    if not (class_name.isascii() and class_name.isidentifier()) or keyword.iskeyword(class_name):
        raise ValueError(
            f"class name {class_name!r} is not a Python identifier "
            "(letters, digits and _, not starting with a digit)"
        )
    if class_name in _TAKEN_NAMES or class_name in dir(builtins) or class_name.startswith("__"):
        raise ValueError(
            f"class name {class_name!r} is taken: the exported file uses it; try e.g. Net"
        )


def export_source(
    stack: StackLike, input_shape: Shape | str | None = None, class_name: str = "Net"
) -> str:
    """Standalone PyTorch source for a stack, written like the lecture's MNIST Net.

    Imports, the block helper classes it needs (copied from torch_modules), a `class Net` whose
    __init__ names one attribute per module (conv1, pool1, fc1, block1, ...) and whose forward()
    takes one line per layer with the shape it leaves, and a __main__ check that runs a random
    batch and prints the output shape and the parameter count.
    """
    check_class_name(class_name)
    layers, shape, named = _resolve(stack, input_shape)
    nodes = _tree(layers, shape)
    params = engine_parameter_count(layers, shape)
    uses = _Uses()
    output = nodes[-1].placed.output_shape if nodes else shape
    init, forward = _init_and_forward(nodes, shape, uses)
    helpers = _helper_sources(uses)
    header = _export_header(class_name, layers, shape, named, params)

    imports = ["import torch"]
    if uses.functional:
        imports.append("import torch.nn.functional as F")
    imports.append("from torch import nn")

    parts = [
        "\n".join(header),
        "\n".join(imports),
        *(h.rstrip("\n") for h in helpers),
        _class_source(class_name, shape, output, params, init, forward),
        _main_check(class_name, shape),
    ]
    return "\n\n\n".join(parts[:1]) + "\n\n" + "\n\n\n".join(parts[1:]) + "\n"


def _init_and_forward(nodes: list[_Node], shape: Shape, uses: _Uses) -> tuple[list[str], list[str]]:
    """The exported __init__'s attribute lines (conv1, pool1, ...) and forward()'s lines, one
    per layer with the shape it leaves; notes in uses what the file must import."""
    init: list[str] = []
    forward: list[str] = [f"        # x: N x {format_shape(shape)}"]
    counters: dict[str, int] = {}
    for node in nodes:
        out = format_shape(node.placed.output_shape)
        line = _functional(node.layer)
        if line is not None:
            uses.functional = uses.functional or line.startswith("F.")
            forward.append(f"        x = {line}  # {out}")
            continue
        stem = _attribute_stem(node.layer)
        counters[stem] = counters.get(stem, 0) + 1
        name = f"{stem}{counters[stem]}"
        init += _lines(_expression(node, uses), 8, f"self.{name} = ")
        forward.append(f"        x = self.{name}(x)  # {out}")
    return init, forward


def _helper_sources(uses: _Uses) -> list[str]:
    """The source of each block helper class the exported file needs."""
    # the helpers are copied from the real classes, so the export and the app run the same code
    from . import torch_modules

    return [
        inspect.getsource(getattr(torch_modules, helper))
        for helper in ("Residual", "Concat", "DenseBlock")
        if helper in uses.helpers
    ]


def _export_header(
    class_name: str, layers: Sequence[Layer], shape: Shape, named: Stack | None, params: int
) -> list[str]:
    """The comment lines that open the exported file: title, spec, description, parameters."""
    # names, descriptions and labels go into comments only, each made one line (printable()
    # writes line breaks and other hidden characters as escapes), so none can end its comment
    title = (
        f'the stack "{printable(named.name)}"'
        if named is not None and named.name
        else "a custom stack"
    )
    header = [f"# {class_name}: {title} for {format_shape(shape)} inputs, exported by cnn-tui."]
    header += textwrap.wrap(
        printable(" ".join(layer.label() for layer in layers)),
        width=LINE_WIDTH,
        initial_indent="# Spec: ",
        subsequent_indent="#       ",
        break_long_words=False,
        break_on_hyphens=False,
    )
    if named is not None and named.description:
        header += textwrap.wrap(
            printable(named.description), LINE_WIDTH, initial_indent="# ", subsequent_indent="# "
        )
    header.append(f"# Parameters: {params:,}")
    return header


def _class_source(
    class_name: str,
    shape: Shape,
    output: Shape,
    params: int,
    init: list[str],
    forward: list[str],
) -> str:
    """The exported network class: its docstring, __init__ and forward()."""
    return "\n".join(
        [
            f"class {class_name}(nn.Module):",
            f'    """{format_shape(shape)} in, {format_shape(output)} '
            f'out, {params:,} parameters."""',
            "",
            "    def __init__(self):",
            "        super().__init__()",
            *init,
            "",
            "    def forward(self, x):",
            *forward,
            "        return x",
        ]
    )


def _main_check(class_name: str, shape: Shape) -> str:
    """The exported file's __main__ check: a random batch through the net, shape and count."""
    batch_shape = ", ".join(str(s) for s in (2, *shape))
    return "\n".join(
        [
            'if __name__ == "__main__":',
            f"    net = {class_name}().eval()",
            f"    x = torch.randn({batch_shape})",
            "    with torch.no_grad():",
            "        y = net(x)",
            '    print("output shape:", tuple(y.shape))',
            '    print(f"parameters: {sum(p.numel() for p in net.parameters()):,}")',
        ]
    )
