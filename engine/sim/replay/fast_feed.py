"""The compiled feed: Feed's interface with the row loop in numba (engine/sim/replay/kernel.py).

The engine's venue drives it exactly as it drives the Python Feed (advance to the clock between
decisions, rest, remove, rebase on impact); the kernel replays the rows and moves our queues, and
the fills it reports are handed to the venue's sink in the order and at the times the Python
feed would give them (tests/engine/sim/replay/test_compiled_feed.py holds every fill equal).
"""

from __future__ import annotations

import numpy as np

from engine.sim.data.columns import ASK, BID, Recording
from engine.sim.replay import kernel as K
from engine.sim.replay.dense_book import DenseBook, price_index
from engine.sim.replay.feed import Feed
from engine.sim.replay.queue import QueueModel, Resting

FILL_BUFFER = 4096


class CompiledFeed(Feed):
    """A cursor over one L2 recording whose rows, queues and fills run compiled."""

    def __init__(self, rec: Recording, queue: QueueModel, refill_s: float) -> None:
        if rec.orders is not None:
            raise ValueError(
                "order-level recordings replay on the Python feed (queues by order id)"
            )
        self.rec = rec
        self.ts = rec.ts
        self.i = 0
        self.t = float("-inf")
        self.queue = queue
        self.resting: dict[str, Resting] = {}
        self.sink = lambda o, lots, px, t: None
        self.feed_latency_s = 0.0
        self.seen = None
        self.exact = None
        self.shift = 0
        self.index = price_index(rec)
        self.st = K.new_state()
        self.book: DenseBook = DenseBook(refill_s, self.index, self.st)
        self.qkind = K.PROB if queue.kind == "prob" else K.RISK_AVERSE
        self.oi: np.ndarray = np.zeros((8, K.O_SIZE), dtype=np.int64)  # grows when more orders rest
        self.of: np.ndarray = np.zeros((8, 2), dtype=np.float64)
        self.fi: np.ndarray = np.zeros((FILL_BUFFER, 3), dtype=np.int64)
        self.ft: np.ndarray = np.zeros(FILL_BUFFER, dtype=np.float64)
        self.nums: dict[int, Resting] = {}
        self.num_of: dict[str, int] = {}
        self.next_num = 1

    @property
    def traded_lots(self) -> int:  # type: ignore[override]
        return int(self.st[K.ST_TRADED])

    @traded_lots.setter
    def traded_lots(self, v: int) -> None:
        self.st[K.ST_TRADED] = v

    @property
    def max_buy(self) -> float:  # type: ignore[override]
        v = int(self.st[K.ST_MAXBUY])
        return -float("inf") if v == K.NO_BUY else v

    @property
    def min_sell(self) -> float:  # type: ignore[override]
        v = int(self.st[K.ST_MINSELL])
        return float("inf") if v == K.NO_SELL else v

    def advance(self, t: float) -> None:
        """Apply every row with time <= t in the kernel; hand its fills to the sink in order."""
        if t <= self.t:
            return
        r = self.rec
        while True:
            done = K.advance(
                r.ts, r.kind, r.side, r.price, r.qty, self.index.rows, t, self.book.sizes,
                self.st, self.oi, self.of, self.fi, self.ft, self.qkind, self.queue.power,
            )  # fmt: skip
            if self.resting:
                self._drain()
            if done:
                break
        self.i = int(self.st[K.ST_I])
        self.t = t

    def _drain(self) -> None:
        """Mirror the kernel's queues on our Resting objects and report its fills."""
        n = int(self.st[K.ST_NORD])
        for k in range(n):
            o = self.nums[int(self.oi[k, K.O_NUM])]
            o.ahead, o.traded = float(self.of[k, 0]), float(self.of[k, 1])
        nf = int(self.st[K.ST_NF])
        if not nf:
            return
        fills = zip(self.fi[:nf].tolist(), self.ft[:nf].tolist(), strict=True)
        self.st[K.ST_NF] = 0
        for (num, lots, px), t in fills:
            o = self.nums[num]
            o.remaining -= lots
            if o.remaining <= 0:
                self.remove(o.oid)
            self.sink(o, lots, px, t)

    def _slot(self, oid: str) -> int:
        num = self.num_of[oid]
        n = int(self.st[K.ST_NORD])
        return int(np.flatnonzero(self.oi[:n, K.O_NUM] == num)[0])

    def rest(self, o: Resting) -> None:
        n = int(self.st[K.ST_NORD])
        if n == len(self.oi):
            self.oi = np.concatenate([self.oi, np.zeros_like(self.oi)])
            self.of = np.concatenate([self.of, np.zeros_like(self.of)])
        num, self.next_num = self.next_num, self.next_num + 1
        if len(self.fi) <= n:  # a row can fill every resting order: the buffer holds that many
            self.fi = np.zeros((2 * len(self.fi), 3), dtype=np.int64)
            self.ft = np.zeros(len(self.fi), dtype=np.float64)
        x = self.index.find(o.price)
        xc = K.cross_index(self.index.prices, o.side, o.price)
        self.oi[n] = (1, o.side, o.price, x, o.remaining, num, xc)
        if x >= 0:
            self.book.sizes[2 + o.side, x] += 1
        self.of[n] = (o.ahead, o.traded)
        self.st[K.ST_NORD] = n + 1
        self.resting[o.oid] = o
        self.nums[num], self.num_of[o.oid] = o, num
        K.bounds(self.st, self.oi)

    def remove(self, oid: str) -> Resting | None:
        o = self.resting.pop(oid, None)
        if o is None:
            return None
        k, n = self._slot(oid), int(self.st[K.ST_NORD])
        K.deactivate(self.oi, self.book.sizes, k)  # a no-op when the kernel filled it
        self.oi[k : n - 1] = self.oi[k + 1 : n].copy()
        self.of[k : n - 1] = self.of[k + 1 : n].copy()
        self.st[K.ST_NORD] = n - 1
        del self.nums[self.num_of.pop(oid)]
        K.bounds(self.st, self.oi)
        return o

    def _fill(self, o: Resting, lots: int, t: float) -> None:
        """A fill decided in Python (a rebase's crossing): the kernel's arrays follow."""
        o.remaining -= lots
        self.oi[self._slot(o.oid), K.O_REM] = o.remaining
        if o.remaining <= 0:
            self.remove(o.oid)
        self.sink(o, lots, o.price, t)

    def _bounds(self) -> None:
        K.bounds(self.st, self.oi)

    def rebase(self, delta: int, t: float) -> None:
        """As Feed.rebase: our orders keep their real price, so they move `delta` in recorded ticks."""
        self.shift += delta
        if not self.resting:
            return
        for k in range(int(self.st[K.ST_NORD])):
            o = self.nums[int(self.oi[k, K.O_NUM])]
            o.price -= delta
            o.ahead = min(o.ahead, float(self.book.levels[o.side].get(o.price, 0)))
            o.traded = 0.0
            K.deactivate(self.oi, self.book.sizes, k)
            x = self.index.find(o.price)
            self.oi[k, K.O_ACTIVE], self.oi[k, K.O_PRICE], self.oi[k, K.O_PIDX] = 1, o.price, x
            self.oi[k, K.O_XCROSS] = K.cross_index(self.index.prices, o.side, o.price)
            if x >= 0:
                self.book.sizes[2 + o.side, x] += 1
            self.of[k] = (o.ahead, 0.0)
        self._bounds()
        for far in (BID, ASK):
            best = self.book.best(far)
            if best is not None and self.resting:
                self._crossed(far, best, t)


assert (BID, ASK) == (0, 1)  # the kernel compares sides with these literals


def make_feed(rec: Recording, queue: QueueModel, refill_s: float, compiled: bool = True) -> Feed:
    """The compiled feed where it applies (L2 data, numba installed), else the Python reference."""
    if compiled and K.AVAILABLE and rec.orders is None:
        return CompiledFeed(rec, queue, refill_s)
    return Feed(rec, queue, refill_s)
