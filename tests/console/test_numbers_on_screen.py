"""Issue 14 item 7: after a full execution on every algorithm, no pane shows a raw number.

Walks every tab's rendered characters and every DataTable cell (scrolled out of view or not):
no `None`, no exponent, no `-0.00`, no more decimals than the paper venues' tick (0.01) plus
two for averages, and money with thousands separators.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from textual.widgets import DataTable

from engine.models import Side, Ticket
from engine.routing.plan import ALGOS
from tests.console.conftest import make_console, screen_text, settle, started, until

TABS = ("quality", "positions", "market", "blotter", "book", "log")
MAX_PLACES = 4  # tick 0.01 plus two places for an average price
RAW = re.compile(r"\bNone\b|\bnan\b|\b\d+(?:\.\d+)?[eE][+-]?\d+\b|-0\.0+\b|\d\.\d{5,}")
BIG_PLAIN = re.compile(r"(?<![\d,.])\d{5,}\.\d\d\b")  # money over 9,999 without separators


def cells(app) -> list[str]:
    out: list[str] = []
    for table in app.main.query(DataTable):
        for i in range(table.row_count):
            out += [str(v) for v in table.get_row_at(i)]
    return out


def offences(text: str) -> list[str]:
    found = [m.group(0) for m in RAW.finditer(text)]
    found += [m.group(0) for m in BIG_PLAIN.finditer(text)]
    return found


def ticket(algo: str, bid: Decimal, ask: Decimal) -> Ticket:
    if algo == "limit":  # a crossing limit fills at once
        return Ticket("AAPL", Side.BUY, Decimal(700), algo=algo, limit_price=ask + Decimal("0.05"))
    return Ticket("AAPL", Side.BUY, Decimal(700), algo=algo)


@pytest.mark.parametrize("algo", ALGOS)
async def test_every_pane_after_each_algorithm_shows_numbers_at_tick_and_lot(
    tmp_path, algo
) -> None:
    app = make_console(tmp_path)
    async with app.run_test(size=(200, 60)) as pilot:
        await started(app, pilot)
        q = await app.engine.market.quote("V0", "AAPL")
        pid = await app.engine.submit(ticket(algo, q.bid, q.ask))
        await until(
            app,
            pilot,
            lambda: app.state.parents.get(pid) is not None and not app.state.parents[pid].working,
            frames=3000,
        )
        app.fetch_tables(now=True)
        await settle(app, pilot)
        bad: dict[str, list[str]] = {}
        for tab in TABS:
            app.action_show_tab(tab)
            await settle(app, pilot)
            text = screen_text(app)
            if found := [line.strip() for line in text.splitlines() if offences(line)]:
                bad[tab] = found
        if found := [c for c in cells(app) if offences(c)]:  # beyond the visible rows too
            bad["cells"] = found
        assert not bad, f"{algo}: raw numbers on screen: {bad}"
        if algo == "pov":  # paper venues publish no trade feed: POV sends nothing and says why
            assert app.engine.parents[pid].filled_qty == 0
            assert "no trade feed" in app.engine.legs[pid][0].reason
            return
        assert app.engine.parents[pid].filled_qty > 0, "nothing executed: the walk proves little"
