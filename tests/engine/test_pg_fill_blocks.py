"""The packed fill columns on PostgreSQL (engine/store/pg_blocks.py, pg_window.py) hand the report
exactly the stored fills: the same figures packed, unpacked and on SQLite; fills written or
changed after packing, by this process or another, in the next report; a corrupt or mismatched
block read as rows and packed again, never trusted."""

from __future__ import annotations

import asyncio
import sys
from decimal import Decimal

import asyncpg
import pytest

from engine.models import Fill, Side
from engine.quality import FillMetrics, build_report
from engine.quality.report import report_in_sql
from engine.store import Store, pg_blocks
from tests.fakes.history import T0, seed_history

SINCE = T0 - 30 * 86400
BY = ["venue", "symbol", "algo", "hour", "day"]
FILLS = 1500


async def connect(url: str) -> asyncpg.Connection:
    base, _, query = url.partition("?")
    return await asyncpg.connect(base, server_settings=dict([query.split("=", 1)]))


async def sql(url: str, query: str, *args) -> list[asyncpg.Record]:
    conn = await connect(url)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


async def reports(url: str) -> dict[str, dict]:
    async with Store(url) as s:
        return {by: await build_report(s, since_ts=SINCE, by=by) for by in BY}


async def fresh_blocks(url: str) -> int:
    [r] = await sql(
        url,
        "SELECT count(*) FROM fill_blocks b LEFT JOIN fill_block_gen g USING (block)"
        " WHERE b.gen = coalesce(g.gen, 0) AND b.rows > 0",
    )
    return int(r[0])


async def truth(url: str) -> tuple[int, float, float]:
    """Count, notional and mean slippage of the window, straight from the fills table."""
    [r] = await sql(
        url, "SELECT count(*), sum(notional), avg(slippage_bps) FROM fills WHERE ts >= $1", SINCE
    )
    return int(r[0]), float(r[1]), float(r[2])


@pytest.fixture
async def history(pg_history):
    async with Store(pg_history) as s:
        await seed_history(s, FILLS)  # ts in random order: blocks straddle the window's start
    return pg_history


async def small_blocks(url: str, n: int = 64) -> None:
    await sql(url, "UPDATE fill_block_size SET block_rows = $1", n)


async def test_packed_unpacked_and_sqlite_reports_are_identical(history, tmp_path):
    unpacked = await reports(history)  # 1,500 fills: less than a block, all read as rows
    assert await fresh_blocks(history) == 0
    await small_blocks(history)
    packed = await reports(history)  # the report packs first: 23 blocks, 28 fills as rows
    assert await fresh_blocks(history) == FILLS // 64
    lite = tmp_path / "same.db"
    async with Store(lite) as s:
        await seed_history(s, FILLS)
    on_sqlite = await reports(str(lite))
    assert packed == unpacked == on_sqlite  # bit for bit: same fills, same order
    n, notional, _ = await truth(history)
    assert packed["venue"]["fills"] == n > 500
    assert packed["venue"]["total"]["notional"] == pytest.approx(notional, rel=1e-12)
    async with Store(history) as s:  # the server's own percentile_cont: equal to rounding
        in_sql = await report_in_sql(s, SINCE, "venue")
    for got, want in zip(packed["venue"]["groups"], in_sql["groups"], strict=True):
        assert got["fills"] == want["fills"]
        for k in ("median_slippage_bps", "p90_slippage_bps", "p99_latency_ms"):
            assert got[k] == pytest.approx(want[k], rel=1e-9)


def fill(i: int, ts: float, venue: str = "V9") -> tuple[Fill, FillMetrics]:
    f = Fill(f"N{i}", f"NC{i}", venue, "AAPL", Side.BUY, Decimal(1), Decimal(100), ts)
    return f, FillMetrics(1.0, 1.0, 5.0, Decimal(0), Decimal(100))


