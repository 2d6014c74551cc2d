"""Signal latency: signal in to first child order sent, p50 / p99, at 100 signals a second.

Three paths into the same engine (paper venues, a real SQLite journal, auto mode), interleaved
second by second in one run so the noisy machine weighs on each alike:
- redis: the strategy XADDs to a real redis-server; the engine's consumer group reads it, the
  journal claims the id, Half-Kelly sizes it through the engine's preview, the auto limits pass it;
- http: the strategy POSTs it to the local API (a real uvicorn server on loopback), same desk;
- direct (the reference): the same ticket through the engine facade (preview, then submit), as the
  console sends a typed ticket: the same sizing, routing, risk gate and journal, no transport and
  no signal journal. The ratios say what taking signals from outside costs. Each path has at most
  64 signals in flight (the Redis reader's bound).
"First child sent" is the moment the venue adapter is asked to send it (after the risk gate and
the journal). Every signal published is counted: none may be lost or run twice.
Run: python -m bench.signal_latency [--rounds 3] [--rate 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import httpx
import redis.asyncio as aioredis

from engine.brokers.base import Ack
from engine.brokers.paper import PaperBroker
from engine.clock import LiveClock
from engine.config import Settings
from engine.factory import build_engine
from engine.models import ChildOrder
from engine.signals.desk import ticket_for
from engine.signals.events import SignalStatus, SignalUpdated
from engine.signals.message import parse_signal
from engine.signals.service import SignalService
from tests.fakes.servers import redis_server
from tests.fakes.signals import signal_json

FIRST_SENT: dict[str, float] = {}  # parent id -> perf_counter when its first child was sent
TOKEN = "bench-t0ken-0123456789abcdef"
JSON = {"content-type": "application/json"}
PATHS = ("redis", "http", "direct")


class TimedPaper(PaperBroker):
    """A paper venue that notes when each parent's first child reaches it."""

    async def submit(self, order: ChildOrder) -> Ack:
        FIRST_SENT.setdefault(order.parent_id, time.perf_counter())
        return await super().submit(order)


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000


