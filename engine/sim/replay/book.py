"""The replayed book of one venue: integer ticks and lots, best prices kept in sorted order, our takes refilling.

Levels are dicts (an update is one assignment); prices are also kept in a sorted list that only
changes when a level appears or empties, so the best price is never rescanned and a walk goes
level by level from the touch, however deep the book (20k levels cost about what 1k cost).
What we took stays out of the displayed size and refills exponentially with `refill_s`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from sortedcontainers import SortedList

from engine.sim.data.columns import ASK, BID


class ReplayBook:
    """Recorded levels per side, less the liquidity our own orders took and has not refilled."""

    __slots__ = ("levels", "prices", "consumed", "refill_s")

    def __init__(self, refill_s: float) -> None:
        self.levels: tuple[dict[int, int], dict[int, int]] = ({}, {})
        self.prices: tuple[SortedList, SortedList] = (SortedList(), SortedList())
        self.consumed: tuple[dict[int, tuple[float, float]], dict[int, tuple[float, float]]] = (
            {},
            {},
        )
        self.refill_s = refill_s

    def clear(self) -> None:
        for side in (BID, ASK):
            self.levels[side].clear()
            self.prices[side].clear()

    def set(self, side: int, price: int, lots: int) -> int:
        """Set a level's recorded size; returns the size it had."""
        d = self.levels[side]
        old = d.get(price, 0)
        if lots > 0:
            if not old:
                self.prices[side].add(price)
            d[price] = lots
        elif old:
            del d[price]
            self.prices[side].remove(price)
        return old

    def best(self, side: int) -> int | None:
        """Best recorded price of a side (ignoring what we took)."""
        ps = self.prices[side]
        if not ps:
            return None
        return ps[-1] if side == BID else ps[0]

    def walk(self, side: int) -> Iterator[int]:
        """Prices of one side from the touch outwards."""
        ps = self.prices[side]
        return reversed(ps) if side == BID else iter(ps)

    def taken(self, side: int, price: int, now: float) -> float:
        """Lots we took at this level that have not refilled yet."""
        c = self.consumed[side].get(price)
        if c is None:
            return 0.0
        lots, at = c
        left = lots * math.exp(-(now - at) / self.refill_s) if self.refill_s > 0 else 0.0
        if left < 0.5:
            del self.consumed[side][price]
            return 0.0
        return left

    def visible(self, side: int, price: int, now: float) -> int:
        """The recorded size less what we took: what another order of ours could reach."""
        q = self.levels[side].get(price, 0)
        if not q or not self.consumed[side]:
            return q
        return max(0, q - math.ceil(self.taken(side, price, now) - 1e-9))

    def take(self, side: int, price: int, lots: int, now: float) -> None:
        """Remember that we removed `lots` from a level at time `now`."""
        self.consumed[side][price] = (self.taken(side, price, now) + lots, now)

    def top(self, side: int, now: float, max_levels: int = 64) -> tuple[int | None, int]:
        """The best level with something left after our takes, and its size."""
        if not self.consumed[side]:
            p = self.best(side)
            return (p, self.levels[side][p]) if p is not None else (None, 0)
        for i, p in enumerate(self.walk(side)):
            q = self.visible(side, p, now)
            if q > 0:
                return p, q
            if i >= max_levels:
                break
        return None, 0

    def depth(self, side: int, n: int, now: float) -> list[tuple[int, int]]:
        """Up to n visible levels, best first."""
        out: list[tuple[int, int]] = []
        for p in self.walk(side):
            q = self.visible(side, p, now)
            if q > 0:
                out.append((p, q))
                if len(out) >= n:
                    break
        return out
