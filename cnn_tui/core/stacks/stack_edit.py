"""Editing a stack by path (insert, delete, duplicate, move, replace) with undo and redo."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Generic, TypeVar

from .blocks import Concat, Residual
from .layers import Layer
from .shapes import StackError

Path = tuple[int, ...]
"""0-based: (i,) is top-level layer i; (i, b, j) is layer j of branch b of block i."""

Layers = tuple[Layer, ...]


def row_path(number: str) -> Path:
    """A tally row number ('5.1.2', 1-based) as an editing path ((4, 0, 1), 0-based)."""
    return tuple(int(part) - 1 for part in number.split("."))


def editable_branches(layer: Layer) -> tuple[Layers, ...]:
    """The branches whose layers can be edited one by one (a dense block is edited whole)."""
    if isinstance(layer, Residual):
        return (layer.body, layer.shortcut)
    if isinstance(layer, Concat):
        return layer.paths
    return ()


def _with_branches(layer: Layer, branches: Sequence[Layers]) -> Layer:
    if isinstance(layer, Residual):
        return replace(layer, body=tuple(branches[0]), shortcut=tuple(branches[1]))
    if isinstance(layer, Concat):
        return replace(layer, paths=tuple(tuple(b) for b in branches))
    raise StackError(f"{layer.kind} has no branches to edit")


def _siblings(layers: Layers, path: Path) -> Layers:
    """The list that holds path's last index."""
    current = layers
    for depth in range(0, len(path) - 1, 2):
        block = _at(current, path[depth])
        branches = editable_branches(block)
        branch = path[depth + 1]
        if not 0 <= branch < len(branches):
            raise StackError(f"{block.kind} has no branch {branch + 1}")
        current = branches[branch]
    return current


def _at(layers: Layers, index: int) -> Layer:
    if not 0 <= index < len(layers):
        raise StackError(f"no layer at position {index + 1}")
    return layers[index]


def _rebuild(layers: Layers, path: Path, new_siblings: Layers) -> Layers:
    """layers with the sibling list that holds path replaced by new_siblings."""
    if len(path) == 1:
        return new_siblings
    block = _at(layers, path[0])
    branches = list(editable_branches(block))
    branches[path[1]] = _rebuild(branches[path[1]], path[2:], new_siblings)
    return (*layers[: path[0]], _with_branches(block, branches), *layers[path[0] + 1 :])


def get_layer(layers: Layers, path: Path) -> Layer:
    return _at(_siblings(layers, path), path[-1])


def replace_layer(layers: Layers, path: Path, layer: Layer) -> Layers:
    siblings = _siblings(layers, path)
    _at(siblings, path[-1])
    index = path[-1]
    return _rebuild(layers, path, (*siblings[:index], layer, *siblings[index + 1 :]))


def insert_layer(layers: Layers, path: Path, layer: Layer) -> Layers:
    """Insert before path (its last index may be one past the end: append)."""
    siblings = _siblings(layers, path)
    index = path[-1]
    if not 0 <= index <= len(siblings):
        raise StackError(f"cannot insert at position {index + 1}")
    return _rebuild(layers, path, (*siblings[:index], layer, *siblings[index:]))


def delete_layer(layers: Layers, path: Path) -> Layers:
    siblings = _siblings(layers, path)
    _at(siblings, path[-1])
    index = path[-1]
    if len(path) > 1 and len(siblings) == 1:
        if path[-2] == 0:
            raise StackError("a block's first branch needs at least one layer: delete the block")
        if isinstance(get_layer(layers, path[:-2]), Concat):
            # only a residual's shortcut may be empty (the identity); a concat branch may not
            raise StackError("every branch of a concat block needs a layer: delete the branch")
    return _rebuild(layers, path, (*siblings[:index], *siblings[index + 1 :]))


def duplicate_layer(layers: Layers, path: Path) -> Layers:
    """A copy of the layer right after it."""
    return insert_layer(layers, (*path[:-1], path[-1] + 1), get_layer(layers, path))


def move_layer(layers: Layers, path: Path, delta: int) -> tuple[Layers, Path]:
    """Move a layer up (delta -1) or down (+1) among its siblings; returns the new path."""
    siblings = _siblings(layers, path)
    index = path[-1]
    _at(siblings, index)
    target = max(0, min(len(siblings) - 1, index + delta))
    if target == index:
        return layers, path
    items = list(siblings)
    items.insert(target, items.pop(index))
    return _rebuild(layers, path, tuple(items)), (*path[:-1], target)


Aside = TypeVar("Aside")
"""What an edit replaced beside the layers (the builder: input shape, name, description)."""


@dataclass
class EditHistory(Generic[Aside]):
    """The stack as it is now, with every earlier version for undo and undone ones for redo.

    An edit may carry an aside: what it replaced beside the layers (opening a preset replaces
    the input shape too), which undo_with gives back with the layers, and redo_with again."""

    current: Layers
    undone: list[tuple[Layers, str, Aside | None]] = field(default_factory=list)
    """Versions taken back by undo, newest last, with what produced them and its aside."""
    done: list[tuple[Layers, str, Aside | None]] = field(default_factory=list)
    """Earlier versions, newest last, with the edit that replaced them and its aside."""
    limit: int = 200
    """How many undo steps are kept."""

    def apply(self, layers: Layers, what: str, aside: Aside | None = None) -> None:
        """Make layers current; `what` names the edit ('delete layer 3') for undo messages;
        `aside`: what the edit replaced beside the layers, as it was (None: nothing)."""
        if layers == self.current:
            return
        self.done.append((self.current, what, aside))
        del self.done[: -self.limit]
        self.current = layers
        self.undone.clear()

    @property
    def can_undo(self) -> bool:
        return bool(self.done)

    @property
    def can_redo(self) -> bool:
        return bool(self.undone)

    def undo(self) -> str:
        """Go back one edit; returns what was undone ('' when there is nothing to undo)."""
        return self.undo_with(None)[0]

    def redo(self) -> str:
        return self.redo_with(None)[0]

    def undo_with(self, now: Aside | None) -> tuple[str, Aside | None]:
        """Go back one edit: (what was undone, its aside to restore: None when it had none).
        `now`: the aside's things as they are now, which redo gives back."""
        return self._step(self.done, self.undone, now)

    def redo_with(self, now: Aside | None) -> tuple[str, Aside | None]:
        """Redo one edit, as undo_with does undo."""
        return self._step(self.undone, self.done, now)

    def _step(
        self,
        source: list[tuple[Layers, str, Aside | None]],
        target: list[tuple[Layers, str, Aside | None]],
        now: Aside | None,
    ) -> tuple[str, Aside | None]:
        if not source:
            return "", None
        layers, what, aside = source.pop()
        target.append((self.current, what, now if aside is not None else None))
        self.current = layers
        return what, aside
