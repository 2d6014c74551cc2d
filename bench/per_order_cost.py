"""Per-child-order cost as the session's history grows: it must stay flat.

One engine on the simulated venues in simulated time, no store, runs parent after parent (TWAP on
one venue); the wall time per child order is measured over the first `--early` parents and again
over the last `--early` of `--parents`. Same engine, same work per order: the ratio late / early
is 1.0 for a flat cost, and grows when each order scans everything sent before it.

    .venv/bin/python -m bench.per_order_cost [--parents 600] [--early 100]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from decimal import Decimal

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


async def measure(parents: int, early: int) -> tuple[float, float, int]:
    """(us per child over the first `early` parents, over the last `early`, children in all)."""
    eng = build_engine(settings(), store=False)
    await eng.start()
    try:
        marks: list[tuple[float, int]] = []
        for i in range(parents):
            if i in (0, early, parents - early):
                marks.append((time.perf_counter(), len(eng.children)))
            side = Side.BUY if i % 2 == 0 else Side.SELL  # the position stays near flat
            pid = await eng.submit(Ticket("AAPL", side, Decimal(800), algo="twap", venue="SIM-A"))
            await eng.wait(pid)
        marks.append((time.perf_counter(), len(eng.children)))
    finally:
        await eng.stop()
    (t0, n0), (t1, n1), (t2, n2), (t3, n3) = marks
    return (t1 - t0) / (n1 - n0) * 1e6, (t3 - t2) / (n3 - n2) * 1e6, n3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parents", type=int, default=600)
    ap.add_argument("--early", type=int, default=100)
    a = ap.parse_args()
    first, last, children = asyncio.run(measure(a.parents, a.early))
    print(
        f"per child order, simulated venues, no store: {children} children over {a.parents} parents"
    )
    print(f"  first {a.early} parents  {first:8.1f} us / child")
    print(f"  last {a.early} parents   {last:8.1f} us / child")
    print(f"  ratio late / early      {last / first:8.2f}   (1.0 = flat)")


if __name__ == "__main__":
    main()
