"""The ccxt broker streams over ccxt.pro from `tranche sim serve`, falls back to REST per capability,
and never loses or doubles a fill whichever path (stream or reconciliation poll) sees it."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

from engine.brokers.ccxt.broker import CcxtBroker
from engine.models import ChildOrder, OrderStatus, OrderType, Side, TimeInForce
from tests.fakes.sim_stream import KEY, SECRET, fault, venue_config
from tests.fakes.sim_stream import served as served  # noqa: F401

STREAMED = {"book": "stream", "trades": "stream", "orders": "stream", "my_trades": "stream"}


def broker(server, **extra) -> CcxtBroker:
    return CcxtBroker(
        venue_config(server, **extra), environ={"K": KEY, "S": SECRET}, backoff_s=0.01
    )


def marketable(b_quote, cid: str) -> ChildOrder:
    return ChildOrder(
        cid, "P", "SIM-A", "BTCUSDT", Side.BUY, Decimal("0.01"), OrderType.LIMIT,
        b_quote.ask + 5, TimeInForce.IOC,
    )  # fmt: skip


async def wait_for(pred, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < end, "condition not met in time"
        await asyncio.sleep(0.01)


async def assert_book_is_the_venues(b, server) -> None:
    """The streamed book equals the venue's published book at the same update id."""
    feed = server.streams.feed("SIM-A", "BTCUSDT")
    for _ in range(300):
        mine = b.streams.books.get("BTC/USDT")
        if mine is not None and mine.nonce == feed.update_id:
            _, bids, asks = feed.snapshot(20)
            assert (mine.bids, mine.asks) == (bids, asks)
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the streamed book never caught up with the venue's")


async def test_every_capability_streams_where_the_exchange_can_and_rest_when_told(served):
    b = broker(served)
    off = broker(served, stream=False)
    await b.connect()
    await off.connect()
    try:
        assert b.feeds() == STREAMED
        assert set(off.feeds()) == set(STREAMED)
        assert all(v == "poll (streaming off (stream: false))" for v in off.feeds().values())
    finally:
        await b.close()
        await off.close()


async def test_a_user_stream_that_will_not_log_in_falls_back_to_polling_fills(served):
    b = CcxtBroker(venue_config(served), environ={"K": KEY, "S": "wrong-secret"})
    await b.connect()  # the REST side does not sign at connect; the stream's login is refused
    try:
        feeds = b.feeds()
        assert feeds["book"] == "stream"
        assert feeds["orders"].startswith("poll (user stream did not log in")
        assert feeds["my_trades"].startswith("poll (")
    finally:
        await b.close()


async def test_books_stream_and_quotes_are_pushed_between_polls(served):
    b = broker(served)
    pushed = []
    b.on_quote(pushed.append)
    await b.connect()
    try:
        await b.top_of_book("BTCUSDT")  # the first ask starts the stream (REST answers it)
        await wait_for(lambda: len(pushed) >= 3)
        requests = served.requests
        q = await b.top_of_book("BTCUSDT")
        assert served.requests == requests  # answered from the stream: no REST call
        assert (q.venue, q.symbol) == (pushed[-1].venue, pushed[-1].symbol) == ("SIM-A", "BTCUSDT")
        await assert_book_is_the_venues(b, served)
    finally:
        await b.close()


async def test_a_fill_arrives_over_the_user_stream_long_before_any_poll(served):
    b = broker(served, poll_interval_s=60, reconcile_interval_s=60)
    updates = []
    b.on_update(updates.append)
    await b.connect()
    try:
        q = await b.top_of_book("BTCUSDT")
        await b.submit(marketable(q, "S-1"))
        await wait_for(lambda: any(u.fill for u in updates), 2.0)
        fill = next(u.fill for u in updates if u.fill)
        assert fill.client_order_id == "S-1" and fill.quantity == Decimal("0.01")
        assert served.hits["GET v3/myTrades"] == 0  # no trade history was polled
        assert served.hits["POST v3/order"] == 1
    finally:
        await b.close()


