"""Databento market-by-order files (CME ES, `.dbn.zst`) as training paths: the top of book and the prints.

The replay parser (engine.sim.data.dbn_columns) already rebuilds the book's levels from the order
events (adds, cancels, modifies; a clear empties it); this walks its rows and keeps the best bid
and ask. The path starts at the first print (the open): before it the file holds the start-of-day
snapshot and the pre-open hour, a book that locks and crosses while orders queue for the opening
auction. A locked or crossed top (the opening auction's uncrossing) is not a market anyone could
trade on: the path keeps the last good top through it. Prints carry their aggressor (a buy takes
the ask). Replay checks, counted like Bitstamp's snapshot mismatches: a print at a better price
than the rebuilt touch of its resting side (the book would hold a stale level), prints beyond it (a
sweep: the venue sends every print of one aggressor before the cancels that empty the levels), and
locked or crossed moments after the open.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.models import InputError
from engine.sim.data import dbn_columns
from engine.sim.data.columns import ASK, BID, CLEAR, TRADE, Recording


def is_dbn(path: str | Path) -> bool:
    try:
        return dbn_columns.looks_like(Path(path))
    except OSError:
        return False


@dataclass(slots=True)
class MboTops:
    """What the grid needs (see paths._grid) and the replay checks."""

    times: list[float]
    rows: list[tuple[float, float, float, float]]  # bid, bid size, ask, ask size
    trades: list[tuple[float, float, bool]]  # time, size, a buyer took
    tick: float
    symbol: str
    prints: int
    prints_inside: int  # better than the rebuilt touch of their resting side: a stale book
    prints_beyond: int  # deeper than the touch: one aggressor sweeping levels
    crossed: int  # locked or crossed tops after the open


def _best(levels: dict[int, int], side: int) -> int | None:
    if not levels:
        return None
    return max(levels) if side == BID else min(levels)


def tops(rec: Recording) -> MboTops:
    """Walk the recording's level and trade rows: the top after every change from the open on."""
    tick = float(rec.tick)
    lot = float(rec.lot)
    levels: tuple[dict[int, int], dict[int, int]] = ({}, {})
    best: list[int | None] = [None, None]
    out = MboTops([], [], [], tick, rec.symbol, 0, 0, 0, 0)
    opened = False
    cols = (rec.ts.tolist(), rec.kind.tolist(), rec.side.tolist(), rec.price.tolist())
    for ts, kind, side, price, qty in zip(*cols, rec.qty.tolist(), strict=True):
        if kind == CLEAR:
            levels[BID].clear()
            levels[ASK].clear()
            best = [None, None]
            continue
        if kind == TRADE:
            opened = True
            out.prints += 1
            touch = best[side]
            if touch is None or (price > touch if side == BID else price < touch):
                out.prints_inside += 1
            elif price != touch:
                out.prints_beyond += 1
            out.trades.append((ts, qty * lot, side == ASK))
            continue
        lv = levels[side]
        if qty > 0:
            lv[price] = qty
            b = best[side]
            if b is None or (price > b if side == BID else price < b):
                best[side] = price
        else:
            lv.pop(price, None)
            if price == best[side]:
                best[side] = _best(lv, side)
        if not opened:
            continue
        bid, ask = best
        if bid is None or ask is None:
            continue
        if bid >= ask:
            out.crossed += 1
            continue
        out.times.append(ts)
        out.rows.append((bid * tick, levels[BID][bid] * lot, ask * tick, levels[ASK][ask] * lot))
    return out


def read_dbn(path: str | Path) -> MboTops:
    """A Databento MBO file's tops and prints from the open on; a file that never opens is refused."""
    got = tops(dbn_columns.parse(path))
    if len(got.times) < 2:
        raise InputError("data", f"{path}: no two-sided book after a first print in the file")
    return got
