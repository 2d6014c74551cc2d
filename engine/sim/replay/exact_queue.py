"""Exact queue position of our resting orders on an order-level recording (Bitstamp L3, CME MBO).

An order of ours that rests at a price sits behind exactly the recorded orders resting there when
it arrives (by id, anonymous snapshot size included) and ahead of every order that arrives after.
- An order ahead of us that is cancelled, reduced or trades leaves or shrinks the queue ahead;
  one whose size goes up loses its place and is behind us from then on.
- An order ahead of us trading means everything in front of it has gone (price-time priority):
  those are dropped too (the feed is known to drop some deletes).
- An order behind us trading, or one of our side at a worse price, means the aggressor reached
  our price with nothing left ahead of us: we fill by the lots it traded (at most what we have),
  and whatever we still counted ahead is gone.
- Orders not ahead of us never move us: cancels and fills behind us, prints (TRADE rows: the
  order events already say who traded), and size the recording shows with no order named beyond
  what caps our queue at the level's size.
- The far side reaching our price (Bitstamp shows an aggressive order at its limit before it
  matches) fills us only when nothing is ahead and no better price of our side is left, by at
  most the size there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from engine.sim.data.columns import BID, Recording
from engine.sim.replay.order_levels import Level, OrderLevels, trim_front
from engine.sim.replay.queue import Resting

FillCall = Callable[[Resting, int, float], None]  # (our order, lots, exchange time)


@dataclass(slots=True)
class Queue:
    """The recorded orders ahead of one of ours, front first, and the ids that ever were."""

    ahead: Level
    were_ahead: set[int]
    behind: set[int] = field(default_factory=set)


class ExactQueues:
    """Our resting orders' queues on one order-level recording."""

    def __init__(self, rec: Recording, fill: FillCall) -> None:
        assert rec.orders is not None
        self.levels = OrderLevels(rec)
        self.oid: list[int] = rec.orders.oid.tolist()
        self.size: list[int] = rec.orders.size.tolist()
        self.traded: list[int] = rec.orders.fill.tolist()
        self.queues: dict[str, Queue] = {}
        self.fill = fill

    def join(self, o: Resting, row: int) -> None:
        """`o` arrives once rows [0, row) are applied: behind every order at its price."""
        ahead = self.levels.queue(o.side, o.price, row)
        self.queues[o.oid] = Queue(ahead, set(ahead))
        o.ahead = float(sum(ahead.values()))

    def leave(self, oid: str) -> None:
        self.queues.pop(oid, None)

    def row(
        self, k: int, side: int, price: int, old: int, q: int, mine: list[Resting] | None,
        resting: dict[str, Resting], t: float,
    ) -> None:  # fmt: skip
        """Row k changed the level (side, price) from old to q lots: move the queues it concerns."""
        oid, traded = self.oid[k], self.traded[k]
        for o in list(mine or ()):
            self._at_our_price(o, oid, self.size[k], traded, old, q, t)
        if traded:
            worse = [
                o
                for o in resting.values()
                if o.side == side and (price < o.price if side == BID else price > o.price)
            ]
            for o in worse:
                self._reached(o, traded, t)

    def _at_our_price(
        self, o: Resting, oid: int, size: int, traded: int, old: int, q: int, t: float
    ) -> None:
        qu = self.queues.get(o.oid)
        if qu is None:
            return
        a = qu.ahead
        if oid and oid in a:
            if traded:
                for x in list(a):  # whatever is in front of an order that trades has gone
                    if x == oid:
                        break
                    del a[x]
                size = min(size, a[oid] - traded)
            if size <= 0 or size > a[oid]:
                del a[oid]  # gone, or it grew and lost its place to us
            else:
                a[oid] = size
        elif oid and oid not in qu.were_ahead:
            if traded:
                self._reached(o, traded, t)
                return
            if size > 0 or oid in qu.behind:
                qu.behind.add(oid)  # arrived after us (or grew back in): behind us
            elif old > q:  # never seen since we joined: part of the unnamed size ahead of us
                anon = {x: n for x, n in a.items() if x < 0}
                trim_front(anon, old - q)
                for x in [x for x in a if x < 0]:
                    if x in anon:
                        a[x] = anon[x]
                    else:
                        del a[x]
        total = sum(a.values())
        if total > q:  # the level holds less than we count ahead: the rest has gone
            trim_front(a, total - q)
            total = q
        o.ahead = float(total)

    def _reached(self, o: Resting, traded: int, t: float) -> None:
        """An aggressor got past our place in the queue: we trade first, by what it traded."""
        qu = self.queues.get(o.oid)
        if qu is None:
            return
        qu.ahead.clear()
        o.ahead = 0.0
        self.fill(o, min(o.remaining, traded), t)

    def crossed(self, o: Resting, far_lots: int, best_of_our_side: int | None, t: float) -> None:
        """The far side shows `far_lots` at or through our price."""
        qu = self.queues.get(o.oid)
        if qu is None or qu.ahead or far_lots <= 0:
            return
        if best_of_our_side is not None and (
            best_of_our_side > o.price if o.side == BID else best_of_our_side < o.price
        ):
            return
        self.fill(o, min(o.remaining, far_lots), t)
