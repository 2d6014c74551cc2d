"""Exact queue position by order id on hand-built order-level recordings (Bitstamp L3 / CME MBO style).

Each row names the order it changed, so the replay venue knows which recorded orders are ahead of
ours: only those moving, and only an aggressor getting past them, fill us.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from engine.clock import SimClock
from engine.models import ChildOrder, OrderType, Side, TimeInForce
from engine.sim.data.cache import load
from engine.sim.data.columns import ASK, BID, CLEAR, LEVEL, TRADE, build
from engine.sim.replay.market import ReplayMarket
from engine.sim.replay.queue import QueueModel
from engine.sim.replay.spec import VenueSpec
from engine.sim.replay.venue import ReplayVenue
from tests.engine.sim.replay.test_order_level_logs import line, order

T0 = 1_000.0
LOT = Decimal("0.001")
# (ts, kind, side, price ticks, level lots after, order id, order's lots after, lots it traded)
Row = tuple[float, int, int, int, int, int, int, int]

# bid 100.0: A (2 lots) then B (3 lots); ask 100.1: C (4 lots)
BOOK: list[Row] = [
    (T0, CLEAR, BID, 0, 0, 0, 0, 0),
    (T0, LEVEL, BID, 1000, 2, 11, 2, 0),
    (T0, LEVEL, BID, 1000, 5, 12, 3, 0),
    (T0, LEVEL, ASK, 1001, 4, 13, 4, 0),
]
END: list[Row] = [(T0 + 100, LEVEL, BID, 990, 1, 99, 1, 0)]


def venue_on(rows: list[Row], queue: str = "risk_averse") -> tuple[ReplayVenue, SimClock]:
    cols = list(zip(*rows, strict=True))
    rec = build(
        *cols[:5],  # type: ignore[arg-type]
        {"format": "test", "symbol": "BTCUSD", "source": "hand-built", "tick": "0.1",
         "lot": "0.001", "book_from": T0},
        orders=tuple(cols[5:]),  # type: ignore[arg-type]
    )  # fmt: skip
    clock = SimClock(start=T0)
    market = ReplayMarket([rec], clock, queue=QueueModel(queue), refill_s=1.0)
    spec = VenueSpec("REPLAY-L3", 0.0, 0.0, 0.0, 0.0, 0.0)
    return ReplayVenue(spec, market, 0, cash=Decimal(1_000_000)), clock


def buy(lots: int, price_ticks: int = 1000) -> ChildOrder:
    return ChildOrder(
        "c1", "P1", "REPLAY-L3", "BTCUSD", Side.BUY, lots * LOT, OrderType.LIMIT,
        Decimal(price_ticks) / 10, TimeInForce.GTC,
    )  # fmt: skip


async def rest(
    rows: list[Row], lots: int = 2, queue: str = "risk_averse"
) -> tuple[ReplayVenue, SimClock]:
    venue, clock = venue_on(BOOK + rows + END, queue)
    await venue.connect()
    await venue.submit(buy(lots))
    return venue, clock


def ahead(venue: ReplayVenue) -> float:
    return venue.feed.resting["c1"].ahead


def filled(venue: ReplayVenue) -> list[tuple[Decimal, float]]:
    return [(f.quantity / LOT, f.ts) for f in venue.executed_fills()]


@pytest.mark.parametrize("l2_model", ["risk_averse", "prob"])
async def test_cancels_behind_us_do_not_advance_us_cancels_ahead_do(l2_model: str) -> None:
    # the L2 prob model would take most of D's cancel from the front; by id none of it is ahead
    venue, clock = await rest(
        [
            (T0 + 1, LEVEL, BID, 1000, 9, 21, 4, 0),  # D joins behind us
            (T0 + 2, LEVEL, BID, 1000, 5, 21, 0, 0),  # D cancels: nothing moves
            (T0 + 3, LEVEL, BID, 1000, 3, 11, 0, 0),  # A (ahead) cancels: 3 left ahead
        ],
        queue=l2_model,
    )
    assert ahead(venue) == 5  # A and B, by id
    await clock.sleep(1.5)
    assert ahead(venue) == 5
    await clock.sleep(1.0)
    assert ahead(venue) == 5
    await clock.sleep(1.0)
    assert ahead(venue) == 3
    assert filled(venue) == []


async def test_partial_fills_of_the_order_ahead_shrink_it_then_the_next_fill_is_ours() -> None:
    venue, clock = await rest(
        [
            (T0 + 1, LEVEL, BID, 1000, 4, 11, 1, 1),  # A trades 1 of its 2
            (T0 + 2, LEVEL, BID, 1000, 3, 11, 0, 1),  # A trades its last lot
            (T0 + 3, LEVEL, BID, 1000, 6, 22, 3, 0),  # E joins behind us
            (T0 + 4, LEVEL, BID, 1000, 4, 12, 1, 2),  # B trades 2 of 3
            (T0 + 5, LEVEL, BID, 1000, 3, 12, 0, 1),  # B trades its last: nothing ahead
            (T0 + 6, LEVEL, BID, 1000, 2, 22, 2, 1),  # E trades 1: the aggressor reached us
            (T0 + 7, LEVEL, BID, 1000, 0, 22, 0, 2),  # E trades 2: our last lot
        ]
    )
    expected_ahead = [4, 3, 3, 1, 0]
    for want in expected_ahead:
        await clock.sleep(1.0)
        assert (ahead(venue), filled(venue)) == (want, [])
    await clock.sleep(1.0)
    assert filled(venue) == [(1, T0 + 6)]
    await clock.sleep(1.0)
    assert filled(venue) == [(1, T0 + 6), (1, T0 + 7)]


async def test_prints_at_our_price_do_not_move_us_only_the_order_events_do() -> None:
    # an L2 risk-averse queue would count both prints (5 lots) and fill us on the second
    venue, clock = await rest(
        [
            (T0 + 1, TRADE, BID, 1000, 3, 0, 0, 0),
            (T0 + 2, TRADE, BID, 1000, 3, 0, 0, 0),
        ]
    )
    await clock.sleep(3.0)
    assert (ahead(venue), filled(venue)) == (5, [])


async def test_an_order_ahead_that_grows_loses_its_place_to_us() -> None:
    venue, clock = await rest([(T0 + 1, LEVEL, BID, 1000, 7, 11, 4, 0)])  # A: 2 -> 4 lots
    await clock.sleep(1.5)
    assert ahead(venue) == 3  # only B is ahead now
    assert venue.feed.exact is not None
    assert list(venue.feed.exact.queues["c1"].ahead) == [12]


async def test_an_order_behind_us_trading_means_the_queue_ahead_has_gone() -> None:
    # the feed dropped A's and B's fills; F, behind us, trading proves the aggressor got past them
    venue, clock = await rest(
        [
            (T0 + 1, LEVEL, BID, 1000, 8, 23, 3, 0),
            (T0 + 2, LEVEL, BID, 1000, 5, 23, 0, 3),
        ]
    )
    await clock.sleep(3.0)
    assert filled(venue) == [(2, T0 + 2)]


async def test_a_cme_fill_row_then_its_cancel_count_once() -> None:
    # MBO: F (the level unchanged, 2 of A traded) then C removing A: ahead drops by 2, not 4
    venue, clock = await rest(
        [
            (T0 + 1, LEVEL, BID, 1000, 5, 11, 2, 2),
            (T0 + 1.001, LEVEL, BID, 1000, 3, 11, 0, 0),
        ]
    )
    await clock.sleep(2.0)
    assert (ahead(venue), filled(venue)) == (3, [])


async def test_a_fill_of_our_side_at_a_worse_price_fills_us_by_what_it_traded() -> None:
    venue, clock = await rest(
        [
            (T0 + 1, LEVEL, BID, 999, 6, 31, 6, 0),
            (T0 + 2, LEVEL, BID, 1000, 0, 11, 0, 2),  # the sweep: A, B, then 1 lot at 99.9
            (T0 + 2, LEVEL, BID, 1000, 0, 12, 0, 3),
            (T0 + 2, LEVEL, BID, 999, 5, 31, 5, 1),
        ],
        lots=4,
    )
    await clock.sleep(3.0)
    assert filled(venue) == [(1, T0 + 2)]  # the one lot that reached 99.9 was ours first
    assert ahead(venue) == 0


async def test_orders_resting_before_the_first_snapshot_count_ahead_without_ids() -> None:
    # Bitstamp: the book starts from a snapshot (no ids); a delete of an order we never saw is
    # part of that unnamed size ahead of us, a create after us is behind us
    rows: list[Row] = [
        (T0, CLEAR, BID, 0, 0, 0, 0, 0),
        (T0, LEVEL, BID, 1000, 5, 0, 0, 0),
        (T0, LEVEL, ASK, 1001, 4, 0, 0, 0),
        (T0 + 1, LEVEL, BID, 1000, 8, 41, 3, 0),  # behind us
        (T0 + 2, LEVEL, BID, 1000, 6, 7, 0, 0),  # an order from before the snapshot: ahead
        (T0 + 3, LEVEL, BID, 1000, 3, 41, 0, 0),  # the one behind us cancels
    ]
    venue, clock = venue_on(rows + END)
    await venue.connect()
    await venue.submit(buy(2))
    assert ahead(venue) == 5
    await clock.sleep(1.5)
    assert ahead(venue) == 5
    await clock.sleep(1.0)
    assert ahead(venue) == 3
    await clock.sleep(1.0)
    assert ahead(venue) == 3


def test_bitstamp_rows_name_the_order_and_only_resting_orders_trade(tmp_path: Path) -> None:
    """A change down or a delete of amount 0 is a fill, unless the order still crosses the book
    (an aggressor shows at its limit before it matches); a delete with its amount is a cancel."""
    snap = {"bids": [["100.00", "1"]], "asks": [["100.20", "1"]]}
    text = (
        line(1_000, "order_book", snap)
        + order("order_created", 2_000, 1, BID, "100.10", "0.8")
        + order("order_created", 3_000, 2, ASK, "100.05", "0.5")  # crosses the 100.10 bid
        + order("order_deleted", 3_001, 2, ASK, "100.05", "0")  # the aggressor, done
        + order("order_changed", 3_002, 1, BID, "100.10", "0.3")  # the resting bid traded 0.5
        + order("order_deleted", 4_000, 1, BID, "100.10", "0.3")  # then cancelled
    )
    f = tmp_path / "bitstamp.log"
    f.write_text(text)
    rec = load(f, tmp_path / "cache").recording
    assert rec.orders is not None
    named = rec.orders.oid > 0
    rows = list(
        zip(
            rec.orders.oid[named].tolist(),
            (rec.orders.size[named] * rec.lot).tolist(),
            (rec.orders.fill[named] * rec.lot).tolist(),
            strict=True,
        )
    )
    assert rows == [
        (1, Decimal("0.8"), 0),
        (2, Decimal("0.5"), 0),
        (2, 0, 0),  # the aggressor's own end is not a resting fill
        (1, Decimal("0.3"), Decimal("0.5")),
        (1, 0, 0),
    ]


async def test_when_our_impact_moves_the_book_we_queue_behind_every_order_at_the_new_price() -> (
    None
):
    venue, clock = await rest([(T0 + 1, LEVEL, BID, 999, 7, 51, 7, 0)])
    await clock.sleep(1.5)
    venue.feed.rebase(1, clock.now())  # the book shown one tick up: our 100.0 is 99.9 recorded
    assert venue.feed.exact is not None
    assert venue.feed.resting["c1"].price == 999
    assert list(venue.feed.exact.queues["c1"].ahead) == [51] and ahead(venue) == 7
