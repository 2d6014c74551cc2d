"""A kill in one process on a history halts every other engine on it, and cancels their orders."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from engine.config import Settings
from engine.factory import build_engine
from engine.models import Side, Ticket, TradingState
from tests.console.conftest import FrozenClock
from tests.fakes.static_venue import StaticVenue

T0 = 1_700_000_000.0


async def _engine(db, clock, venue):
    eng = build_engine(Settings(), clock=clock, db_path=db, brokers={"X": venue})
    await eng.start()
    return eng


async def _until(cond, seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not cond():
        assert asyncio.get_running_loop().time() < deadline, "not within the wait"
        await asyncio.sleep(0.05)


async def test_a_kill_in_one_engine_halts_the_other_and_cancels_its_resting_order(tmp_path):
    db = tmp_path / "shared.db"
    clock = FrozenClock(start=T0)  # wall-clock waits here: simulated time must not run on
    listener_venue = StaticVenue("X", clock)
    console = await _engine(db, clock, StaticVenue("X", clock))
    listener = await _engine(db, clock, listener_venue)  # e.g. `tranche listen --auto`
    try:
        resting = Ticket(
            "AAPL", Side.BUY, Decimal(100), limit_price=Decimal("99.5"), algo="limit", venue="X"
        )
        pid = await listener.submit(resting)
        await _until(lambda: any(c.status.is_open for c in listener.children.values()))
        await console.kill()
        await _until(lambda: listener.trading_state is TradingState.HALTED)
        assert "kill switch (from pid" in listener.state.risk.state_reason
        await asyncio.wait_for(listener.wait(pid), 10)
        assert not any(c.status.is_open for c in listener.children.values())
        assert listener.parents[pid].status.value == "cancelled"

        console.reset(confirm=True)  # a reset here does not resume the other process
        await asyncio.sleep(1.5)
        assert console.trading_state is TradingState.ACTIVE  # its own events never re-kill it
        assert listener.trading_state is TradingState.HALTED
    finally:
        await listener.stop()
        await console.stop()
