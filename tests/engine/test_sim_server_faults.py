"""Venue faults through the whole engine: the ccxt adapter against the simulated REST venue.

Faults are injected in the venue (429, 503, replies lost after the order was placed, partial
JSON, a venue that stays down); the engine must never double an order, lose a fill, or stop
cancelling elsewhere.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from engine.algos.base import LegStatus
from engine.models import Side, Ticket
from tests.fakes.sim_server import VENUES, admin, assert_exact, venue_orders
from tests.fakes.sim_server import engine as engine  # noqa: F401  fixtures
from tests.fakes.sim_server import venue as venue  # noqa: F401


async def test_429_503_and_a_lost_reply_on_order_entry_never_double_an_order(engine, venue):
    for fault in (
        {"kind": "status", "status": 429},
        {"kind": "status", "status": 503},
        {"kind": "hang", "after": True},  # the venue placed it; the answer never came
    ):
        await admin(venue, "/_sim/fault", {"path": "/api/v3/order", "method": "POST", **fault})
    pid = await engine.submit(
        Ticket("BTCUSDT", Side.BUY, Decimal("0.03"), algo="twap", venue="SIM-A")
    )
    report = await asyncio.wait_for(engine.wait(pid), 20)
    assert report.filled_qty == Decimal("0.03")
    await assert_exact(engine, venue, pid)
    assert (await admin(venue, "/_sim/state"))["venues"]["SIM-A"]["duplicate_client_ids"] == 0


async def test_a_partial_json_reply_to_an_order_is_reconciled_from_the_venue(engine, venue):
    await admin(
        venue, "/_sim/fault", {"path": "/api/v3/order", "method": "POST", "kind": "partial"}
    )
    pid = await engine.submit(
        Ticket("BTCUSDT", Side.SELL, Decimal("0.02"), algo="market", venue="SIM-B")
    )
    report = await asyncio.wait_for(engine.wait(pid), 20)
    assert report.filled_qty == Decimal("0.02")
    await assert_exact(engine, venue, pid)


async def test_a_leg_whose_venue_stays_down_moves_to_the_other_venue(engine, venue):
    pid = await engine.submit(Ticket("BTCUSDT", Side.BUY, Decimal("0.03"), algo="twap", venue=None))
    first = engine.legs[pid][0].venue
    while engine.parents[pid].filled_qty == 0:
        await asyncio.sleep(0.02)
    await admin(venue, "/_sim/fault", {"down": [first]})
    report = await asyncio.wait_for(engine.wait(pid), 20)
    assert report.filled_qty == Decimal("0.03")
    moved = engine.legs[pid]
    assert moved[0].status is LegStatus.REROUTED and moved[0].rerouted_to == moved[1].venue
    assert moved[1].venue != first
    await admin(venue, "/_sim/fault", {"down": []})
    await assert_exact(engine, venue, pid)


async def test_the_kill_switch_cancels_elsewhere_and_names_the_venue_it_cannot_reach(engine, venue):
    pids = []
    for v in VENUES:
        q = await engine.market.quote(v, "BTCUSDT")
        far = (q.bid * Decimal("0.995")).quantize(Decimal("0.01"))
        pids.append(
            await engine.submit(
                Ticket("BTCUSDT", Side.BUY, Decimal("0.01"), algo="limit", limit_price=far, venue=v)
            )
        )
    while len(engine.children) < 2:
        await asyncio.sleep(0.02)
    await admin(venue, "/_sim/fault", {"down": ["SIM-B"]})
    report = await engine.kill()
    assert report.cancelled == 1
    assert any(who == "SIM-B" for who, _ in report.failed)
    assert any(who.startswith(pids[1]) for who, _ in report.failed)
    a = await venue_orders(venue, pids[0])
    assert [o["status"] for o in a] == ["CANCELED"]
    await admin(venue, "/_sim/fault", {"down": []})


async def test_a_lagging_trade_history_never_makes_the_engine_send_more_than_asked(engine, venue):
    # issue 20 defect 1: the venue filled the order, its myTrades does not show it for a while
    await admin(
        venue,
        "/_sim/fault",
        {"path": "/api/v3/myTrades", "venue": "SIM-A", "kind": "body", "body": "[]", "times": 40},
    )
    pid = await engine.submit(
        Ticket("BTCUSDT", Side.BUY, Decimal("0.03"), algo="twap", venue="SIM-A")
    )
    report = await asyncio.wait_for(engine.wait(pid), 40)
    orders = await venue_orders(venue, pid)
    assert sum(Decimal(o["executedQty"]) for o in orders) == Decimal("0.03")  # never more
    assert report.filled_qty == Decimal("0.03")
    await assert_exact(engine, venue, pid)


async def test_cut_off_trade_history_replies_never_over_execute(engine, venue):
    await admin(venue, "/_sim/fault", {"path": "/api/v3/myTrades", "kind": "partial", "times": 12})
    pid = await engine.submit(
        Ticket("BTCUSDT", Side.SELL, Decimal("0.03"), algo="twap", venue="SIM-B")
    )
    report = await asyncio.wait_for(engine.wait(pid), 40)
    orders = await venue_orders(venue, pid)
    assert sum(Decimal(o["executedQty"]) for o in orders) == report.filled_qty == Decimal("0.03")
    await assert_exact(engine, venue, pid)
