"""The engine end to end on paper venues in simulated time: journal, fills, kill switch, venue failure."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import pytest

from engine.config import Settings
from engine.events import KillReport, TradingStateChanged
from engine.models import InputError, OrderStatus, Refusal, Side, Signal, Ticket, TradingState
from tests.fakes.faulty_broker import FaultyBroker
from tests.fakes.paper_venues import paper_venues


async def open_count(eng) -> int:
    return sum([len(await b.open_orders()) for b in eng.brokers.values()])


def ticket(qty="300", algo="twap", side=Side.BUY, **kw) -> Ticket:
    return Ticket(
        symbol="AAPL",
        side=side,
        quantity=Decimal(qty),
        signal=Signal(strength=0.5),
        algo=algo,
        **kw,
    )


@pytest.mark.parametrize("algo", ["market", "limit", "twap", "passive-twap"])
async def test_each_basic_algo_fills_the_parent_exactly_and_records_every_fill(
    make_engine, tmp_path, algo
):
    eng = await make_engine()
    pid = await eng.submit(ticket(algo=algo, venue="V0"))
    rep = await eng.wait(pid)
    assert rep.status is OrderStatus.FILLED
    assert rep.filled_qty == Decimal(300)
    await eng.store.flush()
    con = sqlite3.connect(tmp_path / "fills.db")
    (n, total) = con.execute("select count(*), sum(cast(quantity as real)) from fills").fetchone()
    assert n == rep.fills and total == 300.0


async def test_twap_spaces_children_one_interval_apart_in_engine_time(make_engine, settings):
    eng = await make_engine()
    pid = await eng.submit(ticket(algo="twap", venue="V1"))
    rep = await eng.wait(pid)
    kids = [
        eng.children[c] for c in eng.parents[pid].children if "twap_slice" in eng.children[c].meta
    ]
    times = [k.created_ts for k in kids]
    gaps = {round(b - a) for a, b in zip(times, times[1:], strict=False)}
    assert gaps == {int(settings.router.twap_interval_seconds)}
    assert [k.meta["twap_slice"] for k in kids] == [1, 2, 3, 4, 5]
    assert rep.elapsed_s >= 4 * settings.router.twap_interval_seconds


async def test_every_child_is_journaled_before_the_venue_sees_it(make_engine, clock, tmp_path):
    inner = paper_venues(clock, 1)["V0"]
    spy = FaultyBroker(inner, journal_db=tmp_path / "fills.db")
    eng = await make_engine({"V0": spy})
    rep = await eng.wait(await eng.submit(ticket(algo="twap")))
    assert spy.submits >= 5
    assert spy.unjournaled == []
    assert rep.status is OrderStatus.FILLED


async def test_kill_switch_cancels_200_open_orders_across_4_venues_and_halts(make_engine, clock):
    eng = await make_engine(
        settings=Settings.model_validate({"risk": {"max_orders_per_second_per_venue": 1000}})
    )
    events = eng.subscribe()
    pids = []
    for i in range(200):
        venue = f"V{i % 4}"
        q = await eng.brokers[venue].top_of_book("AAPL")
        pids.append(
            await eng.submit(
                ticket(qty="1", algo="limit", venue=venue, limit_price=q.bid - Decimal("1.00"))
            )
        )
    await clock.sleep(1)
    assert await open_count(eng) == 200
    report = await eng.kill()
    assert report.cancelled == 200 and report.failed == ()
    assert await open_count(eng) == 0
    assert all(c.status is OrderStatus.CANCELLED for c in eng.children.values())
    assert eng.trading_state is TradingState.HALTED
    again = await eng.kill()  # harmless the second time
    assert again.cancelled == 0 and eng.trading_state is TradingState.HALTED
    with pytest.raises(InputError, match="HALTED"):
        await eng.submit(ticket(qty="1", algo="market", venue="V0"))
    seen = [events.get_nowait() for _ in range(events.qsize())]
    assert any(isinstance(e, TradingStateChanged) and e.new is TradingState.HALTED for e in seen)
    assert any(isinstance(e, KillReport) and e.cancelled == 200 for e in seen)


async def test_only_an_explicit_reset_returns_to_active(make_engine):
    eng = await make_engine()
    await eng.kill()
    with pytest.raises(InputError):
        eng.reset(confirm=False)
    assert eng.trading_state is TradingState.HALTED
    eng.reset(confirm=True)
    assert eng.trading_state is TradingState.ACTIVE
    rep = await eng.wait(await eng.submit(ticket(qty="5", algo="market", venue="V0")))
    assert rep.status is OrderStatus.FILLED


async def test_a_leg_whose_venue_goes_down_is_rerouted_not_dropped(make_engine, clock):
    venues = paper_venues(clock, 2)
    flaky = FaultyBroker(venues["V0"], fail_after=2)
    eng = await make_engine({"V0": flaky, "V1": venues["V1"]})
    events = eng.subscribe()
    rep = await eng.wait(await eng.submit(ticket(qty="500", algo="twap", venue="V0")))
    assert rep.status is OrderStatus.FILLED and rep.filled_qty == Decimal(500)
    legs = {leg["venue"]: leg for leg in rep.legs}
    assert legs["V0"]["status"] == "re-routed to V1"
    assert Decimal(legs["V0"]["filled"]) + Decimal(legs["V1"]["filled"]) == Decimal(500)
    logs = [
        e.message
        for e in (events.get_nowait() for _ in range(events.qsize()))
        if hasattr(e, "message")
    ]
    assert any("re-routed" in m for m in logs)


async def test_bad_tickets_are_refused_with_the_field_named_and_nothing_sent(make_engine):
    eng = await make_engine()
    with pytest.raises(InputError) as e:
        await eng.submit(ticket(qty="0"))
    assert e.value.field == "quantity"
    with pytest.raises(InputError) as e:
        await eng.submit(Ticket(symbol="NOPE", side=Side.BUY, quantity=Decimal(1)))
    assert e.value.field == "symbol"
    with pytest.raises(InputError) as e:
        await eng.submit(ticket(algo="yolo"))
    assert e.value.field == "algo"
    assert eng.children == {}


async def test_risk_denials_are_rejected_children_with_the_reason_and_recorded(
    make_engine, tmp_path
):
    eng = await make_engine(settings=Settings.model_validate({"risk": {"max_child_quantity": 10}}))
    rep = await eng.wait(await eng.submit(ticket(qty="50", algo="market", venue="V0")))
    assert rep.filled_qty == 0
    kids = [eng.children[c] for c in eng.parents[rep.parent_id].children]
    assert kids and all(
        k.status is OrderStatus.REJECTED and k.refused is Refusal.RISK for k in kids
    )
    assert await open_count(eng) == 0
    await eng.store.flush()
    con = sqlite3.connect(tmp_path / "fills.db")
    tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
    denials = next(t for t in tables if "denial" in t)
    assert con.execute(f"select count(*) from {denials}").fetchone()[0] == len(kids)


async def test_an_orderly_stop_cancels_resting_orders_instead_of_abandoning_them(
    make_engine, clock
):
    eng = await make_engine()
    q = await eng.brokers["V0"].top_of_book("AAPL")
    pid = await eng.submit(ticket(qty="100", algo="limit", venue="V0", limit_price=q.bid - 1))
    events = eng.subscribe()
    for _ in range(50):
        if any(c.status.is_open for c in eng.children.values()):
            break
        await clock.sleep(0.01)
    resting = [c for c in eng.children.values() if c.status.is_open]
    assert resting and resting[0].parent_id == pid
    await eng.stop()
    assert all(c.status is OrderStatus.CANCELLED for c in resting)
    assert await eng.brokers["V0"].open_orders() == []
    msgs = [getattr(e, "message", "") for e in (events.get_nowait() for _ in range(events.qsize()))]
    assert any(m.startswith("stop: cancelled 1 open orders") for m in msgs)
