"""Opt-in checks against Binance's spot testnet (`pytest -m live`); skipped without credentials."""

from __future__ import annotations

import os
import uuid
from decimal import Decimal

import pytest

from engine.brokers.ccxt.broker import CcxtBroker
from engine.config import VenueConfig
from engine.models import ChildOrder, OrderStatus, OrderType, Side

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        not (
            os.environ.get("BINANCE_TESTNET_API_KEY") and os.environ.get("BINANCE_TESTNET_SECRET")
        ),
        reason="set BINANCE_TESTNET_API_KEY and BINANCE_TESTNET_SECRET to run against the Binance testnet",
    ),
]


@pytest.fixture
async def testnet():
    venue = VenueConfig(
        name="binance-testnet",
        exchange="binance",
        api_key_env="BINANCE_TESTNET_API_KEY",
        secret_env="BINANCE_TESTNET_SECRET",
        sandbox=True,
        symbols=["BTC/USDT"],
    )
    broker = CcxtBroker(venue, poll_interval_s=0)
    await broker.connect()
    yield broker
    await broker.close()


async def test_testnet_market_data_balances_and_health(testnet):
    q = await testnet.top_of_book("BTC/USDT")
    assert 0 < q.bid < q.ask
    inst = await testnet.instrument("BTC/USDT")
    assert inst.tick > 0 and inst.step > 0
    assert (await testnet.health()).connected
    assert (await testnet.portfolio()).cash >= 0


async def test_testnet_resting_post_only_order_round_trip(testnet):
    q = await testnet.top_of_book("BTC/USDT")
    far_below = (q.bid * Decimal("0.8")).quantize(Decimal("0.01"))
    cid = f"T{uuid.uuid4().hex[:20]}"
    order = ChildOrder(
        cid,
        "live",
        testnet.name,
        "BTC/USDT",
        Side.BUY,
        Decimal("0.0002"),
        OrderType.LIMIT,
        far_below,
        post_only=True,
    )
    ack = await testnet.submit(order)
    try:
        assert ack.status is OrderStatus.SUBMITTED
        assert (await testnet.order_status(order)).status is OrderStatus.SUBMITTED
        assert cid in {s.client_order_id for s in await testnet.open_orders()}
    finally:
        await testnet.cancel(order)
    assert (await testnet.order_status(order)).status is OrderStatus.CANCELLED
