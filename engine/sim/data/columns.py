"""The replay cache's columnar form of one recorded market: one row per level change or trade.

Rows are in time order and replay in row order. `price` is integer ticks and `qty` integer lots
of the recording's own tick and lot, so our queue arithmetic compares exactly:
- LEVEL: the displayed size at (side, price) is now `qty` (0 removes the level);
- TRADE: a print of `qty` at `price` against the resting `side` (BID: a seller took the bid);
- CLEAR: the book is emptied (a snapshot follows as LEVEL rows at the same time).
`meta` says where the rows came from (format, symbol, tick, lot, warnings) for the venue and errors.
Order-level data (Bitstamp L3, CME MBO) also carries `orders`: which order each LEVEL row changed,
so the replay venue can queue our orders by order id (engine/sim/replay/exact_queue.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

LEVEL, TRADE, CLEAR = 0, 1, 2
BID, ASK = 0, 1
FORMAT_VERSION = 3


@dataclass(slots=True)
class OrderColumns:
    """Per row of an order-level recording: the order a LEVEL row changed (0: none) and how."""

    oid: np.ndarray  # int64 order id; 0 for rows that are not one order's event
    size: np.ndarray  # int64 lots the order has at this price after the row (0: gone from it)
    fill: np.ndarray  # int64 lots of the order that traded in this row (0: not a fill)


@dataclass(slots=True)
class Recording:
    """One recorded market as columns (numpy arrays of equal length) and what is known of it."""

    ts: np.ndarray  # float64 seconds (epoch for Binance, after midnight for LOBSTER)
    kind: np.ndarray  # int8 LEVEL / TRADE / CLEAR
    side: np.ndarray  # int8 BID / ASK
    price: np.ndarray  # int64 ticks
    qty: np.ndarray  # int64 lots
    meta: dict[str, Any] = field(default_factory=dict)
    orders: OrderColumns | None = None  # order-level recordings only
    # the compiled replay's price index (engine/sim/replay/dense_book.py): the distinct prices,
    # sorted, and each row's index into them; kept in the cache so a replay does not rebuild it
    dense: tuple[np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    @property
    def tick(self) -> Decimal:
        return Decimal(self.meta["tick"])

    @property
    def lot(self) -> Decimal:
        return Decimal(self.meta["lot"])

    @property
    def symbol(self) -> str:
        return str(self.meta["symbol"])

    @property
    def first_ts(self) -> float:
        """When the book is first known (the first snapshot), not the first line of the file."""
        return float(self.meta["book_from"])

    @property
    def last_ts(self) -> float:
        return float(self.ts[-1]) if len(self) else self.first_ts

    def save(self, path: Path) -> None:
        """Write atomically (temp file, then rename) so a crash never leaves half a cache."""
        tmp = path.with_name(path.name + ".tmp")
        cols: dict[str, np.ndarray] = {
            "ts": self.ts,
            "kind": self.kind,
            "side": self.side,
            "price": self.price,
            "qty": self.qty,
            "meta": np.array(json.dumps(self.meta)),
        }
        if self.orders is not None:
            o = self.orders
            cols.update(oid=o.oid, osize=o.size, ofill=o.fill)
        if self.dense is not None:
            cols.update(dense_prices=self.dense[0], dense_rows=self.dense[1])
        with tmp.open("wb") as f:
            np.savez(f, **cols)  # type: ignore[arg-type]
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Recording:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            orders = OrderColumns(z["oid"], z["osize"], z["ofill"]) if "oid" in z.files else None
            dense = (z["dense_prices"], z["dense_rows"]) if "dense_rows" in z.files else None
            return cls(z["ts"], z["kind"], z["side"], z["price"], z["qty"], meta, orders, dense)


def build(
    ts: list[float] | np.ndarray,
    kind: list[int] | np.ndarray,
    side: list[int] | np.ndarray,
    price: np.ndarray,
    qty: np.ndarray,
    meta: dict[str, Any],
    orders: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> Recording:
    """Columns from parsed lists, typed once; `orders` (oid, size, fill) for order-level data."""
    return Recording(
        np.asarray(ts, dtype=np.float64),
        np.asarray(kind, dtype=np.int8),
        np.asarray(side, dtype=np.int8),
        np.asarray(price, dtype=np.int64),
        np.asarray(qty, dtype=np.int64),
        {"version": FORMAT_VERSION, **meta},
        None if orders is None else OrderColumns(*(np.asarray(c, np.int64) for c in orders)),
    )


def decimals_needed(texts: list[str]) -> int:
    """Decimal places the finest of these decimal strings needs ("61800.20" -> 1)."""
    most = 0
    for s in texts:
        _, dot, frac = s.partition(".")
        if dot:
            most = max(most, len(frac.rstrip("0")))
    return most


def to_units(values: np.ndarray, decimals: int) -> tuple[np.ndarray, int]:
    """Floats as integers of 10**-decimals, refining the unit until every value is exact."""
    for d in range(decimals, 13):
        scaled = values * (10.0**d)
        units = np.rint(scaled)
        # float rounding grows with the magnitude: allow a few ulps of the scaled value
        if not len(values) or np.all(np.abs(scaled - units) < 1e-6 + 1e-14 * np.abs(scaled)):
            return units.astype(np.int64), d
    raise ValueError("values need more than 12 decimal places")
