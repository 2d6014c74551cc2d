"""PostgreSQL's own failure modes against a real server: a wrong password, no server, a newer
schema, an older one, and the server going away mid-run (nothing lost, nothing written twice)."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import asyncpg
import pytest

from engine.config import ConfigError, load_settings
from engine.models import ChildOrder, OrderType, Side, TimeInForce
from engine.store import SCHEMA_VERSION, Store, StoreError
from engine.store.pg_schema import MIGRATIONS
from tests.fakes.histories import read_elsewhere
from tests.fakes.pg_cluster import PgCluster
from tests.fakes.servers import free_port

T0 = 1_700_000_000.0


def without_password(url: str) -> str:
    return url.replace("tranche:tranche@", "tranche@")


async def test_a_wrong_password_names_the_url_and_never_shows_the_password(pg_history):
    url = without_password(pg_history)
    with pytest.raises(StoreError) as err:
        await Store(url, password="hunter2-wrong").open()
    text = str(err.value)
    assert "password" in text and "tranche:****@127.0.0.1" in text
    assert "hunter2" not in text


async def test_no_server_at_the_address_is_a_clear_error_naming_it():
    port = free_port()
    url = f"postgresql://tranche@127.0.0.1:{port}/tranche"
    t0 = time.monotonic()
    with pytest.raises(StoreError, match=f"127.0.0.1:{port}/tranche: the server cannot be reached"):
        await Store(url, password="secret-pw").open()
    assert time.monotonic() - t0 < 10


async def test_a_database_of_a_newer_schema_is_refused_untouched(pg_history):
    async with Store(pg_history):
        pass
    base, _, query = pg_history.partition("?")
    schema = query.split("=", 1)[1]
    conn = await asyncpg.connect(base)
    await conn.execute(f"UPDATE {schema}.tranche_schema SET version = {SCHEMA_VERSION + 1}")
    await conn.close()
    with pytest.raises(StoreError, match="newer than this build") as err:
        await Store(pg_history).open()
    assert "tranche:****@" in str(err.value)
    rows = await read_elsewhere(pg_history, "SELECT version FROM tranche_schema")
    assert rows == [(SCHEMA_VERSION + 1,)]


async def test_a_version_1_database_is_migrated_and_keeps_its_fills(pg_history):
    base, _, query = pg_history.partition("?")
    conn = await asyncpg.connect(base, server_settings={"search_path": query.split("=", 1)[1]})
    await conn.execute(MIGRATIONS[0])
    await conn.execute(
        "CREATE TABLE tranche_schema (only_row BOOLEAN PRIMARY KEY DEFAULT TRUE, version INTEGER)"
    )
    await conn.execute("INSERT INTO tranche_schema VALUES (TRUE, 1)")
    ts = T0 + 5 * 3600
    await conn.execute(
        "INSERT INTO fills VALUES ('V1','F1','C1','P1','twap','AAPL','buy','2','150.5','0','',"
        "$1,301.0,3.0,4.0,500.0)",
        ts,
    )
    await conn.close()
    async with Store(pg_history) as s:
        assert await s.schema_version() == SCHEMA_VERSION
        [row] = await s.fills()
        assert row["price"] == Decimal("150.5") and row["hour"] == 3
        assert await s.venue_slippage(symbol="AAPL", hour_bucket=3, since_ts=0) == {"V1": (3.0, 1)}


def test_a_password_in_the_configured_url_is_refused_and_not_repeated(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("store:\n  url: postgresql://me:s3cret-pw@db.example:5432/fills\n")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg)
    assert "store.url" in str(err.value) and "password_env" in str(err.value)
    assert "s3cret" not in str(err.value)


def test_the_password_comes_from_the_variable_the_config_names(tmp_path, monkeypatch):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "store:\n  url: postgresql://me@db.example:5432/fills\n  password_env: MY_PG_PW\n"
    )
    monkeypatch.setenv("MY_PG_PW", "from-the-env")
    settings = load_settings(cfg)
    assert settings.store.password() == "from-the-env"
    store = Store(settings.store.resolved_url(), password=settings.store.password())
    assert store.url == "postgresql://me:****@db.example:5432/fills"
    assert "from-the-env" not in repr(store.target)


def child(i: int) -> ChildOrder:
    return ChildOrder(
        f"P1-{i}", "P1", "V1", "AAPL", Side.BUY, Decimal(1), OrderType.LIMIT, Decimal(100),
        TimeInForce.IOC, created_ts=T0,
    )  # fmt: skip


@pytest.fixture
def cluster():
    c = PgCluster()
    yield c
    c.remove()


async def test_the_server_stopped_mid_run_loses_nothing_and_writes_nothing_twice(cluster):
    errors: list[BaseException] = []
    s = Store(cluster.url, batch_max=2000, reconnect_s=1.0, on_error=errors.append)
    await s.open()
    try:
        n = 30_000

        async def writer() -> None:
            for i in range(n):  # rows with no natural key: a batch applied twice would show
                s.record_event(ts=T0 + i, kind="tick", payload={"i": i})
                if i % 500 == 0:
                    await asyncio.sleep(0.002)

        task = asyncio.create_task(writer())
        await asyncio.sleep(0.15)  # batches are in flight
        await asyncio.to_thread(cluster.stop)
        with pytest.raises(StoreError) as err:  # the journal refuses: nothing may be sent now
            await s.journal_child(child(1))
        assert f"tranche:****@127.0.0.1:{cluster.port}" in str(err.value)
        assert "tranche:tranche" not in str(err.value)
        await task
        await asyncio.to_thread(cluster.start)
        for _ in range(3):  # rows kept while it was down are written once it is back
            try:
                await s.flush()
                break
            except StoreError:
                await asyncio.sleep(0.5)
        await s.journal_child(child(2))
        [(count, distinct, lo, hi)] = await s.query(
            "SELECT count(*), count(DISTINCT payload), min(ts), max(ts) FROM events"
        )
        assert (count, distinct) == (n, n) and (lo, hi) == (T0, T0 + n - 1)
        assert errors and any("127.0.0.1" in str(e) for e in errors)
        # the refused journal row is kept and written later, like every row (the engine marks
        # that child rejected and never sends it); the one after the restart is committed
        assert "P1-2" in [c["client_order_id"] for c in await s.children()]
    finally:
        await s.close()


def test_the_store_password_is_scrubbed_from_the_event_log(tmp_path, monkeypatch):
    from engine.execution.logfile import configured_secrets, scrub

    cfg = tmp_path / "c.yaml"
    cfg.write_text("store:\n  url: postgresql://me@h:5432/fills\n  password_env: MY_PG_PW\n")
    monkeypatch.setenv("MY_PG_PW", "pw-in-a-log-line")
    secrets = configured_secrets(load_settings(cfg))
    assert scrub("connect failed for pw-in-a-log-line", secrets) == "connect failed for ***"


async def test_rows_kept_while_the_server_is_down_are_spilled_and_written_on_next_open(
    cluster, tmp_path, monkeypatch
):
    monkeypatch.setattr("engine.config.store_url.user_data_dir", lambda app: str(tmp_path))
    s = Store(cluster.url, reconnect_s=0.5, on_error=lambda e: None)
    await s.open()
    for i in range(100):
        s.record_event(ts=T0 + i, kind="before", payload={"i": i})
    await s.flush()
    await asyncio.to_thread(cluster.stop)
    for i in range(50):
        s.record_event(ts=T0 + 100 + i, kind="during", payload={"i": i})
    with pytest.raises(StoreError) as err:
        await s.close()
    spilled = s.path.with_name(s.path.name + ".unwritten.jsonl")
    assert "50 rows kept in" in str(err.value) and spilled.exists()
    assert spilled.parent == tmp_path and "tranche:tranche" not in str(err.value)
    await asyncio.to_thread(cluster.start)
    async with Store(cluster.url) as again:
        assert [len(await again.events(kind=k)) for k in ("before", "during")] == [100, 50]
    assert not spilled.exists()
