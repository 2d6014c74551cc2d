"""IBKR adapter connection behaviour, with the real ib-async client against a loopback TWS."""

# ruff: noqa: F811 - the loopback TWS fixtures are imported from tests/fakes/tws_harness.py
from __future__ import annotations

import asyncio
import os
import time

import ib_async
import pytest
from ib_async.client import Client

from engine.brokers.base import AuthenticationFailed, UnknownSymbol, VenueUnavailable
from engine.brokers.ibkr.broker import IBKRBroker
from engine.brokers.ibkr.session import ClientIdInUse
from engine.config import BrokerConfig, Settings
from engine.factory import build_engine
from engine.models import NoVenueConnected
from tests.fakes.tws_harness import eventually, ibkr_config, make_ibkr, no_decoder_errors, tws  # noqa: F401 - fixtures
from tests.fakes.tws_protocol import SERVER_VERSION
from tests.fakes.tws_server import FakeTWS


def test_ib_async_still_speaks_the_loopback_server_version():
    """Guard: if ib-async raises its minimum client version past ours, the fake must be updated."""
    assert ib_async.__version__.startswith("2.1."), ib_async.__version__
    assert Client.MinClientVersion <= SERVER_VERSION <= Client.MaxClientVersion


async def test_connect_opens_broker_and_data_ids_and_health_measures_latency(tws, make_ibkr):
    broker = await make_ibkr()
    base = broker.ids.broker
    assert tws.connected_client_ids() == [base, base + 1]
    assert broker.ids.feed == base + 2
    assert (
        broker.account == tws.account
    )  # the only managed account is taken when none is configured
    h = await broker.health()
    assert h.connected and 0 < h.latency_ms < 1000
    startup = {int(f[0]) for s in tws.sessions if s.client_id == base for f in s.received}
    assert {
        71,
        61,
        5,
        99,
        6,
        76,
        7,
    } <= startup  # startApi, then IB.connectAsync's whole synchronisation


async def test_connect_refused_raises_venue_unavailable_naming_host_and_port():
    server = await FakeTWS().start()
    port = server.port
    await server.close()
    broker = IBKRBroker(ibkr_config(port, timeout_s=1.0))
    with pytest.raises(VenueUnavailable) as e:
        await broker.connect()
    assert f"127.0.0.1:{port}" in e.value.message and "refused" in e.value.message
    assert not (await broker.health()).connected


async def test_connect_to_a_silent_gateway_gives_up_within_the_timeout(tws):
    tws.silent = True
    broker = IBKRBroker(ibkr_config(tws.port, timeout_s=0.3))
    t0 = time.monotonic()
    with pytest.raises(VenueUnavailable) as e:
        await broker.connect()
    assert time.monotonic() - t0 < 1.5
    assert "within 0.3s" in e.value.message and f":{tws.port}" in e.value.message


async def test_duplicate_client_id_is_reported_as_ib_error_326(tws, make_ibkr):
    tws.held_client_ids.add(7)  # another application holds id 7
    t0 = time.monotonic()
    with pytest.raises(ClientIdInUse) as e:
        await make_ibkr(client_id=7, timeout_s=3.0)
    assert time.monotonic() - t0 < 1.0  # reported at once, not after the timeout
    assert "326" in e.value.message and "client id 7" in e.value.message
    assert isinstance(e.value, VenueUnavailable)  # so the factory falls back to paper


async def test_client_ids_are_never_shared_by_two_adapters_of_one_process(tws, make_ibkr):
    first = await make_ibkr(client_id=40)
    with pytest.raises(ClientIdInUse, match="client id 42"):
        await make_ibkr(client_id=42)  # would reuse the first adapter's feed id (40 + 2)
    assert tws.connected_client_ids() == [40, 41]
    await first.close()
    again = await make_ibkr(client_id=42)  # released ids are free again
    assert again.connected


async def test_unknown_account_is_refused_clearly(tws):
    cfg = ibkr_config(tws.port, ibkr_account_id="U9999999")
    broker = IBKRBroker(cfg)
    with pytest.raises(AuthenticationFailed, match="U9999999.*DU1234567"):
        await broker.connect()
    await broker.close()
    await eventually(lambda: tws.connected_client_ids() == [])  # both connections were closed


async def test_known_symbol_qualifies_with_venue_precision(make_ibkr):
    broker = await make_ibkr()
    inst = await broker.instrument("AAPL")
    assert (str(inst.tick), str(inst.step), str(inst.min_qty)) == ("0.01", "1", "1")
    assert await broker.symbols() == ["AAPL"]


@pytest.mark.parametrize("symbol", ["ZZZZ", "BTC/USDT", "aapl"])
async def test_unknown_symbol_raises_unknown_symbol(make_ibkr, symbol):
    broker = await make_ibkr()
    with pytest.raises(UnknownSymbol, match=symbol.replace("/", ".")):
        await broker.instrument(symbol)


async def test_top_of_book_comes_from_a_market_data_subscription(make_ibkr):
    broker = await make_ibkr()
    q = await broker.top_of_book("MSFT")
    assert (str(q.bid), str(q.ask), str(q.bid_size), str(q.ask_size)) == (
        "420",
        "420.04",
        "300",
        "400",
    )
    assert q.venue == "IBKR"


async def test_an_unreachable_ib_falls_back_to_paper_only_when_configured(tmp_path):
    server = await FakeTWS().start()
    port = server.port
    await server.close()
    for fallback in ("none", "paper"):
        settings = Settings(
            broker=BrokerConfig(
                provider="ibkr",
                ibkr_port=port,
                ibkr_client_id=900,
                ibkr_timeout_s=0.5,
                fallback=fallback,
            )
        )
        eng = build_engine(settings, db_path=tmp_path / f"{fallback}.db")
        if fallback == "none":  # the default: an error naming the venue, nothing traded
            with pytest.raises(NoVenueConnected, match="IBKR"):
                await eng.start()
            continue
        await eng.start()
        try:
            assert list(eng.brokers) == ["PAPER"] and eng.fell_back
        finally:
            await eng.stop()


@pytest.mark.live
@pytest.mark.skipif(
    not os.environ.get("IB_PAPER_HOST"),
    reason="set IB_PAPER_HOST (and IB_PAPER_PORT, IB_PAPER_CLIENT_ID) to run against an IB paper account",
)
async def test_live_paper_account_connects_and_quotes():
    cfg = BrokerConfig(
        provider="ibkr",
        ibkr_host=os.environ["IB_PAPER_HOST"],
        ibkr_port=int(os.environ.get("IB_PAPER_PORT", "4002")),
        ibkr_client_id=int(os.environ.get("IB_PAPER_CLIENT_ID", "901")),
        ibkr_account_id=os.environ.get("IB_PAPER_ACCOUNT", ""),
        ibkr_timeout_s=10.0,
    )
    broker = IBKRBroker(cfg)
    await broker.connect()
    try:
        assert (await broker.health()).connected
        assert (await broker.instrument("AAPL")).tick > 0
        assert (await broker.portfolio()).equity > 0
        await asyncio.wait_for(broker.top_of_book("AAPL"), 15)
    finally:
        await broker.close()
