"""Console under a quote storm: 4 venues, 1,000 quotes/s in total; per-tick against coalesced repaint.

Measures ingest-to-paint latency p50/p99 next to repaints, frames and process CPU, then ctrl+\\ to
the HALTED header and to every working parent's row painted closed, with the real engine on paper
venues in a 120x40 console and PARENTS parents working (their slices never come due: time stands
still but for the quotes). Latency runs from a quote's arrival (stamped as the venue hands it to
the engine) to the moment the first frame holding it is written to the terminal driver: the
console renders every frame to escape codes (bench/frame_probe.py), as on a real terminal, where
a headless run_test would skip that render. Each venue's bid walks by a cent, spreads and sizes
vary. GC rows: collector CPU during the storm. Targets (coalesced): p99 <= 50 ms, CPU no worse
than before, every row halted <= 100 ms.
Run: .venv/bin/python -m bench.console_ingest [--seconds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.frame_probe import GcPauses, attach
from console.app import create_app
from console.ingest import MARKET
from engine.brokers.paper import PaperBroker
from engine.clock import SimClock
from engine.config import Settings
from engine.events import QuoteUpdated
from engine.factory import build_engine
from engine.models import Quote, Side, Ticket
from widgets.execution_progress import ExecutionProgress

VENUES = ("V0", "V1", "V2", "V3")
RATE = 1000  # quote updates per second, all venues together
BATCH_MS = 5  # the feeder publishes every 5 ms
PARENTS = 6  # working parents on screen while the quotes arrive


class FrozenClock(SimClock):
    """Simulated time that never moves by itself: the parents stay working until the kill."""

    async def sleep(self, seconds: float) -> None:
        await asyncio.get_running_loop().create_future()  # woken only by cancellation


def rows_closed(app: Any, pids: list[str]) -> bool:
    """Every parent's row in the progress table shows a finished status."""
    table = app.main.query_one(ExecutionProgress)
    shown = {}
    for i in range(table.row_count):
        row = table.get_row_at(i)
        if row and row[0].split(" ")[0] in pids:
            shown[row[0].split(" ")[0]] = row[2]
    return len(shown) == len(pids) and all(v not in ("working", "-") for v in shown.values())


def quote_walk(count: int, ts: float, seed: int = 7) -> list[Quote]:
    """Quotes as a venue sends them: each venue's bid walks by a cent, spread and sizes vary."""
    rng = random.Random(seed)
    bids = {v: Decimal("190.00") + Decimal(i) / 100 for i, v in enumerate(VENUES)}
    out = []
    for n in range(count):
        venue = VENUES[n % len(VENUES)]
        bids[venue] += Decimal(rng.choice((-1, 0, 0, 1))) / 100
        ask = bids[venue] + Decimal(rng.randint(1, 4)) / 100
        sizes = (Decimal(100 * rng.randint(1, 20)), Decimal(100 * rng.randint(1, 20)))
        out.append(Quote(venue, "AAPL", bids[venue], ask, *sizes, ts))
    return out


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


async def run(coalesce: bool, seconds: float, db: Path) -> dict[str, float]:
    settings = Settings()
    clock = FrozenClock(start=1_700_000_000.0)
    brokers = {
        v: PaperBroker(v, clock, cash=Decimal(10_000_000), spread_bps=Decimal(2 + i), seed=i + 1)
        for i, v in enumerate(VENUES)
    }
    engine = build_engine(settings, clock=clock, db_path=db, brokers=brokers)
    app = create_app(settings, engine=engine, coalesce=coalesce)
    ledger = attach(app, MARKET)  # frames rendered and written to a driver, each one stamped
    collector = GcPauses()
    async with app.run_test(size=(120, 40), headless=False) as pilot:
        await app.engine_started.wait()
        app.action_show_tab("market")  # the quote pane on screen, so every paint really renders
        pids = [
            await engine.submit(Ticket("AAPL", Side.BUY, Decimal(1000), algo="twap", venue=v))
            for v in (VENUES * 2)[:PARENTS]
        ]
        while not all(p in app.state.parents and app.state.parents[p].legs for p in pids):
            await pilot.pause(0.01)
        await pilot.pause(0.2)
        per_batch = RATE * BATCH_MS // 1000
        feed = quote_walk(int(RATE * seconds) + RATE, clock.now())  # built before the clock starts
        n = 0
        ledger.start()
        collector.start()
        frames0 = app._driver.frames if app._driver is not None else 0
        cpu0, wall0 = time.process_time(), time.perf_counter()
        next_t = wall0
        while time.perf_counter() - wall0 < seconds:
            for _ in range(per_batch):
                q = feed[n % len(feed)]
                ledger.arrive()  # the venue's quote arrives now
                engine.publish(QuoteUpdated(clock.now(), q))
                n += 1
            next_t += BATCH_MS / 1000
            await asyncio.sleep(max(0.0, next_t - time.perf_counter()))
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
        frames = (app._driver.frames if app._driver is not None else 0) - frames0  # in the storm
        gc_in_storm = collector.stop()
        await pilot.pause(0.2)
        # kill under load: key press to the frame written with the HALTED header in it
        header = app.main.query_one("#status")  # red, saying HALTED and why
        t0 = time.perf_counter()
        app.simulate_key("ctrl+backslash")  # as the terminal delivers it; press waits for idle
        while not header.has_class("-halted"):
            await asyncio.sleep(0.0005)
        kill_ms = (await ledger.next_frame() - t0) * 1000
        while not rows_closed(app, pids):
            await asyncio.sleep(0.0005)
        rows_ms = (await ledger.next_frame() - t0) * 1000
    latencies = ledger.latencies
    return {
        "quotes": n,
        "shown": len(latencies),
        "frames": frames,
        "gc_max": max(gc_in_storm, default=0.0),
        "gc_ms": sum(gc_in_storm),
        "rate": n / wall,
        "paints": ledger.paints,
        "p50": pct(latencies, 0.5),
        "p99": pct(latencies, 0.99),
        "mean": statistics.fmean(latencies) if latencies else float("nan"),
        "cpu": cpu / wall * 100,
        "kill_ms": kill_ms,
        "rows_ms": rows_ms,
        "dropped": engine.bus.dropped,
    }


async def main(seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        per_tick = await run(False, seconds, Path(tmp) / "a.db")
        coalesced = await run(True, seconds, Path(tmp) / "b.db")
    print(
        f"console ingest: 4 venues, target {RATE} quotes/s, {seconds:g} s each, 120x40, frames rendered"
    )
    print(f"{'':24}{'per-tick':>12}{'coalesced':>12}{'ratio':>10}")
    for key, label in (
        ("rate", "quotes/s achieved"),
        ("paints", "market repaints"),
        ("frames", "frames written"),
        ("shown", "quotes on screen"),
        ("p50", "ingest->paint p50 ms"),
        ("p99", "ingest->paint p99 ms"),
        ("cpu", "CPU % of one core"),
        ("kill_ms", "ctrl+\\ -> HALTED ms"),
        ("rows_ms", "ctrl+\\ -> rows halted ms"),
        ("gc_ms", "GC pauses total ms"),
        ("gc_max", "GC pause max ms"),
        ("dropped", "events dropped"),
    ):
        a, b = float(per_tick[key]), float(coalesced[key])
        ratio = f"{a / b:.2f}x" if b else "-"
        print(f"{label:<24}{a:>12.1f}{b:>12.1f}{ratio:>10}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=4.0)
    asyncio.run(main(ap.parse_args().seconds))
