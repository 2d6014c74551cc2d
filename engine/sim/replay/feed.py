"""One recording played forward in time: the book, our resting orders' queues, and their fills.

`advance(t)` applies every row up to exchange time t. The loop does one dict assignment per
level change while no order of ours rests; with orders resting it also moves their queues:
prints at their price advance them, a print through their price or the far side reaching it
fills them in full at their own price (maker), as hftbacktest's partial-fill exchange does.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

import numpy as np

from engine.sim.data.columns import ASK, BID, LEVEL, TRADE, Recording
from engine.sim.replay.book import ReplayBook
from engine.sim.replay.queue import QueueModel, Resting

INF = float("inf")
assert (LEVEL, TRADE) == (0, 1)  # the hot loop compares with the literals
# (order, lots, price ticks, exchange time) for each maker fill
FillSink = Callable[[Resting, int, int, float], None]


class Feed:
    """A cursor over one recording's rows with our orders laid on its book."""

    def __init__(self, rec: Recording, queue: QueueModel, refill_s: float) -> None:
        self.rec = rec
        self.ts = rec.ts  # numpy: searched, and sliced to a list only while orders rest
        self.kind: list[int] = rec.kind.tolist()
        self.side: list[int] = rec.side.tolist()
        self.price: list[int] = rec.price.tolist()
        self.qty: list[int] = rec.qty.tolist()
        # heap key of each row's price: bids negated, so both sides' heaps are min-heaps
        self.hkey: list[int] = np.where(rec.side == BID, -rec.price, rec.price).tolist()
        self.i = 0
        self.t = float("-inf")
        self.book = ReplayBook(refill_s)
        self.queue = queue
        self.resting: dict[str, Resting] = {}
        self.at: tuple[dict[int, list[Resting]], dict[int, list[Resting]]] = ({}, {})
        self.max_buy = -INF  # highest resting buy price, -inf when none
        self.min_sell = INF
        self.sink: FillSink = lambda o, lots, px, t: None
        self.traded_lots = 0  # prints in the data so far (ADV estimate)
        self.feed_latency_s = 0.0
        # (now, top as seen now: the book one feed latency ago) for quotes
        self.seen: tuple[float, tuple[int | None, int, int | None, int]] | None = None
        self.shift = 0  # ticks our impact moves this book: shown price = recorded + shift

    @property
    def end(self) -> float:
        return float(self.ts[-1]) if len(self.ts) else self.t

    def sync(self, now: float) -> None:
        """Bring the book to `now`, keeping the top as it was one feed latency ago for quotes."""
        lat = self.feed_latency_s
        if lat > 0 and (self.seen is None or self.seen[0] != now):
            seen = now - lat
            self.advance(seen)  # a no-op when the book is already past it
            b = self.book
            self.seen = (now, (*b.top(BID, seen), *b.top(ASK, seen)))
        self.advance(now)

    def advance(self, t: float) -> None:
        """Apply every row with time <= t."""
        if t <= self.t:
            return
        j = int(self.ts.searchsorted(t, "right"))
        if j > self.i:
            if self.resting:
                self._rows_with_orders(self.i, j)
            else:
                self._rows(self.i, j)
            self.i = j
        self.t = t

    def _rows(self, i: int, j: int) -> None:
        """The hot loop: no order of ours rests, so each row is one dict write (and a heap push
        when a level appears). Literals 0/1 are LEVEL/TRADE (asserted at import)."""
        levels, heaps = self.book.levels, self.book.heaps
        push = heapq.heappush
        traded = 0
        rows = zip(
            self.kind[i:j],
            self.side[i:j],
            self.price[i:j],
            self.qty[i:j],
            self.hkey[i:j],
            strict=True,
        )
        for c, s, p, q, h in rows:
            if c == 0:
                d = levels[s]
                if q:
                    if p not in d:
                        push(heaps[s], h)
                    d[p] = q
                else:
                    d.pop(p, None)
            elif c == 1:
                traded += q
            else:
                self.book.clear()
        self.traded_lots += traded
        self.book.compact()

    def _rows_with_orders(self, i: int, j: int) -> None:
        """Rows while orders of ours rest: the book as in `_rows`, plus a look-up of our orders
        at the row's level and two comparisons; queue and fill work only where they are."""
        levels, heaps, at = self.book.levels, self.book.heaps, self.at
        push = heapq.heappush
        depth = self.queue.depth
        rows = zip(
            self.kind[i:j], self.side[i:j], self.price[i:j], self.qty[i:j], self.hkey[i:j],
            self.ts[i:j].tolist(), strict=True,
        )  # fmt: skip
        for k, (c, s, p, q, h, t) in enumerate(rows, i):
            if c == 0:
                d = levels[s]
                old = d.get(p, 0)
                if q:
                    if not old:
                        push(heaps[s], h)
                    d[p] = q
                elif old:
                    del d[p]
                mine = at[s].get(p)
                if mine:
                    for o in mine:
                        depth(o, old, q)
                if q and (p <= self.max_buy if s == ASK else p >= self.min_sell):
                    self._crossed(s, p, t)
            elif c == 1:
                self.traded_lots += q
                if p <= self.max_buy if s == BID else p >= self.min_sell:
                    self._trade(s, p, q, t)
            else:
                self.book.clear()
            if not self.resting:
                self._rows(k + 1, j)
                return

    def _trade(self, side: int, price: int, lots: int, t: float) -> None:
        for o in list(self.resting.values()):
            if o.side != side:
                continue
            through = price < o.price if side == BID else price > o.price
            if through:
                self._fill(o, o.remaining, t)
            elif price == o.price:
                n = self.queue.trade(o, lots)
                if n:
                    self._fill(o, n, t)

    def _crossed(self, far_side: int, price: int, t: float) -> None:
        """The far side's recorded level reached our price: the orders it reaches fill in full."""
        for o in list(self.resting.values()):
            if o.side != far_side and (o.price >= price if o.side == BID else o.price <= price):
                self._fill(o, o.remaining, t)

    def _fill(self, o: Resting, lots: int, t: float) -> None:
        o.remaining -= lots
        if o.remaining <= 0:
            self.remove(o.oid)
        self.sink(o, lots, o.price, t)

    def rest(self, o: Resting) -> None:
        self.resting[o.oid] = o
        self._bounds()

    def remove(self, oid: str) -> Resting | None:
        o = self.resting.pop(oid, None)
        if o is not None:
            self._bounds()
        return o

    def _bounds(self) -> None:
        """Re-index our orders by level and keep the highest buy and the lowest sell."""
        at: tuple[dict[int, list[Resting]], dict[int, list[Resting]]] = ({}, {})
        for o in self.resting.values():
            at[o.side].setdefault(o.price, []).append(o)
        self.at = at
        buys = [o.price for o in self.resting.values() if o.side == BID]
        sells = [o.price for o in self.resting.values() if o.side == ASK]
        self.max_buy = max(buys) if buys else -INF
        self.min_sell = min(sells) if sells else INF

    def rebase(self, delta: int, t: float) -> None:
        """The book moved `delta` ticks (our impact): our orders keep their real price, so they sit
        `delta` lower in the recording's prices, behind no more than is shown there; those the
        moved far side now reaches fill in full (as the simulator's re-placed books fill them)."""
        self.shift += delta
        if not self.resting:
            return
        for o in self.resting.values():
            o.price -= delta
            o.ahead = min(o.ahead, float(self.book.levels[o.side].get(o.price, 0)))
            o.traded = 0.0
        self._bounds()
        for far in (BID, ASK):
            best = self.book.best(far)
            if best is not None and self.resting:
                self._crossed(far, best, t)
