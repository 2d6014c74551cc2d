"""A Binance capture (`<receive_ts_ns> <raw JSON>` lines) to replay-cache columns, parsed once with orjson.

The book is rebuilt as Binance documents it: the REST snapshot, diffs with u <= lastUpdateId
dropped, the rest in order (spot: U = previous u + 1; USD-M: pu = previous u). Diffs received
before the snapshot are held and applied at the snapshot's time. A break in the id chain is kept
as a warning (count and first line); a line that is not JSON, or whose clock goes backwards, is
skipped and reported with its line number. Tick and lot are the finest decimals the data prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson

from engine.models import InputError
from engine.sim.data.columns import (
    ASK,
    BID,
    CLEAR,
    LEVEL,
    TRADE,
    Recording,
    build,
    decimals_needed,
    to_units,
)
from engine.sim.data.datafile import DataError, open_lines

MAX_ERRORS = 20


class _Columns:
    """Growing column lists; prices and sizes kept as floats until the tick and lot are known."""

    def __init__(self) -> None:
        self.ts: list[float] = []
        self.kind: list[int] = []
        self.side: list[int] = []
        self.price: list[float] = []
        self.qty: list[float] = []

    def levels(self, ts: float, side: int, levels: list[list[str]]) -> None:
        n = len(levels)
        self.ts.extend([ts] * n)
        self.kind.extend([LEVEL] * n)
        self.side.extend([side] * n)
        self.price.extend([float(p) for p, _ in levels])
        self.qty.extend([float(q) for _, q in levels])

    def one(self, ts: float, kind: int, side: int, price: float, qty: float) -> None:
        self.ts.append(ts)
        self.kind.append(kind)
        self.side.append(side)
        self.price.append(price)
        self.qty.append(qty)


class _State:
    """Where the id chain is, and what went wrong so far."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.last_u: int | None = None
        self.first_after_snap = False
        self.held: list[tuple[int, dict[str, Any]]] = []
        self.gaps = 0
        self.first_gap_line = 0
        self.errors: list[DataError] = []
        self.skipped = 0
        self.symbol = ""
        self.market = ""
        self.lags: list[float] = []
        self.book_from: float | None = None
        self.snapshot_texts: list[str] = []
        self.qty_texts: list[str] = []

    def error(self, line: int, message: str) -> None:
        self.skipped += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(DataError(self.path, line, message))


def parse(path: str | Path) -> Recording:
    """The whole capture as columns; raises InputError if it has no snapshot to start a book from."""
    p = Path(path)
    st = _State(p)
    cols = _Columns()
    last_ts = float("-inf")
    loads = orjson.loads
    n = 0
    scale = (
        0.0  # receive-time unit, told from the first line's magnitude (ns, or us in older captures)
    )
    try:
        for n, text in open_lines(p):
            head, _, body = text.partition(" ")
            try:
                raw = int(head)
                scale = scale or _unit(raw)
                ts = raw / scale
                msg = loads(body)
            except (ValueError, orjson.JSONDecodeError):
                if text.strip():
                    st.error(n, "expected '<receive_ts_ns> <json object>'")
                continue
            if ts < last_ts:
                st.error(n, f"clock goes backwards ({ts:.9f} < {last_ts:.9f}); line skipped")
                continue
            last_ts = ts
            try:
                _message(st, cols, n, ts, msg)
            except (KeyError, TypeError, ValueError, IndexError) as e:
                st.error(n, f"bad message ({type(e).__name__}: {e})")
    except DataError as e:  # truncated gzip: keep what was read, say where it stopped
        st.errors.append(e)
    if st.book_from is None:
        raise InputError(
            "data",
            f"{p}: no REST depth snapshot (lastUpdateId) in {n} lines: no book to start from",
        )
    return _finish(p, st, cols)


def _unit(raw: int) -> float:
    """Receive timestamps per second: 19-digit nanoseconds, 16-digit microseconds, 13-digit ms."""
    for unit in (1e9, 1e6, 1e3):
        if raw >= 1e9 * unit / 10:  # after 1973 in this unit
            return unit
    return 1.0


