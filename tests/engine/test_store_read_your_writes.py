"""A read after a committed write sees it, even while other reads of the store are in progress.

Signals decided concurrently each claim their id (a durable write) and read the row back; a
read that shared a snapshot with a slower, half-fetched read saw the table as it was before the
claim committed, the claim raised, and the signal was lost (found by the Redis restart test).
"""

from __future__ import annotations

import asyncio

import engine.store.sqlite_backend as sqlite_backend
from engine.store import Store

T0 = 1_700_000_000.0


def claim(i: int) -> dict[str, object]:
    return dict(
        signal_id=f"s-{i}", received_ts=T0 + i, signal_ts=T0 + i, source="test", symbol="AAPL",
        direction="long", payload="{}", claim=f"c-{i}",
    )  # fmt: skip


async def test_a_claim_reads_back_its_own_row_while_a_long_read_is_half_fetched(
    tmp_path, monkeypatch
):
    """SQLite: one read connection shared by every task (PostgreSQL reads take a pooled one)."""
    monkeypatch.setattr(sqlite_backend, "CHUNK", 1)  # a long read: a fetch, an await, per row
    store = Store(tmp_path / "fills.db")
    await store.open()
    try:
        await asyncio.gather(*(store.claim_signal(**claim(i)) for i in range(1000)))
        long_read = asyncio.create_task(
            store.columns("SELECT received_ts FROM signals", (), ["f8"])
        )
        await asyncio.sleep(0.01)  # the long read is under way
        assert not long_read.done()
        rows = await asyncio.gather(*(store.claim_signal(**claim(i)) for i in range(1000, 1040)))
        assert [r["claim"] for r in rows] == [f"c-{i}" for i in range(1000, 1040)]
        (ts,) = await long_read
        assert len(ts) >= 1000
    finally:
        await store.close()


async def test_concurrent_claims_and_reads_each_see_every_committed_claim(history_url):
    store = Store(history_url)
    await store.open()
    try:
        stop = False

        async def reading() -> None:
            while not stop:
                await store.signal_rows(limit=10_000)

        readers = [asyncio.create_task(reading()) for _ in range(4)]
        rows = await asyncio.gather(*(store.claim_signal(**claim(i)) for i in range(300)))
        stop = True
        await asyncio.gather(*readers)
        assert [r["claim"] for r in rows] == [f"c-{i}" for i in range(300)]
    finally:
        await store.close()
