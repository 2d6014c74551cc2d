"""A kill while a submit is still in flight (issue 20, defect 2): the order must never rest.

The venue's answer to the order hangs past the client's timeout; the kill lands while the
engine is retrying. Before the fix the child was marked cancelled on "unknown order", the retry
then placed the order and it rested while the journal said cancelled.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from engine.events import KillReport
from engine.models import OrderStatus, Side, Ticket
from tests.fakes.sim_server import admin, venue_orders
from tests.fakes.sim_server import engine as engine  # noqa: F401  fixtures
from tests.fakes.sim_server import venue as venue  # noqa: F401

OPEN = ("NEW", "PARTIALLY_FILLED")


async def resting_ticket(engine, v: str) -> Ticket:
    q = await engine.market.quote(v, "BTCUSDT")
    far = (q.bid * Decimal("0.99")).quantize(Decimal("0.01"))  # rests: never crosses
    return Ticket("BTCUSDT", Side.BUY, Decimal("0.01"), algo="limit", limit_price=far, venue=v)


@pytest.mark.parametrize("delay", [0.15, 0.3, 0.45, 0.6, 0.9])
async def test_a_kill_during_a_hanging_submit_leaves_no_order_resting(engine, venue, delay):
    await admin(venue, "/_sim/fault", {"path": "/api/v3/order", "method": "POST", "kind": "hang"})
    pid = await engine.submit(await resting_ticket(engine, "SIM-A"))
    await asyncio.sleep(delay)
    await engine.kill()
    await asyncio.sleep(2.5)  # the retry, had it gone on, lands within this
    orders = await venue_orders(venue, pid)
    assert [o["clientOrderId"] for o in orders if o["status"] in OPEN] == []
    await engine.store.flush()
    rows = dict(
        await engine.store.query(
            "SELECT client_order_id, status FROM children WHERE parent_id = ?", (pid,)
        )
    )
    for o in orders:  # every order the venue holds is a journal row that says how it ended
        assert rows[o["clientOrderId"]] in ("cancelled", "filled"), (o, rows)
    for c in engine.children.values():
        assert c.status is not OrderStatus.PENDING


async def test_what_the_kill_could_not_confirm_is_retried_until_the_venue_answers(engine, venue):
    pids = []
    for v in ("SIM-A", "SIM-B"):
        pids.append(await engine.submit(await resting_ticket(engine, v)))
    while len(engine.children) < 2 or any(
        c.status is OrderStatus.PENDING for c in engine.children.values()
    ):
        await asyncio.sleep(0.02)
    events = engine.bus.subscribe()
    reports: list[KillReport] = []
    await admin(venue, "/_sim/fault", {"down": ["SIM-B"]})
    first = await engine.kill()
    assert first.cancelled == 1 and any(w.startswith(pids[1]) for w, _ in first.failed)
    assert [o["status"] for o in await venue_orders(venue, pids[1])] == ["NEW"]
    await admin(venue, "/_sim/fault", {"down": []})  # the venue answers again
    for _ in range(100):
        while not events.empty():
            e = events.get_nowait()
            if isinstance(e, KillReport):
                reports.append(e)
        if reports and reports[-1].followup and not reports[-1].failed:
            break
        await asyncio.sleep(0.1)
    last = reports[-1]
    assert last.followup >= 1 and last.failed == () and last.cancelled == 1
    assert [o["status"] for o in await venue_orders(venue, pids[1])] == ["CANCELED"]
    b = next(c for c in engine.children.values() if c.parent_id == pids[1])
    assert b.status is OrderStatus.CANCELLED
