"""A Bitstamp order-level log (`<recv_ms> <type> <json>`) to replay-cache columns, aggregated by price.

The book starts at the first top-20 `order_book` snapshot. Each order event changes its level by
the amount it adds or removes (created: + amount; changed: the change in remaining amount of an
order we know; deleted: - its remaining amount), so a level's size is the sum of its orders. The
feed is known to drop or reorder events: every later snapshot is compared with our top 20 levels
and any level that differs is set to the snapshot's size (counted in the warnings). A trade has
no aggressor field: a print at or above the mid rested on the ask, below it on the bid.
Each order's row also carries its id, its remaining amount and what of it traded (a change down,
or a delete of amount 0, is a fill; not for an aggressive order still crossing the book: it shows
at its limit before it matches), so the replay venue can queue our orders by id.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from engine.models import InputError
from engine.sim.data.columns import ASK, BID, CLEAR, LEVEL, TRADE, Recording, build, to_units
from engine.sim.data.datafile import DataError, open_lines

TYPES = ("order_created", "order_changed", "order_deleted", "trade", "order_book")


def looks_like(path: Path) -> bool:
    """The first line is `<digits> <one of TYPES> {`."""
    try:
        for _, line in open_lines(path):
            head, _, rest = line.strip().partition(" ")
            kind, _, body = rest.partition(" ")
            return head.isdigit() and kind in TYPES and body.startswith("{")
    except DataError:
        return False
    return False


class _Book:
    """Aggregated levels as floats of the data's units, and the rows that changed them."""

    def __init__(self) -> None:
        self.levels: tuple[dict[float, float], dict[float, float]] = ({}, {})
        self.orders: dict[int, tuple[int, float, float]] = {}  # id -> (side, price, remaining)
        # (ts, kind, side, price, level size, order id, order's remaining, order's traded amount)
        self.rows: list[tuple[float, int, int, float, float, int, float, float]] = []
        self.corrected = 0

    def change(
        self,
        ts: float,
        side: int,
        price: float,
        delta: float,
        oid: int = 0,
        left: float = 0.0,
        traded: float = 0.0,
    ) -> None:
        d = self.levels[side]
        q = round(d.get(price, 0.0) + delta, 8)
        if q > 0:
            d[price] = q
        else:
            d.pop(price, None)
            q = 0.0
        self.rows.append((ts, LEVEL, side, price, q, oid, left, traded))

    def snapshot(self, ts: float, msg: dict[str, Any]) -> None:
        first = not self.rows
        if first:
            self.rows.append((ts, CLEAR, BID, 0.0, 0.0, 0, 0.0, 0.0))
        for side, key in ((BID, "bids"), (ASK, "asks")):
            snap = {float(p): float(q) for p, q in msg[key]}
            if not snap:
                continue
            d = self.levels[side]
            edge = min(snap) if side == BID else max(snap)
            inside = [p for p in d if (p >= edge if side == BID else p <= edge)]
            for p in set(inside) | set(snap):
                q = snap.get(p, 0.0)
                if d.get(p, 0.0) != q:
                    self.corrected += 0 if first else 1
                    self.change(ts, side, p, q - d.get(p, 0.0))

    def crosses(self, side: int, price: float) -> bool:
        """Does an order of `side` at `price` reach the other side (an aggressor still matching)?"""
        far = self.levels[1 - side]
        if not far:
            return False
        return min(far) <= price if side == BID else max(far) >= price

    def mid(self) -> float | None:
        b, a = self.levels
        return (max(b) + min(a)) / 2 if b and a else None


def parse(path: str | Path) -> Recording:
    p = Path(path)
    book = _Book()
    errors: list[str] = []
    started = False
    last = float("-inf")
    for n, line in open_lines(p):
        head, _, rest = line.strip().partition(" ")
        kind, _, body = rest.partition(" ")
        try:
            ts = int(head) / 1000
            msg = json.loads(body)
            if ts < last:
                raise ValueError(f"clock goes backwards ({ts:.3f} < {last:.3f}); line skipped")
            last = ts
            if kind == "order_book":
                book.snapshot(ts, msg)
                started = True
            elif started:
                _event(book, ts, kind, msg)
        except (ValueError, KeyError, TypeError) as e:
            if len(errors) < 20:
                errors.append(f"{p}:{n}: {e}")
    if not started:
        raise InputError("data", f"{p}: no order_book snapshot to start a book from")
    rows = book.rows
    n = len(rows)
    prices, pd = to_units(np.array([r[3] for r in rows]), 2)
    # level sizes and order amounts share one lot so the queue compares them exactly
    amounts, qd = to_units(np.array([r[i] for i in (4, 6, 7) for r in rows]), 8)
    qtys, left, traded = amounts[:n], amounts[n : 2 * n], amounts[2 * n :]
    warnings = errors + (
        [f"{p}: {book.corrected} levels corrected from the snapshots"] if book.corrected else []
    )
    return build(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], prices, qtys,
        {
            "format": "bitstamp", "market": "bitstamp", "symbol": "BTCUSD", "source": str(p),
            "tick": str(np.format_float_positional(10.0**-pd, trim="-")),
            "lot": str(np.format_float_positional(10.0**-qd, trim="-")),
            "book_from": rows[0][0], "gaps": book.corrected, "skipped": len(errors),
            "warnings": warnings, "feed_delay_s": 0.0,
        },
        (np.array([r[5] for r in rows], dtype=np.int64), left, traded),
    )  # fmt: skip


def _event(book: _Book, ts: float, kind: str, msg: dict[str, Any]) -> None:
    if kind == "trade":
        price, qty = float(msg["price"]), float(msg["amount"])
        mid = book.mid()
        side = ASK if mid is None or price >= mid else BID
        book.rows.append((ts, TRADE, side, price, qty, 0, 0.0, 0.0))
        return
    oid, side = int(msg["id"]), BID if int(msg["order_type"]) == 0 else ASK
    price, amount = float(msg["price"]), float(msg["amount"])
    known = book.orders.get(oid)
    if kind == "order_created":
        book.orders[oid] = (side, price, amount)
        book.change(ts, side, price, amount, oid, amount)
    elif kind == "order_changed":
        if known is not None:  # Bitstamp orders are not amended: a change down is a partial fill
            book.orders[oid] = (side, price, amount)
            traded = 0.0 if book.crosses(side, price) else max(round(known[2] - amount, 8), 0.0)
            book.change(ts, side, price, amount - known[2], oid, amount, traded)
    elif kind == "order_deleted":
        book.orders.pop(oid, None)
        # deleted with amount 0: it traded in full; with its remaining amount: cancelled
        filled = known is not None and amount == 0 and not book.crosses(side, price)
        traded = known[2] if known is not None and filled else 0.0
        book.change(ts, side, price, -(known[2] if known is not None else amount), oid, 0.0, traded)
