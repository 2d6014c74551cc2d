"""Calibration of the pre-trade cost estimate: the share of parents whose realised shortfall falls
inside their 90% interval (target 85-95%), and realised / estimated mean shortfall, on the
simulated venues: each parent on its own seeded path, at its own time into it (0-30 min, so
spreads, books and the volatility regime differ), estimated by the engine's plan and then sent as
planned.

    .venv/bin/python -m bench.estimate_calibration [--paths 120]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import defaultdict
from decimal import Decimal
from statistics import fmean, pstdev

from bench.paths import run_path, tweak
from engine.brokers.base import Broker
from engine.clock import SimClock
from engine.config import Settings
from engine.models import Side, Ticket
from engine.sim.venues import build_simulated_venues

# (symbol, quantity, algo): equities and crypto, small to large against ADV, every model shape
CASES = [
    ("AAPL", "3000", "twap"),
    ("AAPL", "500", "market"),
    ("BTCUSDT", "2", "arrival"),
    ("AAPL", "20000", "vwap"),
    ("MSFT", "2000", "pov"),
    ("BTCUSDT", "0.5", "twap"),
    ("AAPL", "8000", "arrival"),
    ("MSFT", "300", "limit"),
    ("BTCUSDT", "1", "market"),
    ("GOOG", "5000", "twap"),
]


def venues(s: Settings, clock: SimClock, seed: int) -> dict[str, Broker]:
    return build_simulated_venues(tweak(s, sim__seed=seed), clock)


async def main(paths: int) -> None:
    settings = tweak(
        Settings(),
        sim__starting_cash=Decimal(10**10),
        execution__max_slippage_pct=0.5,
        risk__max_child_notional=Decimal(10**9),
        risk__max_child_quantity=Decimal(10**9),
        risk__max_position_per_symbol=Decimal(10**9),
    )
    rows: dict[str, list[tuple[float, float, float, float]]] = defaultdict(list)
    t = time.perf_counter()
    for seed in range(1, paths + 1):
        symbol, qty, algo = CASES[seed % len(CASES)]
        ticket = Ticket(symbol, Side.BUY if seed % 2 else Side.SELL, Decimal(qty), algo=algo)
        est: list[tuple[float, float, float]] = []

        async def act(eng, ticket=ticket, est=est, warm=(seed * 7919) % 1800) -> str:
            await eng.clock.sleep(warm)  # start somewhere into the path: its own spread and regime
            plan = await eng.plan(ticket)
            e = plan.estimate.chosen
            est.append((e.mean_bps, e.low_bps, e.high_bps))
            return await eng.submit(ticket, plan)

        rep = await run_path(settings, venues, seed, act)
        if rep.shortfall_bps is None:
            continue
        mean, lo, hi = est[0]
        rows[algo].append((rep.shortfall_bps, mean, lo, hi))
    wall = time.perf_counter() - t
    every = [r for rs in rows.values() for r in rs]
    print(f"{len(every)} parents on seeded simulated paths, {wall:.0f} s")
    print_calibration(rows, "calibration")


def print_calibration(rows: dict[str, list[tuple[float, float, float, float]]], label: str) -> None:
    """Per algorithm and overall: share of (realised, mean, low, high) inside the interval."""
    every = [r for rs in rows.values() for r in rs]
    for algo, rs in sorted(rows.items()):
        inside = sum(lo <= x <= hi for x, _, lo, hi in rs) / len(rs)
        z = [(x - m) / max((hi - lo) / 2 / 1.6449, 1e-9) for x, m, lo, hi in rs]
        print(
            f"  {algo:<8} n={len(rs):>3}  inside 90% interval {inside:6.1%}  "
            f"realised {fmean(x for x, *_ in rs):7.2f} bps  estimated {fmean(m for _, m, *_ in rs):7.2f} bps  "
            f"sd of (realised - estimate) / model sd {pstdev(z):.2f} (1 = calibrated)"
        )
    inside = sum(lo <= x <= hi for x, _, lo, hi in every) / len(every)
    realised, estimated = fmean(x for x, *_ in every), fmean(m for _, m, *_ in every)
    print(
        f"{label}: {inside:.1%} of parents inside their 90% interval (target 85-95%); "
        f"realised / estimated mean shortfall {realised / estimated:.3f} ({realised:.2f} vs {estimated:.2f} bps)"
    )


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--paths", type=int, default=120)
    a = p.parse_args()
    asyncio.run(main(a.paths))
