"""IBKR market data streams through reqMktData subscriptions: the real ib-async client, a loopback TWS."""

# ruff: noqa: F811 - the loopback TWS fixtures are imported from tests/fakes/tws_harness.py
from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import pytest

from engine.brokers.base import VenueUnavailable
from engine.clock import SimClock
from engine.config import BrokerConfig, Settings
from engine.factory import build_engine
from engine.models import Quote
from tests.fakes.tws_harness import eventually, make_ibkr, no_decoder_errors, tws  # noqa: F401 - fixtures
from tests.fakes.tws_market_data import SNAPSHOT_FIELD
from tests.fakes.tws_protocol import FakeContract

REQ_MKT_DATA, CANCEL_MKT_DATA = 1, 2


def top(q: Quote) -> tuple[str, str, str, str]:
    return (str(q.bid), str(q.ask), str(q.bid_size), str(q.ask_size))


async def streaming(make_ibkr, **kwargs):
    """An adapter that records every quote it pushes and every feed change it reports."""
    broker = await make_ibkr(**kwargs)
    broker.pushed, broker.feed_events = [], []
    broker.on_quote(broker.pushed.append)
    broker.on_feed(lambda cap, state, detail: broker.feed_events.append((cap, state, detail)))
    return broker


async def test_after_the_first_quote_changes_arrive_by_push_and_are_answered_without_a_request(
    tws, make_ibkr
):
    broker = await streaming(make_ibkr)
    first = await broker.top_of_book("AAPL")
    assert top(first) == ("190", "190.02", "300", "400")
    subs = tws.requests_of(REQ_MKT_DATA, broker.ids.data)
    assert len(subs) == 1 and subs[0][SNAPSHOT_FIELD] == "0"  # a subscription, not a snapshot
    asked = len(tws.requests)

    assert tws.set_quote("AAPL", 190.05, 190.07, 500, 600) == 1  # one subscribed session
    await eventually(lambda: broker.pushed and top(broker.pushed[-1])[0] == "190.05")
    assert top(broker.pushed[-1]) == ("190.05", "190.07", "500", "600")
    assert top(await broker.top_of_book("AAPL")) == ("190.05", "190.07", "500", "600")

    tws.set_quote("AAPL", 190.05, 190.07, 500, 900)  # a size change alone comes as tickSize
    await eventually(lambda: top(broker.pushed[-1])[3] == "900")
    assert top(await broker.top_of_book("AAPL")) == ("190.05", "190.07", "500", "900")
    assert len(tws.requests) == asked  # nothing asked of TWS since the subscription
    assert broker.feeds() == {"book": "stream", "orders": "stream", "my_trades": "stream"}
    assert broker.capabilities.market_data_streaming
    assert [(c, s) for c, s, _ in broker.feed_events] == [("book", "live")]


async def test_a_streamed_quote_is_stamped_with_when_it_arrived_not_when_it_is_read(tws, make_ibkr):
    clock = SimClock(1_000.0)
    broker = await streaming(make_ibkr, clock=clock)
    assert (await broker.top_of_book("MSFT")).ts == 1_000.0
    clock.advance_to(1_005.0)
    tws.set_quote("MSFT", 420.10, 420.12)
    await eventually(lambda: len(broker.pushed) == 2)
    assert broker.pushed[-1].ts == 1_005.0
    clock.advance_to(1_012.0)  # nothing new for 7 s: the quote read now is 7 s old
    q = await broker.top_of_book("MSFT")
    assert (q.ts, str(q.bid)) == (1_005.0, "420.1")


async def test_a_dropped_data_connection_resubscribes_on_reconnect_and_streams_again(
    tws, make_ibkr
):
    gate = asyncio.Event()

    async def sleep(seconds: float) -> None:  # reconnect attempts wait until the test says
        await gate.wait()

    broker = await streaming(make_ibkr, sleep=sleep)
    await broker.top_of_book("AAPL")
    await broker.top_of_book("MSFT")

    await tws.drop_connections()
    await eventually(lambda: not broker.connected)
    assert broker.feeds()["book"].startswith("poll (data connection lost at 127.0.0.1:")
    assert broker.feeds()["orders"].startswith("poll (order connection down")
    with pytest.raises(VenueUnavailable, match="data connection"):
        await broker.top_of_book("AAPL")
    stale = [(c, s, d.split()[0]) for c, s, d in broker.feed_events if s == "stale"]
    assert sorted(stale) == [("book", "stale", "AAPL"), ("book", "stale", "MSFT")]

    gate.set()
    await eventually(lambda: broker.connected, timeout=5)
    # subscribed again on the new data session without anyone asking for a quote
    await eventually(lambda: len(tws.requests_of(REQ_MKT_DATA, broker.ids.data)) == 4)
    assert all(f[SNAPSHOT_FIELD] == "0" for f in tws.requests_of(REQ_MKT_DATA, broker.ids.data))
    await eventually(lambda: broker.feed_events[-1][1] == "live")
    assert broker.feeds() == {"book": "stream", "orders": "stream", "my_trades": "stream"}

    pushed = len(broker.pushed)
    tws.set_quote("AAPL", 191.00, 191.02)
    await eventually(lambda: len(broker.pushed) > pushed)
    assert top(broker.pushed[-1])[:2] == ("191", "191.02")
    assert top(await broker.top_of_book("AAPL"))[:2] == ("191", "191.02")
    assert len(tws.requests_of(REQ_MKT_DATA, broker.ids.data)) == 4  # read, not asked again
    states = [s for c, s, d in broker.feed_events if d.startswith("AAPL")]
    assert states == ["live", "stale", "live"]


