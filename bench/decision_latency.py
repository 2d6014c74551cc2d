"""One learned-policy decision: features from the new quote, the table lookup, the risk gate.

A random-walk quote stream on the decision grid (0.5 s) feeds `FeatureTracker`; each tick then
looks up the packaged table and checks a child against the risk gate, as `engine/algos/policy.py`
does. The reference does the same work the way it was done before issue 15: volatility summed from
the 600-sample window every tick (`realised_vol_bps`), flow re-summed, and the cell found with
`np.searchsorted` per feature. Both are timed interleaved, tick by tick, in one run.

    .venv/bin/python -m bench.decision_latency [--ticks 20000]
"""

from __future__ import annotations

import argparse
import math
import random
import time
from decimal import Decimal

import numpy as np

from engine.clock import SimClock
from engine.config import Settings
from engine.learned.features import FeatureTracker, imbalance, realised_vol_bps, spread_bps
from engine.learned.spaces import VOL_WINDOW_S
from engine.learned.table import PolicyTable, load_table
from engine.models import ChildOrder, OrderType, Side
from engine.risk.gate import RiskGate


def old_cell(table: PolicyTable, state: tuple[float, ...]) -> int:
    idx = 0
    for x, e in zip(state, table.edges, strict=True):
        idx = idx * (len(e) + 1) + int(np.searchsorted(e, x, side="right"))
    return idx


def old_market(t: FeatureTracker, sign: int) -> tuple[float, float, float, float]:
    assert t.last is not None
    _, bid, bsz, ask, asz = t.last
    buy, sell = sum(f[1] for f in t.flow), sum(f[2] for f in t.flow)
    vol = realised_vol_bps([m for _, m in t.mids], VOL_WINDOW_S, t.step_s)
    return spread_bps(bid, ask), sign * imbalance(bsz, asz), sign * imbalance(buy, sell), vol


def pct(xs: list[float], q: float) -> float:
    return sorted(xs)[min(len(xs) - 1, int(q * len(xs)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ticks", type=int, default=20_000)
    a = ap.parse_args()
    rng = random.Random(7)
    table = load_table()
    clock = SimClock(start=1_700_000_000.0)
    gate = RiskGate(Settings().risk, clock)
    child = ChildOrder(
        "B-1", "B", "V0", "AAPL", Side.BUY, Decimal(10), OrderType.LIMIT, Decimal("190")
    )
    new, ref = FeatureTracker(0.5), FeatureTracker(0.5)
    mid, t = 190.0, 1_700_000_000.0
    new_us: list[float] = []
    ref_us: list[float] = []
    for i in range(a.ticks + 700):  # the first 700 ticks fill the 5-minute window
        t += 0.5
        mid *= math.exp(rng.gauss(0, 2e-4))
        half = 0.01 * rng.randint(1, 3)
        quote = (t, mid - half, rng.uniform(1, 900), mid + half, rng.uniform(1, 900))
        clock.advance_to(t)  # the gate's orders-per-second window moves with the quotes
        for tracker, lookup, market, out in (
            (new, table.cell, FeatureTracker.market, new_us),
            (ref, lambda s: old_cell(table, s), old_market, ref_us),
        ):
            t0 = time.perf_counter()
            tracker.on_quote(*quote)
            spread, depth, flow, vol = market(tracker, 1)
            lookup((spread, depth, flow, 0.5, 0.25, vol))
            gate.check(
                child,
                parent_quantity=Decimal(100),
                best_opposite=Decimal("190.02"),
                position=Decimal(0),
            )
            if i >= 700:
                out.append((time.perf_counter() - t0) * 1e6)
    print(f"one decision (features + table lookup + risk gate), {a.ticks} ticks, 600-sample window")
    for label, xs in (("now", new_us), ("before (same work)", ref_us)):
        print(f"  {label:<19} p50 {pct(xs, 0.5):7.1f} us   p99 {pct(xs, 0.99):7.1f} us")
    print(
        f"  ratio now / before  p50 {pct(new_us, 0.5) / pct(ref_us, 0.5):5.2f}   p99 {pct(new_us, 0.99) / pct(ref_us, 0.99):5.2f}   (target: p99 <= 20 us)"
    )


if __name__ == "__main__":
    main()
