"""Hypothesis over what venues and files hand the engine: REST requests and replies, data files.

Wrong types, missing fields, huge numbers, NaN and unicode: the simulated venue answers a
Binance error (never a 500), the ccxt adapter returns a state or raises a BrokerError, the
replay loaders report DataError/InputError; nothing else escapes.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import hmac
import json
import time
from decimal import Decimal
from urllib.parse import urlencode

import aiohttp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.brokers.base import BrokerError, OrderState
from engine.brokers.ccxt.broker import CcxtBroker
from engine.config import Settings, VenueConfig
from engine.models import ChildOrder, InputError, OrderType, Side
from engine.sim.data.replay import replay_file
from engine.sim.server.api import ApiError, OrderRequest, parse_order
from engine.sim.server.app import build_server, start_site, stop_server

FAST = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
KEY, SECRET = "fuzz-key", "fuzz-secret"
PARAMS = ["symbol", "side", "type", "timeInForce", "quantity", "price", "newClientOrderId",
          "orderId", "origClientOrderId", "limit", "startTime", "recvWindow"]  # fmt: skip
weird = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "NaN",
            "inf",
            "-1",
            "1e400",
            "0.00000000001",
            "9" * 40,
            "BTCUSDT",
            "BUY",
            "LIMIT",
            "MARKET",
            "GTC",
            "IOC",
            "0.01",
            "60000",
            "ß",
            "",
            "null",
        ]
    ),  # fmt: skip
)
requests = st.dictionaries(
    st.one_of(st.sampled_from(PARAMS), st.text(max_size=5)), weird, max_size=8
)
json_values = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8)
    ),
    lambda c: st.one_of(
        st.lists(c, max_size=3), st.dictionaries(st.text(max_size=8), c, max_size=4)
    ),
    max_leaves=12,
)


@FAST
@given(params=requests)
def test_the_order_parser_accepts_or_answers_a_binance_error(params):
    try:
        req = parse_order(params)
    except ApiError as e:
        assert e.code < 0 and e.msg and 400 <= e.status < 500
        return
    assert isinstance(req, OrderRequest) and req.quantity > 0 and req.quantity.is_finite()


def serve_in(loop: asyncio.AbstractEventLoop):
    base = Settings()
    s = base.model_copy(
        update={"sim": base.sim.model_copy(update={"venues": 1, "symbols": ["BTCUSDT"]})}
    )
    server = loop.run_until_complete(build_server(s, speed=1.0, api_key=KEY, api_secret=SECRET))
    runner, url = loop.run_until_complete(start_site(server, "127.0.0.1", 0))
    return server, runner, url


def test_the_venue_answers_any_signed_request_with_json_never_a_500():
    loop = asyncio.new_event_loop()
    server, runner, url = serve_in(loop)
    session = loop.run_until_complete(_session())

    @FAST
    @given(params=requests, method=st.sampled_from(["POST", "GET", "DELETE"]),
           path=st.sampled_from(["/api/v3/order", "/api/v3/myTrades", "/api/v3/openOrders",
                                 "/api/v3/depth", "/api/v3/ticker/24hr"]))  # fmt: skip
    def one(params, method, path):
        async def go():
            q = urlencode({**params, "timestamp": int(time.time() * 1000)})
            sig = hmac.new(SECRET.encode(), q.encode(), hashlib.sha256).hexdigest()
            async with session.request(
                method, f"{url}{path}?{q}&signature={sig}", headers={"X-MBX-APIKEY": KEY}
            ) as r:
                body = await r.json(content_type=None)
                assert r.status < 500, body
                if r.status >= 400:
                    assert body["code"] < 0 and body["msg"]

        loop.run_until_complete(go())

    try:
        one()
        assert server.requests > 0
    finally:
        loop.run_until_complete(session.close())
        loop.run_until_complete(stop_server(server, runner))
        loop.close()


async def _session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession()


def test_the_ccxt_adapter_turns_any_venue_reply_into_a_state_or_a_broker_error():
    loop = asyncio.new_event_loop()
    server, runner, url = serve_in(loop)
    cfg = VenueConfig(name="SIM-A", exchange="binance", api_key_env="K", secret_env="S",
                      base_url=f"{url}/SIM-A", rate_limit=False, poll_interval_s=0.1,
                      timeout_ms=1000)  # fmt: skip
    broker = CcxtBroker(cfg, environ={"K": KEY, "S": SECRET}, max_retries=0, backoff_s=0.0)
    loop.run_until_complete(broker.connect())
    child = ChildOrder(
        "FZ-1", "P", "SIM-A", "BTCUSDT", Side.BUY, Decimal("0.01"), OrderType.LIMIT, Decimal(1)
    )
    child.venue_order_id = "10000001"

    @FAST
    @given(reply=json_values, raw=st.one_of(st.none(), st.text(max_size=20)))
    def one(reply, raw):
        from engine.sim.server.app import Fault

        server.faults[:] = [Fault(path="/api/v3/order", method="GET", kind="body",
                                  body=raw if raw is not None else json.dumps(reply))]  # fmt: skip
        try:
            state = loop.run_until_complete(broker.order_status(child))
        except BrokerError as e:
            assert e.message
            return
        assert isinstance(state, OrderState)

    try:
        one()
    finally:
        loop.run_until_complete(broker.close())
        loop.run_until_complete(stop_server(server, runner))
        loop.close()


@FAST
@given(lines=st.lists(st.one_of(json_values.map(json.dumps), st.text(max_size=30)), max_size=8),
       gz=st.booleans(), junk=st.binary(max_size=40))  # fmt: skip
def test_replay_data_files_load_or_report_data_errors(tmp_path_factory, lines, gz, junk):
    d = tmp_path_factory.mktemp("data")
    text = "\n".join(lines).encode() + (junk if gz else b"")
    path = d / ("f.jsonl.gz" if gz else "f.jsonl")
    path.write_bytes(gzip.compress(text) if gz else text)
    try:
        res = replay_file(path)
    except InputError as e:
        assert e.message
        return
    assert all(e.message for e in res.errors)
