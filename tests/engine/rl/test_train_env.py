"""Environment accounting against the closed form, and training determinism under a seed."""

from __future__ import annotations

import numpy as np
import pytest

from engine.learned.ewma import ewma_step, ewma_steps
from engine.learned.spaces import ACTIONS, PASSIVE
from engine.learned.table import DEFER_TWAP, UNVISITED
from engine.rl import arms
from engine.rl.baselines import validate
from engine.rl.env import Choice, Decisions, EnvConfig, Transitions, run_episodes
from engine.rl.paths import MarketPaths, linear_paths
from engine.rl.train import TrainSpec, spread_edges, train


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
    spec = TrainSpec(episodes=600, rounds=2, seed=5, min_visits=2)
    a = train([p], [(0, 700)], cfg, spec, {})
    b = train([p], [(0, 700)], cfg, spec, {})
    c = train([p], [(0, 700)], cfg, TrainSpec(episodes=600, rounds=2, seed=6, min_visits=2), {})
    assert a.visits.sum() > 0
    assert np.array_equal(a.visits, b.visits) and np.array_equal(
        np.nan_to_num(a.q), np.nan_to_num(b.q)
    )
    assert np.array_equal(a.best, b.best)
    assert not np.array_equal(a.visits, c.visits)


def test_on_a_no_signal_linear_market_every_visited_cell_defers_and_costs_exactly_twap():
    train_paths = [linear_paths(900, seed=s) for s in (21, 22)]
    cfg = EnvConfig(horizon_s=60, qty=300)
    t = train(train_paths, [(0, 1500)] * 2, cfg, TrainSpec(episodes=40_000, seed=3), {})
    assert t.visits.sum() > 30_000 and set(np.unique(t.best)) == {UNVISITED, DEFER_TWAP}
    assert all(": twap (" in s for s in t.meta["baseline"]["start"].split("; "))
    held_out = linear_paths(900, seed=99)
    starts, sides = np.arange(0, 1500, 50), np.where(np.arange(30) % 2, 1, -1)
    ew = arms.EwmaArm(held_out, starts, 12, 1.5, 60.0)
    drl = arms.TableArm(t, ew, held_out.step_s)
    got = run_episodes(held_out, starts, sides, drl.decide, cfg).is_bps
    want = run_episodes(held_out, starts, sides, arms.twap(12), cfg).is_bps
    assert got == pytest.approx(want) and drl.deferred > 0 and drl.used == 0


def test_the_vectorised_ewma_step_is_the_engines_arithmetic():
    rng = np.random.default_rng(0)
    for _ in range(300):
        sp, ex = rng.uniform(0, 10, 6), rng.uniform(0, 10, 6)
        ff = rng.choice([0.0, 1 / 12, 0.1, 0.5, 1.0], 6)
        ps = rng.random(6) < 0.5
        el = float(rng.choice([0.0, 3.2, 10.0, 119.0, 119.6]))
        kw = dict(wide_factor=1.5, elapsed=el, horizon=120.0, slices=12, retry_s=1.0)
        share, aggr, wait = ewma_steps(spread=sp, expected=ex, filled_frac=ff, passive=ps, **kw)
        for m in range(6):
            e = ewma_step(
                spread=sp[m], expected=ex[m], filled_frac=ff[m], passive=bool(ps[m]), **kw
            )
            assert (e.share, e.aggression, e.wait_s) == pytest.approx((share[m], aggr[m], wait[m]))


def still_book(n: int) -> MarketPaths:
    """A constant book, 50 on the bid, 10 sold into it every step: only queue position matters."""
    one = np.ones(n)
    return MarketPaths(
        "Q", np.arange(n) * 0.5, 100 * one, 100.1 * one, 50 * one, 50 * one,
        0 * one, 10 * one, 0.1, 0.5, 1e9, 0.01,
    )  # fmt: skip


def rest_everything(d: Decisions) -> Choice:
    n = len(d.idx)
    one = np.ones(n, dtype=np.int64)
    return Choice(np.ones(n), PASSIVE * one, one, -one)


def test_re_deciding_the_same_passive_order_keeps_its_place_in_the_queue():
    p = still_book(100)
    cfg = EnvConfig(horizon_s=10, qty=30, refill_s=5.0)
    out = run_episodes(p, np.array([0]), np.array([1]), rest_everything, cfg)
    # 50 ahead, 10 sold per step: our 30 fill from the 6th step on, all before the horizon
    assert out.own_fill[0] == pytest.approx(1.0) and out.decisions[0] >= 8


def test_spread_edges_split_instruments_and_the_narrowest_bin_reaches_zero():
    one_tick = np.full(500, 0.0162)  # a one-tick market: no quartile edges of its own
    varying = np.linspace(2.0, 10.0, 500)
    e = spread_edges([one_tick, varying])
    assert e[0] == pytest.approx(np.sqrt(0.0162 * 6.0), abs=1e-6)  # between the two medians
    assert list(e[1:]) == pytest.approx(np.quantile(varying, [0.25, 0.5, 0.75]), abs=1e-6)
    assert np.searchsorted(e, 0.0016, side="right") == np.searchsorted(e, 0.0162, side="right") == 0
    assert len(spread_edges([one_tick])) == 0


def test_training_takes_one_parent_size_per_path_and_an_equal_share_of_samples_each():
    short, long = linear_paths(300, seed=31), linear_paths(1200, seed=32)
    cfgs = [EnvConfig(horizon_s=30, qty=50), EnvConfig(horizon_s=30, qty=400)]
    spec = TrainSpec(episodes=4000, rounds=2, seed=1, validate=0.0)
    t = train([short, long], [(0, 500), (0, 2300)], cfgs, spec, {})
    assert t.meta["qty_per_path"] == [50, 400]
    # 1000 paired samples per path per round (not 18% / 82% by range length)
    assert t.visits.sum() == pytest.approx(4000, rel=0.05)


def test_validation_reverts_learned_cells_that_do_not_pay_later_in_time():
    p = linear_paths(600, seed=41)  # no signal: TWAP is optimal, crossing all at once is not
    cfg = EnvConfig(horizon_s=30, qty=100)
    t = train([p], [(0, 1100)], cfg, TrainSpec(episodes=600, rounds=1, seed=2), {})
    visited = t.best != UNVISITED
    everything_now = ACTIONS.index(next(a for a in ACTIONS if a.share == 1.0 and a.aggression == 2))
    learned = np.where(visited, everything_now, t.reference)
    spec = TrainSpec(validate=0.25)
    codes, said = validate([p], [(800, 1100)], [cfg], t, spec, learned, t.reference, visited)
    assert np.array_equal(codes, t.reference) and "reverted" in said[0]
    kept, said = validate([p], [(800, 1100)], [cfg], t, spec, t.reference, learned, visited)
    assert np.array_equal(kept, t.reference)  # the other way round it pays: nothing learned to drop
