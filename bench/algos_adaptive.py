"""Adaptive TWAP against static TWAP: implementation shortfall on identical simulated paths.

History: `--history` earlier seeded runs of the static TWAP (their own paths) store their fills
in a real SQLite file; the adaptive layer reads the 30-day bucket medians from that file (frozen
at the start, so both arms of a pair see the same evidence). Then on `--paths` fresh seeded
paths the same parent runs as static TWAP and as adaptive TWAP (every parent on the adaptive
path). Plausible band about 0.9; far below 0.7 on paths with no signal would suggest a leak.

    .venv/bin/python -m bench.algos_adaptive [--paths 200] [--history 10] [--qty 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from bench.paths import T0, FrozenHistory, paired, run_path, show, tweak
from engine.algos.adaptive import decide
from engine.brokers.base import Broker
from engine.clock import SimClock
from engine.config import Settings
from engine.models import Side, Ticket
from engine.sim.venues import build_simulated_venues


def venues(s: Settings, clock: SimClock, seed: int) -> dict[str, Broker]:
    return build_simulated_venues(tweak(s, sim__seed=seed), clock)


async def main(paths: int, history: int, qty: int, venue: str) -> None:
    settings = tweak(
        Settings(),
        sim__symbols=["AAPL"],
        sim__starting_cash=Decimal(10**10),
        execution__max_slippage_pct=0.5,
        algos__adaptive_fraction=1.0,
        risk__max_child_notional=Decimal(10**9),
        risk__max_child_quantity=Decimal(10**9),
        risk__max_position_per_symbol=Decimal(10**9),
    )

    def algo(name: str):
        async def act(eng) -> str:
            return await eng.submit(Ticket("AAPL", Side.BUY, Decimal(qty), algo=name, venue=venue))

        return act

    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "history.db"
        for seed in range(1000, 1000 + history):
            await run_path(settings, venues, seed, algo("twap"), db=db)
        frozen = await FrozenHistory.snapshot(db, settings, "AAPL", T0)
    costs: dict[str, list[float]] = {"static": [], "adaptive": []}
    decided = ""
    for seed in range(1, paths + 1):
        costs["static"].append(
            (await run_path(settings, venues, seed, algo("twap"), store=frozen)).shortfall_bps
            or 0.0
        )
        rep = await run_path(settings, venues, seed, algo("adaptive"), store=frozen)
        costs["adaptive"].append(rep.shortfall_bps or 0.0)
        decided = f"{rep.slices[0].total} slices, decided by {rep.slices[0].decided_by}"
    p = await decide(frozen, "AAPL", qty * 190.0, T0, settings)
    print(
        f"command: .venv/bin/python -m bench.algos_adaptive --paths {paths} --history {history} --qty {qty} --venue {venue}"
    )
    print(
        f"bucket {p.bucket}: median slippage {p.median_bps} bps over {p.samples} fills -> {p.slices} slices every {p.interval_s:g} s ({decided}); static {settings.router.twap_num_slices} x {settings.router.twap_interval_seconds:g} s"
    )
    print(
        show(
            "adaptive / static TWAP implementation shortfall",
            paired(costs["adaptive"], costs["static"]),
        )
    )
    print(f"elapsed {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--paths", type=int, default=200)
    ap.add_argument("--history", type=int, default=10)
    ap.add_argument("--qty", type=int, default=20000)
    ap.add_argument("--venue", default="SIM-A")
    a = ap.parse_args()
    asyncio.run(main(a.paths, a.history, a.qty, a.venue))
