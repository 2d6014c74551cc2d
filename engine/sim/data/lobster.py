"""LOBSTER loader: a message file and the orderbook file beside it, read in lockstep, any level count.

Message: time (s after midnight), type 1-7, order id, size, price x 10000, direction (1 buy, -1 sell).
Orderbook row k is the book after message k: AskP_i, AskS_i, BidP_i, BidS_i for each level i.
Prices stay integers (x 10000) and sizes integer shares, so replay compares exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from engine.models import InputError
from engine.sim.data.datafile import DataError, open_lines

EMPTY_ASK = 9_999_999_999
EMPTY_BID = -9_999_999_999
PRICE_SCALE = 10_000

# (time, type, order_id, size, price, direction, bids[(p, q)], asks[(p, q)], levels) best first, dummies dropped
Row = tuple[float, int, int, int, int, int, list[tuple[int, int]], list[tuple[int, int]], int]


def orderbook_path(message_path: str | Path) -> Path:
    p = Path(message_path)
    if "message" not in p.name:
        raise InputError("data", f"{p}: a LOBSTER message file name contains 'message'")
    ob = p.with_name(p.name.replace("message", "orderbook"))
    if not ob.exists():
        raise InputError("data", f"{p}: the orderbook file {ob.name} is not beside it")
    return ob


def parse_pair(msg: str, row: str) -> Row:
    m = msg.split(",")
    if len(m) != 6:
        raise ValueError(f"message has {len(m)} columns, expected 6")
    t = float(m[0])
    typ, oid, size, price, direction = int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5])
    if not 1 <= typ <= 7:
        raise ValueError(f"unknown message type {typ}")
    if size < 0:
        raise ValueError(f"negative size {size}")
    r = row.split(",")
    if len(r) % 4 or not r:
        raise ValueError(f"orderbook row has {len(r)} columns, expected a multiple of 4")
    v = [int(x) for x in r]
    asks = [(v[i], v[i + 1]) for i in range(0, len(v), 4) if v[i] != EMPTY_ASK]
    bids = [(v[i + 2], v[i + 3]) for i in range(0, len(v), 4) if v[i + 2] != EMPTY_BID]
    if any(q < 0 for _, q in asks) or any(q < 0 for _, q in bids):
        raise ValueError("negative size in the orderbook row")
    return (t, typ, oid, size, price, direction, bids, asks, len(v) // 4)


def read_rows(path: str | Path, errors: list[DataError]) -> Iterator[Row]:
    """Message and orderbook rows in lockstep; bad or out-of-order pairs are reported and skipped."""
    ob = orderbook_path(path)
    rows = open_lines(ob)
    last_t = float("-inf")
    try:
        for n, msg in open_lines(path):
            try:
                _, row = next(rows)
            except StopIteration:
                errors.append(DataError(ob, n, "orderbook file ends before the message file"))
                return
            try:
                ev = parse_pair(msg, row)
            except ValueError as e:
                errors.append(DataError(path, n, f"{e}"))
                continue
            if ev[0] < last_t:
                errors.append(
                    DataError(path, n, f"time goes backwards ({ev[0]} < {last_t}); line skipped")
                )
                continue
            last_t = ev[0]
            yield ev
    except DataError as e:
        errors.append(e)


def to_price(p: Any) -> float:
    return float(p) / PRICE_SCALE


# Replay check. A message touches one price level, so the row after it is the previous row with
# that level edited: a size change, a new level (the worst one falling out of a full window), or
# a level gone (the next one entering at the window edge). `window` is our own best-first copy of
# the previous row; `step` edits it and `book` (the same levels as a dict) in place and says
# whether the row is exactly that edit. Anything else goes to `resync`, the full comparison.
Levels = list[tuple[int, int]]


def step(
    book: dict[int, int],
    window: Levels,
    row: Levels,
    typ: int,
    size: int,
    price: int,
    levels: int,
    is_bid: bool,
) -> bool:
    """Apply message (typ, size, price) to one side; True when `row` is exactly the edited window."""
    q0 = book.get(price, 0)
    if q0:
        i = window.index((price, q0))  # book == dict(window): the level is there
        q = q0 + size if typ == 1 else q0 - size
        if q > 0:
            book[price] = q
            window[i] = (price, q)
            return window == row
        del book[price]
        del window[i]
        if len(row) <= len(window):
            return window == row
        edge = row[-1]  # the level entering from beyond the window must be the worst one
        window.append(edge)
        if window == row and (
            len(window) == 1 or (edge[0] < window[-2][0] if is_bid else edge[0] > window[-2][0])
        ):
            book[edge[0]] = edge[1]
            return True
        return False
    if typ != 1 or size <= 0:
        book.pop(price, None)  # nothing (or an empty level) to take from: the data decides
        return False
    book[price] = size
    new = (price, size)
    try:
        i = row.index(new)
    except ValueError:
        return False
    if i > len(window):
        return False
    # strictly between its neighbours, so the edited window stays sorted and free of duplicates
    if i and (window[i - 1][0] <= price if is_bid else window[i - 1][0] >= price):
        return False
    if i < len(window) and (window[i][0] >= price if is_bid else window[i][0] <= price):
        return False
    window.insert(i, new)
    if len(window) > len(row) == levels:
        edge = window.pop()  # a full window: the worst level falls out of view
        if window == row:
            del book[edge[0]]
            return True
        return False
    return window == row


def resync(book: dict[int, int], window: Levels, row: Levels, levels: int, is_bid: bool) -> bool:
    """Compare our side with the row on the levels both show, then follow the row; True if they differ."""
    bad = book != dict(row) and differs(sorted(book.items(), reverse=is_bid), row, levels)
    follow(book, window, row, is_bid)
    return bad


def follow(book: dict[int, int], window: Levels, row: Levels, is_bid: bool) -> None:
    """Take the row's levels as ours (beyond its window LOBSTER reports nothing: follow the data)."""
    book.clear()
    book.update(row)
    window[:] = sorted(book.items(), reverse=is_bid)


def differs(ours: Levels, theirs: Levels, levels: int) -> bool:
    """Differ on the levels both show, or the data shows fewer levels than it has room for."""
    k = min(len(ours), len(theirs))
    return ours[:k] != theirs[:k] or (len(theirs) < levels and len(ours) > len(theirs))
