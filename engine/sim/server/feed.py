"""One venue's public book as Binance publishes it: numbered updates, diffs, and a snapshot at an id.

The published book is the authority for both the REST snapshot (`lastUpdateId`) and the diff
stream (`U`..`u`), so a client that follows Binance's own recipe (buffer diffs, fetch a snapshot,
drop diffs with `u <= lastUpdateId`, then require `U == previous u + 1`) rebuilds exactly it.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal

from engine.brokers.base import Broker

FEED_DEPTH = 20  # levels per side the venue publishes (Binance publishes more; the sim has ~20)
LOG_SIZE = 5000  # updates kept for subscribers that flush every 1000 ms at a high update rate

Levels = dict[Decimal, Decimal]


@dataclass(slots=True)
class Update:
    """One numbered change of the book: the levels that changed (size 0 = removed)."""

    update_id: int
    wall_ms: int
    first_id: int  # the frame's U: ids between the previous update and this one were skipped
    bids: Levels
    asks: Levels


@dataclass(slots=True)
class BookFeed:
    """The published book of one symbol on one venue, and the recent numbered updates."""

    venue: Broker
    symbol: str
    update_id: int = 1_000_000
    bids: Levels = field(default_factory=dict)
    asks: Levels = field(default_factory=dict)
    log: deque[Update] = field(default_factory=lambda: deque(maxlen=LOG_SIZE))
    top: tuple[Decimal, Decimal, Decimal, Decimal] | None = None  # bid, bid size, ask, ask size
    changed_ms: int = 0  # wall time of the newest update (the data's age starts here)
    following: bool = False  # numbered at every market step (a diff stream subscribed)
    pending: int = 0  # market steps since the last sample

    def follow_steps(self) -> None:
        """A simulated venue with a diff subscriber: every market step is one numbered update
        (else changes between two samples would merge into one)."""
        listen = getattr(self.venue, "on_book_change", None)
        if listen is not None and not self.following:
            self.following = True
            listen(self.symbol, self._stepped)

    def _stepped(self) -> None:
        self.pending += 1  # counted now, read at the next sample: one update id per market step

    async def sample(self) -> Update | None:
        """Read the venue's book now; a change becomes the next numbered update."""
        bids, asks = await self.venue.book(self.symbol, FEED_DEPTH)
        return self.take(bids, asks)

    def take(
        self, bids: list[tuple[Decimal, Decimal]], asks: list[tuple[Decimal, Decimal]]
    ) -> Update | None:
        """The book as it is now: if it changed, the next numbered update."""
        new_b, new_a = dict(bids), dict(asks)
        db, da = _diff(self.bids, new_b), _diff(self.asks, new_a)
        if not db and not da:
            self.pending = 0
            return None
        self.bids, self.asks = new_b, new_a
        steps, self.pending = max(1, self.pending), 0
        return self.skip(steps, db, da, first=self.update_id + 1)

    def skip(
        self,
        n: int,
        bids: Levels | None = None,
        asks: Levels | None = None,
        first: int | None = None,
    ) -> Update:
        """Advance the id by `n`: the `n` changes since `first` (by default only the last id is
        the update's: the ones before it were skipped, a sequence gap)."""
        self.update_id += n
        self.changed_ms = int(time.time() * 1000)
        start = self.update_id if first is None else first
        upd = Update(self.update_id, self.changed_ms, start, bids or {}, asks or {})
        self.log.append(upd)
        if self.bids and self.asks:
            b, a = max(self.bids), min(self.asks)
            self.top = (b, self.bids[b], a, self.asks[a])
        return upd

    def since(self, after_id: int) -> list[Update]:
        """Updates with ids above `after_id`, oldest first (what one subscriber has not been sent)."""
        out: list[Update] = []
        for u in reversed(self.log):
            if u.update_id <= after_id:
                break
            out.append(u)
        out.reverse()
        return out

    def snapshot(
        self, limit: int
    ) -> tuple[int, list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        """(lastUpdateId, bids best first, asks best first): the book exactly as of that id."""
        bids = sorted(self.bids.items(), key=lambda x: -x[0])[:limit]
        asks = sorted(self.asks.items())[:limit]
        return self.update_id, bids, asks


def _diff(old: Levels, new: Levels) -> Levels:
    out = {p: q for p, q in new.items() if old.get(p) != q}
    out.update({p: Decimal(0) for p in old if p not in new})
    return out


def merge(updates: list[Update]) -> tuple[Levels, Levels]:
    """Many updates as one frame's levels: the newest size of each price wins."""
    bids: Levels = {}
    asks: Levels = {}
    for u in updates:
        bids.update(u.bids)
        asks.update(u.asks)
    return bids, asks
