"""The compiled replay loop (numba): the recorded book and our resting orders' queues, row by row.

The same rules as engine/sim/replay/feed.py (the Python reference, kept for order-level data and
when numba is missing), over plain arrays so numba compiles it once (cache=True):
- book[side, x]: displayed lots at the x-th distinct price of the recording (engine/sim/replay/
  dense_book.py), so the best price moves by index and a deep book costs what a shallow one does;
  book[2 + side, x]: how many of our orders rest there (a row elsewhere skips the order scan);
- st: the cursor and running scalars (ST_* below);
- orders oi[k] = (active, side, price ticks, price index or -1, remaining lots, number, the index
  the far side must reach to cross it), of[k] = (ahead, traded) in arrival order; fills go to fi (number, lots, price) and ft (time).
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:
    from numba import njit

    AVAILABLE = True
except ImportError:  # the `fast` extra is not installed: the Python feed replays instead
    AVAILABLE = False

    def njit(*args: Any, **kwargs: Any) -> Any:  # type: ignore[no-redef]
        return lambda f: f


ST_I, ST_BB, ST_BA, ST_TRADED, ST_NF, ST_MAXBUY, ST_MINSELL, ST_NORD, ST_MBX, ST_MSX = range(10)
ST_SIZE = 10
O_ACTIVE, O_SIDE, O_PRICE, O_PIDX, O_REM, O_NUM, O_XCROSS = range(7)
O_SIZE = 7
NO_BUY, NO_SELL = -(2**62), 2**62  # max buy / min sell when no order rests on that side
RISK_AVERSE, PROB = 0, 1


@njit(cache=True)
def bounds(st: Any, oi: Any) -> None:  # pragma: no cover - jitted
    """The highest resting buy and the lowest resting sell (what a row must reach to matter)."""
    mb, ms, mbx, msx = NO_BUY, NO_SELL, NO_BUY, NO_SELL
    for k in range(st[ST_NORD]):
        if oi[k, O_ACTIVE]:
            p, x = oi[k, O_PRICE], oi[k, O_XCROSS]
            if oi[k, O_SIDE] == 0:
                mb, mbx = max(mb, p), max(mbx, x)
            else:
                ms, msx = min(ms, p), min(msx, x)
    st[ST_MAXBUY], st[ST_MINSELL], st[ST_MBX], st[ST_MSX] = mb, ms, mbx, msx


@njit(cache=True)
def cross_index(prices: Any, side: int, price: int) -> int:  # pragma: no cover - jitted
    """The index a level of the far side must reach to touch an order at `price`: for a buy the
    highest recorded price <= it (asks at or below), for a sell the lowest >= it (bids at or above)."""
    if side == 0:
        return int(np.searchsorted(prices, price, side="right")) - 1
    return int(np.searchsorted(prices, price, side="left"))


@njit(cache=True)
def deactivate(oi: Any, book: Any, k: int) -> None:  # pragma: no cover - jitted
    """Order k leaves the book: its level no longer holds an order of ours."""
    if oi[k, O_ACTIVE]:
        oi[k, O_ACTIVE] = 0
        if oi[k, O_PIDX] >= 0:
            book[2 + oi[k, O_SIDE], oi[k, O_PIDX]] -= 1


@njit(cache=True)
def fill(
    st: Any, oi: Any, book: Any, fi: Any, ft: Any, k: int, lots: int, t: float
) -> None:  # pragma: no cover
    """Order k fills `lots` at its own price at time t; a filled order leaves the book."""
    n = st[ST_NF]
    fi[n, 0], fi[n, 1], fi[n, 2], ft[n] = oi[k, O_NUM], lots, oi[k, O_PRICE], t
    st[ST_NF] = n + 1
    oi[k, O_REM] -= lots
    if oi[k, O_REM] <= 0:
        deactivate(oi, book, k)
        bounds(st, oi)


@njit(cache=True)
def depth(
    of: Any, k: int, old: int, new: int, qkind: int, power: float
) -> None:  # pragma: no cover
    """The displayed size at order k's price went from old to new (engine/sim/replay/queue.py)."""
    if qkind == RISK_AVERSE or new >= old:
        of[k, 0] = min(of[k, 0], float(new))
        of[k, 1] = 0.0
        return
    chg = old - new - of[k, 1]
    of[k, 1] = 0.0
    if chg <= 0:
        of[k, 0] = min(of[k, 0], float(new))
        return
    front = max(of[k, 0], 0.0)
    back = max(old - front, 0.0)
    fb, ff = back**power, front**power
    prob = fb / (fb + ff) if fb + ff > 0 else 1.0
    est = front - (1 - prob) * chg + min(back - prob * chg, 0.0)
    of[k, 0] = max(0.0, min(est, float(new)))


@njit(cache=True)
def trade(
    st: Any, oi: Any, of: Any, book: Any, fi: Any, ft: Any, s: int, p: int, q: int, t: float
) -> None:  # pragma: no cover
    """A print of q at p against side s: through our price fills in full, at it the queue goes first."""
    for k in range(st[ST_NORD]):
        if not oi[k, O_ACTIVE] or oi[k, O_SIDE] != s:
            continue
        op = oi[k, O_PRICE]
        if (p < op) if s == 0 else (p > op):
            fill(st, oi, book, fi, ft, k, oi[k, O_REM], t)
        elif p == op:
            of[k, 0] -= q
            of[k, 1] += q
            if of[k, 0] < 0:
                n = min(oi[k, O_REM], round(-of[k, 0]))
                of[k, 0] = 0.0
                if n:
                    fill(st, oi, book, fi, ft, k, n, t)


