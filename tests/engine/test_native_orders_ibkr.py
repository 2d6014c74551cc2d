"""Native orders at IB through the whole engine (the real ib-async client, a loopback TWS):
protective exits as OCA groups (one leg's fill cancels the other at the venue, also while the
engine is down; the kill switch cancels them) and icebergs as one order with a display size."""

# ruff: noqa: F811 - the loopback TWS fixtures are imported from tests/fakes/tws_harness.py
from __future__ import annotations

import asyncio
from decimal import Decimal

from engine.clock import LiveClock
from engine.config import Settings
from engine.execution.exit_pair import ExitStatus
from engine.factory import build_engine
from engine.models import AlgoParams, OrderStatus, Side, Ticket
from tests.fakes.tws_harness import eventually, make_ibkr, no_decoder_errors, tws  # noqa: F401 - fixtures

CLIENT_ID = 700


async def _engine(tmp_path, make_ibkr, tws):
    tws.take_marketable_limits = True  # the entry's protected market order takes at the ask
    broker = await make_ibkr(connect=False, client_id=CLIENT_ID)
    eng = build_engine(
        Settings(), clock=LiveClock(), db_path=tmp_path / "f.db", brokers={"IBKR": broker}
    )
    await eng.start()
    eng.logs = []
    orig = eng.state.log
    eng.state.log = lambda lvl, msg: (eng.logs.append(msg), orig(lvl, msg))
    return eng


async def _long_100(eng) -> str:
    pid = await eng.submit(Ticket("AAPL", Side.BUY, Decimal(100), algo="market", venue="IBKR"))
    rep = await asyncio.wait_for(eng.wait(pid), 5)
    assert rep.filled_qty == 100  # at the ask, 190.02
    return pid


async def test_native_oca_take_profit_fill_cancels_the_stop_at_ib(tmp_path, tws, make_ibkr):
    eng = await _engine(tmp_path, make_ibkr, tws)
    try:
        pid = await _long_100(eng)
        pair = await eng.protect(pid, stop_pct=2, take_profit_pct=3)
        assert pair.path == "native" and len(pair.legs) == 2, eng.logs
        stop_ib, take_ib = tws.order_by_ref(pair.legs[0]), tws.order_by_ref(pair.legs[1])
        assert (stop_ib.order_type, stop_ib.aux_price, take_ib.limit_price) == (
            "STP LMT", 186.22, 195.72,
        )  # fmt: skip
        assert stop_ib.oca_group == take_ib.oca_group == pair.exit_id
        kids = [eng.children[c] for c in pair.legs]
        assert {k.meta["exit_path"] for k in kids} == {"native"}  # the order record says so
        tws.print_trade("AAPL", 195.72)
        await eventually(lambda: pair.status is ExitStatus.TOOK_PROFIT, 5)
        await eventually(lambda: eng.parents[pair.exit_parent].status is OrderStatus.FILLED, 5)
        assert (stop_ib.status, take_ib.status) == ("Cancelled", "Filled")
        assert tws.requests_of(4, CLIENT_ID) == []  # IB cancelled the stop, not us
        assert kids[0].status is OrderStatus.CANCELLED and kids[1].filled_qty == 100
        assert eng.positions["AAPL"] == 0
    finally:
        await eng.stop()


async def test_native_stop_fills_while_the_engine_is_down_and_the_restart_says_so(
    tmp_path, tws, make_ibkr
):
    eng = await _engine(tmp_path, make_ibkr, tws)
    pid = await _long_100(eng)
    pair = await eng.protect(pid, stop_pct=2, take_profit_pct=3)
    await eng.stop()  # the console closes: the legs stay at IB, protecting the position
    stop_ib, take_ib = tws.order_by_ref(pair.legs[0]), tws.order_by_ref(pair.legs[1])
    assert not stop_ib.done and not take_ib.done

    tws.print_trade("AAPL", 186.20)  # through the stop while nobody watches
    assert (stop_ib.status, take_ib.status) == ("Filled", "Cancelled")

    eng2 = await _engine(tmp_path, make_ibkr, tws)
    try:
        again = eng2.exits.pairs[pair.exit_id]
        await eventually(lambda: again.status is ExitStatus.STOPPED_OUT, 5)
        await eventually(lambda: eng2.parents[pair.exit_parent].status is OrderStatus.FILLED, 5)
        assert eng2.positions["AAPL"] == 0  # the stop's fill booked once, from IB's record
        kids = [eng2.children[c] for c in pair.legs]
        assert (kids[0].filled_qty, kids[1].status) == (100, OrderStatus.CANCELLED)
    finally:
        await eng2.stop()
    eng3 = await _engine(tmp_path, make_ibkr, tws)  # a fired pair stays fired
    try:
        assert eng3.exits.pairs[pair.exit_id].status is ExitStatus.STOPPED_OUT
        assert eng3.positions["AAPL"] == 0
    finally:
        await eng3.stop()


