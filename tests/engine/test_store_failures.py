"""A history file that stops taking writes mid-execution (issue 20, defect 5).

SQLite's `max_page_count` makes the database answer exactly as a full disk does (SQLITE_FULL,
"database or disk is full"); a second connection holding the write lock is another process
locking the file. Nothing may be sent that is not journalled, nothing booked may be lost, and
the execution report must still come out.
"""

from __future__ import annotations

import asyncio
import sqlite3
from decimal import Decimal

from engine.events import FillRecorded
from engine.factory import build_engine
from engine.models import OrderStatus, Side, Ticket, TradingState
from engine.store import Store
from engine.store.spill import spill_path
from tests.fakes.paper_venues import paper_venues


async def fill_the_disk(eng) -> None:
    """From now on the file cannot grow: every new page is refused as on a full disk."""
    conn = eng.store.inner.backend._w
    (pages,) = await (await conn.execute("PRAGMA page_count")).fetchone()
    await conn.execute(f"PRAGMA max_page_count = {pages}")


async def test_a_disk_that_fills_mid_execution_halts_sends_keeps_every_fill(
    tmp_path, clock, settings
):
    db = tmp_path / "fills.db"
    settings = settings.model_copy(  # enough children that the file must grow page by page
        update={"router": settings.router.model_copy(update={"twap_num_slices": 60})}
    )
    eng = build_engine(settings, clock=clock, db_path=db, brokers=paper_venues(clock))
    await eng.start()
    events = eng.subscribe()
    pid = await eng.submit(Ticket("AAPL", Side.BUY, Decimal(20_000), algo="twap"))
    fills: list[FillRecorded] = []
    while not fills:
        e = await events.get()
        if isinstance(e, FillRecorded):
            fills.append(e)
    await fill_the_disk(eng)
    report = await asyncio.wait_for(eng.wait(pid), 60)
    while not events.empty():
        e = events.get_nowait()
        if isinstance(e, FillRecorded):
            fills.append(e)
    assert eng.risk.state is TradingState.HALTED  # nothing more is sent unjournalled
    refused = [c for c in eng.children.values() if "journal write failed" in c.reason]
    assert refused and all(c.status is OrderStatus.REJECTED for c in refused)
    assert all(c.venue_order_id is None for c in refused)  # never reached a venue
    assert report.filled_qty == sum(f.quantity for f in fills) > 0
    await eng.stop()
    assert "disk is full" in eng.store_failure and spill_path(db).exists()
    async with Store(db) as s:  # space again: the kept rows are written on open
        rows = await s.query("SELECT quantity FROM fills WHERE parent_id = ?", (pid,))
        assert sum(Decimal(r[0]) for r in rows) == report.filled_qty
        assert len(rows) == len(fills)
        [(status, filled)] = await s.query(
            "SELECT status, filled_qty FROM parents WHERE parent_id = ?", (pid,)
        )
        assert (status, Decimal(filled)) == (report.status.value, report.filled_qty)
    assert not spill_path(db).exists()


async def test_a_file_locked_by_another_writer_sends_nothing_and_says_so(tmp_path, clock, settings):
    db = tmp_path / "fills.db"
    eng = build_engine(settings, clock=clock, db_path=db, brokers=paper_venues(clock))
    await eng.start()
    await eng.store.inner.backend._w.execute("PRAGMA busy_timeout = 100")
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        try:
            await eng.submit(Ticket("AAPL", Side.BUY, Decimal(500), algo="twap"))
            raise AssertionError("a parent the journal could not hold was accepted")
        except Exception as e:
            assert "nothing was sent" in str(e) and "locked" in str(e) and "fills.db" in str(e)
        assert eng.parents == {} and eng.children == {}
        assert all(not b._orders for b in eng.brokers.values())  # type: ignore[attr-defined]
    finally:
        other.execute("ROLLBACK")
        other.close()
        await eng.stop()
    assert eng.store_failure == "" or "locked" in eng.store_failure
