"""Item 12 of issue 14 on screen: Market tab key and palette entry, market label, placeholders, fr sizing."""

from __future__ import annotations

from textual.widgets import Footer, TabbedContent

from console.app import TrancheApp
from console.bindings import by_id
from tests.console.conftest import (
    fill_ticket,
    make_console,
    open_dialog,
    pane_text,
    screen_text,
    settle,
    started,
)


async def test_the_market_tab_has_a_key(console_app: TrancheApp) -> None:
    app = console_app
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        await pilot.click("#quantity")  # the key works from inside a field too
        await pilot.press(by_id("tranche.market").key)
        await pilot.pause()
        assert app.main.query_one("#tabs", TabbedContent).active == "tab-market"


async def test_the_market_tab_is_in_the_palette(console_app: TrancheApp) -> None:
    app = console_app
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"Market")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.main.query_one("#tabs", TabbedContent).active == "tab-market"


async def test_the_market_algo_confirms_as_market_not_the_default_limit(
    console_app: TrancheApp,
) -> None:
    app = console_app
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        await fill_ticket(app, pilot, qty="100", algo="market")
        await open_dialog(app, pilot)
        text = screen_text(app)
        assert "order MARKET (chosen)" in text and "LIMIT" not in text


async def test_no_parent_orders_yet_is_shown_whole_at_200x50(console_app: TrancheApp) -> None:
    app = console_app
    async with app.run_test(size=(200, 50)) as pilot:
        await started(app, pilot)
        assert "no parent orders yet" in pane_text(app, "#progress")
        assert "no alerts yet" in pane_text(app, "#alerts")


async def _heights(tmp_path, size: tuple[int, int]) -> tuple[int, int, int, int]:
    tmp_path.mkdir()
    app = make_console(tmp_path)
    async with app.run_test(size=size) as pilot:
        await started(app, pilot)
        chart = app.main.query_one("#slippage-chart").region.height
        await pilot.press(by_id("tranche.blotter").key)
        await settle(app, pilot)
        blotter = app.main.query_one("#blotter").region.height
        tabs = app.main.query_one("#tabs").region
        footer = app.main.query_one(Footer).region
        return chart, blotter, tabs.bottom, footer.y


async def test_a_bigger_terminal_grows_the_charts_and_the_blotter(tmp_path) -> None:
    small = await _heights(tmp_path / "small", (120, 40))
    big = await _heights(tmp_path / "big", (200, 60))
    assert big[0] > small[0] + 5 and big[1] > small[1] + 5
    assert big[2] == big[3]  # the bottom tabs reach the footer: no empty band
