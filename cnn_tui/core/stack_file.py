"""Stack files: readable JSON, one layer per line, written atomically, read with line numbers."""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from .layers import MAX_NESTING, Stack, StackError, format_shape, layer_from_dict, parse_shape

FORMAT = "cnn-tui-stack"
VERSION = 1


def dumps_stack(stack: Stack) -> str:
    """The file text: header fields, then each top-level layer on its own line."""
    header: dict[str, Any] = {"format": FORMAT, "version": VERSION, "name": stack.name}
    if stack.description:
        header["description"] = stack.description
    header["input"] = format_shape(stack.input_shape)
    lines = ["{"]
    lines += [f"  {json.dumps(k)}: {json.dumps(v)}," for k, v in header.items()]
    layers = [json.dumps(layer.to_dict()) for layer in stack.layers]
    lines.append('  "layers": [')
    lines += [f"    {text}{',' if i < len(layers) - 1 else ''}" for i, text in enumerate(layers)]
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


def save_stack(stack: Stack, path: str | os.PathLike[str]) -> Path:
    """Write atomically: a temporary file beside the target, then a rename."""
    target = Path(path)
    write_atomic(target, dumps_stack(stack))
    return target


def write_atomic(target: Path, content: str | bytes | Callable[[BinaryIO], object]) -> None:
    """Write a file so that a crash leaves either the old file or the new one, never half:
    a temporary file beside the target, then a rename. content: text (UTF-8), bytes, or a
    function that writes into the open binary file (torch.save for checkpoints).

    A write that fails raises an OSError naming `target` (never the temporary file), with a
    strerror that says why: a folder as the target, a file where a folder should be, ..."""
    target = Path(target)
    try:
        # the checks are inside the try too: stat() itself may be refused (EACCES)
        if target.is_dir():
            raise IsADirectoryError(errno.EISDIR, "it is a folder, not a file")
        blocker = _file_in_the_way(target.parent)
        if blocker is not None:
            raise NotADirectoryError(errno.ENOTDIR, f"{blocker} is a file, not a folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as exc:
        raise _naming(target, exc) from None
    try:
        os.chmod(temp, 0o644)  # mkstemp makes 0600; a saved file is as readable as any
        with os.fdopen(fd, "wb") as handle:
            if callable(content):
                content(handle)
            else:
                handle.write(content.encode("utf-8") if isinstance(content, str) else content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise _naming(target, exc) from None
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def nearest_existing(folder: Path) -> Path:
    """The folder itself, or its nearest ancestor that exists (write_atomic makes the rest)."""
    return next((p for p in (folder, *folder.parents) if p.exists()), folder)


def _file_in_the_way(folder: Path) -> Path | None:
    """The nearest existing ancestor of a folder to be, when it is a file rather than a folder."""
    existing = nearest_existing(folder)
    return existing if existing.exists() and not existing.is_dir() else None


def _naming(target: Path, exc: OSError) -> OSError:
    """The same error (same errno, so the same OSError subclass) about the target path."""
    return OSError(exc.errno, exc.strerror or str(exc), str(target))


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


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
    while True:
        pos = _skip_space(text, pos, ",")
        if pos >= len(text) or text[pos] == "]":
            return lines
        lines.append(_line_of(text, pos))
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
    if data.get("version", VERSION) != VERSION:
        raise StackError(f"{source}: version {data.get('version')!r} is not supported")
    raw_layers = data.get("layers")
    if not isinstance(raw_layers, list) or not raw_layers:
        raise StackError(f"{source}: 'layers' must be a non-empty list")
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
    return Stack(
        layers=tuple(layers),
        input_shape=shape,
        name=str(data.get("name") or ""),
        description=str(data.get("description") or ""),
    )


def load_stack(path: str | os.PathLike[str]) -> Stack:
    """Read a stack file; a missing, unreadable or corrupt file raises StackError (not touched)."""
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8-sig")  # -sig: a BOM is skipped, not an error
    except FileNotFoundError:
        raise StackError(f"{target}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StackError(f"{target}: cannot be read ({exc})") from None
    stack = loads_stack(text, str(target))
    return stack if stack.name else Stack(stack.layers, stack.input_shape, target.stem)
