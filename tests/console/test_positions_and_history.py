"""Issue 14 items 8, 9 and 11: a restarted console starts from its history; positions are shown;
a resize while the store is read never fails."""

from __future__ import annotations

import re
from decimal import Decimal

from engine.models import Side, Ticket
from tests.console.conftest import (
    make_console,
    pane_text,
    settle,
    started,
    table_rows,
    trade_session,
    until,
)


def _positions(app) -> list[dict[str, str]]:
    return table_rows(app, "#positions")


async def test_the_positions_pane_shows_quantity_cost_and_the_gate_figure(tmp_path) -> None:
    app = make_console(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        pid = await app.engine.submit(Ticket("AAPL", Side.BUY, Decimal(900), algo="market"))
        await until(app, pilot, lambda: not app.engine.working_parents(), frames=3000)
        parent = app.engine.parents[pid]
        app.action_show_tab("positions")
        app.fetch_tables(now=True)
        await settle(app, pilot)
        rows = {(r["symbol"], r["venue"]): r for r in _positions(app)}
        filled = {v: Decimal(0) for v in app.engine.brokers}
        for c in parent.children:
            child = app.engine.children[c]
            filled[child.venue] += child.filled_qty
        for venue, qty in filled.items():
            if qty:
                assert rows[("AAPL", venue)]["qty"] == f"{qty:,}"
        net = rows[("AAPL net", "all")]
        assert net["qty"] == f"{parent.filled_qty:,}"
        assert net["gate exposure"] == f"{app.engine.exposure('AAPL'):,}"
        if (
            len([q for q in filled.values() if q]) == 1
        ):  # one venue: its cost is the parent's average
            row = next(r for (s, _), r in rows.items() if s == "AAPL")
            assert row["avg cost"] == f"{parent.avg_price:,.4f}"
        assert "Positions" in pane_text(app, "#tabs")


async def test_a_restart_starts_from_the_history_charts_alerts_parents_and_positions(
    tmp_path,
) -> None:
    net = await trade_session(
        tmp_path,
        Ticket("AAPL", Side.BUY, Decimal(800), algo="twap"),
        Ticket("AAPL", Side.SELL, Decimal(300), algo="market"),
    )
    app = make_console(tmp_path)  # a new process would see exactly this file
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        app.fetch_tables(now=True)
        await settle(app, pilot)
        assert app.engine.positions == net  # the risk gate counts what was traded before
        assert "no data yet" not in pane_text(app, "#slippage-chart")
        latency = pane_text(app, "#latency-chart")
        assert "no data yet" not in latency
        assert not re.search(r"-\d", latency), latency  # no negative latency on its axis
        alerts = table_rows(app, "#alerts")
        assert any("test alert" in " ".join(r.values()) for r in alerts), alerts
        progress = table_rows(app, "#progress")
        assert [r["slice"] for r in progress if r["parent / leg"].startswith("P")] == [
            "filled",
            "filled",
        ]
        scores = table_rows(app, "#scores")
        assert any(r["source"] == "own" and int(r["n"]) > 0 for r in scores), scores
        app.action_show_tab("positions")
        await settle(app, pilot)
        net_row = next(r for r in _positions(app) if r["symbol"] == "AAPL net")
        assert net_row["qty"] == f"{net['AAPL']:,}"


async def test_resizing_while_the_history_is_read_raises_nothing(tmp_path) -> None:
    await trade_session(tmp_path, Ticket("AAPL", Side.BUY, Decimal(500), algo="twap"))
    app = make_console(tmp_path)
    async with app.run_test(size=(200, 50)) as pilot:
        await started(app, pilot)
        for size in [(100, 30), (200, 50), (100, 30), (80, 24), (200, 50)] * 2:
            await pilot.resize_terminal(*size)
            app.fetch_tables(now=True)  # the store read races the re-layout, as the 1 s timer does
            await pilot.pause()
        await settle(app, pilot)
        errors = [m for _, level, m in app.state.logs if level == "error"]
        assert not errors, errors
        assert table_rows(app, "#blotter-table")[0]["kind"] in ("order", "fill")
