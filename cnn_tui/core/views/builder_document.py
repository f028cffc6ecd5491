"""BuilderDocument: the stack a builder edits, its undo history, settings, folds and files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..plain_text import visible
from ..stacks.shapes import Shape
from ..stacks.stack import Stack, row_count
from ..stacks.stack_edit import EditHistory, Layers
from ..stacks.stack_edit import Path as EditPath
from ..stacks.stack_file import save_stack
from .builder_files import TYPED_SPEC, StackFiles
from .builder_rows import default_folds, too_big, too_deep

Settings = tuple[Shape, str, str]
"""A stack's input shape, name and description: opening a preset or file replaces them."""


@dataclass
class BuilderDocument:
    """The builder's stack: every change goes through the history, so undo takes it back (with
    the input shape, name and description an opened preset or file replaced)."""

    input_shape: Shape
    """The last valid input shape typed or loaded."""
    history: EditHistory[Settings] = field(default_factory=lambda: EditHistory(()))
    """The layers now, with every earlier version for undo (and, beside the edits that
    replaced them, the input shape, name and description before)."""
    stack_name: str = ""
    """The stack's name: the preset's or file's; '' for an untitled stack (a new one, or one
    typed as a spec)."""
    description: str = ""
    """The loaded preset's or file's description, saved with the stack."""
    folds: set[EditPath] = field(default_factory=set)
    """Paths of the blocks whose children are hidden."""
    baseline: Layers = ()
    """The layers as last opened, saved or started; the subtitle says 'edited' otherwise."""
    files: StackFiles = field(default_factory=StackFiles)
    """Where the stack was last saved or opened, and the files that failed to load."""

    @property
    def layers(self) -> Layers:
        return self.history.current

    @property
    def edited(self) -> bool:
        """Whether the layers differ from the ones last opened, saved or started."""
        return self.layers != self.baseline

    def title(self) -> str:
        """What the stack is called wherever it is named: its name ('untitled' without one),
        and ', edited' when it differs from what was last opened or saved ('vgg16, edited')."""
        name = self.stack_name or "untitled"
        return f"{name}, edited" if self.edited else name

    def subtitle(self) -> str:
        """The title as the screen shows it: a file's ESC is shown, not sent."""
        return visible(self.title())

    def stack(self) -> Stack:
        """The stack as it is kept (saved, or put in the recovery file): its own name."""
        return Stack(self.layers, self.input_shape, self.stack_name, self.description)

    def stack_to_train(self) -> Stack:
        """The stack handed to Train, named by its title: 'vgg16, edited' is no longer vgg16."""
        return Stack(self.layers, self.input_shape, self.title(), self.description)

    def settings(self) -> Settings:
        return (self.input_shape, self.stack_name, self.description)

    def use_settings(self, settings: Settings) -> None:
        self.input_shape, self.stack_name, self.description = settings

    def apply(
        self,
        layers: Layers,
        what: str,
        settings: Settings | None = None,
        folds: set[EditPath] | None = None,
    ) -> str:
        """Make layers current through the history (so undo takes it back); returns why not
        ('' when applied: too big or too deep a stack is refused).

        settings: a new input shape, name and description that come with the change (opening
        a preset or file); undo restores the old ones with the old layers.
        folds: the folded blocks' paths as the change moves them."""
        refusal = too_big(layers) or too_deep(layers)
        if refusal:
            return refusal
        if folds is not None:
            self.folds = folds
        if layers != self.layers:
            self.history.apply(layers, what, self.settings() if settings is not None else None)
        if settings is not None:
            self.use_settings(settings)
        return ""

    def undo(self) -> tuple[str, bool]:
        """Take back the last change: (what it was, '' for nothing; whether the settings came
        back with it)."""
        what, settings = self.history.undo_with(self.settings())
        if settings is not None:
            self.use_settings(settings)
        return what, settings is not None

    def redo(self) -> tuple[str, bool]:
        """Make the last undone change again, as undo does."""
        what, settings = self.history.redo_with(self.settings())
        if settings is not None:
            self.use_settings(settings)
        return what, settings is not None

    def read_text(self, text: str) -> tuple[Stack, Settings, str]:
        """A typed preset, .json file or one-line spec as (stack, the settings it brings, how
        to name the change); a typed spec keeps the input shape but is untitled, without a
        description: it is no longer the preset or file it replaces. StackError when it cannot
        be read."""
        stack, own_shape, what = self.files.read_text(text, self.input_shape)
        shape = stack.input_shape if own_shape else self.input_shape
        return stack, (shape, stack.name, stack.description), what

    def replace(self, layers: Layers, what: str, settings: Settings, first: bool) -> str:
        """Put opened layers in place of the stack, blocks folded when they are many; returns
        why not ('' when replaced).

        first: the stack the builder opens with, which undo does not go back past. A spec typed
        later is an edit, saved nowhere: the stack counts as edited (quitting asks)."""
        refusal = too_big(layers) or too_deep(layers)
        if refusal:
            return f"{what}: {refusal}"
        self.folds = default_folds(layers, row_count(layers))
        if first or what != TYPED_SPEC:
            self.baseline = layers
        if first:
            self.history = EditHistory(layers)
            self.use_settings(settings)
            return ""
        return self.apply(layers, f"open {what}", settings=settings)

    def start_new(self) -> str:
        """An empty stack in its place, untitled, the input shape kept (undo brings it back)."""
        self.folds = set()
        self.baseline = ()
        return self.apply((), "start a new stack", settings=(self.input_shape, "", ""))

    def save(self, path: Path) -> None:
        """Write the stack to path, an untitled one named for the file; OSError when it cannot
        be written."""
        name = self.stack_name or path.stem
        save_stack(Stack(self.layers, self.input_shape, name, self.description), path)
        self.stack_name = name
        self.files.remember_file(path)
        self.baseline = self.layers

    def mark_recovered(self, source: Path | None) -> None:
        """The stack was put back after a signal ended the app: never saved, so edited (quitting
        asks, the subtitle says so); saving goes to its own file, source, when it had one."""
        self.baseline = ()
        self.files.remember_file(source)

    def toggle_fold(self, block: EditPath) -> bool:
        """Fold the block, or unfold it when folded; returns whether it is folded now."""
        folded = block not in self.folds
        if folded:
            self.folds.add(block)
        else:
            self.folds.discard(block)
        return folded
