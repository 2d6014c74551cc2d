"""The recorded orders resting at each price, in time priority, rebuilt from an order-level recording.

Only needed when one of our orders joins a level, so it is brought forward lazily to the feed's
row. Each level is a dict order id -> lots in insertion order (the queue's order): a new order
goes to the back, an order whose size goes up loses its place (CME's rule; Bitstamp orders are
not amended), a decrease keeps it. Size the recording shows with no order behind it (Bitstamp's
first snapshot, levels resynced from later snapshots) is kept as anonymous orders (negative ids):
a snapshot's size is older than any order after it, so it sits at the front; size a correction
adds goes to the back, and size a correction removes comes off the front.
"""

from __future__ import annotations

import itertools

from engine.sim.data.columns import CLEAR, LEVEL, Recording

Level = dict[int, int]  # order id -> lots, in queue order


class OrderLevels:
    """Per (side, price): the orders resting there, front of the queue first."""

    def __init__(self, rec: Recording) -> None:
        assert rec.orders is not None
        self.rec = rec
        self.levels: dict[tuple[int, int], Level] = {}
        self.totals: dict[tuple[int, int], int] = {}
        self.i = 0
        self._anon = itertools.count(-1, -1)

    def queue(self, side: int, price: int, upto: int) -> Level:
        """The orders at a level once rows [0, upto) are applied (a copy, front first)."""
        self._catch_up(upto)
        return dict(self.levels.get((side, price), {}))

    def _catch_up(self, upto: int) -> None:
        if upto <= self.i:
            return
        r, o = self.rec, self.rec.orders
        assert o is not None
        cols = zip(
            r.kind[self.i : upto].tolist(),
            r.side[self.i : upto].tolist(),
            r.price[self.i : upto].tolist(),
            r.qty[self.i : upto].tolist(),
            o.oid[self.i : upto].tolist(),
            o.size[self.i : upto].tolist(),
            strict=True,
        )
        for kind, side, price, q, oid, size in cols:
            if kind == LEVEL:
                self._apply((side, price), q, oid, size)
            elif kind == CLEAR:
                self.levels.clear()
                self.totals.clear()
        self.i = upto

    def _apply(self, key: tuple[int, int], q: int, oid: int, size: int) -> None:
        lv = self.levels.setdefault(key, {})
        tot = self.totals.get(key, 0)
        if oid:
            had = lv.get(oid, 0)
            if size <= 0:
                lv.pop(oid, None)
            elif had > 0 and size <= had:
                lv[oid] = size  # a decrease keeps its place (assignment keeps dict order)
            else:
                lv.pop(oid, None)
                lv[oid] = size  # new, or size up: the back of the queue
            tot += size - had
        if tot < q:
            lv[next(self._anon)] = q - tot
        elif tot > q:
            trim_front(lv, tot - q)
        if lv:
            self.totals[key] = q
        else:
            self.levels.pop(key, None)
            self.totals.pop(key, None)


def trim_front(lv: Level, lots: int) -> None:
    """Take `lots` off the front of a queue (what a shrinking level with no order named loses)."""
    for k in list(lv):
        if lots <= 0:
            return
        take = min(lv[k], lots)
        lots -= take
        if take == lv[k]:
            del lv[k]
        else:
            lv[k] -= take
