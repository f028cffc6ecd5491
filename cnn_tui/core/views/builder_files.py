"""The builder's files: where its stack was last saved or opened, the files that failed to load
(never overwritten), and a typed preset, spec or .json path read into a stack."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..safe_files import file_signature, same_file
from ..stacks.shapes import Shape, StackError
from ..stacks.spec_parser import parse_layers
from ..stacks.stack import Stack
from ..stacks.stack_file import load_stack
from ..stacks.zoo import PRESETS, get_preset

TYPED_SPEC = "a typed spec"
"""How a stack read from a one-line spec is named in the builder's messages and history."""


def typed_path(text: str, suffix: str = "") -> Path:
    """The path in an input: '~' expanded, suffix added when the name has none."""
    path = Path(os.path.expanduser(text.strip()))
    if suffix and path.suffix.lower() != suffix:
        path = path.with_name(path.name + suffix)
    return path


@dataclass
class StackFiles:
    """The files one builder has saved, opened, or failed to open."""

    saved_path: Path | None = None
    """Where the stack was last saved to or opened from."""
    saved_signature: tuple[int, int, int] | None = None
    """That file's (inode, size, mtime) then: saving asks when another program (a second
    builder, an editor) has written it since."""
    failed_loads: list[Path] = field(default_factory=list)
    """Files that did not load: never overwritten, so they can be repaired."""

    def remember_file(self, path: Path | None) -> None:
        """The stack was saved to or opened from path (None: no file of its own)."""
        self.saved_path = path
        self.saved_signature = file_signature(path) if path is not None else None

    def load(self, path: Path) -> Stack:
        """The stack in path; StackError (and the file kept from being overwritten) when it
        does not load."""
        try:
            stack = load_stack(path)
        except StackError:
            if not any(same_file(path, failed) for failed in self.failed_loads):
                self.failed_loads.append(path)
            raise
        self.failed_loads = [p for p in self.failed_loads if not same_file(p, path)]
        return stack

    def default_path(self, suffix: str, stack_name: str) -> Path:
        """Where a save or export dialog starts: beside the last file, else in the current
        folder under the stack's name."""
        if self.saved_path is not None:
            return self.saved_path.with_suffix(suffix)
        return Path(f"./{stack_name or 'stack'}{suffix}")

    def read_text(self, text: str, input_shape: Shape) -> tuple[Stack, bool, str]:
        """A typed preset, .json file or one-line spec as (stack, whether it brings its own
        input shape, how to name the change); StackError when it cannot be read.

        A spec makes an untitled stack on input_shape: it is no preset or file, whatever the
        stack it replaces was called."""
        if not text:
            raise StackError("type layers like conv(20,5) relu maxpool(2), or a preset name")
        if text.lower().endswith(".json"):
            path = typed_path(text)
            stack = self.load(path)
            self.remember_file(path)
            return stack, True, f"file {path.name}"
        try:
            preset = get_preset(text)
        except StackError:
            pass
        else:
            return preset.stack(), True, f"preset {preset.name}"
        try:
            layers = parse_layers(text)
        except StackError as exc:
            if text.isidentifier():
                # a lone word that is no layer was most likely meant as a preset
                names = ", ".join(PRESETS)
                raise StackError(f"{text!r} is neither a layer nor a preset ({names})") from exc
            raise
        return Stack(layers, input_shape), False, TYPED_SPEC
