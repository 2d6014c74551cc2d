"""POV's pre-trade estimate follows how POV trades: only at its checks, nothing at the start."""

from __future__ import annotations

from decimal import Decimal

from engine.clock import SimClock
from engine.config import Settings
from engine.factory import build_engine
from engine.models import AlgoParams, Side, Ticket
from engine.routing import cost_model as cm


async def test_pov_estimate_lasts_whole_checks_and_carries_the_first_checks_risk(tmp_path):
    s = Settings()
    eng = build_engine(s, clock=SimClock(start=1_700_000_000.0), db_path=tmp_path / "f.db")
    await eng.start()
    try:
        small = await eng.plan(Ticket("AAPL", Side.BUY, Decimal(50), algo="pov",
                                      params=AlgoParams(participation_pct=20)))  # fmt: skip
    finally:
        await eng.stop()
    assert small.estimate is not None
    e = small.estimate.chosen
    check = s.algos.pov_check_s
    steps = e.duration_s / check  # it trades at checks: a whole number of them, at least one
    assert e.algo == "pov" and steps >= 1 and steps == int(steps)
    # a schedule that waits one check before trading carries that check's holding risk
    m = cm.Market(50, 1e6, 0.02, 23_400, 0.8, 2.5, 1.0, 0.0, ((100.0, 1e6),), 100.0)
    waits, at_once = cm.crossing(m, [0.0, 1.0], check), cm.crossing(m, [1.0], check)
    assert waits.sd_bps > at_once.sd_bps and waits.mean_bps == at_once.mean_bps
