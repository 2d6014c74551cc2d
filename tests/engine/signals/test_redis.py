"""Signals over a real redis-server with the official client: once each, through drops and restarts."""

from __future__ import annotations

import asyncio
import json

import pytest
import redis.asyncio as aioredis

from engine.config import SignalsConfig
from engine.signals.events import SignalStatus as S
from engine.signals.service import SignalService
from tests.fakes.redis_restart import RestartableRedis
from tests.fakes.signals import signal_json as one_signal

AUTO = {
    "mode": "auto",
    "auto_symbols": ["AAPL", "MSFT"],
    "auto_max_notional": 10**7,
    "auto_max_per_minute": 10_000,
}


def signal_json(sid: str, ts: float, **kw) -> str:
    """Alternately long and short, so the position stays inside the Kelly cap however many run."""
    tail = sid.rsplit("-", 1)[-1]
    n = int(tail) if tail.isdigit() else 0
    kw.setdefault("win_rate", 0.505)  # a small edge: decided concurrently, any order fits the cap
    return one_signal(sid, ts, direction="long" if n % 2 == 0 else "short", **kw)


def unique(prefix: str) -> dict[str, str]:
    """Streams of this test only: the session's Redis is shared by the tests."""
    return {
        "stream": f"{prefix}:signals",
        "fills_stream": f"{prefix}:fills",
        "orders_stream": f"{prefix}:orders",
    }


async def until(predicate, timeout_s: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.02)


@pytest.fixture
async def listening(make_live_engine):
    """listening(redis_url, **signals) -> a started SignalService on a started engine."""
    services = []

    async def make(url: str, **signals):
        eng = await make_live_engine()
        cfg = SignalsConfig(redis_url=url, **signals)
        svc = SignalService(eng, cfg)
        await svc.start()
        services.append(svc)
        return svc

    yield make
    for svc in services:
        await asyncio.wait_for(svc.stop(), 10)


async def all_acked(r, stream: str) -> None:
    """Entries are acknowledged shortly after they are decided (with the next read)."""
    for _ in range(200):
        if (await r.xpending(stream, "tranche"))["pending"] == 0:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{stream}: entries left unacknowledged")


def executed(svc: SignalService) -> list[str]:
    return [v.signal_id for v in svc.desk.recent if v.status is S.EXECUTED]


async def test_each_signal_executes_once_and_its_fills_are_published(redis_url, listening):
    names = unique("t1")
    svc = await listening(redis_url, **AUTO, **names)
    r = aioredis.from_url(redis_url)
    now = svc.engine.clock.now()
    for i in range(5):
        await r.xadd(names["stream"], {"signal": signal_json(f"one-{i}", now)})
    await r.xadd(names["stream"], {"signal": signal_json("one-2", now)})  # a producer's retry
    await until(lambda: len([v for v in svc.desk.recent if v.signal_id.startswith("one-")]) == 6)
    assert sorted(executed(svc)) == [f"one-{i}" for i in range(5)]
    dup = [v for v in svc.desk.recent if v.status is S.DUPLICATE]
    assert [v.signal_id for v in dup] == ["one-2"]
    for pid in [v.parent_id for v in svc.desk.recent if v.status is S.EXECUTED]:
        await svc.engine.wait(pid)
    await until(lambda: svc.publisher is not None and not svc.publisher.outbox)
    fills = [json.loads(f[b"fill"]) for _, f in await r.xrange(names["fills_stream"])]
    parents = {v.parent_id for v in svc.desk.recent if v.status is S.EXECUTED}
    assert {f["parent_id"] for f in fills} == parents
    assert sum(float(f["quantity"]) for f in fills) == float(
        sum(svc.engine.parents[p].filled_qty for p in parents)
    )
    updates = [f[b"kind"] for _, f in await r.xrange(names["orders_stream"])]
    assert b"SignalUpdated" in updates and b"ParentCompleted" in updates
    await all_acked(r, names["stream"])  # every entry acknowledged once decided
    await r.aclose()


async def test_a_malformed_entry_is_logged_acknowledged_and_the_listener_keeps_going(
    redis_url, listening
):
    names = unique("t2")
    svc = await listening(redis_url, **names)
    logs = svc.engine.subscribe()
    r = aioredis.from_url(redis_url)
    now = svc.engine.clock.now()
    await r.xadd(names["stream"], {"signal": b"{not json"})
    await r.xadd(names["stream"], {"sig": b"{}"})
    await r.xadd(names["stream"], {"signal": signal_json("m1", now, strength=7)})
    await r.xadd(names["stream"], {"signal": signal_json("ok", now)})
    await until(lambda: any(v.signal_id == "ok" for v in svc.desk.recent))
    bad = [v.reason for v in svc.desk.recent if v.status is S.MALFORMED]
    assert bad[0].startswith("signal: not JSON")
    assert bad[1] == "signal: the entry has no 'signal' field (fields: sig)"
    assert bad[2].startswith("strength:")
    seen = []
    while not logs.empty():
        seen.append(getattr(logs.get_nowait(), "message", ""))
    assert any("dropped: malformed: strength:" in m for m in seen)
    await all_acked(r, names["stream"])
    await r.aclose()


