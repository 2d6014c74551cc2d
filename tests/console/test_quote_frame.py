"""A quote reaches the market pane within one quote frame (console.quote_refresh_hz), however slow
the other panes' frame is: ingest-to-paint latency no longer waits for the pane timer (issue 15)."""

from __future__ import annotations

import time
from decimal import Decimal

from engine.config import Settings
from engine.events import QuoteUpdated
from engine.models import Quote
from tests.console.conftest import make_console, started, table_rows


async def test_a_quote_is_painted_within_one_quote_frame_not_the_pane_frame(tmp_path) -> None:
    settings = Settings.model_validate({"console": {"refresh_hz": 0.2, "quote_refresh_hz": 40}})
    app = make_console(tmp_path, settings=settings)  # panes every 5 s, quotes every 25 ms
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        app.action_show_tab("market")
        await pilot.pause()
        clock = app.engine.clock
        bid = Decimal("123.4500")
        quote = Quote(
            "SIM-A", "AAPL", bid, bid + Decimal("0.02"), Decimal(7), Decimal(9), clock.now()
        )
        t0 = time.perf_counter()
        app.engine.publish(QuoteUpdated(clock.now(), quote))
        while time.perf_counter() - t0 < 2.0:  # well inside the 5 s pane frame
            rows = {r["venue"]: r for r in table_rows(app, "#market")}
            if rows.get("SIM-A", {}).get("bid") == "123.4500":
                break
            await pilot.pause(0.01)
        assert rows.get("SIM-A", {}).get("bid") == "123.4500", rows
        assert time.perf_counter() - t0 < 2.0
