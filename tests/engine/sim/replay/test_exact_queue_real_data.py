"""Exact queues on slices of the real order-level files (Bitstamp L3, CME ES MBO); skipped without them.

The files are read from ../shared/data (never copied into the repository); Bitstamp is cut to its
first 40,000 lines in a temporary file so the check runs in a few seconds.
"""

from __future__ import annotations

import gzip
import itertools
from pathlib import Path

import numpy as np
import pytest

from engine.sim.data.cache import load
from engine.sim.data.columns import BID, LEVEL, Recording
from engine.sim.replay.feed import Feed
from engine.sim.replay.queue import QueueModel, Resting
from tests.engine.sim.conftest import shared_data

ROOT = shared_data()
pytestmark = [
    pytest.mark.data,
    pytest.mark.skipif(ROOT is None, reason="shared data (../shared/data) is absent"),
]
Fill = tuple[str, int, int, float]  # (our order, lots, price ticks, exchange time)


def bitstamp_slice(tmp: Path) -> Path:
    assert ROOT is not None
    src = ROOT / "bitstamp" / "bitstamp_btcusd_20150501_0000_1600.log.gz"
    out = tmp / "bitstamp_slice.log"
    with gzip.open(src, "rt") as f, out.open("w") as g:
        g.writelines(itertools.islice(f, 40_000))
    return out