async def test_ib_1101_data_lost_makes_the_subscriptions_again(tws, make_ibkr):
    broker = await streaming(make_ibkr)
    await broker.top_of_book("AAPL")
    tws.farm_message(1101, "Connectivity between IB and TWS has been restored - data lost.")
    await eventually(lambda: len(tws.requests_of(REQ_MKT_DATA, broker.ids.data)) == 2)
    assert len(tws.requests_of(CANCEL_MKT_DATA, broker.ids.data)) == 1
    tws.set_quote("AAPL", 189.00, 189.02)
    await eventually(lambda: top(broker.pushed[-1])[0] == "189")
    assert [s for _, s, _ in broker.feed_events] == ["live", "stale", "live"]


async def test_close_cancels_every_subscription_at_tws(tws, make_ibkr):
    broker = await make_ibkr()
    await broker.top_of_book("AAPL")
    await broker.top_of_book("MSFT")
    req_ids = sorted(f[2] for f in tws.requests_of(REQ_MKT_DATA, broker.ids.data))
    await broker.close()
    await eventually(lambda: len(tws.requests_of(CANCEL_MKT_DATA, broker.ids.data)) == 2)
    assert sorted(f[2] for f in tws.requests_of(CANCEL_MKT_DATA, broker.ids.data)) == req_ids
    assert not any(s.market_data for s in tws.sessions)


@pytest.mark.parametrize(
    ("contract", "said"),
    [
        (FakeContract("NOSUB", 7001, data_error=354), "IB error 354, market data not subscribed"),
        (FakeContract("DLYD", 7002, data_error=10167), "IB error 10167, delayed data only"),
        (FakeContract("SHUT", 7003, bid=-1, ask=-1), "no bid or ask within 0.3s (market closed"),
        (FakeContract("HALF", 7004, ask=-1), "one-sided book, no ask (bid 100)"),
    ],
)
async def test_a_symbol_without_market_data_gets_a_clear_error_naming_why(
    tws, make_ibkr, contract, said
):
    tws.contracts[contract.symbol] = contract
    broker = await streaming(make_ibkr, timeout_s=0.3)
    with pytest.raises(VenueUnavailable) as e:
        await broker.top_of_book(contract.symbol)
    assert said in e.value.message and contract.symbol in e.value.message
    assert broker.pushed == []

    started = time.perf_counter()  # asked again: answered at once, never a stale quote
    with pytest.raises(VenueUnavailable):
        await broker.top_of_book(contract.symbol)
    assert time.perf_counter() - started < 0.25

    contract.data_error = 0  # the data comes (subscription bought, market opens)
    still_open = any(contract in s.market_data.values() for s in tws.sessions)
    tws.set_quote(contract.symbol, 100.00, 100.02, 300, 400)
    if still_open:  # an empty book keeps its subscription: the first quote comes by push
        await eventually(lambda: len(broker.pushed) == 1)
    else:  # IB ended the request: the next ask subscribes again
        assert not broker.pushed
    q = await broker.top_of_book(contract.symbol)
    assert top(q) == ("100", "100.02", "300", "400")
    assert q.bid == Decimal("100")


async def test_a_price_change_at_tws_reaches_the_engine_without_a_request(tws, tmp_path):
    settings = Settings(
        broker=BrokerConfig(
            provider="ibkr", ibkr_port=tws.port, ibkr_client_id=950, ibkr_timeout_s=2.0
        )
    )
    eng = build_engine(settings, db_path=tmp_path / "ib.db")
    await eng.start()
    try:
        await eng.market.quote("IBKR", "AAPL")  # the first ask subscribes
        asked = len(tws.requests)
        tws.set_quote("AAPL", 188.50, 188.53, 700, 800)
        await eventually(lambda: eng.market.quotes[("IBKR", "AAPL")].bid == Decimal("188.5"))
        assert top(eng.market.quotes[("IBKR", "AAPL")]) == ("188.5", "188.53", "700", "800")
        assert eng.venue_feeds["IBKR"]["book"] == "live"
        assert len(tws.requests) == asked
    finally:
        await eng.stop()


async def test_while_tws_has_lost_ib_1100_quotes_fail_naming_it_and_come_back_on_1102(
    tws, make_ibkr
):
    broker = await streaming(make_ibkr)
    await broker.top_of_book("AAPL")
    tws.farm_message(1100, "Connectivity between IB and TWS has been lost.")
    await eventually(lambda: broker.feed_events[-1][1] == "stale")
    with pytest.raises(VenueUnavailable, match="error 1100"):
        await broker.top_of_book("AAPL")
    assert broker.feeds()["book"].startswith("poll (TWS lost its connection to IB")
    tws.farm_message(1102, "Connectivity between IB and TWS has been restored - data maintained.")
    await eventually(lambda: broker.feed_events[-1][1] == "live")
    assert top(await broker.top_of_book("AAPL"))[:2] == ("190", "190.02")
    assert len(tws.requests_of(REQ_MKT_DATA, broker.ids.data)) == 1  # data kept: not asked again
