"""An arriving order against the replayed book: what it takes (walking the levels), and where it rests."""

from __future__ import annotations

from engine.sim.data.columns import BID
from engine.sim.replay.book import ReplayBook


def marketable(book: ReplayBook, side: int, limit: int | None, now: float) -> bool:
    """Would an order of `side` at `limit` (None: market) cross the visible far side?"""
    far, _ = book.top(1 - side, now)
    if far is None:
        return False
    return limit is None or (far <= limit if side == BID else far >= limit)


def walk(
    book: ReplayBook, side: int, lots: int, limit: int | None, now: float
) -> list[tuple[int, int]]:
    """Take up to `lots` from the far side, best level first, no worse than `limit`: (price, lots)."""
    far = 1 - side
    out: list[tuple[int, int]] = []
    for p in book.walk(far):
        if lots <= 0 or (limit is not None and (p > limit if side == BID else p < limit)):
            break
        q = min(lots, book.visible(far, p, now))
        if q > 0:
            out.append((p, q))
            lots -= q
    for p, q in out:
        book.take(far, p, q, now)
    return out
