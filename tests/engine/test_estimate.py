"""The pre-trade estimate: what it is made of, what it says, and that it travels with the parent."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal

import pytest

from engine.clock import SimClock
from engine.config import Settings
from engine.factory import build_engine
from engine.models import AlgoParams, Side, Ticket
from engine.recovery.load import parent_from_row
from engine.routing import cost_model as cm
from engine.routing.estimate import capped


def _market(**kw) -> cm.Market:
    base = dict(
        quantity=1000.0, adv=1_000_000.0, vol_daily=0.02, day_s=23_400.0, impact_y=0.8,
        half_spread_bps=2.5, taker_fee_bps=1.0, maker_fee_bps=0.0,
        asks=((100.0, 400.0), (100.01, 400.0), (100.02, 400.0)), mid=99.995,
    )  # fmt: skip
    return cm.Market(**{**base, **kw})


def test_the_book_walk_is_the_average_distance_past_the_far_touch():
    # 400 at the touch, 400 one cent worse, 200 two cents worse: 0.8 cents on average
    assert cm.walk_bps(((100.0, 400.0), (100.01, 400.0), (100.02, 400.0)), 1000, 100.0) == (
        pytest.approx((400 * 0.01 + 200 * 0.02) / 1000 / 100 * 10_000)
    )


def test_a_market_order_costs_half_the_spread_fees_and_the_walk_with_no_timing_risk():
    m = _market()
    o = cm.crossing(m, [1.0], 0.0)
    assert o.mean_bps == pytest.approx(2.5 + 1.0 + cm.walk_bps(m.asks, 1000, m.mid))
    assert o.sd_bps < 1.0  # only the model-error floor and the spread's share


def test_timing_risk_is_the_almgren_chriss_holdings_term():
    m = _market(half_spread_bps=0.0, taker_fee_bps=0.0, impact_y=0.0)
    o = cm.crossing(m, [1.0] * 5, 60.0)
    risk = m.sigma_bps_per_sqrt_s * (60 * (0.8**2 + 0.6**2 + 0.4**2 + 0.2**2)) ** 0.5
    assert o.sd_bps == pytest.approx((risk**2 + cm.FLOOR_BPS**2) ** 0.5)


def test_a_participation_cap_holds_back_what_the_volume_does_not_allow():
    w = capped([0.5, 0.3, 0.2], qty=1000, cap=0.5, rate=1.0, seed=100, tau=100)
    # 50%: ours <= others; others by slice j: 100 + 100 j units -> at most 0.1, 0.2, 0.3 done
    assert w == pytest.approx([0.1, 0.1, 0.1])
    assert capped([0.5, 0.5], 10, 1.0, 0.0, 0.0, 1.0) == [0.5, 0.5]


def _settings() -> Settings:
    s = Settings()
    return s.model_copy(update={"sim": s.sim.model_copy(update={"starting_cash": Decimal(10**9)})})


async def test_the_plan_carries_an_estimate_for_the_chosen_algorithm_and_the_alternatives(tmp_path):
    eng = build_engine(
        _settings(), clock=SimClock(start=1_700_000_000.0), db_path=tmp_path / "f.db"
    )
    await eng.start()
    try:
        calm = await eng.plan(
            Ticket(
                "AAPL",
                Side.BUY,
                Decimal(3000),
                algo="arrival",
                params=AlgoParams(urgency=0.0, participation_pct=100),
            )
        )
        urgent = await eng.plan(
            Ticket(
                "AAPL",
                Side.BUY,
                Decimal(3000),
                algo="arrival",
                params=AlgoParams(urgency=6.0, participation_pct=100),
            )
        )
        pid = await eng.submit(urgent.ticket, urgent)
        await eng.wait(pid)
    finally:
        await eng.stop()
    e = calm.estimate
    assert e is not None and e.chosen.algo == "arrival"
    assert {a.algo for a in e.alternatives} == {"market", "twap", "vwap", "pov", "limit"}
    assert e.inputs.startswith("simulated market parameters")
    for a in (e.chosen, *e.alternatives):
        assert a.low_bps <= a.mean_bps <= a.high_bps
        notional = calm.quantity * calm.arrival_mid
        assert a.mean_money == (notional * Decimal(repr(a.mean_bps)) / 10_000).quantize(
            Decimal("0.01")
        )
    # trading sooner costs more impact and carries less risk: a narrower interval
    u = urgent.estimate.chosen
    assert u.high_bps - u.low_bps < e.chosen.high_bps - e.chosen.low_bps
    # the estimate the parent was sent with is journalled, and a restart reads it back
    row = sqlite3.connect(tmp_path / "f.db").execute(
        "SELECT parent_id, symbol, side, quantity, algo, arrival_mid, created_ts, reason, ticket"
        " FROM parents WHERE parent_id = ?", (pid,)
    ).fetchone()  # fmt: skip
    keys = (
        "parent_id",
        "symbol",
        "side",
        "quantity",
        "algo",
        "arrival_mid",
        "created_ts",
        "reason",
        "ticket",
    )
    d = dict(zip(keys, row, strict=True))
    d["ticket"] = json.loads(d["ticket"])
    assert d["ticket"]["estimate_bps"] == [u.mean_bps, u.low_bps, u.high_bps]
    back = parent_from_row(d)
    assert back.estimate_bps == (u.mean_bps, u.low_bps, u.high_bps)
    assert back.ticket.params == AlgoParams(urgency=6.0, participation_pct=100)
