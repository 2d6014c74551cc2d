"""The packed fill columns (engine/store/fill_blocks.py) hand the report exactly the stored
fills: unpacked, packed in blocks with a tail, after new fills, and after a fill is changed
or deleted (the fills table is the record; a block never outlives a change)."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import pytest

from engine.models import Fill, Side
from engine.quality import FillMetrics, build_report
from engine.store import Store
from engine.store.fill_blocks import pack
from engine.store.fill_window import read_window
from tests.fakes.history import T0, seed_history

SINCE = T0 - 30 * 86400
BY = ["venue", "symbol", "algo", "hour", "day"]


@pytest.fixture
async def history(tmp_path):
    path = tmp_path / "history.db"
    async with Store(path) as s:
        await seed_history(s, 1500)  # ts in random order: blocks straddle the window's start
    return path


async def reports(path) -> dict[str, dict]:
    async with Store(path) as s:
        return {by: await build_report(s, since_ts=SINCE, by=by) for by in BY}


def blocks(path) -> int:
    with sqlite3.connect(path) as con:
        return con.execute("SELECT count(*) FROM fill_blocks").fetchone()[0]


def stored(path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as con:
        return con.execute(sql, (SINCE,)).fetchall()


async def test_a_report_from_packed_blocks_equals_the_report_from_rows(history):
    from_rows = await reports(history)  # 1,500 fills: less than a block, all read as rows
    assert blocks(history) == 0
    with sqlite3.connect(history, isolation_level=None) as con:
        assert pack(con, block_rows=64) == 1500 // 64
    packed = await reports(history)
    assert packed == from_rows  # bit for bit: same fills, same order
    assert (
        from_rows["venue"]["fills"]
        == stored(history, "SELECT count(*) FROM fills WHERE ts >= ?")[0][0]
    )


async def test_packed_columns_hold_each_fill_of_the_window_with_its_own_labels(history):
    cols = read_window(history, SINCE, block_rows=50)
    assert blocks(history) == 1500 // 50
    got = sorted(
        zip(
            (cols.labels["venue"][c] for c in cols.codes["venue"]),
            (cols.labels["symbol"][c] for c in cols.codes["symbol"]),
            (cols.labels["algo"][c] for c in cols.codes["algo"]),
            cols.hour.tolist(),
            cols.floats["ts"].tolist(),
            cols.floats["latency_ms"].tolist(),
            strict=True,
        )
    )
    want = sorted(
        stored(history, "SELECT venue, symbol, algo, hour, ts, latency_ms FROM fills WHERE ts >= ?")
    )
    assert got == want and len(want) > 500


async def test_fills_recorded_after_packing_are_in_the_next_report(history):
    read_window(history, SINCE, block_rows=100)
    before = await reports(history)
    async with Store(history) as s:
        for i in range(3):
            f = Fill(f"N{i}", f"NC{i}", "V9", "AAPL", Side.BUY, Decimal(1), Decimal(100), T0 - i)
            m = FillMetrics(1.0, 1.0, 5.0, Decimal(0), Decimal(100))
            s.record_fill(f, parent_id="P0", algo="twap", metrics=m)
        await s.flush()
    after = await reports(history)
    assert after["venue"]["fills"] == before["venue"]["fills"] + 3
    assert [g["fills"] for g in after["venue"]["groups"] if g["key"] == "V9"] == [3]


async def test_a_changed_or_deleted_fill_is_never_reported_from_a_stale_block(history):
    read_window(history, SINCE, block_rows=100)
    assert blocks(history) == 15
    [(venue, fill_id)] = stored(
        history, "SELECT venue, fill_id FROM fills WHERE ts >= ? ORDER BY rowid LIMIT 1"
    )
    with sqlite3.connect(history) as con:  # e.g. a hand correction, or a tool pruning history
        con.execute(
            "UPDATE fills SET slippage_bps = 10000 WHERE venue = ? AND fill_id = ?",
            (venue, fill_id),
        )
        con.execute("DELETE FROM fills WHERE rowid = (SELECT max(rowid) FROM fills)")
    report = (await reports(history))["venue"]
    [(n, mean)] = stored(history, "SELECT count(*), avg(slippage_bps) FROM fills WHERE ts >= ?")
    assert report["fills"] == n
    assert report["total"]["mean_slippage_bps"] == pytest.approx(mean, rel=1e-12)
    assert report["total"]["mean_slippage_bps"] > 5  # the 10,000 bps fill is in it


async def test_the_store_packs_blocks_in_the_background_as_fills_are_written(tmp_path, monkeypatch):
    from engine.store import fill_blocks

    monkeypatch.setattr(fill_blocks, "BLOCK_ROWS", 100)
    path = tmp_path / "history.db"
    async with Store(path) as s:
        await seed_history(s, 1500)
    assert blocks(path) >= 10  # packed while writing: no report has run
    with sqlite3.connect(path) as con:
        [(packed,)] = con.execute("SELECT coalesce(sum(rows), 0) FROM fill_blocks").fetchall()
    assert packed % 100 == 0 and 1000 <= packed <= 1500
    assert (await reports(path))["venue"]["fills"] == len(
        stored(path, "SELECT 1 FROM fills WHERE ts >= ?")
    )
