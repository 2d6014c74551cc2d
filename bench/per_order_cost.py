"""Per-child-order cost as the session's history grows: it must stay flat.

One engine on the simulated venues in simulated time runs parent after parent (TWAP on one
venue, 8 children each), without a store and again with one (a real SQLite file); the wall time
per child order is measured over `--window` parents after the 10th and again after the
`--at`th. Same engine, same work per order: the ratio is 1.0 for a flat cost, and grows when each
order scans everything sent before it (target: <= 1.2 at 1,000 parents).

    .venv/bin/python -m bench.per_order_cost [--at 1000] [--window 20]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from engine.config import Settings
from engine.factory import build_engine
from engine.models import Side, Ticket


def settings() -> Settings:
    s = Settings()
    return s.model_copy(
        update={
            "router": s.router.model_copy(
                update={"twap_num_slices": 8, "twap_interval_seconds": 5.0}
            )
        }
    )


async def measure(at: int, window: int, db: Path | None) -> tuple[float, float, int]:
    """(us per child over parents 10..10+window, over at..at+window, children in all)."""
    eng = build_engine(settings(), store=db is not None, db_path=db)
    await eng.start()
    spans = {10: 10 + window, at: at + window}
    marks: dict[int, tuple[float, int]] = {}
    try:
        for i in range(at + window + 1):
            if i in spans or i in spans.values():
                if eng.store is not None:
                    await eng.store.flush()  # each window starts with nothing queued
                marks[i] = (time.perf_counter(), len(eng.children))
            side = Side.BUY if i % 2 == 0 else Side.SELL  # the position stays near flat
            pid = await eng.submit(Ticket("AAPL", side, Decimal(800), algo="twap", venue="SIM-A"))
            await eng.wait(pid)
    finally:
        await eng.stop()

    def per_child(start: int) -> float:
        (t0, n0), (t1, n1) = marks[start], marks[spans[start]]
        return (t1 - t0) / (n1 - n0) * 1e6

    return per_child(10), per_child(at), len(eng.children)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--at", type=int, default=1000)
    ap.add_argument("--window", type=int, default=20)
    a = ap.parse_args()
    print(
        f"per child order, simulated venues: parents 10-{10 + a.window} vs {a.at}-{a.at + a.window}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for label, db in (("no store", None), ("with store", Path(tmp) / "fills.db")):
            first, late, children = asyncio.run(measure(a.at, a.window, db))
            print(
                f"  {label:<11} {first:8.1f} us at 10, {late:8.1f} us at {a.at}: "
                f"ratio {late / first:5.2f}  (target <= 1.2; {children} children)"
            )


if __name__ == "__main__":
    main()
