"""What a replay venue tells the pre-trade estimate: its own fees, and the recording's volatility
measured on the past only (never ahead of the clock), else the configured default."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import numpy as np

from engine.config import load_settings
from engine.factory import build_engine
from engine.models import Side, Ticket
from engine.sim.data.columns import ASK, BID, LEVEL, TRADE
from engine.sim.replay.facts import DAY_S, MIN_RETURNS, WINDOW_S, recorded_vol_daily
from engine.sim.replay.session import with_replay
from tests.engine.sim.replay.conftest import SPOT, T0, recording

UP, DOWN = 1001, 1000  # ticks: alternating prints are log-returns of +-ln(1001/1000)


def _alternating(seconds: int) -> list[tuple[float, int, int, int, int]]:
    rows = [(T0, LEVEL, BID, 999, 5), (T0, LEVEL, ASK, 1002, 5)]
    for i in range(seconds):
        rows.append((T0 + i + 0.5, TRADE, BID, UP if i % 2 else DOWN, 1))
    return rows


def test_volatility_is_the_one_second_returns_of_the_recent_prints_scaled_to_a_day():
    rec = recording(_alternating(200))
    r = math.log(UP / DOWN)
    vol = recorded_vol_daily(rec, T0 + 200)
    assert vol is not None and math.isclose(vol, math.sqrt(r * r * DAY_S), rel_tol=1e-9)


def test_volatility_never_reads_ahead_of_the_clock_and_needs_enough_seconds():
    rows = _alternating(MIN_RETURNS + 10)
    quiet = recording(rows)
    assert recorded_vol_daily(quiet, T0 + MIN_RETURNS - 5) is None  # too few seconds yet
    # a crash after `now` must not change what is known at `now`
    crash = recording(rows + [(T0 + MIN_RETURNS + 10.5, TRADE, BID, 500, 1)])
    now = T0 + MIN_RETURNS + 10
    assert recorded_vol_daily(crash, now) == recorded_vol_daily(quiet, now)
    assert recorded_vol_daily(crash, now + 1) > 10 * recorded_vol_daily(quiet, now)
    assert WINDOW_S >= 60


async def test_the_estimate_on_a_replay_venue_uses_its_fees_and_the_recordings_volatility(
    tmp_path: Path,
):
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"replay:\n  cache_dir: {tmp_path / 'cache'}\n  taker_fee_bps: 7.5\n")
    eng = build_engine(
        with_replay(load_settings(str(cfg)), str(SPOT), "+45"), db_path=tmp_path / "h.db"
    )
    await eng.start()
    try:
        venue = next(iter(eng.brokers.values()))
        facts = await venue.cost_facts("BTCUSDT")
        assert facts.taker_fee_bps == 7.5 and "recording" in facts.source
        assert 0.001 < facts.vol_daily < 0.2  # BTC on a quiet night: a few % a day
        plan = await eng.plan(
            Ticket("BTCUSDT", Side.BUY, Decimal("0.01"), algo="market", venue=venue.name)
        )
        assert plan.estimate is not None and plan.estimate.inputs == facts.source
        assert 7.5 <= plan.estimate.chosen.mean_bps < 8.0  # the venue's fee, not router's 1 bps
    finally:
        await eng.stop()


def test_the_print_grid_takes_the_last_print_of_each_second():
    rows = [(T0, LEVEL, BID, 999, 5), (T0, LEVEL, ASK, 1002, 5)]
    for i in range(MIN_RETURNS + 5):
        rows += [(T0 + i + 0.1, TRADE, BID, 1000, 1), (T0 + i + 0.9, TRADE, BID, 1000, 1)]
    assert recorded_vol_daily(recording(rows), T0 + MIN_RETURNS + 5) == 0.0
    assert np.isfinite(recorded_vol_daily(recording(_alternating(100)), T0 + 100))
