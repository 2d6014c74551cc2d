"""Training's significance tests count horizon-long windows of parents, not overlapping parents."""

from __future__ import annotations

import numpy as np
import pytest

from engine.learned.spaces import ACTIONS, AGGRESSIVE
from engine.learned.table import UNVISITED
from engine.rl.baselines import validate
from engine.rl.clustered import MIN_WINDOWS, clustered_mean_se, significantly_negative
from engine.rl.env import EnvConfig
from engine.rl.paths import linear_paths
from engine.rl.train import TrainSpec, train


def test_one_parent_per_window_gives_the_plain_standard_error() -> None:
    x = np.random.default_rng(1).normal(0.0, 2.0, 500)
    mean, se, n = clustered_mean_se(x, np.arange(500))
    assert n == 500 and mean == pytest.approx(x.mean())
    assert se == pytest.approx(x.std(ddof=1) / np.sqrt(500))


def test_copies_inside_a_window_add_no_evidence() -> None:
    per_window = np.random.default_rng(2).normal(0.0, 1.0, 40)
    _, se_once, _ = clustered_mean_se(per_window, np.arange(40))
    _, se_copied, n = clustered_mean_se(np.repeat(per_window, 25), np.repeat(np.arange(40), 25))
    assert n == 40 and se_copied == pytest.approx(se_once)


def test_too_few_windows_establish_nothing_however_large_the_effect() -> None:
    x = np.full(700, -5.0) + np.random.default_rng(3).normal(0, 0.01, 700)
    few = np.arange(700) % (MIN_WINDOWS - 1)
    assert not significantly_negative(x, few, z=2.0)
    assert significantly_negative(x, np.arange(700) % MIN_WINDOWS, z=2.0)


def test_validation_keeps_a_real_gain_only_over_enough_windows() -> None:
    """Slicing beats crossing everything at once on a linear market; over 5 windows that is not shown."""
    p = linear_paths(1800, seed=43)
    cfg = EnvConfig(horizon_s=30, qty=100)
    t = train([p], [(0, 3400)], cfg, TrainSpec(episodes=600, rounds=1, seed=2), {})
    visited = t.best != UNVISITED
    act = {(a.share, a.aggression, a.wait_ms): i for i, a in enumerate(ACTIONS)}
    all_now, a_fifth = act[(1.0, AGGRESSIVE, 0)], act[(0.2, AGGRESSIVE, 0)]
    base = np.where(visited, all_now, t.reference)
    sliced = np.where(visited, a_fifth, t.reference)
    spec = TrainSpec(validate=0.25)
    five = (3400 - 5 * 60, 3400)  # 60 grid steps per 30 s horizon
    codes, said = validate([p], [five], [cfg], t, spec, sliced, base, visited)
    assert np.array_equal(codes, base) and "in 5 windows" in said[0] and "reverted" in said[0]
    many = (400, 3400)
    codes, said = validate([p], [many], [cfg], t, spec, sliced, base, visited)
    assert np.array_equal(codes, sliced) and "kept" in said[0]
