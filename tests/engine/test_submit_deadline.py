"""A venue that never answers an order: the engine asks what became of it, never resends, never hangs."""

from __future__ import annotations

from decimal import Decimal

from engine.config import Settings
from engine.events import LogMessage
from engine.models import OrderStatus, Side, Ticket
from tests.fakes.faulty_broker import FaultyBroker
from tests.fakes.paper_venues import paper_venues

FAST = Settings().model_copy(
    update={"broker": Settings().broker.model_copy(update={"submit_timeout_s": 0.2})}
)


def market_buy(qty: str = "100") -> Ticket:
    return Ticket("AAPL", Side.BUY, Decimal(qty), algo="market", venue="V0")


async def test_an_order_that_never_reached_the_venue_is_closed_and_the_parent_ends(
    make_engine, clock
):
    silent = FaultyBroker(paper_venues(clock, 1)["V0"], silent="lost")
    eng = await make_engine({"V0": silent}, settings=FAST)
    events = eng.subscribe()
    rep = await eng.wait(await eng.submit(market_buy()))
    child = eng.children[eng.parents[rep.parent_id].children[0]]
    assert child.status is OrderStatus.CANCELLED and "no answer from V0" in child.reason
    assert rep.filled_qty == 0
    assert len(set(silent.sent)) == len(silent.sent)  # each child asked about, none sent twice
    assert all(eng.children[c].status is OrderStatus.CANCELLED for c in silent.sent)
    assert await silent.inner.open_orders() == []
    logs = [
        e.message
        for e in (events.get_nowait() for _ in range(events.qsize()))
        if isinstance(e, LogMessage)
    ]
    assert any("no answer from V0 within 0.2 s" in m for m in logs)


async def test_an_order_whose_reply_was_lost_follows_the_venue_and_its_fill_is_booked_once(
    make_engine, clock
):
    silent = FaultyBroker(paper_venues(clock, 1)["V0"], silent="reply")
    eng = await make_engine({"V0": silent}, settings=FAST)
    rep = await eng.wait(await eng.submit(market_buy()))
    child = eng.children[eng.parents[rep.parent_id].children[0]]
    assert child.status is OrderStatus.FILLED and child.venue_order_id
    assert (
        rep.filled_qty == Decimal(100) and rep.fills == 1 and silent.sent == [child.client_order_id]
    )
    await eng.store.flush()
    rows = await eng.store.query("SELECT fill_id FROM fills WHERE parent_id = ?", (rep.parent_id,))
    assert len(rows) == 1