async def test_fills_written_or_changed_by_another_connection_show_in_the_next_report(history):
    await small_blocks(history)
    await reports(history)
    assert await fresh_blocks(history) == FILLS // 64
    async with Store(history) as other:  # another writer on the same history
        for i in range(3):
            f, m = fill(i, T0 - i)
            other.record_fill(f, parent_id="P0", algo="twap", metrics=m)
        await other.flush()
    [(seq, venue, fill_id)] = await sql(
        history, "SELECT seq, venue, fill_id FROM fills WHERE ts >= $1 ORDER BY seq LIMIT 1", SINCE
    )
    assert seq < 64 * (FILLS // 64)  # in a packed block
    await sql(  # a hand correction through a connection of its own
        history,
        "UPDATE fills SET slippage_bps = 10000 WHERE venue = $1 AND fill_id = $2",
        venue,
        fill_id,
    )
    await sql(history, "DELETE FROM fills WHERE seq = (SELECT max(seq) FROM fills WHERE seq < 640)")
    report = (await reports(history))["venue"]
    n, _, mean = await truth(history)
    assert report["fills"] == n
    assert [g["fills"] for g in report["groups"] if g["key"] == "V9"] == [3]
    assert report["total"]["mean_slippage_bps"] == pytest.approx(mean, rel=1e-12)
    assert report["total"]["mean_slippage_bps"] > 5  # the 10,000 bps fill is in it
    assert await fresh_blocks(history) == FILLS // 64  # the two changed blocks packed again


@pytest.mark.parametrize(
    "damage",
    [
        "data = overlay(data placing '\\xdeadbeef'::bytea from 9)",  # bytes flipped
        "labels = replace(labels, 'V0', 'V7')",  # another venue's name
        "data = substring(data from 1 for length(data) - 48), rows = rows - 1",  # a row short
        "gen = gen + 1",  # claims a generation it was not packed at
    ],
)
async def test_a_corrupt_or_mismatched_block_is_read_as_rows_and_packed_again(history, damage):
    await small_blocks(history)
    want = await reports(history)
    [(block, data)] = await sql(
        history, "SELECT block, data FROM fill_blocks ORDER BY block LIMIT 1"
    )
    if "gen" in damage:
        await sql(history, "INSERT INTO fill_block_gen VALUES ($1, 1)", block)
    await sql(history, f"UPDATE fill_blocks SET {damage} WHERE block = $1", block)
    assert await reports(history) == want  # never trusted: its fills read as rows
    [(rebuilt,)] = await sql(history, "SELECT data FROM fill_blocks WHERE block = $1", block)
    assert rebuilt == data and await fresh_blocks(history) == FILLS // 64


WRITER = """
import asyncio, sys
from decimal import Decimal
from engine.models import Fill, Side
from engine.quality import FillMetrics
from engine.store import Store

async def main(url, tag, n):
    async with Store(url) as s:
        for i in range(n):
            f = Fill(f"{tag}{i}", f"C{tag}{i}", tag, "AAPL", Side.BUY, Decimal(1), Decimal(100),
                     1_700_000_000.0 - i)
            m = FillMetrics(float(i % 7), 0.0, 5.0, Decimal(0), Decimal(100 + i))
            s.record_fill(f, parent_id="P0", algo="twap", metrics=m)
            if i % 25 == 0:
                await s.flush()

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


async def test_two_processes_writing_while_reports_pack_give_exact_figures(history, monkeypatch):
    """Two writer processes and this one's reports (packing as they go): every report equals the
    fills as rows in its own snapshot, and the last one the whole table."""
    await small_blocks(history, 32)
    procs = [
        await asyncio.create_subprocess_exec(sys.executable, "-c", WRITER, history, tag, "400")
        for tag in ("WA", "WB")
    ]
    seen = []
    while any(p.returncode is None for p in procs):
        async with Store(history) as s:
            r = await build_report(s, since_ts=SINCE, by="venue")
        seen.append(r["fills"])
        await asyncio.sleep(0.05)
    assert [await p.wait() for p in procs] == [0, 0]
    assert seen == sorted(seen)  # never a fill lost from one report to the next
    final = (await reports(history))["venue"]
    n, notional, mean = await truth(history)
    [(written,)] = await sql(history, "SELECT count(*) FROM fills WHERE fill_id LIKE 'W%'")
    assert final["fills"] == n and written == 800
    assert final["total"]["notional"] == pytest.approx(notional, rel=1e-12)
    assert final["total"]["mean_slippage_bps"] == pytest.approx(mean, rel=1e-12)
    assert await fresh_blocks(history) >= 40
    await sql(history, "DELETE FROM fill_blocks")  # the same fills read as rows only
    assert (await reports(history))["venue"] == final


async def test_the_store_packs_in_the_background_as_fills_are_written(pg_history, monkeypatch):
    monkeypatch.setattr(pg_blocks, "PACK_EVERY", 100)
    async with Store(pg_history) as s:
        await small_blocks(pg_history, 100)
        await seed_history(s, FILLS)
    assert await fresh_blocks(pg_history) >= 5  # packed while writing: no report has run


async def test_a_fill_of_no_known_time_is_in_no_window_packed_or_not(history):
    """PostgreSQL stores a NaN time (SQLite refuses it) and sorts it after every number: it must
    neither hide its block from the window nor count in it, packed or read as rows."""
    await small_blocks(history)
    await reports(history)
    await sql(history, "UPDATE fills SET ts = 'NaN' WHERE seq = 5")  # in a packed block
    await sql(history, "UPDATE fills SET ts = 'NaN' WHERE seq = (SELECT max(seq) FROM fills)")
    packed = await reports(history)
    [(n,)] = await sql(history, "SELECT count(*) FROM fills WHERE ts >= $1 AND ts <> 'NaN'", SINCE)
    assert packed["venue"]["fills"] == n
    await sql(history, "DELETE FROM fill_blocks")
    await sql(history, "UPDATE fill_block_size SET block_rows = 8192")  # nothing packs: rows only
    assert await reports(history) == packed


INSERT_FILLS = """
INSERT INTO fills (venue, fill_id, client_order_id, parent_id, algo, symbol, side, quantity,
    price, fee, ts, notional, slippage_bps, arrival_slippage_bps, latency_ms, hour)
SELECT 'V8', $1 || i, 'C', 'P0', 'twap', 'AAPL', 'buy', '1', '100', '0', $2 - i, 100, 3, 3, 5, 0
FROM generate_series(1, $3) AS i
"""


async def test_no_block_is_packed_over_a_fill_still_being_written(history):
    """A writer that drew its number and has not committed yet, while later fills fill the block:
    the block waits for it, so the committed fill is in the next report, not behind a block."""
    await small_blocks(history)
    await reports(history)
    packed_before = await fresh_blocks(history)
    slow = await connect(history)
    try:
        tx = slow.transaction()
        await tx.start()
        await slow.execute(INSERT_FILLS, "SLOW", T0, 1)  # its seq is drawn now
        await sql(history, INSERT_FILLS, "FAST", T0, 200)  # later numbers, committed first
        before = (await reports(history))["venue"]
        assert await fresh_blocks(history) == packed_before  # nothing over the open writer
        await tx.commit()
    finally:
        await slow.close()
    after = (await reports(history))["venue"]
    n, _, mean = await truth(history)
    assert after["fills"] == before["fills"] + 1 == n
    assert after["total"]["mean_slippage_bps"] == pytest.approx(mean, rel=1e-12)
    assert await fresh_blocks(history) > packed_before  # packed once the writer was done
