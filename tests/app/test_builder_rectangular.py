"""The builder's layer form takes a rectangular kernel (1x7), stride and padding, and shows
them back as typed when the layer is edited."""

from __future__ import annotations

import pytest
from test_builder import SIZE, add_layer, builder, screen_of, shown, spec
from textual.widgets import Input

from cnn_tui.app.widgets.builder.layer_form import LayerForm, preview, read_layer, value_text
from cnn_tui.core.stacks.spec_parser import parse_layers
from cnn_tui.core.views.fields import FieldError


def test_read_layer_takes_pairs_and_names_a_bad_one():
    layer = read_layer(
        "conv", {"out_channels": "8", "kernel": "1x7", "stride": "2x1", "padding": "0x3"}
    )
    assert layer.label() == "conv(8,1x7,s=2x1,p=0x3)"
    assert read_layer("maxpool", {"kernel": "3x1", "stride": ""}).label() == "maxpool(3x1)"
    assert read_layer("conv", {"out_channels": "8", "kernel": "3x3"}).label() == "conv(8,3)"
    with pytest.raises(FieldError, match=r"^kernel: expected a whole number, got '1x'$"):
        read_layer("conv", {"out_channels": "8", "kernel": "1x"})
    with pytest.raises(
        FieldError, match=r"^stride: expected a whole number or a pair like 1x7, got '1x2x3'$"
    ):
        read_layer("conv", {"out_channels": "8", "kernel": "3", "stride": "1x2x3"})
    assert value_text((1, 7)) == "1x7"
    # rows (28 + 0 - 1)//2 + 1 = 14, columns 28 + 6 - 7 + 1 = 28; 8*14*28 outputs x 3*1*7 MACs
    assert preview(layer, (3, 28, 28)) == (
        "3x28x28 -> 8x14x28, 176 parameters (176), 65.9 K MACs",
        True,
    )


async def test_the_form_adds_a_1x7_conv_and_shows_it_back_when_edited():
    async with builder().run_test(size=SIZE) as pilot:
        await pilot.pause()  # the screen's own mount runs after the app's
        await add_layer(pilot, "conv", "8", "1x7")
        assert spec(pilot) == "conv(8,1x7)"
        assert shown(pilot, "1")["output"] == "8x28x22"  # 28 - 7 + 1 columns
        assert shown(pilot, "1")["weights"] == "56"
        screen = screen_of(pilot)
        assert screen.layers == parse_layers("conv(8,1x7)")
        await pilot.press("e")
        await pilot.pause()
        form = pilot.app.screen
        assert isinstance(form, LayerForm)
        assert form.query_one("#layer-field-kernel", Input).value == "1x7"
        form.query_one("#layer-field-stride", Input).value = "1x2"
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert spec(pilot) == "conv(8,1x7,s=1x2)"
        assert shown(pilot, "1")["output"] == "8x28x11"
