"""Kill-switch modes in simulated time: pause keeps resting orders and sends nothing until resume,
then the parent finishes its remaining quantity; flatten halts, brings every position to zero
through the risk gate, and each venue's own open-order list confirms nothing of ours is open."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.events import TradingStateChanged, VenuesSwept
from engine.models import InputError, OrderStatus, Side, Signal, Ticket, TradingState


def ticket(qty: str, algo: str, side: Side = Side.BUY, **kw) -> Ticket:
    return Ticket("AAPL", side, Decimal(qty), signal=Signal(strength=0.5), algo=algo, **kw)


async def test_pause_sends_nothing_keeps_resting_orders_and_resume_finishes_the_parent(
    make_engine, clock
):
    eng = await make_engine()
    q = await eng.brokers["V0"].top_of_book("AAPL")
    resting = await eng.submit(ticket("5", "limit", venue="V0", limit_price=q.bid - 1))
    pid = await eng.submit(ticket("300", "twap", venue="V1"))
    await clock.sleep(1)
    eng.pause()
    assert eng.trading_state is TradingState.PAUSED
    sent = len(eng.children)
    await clock.sleep(600)  # far past the TWAP's horizon: nothing new goes out while paused
    assert len(eng.children) == sent
    assert any(
        c.parent_id == resting and c.status is OrderStatus.SUBMITTED for c in eng.children.values()
    )  # the resting order is still at its venue
    with pytest.raises(InputError, match="PAUSED"):
        await eng.submit(ticket("1", "market", venue="V0"))
    assert not eng.state.done[pid].is_set()
    eng.resume()
    assert eng.trading_state is TradingState.ACTIVE
    report = await eng.wait(pid)
    assert report.filled_qty == Decimal("300")  # the parent continued to its full quantity
    with pytest.raises(InputError, match="only PAUSED resumes"):
        eng.resume()


async def test_a_kill_while_paused_halts_and_stops_the_waiting_legs(make_engine, clock):
    eng = await make_engine()
    pid = await eng.submit(ticket("300", "twap", venue="V1"))
    await clock.sleep(1)
    eng.pause()
    await eng.kill()
    await eng.state.done[pid].wait()
    assert eng.trading_state is TradingState.HALTED
    with pytest.raises(InputError, match="HALTED"):
        eng.pause()


async def test_flatten_brings_every_position_to_zero_and_the_venues_confirm_none_open(
    make_engine, clock
):
    eng = await make_engine()
    events = eng.subscribe()
    for venue, qty in (("V0", "40"), ("V1", "25")):
        await eng.wait(await eng.submit(ticket(qty, "market", venue=venue)))
    q = await eng.brokers["V2"].top_of_book("AAPL")
    await eng.submit(ticket("5", "limit", venue="V2", limit_price=q.bid - 1))  # left resting
    await clock.sleep(1)
    plan = await eng.flatten_plan()
    assert {(p.venue, p.side, p.quantity) for p in plan} == {
        ("V0", Side.SELL, Decimal("40")),
        ("V1", Side.SELL, Decimal("25")),
    }
    assert all(p.est_cost is not None and 0 <= p.est_cost <= p.worst_cost for p in plan)
    with pytest.raises(InputError, match="confirmation"):
        await eng.flatten(confirm=False)
    report = await eng.flatten(confirm=True)
    assert report.kill.cancelled == 1  # the resting order went first
    assert report.left == {} and eng.position_book.net()["AAPL"] == 0
    assert eng.trading_state is TradingState.HALTED
    seen = [events.get_nowait() for _ in range(events.qsize())]
    states = [e.new for e in seen if isinstance(e, TradingStateChanged)]
    assert states == [TradingState.HALTED, TradingState.REDUCING, TradingState.HALTED]
    swept = [e for e in seen if isinstance(e, VenuesSwept)]
    assert swept and swept[-1].clean
    assert dict(swept[-1].venues) == dict.fromkeys(eng.brokers, "no open orders")
