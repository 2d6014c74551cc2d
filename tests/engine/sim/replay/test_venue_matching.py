"""The replay venue on hand-built recordings: walking the book, our takes refilling, queue, latency, fees."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.brokers.base import OrderRejected
from engine.models import ChildOrder, OrderStatus, OrderType, Side, TimeInForce
from engine.sim.data.columns import ASK, BID, CLEAR, LEVEL, TRADE
from tests.engine.sim.replay.conftest import T0, Row, VenueFactory

BOOK: list[Row] = [
    (T0, CLEAR, BID, 0, 0),
    (T0, LEVEL, BID, 1000, 5),
    (T0, LEVEL, BID, 999, 10),
    (T0, LEVEL, ASK, 1001, 3),
    (T0, LEVEL, ASK, 1002, 4),
    (T0, LEVEL, ASK, 1003, 10),
]
END = [(T0 + 100, LEVEL, BID, 990, 1)]


def order(
    coid: str,
    side: Side,
    lots: int,
    price_ticks: int | None = None,
    *,
    tif: TimeInForce = TimeInForce.GTC,
    post_only: bool = False,
) -> ChildOrder:
    return ChildOrder(
        coid,
        "P1",
        "REPLAY-A",
        "BTCUSDT",
        side,
        Decimal(lots) * Decimal("0.001"),
        OrderType.MARKET if price_ticks is None else OrderType.LIMIT,
        None if price_ticks is None else Decimal(price_ticks) * Decimal("0.1"),
        tif,
        post_only,
    )


async def test_a_crossing_buy_walks_the_book_and_its_take_refills(make_venue: VenueFactory) -> None:
    venue, clock = make_venue(BOOK + END, taker_bps=5.0, refill_s=2.0)
    await venue.connect()
    await venue.submit(order("c1", Side.BUY, 5))
    fills = venue.executed_fills()
    assert [(f.price, f.quantity, f.liquidity) for f in fills] == [
        (Decimal("100.1"), Decimal("0.003"), "taker"),
        (Decimal("100.2"), Decimal("0.002"), "taker"),
    ]
    assert fills[0].fee == (Decimal("0.003") * Decimal("100.1") * Decimal("0.0005")).quantize(
        Decimal("0.00000001")
    )
    q = await venue.top_of_book("BTCUSDT")
    assert (q.ask, q.ask_size) == (Decimal("100.2"), Decimal("0.002"))  # what we took is gone
    await venue.submit(order("c2", Side.BUY, 3))
    assert [(f.price, f.quantity) for f in venue.executed_fills()[2:]] == [
        (Decimal("100.2"), Decimal("0.002")),
        (Decimal("100.3"), Decimal("0.001")),
    ]
    await clock.sleep(30.0)  # 15 refill time constants later the recorded book is back
    q = await venue.top_of_book("BTCUSDT")
    assert (q.ask, q.ask_size) == (Decimal("100.1"), Decimal("0.003"))


async def test_risk_averse_queue_fills_only_after_the_prints_ahead(
    make_venue: VenueFactory,
) -> None:
    rows = (
        BOOK
        + [
            (T0 + 1, TRADE, BID, 1000, 3),  # 5 ahead -> 2
            (T0 + 2, LEVEL, BID, 1000, 2),
            (T0 + 3, TRADE, BID, 1000, 4),  # 2 ahead, 2 for us
            (T0 + 4, TRADE, BID, 999, 1),  # a print through our price fills the rest
        ]
        + END
    )
    venue, clock = make_venue(rows, maker_bps=-1.0)
    await venue.connect()
    ack = await venue.submit(order("c1", Side.BUY, 3, 1000))
    assert ack.status is OrderStatus.SUBMITTED
    await clock.sleep(1.5)
    assert venue.executed_fills() == []
    await clock.sleep(2.0)
    fills = venue.executed_fills()
    assert [(f.quantity, f.ts, f.liquidity) for f in fills] == [(Decimal("0.002"), T0 + 3, "maker")]
    assert fills[0].fee < 0  # a maker rebate
    await clock.sleep(1.0)
    fills = venue.executed_fills()
    assert [(f.price, f.quantity, f.ts) for f in fills[1:]] == [
        (Decimal("100.0"), Decimal("0.001"), T0 + 4)
    ]
    state = await venue.order_status(order("c1", Side.BUY, 3, 1000))
    assert state.status is OrderStatus.FILLED


@pytest.mark.parametrize(
    ("model", "filled"), [("risk_averse", Decimal(0)), ("prob", Decimal("0.001"))]
)
async def test_prob_queue_counts_cancellations_behind_us_risk_averse_does_not(
    make_venue: VenueFactory, model: str, filled: Decimal
) -> None:
    rows = (
        BOOK
        + [
            (T0 + 1, LEVEL, BID, 1000, 15),  # 10 join behind us
            (
                T0 + 2,
                LEVEL,
                BID,
                1000,
                10,
            ),  # 5 cancel: mostly from the back (prob), none for sure (risk-averse)
            (T0 + 3, TRADE, BID, 1000, 5),
        ]
        + END
    )
    venue, clock = make_venue(rows, queue=model)
    await venue.connect()
    await venue.submit(order("c1", Side.BUY, 3, 1000))
    await clock.sleep(5.0)
    assert sum((f.quantity for f in venue.executed_fills()), Decimal(0)) == filled


async def test_the_far_side_reaching_a_resting_order_fills_it_at_its_price(
    make_venue: VenueFactory,
) -> None:
    rows = BOOK + [(T0 + 1, LEVEL, ASK, 1000, 2)] + END
    venue, clock = make_venue(rows)
    await venue.connect()
    await venue.submit(order("c1", Side.BUY, 4, 1000))
    await clock.sleep(2.0)
    assert [(f.price, f.quantity, f.liquidity) for f in venue.executed_fills()] == [
        (Decimal("100.0"), Decimal("0.004"), "maker")
    ]


@pytest.mark.parametrize(("latency_ms", "filled"), [(0.0, Decimal("0.003")), (10.0, Decimal(0))])
async def test_order_latency_lets_the_book_move_before_the_order_arrives(
    make_venue: VenueFactory, latency_ms: float, filled: Decimal
) -> None:
    rows = BOOK + [(T0 + 0.005, LEVEL, ASK, 1001, 0)] + END
    venue, _ = make_venue(rows, order_ms=latency_ms)
    await venue.connect()
    ack = await venue.submit(order("c1", Side.BUY, 3, 1001, tif=TimeInForce.IOC))
    assert ack.arrived_ts == pytest.approx(T0 + latency_ms / 1000)
    assert sum((f.quantity for f in venue.executed_fills()), Decimal(0)) == filled


async def test_quotes_show_the_book_one_feed_latency_ago(make_venue: VenueFactory) -> None:
    rows = BOOK + [(T0 + 0.005, LEVEL, ASK, 1001, 0)] + END
    venue, clock = make_venue(rows, feed_ms=10.0)
    await venue.connect()
    await clock.sleep(0.008)
    assert (await venue.top_of_book("BTCUSDT")).ask == Decimal("100.1")
    await clock.sleep(0.010)
    assert (await venue.top_of_book("BTCUSDT")).ask == Decimal("100.2")


async def test_bad_orders_are_refused_with_the_reason(make_venue: VenueFactory) -> None:
    venue, clock = make_venue(BOOK + END)
    await venue.connect()
    post = await venue.submit(order("c1", Side.BUY, 1, 1001, post_only=True))
    assert post.status is OrderStatus.REJECTED and "post-only" in post.reason
    odd = order("c2", Side.BUY, 1, 1000)
    odd.quantity = Decimal("0.0015")
    with pytest.raises(OrderRejected, match="lot 0.001"):
        await venue.submit(odd)
    off = order("c3", Side.BUY, 1, 1000)
    off.limit_price = Decimal("100.05")
    with pytest.raises(OrderRejected, match="tick 0.1"):
        await venue.submit(off)
    await clock.sleep(200.0)
    with pytest.raises(OrderRejected, match="recording ends"):
        await venue.submit(order("c4", Side.BUY, 1, 1000))
