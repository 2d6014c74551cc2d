"""bench.replay_throughput's strategy compiled on our replay kernel, as hftbacktest runs its own.

hftbacktest's side of the bench is a numba strategy calling its compiled exchange. This is the same
shape on ours: a numba loop that quotes both touches every 100 ms through engine/sim/replay/
kernel.py (book, risk-averse queue, fills) with the engine venue's rules on arrival (order
latency, post-only rejection, self-trade prevention, maker fees) and its timing (a submit waits
the order latency, then the response latency). It gives the fills the engine's ReplayVenue gives
on the same rows (the bench prints both), without the engine's asyncio clock between decisions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.sim.data.columns import Recording
from engine.sim.replay import kernel as K
from engine.sim.replay.dense_book import price_index
from engine.sim.replay.kernel import njit


@njit(cache=True)
def _run_to(  # pragma: no cover - jitted
    r: Any, t: float, book: Any, st: Any, oi: Any, of: Any, fi: Any, ft: Any, prices: Any,
    fee_rate: float, tot: Any,
) -> None:  # fmt: skip
    """Advance to t, booking each maker fill (count, fee) and dropping filled orders."""
    ts, kind, side, price, qty, pidx = r
    while True:
        done = K.advance(ts, kind, side, price, qty, pidx, t, book, st, oi, of, fi, ft, 0, 3.0)
        if st[K.ST_NF]:  # fills are rare: most steps end here
            for f in range(st[K.ST_NF]):
                tot[0] += 1.0
                tot[1] += fi[f, 1] * tot[2] * fi[f, 2] * tot[3] * fee_rate
            st[K.ST_NF] = 0
            K.compact(st, oi, of)
        if done:
            return


@njit(cache=True)
def _arrive(  # pragma: no cover - jitted
    book: Any, st: Any, oi: Any, of: Any, prices: Any, s: int, px: int, lots: int, num: int
) -> None:
    """A post-only limit reaches the book: expire our crossing orders, reject if it crosses, else rest."""
    for k in range(st[K.ST_NORD]):
        if oi[k, K.O_ACTIVE] and oi[k, K.O_SIDE] != s:
            op = oi[k, K.O_PRICE]
            if (op <= px) if s == 0 else (op >= px):
                K.deactivate(oi, book, k)
    K.compact(st, oi, of)
    far = st[K.ST_BA] if s == 0 else st[K.ST_BB]
    if 0 <= far < len(prices) and ((prices[far] <= px) if s == 0 else (prices[far] >= px)):
        K.bounds(st, oi)
        return  # post-only: it would have crossed
    x = np.searchsorted(prices, px)
    x = x if x < len(prices) and prices[x] == px else -1
    n = st[K.ST_NORD]
    oi[n, K.O_ACTIVE], oi[n, K.O_SIDE], oi[n, K.O_PRICE] = 1, s, px
    oi[n, K.O_PIDX], oi[n, K.O_REM], oi[n, K.O_NUM] = x, lots, num
    oi[n, K.O_XCROSS] = K.cross_index(prices, s, px)
    of[n, 0], of[n, 1] = float(book[s, x]) if x >= 0 else 0.0, 0.0
    if x >= 0:
        book[2 + s, x] += 1
    st[K.ST_NORD] = n + 1
    K.bounds(st, oi)


@njit(cache=True)
def _quote(  # pragma: no cover - jitted
    r: Any, prices: Any, start: float, end: float, step: float, lat: float, lots: int,
    tick: float, lot: float, maker: float,
) -> Any:  # fmt: skip
    book = np.zeros((4, len(prices)), dtype=np.int64)
    st = np.zeros(K.ST_SIZE, dtype=np.int64)
    st[K.ST_BB], st[K.ST_BA] = -1, len(prices)
    st[K.ST_MAXBUY], st[K.ST_MINSELL] = K.NO_BUY, K.NO_SELL
    st[K.ST_MBX], st[K.ST_MSX] = K.NO_BUY, K.NO_SELL
    oi = np.zeros((8, K.O_SIZE), dtype=np.int64)
    of = np.zeros((8, 2), dtype=np.float64)
    fi = np.zeros((64, 3), dtype=np.int64)
    ft = np.zeros(64, dtype=np.float64)
    tot = np.array([0.0, 0.0, lot, tick])
    now, num = start, 0
    _run_to(r, now, book, st, oi, of, fi, ft, prices, maker, tot)
    while now + step + 2 * lat < end:
        now += step
        _run_to(r, now, book, st, oi, of, fi, ft, prices, maker, tot)
        has_buy = has_sell = False
        for k in range(st[K.ST_NORD]):
            if oi[k, K.O_SIDE] == 0:
                has_buy = True
            else:
                has_sell = True
        bid, ask = prices[st[K.ST_BB]], prices[st[K.ST_BA]]
        for s in range(2):
            if not (has_buy if s == 0 else has_sell):
                num += 1
                now += lat
                _run_to(r, now, book, st, oi, of, fi, ft, prices, maker, tot)
                _arrive(book, st, oi, of, prices, s, bid if s == 0 else ask, lots, num)
                now += lat
                _run_to(r, now, book, st, oi, of, fi, ft, prices, maker, tot)
    return tot


def quote(
    rec: Recording, *, step_s: float, latency_s: float, qty_lots: int, maker_bps: float
) -> tuple[int, float]:
    """(fills, fees) of the quoting strategy compiled on our kernel over `rec`."""
    idx = price_index(rec)
    cols = (rec.ts, rec.kind, rec.side, rec.price, rec.qty, idx.rows)
    tot = _quote(
        cols, idx.prices, rec.first_ts, rec.last_ts, step_s, latency_s, qty_lots,
        float(rec.tick), float(rec.lot), maker_bps / 1e4,
    )  # fmt: skip
    return int(tot[0]), float(tot[1])
