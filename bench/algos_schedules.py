"""The new schedules measured side by side on the same data:

1. VWAP vs TWAP tracking error against the interval VWAP, on replayed real trades (Binance spot
   LTCUSDT, ../shared/data/binance-trades): the profile is learned by the engine's own loader from
   2025-06-21 and tested on 2025-06-22 windows at times of day the first day covers; each slice
   trades at the market VWAP of its own time window (a small order: no impact), so the parent's
   price against the window's VWAP is the schedule's tracking error alone.
2. POV participation error: realised share of the venue's traded volume against the target, on
   the simulated venues (the engine's POV through the risk gate); and the most it ever was.
3. Arrival price vs TWAP at low and high urgency on the calibrated synthetic market: mean
   shortfall and its sd over paired seeded paths (high urgency must cost less risk: lower sd).

    .venv/bin/python -m bench.algos_schedules [--data DIR] [--paths 60]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gzip
import math
from decimal import Decimal
from pathlib import Path
from statistics import fmean, pstdev

from bench.paths import paired, run_path, show, tweak
from engine.algos.profile import load_profile
from engine.algos.slicing import twap_slices
from engine.algos.vwap import vwap_sizes
from engine.brokers.base import Broker
from engine.clock import SimClock
from engine.config import Settings
from engine.models import AlgoParams, Side, Ticket
from engine.sim.venues import build_simulated_venues

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "binance-trades"


def read_trades(files: list[Path]) -> list[tuple[float, float, float]]:
    out = []
    for f in files:
        with gzip.open(f, "rt") as fh:
            for row in csv.reader(fh):
                if row and row[0].isdigit():
                    out.append((int(row[0]) / 1000, float(row[1]), float(row[2])))
    out.sort()
    return out


def window_vwap(trades: list[tuple[float, float, float]], t0: float, t1: float) -> float | None:
    vol = sum(q for t, _, q in trades if t0 <= t < t1)
    return sum(p * q for t, p, q in trades if t0 <= t < t1) / vol if vol > 0 else None


def tracking(data: Path) -> None:
    day1 = sorted(data.glob("LTCUSDT_2025-06-21_*"))
    day2 = sorted(data.glob("LTCUSDT_2025-06-22_*"))
    trades = [t for t in read_trades(day2) if 1750550400 <= t[0] < 1750636800]  # 06-22 UTC
    print(f"1. VWAP vs TWAP tracking error, LTCUSDT: profile from {len(day1)} files of 06-21, "
          f"{len(trades)} trades of 06-22 replayed")  # fmt: skip
    day0 = 1750550400.0
    for horizon_min, slices, bucket in ((60, 12, 5), (120, 8, 15), (240, 16, 15)):
        prof = load_profile(",".join(str(f) for f in day1), bucket)
        errs: dict[str, list[float]] = {"vwap": [], "twap": []}
        start = day0 + 12.25 * 3600  # 12:15 UTC: 06-21 covers 12:04-23:59
        while start + horizon_min * 60 <= day0 + 19 * 3600:
            tau = horizon_min * 60 / slices
            edges = [i * tau for i in range(slices + 1)]
            bench = window_vwap(trades, start, start + horizon_min * 60)
            sub = [
                window_vwap(trades, start + a, start + b)
                for a, b in zip(edges, edges[1:], strict=False)
            ]
            if bench is not None and None not in sub:
                qty = Decimal(1000)
                for name, sizes in (
                    ("vwap", vwap_sizes(qty, prof, start, edges, Decimal("0.001"))),
                    ("twap", twap_slices(qty, slices, Decimal("0.001"))),
                ):
                    px = sum(float(q) * p for q, p in zip(sizes, sub, strict=True)) / float(qty)
                    errs[name].append(abs(px - bench) / bench * 10_000)
            start += 30 * 60
        v, t = errs["vwap"], errs["twap"]
        rms = lambda xs: math.sqrt(fmean(x * x for x in xs))  # noqa: E731
        print(
            f"   {horizon_min} min in {slices} slices, {bucket}-min profile, {len(v)} windows: "
            f"mean |error| VWAP {fmean(v):.2f} vs TWAP {fmean(t):.2f} bps (ratio {fmean(v) / fmean(t):.3f}); "
            f"rms {rms(v):.2f} vs {rms(t):.2f} (ratio {rms(v) / rms(t):.3f})"
        )


def venues(s: Settings, clock: SimClock, seed: int) -> dict[str, Broker]:
    return build_simulated_venues(tweak(s, sim__seed=seed), clock)


SETTINGS = tweak(
    Settings(),
    sim__starting_cash=Decimal(10**10),
    risk__max_child_notional=Decimal(10**9),
    risk__max_child_quantity=Decimal(10**9),
    risk__max_position_per_symbol=Decimal(10**9),
)


async def participation(paths: int) -> None:
    target = 10.0
    shares, peaks = [], []
    for seed in range(1, paths + 1):
        seen: dict[str, Decimal] = {}

        async def act(eng, seen=seen) -> str:
            venue = eng.brokers["SIM-A"]
            seen["v0"] = await venue.traded_volume("BTCUSDT")
            t = Ticket("BTCUSDT", Side.BUY, Decimal(50), algo="pov", venue="SIM-A",
                       params=AlgoParams(participation_pct=target))  # fmt: skip
            pid = await eng.submit(t)
            seen["eng"] = eng  # type: ignore[assignment]
            return pid

        rep = await run_path(SETTINGS, venues, seed, act)
        eng = seen["eng"]  # type: ignore[assignment]
        kids = [eng.children[c] for c in eng.parents[rep.parent_id].children]
        others = await eng.brokers["SIM-A"].traded_volume("BTCUSDT") - seen["v0"]
        ours = rep.filled_qty
        shares.append(float(ours / (ours + others)) * 100)
        peaks.append(max((float(k.meta.get("pov_share", 0)) for k in kids), default=0.0))
    print(f"2. POV at {target:g}% on simulated BTCUSDT (SIM-A), 50 BTC over 300 s, {paths} paths:")
    print(
        f"   realised participation {fmean(shares):.2f}% (sd {pstdev(shares):.2f}), "
        f"realised / target {fmean(shares) / target:.3f}, highest {max(shares):.2f}% "
        f"(never above the cap: {max(shares) <= target})"
    )


async def urgency(paths: int) -> None:
    arms = {
        "twap": ("twap", AlgoParams()),
        "arrival u=0.5": ("arrival", AlgoParams(urgency=0.5, participation_pct=100)),
        "arrival u=6": ("arrival", AlgoParams(urgency=6.0, participation_pct=100)),
    }
    costs: dict[str, list[float]] = {k: [] for k in arms}
    for seed in range(1, paths + 1):
        for name, (algo, params) in arms.items():

            async def act(eng, algo=algo, params=params) -> str:
                t = Ticket("AAPL", Side.BUY, Decimal(3000), algo=algo, venue="SIM-A", params=params)
                return await eng.submit(t)

            rep = await run_path(SETTINGS, venues, seed, act)
            costs[name].append(rep.shortfall_bps or 0.0)
    print(f"3. arrival price vs TWAP, AAPL buy 3000 on SIM-A over 300 s, {paths} paired paths:")
    for name in ("arrival u=0.5", "arrival u=6"):
        a, t = costs[name], costs["twap"]
        print(f"   {name}: shortfall sd {pstdev(a):.2f} vs TWAP {pstdev(t):.2f} bps "
              f"(ratio {pstdev(a) / pstdev(t):.3f}); " + show("mean", paired(a, t)))  # fmt: skip


async def main(data: Path, paths: int) -> None:
    if data.exists():
        tracking(data)
    else:
        print(f"1. skipped: {data} not found (--data DIR)")
    await participation(max(10, paths // 3))
    await urgency(paths)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--paths", type=int, default=60)
    a = ap.parse_args()
    asyncio.run(main(a.data, a.paths))
