"""A kill holds across a restart, on the same history, until the trader resets it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.clock import SimClock
from engine.config import Settings
from engine.factory import build_engine
from engine.models import InputError, Side, Ticket, TradingState
from tests.fakes.static_venue import StaticVenue

T0 = 1_700_000_000.0
BUY = Ticket("AAPL", Side.BUY, Decimal(100), algo="market", venue="X")


async def _engine(tmp_path, clock):
    eng = build_engine(
        Settings(), clock=clock, db_path=tmp_path / "f.db", brokers={"X": StaticVenue("X", clock)}
    )
    await eng.start()
    return eng


async def test_a_killed_history_starts_halted_refuses_orders_and_a_reset_holds_too(tmp_path):
    clock = SimClock(start=T0)
    eng = await _engine(tmp_path, clock)
    await eng.kill()
    await eng.stop()

    again = await _engine(tmp_path, clock)  # the trader restarts the console
    try:
        assert again.trading_state is TradingState.HALTED
        assert "kill switch" in again.state.risk.state_reason
        assert "after the restart" in again.state.risk.state_reason
        with pytest.raises(InputError, match="HALTED .*kill switch"):
            await again.submit(BUY)
        again.reset(confirm=True)
        pid = await again.submit(BUY)
        assert (await again.wait(pid)).filled_qty == 100
    finally:
        await again.stop()

    third = await _engine(tmp_path, clock)  # the reset is stored as the kill was
    try:
        assert third.trading_state is TradingState.ACTIVE
    finally:
        await third.stop()


async def test_a_pause_holds_across_a_restart_and_a_fresh_history_starts_active(tmp_path):
    clock = SimClock(start=T0)
    (tmp_path / "other").mkdir()
    fresh = await _engine(tmp_path / "other", clock)
    assert fresh.trading_state is TradingState.ACTIVE
    await fresh.stop()
    eng = await _engine(tmp_path, clock)
    eng.pause()
    await eng.stop()
    again = await _engine(tmp_path, clock)
    try:
        assert again.trading_state is TradingState.PAUSED
    finally:
        await again.stop()
