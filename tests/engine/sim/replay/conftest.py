"""Replay venue fixtures: hand-built recordings (exact arithmetic) and the committed Binance excerpts."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from engine.clock import SimClock
from engine.sim.data.columns import Recording, build
from engine.sim.replay.market import ReplayMarket
from engine.sim.replay.queue import QueueModel
from engine.sim.replay.spec import VenueSpec
from engine.sim.replay.venue import ReplayVenue

REPO = Path(__file__).resolve().parents[4]
SPOT = REPO / "tests" / "data" / "binance" / "spot_btcusdt_excerpt.jsonl.gz"
USDM = REPO / "tests" / "data" / "binance" / "usdm_btcusdt_excerpt.jsonl.gz"
T0 = 1_000.0

Row = tuple[float, int, int, int, int]  # (ts, kind, side, price ticks, lots)


def recording(rows: list[Row], *, tick: str = "0.1", lot: str = "0.001") -> Recording:
    """A recording from rows, as the cache would hold it."""
    ts, kind, side, price, qty = (list(c) for c in zip(*rows, strict=True))
    return build(
        ts,
        kind,
        side,
        price,
        qty,
        {
            "format": "test",
            "market": "test",
            "symbol": "BTCUSDT",
            "source": "hand-built",
            "tick": tick,
            "lot": lot,
            "book_from": rows[0][0],
        },
    )


VenueFactory = Callable[..., tuple[ReplayVenue, SimClock]]


@pytest.fixture
def make_venue() -> VenueFactory:
    def make(
        rows: list[Row],
        *,
        order_ms: float = 0.0,
        feed_ms: float = 0.0,
        maker_bps: float = 0.0,
        taker_bps: float = 0.0,
        queue: str = "risk_averse",
        refill_s: float = 5.0,
        start: float = T0,
    ) -> tuple[ReplayVenue, SimClock]:
        clock = SimClock(start=start)
        market = ReplayMarket([recording(rows)], clock, queue=QueueModel(queue), refill_s=refill_s)
        spec = VenueSpec("REPLAY-A", maker_bps, taker_bps, order_ms / 1000, 0.0, feed_ms / 1000)
        return ReplayVenue(spec, market, 0, cash=Decimal("1000000")), clock

    return make
