"""Protective exits: an OCO stop-loss / take-profit watched on quotes, journalled across restarts,
ended by the kill switch; flatten exits a position through the risk gate."""

from __future__ import annotations

from decimal import Decimal

from engine.clock import SimClock
from engine.config import Settings
from engine.execution.exit_pair import ExitStatus
from engine.factory import build_engine
from engine.models import Side, Ticket
from tests.fakes.static_venue import StaticVenue

T0 = 1_700_000_000.0


async def _engine(tmp_path, clock, venue):
    eng = build_engine(Settings(), clock=clock, db_path=tmp_path / "f.db", brokers={"X": venue})
    await eng.start()
    return eng


async def _long_100(eng) -> str:
    pid = await eng.submit(Ticket("AAPL", Side.BUY, Decimal(100), algo="market", venue="X"))
    await eng.wait(pid)  # filled at the ask, 100.01
    return pid


def _exits(eng, pair):
    return [
        p
        for p in eng.parents.values()
        if p.ticket.side is Side.SELL and p.parent_id == pair.exit_parent
    ]


async def test_the_stop_fires_on_the_first_quote_through_it_and_the_take_profit_never(tmp_path):
    clock = SimClock(start=T0)
    venue = StaticVenue("X", clock)
    eng = await _engine(tmp_path, clock, venue)
    try:
        pid = await _long_100(eng)
        pair = await eng.protect(pid, stop_pct=2, take_profit_pct=3)
        assert (pair.side, pair.quantity) == (Side.SELL, Decimal(100))
        assert (pair.stop_price, pair.take_profit) == (Decimal("98.01"), Decimal("103.01"))
        await clock.sleep(5)
        assert pair.status is ExitStatus.ARMED and len(eng.parents) == 1  # nothing went through
        venue.bid, venue.ask = Decimal("98.01"), Decimal("98.03")  # the bid touches the stop
        moved = clock.now()
        await clock.sleep(1)
        assert pair.status is ExitStatus.STOPPED_OUT
        exit_pid = pair.exit_parent
        rep = await eng.wait(exit_pid)
        assert rep.side is Side.SELL and rep.filled_qty == 100
        assert eng.children[eng.parents[exit_pid].children[0]].created_ts - moved <= 0.5
        venue.bid, venue.ask = Decimal("104"), Decimal("104.02")  # through the take-profit now
        await clock.sleep(5)
        sells = [p for p in eng.parents.values() if p.ticket.side is Side.SELL]
        assert len(sells) == 1  # one leg's fill ended the other
        assert eng.positions["AAPL"] == 0
    finally:
        await eng.stop()


async def test_an_armed_pair_survives_a_restart_and_one_that_fired_stays_fired(tmp_path):
    clock = SimClock(start=T0)
    eng = await _engine(tmp_path, clock, StaticVenue("X", clock))
    pid = await _long_100(eng)
    pair = await eng.protect(pid, stop_pct=2, take_profit_pct=3)
    await eng.stop()  # the console closes: the exit is still armed in the journal

    venue = StaticVenue("X", clock)
    eng2 = await _engine(tmp_path, clock, venue)
    try:
        again = eng2.exits.pairs[pair.exit_id]
        assert again.status is ExitStatus.ARMED and again.stop_price == Decimal("98.01")
        venue.bid, venue.ask = Decimal("103.05"), Decimal("103.07")  # through the take-profit
        await clock.sleep(1)
        assert again.status is ExitStatus.TOOK_PROFIT
        assert (await eng2.wait(again.exit_parent)).filled_qty == 100
    finally:
        await eng2.stop()

    venue3 = StaticVenue("X", clock, bid="90", ask="90.02")  # through the stop: must not fire
    eng3 = await _engine(tmp_path, clock, venue3)
    try:
        assert eng3.exits.pairs[pair.exit_id].status is ExitStatus.TOOK_PROFIT
        await clock.sleep(5)
        assert not venue3.sent  # the fired take-profit ended the stop, across two restarts
    finally:
        await eng3.stop()


async def test_the_kill_switch_ends_armed_exits_and_a_restart_does_not_rearm_them(tmp_path):
    clock = SimClock(start=T0)
    venue = StaticVenue("X", clock)
    eng = await _engine(tmp_path, clock, venue)
    pid = await _long_100(eng)
    pair = await eng.protect(pid)  # the sizing's stop, 2% by default
    assert pair.stop_price == Decimal("98.01") and pair.take_profit is None
    await eng.kill()
    assert pair.status is ExitStatus.CANCELLED and pair.reason == "kill switch"
    venue.bid, venue.ask = Decimal("90"), Decimal("90.02")
    sent = len(venue.sent)
    await clock.sleep(5)
    assert len(venue.sent) == sent
    await eng.stop()
    eng2 = await _engine(tmp_path, clock, StaticVenue("X", clock))
    try:
        assert eng2.exits.pairs[pair.exit_id].status is ExitStatus.CANCELLED
    finally:
        await eng2.stop()


async def test_flatten_sells_the_whole_position_and_ends_its_exits(tmp_path):
    clock = SimClock(start=T0)
    eng = await _engine(tmp_path, clock, StaticVenue("X", clock))
    try:
        pid = await _long_100(eng)
        pair = await eng.protect(pid, stop_pct=1)
        out = await eng.flatten("AAPL")
        assert out is not None and (await eng.wait(out)).filled_qty == 100
        assert eng.positions["AAPL"] == 0 and pair.status is ExitStatus.CANCELLED
        assert await eng.flatten("AAPL") is None  # already flat
    finally:
        await eng.stop()