async def test_the_kill_switch_cancels_native_legs_at_ib_and_a_restart_keeps_them_ended(
    tmp_path, tws, make_ibkr
):
    eng = await _engine(tmp_path, make_ibkr, tws)
    pid = await _long_100(eng)
    pair = await eng.protect(pid, stop_pct=2)  # a lone stop: one STP LMT in its own group
    stop_ib = tws.order_by_ref(pair.legs[0])
    assert len(pair.legs) == 1 and stop_ib.order_type == "STP LMT"
    await eng.kill()
    await eventually(lambda: stop_ib.status == "Cancelled", 5)
    assert pair.status is ExitStatus.CANCELLED
    await eng.stop()
    eng2 = await _engine(tmp_path, make_ibkr, tws)
    try:
        assert eng2.exits.pairs[pair.exit_id].status is ExitStatus.CANCELLED
        tws.print_trade("AAPL", 180.0)
        await asyncio.sleep(0.1)
        assert eng2.positions["AAPL"] == 100  # nothing fired after the kill
    finally:
        await eng2.stop()


async def test_iceberg_ticket_rests_at_ib_as_one_order_with_a_display_size(
    tmp_path, tws, make_ibkr
):
    eng = await _engine(tmp_path, make_ibkr, tws)
    try:
        t = Ticket("AAPL", Side.BUY, Decimal(500), algo="iceberg", venue="IBKR",
                   limit_price=Decimal("189.90"), params=AlgoParams(display_qty=Decimal(100)))  # fmt: skip
        pid = await eng.submit(t)
        await eventually(lambda: bool(eng.parents[pid].children), 5)
        child = eng.children[eng.parents[pid].children[0]]
        await eventually(lambda: child.status is OrderStatus.SUBMITTED, 5)
        at_ib = tws.order_by_ref(child.client_order_id)
        assert (at_ib.quantity, at_ib.display_size) == (500, 100)
        assert child.meta["iceberg"] == "native"
        for _ in range(5):
            tws.fill(at_ib, 100, 189.90, liquidity=1)
        rep = await asyncio.wait_for(eng.wait(pid), 10)
        assert rep.filled_qty == 500 and len(eng.parents[pid].children) == 1
    finally:
        await eng.stop()


async def test_a_part_filled_take_profit_fires_the_pair_and_the_exit_ends_when_it_is_done(
    tmp_path, tws, make_ibkr
):
    eng = await _engine(tmp_path, make_ibkr, tws)
    try:
        pid = await _long_100(eng)
        pair = await eng.protect(pid, stop_pct=2, take_profit_pct=3)
        stop_ib, take_ib = tws.order_by_ref(pair.legs[0]), tws.order_by_ref(pair.legs[1])
        tws.fill(take_ib, 40, 195.72, liquidity=1)  # IB's OCA type 1: the stop goes at once
        await eventually(lambda: pair.status is ExitStatus.TOOK_PROFIT, 5)
        assert stop_ib.status == "Cancelled"
        await asyncio.sleep(0.1)
        exit_parent = eng.parents[pair.exit_parent]
        assert exit_parent.status is OrderStatus.SUBMITTED and exit_parent.filled_qty == 40
        tws.fill(take_ib, 60, 195.72, liquidity=1)
        await eventually(lambda: exit_parent.status is OrderStatus.FILLED, 5)
        assert eng.positions["AAPL"] == 0
    finally:
        await eng.stop()