@njit(cache=True)
def crossed(
    st: Any, oi: Any, book: Any, fi: Any, ft: Any, far: int, p: int, t: float
) -> None:  # pragma: no cover
    """The far side's level reached our price: the orders it reaches fill in full."""
    for k in range(st[ST_NORD]):
        if oi[k, O_ACTIVE] and oi[k, O_SIDE] != far:
            op = oi[k, O_PRICE]
            if (op >= p) if oi[k, O_SIDE] == 0 else (op <= p):
                fill(st, oi, book, fi, ft, k, oi[k, O_REM], t)


@njit(cache=True)
def upto(ts: Any, i: int, t: float) -> int:  # pragma: no cover - jitted
    """The first row after i with time > t: galloping from the cursor (a step reads ~100 rows,
    a binary search of the whole column would start cold every time)."""
    n = len(ts)
    lo, step = i, 1
    while lo + step < n and ts[lo + step] <= t:
        lo += step
        step *= 2
    if lo < n and ts[lo] > t:
        return lo
    hi = min(lo + step, n)  # ts[lo] <= t < ts[hi] (or hi = n)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ts[mid] <= t:
            lo = mid
        else:
            hi = mid
    return hi


@njit(cache=True)
def advance(  # pragma: no cover - jitted
    ts: Any, kind: Any, side: Any, price: Any, qty: Any, pidx: Any, t: float,
    book: Any, st: Any, oi: Any, of: Any, fi: Any, ft: Any, qkind: int, power: float,
) -> bool:  # fmt: skip
    """Apply rows with time <= t; False when the fill buffer may overflow on the next row (drain it
    and call again: the caller drains before every call and keeps the buffer longer than the orders).

    The best indices and the traded total live in locals for the loop (st is written back at the
    end): an array store per row would be re-read after every book write it might alias."""
    j = upto(ts, st[ST_I], t)
    nu = book.shape[1]
    cap = fi.shape[0]
    nord = st[ST_NORD]
    bb, ba, traded = st[ST_BB], st[ST_BA], st[ST_TRADED]
    mb, ms, mbx, msx = st[ST_MAXBUY], st[ST_MINSELL], st[ST_MBX], st[ST_MSX]
    r = st[ST_I]
    done = True
    while r < j:
        c = kind[r]
        if c == 0:
            s, x, q = side[r], pidx[r], qty[r]
            if s == 0:
                old = book[0, x]
                book[0, x] = q
                if q > 0:
                    if x > bb:
                        bb = x
                elif x == bb:
                    y = x - 1
                    while y >= 0 and book[0, y] == 0:
                        y -= 1
                    bb = y
                # a bid level matters when one of our buys rests on it or it reaches our sells
                hit = nord > 0 and (book[2, x] > 0 or (q > 0 and x >= msx))
            else:
                old = book[1, x]
                book[1, x] = q
                if q > 0:
                    if x < ba:
                        ba = x
                elif x == ba:
                    y = x + 1
                    while y < nu and book[1, y] == 0:
                        y += 1
                    ba = y
                hit = nord > 0 and (book[3, x] > 0 or (q > 0 and x <= mbx))
            if hit:
                for k in range(nord):
                    if oi[k, O_ACTIVE] and oi[k, O_SIDE] == s and oi[k, O_PIDX] == x:
                        depth(of, k, old, q, qkind, power)
                p = price[r]
                if q and ((p <= mb) if s == 1 else (p >= ms)):
                    crossed(st, oi, book, fi, ft, s, p, ts[r])
                    mb, ms, mbx, msx = st[ST_MAXBUY], st[ST_MINSELL], st[ST_MBX], st[ST_MSX]
                    if st[ST_NF] + nord > cap:  # the next row could overflow: drain first
                        done = r + 1 >= j
                        r += 1
                        break
        elif c == 1:
            q = qty[r]
            traded += q
            if nord:
                s, p = side[r], price[r]
                if (p <= mb) if s == 0 else (p >= ms):
                    trade(st, oi, of, book, fi, ft, s, p, q, ts[r])
                    mb, ms, mbx, msx = st[ST_MAXBUY], st[ST_MINSELL], st[ST_MBX], st[ST_MSX]
                    if st[ST_NF] + nord > cap:
                        done = r + 1 >= j
                        r += 1
                        break
        else:
            book[:2, :] = 0  # rows 2-3 (our orders) stay
            bb, ba = -1, nu
        r += 1
    st[ST_BB], st[ST_BA], st[ST_TRADED] = bb, ba, traded
    st[ST_I] = max(st[ST_I], r)
    return done


@njit(cache=True)
def compact(st: Any, oi: Any, of: Any) -> None:  # pragma: no cover - jitted
    """Drop filled orders from the slots, keeping the others in arrival order."""
    m = 0
    for k in range(st[ST_NORD]):
        if oi[k, O_ACTIVE]:
            if m != k:
                oi[m, :] = oi[k, :]
                of[m, :] = of[k, :]
            m += 1
    st[ST_NORD] = m


def new_state() -> np.ndarray:
    """Cursor 0, empty book (best bid index -1; best ask set by the caller), no orders."""
    st = np.zeros(ST_SIZE, dtype=np.int64)
    st[ST_BB], st[ST_MAXBUY], st[ST_MINSELL] = -1, NO_BUY, NO_SELL
    st[ST_MBX], st[ST_MSX] = NO_BUY, NO_SELL
    return st
