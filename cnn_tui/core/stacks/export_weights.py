"""Exported source that loads a checkpoint's weights: the map from build_module's names
('0.weight', '5.body.0.weight') to the exported Net's ('conv1.weight', 'block1.body.weight'),
and a loader section written into the file."""

from __future__ import annotations

from collections.abc import Sequence

from .blocks import Concat, DenseBlock, Residual
from .shapes import StackError
from .torch_bridge import (
    StackLike,
    _attribute_stem,
    _functional,
    _literal,
    _Node,
    _resolve,
    _tree,
    export_source,
)

MAIN_MARK = '\n\n\nif __name__ == "__main__":'


def export_prefixes(stack: StackLike) -> list[tuple[str, str]]:
    """(built prefix, exported prefix) for every leaf module, e.g. ('0', 'conv1'),
    ('5.body.0', 'block1.body'): the exported file writes a one-layer branch bare, without the
    nn.Sequential build_module puts around it."""
    layers, shape, _ = _resolve(stack, None)
    pairs: list[tuple[str, str]] = []
    counters: dict[str, int] = {}
    for index, node in enumerate(_tree(layers, shape)):
        if _functional(node.layer) is not None:
            continue
        stem = _attribute_stem(node.layer)
        counters[stem] = counters.get(stem, 0) + 1
        _walk(node, str(index), f"{stem}{counters[stem]}", pairs)
    return pairs


def _walk(node: _Node, built: str, exported: str, pairs: list[tuple[str, str]]) -> None:
    layer = node.layer
    if not layer.is_block:
        pairs.append((built, exported))
        return
    for number, branch in enumerate(node.branches):
        if isinstance(layer, Residual):
            name = "body" if number == 0 else "shortcut"
            b, e, bare = f"{built}.{name}", f"{exported}.{name}", len(branch) == 1
        elif isinstance(layer, Concat):
            b, e = f"{built}.branches.{number}", f"{exported}.branches.{number}"
            bare = len(branch) == 1
        elif isinstance(layer, DenseBlock):
            # one dense layer is written as a list of one branch; more, as a loop of Sequentials
            b, e = f"{built}.layers.{number}", f"{exported}.layers.{number}"
            bare = layer.layers == 1 and len(branch) == 1
        else:
            raise StackError(f"no export is known for {layer.kind}", label=layer.label())
        for place, child in enumerate(branch):
            _walk(child, f"{b}.{place}", e if bare else f"{e}.{place}", pairs)


def export_keys(stack: StackLike, keys: Sequence[str]) -> dict[str, str]:
    """Each state_dict key of build_module(stack) -> the exported Net's key."""
    prefixes = sorted(export_prefixes(stack), key=lambda pair: -len(pair[0]))
    out: dict[str, str] = {}
    for key in keys:
        for built, exported in prefixes:
            if key.startswith(built + "."):
                out[key] = exported + key[len(built) :]
                break
        else:
            raise StackError(f"the weight {key!r} belongs to no layer of the stack")
    return out


def export_with_weights(
    stack: StackLike,
    keys: Sequence[str],
    checkpoint: str,
    run: str,
    ema: bool,
    normalisation: tuple[Sequence[float], Sequence[float]],
    labels: Sequence[str],
    class_name: str = "Net",
) -> str:
    """export_source plus a loader: the checkpoint's path and run, the key map, the inputs'
    normalisation and the class names; `python file.py` loads the weights and runs a batch."""
    source = export_source(stack, class_name=class_name)
    body, _, _ = source.partition(MAIN_MARK)
    _, shape, _ = _resolve(stack, None)
    mapping = export_keys(stack, keys)
    weights = "ema_state_dict" if ema else "state_dict"
    mean, std = (tuple(float(v) for v in values) for values in normalisation)
    lines = [
        "# The trained weights: a cnn-tui checkpoint names each tensor as its nn.Sequential does",
        f'# ("0.weight"); this {class_name} names them as above. KEYS maps one to the other.',
        f"CHECKPOINT = {_literal(checkpoint)}",
        f"RUN = {_literal(run)}",
        f"WEIGHTS = {_literal(weights)}  # state_dict: raw; ema_state_dict: averaged, if kept",
        "KEYS = {",
        *(f"    {_literal(k)}: {_literal(v)}," for k, v in mapping.items()),
        "}",
        "# inputs are [0, 1] pixels normalised per channel with the training set's mean and std",
        f"MEAN = {_literal(mean)}",
        f"STD = {_literal(std)}",
        *_tuple_lines("LABELS", [_literal(str(label)) for label in labels]),
        "",
        "",
        "def load_weights(net, path=CHECKPOINT, run=RUN, weights=WEIGHTS):",
        '    """The checkpoint\'s weights into net (torch.load with weights_only=True)."""',
        '    payload = torch.load(path, map_location="cpu", weights_only=True)',
        '    state = payload["runs"][run][weights]',
        "    net.load_state_dict({KEYS[key]: value for key, value in state.items()})",
        "    return net",
        "",
        "",
        "def normalise(pixels):",
        '    """N x C x H x W pixels in [0, 1] -> what the network was trained on."""',
        "    mean = torch.tensor(MEAN).view(1, -1, 1, 1)",
        "    std = torch.tensor(STD).view(1, -1, 1, 1)",
        "    return (pixels - mean) / std",
        "",
        "",
        'if __name__ == "__main__":',
        f"    net = load_weights({class_name}()).eval()",
        f"    x = torch.rand({', '.join(str(s) for s in (2, *shape))})",
        "    with torch.no_grad():",
        "        y = net(normalise(x))",
        '    print("output shape:", tuple(y.shape))',
        '    print("classes of two random images:", [LABELS[i] for i in y.argmax(1).tolist()])',
    ]
    return body + "\n\n\n" + "\n".join(lines) + "\n"


def _tuple_lines(name: str, items: list[str]) -> list[str]:
    """NAME = (a, b, c) on one line where it fits in 100 characters, else one item a line."""
    one = f"{name} = ({', '.join(items)}{',' if len(items) == 1 else ''})"
    if len(one) <= 100:
        return [one]
    return [f"{name} = (", *(f"    {item}," for item in items), ")"]
