"""Aggregated price-level book for replay: dicts of price -> size with a lazily kept best price.

The best price is cached and only recomputed when the best level itself is removed and someone
asks, which keeps an update as cheap as a bare dict assignment.
"""

from __future__ import annotations


class L2Book:
    """Bids and asks as {price: size}; sizes > 0 only, so no negative or empty level survives."""

    __slots__ = ("bids", "asks", "_bb", "_ba")

    def __init__(self) -> None:
        self.bids: dict[float, float] = {}
        self.asks: dict[float, float] = {}
        self._bb: float | None = None  # None: unknown, recompute on demand
        self._ba: float | None = None

    def clear(self) -> None:
        self.bids.clear()
        self.asks.clear()
        self._bb = self._ba = None

    def set_bid(self, p: float, q: float) -> None:
        if q > 0:
            self.bids[p] = q
            if self._bb is not None and p > self._bb:
                self._bb = p
        elif self.bids.pop(p, None) is not None and p == self._bb:
            self._bb = None

    def set_ask(self, p: float, q: float) -> None:
        if q > 0:
            self.asks[p] = q
            if self._ba is not None and p < self._ba:
                self._ba = p
        elif self.asks.pop(p, None) is not None and p == self._ba:
            self._ba = None

    def apply(self, bids: list[tuple[float, float]], asks: list[tuple[float, float]]) -> None:
        """Absolute level sizes (a size of 0 removes the level), as Binance diffs give them."""
        b, a = self.bids, self.asks
        bb, ba = self._bb, self._ba
        for p, q in bids:
            if q > 0:
                b[p] = q
                if bb is not None and p > bb:
                    bb = p
            elif b.pop(p, None) is not None and p == bb:
                bb = None
        for p, q in asks:
            if q > 0:
                a[p] = q
                if ba is not None and p < ba:
                    ba = p
            elif a.pop(p, None) is not None and p == ba:
                ba = None
        self._bb, self._ba = bb, ba

    def best_bid(self) -> float | None:
        if self._bb is None and self.bids:
            self._bb = max(self.bids)
        return self._bb

    def best_ask(self) -> float | None:
        if self._ba is None and self.asks:
            self._ba = min(self.asks)
        return self._ba

    def top(self) -> tuple[float | None, float, float | None, float]:
        bb, ba = self.best_bid(), self.best_ask()
        return (
            bb,
            self.bids.get(bb, 0.0) if bb is not None else 0.0,
            ba,
            self.asks.get(ba, 0.0) if ba is not None else 0.0,
        )

    def side_levels(self, is_bid: bool, depth: int) -> list[tuple[float, float]]:
        """Best `depth` levels of one side, best first."""
        d = self.bids if is_bid else self.asks
        keys = sorted(d, reverse=is_bid)[:depth]
        return [(p, d[p]) for p in keys]
