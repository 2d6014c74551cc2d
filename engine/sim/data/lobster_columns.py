"""A LOBSTER message + orderbook pair to replay-cache columns: level changes and visible executions.

Each orderbook row is the book after its message, so the level changes are the differences
between consecutive rows (a level leaving the N-level window leaves our view too: the data says
nothing beyond it). Type 4 messages (a visible resting order executed) are the trades, against
the side the message names; hidden executions (type 5) change no displayed queue and are left out.
Times are seconds after midnight New York time on the date in the file name, made epoch seconds.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from engine.models import InputError
from engine.sim.data import lobster
from engine.sim.data.columns import ASK, BID, CLEAR, LEVEL, TRADE, Recording, build
from engine.sim.data.datafile import DataError

_NAME = re.compile(r"^(?P<symbol>[A-Za-z.]+)_(?P<date>\d{4}-\d{2}-\d{2})_")


def _midnight(path: Path) -> tuple[str, float]:
    """Symbol and the epoch time of New York midnight on the file's date."""
    m = _NAME.match(path.name)
    if not m:
        return "LOBSTER", 0.0
    day = datetime.strptime(m["date"], "%Y-%m-%d")
    try:
        from zoneinfo import ZoneInfo

        tz: timezone | ZoneInfo = ZoneInfo("America/New_York")
    except Exception:  # no tz database on this machine: US Eastern daylight time
        tz = timezone(timedelta(hours=-4))
    return m["symbol"].upper(), day.replace(tzinfo=tz).timestamp()


def midnight_epoch(path: str | Path) -> float:
    """Epoch seconds of the file's New York midnight: LOBSTER's own times count from it."""
    return _midnight(Path(path))[1]


def _diff(
    out: tuple[list[float], list[int], list[int], list[int], list[int]],
    t: float,
    side: int,
    old: dict[int, int],
    new: list[tuple[int, int]],
) -> dict[int, int]:
    ts, kind, sides, price, qty = out
    now = dict(new)
    for p, q in now.items():
        if old.get(p) != q:
            ts.append(t)
            kind.append(LEVEL)
            sides.append(side)
            price.append(p)
            qty.append(q)
    for p in old.keys() - now.keys():
        ts.append(t)
        kind.append(LEVEL)
        sides.append(side)
        price.append(p)
        qty.append(0)
    return now


def parse(path: str | Path) -> Recording:
    """The message file (and the orderbook file beside it) as columns."""
    p = Path(path)
    symbol, t0 = _midnight(p)
    errors: list[DataError] = []
    cols: tuple[list[float], list[int], list[int], list[int], list[int]] = ([], [], [], [], [])
    ts, kind, sides, price, qty = cols
    bids: dict[int, int] = {}
    asks: dict[int, int] = {}
    first: float | None = None
    steps: set[int] = set()
    for t, typ, _, size, px, direction, rb, ra, _levels in lobster.read_rows(p, errors):
        at = t0 + t
        if first is None:
            first = at
            ts.append(at)
            kind.append(CLEAR)
            sides.append(BID)
            price.append(0)
            qty.append(0)
        if typ == 4:
            ts.append(at)
            kind.append(TRADE)
            sides.append(BID if direction == 1 else ASK)
            price.append(px)
            qty.append(size)
        bids = _diff(cols, at, BID, bids, rb)
        asks = _diff(cols, at, ASK, asks, ra)
        if typ == 1 and len(steps) < 4096:  # visible limit orders: hidden prints may be sub-tick
            steps.add(px)
    if first is None:
        raise InputError("data", f"{p}: no readable message in the file")
    tick = 0
    for v in steps:
        tick = math.gcd(tick, v)
    tick = tick or 1
    pr = np.asarray(price, dtype=np.int64)
    if np.any(pr % tick):
        tick = 1
    warnings = [f"{e.path}:{e.line}: {e.detail}" for e in errors[:20]]
    return build(
        ts,
        kind,
        sides,
        pr // tick,
        np.asarray(qty, dtype=np.int64),
        {
            "format": "lobster",
            "market": "nasdaq",
            "symbol": symbol,
            "source": str(p),
            "tick": str(np.format_float_positional(tick / lobster.PRICE_SCALE, trim="-")),
            "lot": "1",
            "book_from": first,
            "gaps": 0,
            "skipped": len(errors),
            "warnings": warnings,
            "feed_delay_s": 0.0,
        },
    )
