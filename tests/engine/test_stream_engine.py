"""The whole engine on streaming ccxt venues (sim serve over the real ccxt.pro client): whatever the
user stream drops, the venue's record, the journal and the fill history agree, nothing re-sent."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from engine.models import Side, Ticket
from tests.fakes.sim_server import assert_exact
from tests.fakes.sim_stream import fault
from tests.fakes.sim_stream import served as served  # noqa: F401  fixtures
from tests.fakes.sim_stream import streaming_engine as streaming_engine  # noqa: F401


async def test_engine_fills_stream_and_dropped_reports_are_reconciled_exactly(
    streaming_engine, served
):
    engine, venue = streaming_engine, served
    assert all(b.feeds()["my_trades"] == "stream" for b in engine.brokers.values())
    await fault(venue, {"ws": "drop", "stream": "user", "times": 6})
    pid = await engine.submit(
        Ticket("BTCUSDT", Side.BUY, Decimal("0.03"), algo="twap", venue="SIM-A")
    )
    report = await asyncio.wait_for(engine.wait(pid), 20)
    assert report.filled_qty == Decimal("0.03")
    await assert_exact(engine, venue, pid)
    assert venue.desks["SIM-A"].reused_client_ids == 0
    assert venue.streams.faults.dropped == 6  # the stream really lost reports
