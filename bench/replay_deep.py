"""Deep books for bench.replay_throughput: one update stream near the touch, on 1k and on 20k levels a side."""

from __future__ import annotations

import random
import time

import numpy as np

from engine.sim.data.columns import ASK, BID, CLEAR, LEVEL, TRADE, Recording, build
from engine.sim.replay.fast_feed import make_feed
from engine.sim.replay.queue import QueueModel, Resting

UPDATES = 200_000
MID = 1_000_000


def stream(seed: int = 3) -> list[tuple[float, int, int, int, int]]:
    """Level changes within 50 ticks of a wandering touch, the touch emptied now and then, prints."""
    rng = random.Random(seed)
    rows = []
    mid = MID
    for k in range(UPDATES):
        t = 1.0 + k * 1e-3
        r = rng.random()
        if r < 0.05:
            mid += rng.choice((-1, 1))
            rows.append((t, LEVEL, BID, mid - 1, rng.randint(1, 50)))
            rows.append((t, LEVEL, ASK, mid + 1, rng.randint(1, 50)))
        elif r < 0.1:
            rows.append((t, TRADE, rng.choice((BID, ASK)), mid - 1, rng.randint(1, 5)))
        else:
            side = rng.choice((BID, ASK))
            off = rng.randint(1, 50)
            px = mid - off if side == BID else mid + off
            rows.append((t, LEVEL, side, px, rng.randint(0, 50)))
    return rows


def recording(levels: int, rows: list[tuple[float, int, int, int, int]]) -> Recording:
    head = [(0.0, CLEAR, BID, 0, 0)]
    head += [(0.0, LEVEL, BID, MID - 1 - i, 10) for i in range(levels)]
    head += [(0.0, LEVEL, ASK, MID + 1 + i, 10) for i in range(levels)]
    cols = list(zip(*(head + rows), strict=True))
    return build(cols[0], cols[1], cols[2], np.array(cols[3]), np.array(cols[4]),
                 {"symbol": "X", "tick": "1", "lot": "1", "book_from": 0.0})  # fmt: skip


def replay(rec: Recording, orders: bool, compiled: bool = False) -> float:
    feed = make_feed(rec, QueueModel(), 5.0, compiled)
    feed.advance(0.0)
    t0 = time.perf_counter()
    t = 0.0
    end = float(rec.ts[-1])
    n = 0
    while t < end:
        t += 0.1
        feed.advance(t)
        feed.book.best(BID), feed.book.best(ASK)
        if orders and not feed.resting:
            n += 1
            bb = feed.book.best(BID) or MID
            feed.rest(Resting(f"o{n}", BID, bb, 5, float(feed.book.levels[BID].get(bb, 0))))
    return time.perf_counter() - t0


def deep_ratio(rounds: int, compiled: bool = False) -> tuple[float, float]:
    """(book only, with an order resting): time on 20k levels / time on 1k levels, best of rounds."""
    rows = stream()
    shallow, deep = recording(1_000, rows), recording(20_000, rows)
    out = []
    for orders in (False, True):
        a = b = float("inf")
        for _ in range(rounds):
            a = min(a, replay(shallow, orders, compiled))
            b = min(b, replay(deep, orders, compiled))
        out.append(b / a)
    return out[0], out[1]
