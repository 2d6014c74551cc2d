"""`store migrate` between a real SQLite file and a real PostgreSQL server: every row arrives once,
an interrupted copy resumes where it stopped, and `store check` finds orphans."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.models import ChildOrder, OrderType, Side, TimeInForce
from engine.quality import build_report
from engine.store import Store
from engine.store.check import check_store
from engine.store.migrate import migrate
from tests.fakes.history import T0, seed_history


async def seed_everything(s: Store) -> None:
    await seed_history(s, 1200)
    for i in range(40):
        await s.journal_child(
            ChildOrder(
                f"P{i % 12}-{i}",
                f"P{i % 12}",
                "V1",
                "AAPL",
                Side.BUY,
                Decimal("0.5"),
                OrderType.LIMIT,
                Decimal("100.25"),
                TimeInForce.GTC,
                created_ts=T0 - i,
                meta={"slice": i},
            )  # fmt: skip
        )
        s.record_event(ts=T0 + i, kind="tick", payload={"i": i})
        s.record_denial(ts=T0 + i, client_order_id=f"X{i}", venue="V1", symbol="AAPL",
                        check="notional", reason="too big")  # fmt: skip
    s.record_alert(ts=T0, kind="slippage", message="m", value=12.5, threshold=10.0, venue="V1")
    for i in range(3):
        await s.claim_signal(signal_id=f"sig-{i}", received_ts=T0 + i, signal_ts=T0 + i - 0.5,
                             source="redis", symbol="AAPL", direction="long",
                             payload='{"strength": 0.7}', claim=f"c{i}")  # fmt: skip
    await s.update_signal("sig-1", status="executed", reason="", parent_id="P1", ts=T0 + 9)
    await s.flush()


async def contents(s: Store) -> dict:
    return {
        "parents": sorted(await s.parents(), key=lambda r: r["parent_id"]),
        "children": await s.children(),
        "fills": sorted(await s.fills(), key=lambda r: (r["venue"], r["fill_id"])),
        "events": [(e["ts"], e["kind"], e["payload"]) for e in await s.events()],
        "denials": [(d["ts"], d["client_order_id"]) for d in await s.denials()],
        "alerts": [(a["ts"], a["value"]) for a in await s.alerts()],
        "signals": await s.signal_rows(),
    }


async def test_sqlite_to_postgres_and_back_keeps_every_row_exactly(tmp_path, pg_history):
    async with Store(tmp_path / "a.db") as lite:
        await seed_everything(lite)
        want = await contents(lite)
        async with Store(pg_history) as pg:
            counts = await migrate(lite, pg, page=500)
            assert all(c.ok for c in counts) and {c.table for c in counts} >= {"fills", "events"}
            assert {c.table: c.copied for c in counts}["fills"] == 1200
            assert await contents(pg) == want
            lite_report = await build_report(lite, since_ts=T0 - 30 * 86400, by="algo")
            pg_report = await build_report(pg, since_ts=T0 - 30 * 86400, by="algo")
            assert [g["fills"] for g in pg_report["groups"]] == [
                g["fills"] for g in lite_report["groups"]
            ]
            async with Store(tmp_path / "back.db") as back:
                assert all(c.ok for c in await migrate(pg, back, page=700))
                assert await contents(back) == want


class Interrupted(Exception):
    pass


async def test_an_interrupted_migration_resumes_and_copies_nothing_twice(tmp_path, pg_history):
    async with Store(tmp_path / "a.db") as lite, Store(pg_history) as pg:
        await seed_everything(lite)
        pages = []

        def stop_after_three(table: str, rows: int) -> None:
            pages.append(table)
            if len(pages) == 3:
                raise Interrupted  # as a killed process: the third page committed, nothing after

        with pytest.raises(Interrupted):
            await migrate(lite, pg, page=200, on_page=stop_after_three)
        [(copied,)] = await pg.query("SELECT count(*) FROM parents")
        assert copied == 12  # the first table is done; children stopped part way
        counts = await migrate(lite, pg, page=200)
        assert all(c.ok for c in counts)
        assert {c.table: (c.source, c.destination) for c in counts}["events"] == (40, 40)
        assert await contents(pg) == await contents(lite)


async def test_migrating_a_history_onto_itself_is_refused(tmp_path):
    async with Store(tmp_path / "a.db") as a, Store(f"sqlite:///{tmp_path / 'a.db'}") as b:
        with pytest.raises(ValueError, match="same history"):
            await migrate(a, b)


async def test_check_reports_version_counts_and_orphan_fills(history_url):
    async with Store(history_url) as s:
        await seed_everything(s)
        report = await check_store(s)
    assert report["schema_version"] == report["schema_latest"]
    assert report["rows"]["fills"] == 1200 and report["rows"]["events"] == 40
    # the seeded fills name children that were never journalled: orphans, and said so
    assert report["orphans"]["fills without their child order"] == 1200
    assert report["orphans"]["child orders without their parent"] == 0
    assert report["ok"] is False
