"""`tranche route --quotes` and the engine split an order the same way: one rule, not two."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import pytest

from console.cli import main
from engine.api import Plan
from engine.clock import SimClock
from engine.config import Settings
from engine.factory import build_engine
from engine.models import Side, Ticket
from tests.fakes.static_venue import StaticVenue

TIGHT = {
    "A": ("99.99", "100.01", "300"),
    "B": ("99.98", "100.03", "500"),
    "C": ("99.95", "100.06", "900"),
}
# the best bid and the best ask on different venues: the arrival mid (100.15) is not the lowest
# venue mid (100.10), so 49.94 is above the 5,000 split notional for one rule and not the other
APART = {"A": ("99.90", "100.30", "40"), "B": ("100.00", "100.40", "40")}
# crossed across venues (C bids above A's ask, normal between crypto exchanges): routed, not refused
CROSSED = {
    "A": ("99.97", "100.01", "500"),
    "B": ("99.98", "100.03", "500"),
    "C": ("100.05", "100.09", "500"),
}
CASES = [(TIGHT, q) for q in ("10", "400", "999", "1001", "1500")] + [
    (APART, "49.94"),
    (APART, "60"),
    (CROSSED, "40"),
    (CROSSED, "300"),
]


@pytest.mark.parametrize(("books", "qty"), CASES)
def test_route_cli_legs_are_the_engines_legs(books, qty, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("TRANCHE_CONFIG", raising=False)
    quotes = tmp_path / "quotes.json"
    quotes.write_text(
        json.dumps(
            {
                v: {"bid": b, "ask": a, "bid_size": d, "ask_size": d}
                for v, (b, a, d) in books.items()
            }
        )
    )
    argv = ["route", "--symbol", "AAPL", "--side", "buy", "--qty", qty, "--quotes", str(quotes)]
    assert main([*argv, "--step", "0.01", "--db", str(tmp_path / "none.db"), "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)

    plan = asyncio.run(engine_plan(books, Decimal(qty)))

    assert [(leg["venue"], Decimal(leg["quantity"])) for leg in cli["legs"]] == [
        (leg.venue, leg.quantity) for leg in plan.legs
    ]
    assert cli["split"] == (len(plan.legs) > 1 or bool(plan.dropped))


async def engine_plan(books: dict[str, tuple[str, str, str]], qty: Decimal) -> Plan:
    clock = SimClock(start=1_700_000_000.0)
    venues = {
        v: StaticVenue(v, clock, bid=b, ask=a, depth=d, step="0.01")
        for v, (b, a, d) in books.items()
    }
    eng = build_engine(Settings(), clock=clock, brokers=dict(venues), store=False)
    await eng.start()
    try:
        return await eng.plan(Ticket("AAPL", Side.BUY, qty))
    finally:
        await eng.stop()
