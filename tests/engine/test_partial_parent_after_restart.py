"""A parent that finished partially filled is finished: after a restart its fills count in the
position the risk gate sees, and it is among the recent parents the console shows."""

from __future__ import annotations

from decimal import Decimal

from engine.clock import SimClock
from engine.config import Settings
from engine.factory import build_engine
from engine.models import OrderStatus, Side, Ticket
from tests.fakes.static_venue import StaticVenue

T0 = 1_700_000_000.0


async def _engine(tmp_path, clock, **venue):
    eng = build_engine(
        Settings(), clock=clock, db_path=tmp_path / "f.db",
        brokers={"X": StaticVenue("X", clock, **venue)},
    )  # fmt: skip
    await eng.start()
    return eng


async def test_a_partially_filled_parent_counts_after_a_restart(tmp_path):
    clock = SimClock(start=T0)
    eng = await _engine(tmp_path, clock, depth="40", fail_after=1, failure="reject")
    pid = await eng.submit(Ticket("AAPL", Side.BUY, Decimal(100), algo="twap", venue="X"))
    rep = await eng.wait(pid)
    assert eng.parents[pid].status is OrderStatus.PARTIALLY_FILLED, rep
    filled = eng.parents[pid].filled_qty
    assert 0 < filled < 100
    assert eng.positions["AAPL"] == filled
    await eng.stop()

    again = await _engine(tmp_path, clock)
    try:
        assert again.state.positions.get("AAPL") == filled  # the gate counts what was bought
        shown = [c for c in again.state.history.completions if c.parent_id == pid]
        assert shown and shown[0].status is OrderStatus.PARTIALLY_FILLED
        assert shown[0].filled_qty == filled
    finally:
        await again.stop()
