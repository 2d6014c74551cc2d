"""Environment accounting against the closed form, and training determinism under a seed."""

from __future__ import annotations

import numpy as np
import pytest

from engine.rl import arms
from engine.rl.env import EnvConfig, Transitions, run_episodes
from engine.rl.paths import linear_paths
from engine.rl.train import TrainSpec, train


def test_twap_on_a_still_linear_market_costs_the_almgren_chriss_closed_form():
    p = linear_paths(300, seed=1, vol_daily=0.0, half_spread_bps=1.0, eta_bps=20.0, gamma_bps=10.0)
    starts = np.array([0, 50, 100])
    out = run_episodes(
        p,
        starts,
        np.array([1, -1, 1]),
        arms.twap(12),
        EnvConfig(horizon_s=60, qty=300, taker_fee_bps=0.3),
    )
    n = 12  # half-spread + fee + permanent gamma (1 - 1/N) / 2 + temporary eta / N
    assert out.is_bps == pytest.approx([1 + 0.3 + 10 * (1 - 1 / n) / 2 + 20 / n] * 3)


def test_rewards_sum_to_minus_shortfall_plus_time_bonus():
    p = linear_paths(300, seed=2)
    rec = Transitions()
    cfg = EnvConfig(horizon_s=60, qty=300, time_bonus_bps=0.0)
    out = run_episodes(p, np.array([10]), np.array([1]), arms.twap(12), cfg, rec)
    assert sum(float(r.sum()) for r in rec.r) == pytest.approx(-out.is_bps[0])


def test_training_is_deterministic_under_a_seed():
    p = linear_paths(400, seed=3)
    cfg = EnvConfig(horizon_s=30, qty=100)
    spec = TrainSpec(episodes=60, rounds=2, seed=5)
    a = train([p], [(0, 700)], cfg, spec, {})
    b = train([p], [(0, 700)], cfg, spec, {})
    c = train([p], [(0, 700)], cfg, TrainSpec(episodes=60, rounds=2, seed=6), {})
    assert np.array_equal(a.visits, b.visits) and np.array_equal(
        np.nan_to_num(a.q), np.nan_to_num(b.q)
    )
    assert np.array_equal(a.best, b.best)
    assert not np.array_equal(a.visits, c.visits)
