"""The kill switch on an exchange with a batch-cancel endpoint and no cancel-all (OKX v5, real
ccxt client, loopback venue): one cancel-batch-orders request per 20 orders, each order's own
result read, nothing left open."""

from __future__ import annotations

import asyncio
import sqlite3
from decimal import Decimal

import pytest

from engine.models import ChildOrder, OrderStatus, OrderType, Side
from engine.risk.killswitch import cancel_everywhere
from tests.fakes.ccxt_venue import connected
from tests.fakes.okx import API_KEY, PASSPHRASE, SECRET, OkxFake

SPOT_ONLY = {"fetchMarkets": {"types": ["spot"]}}


@pytest.fixture
def clock():
    """Wall time for the engine here: its HTTP venue answers in wall time, and a simulated clock
    would run the limit orders' resting horizon out while the venue is still answering."""
    from engine.clock import LiveClock

    return LiveClock()


@pytest.fixture
async def fake():
    f = OkxFake()
    await f.start()
    yield f
    await f.stop()


def okx(fake):
    return connected(
        fake, "okx", API_KEY, SECRET, password=PASSPHRASE, options=SPOT_ONLY, stream=False
    )


async def resting(broker, n: int, parent: str = "P1") -> list[ChildOrder]:
    """`n` buys below the recorded best bid, each acknowledged by the venue."""
    bid = (await broker.top_of_book("BTC/USDT")).bid
    kids = []
    for i in range(n):
        c = ChildOrder(
            f"{parent}-{i:03d}", parent, "okx", "BTC/USDT", Side.BUY, Decimal("0.001"),
            OrderType.LIMIT, bid - 100 - i,
        )  # fmt: skip
        c.venue_order_id = (await broker.submit(c)).venue_order_id
        c.status = OrderStatus.SUBMITTED
        kids.append(c)
    return kids


async def test_okx_has_batch_cancel_and_no_cancel_all_in_ccxt(fake):
    async with okx(fake) as (b, _):
        assert b.exchange.has["cancelOrders"] and not b.exchange.has["cancelAllOrders"]
        assert await b.cancel_all() is None


async def test_the_kill_cancels_every_order_in_one_batch_request(fake):
    async with okx(fake) as (b, _):
        kids = await resting(b, 12)
        assert fake.open_count() == 12
        cancelled, failed = await cancel_everywhere({"okx": b}, kids)
        assert failed == []
        assert sorted(c.client_order_id for c in cancelled) == [c.client_order_id for c in kids]
        assert fake.batch_requests == [12]  # one request for all of them
        assert fake.hits["POST /api/v5/trade/cancel-order"] == 0  # none one by one
        assert fake.open_count() == 0 and await b.open_orders() == []


async def test_more_orders_than_one_request_takes_go_in_requests_of_twenty(fake):
    async with okx(fake) as (b, _):
        kids = await resting(b, 45)
        cancelled, failed = await cancel_everywhere({"okx": b}, kids)
        assert failed == [] and len(cancelled) == 45
        assert sorted(fake.batch_requests) == [5, 20, 20]
        assert fake.open_count() == 0


async def test_each_order_is_judged_by_its_own_result_in_the_batch_answer(fake):
    async with okx(fake) as (b, _):
        kids = await resting(b, 5)
        fake.fill(b.client_id(kids[2]), "0.001", "30000")  # filled just before the kill
        done = await b.cancel_batch(kids)
        assert fake.batch_requests == [5]  # OKX answered code 2: partly done, sCode 51400 for one
        assert sorted(done or []) == sorted(c.client_order_id for c in kids if c is not kids[2])
        assert fake.open_count() == 0


async def test_an_engine_kill_on_okx_closes_every_order_in_the_store(fake, make_engine, tmp_path):
    from engine.models import Signal, Ticket

    async with okx(fake) as (b, _):
        eng = await make_engine(brokers={"okx": b})
        bid = (await b.top_of_book("BTC/USDT")).bid
        for i in range(8):
            await eng.submit(
                Ticket(
                    "BTC/USDT", Side.BUY, Decimal("0.001"), signal=Signal(strength=0.5),
                    algo="limit", venue="okx", limit_price=bid - 50 - i,
                )
            )  # fmt: skip
        for _ in range(3000):  # the legs send their children on their own tasks
            if fake.open_count() == 8:
                break
            await asyncio.sleep(0.01)
        assert fake.open_count() == 8, [c.status for c in eng.children.values()]
        report = await eng.kill()
        assert report.failed == () and report.cancelled == 8
        assert fake.batch_requests == [8] and fake.open_count() == 0
        await eng.state.store.flush()
        with sqlite3.connect(tmp_path / "fills.db") as con:
            statuses = [s for (s,) in con.execute("SELECT status FROM children")]
        assert statuses == ["cancelled"] * 8
