"""POV's traded volume streamed: ccxt.pro `watch_trades` on `tranche sim serve`'s public
`<sym>@trade` stream (others' flow, and our own executions, which are taken off)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from engine.brokers.ccxt.broker import CcxtBroker
from engine.clock import LiveClock
from engine.models import ChildOrder, OrderType, Side, TimeInForce
from tests.fakes.sim_stream import KEY, SECRET, venue_config
from tests.fakes.sim_stream import served as served  # noqa: F401


async def test_streamed_volume_follows_the_venues_own_flow_less_our_trades(served):
    b = CcxtBroker(
        venue_config(served, poll_interval_s=0.1, reconcile_interval_s=0.2),
        environ={"K": KEY, "S": SECRET}, clock=LiveClock(), backoff_s=0.05,
    )  # fmt: skip
    await b.connect()
    venue = served.desks["SIM-A"].venue
    try:
        assert b.feeds()["trades"] == "stream"
        assert await b.traded_volume("BTCUSDT") == 0
        await asyncio.sleep(0.3)  # the stream is subscribed; its first sample sets the baseline
        v0 = await venue.traded_volume("BTCUSDT")
        seen0 = await b.traded_volume("BTCUSDT")
        q = await b.top_of_book("BTCUSDT")
        await b.submit(
            ChildOrder(
                "P1-001",
                "P1",
                "SIM-A",
                "BTCUSDT",
                Side.BUY,
                Decimal("0.5"),
                OrderType.LIMIT,
                q.ask + 50,
                TimeInForce.IOC,
            )
        )  # fmt: skip: ours prints on the tape too
        await asyncio.sleep(1.0)
        v1 = await venue.traded_volume("BTCUSDT")
        seen1 = await b.traded_volume("BTCUSDT")
        others = v1 - v0
        assert others > 0
        # what the tape added is the venue's others' flow, up to one sample at either end
        assert abs((seen1 - seen0) - others) <= others * Decimal("0.2")
        assert b.tape._tapes["BTC/USDT"].own == Decimal("0.5")  # our own trade was taken off
    finally:
        await b.close()
