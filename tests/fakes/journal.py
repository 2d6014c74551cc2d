"""A journal as a SIGKILLed engine leaves it, and a paper venue that outlived the engine."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.brokers.paper import PaperBroker
from engine.clock import SimClock
from engine.config import Settings
from engine.models import ChildOrder, OrderStatus, OrderType, ParentOrder, Side, Ticket, TimeInForce
from engine.store import Store

META = {"twap_slice": 1, "twap_total_slices": 5, "twap_interval_seconds": 60.0}


@pytest.fixture
def venue(clock: SimClock) -> PaperBroker:
    return PaperBroker("V0", clock, cash=Decimal(10_000_000), seed=3)


def settings(**recovery: object) -> Settings:
    return Settings().model_copy(
        update={"recovery": Settings().recovery.model_copy(update=recovery)}
    )


async def crashed_journal(db, clock, venue, *, created_ago: float = 10.0) -> dict[str, ChildOrder]:
    """What SIGKILL leaves: a live TWAP parent; -001 filled at the venue but neither its ack nor
    its fill was written; -002 resting at the venue; -003 a denial whose row was lost; -004
    journalled but never sent."""
    store = Store(db)
    await store.open()
    q = await venue.top_of_book("AAPL")
    parent = ParentOrder(
        "PX1", Ticket("AAPL", Side.BUY, Decimal(100), algo="twap"), "twap", q.mid,
        clock.now() - created_ago,
    )  # fmt: skip
    await store.journal_parent(parent)

    def child(n: int, qty: int, price: Decimal, tif: TimeInForce) -> ChildOrder:
        return ChildOrder(
            f"PX1-{n:03d}", "PX1", "V0", "AAPL", Side.BUY, Decimal(qty), OrderType.LIMIT,
            price, tif, created_ts=clock.now() - created_ago, meta=dict(META),
        )  # fmt: skip

    c1 = child(1, 20, q.ask + Decimal("0.50"), TimeInForce.IOC)
    c2 = child(2, 20, q.bid - Decimal("2.00"), TimeInForce.GTC)
    c4 = child(4, 20, q.ask, TimeInForce.IOC)
    for c in (c1, c2, c4):
        await store.journal_child(c)
    assert (await venue.submit(c1)).status is OrderStatus.FILLED
    ack = await venue.submit(c2)
    c2.status, c2.venue_order_id = OrderStatus.SUBMITTED, ack.venue_order_id
    store.update_child(c2)
    await store.close()
    return {"c1": c1, "c2": c2, "c4": c4}
