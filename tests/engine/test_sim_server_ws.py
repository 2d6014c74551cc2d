"""`tranche sim serve` speaks Binance's WebSocket API to the real ccxt.pro client: books rebuilt
from snapshot plus diffs equal the venue's, trades, bookTicker, the user-data stream, and every
fault (dropped frames, sequence gaps, a stalled stream, a closed socket) ends in a resync."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import aiohttp
import ccxt.pro
import pytest

from engine.sim.server.api import OrderRequest
from tests.fakes.sim_stream import KEY, fault, rest_depth
from tests.fakes.sim_stream import pro as pro  # noqa: F401
from tests.fakes.sim_stream import served as served  # noqa: F401


async def book_at_venue_nonce(ex, server, tries: int = 50):
    """(client book, venue book) at the same update id, as ccxt.pro rebuilt it and as the venue has it."""
    feed = server.streams.feed("SIM-A", "BTCUSDT")
    for _ in range(tries):
        ob = await ex.watch_order_book("BTC/USDT")
        if ob["nonce"] == feed.update_id:
            _, bids, asks = feed.snapshot(20)
            venue = (
                [[float(p), float(q)] for p, q in bids],
                [[float(p), float(q)] for p, q in asks],
            )
            return (ob["bids"][:20], ob["asks"][:20]), venue
    raise AssertionError("the client never caught up with the venue's book")


async def test_ccxt_pro_rebuilds_the_venues_book_from_snapshot_and_numbered_diffs(pro, served):
    first = await pro.watch_order_book("BTC/USDT")
    start = first["nonce"]
    mine, venue = await book_at_venue_nonce(pro, served)
    assert mine == venue
    assert pro.orderbooks["BTC/USDT"]["nonce"] > start  # diffs were applied, not only a snapshot
    depth = await rest_depth(served)
    assert depth["lastUpdateId"] >= pro.orderbooks["BTC/USDT"]["nonce"]


async def test_trades_bookticker_and_the_user_stream_reach_the_real_client(pro, served):
    orders = asyncio.create_task(pro.watch_orders())
    mine = asyncio.create_task(pro.watch_my_trades())
    public = asyncio.create_task(pro.watch_trades("BTC/USDT"))
    tickers = await asyncio.wait_for(pro.watch_bids_asks(["BTC/USDT"]), 5)
    top = served.streams.feed("SIM-A", "BTCUSDT").top
    assert tickers["BTC/USDT"]["bid"] > 0 and top is not None
    await asyncio.sleep(0.2)  # the subscriptions are in before the order
    created = await pro.create_order(
        "BTC/USDT", "market", "buy", 0.01, None, {"newClientOrderId": "ws-test-1"}
    )
    got = await asyncio.wait_for(orders, 5)
    assert got[-1]["clientOrderId"] == "ws-test-1" and got[-1]["id"] == created["id"]
    fills = await asyncio.wait_for(mine, 5)
    rest = await pro.fetch_my_trades("BTC/USDT")
    assert [(t["id"], t["order"], t["amount"], t["price"]) for t in fills] == [
        (t["id"], t["order"], t["amount"], t["price"]) for t in rest
    ]  # the stream's trade ids are the trade history's: one fill, whichever path reports it
    seen = {t["id"] for t in await asyncio.wait_for(public, 5)}
    while rest[0]["id"] not in seen:  # ours is on the public tape, among others' prints
        seen |= {t["id"] for t in await asyncio.wait_for(pro.watch_trades("BTC/USDT"), 5)}


async def test_a_cancel_is_reported_on_the_user_stream(pro, served):
    ob = await pro.watch_order_book("BTC/USDT")
    far = round(ob["bids"][0][0] * 0.9, 2)
    watch = asyncio.create_task(pro.watch_orders())
    await asyncio.sleep(0.2)
    order = await pro.create_order("BTC/USDT", "limit", "buy", 0.01, far)
    assert (await asyncio.wait_for(watch, 5))[-1]["status"] == "open"
    await pro.cancel_order(order["id"], "BTC/USDT")
    for _ in range(5):
        seen = await asyncio.wait_for(pro.watch_orders(), 5)
        if seen[-1]["status"] == "canceled":
            break
    assert seen[-1]["id"] == order["id"] and seen[-1]["status"] == "canceled"


@pytest.mark.parametrize("injected", [{"ws": "gap"}, {"ws": "drop", "stream": "depth"}])
async def test_a_sequence_gap_or_a_dropped_frame_is_detected_and_the_book_resyncs(
    pro, served, injected
):
    await pro.watch_order_book("BTC/USDT")
    await fault(served, dict(injected, venue="SIM-A"))
    with pytest.raises(ccxt.ChecksumError):  # ccxt's own check: U must be the previous u + 1
        for _ in range(100):
            await asyncio.wait_for(pro.watch_order_book("BTC/USDT"), 5)
    mine, venue = await book_at_venue_nonce(pro, served)  # a fresh snapshot, then diffs again
    assert mine == venue


async def test_a_closed_socket_is_reconnected_and_the_book_resyncs(pro, served):
    await pro.watch_order_book("BTC/USDT")
    handshakes = sum(n for k, n in served.hits.items() if k.startswith("GET /SIM-A/ws"))
    await fault(served, {"ws": "close", "venue": "SIM-A"})
    errors = 0
    for _ in range(30):  # a watch pending at the close fails; the next one dials again
        try:
            await asyncio.wait_for(pro.watch_order_book("BTC/USDT"), 5)
        except ccxt.NetworkError:
            errors += 1
        if sum(n for k, n in served.hits.items() if k.startswith("GET /SIM-A/ws")) > handshakes:
            break
    assert sum(n for k, n in served.hits.items() if k.startswith("GET /SIM-A/ws")) > handshakes
    assert not served.streams.faults.pending  # the close happened
    mine, venue = await book_at_venue_nonce(pro, served)
    assert mine == venue


async def test_a_stalled_stream_sends_nothing_with_its_socket_open_then_resumes(pro, served):
    await pro.watch_order_book("BTC/USDT")
    await fault(served, {"ws": "stall", "venue": "SIM-A", "seconds": 0.6})
    await asyncio.sleep(0.15)  # frames already queued are out
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(pro.watch_order_book("BTC/USDT"), 0.3)
    await asyncio.sleep(0.3)
    mine, venue = await book_at_venue_nonce(pro, served)
    assert mine == venue


async def test_listen_key_user_stream_and_bad_subscriptions(served):
    base = served.url + "/SIM-A"
    async with aiohttp.ClientSession(headers={"X-MBX-APIKEY": KEY}) as s:
        async with s.post(f"{base}/api/v3/userDataStream") as r:
            key = (await r.json())["listenKey"]
        async with s.post(f"{base}/api/v3/userDataStream") as r:
            assert (await r.json())["listenKey"] == key  # one key per account, as Binance
        async with s.ws_connect(base.replace("http", "ws") + f"/ws/{key}") as user:
            desk = served.desks["SIM-A"]
            bid = (await desk.venue.top_of_book("BTCUSDT")).bid
            far = (bid * 9 / 10).quantize(Decimal("0.01"))
            await desk.create(
                OrderRequest("BTCUSDT", "BUY", "LIMIT", "GTC", Decimal("0.01"), far, "lk-1")
            )
            report = json.loads((await user.receive(timeout=5)).data)
            assert (report["e"], report["c"], report["x"], report["X"]) == (
                "executionReport",
                "lk-1",
                "NEW",
                "NEW",
            )
        async with s.ws_connect(base.replace("http", "ws") + "/ws") as market:
            await market.send_json({"method": "SUBSCRIBE", "params": ["nosuch@depth"], "id": 7})
            answer = json.loads((await market.receive(timeout=5)).data)
            assert answer["id"] == 7 and answer["error"]["code"] == 2
        async with s.ws_connect(
            base.replace("http", "ws") + "/stream?streams=btcusdt@depth@100ms/btcusdt@bookTicker"
        ) as combined:
            frame = json.loads((await combined.receive(timeout=5)).data)
            assert frame["stream"] in ("btcusdt@depth@100ms", "btcusdt@bookTicker")
            assert frame["data"]["s"] == "BTCUSDT"