def _message(st: _State, cols: _Columns, n: int, ts: float, msg: dict[str, Any]) -> None:
    if "lastUpdateId" in msg:
        _snapshot(st, cols, ts, msg)
        return
    stream = msg["stream"]
    d = msg["data"]
    if not st.symbol:
        st.symbol = str(d.get("s", stream.split("@")[0])).upper()
    if "@depth" in stream:
        if "E" in d:
            st.lags.append(ts - d["E"] / 1000)
        if not st.market:
            st.market = "usdm" if "pu" in d else "spot"
        if st.last_u is None:
            st.held.append((n, d))
        else:
            _diff(st, cols, n, ts, d)
    elif stream.endswith("@trade") and st.last_u is not None:
        qty = d["q"]
        if len(st.qty_texts) < 2000:
            st.qty_texts.append(qty)
        cols.one(ts, TRADE, BID if d["m"] else ASK, float(d["p"]), float(qty))


def _snapshot(st: _State, cols: _Columns, ts: float, msg: dict[str, Any]) -> None:
    cols.one(ts, CLEAR, BID, 0.0, 0.0)
    bids, asks = msg["bids"], msg["asks"]
    cols.levels(ts, BID, bids)
    cols.levels(ts, ASK, asks)
    if not st.snapshot_texts:
        st.snapshot_texts = [p for p, _ in bids] + [p for p, _ in asks]
        st.qty_texts += [q for _, q in bids] + [q for _, q in asks]
    st.last_u = int(msg["lastUpdateId"])
    st.first_after_snap = True
    if st.book_from is None:
        st.book_from = ts
    held, st.held = st.held, []
    for line, d in held:
        _diff(st, cols, line, ts, d)


def _diff(st: _State, cols: _Columns, n: int, ts: float, d: dict[str, Any]) -> None:
    first, final = int(d["U"]), int(d["u"])
    last = st.last_u
    assert last is not None
    if final <= last:
        return
    if st.first_after_snap:
        ok = first <= last + 1
        st.first_after_snap = False
    else:
        ok = int(d["pu"]) == last if "pu" in d else first == last + 1
    if not ok:
        st.gaps += 1
        st.first_gap_line = st.first_gap_line or n
    cols.levels(ts, BID, d["b"])
    cols.levels(ts, ASK, d["a"])
    st.last_u = final


def _finish(p: Path, st: _State, cols: _Columns) -> Recording:
    price_d = decimals_needed(st.snapshot_texts)
    qty_d = decimals_needed(st.qty_texts)
    prices, price_d = to_units(np.asarray(cols.price, dtype=np.float64), price_d)
    qtys, qty_d = to_units(np.asarray(cols.qty, dtype=np.float64), qty_d)
    lags = np.asarray(st.lags) if st.lags else np.zeros(1)
    warnings = [f"{e.path}:{e.line}: {e.detail}" for e in st.errors]
    if st.gaps:
        warnings.append(
            f"{p}:{st.first_gap_line}: {st.gaps} break(s) in the depth update-id chain; the book went on from each"
        )
    if st.skipped > len(st.errors):
        warnings.append(f"{p}: {st.skipped} lines skipped in all")
    return build(
        cols.ts,
        cols.kind,
        cols.side,
        prices,
        qtys,
        {
            "format": "binance",
            "market": st.market or "spot",
            "symbol": st.symbol,
            "source": str(p),
            "tick": str(np.format_float_positional(10.0**-price_d, trim="-")),
            "lot": str(np.format_float_positional(10.0**-qty_d, trim="-")),
            "book_from": st.book_from,
            "gaps": st.gaps,
            "skipped": st.skipped,
            "warnings": warnings,
            # receive minus exchange time: its spread over the minimum is the feed's own delay
            # (the minimum itself is mostly the recorder's clock offset)
            "feed_delay_s": float(np.median(lags) - np.min(lags)),
        },
    )
