"""VWAP, POV, arrival and iceberg end to end in simulated time, through the risk gate."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.algos.params import check_params
from engine.clock import SimClock
from engine.events import LogMessage
from engine.models import AlgoParams, InputError, OrderStatus
from tests.engine.algos.conftest import kids, ticket, with_algos
from tests.fakes.flow_venue import FlowVenue
from tests.fakes.static_venue import StaticVenue


async def test_pov_never_trades_above_its_share_of_the_venue_volume(run_engine, clock):
    venue = FlowVenue("X", clock, rate="10")  # others trade 10 a second
    eng = await run_engine({"X": venue})
    t = ticket("1000", "pov", params=AlgoParams(participation_pct=20))
    pid = await eng.submit(t)
    rep = await eng.wait(pid)
    children = kids(eng, pid)
    assert children, "pov sent nothing"
    for c in children:  # at every send: ours so far / (ours + others) within the cap
        others = venue.rate * Decimal(repr(c.created_ts - venue.t0))
        before = sum((k.filled_qty for k in children if k.created_ts < c.created_ts), Decimal(0))
        assert (before + c.quantity) / (before + c.quantity + others) <= Decimal("0.2")
    # 300 s of 10/s is 3000 traded by others: 20% of the total is 750 at most
    assert rep.filled_qty <= 750 and rep.filled_qty >= 700
    assert rep.status is OrderStatus.PARTIALLY_FILLED
    assert "pov deadline" in str(rep.legs[0]["reason"])


async def test_pov_on_a_venue_without_a_trade_feed_sends_nothing_and_says_why(run_engine, clock):
    eng = await run_engine({"X": StaticVenue("X", clock)})
    pid = await eng.submit(ticket("100", "pov"))
    rep = await eng.wait(pid)
    assert rep.filled_qty == 0 and not kids(eng, pid)
    assert "no trade feed" in str(rep.legs[0]["reason"])


async def test_vwap_without_a_profile_is_flat_and_warns(run_engine, clock):
    eng = await run_engine({"X": StaticVenue("X", clock)})
    pid = await eng.submit(ticket("301", "vwap"))
    rep = await eng.wait(pid)
    assert rep.status is OrderStatus.FILLED
    assert [c.quantity for c in kids(eng, pid)] == [Decimal(60)] * 4 + [Decimal(61)]
    assert all(s.decided_by == "flat" for s in rep.slices)


def drain(q):
    out = []
    while not q.empty():
        out.append(q.get_nowait())
    return out


START = 1_700_000_040.0  # 22:14:00 UTC: slices of a minute fall on 1-minute profile buckets


@pytest.fixture
def clock() -> SimClock:
    return SimClock(start=START)


async def test_vwap_follows_a_profile_learned_from_a_trades_file(run_engine, clock, tmp_path):
    # yesterday, in the five minutes from 22:14, 25 trades a minute of 1, 2, 3, 4 and 5 units
    lines = ["timestamp,price,quantity,side,tradeId"]
    for k in range(5):
        for j in range(25):
            ts = int(START - 86_400 + 60 * k + j) * 1000
            lines.append(f"{ts},100,{k + 1},buy,{k * 100 + j}")
    f = tmp_path / "trades.csv"
    f.write_text("\n".join(lines))
    s = with_algos(algos__vwap_profile_path=str(f), algos__vwap_bucket_minutes=1)
    eng = await run_engine({"X": StaticVenue("X", clock)}, s)
    pid = await eng.submit(ticket("1501", "vwap"))
    rep = await eng.wait(pid)
    assert [c.quantity for c in kids(eng, pid)] == [Decimal(q) for q in (100, 200, 300, 400, 501)]
    assert rep.status is OrderStatus.FILLED and rep.slices[0].decided_by == "profile"


async def test_vwap_on_a_sparse_profile_falls_back_to_flat(run_engine, clock, tmp_path):
    f = tmp_path / "trades.csv"
    f.write_text(f"{int(START) * 1000},100,5,buy,1\n")  # one trade: far below 20 a bucket
    s = with_algos(algos__vwap_profile_path=str(f), algos__vwap_bucket_minutes=1)
    eng = await run_engine({"X": StaticVenue("X", clock)}, s)
    q = eng.subscribe()
    pid = await eng.submit(ticket("500", "vwap"))
    rep = await eng.wait(pid)
    assert [c.quantity for c in kids(eng, pid)] == [Decimal(100)] * 5
    assert rep.slices[0].decided_by == "flat"
    logs = [e.message for e in drain(q) if isinstance(e, LogMessage)]
    assert any("vwap on X: volume profile too sparse" in m for m in logs)


async def test_arrival_front_loads_with_urgency_and_respects_its_cap(run_engine, clock):
    venue = FlowVenue("X", clock, rate="100", adv="8640000")  # ADV spread over 24 h: 100/s
    eng = await run_engine({"X": venue})
    pid = await eng.submit(
        ticket("1000", "arrival", params=AlgoParams(urgency=0, participation_pct=100))
    )
    flat = [c.quantity for c in kids(eng, pid)] if (await eng.wait(pid)) else []
    assert flat == [Decimal(200)] * 5
    pid = await eng.submit(
        ticket("1000", "arrival", params=AlgoParams(urgency=6, participation_pct=100))
    )
    await eng.wait(pid)
    steep = [c.quantity for c in kids(eng, pid)]
    assert sum(steep) == 1000 and steep[0] >= 690
    # capped at 50%: the first slice may take one interval's volume (6000) ... the order is small,
    # so cap the venue: 1 a second, 60 an interval -> at most 60 + what others traded since
    slow = FlowVenue("Y", clock, rate="1", adv="86400")
    eng2 = await run_engine({"Y": slow})
    t = ticket("1000", "arrival", venue="Y", params=AlgoParams(urgency=6, participation_pct=50))
    pid = await eng2.submit(t)
    rep = await eng2.wait(pid)
    for c in kids(eng2, pid):
        others = slow.rate * Decimal(repr(c.created_ts - slow.t0)) + 60
        before = sum(
            (k.filled_qty for k in kids(eng2, pid) if k.created_ts < c.created_ts), Decimal(0)
        )
        assert before + c.quantity <= others  # 50%: ours <= others
    assert rep.filled_qty < 1000 and "participation cap" in str(rep.legs[0]["reason"])


async def test_iceberg_shows_only_the_display_and_refreshes_on_fill(run_engine, clock):
    venue = StaticVenue("X", clock, passive_fill_after_s=5.0)  # each resting order fills in 5 s
    eng = await run_engine({"X": venue})
    pid = await eng.submit(ticket("1000", "iceberg", params=AlgoParams(display_qty=Decimal(150))))
    rep = await eng.wait(pid)
    children = kids(eng, pid)
    assert rep.status is OrderStatus.FILLED
    assert [c.quantity for c in children] == [Decimal(150)] * 6 + [Decimal(100)]
    assert all(c.limit_price == Decimal("99.99") for c in children)  # resting at the bid
    for a, b in zip(children, children[1:], strict=False):  # never two showing at once
        assert b.created_ts >= a.created_ts + 5.0


@pytest.mark.parametrize(
    ("params", "qty", "field"),
    [
        (AlgoParams(participation_pct=150), None, "participation"),
        (AlgoParams(participation_pct=0), None, "participation"),
        (AlgoParams(urgency=-0.5), None, "urgency"),
        (AlgoParams(display_qty=Decimal(2000)), Decimal(1000), "display"),
        (AlgoParams(display_qty=Decimal(0)), None, "display"),
        (AlgoParams(jitter_pct=80), None, "jitter"),
        (AlgoParams(urgency=float("nan")), None, "urgency"),
    ],
)
def test_bad_parameters_are_refused_naming_the_field(params, qty, field):
    with pytest.raises(InputError) as e:
        check_params(params, qty)
    assert e.value.field == field


async def test_the_engine_refuses_a_display_above_the_order(run_engine, clock):
    eng = await run_engine({"X": StaticVenue("X", clock)})
    with pytest.raises(InputError, match="display"):
        await eng.submit(ticket("100", "iceberg", params=AlgoParams(display_qty=Decimal(500))))


async def test_the_large_order_rule_runs_the_configured_algorithm(run_engine, clock):
    from engine.routing.order_type import describe_rule

    s = with_algos(router__large_order_algo="arrival")
    eng = await run_engine({"X": StaticVenue("X", clock)}, s)
    plan = await eng.plan(ticket("20000", "auto"))  # 2% of the default ADV: large_vs_adv
    assert plan.decision.rule == "large_vs_adv" and plan.algo == plan.leg_algo == "arrival"
    assert "arrival over 300 s" in describe_rule("large_vs_adv", s.router, s.execution)
