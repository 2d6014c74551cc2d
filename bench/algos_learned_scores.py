"""Learned venue scores against quoted-spread-only routing, where the tightest quote fills badly.

The market is constructed, not recorded: the synthetic simulator with venue parameters this bench
sets so that quoting and filling disagree (PARAMS below). It shows the router can learn such a
venue; it says nothing about how often real venues look like this.

Venue SIM-A quotes the tightest spread but holds almost no depth and answers slowly; the others
quote wider and are deep and fast. History: `--history` earlier seeded runs routed on quotes
alone, their fills stored in a real SQLite file. Then on `--paths` fresh seeded paths the same
parent runs twice: routed with static scores (quotes only) and routed with the venue scores
learned from that history (frozen, so both arms of a pair see the same evidence). Every leg is a
TWAP. Cost = implementation shortfall in bps.

Then one real-data case: two Binance instruments recorded on one clock (spot and USD-M BTCUSDT,
2024-08-08) as two replay venues (engine/sim/replay: recorded books, queue, latency, fees), read
from `--data` (skipped with a message when the files are not there). History: the first windows
of the capture routed on quotes alone; then later windows, quoted-only against learned.

    .venv/bin/python -m bench.algos_learned_scores [--paths 100] [--history 10] [--data DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from bench.paths import T0, FrozenHistory, paired, run_path, show, submit_legs, tweak
from engine.brokers.base import Broker
from engine.clock import SimClock
from engine.config import Settings
from engine.models import Side, Ticket
from engine.sim.params import VenueParams, load_params
from engine.sim.venues import build_simulated_venues

PARAMS = load_params(None)
PARAMS = dataclasses.replace(
    PARAMS,
    venues=(
        VenueParams(
            spread_mult=0.7, depth_mult=0.01, volume_share=0.1, taker_fee_bps=0.3, latency_ms=800.0
        ),  # tight, thin, slow
        VenueParams(
            spread_mult=1.0, depth_mult=1.2, volume_share=0.35, taker_fee_bps=0.3, latency_ms=2.0
        ),
        VenueParams(
            spread_mult=1.2, depth_mult=1.2, volume_share=0.3, taker_fee_bps=0.3, latency_ms=2.0
        ),
        VenueParams(
            spread_mult=1.4, depth_mult=1.0, volume_share=0.25, taker_fee_bps=0.3, latency_ms=2.0
        ),
    ),
)


def venues(s: Settings, clock: SimClock, seed: int) -> dict[str, Broker]:
    return build_simulated_venues(tweak(s, sim__seed=seed), clock, PARAMS)


async def main(paths: int, history: int, qty: int) -> None:
    settings = tweak(
        Settings(),
        sim__symbols=["AAPL"],
        sim__starting_cash=Decimal(10**10),
        execution__max_slippage_pct=0.5,
    )
    ticket = Ticket("AAPL", Side.BUY, Decimal(qty), algo="sor")
    shares: dict[str, dict[str, str]] = {}

    def routed(kind: str):
        async def act(eng) -> str:
            plan = await eng.plan(ticket)
            shares[kind] = {leg.venue: f"{leg.share:.2f}" for leg in plan.legs}
            return await submit_legs(
                eng, ticket, [(leg.venue, leg.quantity) for leg in plan.legs], "twap"
            )

        return act

    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "history.db"
        for seed in range(
            1000, 1000 + history
        ):  # earlier runs: their own paths, quotes-only routing
            await run_path(settings, venues, seed, routed("quoted"), db=db)
        frozen = await FrozenHistory.snapshot(db, settings, "AAPL", T0)
    costs: dict[str, list[float]] = {"quoted": [], "learned": []}
    for seed in range(1, paths + 1):
        costs["quoted"].append(
            (await run_path(settings, venues, seed, routed("quoted"))).shortfall_bps or 0.0
        )
        costs["learned"].append(
            (await run_path(settings, venues, seed, routed("learned"), store=frozen)).shortfall_bps
            or 0.0
        )
    print(
        f"command: .venv/bin/python -m bench.algos_learned_scores --paths {paths} --history {history} --qty {qty}"
    )
    print(
        "market: constructed (synthetic simulator; SIM-A tight, thin and slow by this bench's "
        "parameters, the others wider, deep and fast)"
    )
    print(
        "learned expected slippage (bps, fills): "
        + ", ".join(f"{v} {m:.2f} ({n})" for v, (m, n) in sorted(frozen.venue.items()))
    )
    print(f"shares quoted-only {shares['quoted']}  learned {shares['learned']}")
    print(
        show(
            "learned / quoted-spread-only realised cost", paired(costs["learned"], costs["quoted"])
        )
    )
    print(f"elapsed {time.perf_counter() - t:.1f} s")


REAL = ("binance_spot_btcusdt_20240808.jsonl.gz", "binance_usdm_btcusdt_20240808.jsonl.gz")


async def real_case(data: Path, paths: int, history: int, qty: str) -> None:
    """Spot and USD-M BTCUSDT of one day as two venues: learned scores against quotes alone."""
    from engine.sim.replay import build_replay_venues, replay_start

    files = [data / f for f in REAL]
    missing = [f.name for f in files if not f.exists()]
    if missing:
        print(f"real-data case skipped: {', '.join(missing)} not under {data}")
        return
    settings = tweak(
        Settings(),
        broker__provider="replay",
        replay__files=[str(f) for f in files],
        sim__starting_cash=Decimal(10**9),
        router__twap_interval_seconds=5.0,
        execution__max_slippage_pct=0.5,
    )
    begin = replay_start(settings)
    ticket = Ticket("BTCUSDT", Side.BUY, Decimal(qty), algo="sor")

    def recorded(s: Settings, clock: SimClock, seed: int) -> dict[str, Broker]:
        return build_replay_venues(s, clock)

    async def act(eng) -> str:
        plan = await eng.plan(ticket)
        legs = [(leg.venue, leg.quantity) for leg in plan.legs]
        return await submit_legs(eng, ticket, legs, "twap")

    window = 40.0  # seconds of the capture per parent (5 slices 5 s apart, then some)
    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "history.db"
        for i in range(history):
            await run_path(settings, recorded, i, act, db=db, start=begin + i * window)
        now = begin + history * window
        # the capture starts minutes before midnight: the figures of the history's own hour
        frozen = await FrozenHistory.snapshot(db, settings, "BTCUSDT", begin)
    costs: dict[str, list[float]] = {"quoted": [], "learned": []}
    for i in range(paths):
        at = now + i * window
        q = await run_path(settings, recorded, i, act, start=at)
        learned = await run_path(settings, recorded, i, act, store=frozen, start=at)
        costs["quoted"].append(q.shortfall_bps or 0.0)
        costs["learned"].append(learned.shortfall_bps or 0.0)
    print(f"real data: {' + '.join(REAL)} as two venues, {history} history windows, {paths} paths")
    print(
        "learned expected slippage (bps, fills): "
        + ", ".join(f"{v} {m:.2f} ({n})" for v, (m, n) in sorted(frozen.venue.items()))
    )
    print(
        show(
            "real data: learned / quoted-spread-only realised cost",
            paired(costs["learned"], costs["quoted"]),
        )
    )


if __name__ == "__main__":
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--paths", type=int, default=100)
    ap.add_argument("--history", type=int, default=10)
    ap.add_argument("--qty", type=int, default=3000)
    ap.add_argument("--data", type=Path, default=Path("../shared/data/binance"))
    ap.add_argument("--real-paths", type=int, default=20)
    ap.add_argument("--real-qty", default="2", help="BTC per parent in the real-data case")
    a = ap.parse_args()
    asyncio.run(main(a.paths, a.history, a.qty))
    asyncio.run(real_case(a.data, a.real_paths, a.history, a.real_qty))
