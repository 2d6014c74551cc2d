"""A Databento market-by-order file (.dbn or .dbn.zst, e.g. CME ES) to replay-cache columns, by price.

Needs `databento-dbn` (and `zstandard` for .zst). The book is rebuilt from adds, cancels and
modifies (A/C/M; fills F change nothing: the venue follows each with a C or M), a clear (R)
empties it; trades (T) print against the side opposite the aggressor. A level's size is the sum
of its orders. Prices are 1e-9 units; the tick is their greatest common divisor, the lot one
contract. The book is known from the first record (the start-of-day snapshot); the replay's
common start is the first record after the snapshot. Every order event's row also carries the
order id, its size after the event, and for a fill (F, kept as a row that leaves the level as it
is) the contracts that traded, so the replay venue can queue our orders by order id.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from engine.models import InputError
from engine.sim.data.columns import ASK, BID, CLEAR, LEVEL, TRADE, Recording, build

SCALE = 1_000_000_000


def looks_like(path: Path) -> bool:
    with path.open("rb") as f:
        head = f.read(4)
    return head[:3] == b"DBN" or head == b"\x28\xb5\x2f\xfd" and ".dbn" in path.name


def _records(path: Path) -> list[Any]:
    try:
        import databento_dbn as dbn
    except ImportError:
        raise InputError(
            "data", f"{path}: a Databento file needs `pip install databento-dbn zstandard`"
        ) from None
    raw = path.read_bytes()
    if raw[:4] == b"\x28\xb5\x2f\xfd":
        import zstandard

        try:
            raw = zstandard.ZstdDecompressor().stream_reader(raw).read()
        except zstandard.ZstdError as e:
            raise InputError("data", f"{path}: truncated or corrupt zstd ({e})") from None
    dec = dbn.DBNDecoder()
    try:
        dec.write(raw)
        return list(dec.decode())
    except Exception as e:  # the decoder's own error type differs across versions
        raise InputError("data", f"{path}: not a readable DBN file ({e})") from None


def parse(path: str | Path) -> Recording:
    p = Path(path)
    recs = _records(p)
    meta = recs[0] if recs and not hasattr(recs[0], "action") else None
    symbol = str(meta.symbols[0]) if meta is not None and getattr(meta, "symbols", None) else "MBO"
    # (ts, kind, side, price, level size, order id, order's size after, order's traded size)
    rows: list[tuple[float, int, int, int, int, int, int, int]] = []
    orders: dict[int, tuple[int, int, int]] = {}  # order id -> (side, price, size)
    levels: tuple[dict[int, int], dict[int, int]] = ({}, {})
    live_from: float | None = None
    aggressor = -1  # the side of the last trade's aggressor (-1: none, or an auction)
    last = float("-inf")

    def change(
        ts: float, side: int, price: int, delta: int, oid: int, left: int, traded: int = 0
    ) -> None:
        d = levels[side]
        q = d.get(price, 0) + delta
        if q > 0:
            d[price] = q
        else:
            d.pop(price, None)
            q = 0
        rows.append((ts, LEVEL, side, price, q, oid, left, traded))

    for r in recs:
        action = getattr(r, "action", None)
        if action is None:
            continue
        ts = max(r.ts_recv / 1e9, last)  # snapshot records share one receive time
        last = ts
        if live_from is None and not (int(r.flags) & 32):  # F_SNAPSHOT
            live_from = ts
        a = str(action)[-1]
        side = BID if str(r.side)[-1] == "B" else ASK
        if a == "R":
            orders.clear()
            levels[0].clear()
            levels[1].clear()
            rows.append((ts, CLEAR, BID, 0, 0, 0, 0, 0))
        elif a == "A":
            orders[r.order_id] = (side, r.price, r.size)
            change(ts, side, r.price, r.size, r.order_id, r.size)
        elif a == "C":
            o = orders.get(r.order_id)
            if o is not None:
                left = max(o[2] - r.size, 0)
                change(ts, o[0], o[1], left - o[2], r.order_id, left)
                if left > 0:
                    orders[r.order_id] = (o[0], o[1], left)
                else:
                    del orders[r.order_id]
        elif a == "M":
            o = orders.get(r.order_id)
            if o is not None and o[:2] == (side, r.price):  # one row: the queue decides priority
                change(ts, side, r.price, r.size - o[2], r.order_id, r.size)
            else:
                if o is not None:
                    change(ts, o[0], o[1], -o[2], r.order_id, 0)
                change(ts, side, r.price, r.size, r.order_id, r.size)
            orders[r.order_id] = (side, r.price, r.size)
        elif a == "F":  # the level changes with the C/M that follows; the row says who traded
            o = orders.get(r.order_id)
            # the aggressor gets an F too (before the M that moved it): only resting orders count
            if o is not None and r.size > 0 and r.price == o[1] and o[0] != aggressor:
                change(ts, o[0], o[1], 0, r.order_id, o[2], min(r.size, o[2]))
        elif a == "T":
            t_side = str(r.side)[-1]
            aggressor = BID if t_side == "B" else ASK if t_side == "A" else -1  # N: an auction
            if aggressor >= 0:
                rows.append((ts, TRADE, 1 - aggressor, r.price, r.size, 0, 0, 0))
    if not rows:
        raise InputError("data", f"{p}: no market-by-order records")
    if rows[0][1] != CLEAR:
        rows.insert(0, (rows[0][0], CLEAR, BID, 0, 0, 0, 0, 0))
    prices = np.array([r[3] for r in rows], dtype=np.int64)
    tick = 0
    for v in np.unique(prices[prices > 0])[:4096].tolist():
        tick = math.gcd(tick, v)
    tick = tick or 1
    return build(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], prices // tick,
        np.array([r[4] for r in rows], dtype=np.int64),
        {
            "format": "dbn", "market": "cme", "symbol": symbol, "source": str(p),
            "tick": str(np.format_float_positional(tick / SCALE, trim="-")), "lot": "1",
            "book_from": live_from if live_from is not None else rows[0][0],
            "gaps": 0, "skipped": 0, "warnings": [], "feed_delay_s": 0.0,
        },
        tuple(np.array([r[i] for r in rows], dtype=np.int64) for i in (5, 6, 7)),  # type: ignore[arg-type]
    )  # fmt: skip