async def test_redis_going_away_and_back_loses_and_doubles_no_signal(listening):
    server = RestartableRedis()
    server.start()
    try:
        svc = await listening(server.url, **AUTO, **unique("t3"))
        assert svc.reader is not None
        producer = aioredis.from_url(server.url)

        async def publish(sid: str) -> None:
            """As a strategy would: retry until Redis takes it (a retry may add it twice)."""
            doc = signal_json(sid, svc.engine.clock.now())
            while True:
                try:
                    await producer.xadd("t3:signals", {"signal": doc})
                    return
                except (aioredis.ConnectionError, OSError):
                    await asyncio.sleep(0.05)

        for i in range(20):
            await publish(f"r-{i}")
        await until(lambda: len(executed(svc)) >= 5)
        server.crash()  # mid-stream: some entries read, some not yet acknowledged
        await until(lambda: not svc.reader.connected)
        server.start()
        for i in range(20, 40):
            await publish(f"r-{i}")
        wanted = {f"r-{i}" for i in range(40)}
        # every id executed (an id's first update may be "received": wait for its outcome)
        await until(lambda: wanted <= set(executed(svc)))
        outcomes = {
            v.signal_id: (v.status, v.reason)
            for v in svc.desk.recent
            if v.signal_id.startswith("r-")
        }
        assert sorted(executed(svc)) == sorted(f"r-{i}" for i in range(40)), outcomes
        assert svc.reader.reconnects >= 1 and svc.reader.connected
        assert len(svc.engine.parents) == 40
        await producer.aclose()
    finally:
        server.close()


async def test_a_restarted_listener_that_lost_its_acknowledgements_runs_nothing_twice(
    redis_url, listening
):
    """Redis restarted from an older file (or the acks never reached it): the entries come again,
    to a restarted engine on the same journal, and nothing is sent twice."""
    names = unique("t4")
    svc = await listening(redis_url, **AUTO, **names)
    r = aioredis.from_url(redis_url)
    now = svc.engine.clock.now()
    for i in range(3):
        await r.xadd(names["stream"], {"signal": signal_json(f"d-{i}", now)})
    await until(lambda: len(executed(svc)) == 3)
    await svc.stop()
    await svc.engine.stop()
    await r.xgroup_setid(names["stream"], "tranche", "0")  # every entry will be delivered again
    again = await listening(redis_url, **AUTO, **names)
    dups = lambda: {v.signal_id for v in again.desk.recent if v.status is S.DUPLICATE}  # noqa: E731
    await until(lambda: dups() == {"d-0", "d-1", "d-2"})
    assert not executed(again)
    assert set(again.engine.parents) <= {v.parent_id for v in svc.desk.recent}
    await r.aclose()


class AckLost(aioredis.Redis):
    """The real client, but the connection drops as the first acknowledgement is sent."""

    dropped = False

    async def xack(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not AckLost.dropped:
            AckLost.dropped = True
            raise aioredis.ConnectionError("connection reset by peer")
        return await super().xack(*args, **kwargs)


async def test_entries_delivered_before_a_drop_are_read_again_and_run_once(
    redis_url, make_live_engine
):
    names = unique("t5")
    eng = await make_live_engine()
    cfg = SignalsConfig(redis_url=redis_url, **AUTO, **names)
    svc = SignalService(eng, cfg)
    await svc.desk.start()
    from engine.signals.redis_in import RedisSignalReader

    reader = RedisSignalReader(cfg, svc.desk, client=lambda: AckLost.from_url(redis_url))
    r = aioredis.from_url(redis_url)
    now = eng.clock.now()
    for i in range(4):
        await r.xadd(names["stream"], {"signal": signal_json(f"p-{i}", now)})
    task = asyncio.get_running_loop().create_task(reader.run())
    try:
        await until(lambda: reader.reconnects == 1 and reader.connected)
        await until(lambda: len(svc.desk.recent) >= 8)
        assert sorted(executed(svc)) == [f"p-{i}" for i in range(4)]
        dups = sorted(v.signal_id for v in svc.desk.recent if v.status is S.DUPLICATE)
        assert dups == [f"p-{i}" for i in range(4)]  # re-read from the pending list, not re-run
        await until(lambda: reader.entries == 8)
        await all_acked(r, names["stream"])
    finally:
        reader.stopping = True
        task.cancel()
        await asyncio.wait({task}, timeout=2)
        await svc.stop()
        await r.aclose()


async def test_an_entry_the_store_could_not_claim_is_read_again_without_a_reconnect(
    redis_url, listening
):
    """The journal is briefly unavailable: the entry stays pending and is decided a moment later."""
    from engine.store.writer import StoreError

    names = unique("t6")
    svc = await listening(redis_url, **AUTO, **names)
    failures = []

    class FailsOnce:
        """The engine's journal, whose first claim fails as a locked file would."""

        def __init__(self, inner):
            self.inner = inner

        def __getattr__(self, name):
            return getattr(self.inner, name)

        async def claim_signal(self, **row):
            if not failures:
                failures.append(row["signal_id"])
                raise StoreError("fills.db: database is locked")
            return await self.inner.claim_signal(**row)

    svc.desk.journal = FailsOnce(svc.desk.journal)
    r = aioredis.from_url(redis_url)
    await r.xadd(names["stream"], {"signal": signal_json("k-0", svc.engine.clock.now())})
    await until(lambda: executed(svc) == ["k-0"], timeout_s=10)
    assert failures == ["k-0"] and svc.reader is not None and svc.reader.reconnects == 0
    await all_acked(r, names["stream"])
    await r.aclose()
