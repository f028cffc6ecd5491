"""Loading torch ahead of need (cnn_tui.core.training.preload)."""

import pytest

pytest.importorskip("torch")

from cnn_tui.core.training import preload


def test_the_stage_says_pytorch_until_it_is_loaded_then_the_data(monkeypatch):
    monkeypatch.setattr(preload, "torch_loaded", lambda: False)
    assert preload.loading_stage("digits", 2.4) == "loading PyTorch (2 s)..."
    monkeypatch.setattr(preload, "torch_loaded", lambda: True)
    assert preload.loading_stage("mnist", 7.6) == "loading mnist and building the model (8 s)..."


def test_preload_imports_torch_once_and_says_when_done():
    preload.preload_torch()
    preload.preload_torch()  # a second call starts nothing
    assert preload._ready.wait(timeout=120)
    assert preload.torch_loaded()
