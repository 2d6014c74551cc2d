"""Journal batching (issue 15): orders decided at one instant share one durable transaction, and
still no venue sees an order the journal has not committed, also when the commit fails."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from engine.brokers.base import Ack
from engine.factory import build_engine
from engine.models import (
    ChildOrder,
    InputError,
    OrderStatus,
    OrderType,
    ParentOrder,
    Refusal,
    Side,
    Ticket,
    TradingState,
)
from engine.store import Store
from tests.fakes.paper_venues import MovablePaper


def journalled(db: Path) -> set[str]:
    """Client ids committed to the file, read by another connection as a restart would."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {r[0] for r in con.execute("SELECT client_order_id FROM children")}
    finally:
        con.close()


class WitnessVenue(MovablePaper):
    """A paper venue that, as each order reaches it, reads what the journal file holds."""

    db: Path
    seen: list[tuple[str, float, set[str]]]  # (client id, engine time, journalled ids then)
    on_submit = None

    async def submit(self, order: ChildOrder) -> Ack:
        self.seen.append((order.client_order_id, self.clock.now(), journalled(self.db)))
        if self.on_submit is not None:
            self.on_submit(len(self.seen))
        return await super().submit(order)


def witness_venues(clock, db: Path) -> dict[str, WitnessVenue]:
    out = {}
    for i in range(2):
        w = WitnessVenue(
            f"V{i}", clock, cash=Decimal(10_000_000), spread_bps=Decimal(2 + i), seed=i + 1
        )
        w.db, w.seen = db, []
        out[w.name] = w
    return out


def basket(n: int, venue: str = "V0") -> list[Ticket]:
    return [
        Ticket("AAPL", Side.BUY if i % 2 else Side.SELL, Decimal(400), algo="twap", venue=venue)
        for i in range(n)
    ]


async def test_children_of_one_instant_are_committed_together_before_any_venue_sees_one(
    tmp_path, clock, settings
):
    db = tmp_path / "fills.db"
    venues = witness_venues(clock, db)
    eng = build_engine(settings, clock=clock, db_path=db, brokers=dict(venues))
    await eng.start()
    try:
        pids = await eng.submit_batch(basket(6))
        reports = [await eng.wait(p) for p in pids]
    finally:
        await eng.stop()
    assert all(r.status is OrderStatus.FILLED for r in reports)
    seen = venues["V0"].seen
    by_instant: dict[float, list[str]] = {}
    for cid, ts, _ in seen:
        by_instant.setdefault(ts, []).append(cid)
    assert len(seen) == len(eng.children) == 6 * settings.router.twap_num_slices
    assert len(by_instant) == settings.router.twap_num_slices  # one slice of every parent each
    for cid, ts, in_file in seen:
        assert cid in in_file  # durable before the venue saw it
        assert set(by_instant[ts]) <= in_file  # and so was every child of its instant
    # one commit per instant, plus the batch's parents: not one per order
    assert eng.journal.groups == settings.router.twap_num_slices + 1


async def test_a_journal_that_fails_mid_batch_sends_nothing_it_did_not_commit(
    tmp_path, clock, settings
):
    db = tmp_path / "fills.db"
    venues = witness_venues(clock, db)
    eng = build_engine(settings, clock=clock, db_path=db, brokers=dict(venues))
    await eng.start()
    await eng.store.inner._w.execute("PRAGMA busy_timeout = 100")
    other = sqlite3.connect(db, isolation_level=None)

    def lock_after_first_slice(n: int) -> None:
        if n == 6:  # the last of the first instant: from now on another writer holds the file
            other.execute("BEGIN IMMEDIATE")

    venues["V0"].on_submit = lock_after_first_slice
    try:
        pids = await eng.submit_batch(basket(6))
        for p in pids:
            await eng.wait(p)
    finally:
        other.execute("ROLLBACK")
        other.close()
        await eng.stop()
    assert eng.risk.state is TradingState.HALTED
    sent = {cid for cid, _, _ in venues["V0"].seen}
    assert len(sent) == 6  # the first instant only
    refused = [c for c in eng.children.values() if c.refused is Refusal.JOURNAL]
    assert len(refused) == 6  # the whole second instant: its commit failed, none of it was sent
    assert all(c.status is OrderStatus.REJECTED and c.venue_order_id is None for c in refused)
    assert not sent & {c.client_order_id for c in refused}
    assert sent <= journalled(db)


async def test_a_group_is_one_transaction_even_past_the_batch_size(tmp_path, clock):
    async with Store(tmp_path / "f.db", batch_max=4) as store:
        parent = ParentOrder("P1", Ticket("AAPL", Side.BUY, Decimal(9)), "twap", Decimal(1), 0.0)
        await store.journal_parent(parent)
        for i in range(3):  # rows already queued ahead of the group
            store.record_event(ts=float(i), kind="note", payload={"i": i})
        kids = [
            ChildOrder(
                f"P1-{i:03d}", "P1", "V0", "AAPL", Side.BUY, Decimal(1), OrderType.LIMIT, Decimal(1)
            )
            for i in range(1, 7)
        ]
        before = store.transactions
        await store.journal_orders([], kids)
        assert store.transactions - before == 1  # 3 + 6 rows, batch_max 4: still one commit
        rows = await store.children(parent_id="P1")
    assert [r["client_order_id"] for r in rows] == [k.client_order_id for k in kids]


async def test_a_basket_with_one_bad_ticket_sends_and_journals_nothing(make_engine):
    eng = await make_engine()
    tickets = basket(3)
    tickets[1] = Ticket("NOPE", Side.BUY, Decimal(10), algo="twap", venue="V0")
    with pytest.raises(InputError) as bad:
        await eng.submit_batch(tickets)
    assert bad.value.field.startswith("tickets[1].")
    assert eng.parents == {} and eng.children == {}
    assert await eng.store.parents() == []
