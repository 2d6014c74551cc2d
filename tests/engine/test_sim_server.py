"""The simulated market behind a Binance-compatible REST API, driven by the real ccxt client."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from decimal import Decimal
from urllib.parse import urlencode

import aiohttp
import pytest

from engine.brokers.base import AuthenticationFailed, OrderNotFound, OrderRejected
from engine.brokers.ccxt.broker import CcxtBroker
from engine.config import Settings, VenueConfig
from engine.models import ChildOrder, OrderStatus, OrderType, Side, TimeInForce
from engine.sim.server.app import serve
from engine.sim.server.faults import admin_query

KEY, SECRET = "srv-test-key", "srv-test-secret-31"


@pytest.fixture
async def url():
    stop, urls = asyncio.Event(), []
    settings = Settings().model_copy(
        update={
            "sim": Settings().sim.model_copy(update={"venues": 2, "symbols": ["BTCUSDT", "AAPL"]})
        }
    )
    task = asyncio.create_task(
        serve(settings, host="127.0.0.1", port=0, speed=1.0, api_key=KEY, api_secret=SECRET,
              ready=urls.append, stop=stop)
    )  # fmt: skip
    while not urls:
        await asyncio.sleep(0.01)
    yield urls[0]
    stop.set()
    await task


def broker(url: str, venue: str = "SIM-A", key: str = KEY, secret: str = SECRET) -> CcxtBroker:
    cfg = VenueConfig(
        name=venue, exchange="binance", api_key_env="K", secret_env="S",
        base_url=f"{url}/{venue}", rate_limit=False, poll_interval_s=0.1, timeout_ms=2000,
    )  # fmt: skip
    return CcxtBroker(cfg, environ={"K": key, "S": secret}, max_retries=1, backoff_s=0.01)


def order(
    cid: str, qty: str, price: Decimal | None, tif=TimeInForce.GTC, side=Side.BUY, venue="SIM-A"
):
    kind = OrderType.LIMIT if price is not None else OrderType.MARKET
    return ChildOrder(cid, "P", venue, "BTCUSDT", side, Decimal(qty), kind, price, tif)


async def signed(session, url: str, method: str, path: str, params: dict, secret=SECRET, key=KEY):
    q = urlencode(params)
    sig = hmac.new(secret.encode(), q.encode(), hashlib.sha256).hexdigest()
    async with session.request(
        method, f"{url}{path}?{q}&signature={sig}", headers={"X-MBX-APIKEY": key}
    ) as r:
        return r.status, await r.json()


async def test_markets_books_and_accounts_per_venue(url):
    a, b = broker(url), broker(url, "SIM-B")
    await a.connect()
    await b.connect()
    try:
        inst = await a.instrument("BTCUSDT")
        assert (inst.tick, inst.step) == (Decimal("0.01"), Decimal("0.00001"))
        qa, qb = await a.top_of_book("BTCUSDT"), await b.top_of_book("BTCUSDT")
        assert qa.bid < qa.ask and qb.bid < qb.ask and await a.adv("BTCUSDT") > 0
        bids, asks = await a.book("BTCUSDT", 5)
        assert len(bids) == len(asks) == 5 and bids[0][0] > bids[1][0]
        await a.submit(order("ACC-1", "0.01", qa.ask + 5, TimeInForce.IOC))
        assert (await a.positions())["BTC"].quantity == Decimal("0.01")
        assert "BTC" not in await b.positions()  # each venue has its own account
    finally:
        await a.close()
        await b.close()


async def test_order_lifecycle_fills_trades_and_client_ids_unique_among_open_orders(url):
    a = broker(url)
    await a.connect()
    try:
        q = await a.top_of_book("BTCUSDT")
        taker = order("LC-1", "0.02", q.ask + 10, TimeInForce.IOC)
        assert (await a.submit(taker)).status is OrderStatus.FILLED
        rest = order("LC-2", "0.01", q.bid - 500)
        assert (await a.submit(rest)).status is OrderStatus.SUBMITTED
        assert [s.client_order_id for s in await a.open_orders()] == ["LC-2"]
        st = await a.order_status(taker)
        assert st.filled_qty == Decimal("0.02") and sum(f.quantity for f in st.fills) == Decimal(
            "0.02"
        )
        with pytest.raises(OrderRejected, match="Duplicate"):  # LC-2 is open: refused
            await a.submit(order("LC-2", "0.01", q.bid - 400))
        await a.cancel(rest)
        assert (await a.order_status(rest)).status is OrderStatus.CANCELLED
        with pytest.raises(OrderNotFound):
            await a.cancel(rest)
        with pytest.raises(OrderNotFound):
            await a.order_status(order("NEVER-SENT", "0.01", q.bid))
    finally:
        await a.close()
    again = broker(url)  # a new client (a restarted engine) sees the same venue state
    await again.connect()
    try:
        st = await again.order_status(order("LC-1", "0.02", None))
        assert st.status is OrderStatus.FILLED and len(st.fills) >= 1
        # as on Binance, a closed order's client id can be used again: a re-send is a 2nd order
        second = order("LC-1", "0.01", q.bid - 500)
        assert (await again.submit(second)).status is OrderStatus.SUBMITTED
        async with (
            aiohttp.ClientSession(headers={"X-MBX-APIKEY": KEY}) as s,
            s.get(f"{url}/_sim/state?{admin_query(SECRET)}") as r,
        ):
            venue = (await r.json())["venues"]["SIM-A"]
        assert [o["clientOrderId"] for o in venue["orders"]].count("LC-1") == 2
        assert (venue["reused_client_ids"], venue["duplicate_client_ids"]) == (1, 1)
        await again.cancel(second)
    finally:
        await again.close()


async def test_wrong_credentials_are_refused_with_binance_codes(url):
    bad = broker(url, secret="not-the-secret")
    await bad.connect()  # public endpoints need no key
    try:
        with pytest.raises(AuthenticationFailed):
            await bad.portfolio()
    finally:
        await bad.close()
    async with aiohttp.ClientSession() as s:
        now = int(time.time() * 1000)
        assert (await signed(s, url, "GET", "/api/v3/account", {"timestamp": now}, key="x")) == (
            401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."},
        )  # fmt: skip
        st, body = await signed(s, url, "GET", "/api/v3/account", {"timestamp": now}, secret="x")
        assert (st, body["code"]) == (400, -1022)
        st, body = await signed(s, url, "GET", "/api/v3/account", {"timestamp": now - 60_000})
        assert body["code"] == -1021  # outside the default 5000 ms recvWindow
        st, body = await signed(s, url, "GET", "/api/v3/account", {"timestamp": now + 5_000})
        assert body["code"] == -1021  # ahead of the server's clock


@pytest.mark.parametrize(
    ("params", "code"),
    [
        (
            {
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "0.01",
                "price": "1",
            },
            -1102,
        ),
        ({"symbol": "BTCUSDT", "side": "UP", "type": "MARKET", "quantity": "1"}, -1117),
        ({"symbol": "BTCUSDT", "side": "BUY", "type": "STOP", "quantity": "1"}, -1116),
        ({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "NaN"}, -1100),
        ({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "1e400"}, -1100),
        ({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.000001"}, -1013),
        ({"symbol": "NOPE", "side": "BUY", "type": "MARKET", "quantity": "1"}, -1121),
        (
            {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "1", "price": "1"},
            -1102,
        ),
        (
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "MARKET",
                "quantity": "1",
                "newClientOrderId": "bad id with spaces",
            },
            -1100,
        ),  # fmt: skip
    ],
)
async def test_malformed_orders_get_binance_errors_and_the_venue_keeps_serving(url, params, code):
    async with aiohttp.ClientSession() as s:
        p = dict(params, timestamp=int(time.time() * 1000))
        status, body = await signed(s, url, "POST", "/api/v3/order", p)
        assert status == 400 and body["code"] == code and body["msg"]
        status, body = await signed(
            s, url, "GET", "/api/v3/openOrders", {"timestamp": p["timestamp"]}
        )
        assert status == 200 and isinstance(body, list)


async def test_injected_faults_are_retried_with_the_same_client_id(url):
    a = broker(url)
    await a.connect()
    try:
        async with aiohttp.ClientSession() as s:
            fault = {"path": "/api/v3/order", "method": "POST", "kind": "status", "status": 503}
            body = json.dumps(fault)
            async with s.post(
                f"{url}/_sim/fault?{admin_query(SECRET, body)}",
                data=body,
                headers={"X-MBX-APIKEY": KEY, "Content-Type": "application/json"},
            ) as r:
                assert r.status == 200
            async with s.get(f"{url}/_sim/state", headers={"X-MBX-APIKEY": KEY}) as r:
                assert r.status == 401  # the key alone does not open the admin endpoints
            q = await a.top_of_book("BTCUSDT")
            ack = await a.submit(order("FLT-1", "0.01", q.ask + 10, TimeInForce.IOC))
            assert ack.status is OrderStatus.FILLED
            async with s.get(
                f"{url}/_sim/state?{admin_query(SECRET)}", headers={"X-MBX-APIKEY": KEY}
            ) as r:
                state = await r.json()
        orders = [o for o in state["venues"]["SIM-A"]["orders"] if o["clientOrderId"] == "FLT-1"]
        assert len(orders) == 1  # the retry did not double the order
    finally:
        await a.close()


async def test_cancel_all_is_one_request_that_leaves_nothing_of_ours_open(url):
    a = broker(url)
    await a.connect()
    try:
        q = await a.top_of_book("BTCUSDT")
        kids = [order(f"CA-{i}", "0.01", q.bid - 300 - i) for i in range(5)]
        for k in kids:
            await a.submit(k)
        assert sorted(await a.cancel_all() or []) == sorted(k.client_order_id for k in kids)
        assert await a.open_orders() == []
        assert await a.cancel_all() == []  # nothing open: Binance's -2011 means done
    finally:
        await a.close()