async def run(
    rounds: int, rate: float, redis_url: str, db: Path, paths: tuple[str, ...] = PATHS
) -> dict[str, list[float]]:
    os.environ["TRANCHE_BENCH_API_TOKEN"] = TOKEN
    clock = LiveClock()
    venues = {
        f"V{i}": TimedPaper(f"V{i}", clock, cash=Decimal(10**8), seed=i + 1) for i in range(4)
    }
    settings = Settings.model_validate(
        {
            "risk": {"max_orders_per_second_per_venue": 100_000},
            "signals": {
                "mode": "auto",
                "redis_url": redis_url,
                "auto_symbols": ["AAPL"],
                "auto_max_notional": 10**12,
                "auto_max_per_minute": 10**6,
                "http_enabled": True,
                "http_port": 0,
                "http_token_env": "TRANCHE_BENCH_API_TOKEN",
            },
        }
    )
    eng = build_engine(settings, clock=clock, db_path=db, brokers=dict(venues))
    await eng.start()
    svc = SignalService(eng, settings.signals)
    await svc.start()
    parent_of: dict[str, str] = {}
    outcomes: dict[str, list[SignalStatus]] = {}
    reasons: dict[str, str] = {}
    queue = eng.subscribe()

    async def follow() -> None:
        while True:
            ev = await queue.get()
            if isinstance(ev, SignalUpdated) and ev.signal_id:
                outcomes.setdefault(ev.signal_id, []).append(ev.status)
                if ev.reason:
                    reasons[ev.signal_id] = ev.reason
                if ev.parent_id:
                    parent_of[ev.signal_id] = ev.parent_id

    follower = asyncio.get_running_loop().create_task(follow())
    r = aioredis.from_url(redis_url)
    http = httpx.AsyncClient(  # kept-alive connections, one per signal in flight
        base_url=svc.http.address,
        headers={"Authorization": f"Bearer {TOKEN}"},
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=64),
    )
    sent_at: dict[str, tuple[str, float]] = {}
    tasks: list[asyncio.Task[object]] = []

    slots = asyncio.Semaphore(64)  # the same bound as the Redis reader's signals in flight

    async def direct(sid: str, doc: str) -> None:
        async with slots:
            preview = await eng.preview(ticket_for(parse_signal(doc)))
            assert preview.plan is not None, preview.errors
            parent_of[sid] = await eng.submit(preview.plan.ticket, preview.plan)
        outcomes.setdefault(sid, []).append(SignalStatus.EXECUTED)

    async def post(doc: str) -> None:
        async with slots:
            await http.post("/v1/signals", content=doc, headers=JSON)

    n = 0
    for _ in range(rounds):
        for path in paths:
            t0 = time.perf_counter()
            for i in range(int(rate)):
                await asyncio.sleep(max(0.0, t0 + i / rate - time.perf_counter()))
                n += 1
                sid = f"{path}-{n}"
                doc = signal_json(
                    sid, clock.now(), direction="long" if n % 2 else "short", win_rate=0.505
                )
                sent_at[sid] = (path, time.perf_counter())
                if path == "redis":
                    await r.xadd(settings.signals.stream, {"signal": doc})
                elif path == "http":
                    tasks.append(asyncio.ensure_future(post(doc)))
                else:
                    tasks.append(asyncio.ensure_future(direct(sid, doc)))
    deadline = time.perf_counter() + 30
    while time.perf_counter() < deadline and not all(
        parent_of.get(s) in FIRST_SENT for s in sent_at
    ):
        await asyncio.sleep(0.05)
    errors = [e for e in await asyncio.gather(*tasks, return_exceptions=True) if e is not None]
    for e in errors[:5]:
        print(f"a request failed: {type(e).__name__}: {e}")
    follower.cancel()
    await http.aclose()
    await r.aclose()
    await svc.stop()
    await eng.stop()
    lat: dict[str, list[float]] = {"redis": [], "http": [], "direct": []}
    for sid, (path, t) in sent_at.items():
        pid = parent_of.get(sid)
        if pid in FIRST_SENT:
            lat[path].append(FIRST_SENT[pid] - t)
    undecided = [s for s in sent_at if s not in outcomes]
    twice = [s for s, o in outcomes.items() if o.count(SignalStatus.EXECUTED) > 1]
    other = [s for s, o in outcomes.items() if SignalStatus.EXECUTED not in o]
    print(
        f"published {len(sent_at)}; undecided after a 30 s drain {len(undecided)};"
        f" executed twice {len(twice)}; not executed {len(other)}"
    )
    for sid in other[:5]:
        print(f"  not executed: {sid}: {outcomes[sid]} {reasons.get(sid, '')}")
    return lat


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3, help="seconds per path, interleaved")
    ap.add_argument("--rate", type=float, default=100.0, help="signals per second")
    ap.add_argument(
        "--paths", default=",".join(PATHS), help="which paths, comma-separated (default: all three)"
    )
    a = ap.parse_args()
    paths = tuple(p for p in a.paths.split(",") if p)
    if not paths or set(paths) - set(PATHS):
        ap.error(f"--paths: choose from {', '.join(PATHS)}")
    with redis_server() as url, tempfile.TemporaryDirectory() as tmp:
        lat = asyncio.run(run(a.rounds, a.rate, url, Path(tmp) / "fills.db", paths))
    print(f"{'path':8} {'n':>5} {'p50 ms':>8} {'p99 ms':>8}")
    for path, xs in lat.items():
        if not xs:
            continue
        print(f"{path:8} {len(xs):5d} {pct(xs, 0.5):8.2f} {pct(xs, 0.99):8.2f}")
    ref = lat["direct"]
    for path in ("redis", "http"):
        if lat[path] and ref:
            print(
                f"{path}/direct: p50 {pct(lat[path], 0.5) / pct(ref, 0.5):.2f}, "
                f"p99 {pct(lat[path], 0.99) / pct(ref, 0.99):.2f}"
            )
    print(f"(mean redis {statistics.fmean(lat['redis']) * 1000:.2f} ms)" if lat["redis"] else "")


if __name__ == "__main__":
    main()
