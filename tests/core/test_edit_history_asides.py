"""EditHistory's asides: what an edit replaced beside the layers comes back with undo and redo."""

from __future__ import annotations

from cnn_tui.core.stacks.spec_parser import parse_layers
from cnn_tui.core.stacks.stack_edit import EditHistory, delete_layer


def test_an_aside_comes_back_with_undo_and_goes_again_with_redo():
    first = parse_layers("conv(8,3) relu")
    opened = parse_layers("conv(4,5) relu maxpool(2)")
    history: EditHistory[str] = EditHistory(first)
    history.apply(opened, "open preset", aside="mnist shape")  # what opening replaced
    history.apply(delete_layer(opened, (1,)), "delete layer 2")  # replaced nothing else
    assert history.undo_with("cifar shape") == ("delete layer 2", None)
    assert history.undo_with("cifar shape") == ("open preset", "mnist shape")
    assert history.current == first
    assert history.undo_with("mnist shape") == ("", None)
    assert history.redo_with("mnist shape") == ("open preset", "cifar shape")
    assert history.redo_with("cifar shape") == ("delete layer 2", None)
    assert history.redo_with("cifar shape") == ("", None)


def test_asides_are_trimmed_with_their_steps():
    history: EditHistory[int] = EditHistory((), limit=2)
    for count in range(1, 5):
        history.apply(parse_layers("relu " * count), f"edit {count}", aside=count)
    assert [aside for _, _, aside in history.done] == [3, 4]
    assert history.undo_with(0) == ("edit 4", 4)
