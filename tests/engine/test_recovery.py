"""Crash recovery in simulated time: a journal as a killed engine leaves it, a venue that outlived it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.brokers.base import OrderState, OrderUpdate, VenueUnavailable
from engine.brokers.paper import PaperBroker
from engine.clock import SimClock
from engine.events import RecoveryCompleted
from engine.factory import build_engine
from engine.models import (
    ChildOrder,
    Fill,
    OrderStatus,
    OrderType,
    ParentOrder,
    Side,
    Ticket,
)
from tests.fakes.journal import crashed_journal, settings
from tests.fakes.journal import venue as venue  # noqa: F401  fixture


async def fill_rows(engine, parent_id: str) -> list[tuple[str, str]]:
    await engine.store.flush()
    return await engine.store.query(
        "SELECT venue, fill_id FROM fills WHERE parent_id = ? ORDER BY fill_id", (parent_id,)
    )


async def venue_fills(venue: PaperBroker, engine, parent_id: str) -> list[tuple[str, str]]:
    out = []
    for cid in engine.parents[parent_id].children:
        try:
            state = await venue.order_status(engine.children[cid])
        except Exception:
            continue
        out += [(f.venue, f.fill_id) for f in state.fills]
    return sorted(out, key=lambda x: x[1])


async def test_a_restart_books_the_missed_fill_once_and_resumes_without_reusing_ids(
    tmp_path, clock, venue
):
    db = tmp_path / "j.db"
    kids = await crashed_journal(db, clock, venue)
    eng = build_engine(settings(), clock=clock, db_path=db, brokers={"V0": venue})
    events = eng.subscribe()
    await eng.start()
    try:
        rep = eng.recovery
        assert (rep.children_reconciled, rep.fills_recovered, rep.resumed) == (3, 1, ["PX1"])
        assert eng.children["PX1-001"].status is OrderStatus.FILLED
        assert eng.children["PX1-004"].status is OrderStatus.REJECTED  # never reached the venue
        assert (await venue.order_status(kids["c2"])).status is OrderStatus.CANCELLED
        report = await eng.wait("PX1")
        assert report.status is OrderStatus.FILLED and report.filled_qty == Decimal(100)
        ids = eng.parents["PX1"].children
        assert len(ids) == len(set(ids)) and ids[:3] == ["PX1-001", "PX1-002", "PX1-004"]
        assert all(int(c.rsplit("-", 1)[1]) >= 5 for c in ids[3:])  # numbering goes on
        assert await fill_rows(eng, "PX1") == await venue_fills(venue, eng, "PX1")
        got = []
        while not events.empty():
            got.append(events.get_nowait())
        done = [e for e in got if isinstance(e, RecoveryCompleted)]
        assert done and done[0].fills_recovered == 1 and done[0].resumed == ("PX1",)
    finally:
        await eng.stop()
    again = build_engine(settings(), clock=clock, db_path=db, brokers={"V0": venue})
    await again.start()
    try:
        assert again.recovery.parents == [] and again.recovery.fills_recovered == 0
        assert len(await fill_rows(again, "PX1")) == len(await venue_fills(venue, eng, "PX1"))
    finally:
        await again.stop()


async def test_cancel_mode_closes_the_parent_and_leaves_nothing_open(tmp_path, clock, venue):
    db = tmp_path / "j.db"
    await crashed_journal(db, clock, venue)
    eng = build_engine(
        settings(on_restart="cancel"), clock=clock, db_path=db, brokers={"V0": venue}
    )
    await eng.start()
    try:
        assert eng.recovery.cancelled == ["PX1"] and eng.recovery.resumed == []
        p = eng.parents["PX1"]
        assert p.status is OrderStatus.CANCELLED and p.filled_qty == Decimal(
            20
        )  # closed, fills kept
        assert "cancelled on restart" in p.reason
        assert await venue.open_orders() == []
        assert len(p.children) == 3  # nothing new was sent
        await eng.store.flush()
        rows = await eng.store.query("SELECT status FROM parents WHERE parent_id = 'PX1'")
        assert rows == [("cancelled",)]
    finally:
        await eng.stop()


@pytest.mark.parametrize(("ago", "expect"), [(300 + 30, "resumed"), (300 + 600, "cancelled")])
async def test_a_horizon_that_ended_during_the_outage_completes_within_grace_else_cancels(
    tmp_path, clock, venue, ago, expect
):
    db = tmp_path / "j.db"
    await crashed_journal(db, clock, venue, created_ago=ago)
    eng = build_engine(settings(), clock=clock, db_path=db, brokers={"V0": venue})
    await eng.start()
    try:
        assert eng.recovery.parents[0]["action"] == expect
        if expect == "resumed":
            assert (await eng.wait("PX1")).filled_qty == Decimal(100)
        else:
            assert "horizon passed" in eng.parents["PX1"].reason
    finally:
        await eng.stop()


async def test_orphans_are_reported_and_cancelled_when_configured(tmp_path, clock, venue):
    q = await venue.top_of_book("AAPL")
    stray = ChildOrder(
        "MANUAL-7", "", "V0", "AAPL", Side.SELL, Decimal(3), OrderType.LIMIT, q.ask + 5
    )
    await venue.submit(stray)
    eng = build_engine(settings(), clock=clock, db_path=tmp_path / "j.db", brokers={"V0": venue})
    await eng.start()
    try:
        rep = await eng.recover()
        assert [o["client_order_id"] for o in rep.orphans] == ["MANUAL-7"]
        assert not rep.orphans[0]["cancelled"] and len(await venue.open_orders()) == 1
        rep = await eng.recover(cancel_orphans=True)
        assert rep.orphans[0]["cancelled"] and await venue.open_orders() == []
    finally:
        await eng.stop()


class StatusDown(PaperBroker):
    """A venue that takes orders but cannot answer for them (its order API is down)."""

    async def order_status(self, order: ChildOrder) -> OrderState:
        raise VenueUnavailable(self.name, "status: connection reset")


async def test_an_unreachable_venue_leaves_the_parent_live_and_sends_nothing(tmp_path, clock):
    venue = StatusDown("V0", clock, cash=Decimal(10_000_000), seed=3)
    db = tmp_path / "j.db"
    await crashed_journal(db, clock, venue)
    sent_before = venue.orders_received
    eng = build_engine(settings(), clock=clock, db_path=db, brokers={"V0": venue})
    await eng.start()
    try:
        rep = eng.recovery
        assert rep.resumed == [] and rep.failed and "connection reset" in rep.failed[0]["reason"]
        assert venue.orders_received == sent_before
        await eng.store.flush()
        rows = await eng.store.query("SELECT status FROM parents WHERE parent_id = 'PX1'")
        assert rows == [("submitted",)]  # a later recovery will try again
    finally:
        await eng.stop()


async def test_a_fill_that_raced_the_cancel_is_booked_once(tmp_path, clock, venue):
    eng = build_engine(settings(), clock=clock, db_path=tmp_path / "j.db", brokers={"V0": venue})
    await eng.start()
    try:
        p = ParentOrder(
            "PL", Ticket("AAPL", Side.BUY, Decimal(10)), "limit", Decimal(190), clock.now()
        )
        c = ChildOrder(
            "PL-001", "PL", "V0", "AAPL", Side.BUY, Decimal(10), OrderType.LIMIT, Decimal(190)
        )
        c.status = OrderStatus.CANCELLED
        eng.parents["PL"], eng.children["PL-001"] = p, c
        p.children.append("PL-001")
        fill = Fill("F1", "PL-001", "V0", "AAPL", Side.BUY, Decimal(4), Decimal(190), clock.now())
        for _ in range(2):
            eng.desk.on_update(OrderUpdate("PL-001", OrderStatus.PARTIALLY_FILLED, fill))
        assert (c.filled_qty, c.status, p.filled_qty) == (
            Decimal(4),
            OrderStatus.CANCELLED,
            Decimal(4),
        )
        assert len(await fill_rows(eng, "PL")) == 1
    finally:
        await eng.stop()


def test_recover_command_prints_one_json_object_and_fails_when_a_venue_is_unknown(tmp_path, capsys):
    import asyncio
    import json

    from console.cli import main

    db = tmp_path / "j.db"
    clock = SimClock(start=1_700_000_000.0)
    asyncio.run(crashed_journal(db, clock, PaperBroker("V0", clock, seed=3)))
    rc = main(["recover", "--db", str(db), "--json"])  # simulated venues: V0 is not one of them
    data = json.loads(capsys.readouterr().out)
    assert rc == 1 and data["failed"] and "V0" in data["failed"][0]["reason"]
    assert set(data) >= {"parents", "children_reconciled", "fills_recovered", "resumed",
                         "cancelled", "orphans"}  # fmt: skip
    assert data["parents"][0]["parent_id"] == "PX1" and data["resumed"] == []
