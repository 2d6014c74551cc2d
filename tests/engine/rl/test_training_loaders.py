"""Training data beyond the simulator's loaders: Bitstamp L3 logs rebuilt into a book (with the
snapshot resync the feed needs) and Binance captures stamped in microseconds."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from engine.models import InputError
from engine.rl.bitstamp import L3Book, is_bitstamp, read_bitstamp
from engine.rl.paths import load_data

EXCERPT = Path(__file__).parents[2] / "data" / "binance" / "spot_btcusdt_excerpt.jsonl.gz"


def order(ms: int, kind: str, oid: int, side: int, price: str, amount: str) -> str:
    body = {
        "price": price,
        "amount": amount,
        "datetime": str(ms // 1000),
        "id": oid,
        "order_type": side,
    }
    return f"{ms} {kind} {json.dumps(body)}"


def snapshot(ms: int, bids: list[tuple[str, str]], asks: list[tuple[str, str]]) -> str:
    return f"{ms} order_book {json.dumps({'bids': bids, 'asks': asks})}"


def write(tmp_path: Path, lines: list[str]) -> Path:
    p = tmp_path / "bitstamp_test.log.gz"
    with gzip.open(p, "wt") as f:
        f.write("\n".join(lines) + "\n")
    return p


def test_order_events_build_levels_and_a_deleted_order_leaves_its_level():
    b = L3Book()
    b.order("order_created", {"id": 1, "order_type": 0, "price": "100.00", "amount": "2"})
    b.order("order_created", {"id": 2, "order_type": 0, "price": "100.00", "amount": "1"})
    b.order("order_created", {"id": 3, "order_type": 1, "price": "100.10", "amount": "5"})
    assert b.top() == (100.0, 3.0, 100.1, 5.0)
    b.order("order_changed", {"id": 1, "order_type": 0, "price": "100.00", "amount": "0.5"})
    assert b.top() == (100.0, 1.5, 100.1, 5.0)
    b.order("order_deleted", {"id": 2, "order_type": 0, "price": "100.00", "amount": "0"})
    b.order("order_deleted", {"id": 1, "order_type": 0, "price": "100.00", "amount": "0"})
    assert b.top() is None  # no bid left


def test_a_snapshot_removes_a_stale_order_that_crossed_the_book(tmp_path):
    lines = [
        snapshot(1000, [("100.00", "1")], [("100.20", "1")]),
        order(
            1100, "order_created", 7, 0, "100.30", "1"
        ),  # a bid through the ask: its delete is lost
        snapshot(4000, [("100.00", "1"), ("99.90", "2")], [("100.20", "1")]),
        f"4100 trade {json.dumps({'price': 100.2, 'amount': 0.4, 'id': 1})}",
        f"4200 trade {json.dumps({'price': 100.0, 'amount': 0.3, 'id': 2})}",
        order(5000, "order_created", 8, 1, "100.10", "3"),
    ]
    path = write(tmp_path, lines)
    assert is_bitstamp(path) and not is_bitstamp(EXCERPT)
    times, rows, trades, mismatches = read_bitstamp(path)
    assert rows[-1] == (100.0, 1.0, 100.1, 3.0)  # resynced, then the new ask improved the touch
    assert mismatches == 0  # the crossed book had no touch to compare
    assert trades == [(4.1, 0.4, True), (4.2, 0.3, False)]  # above / below the snapshot's mid
    p = load_data(path)
    assert p.source.startswith("bitstamp:") and p.tick == pytest.approx(0.1)
    assert p.buy_vol.sum() == pytest.approx(0.4) and p.sell_vol.sum() == pytest.approx(0.3)


def test_a_log_with_no_two_sided_book_is_refused_with_its_name(tmp_path):
    path = write(tmp_path, [order(1000, "order_created", 1, 0, "100.00", "1")])
    with pytest.raises(InputError, match="no usable Bitstamp book"):
        read_bitstamp(path)


def test_microsecond_stamps_read_as_the_same_market_as_nanoseconds(tmp_path):
    us = tmp_path / "excerpt_us.jsonl.gz"
    with gzip.open(EXCERPT, "rt") as src, gzip.open(us, "wt") as dst:
        for line in src:
            ts, _, rest = line.partition(" ")
            dst.write(f"{int(ts) // 1000} {rest}")
    a, b = load_data(EXCERPT), load_data(us)
    assert len(a) == len(b) > 10
    assert np.allclose(a.bid, b.bid) and np.allclose(a.buy_vol, b.buy_vol)
