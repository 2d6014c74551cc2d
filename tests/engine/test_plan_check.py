"""Engine.submit(ticket, plan) sends the plan's legs or refuses with what changed; it never re-plans."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from engine.api import PlanChangeKind
from engine.models import InputError, Side, Ticket
from engine.routing.plan_check import PlanStale


async def test_the_engine_refuses_a_plan_with_denied_children(make_engine) -> None:
    eng = await make_engine()
    pv = await eng.preview(Ticket("AAPL", Side.BUY, Decimal(6632), algo="market", venue="V0"))
    assert pv.plan is not None and [c.denied_check for c in pv.denied] == ["notional"]
    with pytest.raises(PlanStale) as refused:
        await eng.submit(pv.plan.ticket, pv.plan)
    assert {c.kind for c in refused.value.changes} == {PlanChangeKind.RISK_DENIED}
    assert not eng.parents and eng.risk.checked == 0


async def test_a_plan_is_sent_only_with_its_own_ticket(make_engine) -> None:
    eng = await make_engine()
    pv = await eng.preview(Ticket("AAPL", Side.BUY, Decimal(100), algo="market"))
    assert pv.plan is not None
    other = dataclasses.replace(pv.plan.ticket, quantity=Decimal(200))
    with pytest.raises(InputError) as refused:
        await eng.submit(other, pv.plan)
    assert refused.value.field == "plan" and not eng.parents


async def test_a_frozen_plan_keeps_its_legs_when_the_spreads_change(make_engine) -> None:
    eng = await make_engine()
    pv = await eng.preview(Ticket("AAPL", Side.BUY, Decimal(12000), algo="sor"))
    assert pv.plan is not None and len(pv.plan.legs) > 1
    eng.brokers["V3"].set_spread_bps("0.2")  # the tightest venue now
    pid = await eng.submit(pv.plan.ticket, pv.plan)
    assert [(s.venue, s.quantity) for s in eng.legs[pid]] == [
        (leg.venue, leg.quantity) for leg in pv.plan.legs
    ]
    assert eng.parents[pid].arrival_mid == pv.plan.arrival_mid


async def test_tolerance_comes_from_config(make_engine, settings) -> None:
    loose = settings.model_copy(
        update={"router": settings.router.model_copy(update={"plan_max_move_bps": 500.0})}
    )
    eng = await make_engine(settings=loose)
    pv = await eng.preview(Ticket("AAPL", Side.BUY, Decimal(100), algo="market", venue="V0"))
    assert pv.plan is not None
    eng.brokers["V0"].move_mid("AAPL", "1.01")  # 100 bps: within 500
    pid = await eng.submit(pv.plan.ticket, pv.plan)
    assert [s.venue for s in eng.legs[pid]] == ["V0"]
