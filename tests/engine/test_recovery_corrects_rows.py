"""Recovery makes every child's row the venue's figures, also for parents the journal calls finished.

Issue 20, defects 2 and 7: a journal that says cancelled while the order rests on the venue (a
kill that raced a submit), and a row left `submitted`, filled 0, for an order the venue filled.
"""

from __future__ import annotations

from decimal import Decimal

from engine.factory import build_engine
from engine.models import ChildOrder, OrderStatus, OrderType, ParentOrder, Side, Ticket, TimeInForce
from engine.store import Store
from tests.fakes.journal import settings
from tests.fakes.journal import venue as venue  # noqa: F401  fixture


async def finished_journal(db, clock, venue) -> tuple[ChildOrder, ChildOrder]:
    """A parent the journal closed as cancelled; -001 rests at the venue though its row says
    cancelled; -002 was filled at the venue though its row still says submitted, filled 0."""
    store = Store(db)
    await store.open()
    q = await venue.top_of_book("AAPL")
    parent = ParentOrder(
        "PF1", Ticket("AAPL", Side.BUY, Decimal(40), algo="twap"), "twap", q.mid, clock.now()
    )
    await store.journal_parent(parent)
    rest = ChildOrder(
        "PF1-001", "PF1", "V0", "AAPL", Side.BUY, Decimal(20), OrderType.LIMIT,
        q.bid - Decimal(2), TimeInForce.GTC, created_ts=clock.now(),
    )  # fmt: skip
    took = ChildOrder(
        "PF1-002", "PF1", "V0", "AAPL", Side.BUY, Decimal(20), OrderType.LIMIT,
        q.ask + Decimal("0.5"), TimeInForce.IOC, created_ts=clock.now(),
    )  # fmt: skip
    for c in (rest, took):
        await store.journal_child(c)
        ack = await venue.submit(c)
        c.venue_order_id = ack.venue_order_id
    rest.status = OrderStatus.CANCELLED  # what the old kill wrote on "unknown order"
    took.status = OrderStatus.SUBMITTED  # the fill and its row update never written
    for c in (rest, took):
        store.update_child(c)
    parent.status, parent.reason = OrderStatus.CANCELLED, "halted by kill switch"
    store.update_parent(parent)
    await store.close()
    return rest, took


async def test_recovery_cancels_what_the_journal_wrongly_closed_and_books_what_it_missed(
    tmp_path, clock, venue
):
    db = tmp_path / "j.db"
    rest, took = await finished_journal(db, clock, venue)
    assert [s.client_order_id for s in await venue.open_orders()] == ["PF1-001"]
    eng = build_engine(settings(), clock=clock, db_path=db, brokers={"V0": venue})
    await eng.start()
    try:
        rep = await eng.recover()
        assert await venue.open_orders() == []  # nothing of ours rests
        assert {c["client_order_id"] for c in rep.corrected} == {"PF1-001", "PF1-002"}
        await eng.store.flush()
        rows = {
            r[0]: (r[1], Decimal(r[2]))
            for r in await eng.store.query(
                "SELECT client_order_id, status, filled_qty FROM children WHERE parent_id='PF1'"
            )
        }
        for c in (rest, took):  # each row is what the venue says
            state = await venue.order_status(c)
            assert rows[c.client_order_id] == (
                "filled" if state.filled_qty == c.quantity else "cancelled",
                state.filled_qty,
            )
        assert rows["PF1-002"] == ("filled", Decimal(20))
        fills = await eng.store.query("SELECT quantity FROM fills WHERE parent_id = 'PF1'")
        assert sum(Decimal(f[0]) for f in fills) == Decimal(20)
        (parent_filled,) = await eng.store.query(
            "SELECT filled_qty FROM parents WHERE parent_id = 'PF1'"
        )
        assert Decimal(parent_filled[0]) == Decimal(20)
        assert eng.positions["AAPL"] == Decimal(20)
        again = await eng.recover()  # a second pass finds nothing more to do
        assert again.corrected == [] and again.fills_recovered == 0
    finally:
        await eng.stop()