async def test_dropped_user_stream_messages_lose_no_fill_and_resend_nothing(served):
    b = broker(served, poll_interval_s=0.2, reconcile_interval_s=0.3)
    updates = []
    b.on_update(updates.append)
    await b.connect()
    await fault(served, {"ws": "drop", "venue": "SIM-A", "stream": "user", "times": 50})
    await fault(served, {"trade_split_qty": "0.0025"})  # four venue trades for the child
    try:
        q = await b.top_of_book("BTCUSDT")
        child = marketable(q, "S-2")
        await b.submit(child)
        await wait_for(lambda: sum(u.fill.quantity for u in updates if u.fill) >= child.quantity)
        await asyncio.sleep(0.7)  # two more reconciliations: nothing is reported twice
        fills = [u.fill for u in updates if u.fill]
        assert len(fills) == 4 and len({f.fill_id for f in fills}) == 4
        assert sum(f.quantity for f in fills) == Decimal("0.01")
        desk = served.desks["SIM-A"]
        assert [o.client_order_id for o in desk.orders.values()] == ["S-2"]  # never re-sent
        assert served.streams.faults.dropped >= 5  # NEW + 4 TRADE reports never reached us
    finally:
        await b.close()


async def test_a_stalled_book_is_stale_then_resyncs_and_quotes_come_from_rest_meanwhile(served):
    """A stalled stream: never a quote older than stream_stale_s. The reconnect's REST snapshot
    or the quote's own REST ask may answer first (either is a request the venue sees)."""
    b = broker(served, stream_stale_s=0.3)
    states = []
    b.on_feed(lambda cap, state, detail: states.append((cap, state)))
    await b.connect()
    try:
        await b.top_of_book("BTCUSDT")
        await wait_for(lambda: ("book", "live") in states)
        before = served.requests
        await fault(served, {"ws": "stall", "venue": "SIM-A", "seconds": 3.0})
        await wait_for(lambda: ("book", "stale") in states, 2.0)
        q = await b.top_of_book("BTCUSDT")
        assert b.clock.now() - q.ts <= 0.3 + 0.05, "a stale streamed quote was answered"
        assert served.requests > before  # the venue was asked over REST while the stream stalled
        await wait_for(lambda: states[-1] == ("book", "live"), 10.0)
        await assert_book_is_the_venues(b, served)
    finally:
        await b.close()


async def test_a_sequence_gap_resyncs_the_streamed_book(served):
    b = broker(served)
    states = []
    b.on_feed(lambda cap, state, detail: states.append((cap, state)))
    await b.connect()
    try:
        await b.top_of_book("BTCUSDT")
        await wait_for(lambda: ("book", "live") in states)
        await fault(served, {"ws": "gap", "venue": "SIM-A"})
        await wait_for(lambda: ("book", "resync") in states, 3.0)
        await wait_for(lambda: states[-1] == ("book", "live"), 3.0)
        assert b.streams.resyncs >= 1
        await assert_book_is_the_venues(b, served)
    finally:
        await b.close()


async def test_a_cancel_on_the_user_stream_closes_the_order_at_once(served):
    b = broker(served, poll_interval_s=60, reconcile_interval_s=60)
    updates = []
    b.on_update(updates.append)
    await b.connect()
    try:
        q = await b.top_of_book("BTCUSDT")
        child = ChildOrder(
            "S-3", "P", "SIM-A", "BTCUSDT", Side.BUY, Decimal("0.01"), OrderType.LIMIT,
            (q.bid * Decimal("0.9")).quantize(Decimal("0.01")), TimeInForce.GTC,
        )  # fmt: skip
        await b.submit(child)
        desk = served.desks["SIM-A"]
        order = next(iter(desk.orders.values()))
        await desk.cancel(order)  # cancelled at the venue, not by us: only the stream says so
        await wait_for(lambda: any(u.status is OrderStatus.CANCELLED for u in updates), 2.0)
    finally:
        await b.close()
