"""The real ccxt client against a loopback Kraken venue: signed POSTs, cl_ord_id, Kraken's error strings."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.brokers.base import (
    AuthenticationFailed,
    InsufficientFunds,
    NonceRejected,
    OrderNotFound,
    OrderRejected,
    OrderUpdate,
)
from engine.brokers.ccxt.parse import venue_client_id
from engine.models import ChildOrder, OrderStatus, OrderType, Side, TimeInForce
from tests.fakes.ccxt_venue import connected
from tests.fakes.kraken import API_KEY, SECRET, KrakenFake

CID = (
    "P18bcfe5c800abcd001-001"  # the engine's id shape: longer than Kraken's 18-character free text
)


@pytest.fixture
async def fake():
    f = KrakenFake()
    f.hang_s = 0.5
    await f.start()
    yield f
    await f.stop()


def child(cid: str = CID, qty: str = "0.01", price: str = "42000", **kw) -> ChildOrder:
    return ChildOrder(
        cid,
        "P1",
        "kraken",
        "BTC/USDT",
        Side.BUY,
        Decimal(qty),
        OrderType.LIMIT,
        Decimal(price),
        **kw,
    )


async def test_markets_book_and_ticker_come_from_recorded_kraken_payloads(fake):
    async with connected(fake, "kraken", API_KEY, SECRET) as (b, _):
        inst = await b.instrument("XBTUSDT")
        q = await b.top_of_book("BTC/CHF")
        bids, asks = await b.book("XMR/USD", 2)
        adv = await b.adv("BTC/USDT")
    assert (inst.tick, inst.step, inst.min_qty) == (
        Decimal("0.1"),
        Decimal("1E-8"),
        Decimal("0.0002"),
    )
    assert (q.bid, q.ask) == (Decimal("56119.0"), Decimal("56218.3"))
    assert asks[0] == (Decimal("354.8"), Decimal("1.4")) and len(bids) == 2
    assert adv == Decimal("598.03698452")


async def test_balances_use_unified_currency_codes(fake):
    async with connected(fake, "kraken", API_KEY, SECRET, cash_currency="USDT") as (b, _):
        pf = await b.portfolio()
    assert pf.cash == Decimal("20000")
    assert {c: p.quantity for c, p in pf.positions.items()} == {
        "USD": Decimal("5000"),
        "BTC": Decimal("0.25"),
    }


async def test_create_status_cancel_with_a_stable_kraken_client_id(fake):
    async with connected(fake, "kraken", API_KEY, SECRET) as (b, _):
        o = child(post_only=True)
        ack = await b.submit(o)
        placed = fake.orders[ack.venue_order_id]
        assert placed["cl_ord_id"] == venue_client_id("kraken", CID) == b.client_id(o)
        assert placed["oflags"] == "post" and placed["descr"]["price"] == "42000"
        assert (await b.order_status(o)).status is OrderStatus.SUBMITTED
        assert [s.client_order_id for s in await b.open_orders()] == [CID]
        await b.cancel(o)
        assert (await b.order_status(o)).status is OrderStatus.CANCELLED
        with pytest.raises(OrderNotFound):
            await b.cancel(o)


async def test_partial_fills_are_emitted_once_each(fake):
    async with connected(fake, "kraken", API_KEY, SECRET) as (b, _):
        updates: list[OrderUpdate] = []
        b.on_update(updates.append)
        o = child()
        await b.submit(o)
        fake.fill(b.client_id(o), "0.004", "41990")
        assert await b.fills.poll() == 1
        assert await b.fills.poll() == 0
        fake.fill(b.client_id(o), "0.006", "42000")
        assert await b.fills.poll() == 1
    assert [(u.status, u.fill.quantity) for u in updates] == [
        (OrderStatus.PARTIALLY_FILLED, Decimal("0.004")),
        (OrderStatus.FILLED, Decimal("0.006")),
    ]
    assert updates[0].fill.fee == Decimal(
        "0.268736"
    )  # 0.16% of 0.004 x 41990, in the quote currency


async def test_ioc_expiry_is_reported_as_cancelled(fake):
    async with connected(fake, "kraken", API_KEY, SECRET) as (b, _):
        updates: list[OrderUpdate] = []
        b.on_update(updates.append)
        await b.submit(child(tif=TimeInForce.IOC))
        await b.fills.poll()
    assert [u.status for u in updates] == [OrderStatus.CANCELLED]


async def test_kraken_errors_map_to_engine_errors(fake):
    async with connected(fake, "kraken", API_KEY, SECRET) as (b, _):
        with pytest.raises(InsufficientFunds):
            await b.submit(child(qty="1"))
        fake.inject_errors.append("EOrder:Order minimum not met")
        with pytest.raises(OrderRejected, match="minimum"):
            await b.submit(child(cid="P2-001"))
        with pytest.raises(OrderNotFound):
            await b.order_status(child(cid="never-sent"))
    assert fake.created_per_client_id == {}


async def test_bad_key_and_bad_signature_are_authentication_failures(fake):
    async with connected(fake, "kraken", "wrong-key", SECRET) as (b, _):
        with pytest.raises(AuthenticationFailed, match="KRAKEN_KEY"):
            await b.positions()
    other_secret = "b3RoZXIgc2VjcmV0IG9mIDMyIGJ5dGVzIGxvbmchIQ=="
    async with connected(fake, "kraken", API_KEY, other_secret) as (b, _):
        with pytest.raises(AuthenticationFailed, match="Invalid signature"):
            await b.positions()


async def test_a_refused_nonce_is_retried_once_then_reported(fake):
    async with connected(fake, "kraken", API_KEY, SECRET) as (b, _):
        fake.inject_errors.append("EAPI:Invalid nonce")
        assert (await b.positions())["BTC"].quantity == Decimal("0.25")
        fake.inject_errors.extend(["EAPI:Invalid nonce", "EAPI:Invalid nonce"])
        with pytest.raises(NonceRejected, match="another process"):
            await b.positions()


async def test_rate_limit_backs_off_and_succeeds(fake):
    async with connected(fake, "kraken", API_KEY, SECRET) as (b, sleep):
        fake.inject_errors.append("EAPI:Rate limit exceeded")
        assert await b.open_orders() == []
    assert sleep.delays == [0.02]


async def test_a_lost_create_reply_is_found_by_cl_ord_id_not_doubled(fake):
    async with connected(fake, "kraken", API_KEY, SECRET) as (b, _):
        fake.fail("/0/private/AddOrder", "hang", after=True)
        ack = await b.submit(child())
    assert fake.created_per_client_id == {venue_client_id("kraken", CID): 1}
    assert ack.venue_order_id in fake.orders and fake.hits["POST /0/private/AddOrder"] == 1
