"""The replayed book of one venue: integer ticks and lots, best prices kept in heaps, our takes refilling.

Levels are dicts (an update is one assignment). A level that appears is pushed on its side's heap
(asks: prices; bids: negated prices); an emptied level stays in the heap until it surfaces at the
top, where it is dropped, so the best price is never rescanned and an update costs the same in a
book of 20k levels as in one of 1k. A walk steps tick by tick from the touch (where takes happen)
and sorts only what lies beyond WALK_TICKS.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator

from engine.sim.data.columns import ASK, BID

WALK_TICKS = 4096


class ReplayBook:
    """Recorded levels per side, less the liquidity our own orders took and has not refilled."""

    __slots__ = ("levels", "heaps", "consumed", "refill_s")

    def __init__(self, refill_s: float) -> None:
        self.levels: tuple[dict[int, int], dict[int, int]] = ({}, {})
        self.heaps: tuple[list[int], list[int]] = ([], [])  # bids negated: both are min-heaps
        self.consumed: tuple[dict[int, tuple[float, float]], dict[int, tuple[float, float]]] = (
            {},
            {},
        )
        self.refill_s = refill_s

    def clear(self) -> None:
        for side in (BID, ASK):
            self.levels[side].clear()
            self.heaps[side].clear()

    def set(self, side: int, price: int, lots: int) -> int:
        """Set a level's recorded size; returns the size it had."""
        d = self.levels[side]
        old = d.get(price, 0)
        if lots > 0:
            if not old:
                heapq.heappush(self.heaps[side], -price if side == BID else price)
            d[price] = lots
        elif old:
            del d[price]
        return old

    def best(self, side: int) -> int | None:
        """Best recorded price of a side (ignoring what we took)."""
        h, d = self.heaps[side], self.levels[side]
        if not d:
            h.clear()
            return None
        sign = -1 if side == BID else 1
        while sign * h[0] not in d:
            heapq.heappop(h)
        return sign * h[0]

    def compact(self) -> None:
        """Rebuild a heap where emptied levels piled up deep inside (keeps memory bounded)."""
        for side in (BID, ASK):
            h, d = self.heaps[side], self.levels[side]
            if len(h) > 2 * len(d) + 1024:
                sign = -1 if side == BID else 1
                h[:] = [sign * p for p in d]
                heapq.heapify(h)

    def walk(self, side: int) -> Iterator[int]:
        """Prices of one side from the touch outwards."""
        best = self.best(side)
        if best is None:
            return
        d = self.levels[side]
        step = -1 if side == BID else 1
        p, left = best, len(d)
        for _ in range(WALK_TICKS):
            if p in d:
                yield p
                left -= 1
                if not left:
                    return
            p += step
        far = [q for q in d if (q <= p if side == BID else q >= p)]
        yield from sorted(far, reverse=side == BID)

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
