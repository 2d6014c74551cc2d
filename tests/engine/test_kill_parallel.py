"""Issue 20 defect 4: one hung venue never delays the kill's cancels on the healthy ones."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

from engine.brokers.base import OrderState
from engine.clock import SimClock
from engine.models import ChildOrder, OrderType, Side
from engine.risk.killswitch import cancel_everywhere
from tests.fakes.faulty_broker import FaultyBroker
from tests.fakes.paper_venues import paper_venues


class HungVenue(FaultyBroker):
    """Takes orders, then never answers a cancel or an open-orders request."""

    async def cancel(self, order: ChildOrder) -> None:
        await asyncio.sleep(60)

    async def open_orders(self) -> list[OrderState]:
        await asyncio.sleep(60)
        return []


async def resting(broker, cid: str) -> ChildOrder:
    q = await broker.top_of_book("AAPL")
    child = ChildOrder(
        cid, "P1", broker.name, "AAPL", Side.BUY, Decimal(10), OrderType.LIMIT, q.bid - 1
    )
    ack = await broker.submit(child)
    child.venue_order_id = ack.venue_order_id
    return child


async def test_healthy_venues_are_cleared_while_a_hung_one_is_reported_unknown() -> None:
    venues = paper_venues(SimClock(start=1_700_000_000.0), n=2)
    good, bad = venues["V0"], HungVenue(venues["V1"])
    brokers = {"V0": good, "V1": bad}
    for b in brokers.values():
        await b.connect()
    kids = [await resting(good, "P1-001"), await resting(bad, "P1-002")]
    t0 = time.perf_counter()
    task = asyncio.ensure_future(cancel_everywhere(brokers, kids, deadline_s=1.0))
    while await good.open_orders():  # the healthy venue is clear long before the deadline
        assert time.perf_counter() - t0 < 0.5, "the healthy venue waited for the hung one"
        await asyncio.sleep(0.01)
    cancelled, failed = await task
    assert [c.client_order_id for c in cancelled] == ["P1-001"]
    assert ("P1-002", "unknown: V1 did not answer in 1 s") in failed
    assert any(who == "V1" and "cannot list open orders" in why for who, why in failed)
    assert time.perf_counter() - t0 < 3  # bounded by one deadline per step, not 60 s


async def test_a_venue_with_a_cancel_all_request_gets_one_request_not_one_per_order() -> None:
    from engine.brokers.paper import PaperBroker

    class Counting(PaperBroker):
        def __init__(self, *a, **kw) -> None:
            super().__init__(*a, **kw)
            self.batches = self.singles = 0

        async def cancel_all(self) -> list[str] | None:
            self.batches += 1
            return await super().cancel_all()

        async def cancel(self, order: ChildOrder) -> None:
            self.singles += 1
            await super().cancel(order)

    clock = SimClock(start=1_700_000_000.0)
    v = Counting("V0", clock, cash=Decimal(10**8), seed=1)
    kids = [await resting(v, f"P1-{i:03d}") for i in range(1, 41)]
    cancelled, failed = await cancel_everywhere({"V0": v}, kids)
    assert (v.batches, v.singles, failed) == (1, 0, [])
    assert {c.client_order_id for c in cancelled} == {c.client_order_id for c in kids}
    assert await v.open_orders() == []
