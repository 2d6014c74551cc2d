"""Our replay fills vs hftbacktest's on one Binance capture: a resting and a crossing child schedule.

Both replay the same rows (ours handed to hftbacktest as its events), risk-averse queue, latency
~0 (hftbacktest: 1 ns), partial fills. Every SPACING_S seconds a resting buy of REST_LOTS joins
the best bid and is cancelled HOLD_S later; between them an IOC buy of CROSS_LOTS takes the best
ask. Per child: the lots filled on each side. Tolerance (stated, and held by
tests/engine/sim/replay/test_hftbacktest_agreement.py on numbers recorded from one run): crossing
children identical; resting children equal on at least 90% and the total within 10%.
Run: python -m bench.replay_validation [--data FILE]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from bench import replay_peer
from bench.replay_throughput import EXCERPT, SHARED
from engine.sim.data.cache import load
from engine.sim.data.columns import ASK, BID, Recording
from engine.sim.replay.fast_feed import make_feed
from engine.sim.replay.matching import walk
from engine.sim.replay.queue import QueueModel, Resting

SPACING_S, HOLD_S, REST_LOTS, CROSS_LOTS = 4.0, 3.0, 50, 5


def schedule(rec: Recording) -> list[float]:
    t, out = rec.first_ts + 1.0, []
    while t + SPACING_S < rec.last_ts:
        out.append(t)
        t += SPACING_S
    return out


def ours(rec: Recording, times: list[float], compiled: bool = True) -> tuple[list[int], list[int]]:
    """(lots filled per resting child, per crossing child) on our feed (compiled, or the Python one)."""
    feed = make_feed(rec, QueueModel("risk_averse"), 0.0, compiled)
    filled: dict[str, int] = {}
    feed.sink = lambda o, lots, px, t: filled.__setitem__(o.oid, filled.get(o.oid, 0) + lots)
    rest, cross = [], []
    for k, t in enumerate(times):
        feed.advance(t)
        bid = feed.book.best(BID)
        oid = f"r{k}"
        feed.rest(Resting(oid, BID, bid, REST_LOTS, float(feed.book.levels[BID].get(bid, 0))))
        feed.advance(t + HOLD_S)
        feed.remove(oid)
        rest.append(filled.get(oid, 0))
        tc = t + HOLD_S + (SPACING_S - HOLD_S) / 2
        feed.advance(tc)
        ask = feed.book.best(ASK)
        cross.append(sum(q for _, q in walk(feed.book, BID, CROSS_LOTS, ask, tc)))
    return rest, cross


def peer(rec: Recording, times: list[float]) -> tuple[list[int], list[int]]:
    """The same schedule on hftbacktest (numba)."""
    import hftbacktest as hbt

    events = replay_peer.to_events(rec)  # hftbacktest reads this memory: keep it alive
    asset = (
        hbt.BacktestAsset()
        .data([events])
        .linear_asset(1.0)
        .constant_order_latency(1, 1)
        .risk_adverse_queue_model()
        .partial_fill_exchange()
        .trading_value_fee_model(0.0, 0.0)
        .tick_size(float(rec.tick))
        .lot_size(float(rec.lot))
        .last_trades_capacity(0)
    )
    bt = hbt.HashMapMarketDepthBacktest([asset])
    ns = np.array([int(t * 1e9) for t in times], dtype=np.int64)
    out = replay_peer.schedule_loop(
        bt,
        ns,
        int(HOLD_S * 1e9),
        int((SPACING_S - HOLD_S) / 2 * 1e9),
        REST_LOTS,
        CROSS_LOTS,
        float(rec.lot),
    )
    bt.close()
    del events
    return [int(x) for x in out[0]], [int(x) for x in out[1]]


def compare(rec: Recording) -> dict[str, object]:
    times = schedule(rec)
    r1, c1 = ours(rec, times)
    r2, c2 = peer(rec, times)
    equal = sum(a == b for a, b in zip(r1, r2, strict=True))
    return {
        "children": len(times),
        "resting_equal": equal,
        "resting_lots": (sum(r1), sum(r2)),
        "crossing_equal": sum(a == b for a, b in zip(c1, c2, strict=True)),
        "crossing_lots": (sum(c1), sum(c2)),
        "ours_resting": r1,
        "peer_resting": r2,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path)
    args = ap.parse_args()
    if not replay_peer.available():
        print("hftbacktest is not installed (pip install -e '.[bench]'): nothing to compare with")
        return
    path = args.data or (SHARED if SHARED.exists() else EXCERPT)
    d = compare(load(path).recording)
    n = d["children"]
    print(f"{path.name}: {n} resting children of {REST_LOTS} lots, {n} crossing of {CROSS_LOTS}")
    print(
        f"  resting: equal fills {d['resting_equal']}/{n}; lots ours {d['resting_lots'][0]} vs hftbacktest {d['resting_lots'][1]}"
    )
    print(
        f"  crossing: equal fills {d['crossing_equal']}/{n}; lots ours {d['crossing_lots'][0]} vs hftbacktest {d['crossing_lots'][1]}"
    )
    print(f"  ours per resting child:        {d['ours_resting']}")
    print(f"  hftbacktest per resting child: {d['peer_resting']}")


if __name__ == "__main__":
    main()