@pytest.fixture(scope="module", params=["bitstamp", "cme"])
def rec(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Recording:
    assert ROOT is not None
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "bitstamp":
        return load(bitstamp_slice(tmp), tmp / "cache").recording
    return load(ROOT / "cme" / "esh4-glbx-mdp3-20231225.mbo.dbn.zst", tmp / "cache").recording


def join_at_the_touch(
    rec: Recording, model: QueueModel, n: int = 40
) -> tuple[Feed, list[Fill], list[tuple[float, int]]]:
    """Rest one lot on each side at the touch at n times through the recording; keep the fills
    and, for each order, (what it counts ahead, the recorded level) as it joins."""
    feed = Feed(rec, model, 1.0)
    fills: list[Fill] = []
    joins: list[tuple[float, int]] = []
    feed.sink = lambda o, lots, px, t: fills.append((o.oid, lots, px, t))
    start = max(rec.first_ts, float(rec.ts[0]))
    times = np.linspace(start + 1, rec.last_ts - 1, n + 1)[:-1]
    for i, t in enumerate(times):
        feed.advance(float(t))
        for side in (BID, 1 - BID):
            price = feed.book.best(side)
            if price is not None:
                level = feed.book.levels[side][price]
                o = Resting(f"{i}-{side}", side, price, 1, float(level))
                feed.rest(o)
                joins.append((o.ahead, level))
    feed.advance(rec.last_ts)
    return feed, fills, joins


def leave_row(rec: Recording, oid: int, size: int, side: int, price: int, after: int) -> int:
    """The first row after `after` where the recorded order `oid` leaves its place at (side,
    price): gone (cancelled, traded out, moved) or grown (CME: a size increase loses priority)."""
    o = rec.orders
    assert o is not None
    rows = np.flatnonzero(
        (o.oid[after:] == oid) & (rec.side[after:] == side) & (rec.price[after:] == price)
        & (rec.kind[after:] == LEVEL)
    ) + after  # fmt: skip
    for k in rows.tolist():
        now = int(o.size[k]) - int(o.fill[k])  # MBO: an F row's size is before its fill
        if now == 0 or now > size:
            return k
        size = now
    return len(rec)


def test_our_order_queues_behind_exactly_the_recorded_level_and_fills_only_on_order_events(
    rec: Recording,
) -> None:
    feed, fills, joins = join_at_the_touch(rec, QueueModel())
    assert feed.exact is not None and rec.orders is not None
    # each joined behind the orders at its price, by id, which add up to the recorded level
    assert len(joins) >= 70 and all(ahead == level for ahead, level in joins)
    rebuilt = feed.exact.levels
    rebuilt.queue(BID, 0, feed.i)  # the rebuilt levels agree with the book at the end too
    for side in (BID, 1 - BID):
        for price, q in feed.book.levels[side].items():
            assert sum(rebuilt.levels[side, price].values()) == q
    assert len(fills) >= 10, "too few resting orders filled in the slice"
    for oid, lots, price, t in fills:
        assert lots == 1 and reaches_us(rec, int(oid.split("-")[1]), price, t), (oid, t)


def reaches_us(rec: Recording, side: int, price: int, t: float) -> bool:
    """At time t a recorded order of our side traded at our price or a worse one, or the far side
    showed size at or through our price (Bitstamp shows an aggressor at its limit first)."""
    o = rec.orders
    assert o is not None
    at = rec.ts == t
    worse_or_same = rec.price <= price if side == BID else rec.price >= price
    traded = at & (o.fill > 0) & (rec.side == side) & worse_or_same
    through = rec.price <= price if side == BID else rec.price >= price
    far = at & (rec.kind == LEVEL) & (rec.side != side) & (rec.qty > 0) & through
    return bool(traded.any() or far.any())


def test_cme_fills_never_come_before_every_order_ahead_has_left_or_been_passed(
    rec: Recording,
) -> None:
    """Checked from the raw columns: when our bid first fills, each order that was ahead of it has
    left its place (cancelled, traded out, moved, grown) or an order queued after it has traded
    at our price (price-time priority puts it first: the data then shows it skipped, and an
    aggressor that reached past it reached us too)."""
    if rec.meta["format"] != "dbn":
        pytest.skip("one slice suffices: CME MBO names every order (no anonymous snapshot size)")
    o = rec.orders
    assert o is not None
    feed = Feed(rec, QueueModel(), 1.0)
    assert feed.exact is not None
    first: dict[str, float] = {}
    feed.sink = lambda r, lots, px, ts: first.setdefault(r.oid, ts)
    joins: list[tuple[str, int, int, list[tuple[int, int]]]] = []
    # continuous trading only (the file's last 50 minutes): the 23:00 UTC opening auction
    # fills every bid above the clearing price at once, whatever its queue
    for n, t in enumerate(np.linspace(rec.last_ts - 3000, rec.last_ts - 60, 25)):
        feed.advance(float(t))
        price = feed.book.best(BID)
        assert price is not None
        joined = feed.i
        feed.rest(Resting(f"b{n}", BID, price, 1, 0.0))
        ahead = list(feed.exact.queues[f"b{n}"].ahead.items())
        assert ahead and all(x > 0 for x, _ in ahead)  # MBO: every order ahead is named
        joins.append((f"b{n}", price, joined, ahead))
    feed.advance(rec.last_ts)
    checked = 0
    for oid, price, joined, ahead in joins:
        if oid not in first:
            continue
        upto = int(np.searchsorted(rec.ts, first[oid], "right"))
        span = slice(joined, upto)
        traded = o.oid[span][
            (o.fill[span] > 0) & (rec.side[span] == BID) & (rec.price[span] == price)
        ].tolist()
        for i, (x, lots) in enumerate(ahead):
            in_front = {y for y, _ in ahead[: i + 1]}
            passed = any(y not in in_front for y in traded)
            assert passed or leave_row(rec, x, lots, BID, price, joined) < upto, (oid, x)
        checked += 1
    assert checked >= 5


def test_exact_and_l2_queues_differ_on_real_data(rec: Recording) -> None:
    """The L2 risk-averse model counts prints; by id the order events decide: fills move."""
    _, exact, _ = join_at_the_touch(rec, QueueModel())
    l2_rec = Recording(rec.ts, rec.kind, rec.side, rec.price, rec.qty, rec.meta)
    _, l2, _ = join_at_the_touch(l2_rec, QueueModel())
    assert {(o, t) for o, _, _, t in exact} != {(o, t) for o, _, _, t in l2}
