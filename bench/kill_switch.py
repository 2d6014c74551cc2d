"""Kill switch: time to cancel N open orders on 4 venues over the time of one cancel (ratio).

Each venue answers a cancel after a fixed network delay, as a real venue would. The same orders
are also cancelled one after another (the sequential baseline, measured in the same run, not
assumed), so the ratio shows what the concurrent fan-out saves. Target: 1,000 orders <= 2x one cancel.
Run: python -m bench.kill_switch [--orders 1000] [--rounds 3]
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
VENUES = 4
BATCH = 20  # orders per batch-cancel request (OKX's maximum)
CONFIRMED: dict[str, list[tuple[float, float]]] = {}  # per kind of venue, per kill:
# (until every venue confirmed, one cancel)


class DelayedBroker(PaperBroker):
    """A paper venue whose cancels take one network round trip."""

    async def cancel(self, order: ChildOrder) -> None:
        await asyncio.sleep(DELAY_S)
        await super().cancel(order)

    async def cancel_all(self) -> list[str] | None:
        """A venue with a cancel-all request (Binance DELETE /api/v3/openOrders): one round trip."""
        await asyncio.sleep(DELAY_S)
        return await super().cancel_all()


class OneByOneBroker(DelayedBroker):
    """A venue without a cancel-all request: the kill cancels order by order."""

    async def cancel_all(self) -> list[str] | None:
        return None


class BatchBroker(OneByOneBroker):
    """A venue with a batch-cancel endpoint and no cancel-all (OKX cancel-batch-orders): one
    round trip per BATCH orders, the requests in flight together."""

    async def cancel_batch(self, orders: list[ChildOrder]) -> list[str] | None:
        async def one(batch: list[ChildOrder]) -> list[str]:
            await asyncio.sleep(DELAY_S)
            for c in batch:
                await PaperBroker.cancel(self, c)
            return [c.client_order_id for c in batch]

        done = await asyncio.gather(
            *(one(orders[i : i + BATCH]) for i in range(0, len(orders), BATCH))
        )
        return [cid for ids in done for cid in ids]


async def one_round(
    db: Path, orders: int, sequential: bool = False, venue: type[DelayedBroker] = DelayedBroker
) -> tuple[float, float]:
    """(seconds to cancel every open order but one, seconds of one cancel)."""
    clock = LiveClock()
    brokers = {
        f"V{i}": venue(f"V{i}", clock, cash=Decimal(10**8), seed=i + 1) for i in range(VENUES)
    }
    settings = Settings.model_validate({"risk": {"max_orders_per_second_per_venue": 10_000}})
    eng = build_engine(settings, clock=clock, db_path=db, brokers=dict(brokers))
    await eng.start()
    for i in range(orders):
        v = f"V{i % VENUES}"
        q = await eng.brokers[v].top_of_book("AAPL")
        await eng.submit(
            Ticket("AAPL", Side.BUY, Decimal(1), Signal(), q.bid - Decimal(1), "limit", v)
        )
    while sum([len(await b.open_orders()) for b in brokers.values()]) < orders:
        await asyncio.sleep(0.001)
    probe = next(c for c in eng.children.values() if c.status.is_open)
    t0 = time.perf_counter()
    await eng.desk.cancel_child(probe)  # one cancel through the same engine path the kill takes
    single = time.perf_counter() - t0
    if sequential:  # the baseline: the same cancels, one round trip after another
        t0 = time.perf_counter()
        for c in [c for c in eng.children.values() if c.status.is_open]:
            await eng.brokers[c.venue].cancel(c)
        took = time.perf_counter() - t0
        await eng.stop()
        return took, single
    report = await eng.kill()
    await eng.stop()
    assert report.cancelled == orders - 1, report
    CONFIRMED.setdefault(venue.__name__, []).append((report.cancel_ms / 1000, single))
    return report.elapsed_ms / 1000, single


async def main(orders: int, rounds: int) -> None:
    kills, batches, singles, seqs = [], [], [], []
    with tempfile.TemporaryDirectory() as d:
        for i in range(rounds):  # interleaved: the machine's load falls on all four alike
            kills.append(await one_round(Path(d) / f"k{i}.db", orders))
            batches.append(await one_round(Path(d) / f"b{i}.db", orders, venue=BatchBroker))
            singles.append(await one_round(Path(d) / f"o{i}.db", orders, venue=OneByOneBroker))
            seqs.append(await one_round(Path(d) / f"s{i}.db", orders, sequential=True))

    def ratio(rs: list[tuple[float, float]]) -> float:
        return statistics.median(k / s for k, s in rs)

    def ms(rs: list[tuple[float, float]]) -> float:
        return statistics.median(k for k, _ in rs) * 1000

    confirmed = [CONFIRMED[k.__name__] for k in (DelayedBroker, BatchBroker, OneByOneBroker)]
    print(
        f"kill switch: {orders - 1} open orders on {VENUES} venues, cancel round trip {DELAY_S * 1000:.0f} ms"
    )
    print(
        "  time / one cancel                  cancels confirmed   whole kill (+ rows, parents, flush)"
    )
    print(
        f"  venues with a cancel-all request   {ratio(confirmed[0]):8.2f}   {ratio(kills):8.2f} ({ms(kills):.0f} ms)   target <= 2"
    )
    print(
        f"  venues with batch cancel ({BATCH} each) {ratio(confirmed[1]):8.2f}   {ratio(batches):8.2f} ({ms(batches):.0f} ms)"
    )
    print(
        f"  venues order by order              {ratio(confirmed[2]):8.2f}   {ratio(singles):8.2f} ({ms(singles):.0f} ms)"
    )
    print(f"  sequential, measured, same cancels {ratio(seqs):8.2f}            ({ms(seqs):.0f} ms)")
    print(f"  one cancel {statistics.median(s for _, s in kills) * 1000:.1f} ms")


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    asyncio.run(main(a.orders, a.rounds))
