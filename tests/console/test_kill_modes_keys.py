"""Pause, resume and flatten from the keyboard, the palette and the help screen (pilot tests)."""

from __future__ import annotations

from decimal import Decimal

from console.screens.confirm import ConfirmModal
from engine.models import OrderStatus, Side, Signal, Ticket, TradingState
from tests.console.conftest import (
    START,
    FrozenClock,
    make_console,
    pane_text,
    screen_text,
    settle,
    started,
    table_rows,
    until,
)
from tests.console.test_execution_and_kill import submit_ticket


async def test_f9_pauses_keeping_resting_orders_and_f10_resumes(tmp_path) -> None:
    app = make_console(tmp_path, clock=FrozenClock(start=START))
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        bid = min(q.bid for q in app.state.quotes.values())
        await submit_ticket(app, pilot, qty="300", algo="limit", limit=str(bid - Decimal("0.50")))
        resting = [c for c in app.engine.children.values() if c.status.is_open]
        assert resting

        await pilot.press("f9")
        await until(app, pilot, lambda: app.state.trading_state is TradingState.PAUSED)
        assert app.engine.trading_state is TradingState.PAUSED
        assert "PAUSED: " in pane_text(app, "#status") and "f10 resumes" in pane_text(
            app, "#status"
        )
        assert all(c.status is OrderStatus.SUBMITTED for c in resting)  # still at the venue
        assert app.main.query_one("#submit").disabled

        await pilot.press("f10")
        await until(app, pilot, lambda: app.state.trading_state is TradingState.ACTIVE)
        header = app.main.query_one("#status")
        assert "PAUSED: " not in pane_text(app, "#status") and not header.has_class("-paused")
        assert all(c.status is OrderStatus.SUBMITTED for c in resting)


async def test_f11_shows_positions_and_cost_then_flattens_on_yes(tmp_path) -> None:
    app = make_console(tmp_path)
    async with app.run_test(size=(140, 44)) as pilot:
        await started(app, pilot)
        ticket = Ticket("AAPL", Side.BUY, Decimal("40"), Signal(0.5), algo="market", venue="V0")
        await app.engine.wait(await app.engine.submit(ticket))
        assert app.engine.position_book.net()["AAPL"] == Decimal("40")

        await pilot.press("f11")
        await until(app, pilot, lambda: isinstance(app.screen, ConfirmModal))
        body = screen_text(app)
        assert "Flatten every position?" in body
        assert "SELL 40 AAPL on V0" in body and "Estimated cost" in body
        await pilot.press("n")  # the safe answer changes nothing
        await settle(app, pilot, groups=("flatten", "kill"))
        assert app.engine.trading_state is TradingState.ACTIVE

        await pilot.press("f11")
        await until(app, pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await until(app, pilot, lambda: app.engine.position_book.net()["AAPL"] == 0, frames=2000)
        await until(app, pilot, lambda: app.state.last_sweep is not None, frames=500)
        await settle(app, pilot, groups=("flatten", "kill"))
        assert app.engine.trading_state is TradingState.HALTED
        assert "venues confirm: nothing open" in pane_text(app, "#kill")


async def test_the_modes_are_in_the_palette_and_on_the_help_screen(tmp_path) -> None:
    app = make_console(tmp_path, clock=FrozenClock(start=START))
    async with app.run_test(size=(140, 50)) as pilot:
        await started(app, pilot)
        await pilot.press("f1")
        await pilot.pause()
        text = screen_text(app)
        for title, key in (("Pause trading", "f9"), ("Resume trading", "f10"), ("Flatten", "f11")):
            assert title in text and key in text.lower()
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"pause")
        await until(app, pilot, lambda: "Pause trading" in screen_text(app))
        await pilot.press("enter")
        await until(app, pilot, lambda: app.engine.trading_state is TradingState.PAUSED)


async def test_the_market_board_shows_each_venues_data_age(tmp_path) -> None:
    app = make_console(tmp_path, clock=FrozenClock(start=START))
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        await pilot.press("ctrl+n")
        await until(app, pilot, lambda: len(table_rows(app, "#market")) == 4, frames=2000)
        rows = table_rows(app, "#market")
        assert all(r["data age"].endswith("ms") or r["data age"].endswith(" s") for r in rows), rows
