"""Kill switch: time to cancel 200 open orders on 4 venues over the time of one cancel (ratio).

Each venue answers a cancel after a fixed network delay, as a real venue would; the ratio shows
how much the concurrent fan-out saves over 200 sequential round trips (which would give ~200).
Run: python -m bench.kill_switch
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from engine.brokers.paper import PaperBroker
from engine.clock import LiveClock
from engine.config import Settings
from engine.factory import build_engine
from engine.models import ChildOrder, Side, Signal, Ticket

DELAY_S = 0.005
ORDERS = 200
VENUES = 4


class DelayedBroker(PaperBroker):
    """A paper venue whose cancels take one network round trip."""

    async def cancel(self, order: ChildOrder) -> None:
        await asyncio.sleep(DELAY_S)
        await super().cancel(order)


async def one_round(db: Path) -> tuple[float, float]:
    clock = LiveClock()
    brokers = {
        f"V{i}": DelayedBroker(f"V{i}", clock, cash=Decimal(10**8), seed=i + 1)
        for i in range(VENUES)
    }
    settings = Settings.model_validate({"risk": {"max_orders_per_second_per_venue": 10_000}})
    eng = build_engine(settings, clock=clock, db_path=db, brokers=dict(brokers))
    await eng.start()
    for i in range(ORDERS):
        v = f"V{i % VENUES}"
        q = await eng.brokers[v].top_of_book("AAPL")
        await eng.submit(
            Ticket("AAPL", Side.BUY, Decimal(1), Signal(), q.bid - Decimal(1), "limit", v)
        )
    while sum([len(await b.open_orders()) for b in brokers.values()]) < ORDERS:
        await asyncio.sleep(0.001)
    probe = next(c for c in eng.children.values() if c.status.is_open)
    t0 = time.perf_counter()
    await eng.brokers[probe.venue].cancel(probe)
    single = time.perf_counter() - t0
    eng.children.pop(probe.client_order_id)
    report = await eng.kill()
    await eng.stop()
    assert report.cancelled == ORDERS - 1, report
    return report.elapsed_ms / 1000, single


async def main() -> None:
    rounds = []
    with tempfile.TemporaryDirectory() as d:
        for i in range(5):
            rounds.append(await one_round(Path(d) / f"k{i}.db"))
    ratios = [k / s for k, s in rounds]
    print(
        f"kill switch: {ORDERS - 1} open orders on {VENUES} venues, cancel round trip {DELAY_S * 1000:.0f} ms"
    )
    print(
        f"  kill time / one cancel: median {statistics.median(ratios):.2f}  (min {min(ratios):.2f}, max {max(ratios):.2f}; sequential would be ~{ORDERS})"
    )
    print(
        f"  kill median {statistics.median(k for k, _ in rounds) * 1000:.1f} ms, one cancel median {statistics.median(s for _, s in rounds) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
