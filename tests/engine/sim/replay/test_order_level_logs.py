"""Order-level (L3) logs aggregated by price: a made-up Bitstamp log in the feed's own line format."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from engine.sim.data.cache import load
from engine.sim.data.columns import ASK, BID, TRADE
from engine.sim.replay.feed import Feed
from engine.sim.replay.queue import QueueModel


def line(ms: int, kind: str, body: dict) -> str:
    return f"{ms} {kind} {json.dumps(body)}\n"


def order(kind: str, ms: int, oid: int, side: int, price: str, amount: str) -> str:
    body = {
        "price": price,
        "amount": amount,
        "datetime": str(ms // 1000),
        "id": oid,
        "order_type": side,
    }
    return line(ms, kind, body)


def test_orders_sum_into_levels_snapshots_correct_dropped_events(tmp_path: Path) -> None:
    snap = {"bids": [["100.00", "1.5"], ["99.90", "2"]], "asks": [["100.10", "3"]]}
    text = (
        order("order_deleted", 1_000, 7, 0, "99.00", "1")  # before the first snapshot: no book yet
        + line(2_000, "order_book", snap)
        + order("order_created", 3_000, 1, 0, "100.00", "0.5")  # joins the 1.5 at 100.00
        + order("order_changed", 3_500, 1, 0, "100.00", "0.2")  # 0.3 of it traded or pulled
        + order("order_deleted", 4_000, 9, 1, "100.10", "1.0")  # an order from before we started
        + line(4_100, "trade", {"price": 100.1, "amount": 0.25, "id": 5})
        # the feed dropped an event: the snapshot says 99.90 holds 1.2, not 2
        + line(
            5_000,
            "order_book",
            {"bids": [["100.00", "1.7"], ["99.90", "1.2"]], "asks": [["100.10", "2"]]},
        )
    )
    f = tmp_path / "bitstamp.log"
    f.write_text(text)
    rec = load(f, tmp_path / "cache").recording
    assert (rec.meta["format"], str(rec.tick), rec.first_ts) == ("bitstamp", "0.01", 2.0)
    assert "1 levels corrected" in rec.meta["warnings"][-1]
    feed = Feed(rec, QueueModel(), 1.0)
    feed.advance(4.5)
    lot = rec.lot
    assert feed.book.levels[BID][10000] * lot == Decimal("1.7")  # 1.5 + 0.5 - 0.3
    assert feed.book.levels[ASK][10010] * lot == Decimal(2)  # 3 - 1
    trades = rec.side[rec.kind == TRADE].tolist()
    assert trades == [ASK]  # a print at the ask rested on the ask
    feed.advance(6.0)
    assert feed.book.levels[BID][9990] * lot == Decimal("1.2")
