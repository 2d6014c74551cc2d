"""Bitstamp order-level (L3) logs as training paths: `<recv_ms> <type> <json>` lines.

The book is rebuilt from order events (created / changed / deleted, each carrying the order's id,
side and remaining amount) and resynchronised from every top-20 `order_book` snapshot, since the
feed is known to drop or reorder an event now and then: inside the snapshot's price range the
snapshot wins, levels deeper than it are kept. Trades carry no aggressor side, and the order events
around a trade do not tell it either (an incoming marketable order is created and changed at its own
price before it matches, so "the order reduced at the trade price" is as often the aggressor): a
trade above the last snapshot's mid is a buyer taking, below it a seller. `read_bitstamp` counts how
often the rebuilt touch disagrees with the next snapshot (the replay check of the other loaders).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.models import InputError
from engine.rl.depth import DepthProfile

KINDS = ("order_created", "order_changed", "order_deleted", "trade", "order_book")
BID, ASK = 0, 1


def is_bitstamp(path: str | Path) -> bool:
    """True when the first line reads `<digits> <one of KINDS> {`."""
    try:
        opener = gzip.open if str(path).endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as f:  # type: ignore[operator]
            head = f.readline().split(" ", 2)
    except (OSError, UnicodeDecodeError, EOFError):
        return False
    return len(head) == 3 and head[0].isdigit() and head[1] in KINDS


def read_lines(path: str | Path) -> Iterator[tuple[float, str, dict[str, Any]]]:
    """(seconds, kind, payload) per line; lines that do not parse are skipped."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:  # type: ignore[operator]
        for line in f:
            ms, _, rest = line.partition(" ")
            kind, _, body = rest.partition(" ")
            if kind not in KINDS or not ms.isdigit():
                continue
            try:
                yield int(ms) / 1e3, kind, json.loads(body)
            except json.JSONDecodeError:
                continue


@dataclass(slots=True)
class L3Book:
    """Price levels per side from order events, resynchronised by snapshots."""

    levels: tuple[dict[float, float], dict[float, float]] = field(default_factory=lambda: ({}, {}))
    orders: dict[int, tuple[int, float, float]] = field(default_factory=dict)

    def _add(self, side: int, price: float, qty: float) -> None:
        lv = self.levels[side]
        left = lv.get(price, 0.0) + qty
        if left > 1e-9:
            lv[price] = left
        else:
            lv.pop(price, None)

    def order(self, kind: str, d: dict[str, Any]) -> None:
        """Apply one order event (amount is what remains of the order)."""
        oid, side, price = int(d["id"]), int(d["order_type"]), float(d["price"])
        amount = 0.0 if kind == "order_deleted" else float(d["amount"])
        old = self.orders.pop(oid, None)
        if old is not None:
            self._add(old[0], old[1], -old[2])
        if amount > 0:
            self.orders[oid] = (side, price, amount)
            self._add(side, price, amount)

    def snapshot(self, d: dict[str, Any]) -> None:
        """Inside the snapshot's range it wins; nothing better than its touch exists (a stale
        order the feed never deleted would otherwise cross the book for good)."""
        for side, key in ((BID, "bids"), (ASK, "asks")):
            rows = [(float(p), float(q)) for p, q in d.get(key, [])]
            if not rows:
                continue
            lo, hi = min(p for p, _ in rows), max(p for p, _ in rows)
            if side == BID:
                hi = float("inf")
            else:
                lo = float("-inf")
            lv = self.levels[side]
            for p in [p for p in lv if lo <= p <= hi]:
                del lv[p]
            for p, q in rows:
                if q > 0:
                    lv[p] = q

    def top(self) -> tuple[float, float, float, float] | None:
        """(bid, bid size, ask, ask size), or None while a side is empty or the book is crossed."""
        bids, asks = self.levels
        if not bids or not asks:
            return None
        b, a = max(bids), min(asks)
        return (b, bids[b], a, asks[a]) if b < a else None


def read_bitstamp(
    path: str | Path, depth: DepthProfile | None = None
) -> tuple[
    list[float], list[tuple[float, float, float, float]], list[tuple[float, float, bool]], int
]:
    """Book tops after every event, trades (time, size, buyer took), and touch mismatches at
    snapshots; `depth` samples the rebuilt book every `depth.every_s` (engine/rl/depth.py)."""
    book = L3Book()
    times: list[float] = []
    rows: list[tuple[float, float, float, float]] = []
    trades: list[tuple[float, float, bool]] = []
    snap_mid = float("nan")
    mismatches = 0
    for t, kind, d in read_lines(path):
        if kind == "trade":
            px = float(d["price"])
            if snap_mid == snap_mid:  # not NaN: a snapshot has been seen
                trades.append((t, float(d["amount"]), px >= snap_mid))
            continue
        if kind == "order_book":
            before = book.top()
            book.snapshot(d)
            after = book.top()
            if after is not None:
                snap_mid = (after[0] + after[2]) / 2
            if before is not None and after is not None and before[::2] != after[::2]:
                mismatches += 1
        else:
            book.order(kind, d)
        top = book.top()
        if top is not None:
            times.append(t)
            rows.append(top)
            if depth is not None and t - depth.last_sample >= depth.every_s:
                depth.measure(t, book.levels[BID], book.levels[ASK])
    if len(times) < 2:
        raise InputError("data", f"{path}: no usable Bitstamp book in the file")
    return times, rows, trades, mismatches
