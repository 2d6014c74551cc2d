"""Calibration of the pre-trade cost estimate on replayed real data: the share of parents whose
realised shortfall falls inside their 90% interval (target 85-95%), and realised / estimated mean
shortfall, on the recorded Binance markets of ../shared/data/binance (spot BTCUSDT and ETHUSDT,
USD-M BTCUSDT of 2024-08-08 23:54-24:00; USD-M BTCUSDT and ETHUSDT of 2024-07-18/19), each
parent on its own replay venue from its own start (every `--every` seconds through the
recording), estimated by the engine's plan and then sent as planned through the same engine.

    .venv/bin/python -m bench.estimate_calibration_replay [--data DIR] [--every 20] [--max 0]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from bench.estimate_calibration import print_calibration
from bench.paths import tweak
from engine.config import Settings
from engine.factory import build_engine
from engine.models import InputError, Side, Ticket
from engine.sim.data.cache import load
from engine.sim.replay.session import with_replay

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "binance"
FILES = [  # (file, the snapshot file it continues, or None)
    ("binance_spot_btcusdt_20240808.jsonl.gz", None),
    ("binance_spot_ethusdt_20240808.jsonl.gz", None),
    ("binance_usdm_btcusdt_20240808.jsonl.gz", None),
    ("binance_usdm_btcusdt_20240718.jsonl.gz", None),
    ("binance_usdm_ethusdt_20240718.jsonl.gz", None),
]
# (notional in quote currency, algo): small to large against the recordings' flow, every model shape
CASES = [
    (20_000, "market"),
    (300_000, "twap"),
    (100_000, "arrival"),
    (1_000_000, "twap"),
    (200_000, "pov"),
    (50_000, "limit"),
    (500_000, "market"),
    (150_000, "vwap"),
]
HORIZON = (4, 10.0)  # slices x seconds: a minute, so several parents fit in each recording


def settings_for(path: Path, cache: Path, start: float) -> Settings:
    n, tau = HORIZON
    s = tweak(
        Settings(),
        router__twap_num_slices=n,
        router__twap_interval_seconds=tau,
        execution__max_slippage_pct=0.5,
        risk__max_child_notional=Decimal(10**9),
        risk__max_child_quantity=Decimal(10**9),
        risk__max_position_per_symbol=Decimal(10**9),
        replay__cache_dir=str(cache),
        sim__starting_cash=Decimal(10**10),
        algos__pov_check_s=2.0,
    )
    return with_replay(s, str(path), repr(start))


async def one(path: Path, cache: Path, start: float, notional: int, algo: str, side: Side):
    """(realised bps, estimate mean, low, high) of one parent, or None if it filled nothing."""
    s = settings_for(path, cache, start)
    with tempfile.TemporaryDirectory() as tmp:
        eng = build_engine(s, db_path=Path(tmp) / "h.db")
        await eng.start()
        try:
            venue = next(iter(eng.brokers.values()))
            symbol = (await venue.symbols())[0]
            q = await venue.top_of_book(symbol)
            step = (await venue.instrument(symbol)).step
            qty = (Decimal(notional) / q.mid / step).to_integral_value() * step
            ticket = Ticket(symbol, side, qty, algo=algo, venue=venue.name)
            plan = await eng.plan(ticket)
            assert plan.estimate is not None
            e = plan.estimate.chosen
            pid = await eng.submit(ticket, plan)
            rep = await eng.wait(pid)
        finally:
            await eng.stop()
    if rep.shortfall_bps is None or rep.filled_qty <= 0:
        return None
    return rep.shortfall_bps, e.mean_bps, e.low_bps, e.high_bps, e.source


async def main(data: Path, every: float, limit: int, misses: bool = False) -> None:
    logging.disable(logging.WARNING)
    rows: dict[str, list[tuple[float, float, float, float]]] = defaultdict(list)
    sources: set[str] = set()
    t0 = time.perf_counter()
    k = 0
    with tempfile.TemporaryDirectory() as cache_dir:
        cache = Path(cache_dir)
        for name, _ in FILES:
            path = data / name
            rec = load(str(path), str(cache)).recording
            first, last = rec.first_ts + 5, rec.last_ts - HORIZON[0] * HORIZON[1] - 15
            t = first
            while t < last and (limit <= 0 or k < limit):
                notional, algo = CASES[k % len(CASES)]
                side = Side.BUY if k % 2 == 0 else Side.SELL
                try:
                    r = await one(path, cache, t, notional, algo, side)
                except InputError as err:  # a moment the recorded book cannot quote: skipped, said
                    print(f"  skipped {name} at +{t - rec.first_ts:.0f}s: {err}")
                    r = None
                if r is not None:
                    x, m, lo, hi, src = r
                    if misses and not lo <= x <= hi:
                        print(f"  outside: {name} +{t - rec.first_ts:.0f}s {algo} {notional:,} "
                              f"{side.value}: realised {x:.2f}, estimate {m:.2f} [{lo:.2f}, {hi:.2f}]")  # fmt: skip
                    rows[algo].append((x, m, lo, hi))
                    sources.add(src)
                k += 1
                t += every
    wall = time.perf_counter() - t0
    every_row = [r for rs in rows.values() for r in rs]
    print(f"{len(every_row)} parents on {len(FILES)} replayed Binance recordings, {wall:.0f} s; "
          f"estimate inputs: {', '.join(sorted(sources))}")  # fmt: skip
    print_calibration(rows, "calibration on replayed data")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--every", type=float, default=20.0, help="seconds between parents' starts")
    p.add_argument("--max", type=int, default=0, help="at most this many parents (0: all)")
    p.add_argument("--misses", action="store_true", help="print each parent outside its interval")
    a = p.parse_args()
    asyncio.run(main(a.data, a.every, a.max, a.misses))
