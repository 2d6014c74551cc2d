"""After the kill, every parent and child row says halted/cancelled within the HALTED line's 100 ms."""

from __future__ import annotations

from decimal import Decimal

from engine.models import OrderStatus, Side, Ticket, TradingState
from tests.console.conftest import START, FrozenClock, make_console, pane_text, started, until

OPEN = {s.value for s in OrderStatus if not s.is_terminal}


async def test_kill_closes_every_working_parent_on_screen_and_in_the_store(tmp_path) -> None:
    app = make_console(
        tmp_path, clock=FrozenClock(start=START)
    )  # slices never come due by themselves
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        pids = [  # one crosses each slice, one rests it at the touch
            await app.engine.submit(Ticket("AAPL", Side.BUY, Decimal(1000), algo=algo))
            for algo in ("twap", "passive-twap")
        ]
        await until(
            app,
            pilot,
            lambda: all(p in app.state.parents and app.state.parents[p].legs for p in pids),
        )
        assert pane_text(app, "#progress").count("working") == 2

        await pilot.press("ctrl+backslash")
        await pilot.pause(0.1)  # the HALTED line's budget; no manual repaint

        assert app.engine.trading_state is TradingState.HALTED
        text = pane_text(app, "#progress")
        assert "working" not in text and text.count("cancelled") == 2, text
        assert all(app.state.parents[p].reason == "halted by kill switch" for p in pids)
        parents = {r["parent_id"]: r for r in await app.engine.store.inner.parents()}
        assert all(parents[p]["status"] == "cancelled" for p in pids), parents
        assert all(parents[p]["reason"] == "halted by kill switch" for p in pids), parents
        kids = await app.engine.store.inner.children()
        assert kids and all(k["status"] not in OPEN for k in kids), kids
        assert app.engine.working_parents() == []

        await pilot.press("ctrl+q")  # nothing is working: leaving asks nothing
        await pilot.pause()
        assert not app.is_running


async def test_halted_is_said_on_the_header_line_so_nothing_on_screen_moves(tmp_path) -> None:
    """A banner shown only on a kill re-laid out the whole screen at that moment (HALTED reached
    the screen 150-250 ms after the key) and moved every pane under the trader's eyes."""
    app = make_console(tmp_path, clock=FrozenClock(start=START))
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        await pilot.pause()
        header = app.main.query_one("#status")
        panes = ("#ticket", "#progress", "#legs")
        before = {sel: app.main.query_one(sel).region for sel in panes}
        await pilot.press("ctrl+backslash")
        await until(app, pilot, lambda: header.has_class("-halted"))
        text = pane_text(app, "#status")
        assert "HALTED: kill switch - only cancels are sent. ctrl+r to reset" in text
        assert header.region.height == 1
        assert {sel: app.main.query_one(sel).region for sel in panes} == before
