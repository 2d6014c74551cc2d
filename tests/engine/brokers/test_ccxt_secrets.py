"""Credentials never leave the broker: not in logs (ccxt logs request headers at debug), repr or errors."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from engine.brokers.base import AuthenticationFailed, BrokerError
from engine.brokers.ccxt.broker import CcxtBroker, build_ccxt_venues
from engine.brokers.ccxt.errors import REDACTOR
from engine.brokers.ccxt.parse import rewrite_urls, venue_client_id
from engine.config import ConfigError, Settings, VenueConfig
from engine.models import ChildOrder, OrderType, Side
from tests.fakes.binance_spot import API_KEY, SECRET, BinanceSpotFake
from tests.fakes.ccxt_venue import connected


@pytest.fixture
async def fake():
    f = BinanceSpotFake()
    await f.start()
    yield f
    await f.stop()


async def test_secrets_are_absent_from_logs_repr_and_errors(fake, caplog):
    caplog.set_level(logging.DEBUG)
    errors: list[BrokerError] = []
    async with connected(fake, "binance", API_KEY, SECRET) as (b, _):
        await b.positions()
        await b.submit(
            ChildOrder(
                "P1-001",
                "P1",
                "binance",
                "BTCUSDT",
                Side.BUY,
                Decimal("0.01"),
                OrderType.LIMIT,
                Decimal("42000"),
            )
        )
        fake.fail(
            "/api/v3/account",
            status=400,
            body='{"code":-1022,"msg":"Signature for this request is not valid."}',
        )
        with pytest.raises(AuthenticationFailed) as auth:
            await b.positions()
        errors.append(auth.value)
        fake.fail("/api/v3/openOrders", status=503, body="echo " + API_KEY + " " + SECRET, times=10)
        with pytest.raises(BrokerError) as echoed:
            await b.open_orders()
        errors.append(echoed.value)
        text = " ".join(
            [
                caplog.text,
                repr(b),
                str(b.__dict__.get("venue")),
                *(str(e) for e in errors),
                *(repr(e.args) for e in errors),
            ]
        )
    assert "Request" in caplog.text and "X-MBX-APIKEY" in caplog.text  # ccxt did log the headers...
    assert API_KEY not in text and SECRET not in text  # ...without the credentials
    assert "signature=" not in caplog.text.replace("signature=***", "")
    assert "***" in str(echoed.value)


def test_repr_names_the_venue_only():
    venue = VenueConfig(name="bn", exchange="binance", api_key_env="K", secret_env="S")
    b = CcxtBroker(venue, environ={"K": "key-abc-123", "S": "secret-xyz-789"})
    assert repr(b) == "CcxtBroker(name='bn', exchange='binance', sandbox=False)"
    assert REDACTOR.scrub("boom key-abc-123 secret-xyz-789") == "boom *** ***"


def test_base_url_rewrites_scheme_and_host_of_every_nested_api_url():
    urls = {
        "public": "https://api.binance.com/api/v3",
        "sapi": {"v1": "https://api.binance.com/sapi/v1"},
        "ws": ["wss://stream.binance.com:9443/ws"],
    }
    out = rewrite_urls(urls, "http://127.0.0.1:8999/")
    assert out == {
        "public": "http://127.0.0.1:8999/api/v3",
        "sapi": {"v1": "http://127.0.0.1:8999/sapi/v1"},
        "ws": ["http://127.0.0.1:8999/ws"],
    }
    b = CcxtBroker(
        VenueConfig(name="bn", exchange="binance", base_url="http://127.0.0.1:8999"), environ={}
    )
    api = b.exchange.urls["api"]
    assert all(v.startswith("http://127.0.0.1:8999/") for v in api.values() if isinstance(v, str))
    assert b.exchange.options["adjustForTimeDifference"] is True


def test_client_ids_fit_each_venue_and_are_deterministic():
    assert venue_client_id("binance", "P18bcfe5c800abcd001-001") == "P18bcfe5c800abcd001-001"
    k1, k2 = (
        venue_client_id("kraken", "P18bcfe5c800abcd001-001"),
        venue_client_id("kraken", "P18bcfe5c800abcd001-001"),
    )
    assert k1 == k2 and len(k1) == 36 and k1 != venue_client_id("kraken", "P18bcfe5c800abcd001-002")
    assert venue_client_id("kraken", "short-id") == "short-id"
    long_id = "x" * 50
    assert len(venue_client_id("binance", long_id)) == 36


def test_venues_are_built_from_settings_and_bad_exchange_ids_are_config_errors():
    settings = Settings.model_validate(
        {
            "broker": {
                "provider": "ccxt",
                "venues": [
                    {"name": "a", "exchange": "binance"},
                    {"name": "b", "exchange": "kraken"},
                ],
            }
        }
    )
    venues = build_ccxt_venues(settings, environ={})
    assert sorted(venues) == ["a", "b"] and all(isinstance(v, CcxtBroker) for v in venues.values())
    bad = Settings.model_validate(
        {"broker": {"venues": [{"name": "x", "exchange": "nosuchexchange"}]}}
    )
    with pytest.raises(ConfigError, match="nosuchexchange"):
        build_ccxt_venues(bad, environ={})
