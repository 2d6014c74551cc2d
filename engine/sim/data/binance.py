"""Binance capture loader: `<receive_ts_ns> <raw JSON>` lines (REST snapshot, depth diffs, bookTicker, trades).

Prices and sizes are parsed with float(): Binance prints them with a fixed number of decimals,
so one string always gives the same float and book levels compare exactly with bookTicker.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from engine.sim.data.datafile import DataError, open_lines

# Event tuples (kept as tuples: the replay loop is the hot path)
#   ("snap", ts, last_update_id, bids, asks)
#   ("diff", ts, first_id, final_id, prev_final_id | None, bids, asks)
#   ("bbo", ts, update_id, bid, bid_size, ask, ask_size)
#   ("trade", ts, price, qty, buyer_is_maker)
Event = tuple[Any, ...]


def _levels(raw: Any) -> list[tuple[float, float]]:
    return [(float(p), float(q)) for p, q in raw]


def parse_line(text: str) -> Event | None:
    """One line to one event; None for a message kind replay does not use; ValueError if bad."""
    head, sep, body = text.partition(" ")
    if not sep:
        raise ValueError("expected '<receive_ts_ns> <json>'")
    ts = int(head) / 1e9
    try:
        msg = json.loads(body)
    except json.JSONDecodeError as e:
        raise ValueError(f"bad JSON ({e.msg} at column {e.colno})") from None
    if not isinstance(msg, dict):
        raise ValueError("expected a JSON object")
    try:
        if "lastUpdateId" in msg:
            return (
                "snap",
                ts,
                int(msg["lastUpdateId"]),
                _levels(msg["bids"]),
                _levels(msg["asks"]),
            )
        stream = msg["stream"]
        d = msg["data"]
        if "@depth" in stream:
            return (
                "diff",
                ts,
                int(d["U"]),
                int(d["u"]),
                int(d["pu"]) if "pu" in d else None,
                _levels(d["b"]),
                _levels(d["a"]),
            )
        if stream.endswith("@bookTicker"):
            return (
                "bbo",
                ts,
                int(d["u"]),
                float(d["b"]),
                float(d["B"]),
                float(d["a"]),
                float(d["A"]),
            )
        if stream.endswith("@trade"):
            return ("trade", ts, float(d["p"]), float(d["q"]), bool(d["m"]))
    except KeyError as e:
        raise ValueError(f"missing field {e}") from None
    except (TypeError, ValueError) as e:
        raise ValueError(f"bad field value ({e})") from None
    return None


def read_events(path: str | Path, errors: list[DataError]) -> Iterator[Event]:
    """Events in file order; bad or out-of-order lines are appended to `errors` and skipped."""
    last_ts = float("-inf")
    try:
        for n, text in open_lines(path):
            if not text.strip():
                continue
            try:
                ev = parse_line(text)
            except ValueError as e:
                errors.append(DataError(path, n, str(e)))
                continue
            if ev is None:
                continue
            if ev[1] < last_ts:
                errors.append(
                    DataError(
                        path,
                        n,
                        f"timestamp goes backwards ({ev[1]:.9f} < {last_ts:.9f}); line skipped",
                    )
                )
                continue
            last_ts = ev[1]
            yield ev
    except DataError as e:
        errors.append(e)
