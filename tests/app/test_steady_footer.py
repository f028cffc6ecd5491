"""SteadyFooter: the Train screen's footer keeps its keys while the bindings change without
changing what it shows, and builds them again (to the same keys a Footer shows) when they do."""

from __future__ import annotations

from textual.widgets import Footer, Input, Select

from cnn_tui.app.app import CnnTuiApp
from cnn_tui.app.widgets.common.steady_footer import SteadyFooter


def keys_of(footer: Footer) -> list[tuple[int, str]]:
    return [(id(key), str(key.render())) for key in footer.query("FooterKey")]


async def test_the_footer_is_built_again_only_when_its_keys_change():
    app = CnnTuiApp(mode="train")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(SteadyFooter)
        before = keys_of(footer)
        first, second = app.screen.query(Select)[:2]
        first.focus()
        await pilot.pause()
        opening = keys_of(footer)
        assert opening != before and any("Open" in text for _, text in opening)
        app.screen.refresh_bindings()  # nothing shown changes: the same keys stay
        second.focus()  # another select: the same keys
        await pilot.pause()
        assert keys_of(footer) == opening
        app.screen.query(Input).first().focus()
        await pilot.pause()
        typing = [text for _, text in keys_of(footer)]
        assert any("Start" in text for text in typing) and not any("Open" in t for t in typing)
