"""The store on a real SQLite file and a real PostgreSQL server (each test that is not about a file
runs on both): exact round trips, WAL, 0600, journal durability, batching, migrations."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
from decimal import Decimal

import pytest

from engine.models import (
    ChildOrder,
    Fill,
    OrderStatus,
    OrderType,
    ParentOrder,
    Side,
    Signal,
    Ticket,
    TimeInForce,
)
from engine.quality import fill_metrics
from engine.store import SCHEMA_VERSION, Store, StoreError
from engine.store.schema import MIGRATIONS
from tests.fakes.histories import read_elsewhere

T0 = 1_700_000_000.0


def parent(pid: str = "P1", qty: str = "1234.5678", mid: str = "150.0050000001") -> ParentOrder:
    t = Ticket("AAPL", Side.BUY, Decimal(qty), Signal(strength=0.7), limit_price=Decimal("151.25"))
    return ParentOrder(pid, t, "twap", Decimal(mid), T0)


def child(
    cid: str = "C1", pid: str = "P1", status: OrderStatus = OrderStatus.PENDING
) -> ChildOrder:
    return ChildOrder(
        cid, pid, "V1", "AAPL", Side.SELL, Decimal("0.000000017"), OrderType.LIMIT,
        Decimal("99999.123456789"), TimeInForce.IOC, post_only=True, status=status,
        created_ts=T0 + 1, meta={"twap_slice": 3, "expected_price": Decimal("150.01"), "tag": "x"},
    )  # fmt: skip


def fill(fid: str = "F1", venue: str = "V1", price: str = "150.05", ts: float = T0 + 2) -> Fill:
    return Fill(
        fid, "C1", venue, "AAPL", Side.BUY, Decimal("3.3"), Decimal(price), ts, Decimal("0.0123")
    )


def metrics_for(f: Fill, limit: str = "150.00"):
    return fill_metrics(
        side=f.side, fill_price=f.price, limit_price=Decimal(limit), arrival_price=Decimal("150"),
        signal_ts=T0, fill_ts=f.ts, fee=f.fee, quantity=f.quantity,
    )  # fmt: skip


@pytest.fixture
async def store(history_url):
    s = Store(history_url)
    await s.open()
    yield s
    await s.close()


async def test_open_creates_the_directory_a_user_only_file_and_wal(tmp_path):
    async with Store(tmp_path / "data" / "fills.db") as store:
        await store.journal_parent(parent())
        assert store.path.parent.is_dir()
        assert os.stat(store.path).st_mode & 0o777 == 0o600
        wal = store.path.with_name(store.path.name + "-wal")
        assert wal.exists() and os.stat(wal).st_mode & 0o777 == 0o600
        con = sqlite3.connect(store.path)
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == len(MIGRATIONS)


async def test_an_existing_file_with_loose_permissions_is_tightened(tmp_path):
    path = tmp_path / "fills.db"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    async with Store(path) as s:
        s.record_event(ts=T0, kind="x", payload={})
        await s.flush()
        assert os.stat(path).st_mode & 0o777 == 0o600
        assert os.stat(f"{path}-wal").st_mode & 0o777 == 0o600


async def test_parent_child_and_fill_round_trip_decimals_exactly(store):
    p, c, f = parent(), child(), fill()
    await store.journal_parent(p)
    await store.journal_child(c)
    store.record_fill(f, parent_id="P1", algo="twap", metrics=metrics_for(f))
    await store.flush()
    [pr] = await store.parents()
    assert (pr["quantity"], pr["arrival_mid"]) == (Decimal("1234.5678"), Decimal("150.0050000001"))
    assert pr["ticket"]["limit_price"] == "151.25" and pr["side"] == "buy"
    [cr] = await store.children()
    assert cr["quantity"] == Decimal("0.000000017")
    assert cr["limit_price"] == Decimal("99999.123456789")
    assert cr["post_only"] is True and cr["tif"] == "ioc"
    assert cr["meta"] == {"twap_slice": 3, "expected_price": "150.01", "tag": "x"}
    [fr] = await store.fills()
    assert (fr["quantity"], fr["price"], fr["fee"]) == (
        Decimal("3.3"),
        Decimal("150.05"),
        Decimal("0.0123"),
    )
    assert fr["slippage_bps"] == pytest.approx(10 / 3)
    assert fr["latency_ms"] == pytest.approx(2000.0)
    assert fr["hour"] == int(f.ts // 3600) % 24


async def test_a_journaled_child_is_committed_when_journal_child_returns(history_url):
    # a long batch interval proves the journal does not wait for the next timed batch
    async with Store(history_url, batch_interval_ms=60_000) as s:
        await s.journal_parent(parent())
        await s.journal_child(child())
        rows = await read_elsewhere(
            history_url, "SELECT client_order_id, status, limit_price FROM children"
        )
        assert rows == [("C1", "pending", "99999.123456789")]


async def test_a_parent_id_already_journalled_is_refused_not_merged(history_url):
    async with Store(history_url) as s:
        await s.journal_parent(parent("P1", qty="10"))
        with pytest.raises(StoreError):
            await s.journal_parent(parent("P1", qty="99"))
        [row] = await s.parents()
        assert row["quantity"] == Decimal("10")
        s._writer.refused.clear()  # type: ignore[union-attr]


async def test_updates_upsert_the_child_and_open_children_skips_terminal_ones(store):
    await store.journal_child(child("C1"))
    await store.journal_child(child("C2"))
    await store.journal_child(child("C3"))
    c1 = child("C1", status=OrderStatus.PARTIALLY_FILLED)
    c1.filled_qty, c1.avg_price, c1.venue_order_id = Decimal("0.000000007"), Decimal("150.1"), "X9"
    store.update_child(c1)
    store.update_child(child("C2", status=OrderStatus.FILLED))
    store.update_child(child("C3", status=OrderStatus.CANCELLED))
    await store.flush()
    [open_row] = await store.open_children()
    assert open_row["client_order_id"] == "C1" and open_row["status"] == "partially_filled"
    assert open_row["filled_qty"] == Decimal("0.000000007") and open_row["venue_order_id"] == "X9"
    assert open_row["created_ts"] == T0 + 1


async def test_the_same_venue_fill_twice_is_stored_once(store):
    f = fill("F1")
    for _ in range(3):
        store.record_fill(f, parent_id="P1", algo="twap", metrics=metrics_for(f))
    other_venue = fill("F1", venue="V2")
    store.record_fill(other_venue, parent_id="P1", algo="twap", metrics=metrics_for(other_venue))
    await store.flush()
    assert [(r["venue"], r["fill_id"]) for r in await store.fills()] == [("V1", "F1"), ("V2", "F1")]


async def test_many_fire_and_forget_writes_share_few_transactions(history_url):
    async with Store(history_url, batch_max=500) as s:
        before = s.transactions
        for i in range(2000):
            s.record_event(ts=T0 + i, kind="tick", payload={"i": i})
        await s.flush()
        assert s.transactions - before <= 5  # 2000 rows, at most 500 per transaction
        assert len(await s.events(kind="tick")) == 2000


async def test_fire_and_forget_rows_reach_disk_without_a_flush(history_url):
    async with Store(history_url, batch_interval_ms=1) as s:
        s.record_denial(
            ts=T0,
            client_order_id="C1",
            venue="V1",
            symbol="AAPL",
            check="notional",
            reason="too big",
        )
        for _ in range(2000):  # the writer commits on its own within its interval
            if (await read_elsewhere(history_url, "SELECT count(*) FROM denials"))[0][0]:
                break
            await _tick()
        assert await read_elsewhere(history_url, "SELECT check_name, reason FROM denials") == [
            ("notional", "too big")
        ]


async def _tick() -> None:
    import asyncio

    await asyncio.sleep(0.001)


async def test_close_writes_everything_still_queued(history_url):
    s = Store(history_url, batch_interval_ms=60_000)
    await s.open()
    s.record_alert(ts=T0, kind="slippage", message="m", value=11.0, threshold=10.0, venue="V1")
    await s.close()
    assert await read_elsewhere(
        history_url, "SELECT kind, value, threshold, venue FROM alerts"
    ) == [("slippage", 11.0, 10.0, "V1")]


@pytest.mark.parametrize(
    "change", [{"client_order_id": "C2"}, {"price": Decimal("150.06")}, {"quantity": Decimal(4)}]
)
async def test_a_reused_fill_id_for_another_execution_is_an_error_not_a_drop(history_url, change):
    errors: list[BaseException] = []
    async with Store(history_url, on_error=errors.append) as s:
        first = fill("F1")
        s.record_fill(first, parent_id="P1", algo="twap", metrics=metrics_for(first))
        await s.flush()
        other = dataclasses.replace(first, **change)
        s.record_fill(other, parent_id="P1", algo="twap", metrics=metrics_for(other))
        with pytest.raises(StoreError, match="fill conflict"):
            await s.flush()
        assert any("fill conflict" in str(e) for e in errors)
        assert s.unwritten == 1  # kept, not dropped
        assert [r["client_order_id"] for r in await s.fills()] == ["C1"]
        s._writer.unwritten.clear()  # type: ignore[union-attr]
        s._writer.refused.clear()  # type: ignore[union-attr]


async def test_a_bad_row_is_reported_kept_and_does_not_hold_back_the_rest(history_url):
    errors: list[BaseException] = []
    async with Store(history_url, on_error=errors.append) as s:
        s.record_event(ts=T0, kind="good", payload={})
        s.record_alert(ts=T0, kind="bad", message="m", value=object(), threshold=1.0)  # type: ignore[arg-type]
        s.record_event(ts=T0 + 1, kind="good", payload={})
        with pytest.raises(StoreError, match="1 rows not written"):
            await s.flush()
        assert len(errors) >= 2  # the batch and its one retry
        assert len(await s.events(kind="good")) == 2
        assert s.unwritten == 1
        with pytest.raises(StoreError):  # still failing: surfaced again, not silently dropped
            await s.flush()
        s._writer.unwritten.clear()  # type: ignore[union-attr]
        s._writer.refused.clear()  # type: ignore[union-attr]


async def test_a_version_1_file_is_migrated_and_keeps_its_fills(tmp_path):
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.executescript(MIGRATIONS[0] + "\nPRAGMA user_version = 1;")
    ts = T0 + 5 * 3600  # hour of day 3 (T0 is 22:13 UTC)
    con.execute(
        "INSERT INTO fills VALUES ('V1','F1','C1','P1','twap','AAPL','buy','2','150.5','0','',?,301.0,3.0,4.0,500.0)",
        (ts,),
    )
    con.commit()
    con.close()
    async with Store(path) as s:
        assert await s.schema_version() == SCHEMA_VERSION
        [row] = await s.fills()
        assert row["price"] == Decimal("150.5") and row["hour"] == int(ts // 3600) % 24 == 3
        assert await s.venue_slippage(symbol="AAPL", hour_bucket=3, since_ts=0) == {"V1": (3.0, 1)}
        s.record_alert(ts=ts, kind="latency", message="m", value=1, threshold=0)
        await s.flush()
        assert len(await s.alerts()) == 1


async def test_a_file_from_a_newer_build_is_refused_untouched(tmp_path):
    path = tmp_path / "new.db"
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    with pytest.raises(StoreError, match="newer than this build"):
        await Store(path).open()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1


async def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("hello, this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a database"):
        await Store(path).open()


async def test_writes_to_a_closed_store_are_reported_not_raised_into_the_engine(history_url):
    errors: list[BaseException] = []
    s = Store(history_url, on_error=errors.append)
    s.record_event(ts=0, kind="late", payload={"x": 1})  # e.g. a venue update after stop()
    assert len(errors) == 1 and "not open" in str(errors[0]) and "late" in str(errors[0])
    with pytest.raises(StoreError, match="not open"):  # the journal must never pretend
        await s.journal_child(child())


async def test_numeric_columns_come_back_as_numpy_arrays_on_both_backends(store):
    for i in range(3):
        f = fill(f"F{i}", ts=T0 + i)
        store.record_fill(f, parent_id="P1", algo="twap", metrics=metrics_for(f))
    await store.flush()
    ts, hour = await store.columns(
        "SELECT ts, CAST(hour AS BIGINT) FROM fills WHERE ts >= ? ORDER BY ts", (T0,), ["f8", "i8"]
    )
    assert ts.tolist() == [T0, T0 + 1, T0 + 2] and ts.dtype.kind == "f"
    assert hour.tolist() == [int(T0 // 3600) % 24] * 3 and hour.dtype.kind == "i"
    null = "SELECT shortfall_bps FROM parents UNION ALL SELECT NULL"
    if store.dialect == "postgresql":  # binary COPY: a NULL is refused, never a shifted column
        with pytest.raises(ValueError, match="NULL"):
            await store.columns(null, (), ["f8"])
    else:  # SQLite's rows: a NULL float is NaN
        [col] = await store.columns(null, (), ["f8"])
        assert col.size == 1 and col[0] != col[0]
