"""Stack files: readable JSON, one layer per line, written atomically, read with line numbers."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..safe_files import STACK_FILE_LIMIT, read_regular_text, write_atomic
from .layer_settings import layer_from_dict
from .shapes import MAX_LAYERS, MAX_NESTING, PAIR_FIELDS, StackError, format_shape, parse_shape
from .stack import Stack, row_count

FORMAT = "cnn-tui-stack"
VERSION = 2
"""The newest format: a kernel, stride, padding or dilation may be an [h, w] pair."""
PLAIN_VERSION = 1
"""The version written when no layer holds a pair, so such files read as they always did."""
VERSIONS = (PLAIN_VERSION, VERSION)
"""The versions the loader reads."""

MAX_TEXT = {"name": 200, "description": 10_000}
"""The longest name and description a stack file may hold, in characters."""


def dumps_stack(stack: Stack) -> str:
    """The file text: header fields, then each top-level layer on its own line."""
    dicts = [layer.to_dict() for layer in stack.layers]
    version = VERSION if any(_holds_pair(d) for d in dicts) else PLAIN_VERSION
    header: dict[str, Any] = {"format": FORMAT, "version": version, "name": stack.name}
    if stack.description:
        header["description"] = stack.description
    header["input"] = format_shape(stack.input_shape)
    lines = ["{"]
    lines += [f"  {json.dumps(k)}: {json.dumps(v)}," for k, v in header.items()]
    layers = [json.dumps(data) for data in dicts]
    lines.append('  "layers": [')
    lines += [f"    {text}{',' if i < len(layers) - 1 else ''}" for i, text in enumerate(layers)]
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


def _holds_pair(data: dict[str, Any]) -> bool:
    """Whether a layer's to_dict() form, or any layer inside it, stores an [h, w] pair."""
    pending = [data]
    while pending:  # a loop, not recursion: blocks may nest MAX_NESTING deep
        item = pending.pop()
        for key, value in item.items():
            if key in PAIR_FIELDS and isinstance(value, list):
                return True
            if isinstance(value, list):
                # a block's branches: lists of layers, or (cat) a list of such lists
                for entry in value:
                    inner = entry if isinstance(entry, list) else [entry]
                    pending.extend(layer for layer in inner if isinstance(layer, dict))
    return False


def save_stack(stack: Stack, path: str | os.PathLike[str]) -> Path:
    """Write atomically: a temporary file beside the target, then a rename."""
    target = Path(path)
    write_atomic(target, dumps_stack(stack))
    return target


def _skip_space(text: str, pos: int, also: str = "") -> int:
    while pos < len(text) and (text[pos].isspace() or text[pos] in also):
        pos += 1
    return pos


def _layers_array_start(text: str) -> int:
    """Offset just inside the top-level "layers" array, found key by key; -1 if absent."""
    decoder = json.JSONDecoder()
    pos = _skip_space(text, 0)
    if not text.startswith("{", pos):
        return -1
    pos += 1
    while True:
        pos = _skip_space(text, pos, ",")
        try:
            key, pos = decoder.raw_decode(text, pos)
            pos = _skip_space(text, pos, ":")
            if key == "layers":
                return pos + 1 if text.startswith("[", pos) else -1
            _, pos = decoder.raw_decode(text, pos)
        except (json.JSONDecodeError, IndexError):
            return -1


def _layer_lines(text: str) -> list[int]:
    """Line number of each element of the top-level "layers" array."""
    decoder = json.JSONDecoder()
    pos = _layers_array_start(text)
    if pos < 0:
        return []
    lines: list[int] = []
    line, counted = 1, 0  # newlines counted up to `counted`: linear in the file, not quadratic
    while True:
        pos = _skip_space(text, pos, ",")
        if pos >= len(text) or text[pos] == "]" or len(lines) > MAX_LAYERS:
            return lines
        line += text.count("\n", counted, pos)
        counted = pos
        lines.append(line)
        try:
            _, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            return lines


def loads_stack(text: str, source: str = "stack file") -> Stack:
    """Parse file text; every problem is a StackError naming the file, line and field."""
    text = text.removeprefix("\ufeff")  # Windows Notepad starts UTF-8 files with a BOM
    try:
        data = json.loads(text)
        lines = _layer_lines(text)
    except json.JSONDecodeError as exc:
        raise StackError(f"{source}, line {exc.lineno}: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        # json's decoder recurses once per bracket: a thousand of them is no stack file
        raise StackError(
            f"{source}: nested too deeply to read "
            f"(a stack nests blocks at most {MAX_NESTING} levels deep)"
        ) from None
    except ValueError:
        # int() refuses a number of over 4,300 digits (a plain ValueError, not a JSONDecodeError)
        raise StackError(f"{source}: holds a number with thousands of digits") from None
    if not isinstance(data, dict):
        raise StackError(f"{source}: expected a JSON object with 'input' and 'layers'")
    if data.get("format", FORMAT) != FORMAT:
        raise StackError(f"{source}: not a cnn-tui stack (format is {data.get('format')!r})")
    if data.get("version", PLAIN_VERSION) not in VERSIONS:
        raise StackError(f"{source}: version {data.get('version')!r} is not supported")
    raw_layers = data.get("layers")
    if not isinstance(raw_layers, list) or not raw_layers:
        raise StackError(f"{source}: 'layers' must be a non-empty list")
    if len(raw_layers) > MAX_LAYERS:
        raise StackError(f"{source}: {_too_many(len(raw_layers))}")
    try:
        shape = parse_shape(str(data.get("input", "")))
    except StackError as exc:
        raise StackError(f"{source}: {exc.reason}") from None
    layers = []
    for index, item in enumerate(raw_layers):
        line = f", line {lines[index]}" if index < len(lines) else ""
        try:
            layers.append(layer_from_dict(item, f"layer {index + 1}"))
        except StackError as exc:
            raise StackError(f"{source}{line}: {exc.reason}") from None
    rows = row_count(layers)
    if rows > MAX_LAYERS:
        raise StackError(f"{source}: {_too_many(rows)}")
    return Stack(
        layers=tuple(layers),
        input_shape=shape,
        name=_text_field(data, "name", source),
        description=_text_field(data, "description", source),
    )


def _too_many(rows: int) -> str:
    return (
        f"{rows:,} layers (blocks counted with their insides); a stack holds at most {MAX_LAYERS:,}"
    )


def _text_field(data: dict[str, Any], key: str, source: str) -> str:
    """A name or description: text of bounded length (it is shown in titles and exports)."""
    value = data.get(key) or ""
    if not isinstance(value, str):
        raise StackError(f"{source}: {key!r} must be text, got {type(value).__name__}")
    if len(value) > MAX_TEXT[key]:
        raise StackError(
            f"{source}: the {key} is {len(value):,} characters; at most {MAX_TEXT[key]:,}"
        )
    return value


def load_stack(path: str | os.PathLike[str]) -> Stack:
    """Read a stack file; a missing, unreadable, oversized, non-regular (a FIFO, a device) or
    corrupt file raises StackError and is left untouched."""
    target = Path(path)
    try:
        text = read_regular_text(target, STACK_FILE_LIMIT)  # a BOM is skipped, not an error
    except FileNotFoundError:
        raise StackError(f"{target}: no such file") from None
    except OSError as exc:
        raise StackError(f"{target}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise StackError(f"{target}: cannot be read (not UTF-8 text: {exc.reason})") from None
    stack = loads_stack(text, str(target))
    return stack if stack.name else Stack(stack.layers, stack.input_shape, target.stem)
