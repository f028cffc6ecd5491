"""Batch norm's running statistics in the summary totals: exact lines, torchvision's buffers."""

from __future__ import annotations

import pytest
from cli_helpers import run_json

from cnn_tui.cli import main
from cnn_tui.core.stacks.tally import tally
from cnn_tui.core.stacks.zoo import resolve_stack
from cnn_tui.core.views.report import summary_totals


def _torchvision_buffers(name: str) -> int:
    """Running means and variances; num_batches_tracked (one step counter per batch norm, which
    Keras does not have) is left out, as the tally leaves it out."""
    torchvision = pytest.importorskip("torchvision")
    model = getattr(torchvision.models, name)(weights=None)
    return sum(
        buffer.numel()
        for name, buffer in model.named_buffers()
        if not name.endswith("num_batches_tracked")
    )


def _summary_text(capsys, model: str) -> list[str]:
    assert main(["summary", model]) == 0
    return [line.rstrip() for line in capsys.readouterr().out.splitlines()]


def test_resnet18_summary_shows_its_buffers_under_the_parameters(capsys):
    lines = _summary_text(capsys, "resnet18")
    at = lines.index("buffers      9,600 (9.6 K) batch norm's running means and variances")
    assert lines[at - 1].startswith("parameters   11,689,512 (11.7 M)")
    assert lines[at + 1 : at + 3] == [
        "             (not trained, not counted in parameters; Keras counts them as",
        "             non-trainable parameters: it totals these layers at 11,699,112)",
    ]
    assert lines[at + 3].startswith("activations  ")
    assert run_json(capsys, "summary", "resnet18")["totals"]["buffers"] == 9_600


def test_resnet18_buffers_equal_torchvision_without_the_step_counters():
    assert tally(resolve_stack("resnet18")).totals.buffers == _torchvision_buffers("resnet18")


def test_vgg16_bn_totals_name_its_buffers():
    lines = summary_totals(tally(resolve_stack("vgg16_bn")))
    assert lines[:4] == [
        ("parameters", "138,365,992 (138.4 M) = 138,348,352 weights + 17,640 biases"),
        ("buffers", "8,448 (8.4 K) batch norm's running means and variances"),
        ("", "(not trained, not counted in parameters; Keras counts them as"),
        ("", "non-trainable parameters: it totals these layers at 138,374,440)"),
    ]


@pytest.mark.slow
def test_vgg16_bn_buffers_equal_torchvision_without_the_step_counters():
    assert tally(resolve_stack("vgg16_bn")).totals.buffers == _torchvision_buffers("vgg16_bn")


@pytest.mark.parametrize("model", ["seed-mnist", "vgg16"])
def test_a_stack_without_batch_norm_shows_no_buffers_line(capsys, model):
    lines = _summary_text(capsys, model)
    assert not any(line.startswith("buffers") for line in lines)
    assert "buffers" not in [label for label, _ in summary_totals(tally(resolve_stack(model)))]


async def test_the_calculators_summary_shows_the_buffers_lines():
    from textual.widgets import Input

    from cnn_tui.app.app import CnnTuiApp
    from cnn_tui.app.widgets.common.result_panel import CalcResult

    async with CnnTuiApp(mode="calculators").run_test(size=(120, 40)) as pilot:
        screen = pilot.app.screen
        screen.query_one("#calc-tabs").active = "tab-summary"
        await pilot.pause()
        screen.query_one("#summary-model", Input).value = "resnet18"
        await pilot.pause()
        text = screen.query_one("#summary-totals", CalcResult).text.splitlines()
        at = text.index("buffers      9,600 (9.6 K) batch norm's running means and variances")
        assert text[at + 2].endswith("it totals these layers at 11,699,112)")
