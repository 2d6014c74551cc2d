"""The book beyond the touch: the profile a Binance recording gives, the ticks a take walks over it,
and the environment charging a crossing child that walk (issue 17: the flat book priced one large
take on one-tick crypto at a tenth of the recorded book's cost)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from engine.learned.spaces import AGGRESSIVE
from engine.rl.bitstamp import read_bitstamp
from engine.rl.depth import MAX_TICKS, DepthProfile, walk_ticks
from engine.rl.env import Choice, Decisions, EnvConfig, _g, run_episodes
from engine.rl.paths import MarketPaths, load_data

EXCERPT = Path(__file__).parents[2] / "data" / "binance" / "usdm_btcusdt_excerpt.jsonl.gz"


def brute_walk(units: float, touch: float, per_tick: list[float]) -> float:
    """Ticks walked by `units`, one small lot at a time through explicit levels."""
    levels = [touch, *per_tick]
    lot, total, k, left = 1e-3, 0.0, 0, levels[0]
    for _ in range(int(round(units / lot))):
        while left < lot / 2:
            k += 1
            left = levels[k]
        total += k * lot
        left -= lot
    return total


def test_walk_ticks_equals_walking_the_levels_one_lot_at_a_time():
    per_tick = [0.0, 0.5, 0.0, 2.0, 1.0, 3.0]
    deep = np.cumsum(per_tick)
    for units in (0.4, 1.0, 1.7, 3.2, 6.5):
        got = walk_ticks(np.array([units]), np.array([1.0]), deep)[0]
        assert got == pytest.approx(brute_walk(units, 1.0, per_tick), abs=2e-3)
    # beyond the profile its mean density (6.5 units over 6 ticks) continues
    far = walk_ticks(np.array([1.0 + 6.5 + 13 / 12]), np.array([1.0]), deep)[0]
    inside = walk_ticks(np.array([7.5]), np.array([1.0]), deep)[0]
    assert far - inside == pytest.approx(6 * 13 / 12 + (13 / 12) ** 2 / (2 * 6.5 / 6))


def test_the_profile_is_the_median_book_beyond_each_touch():
    prof = DepthProfile(tick=0.5)
    for i in range(30):
        ts = float(i)
        bids = [(100.0, 9.0), (99.5, 1.0), (98.0, 2.0 + i % 2)]
        asks = [(100.5, 7.0), (101.0, 1.0), (101.5, 0.0), (102.0, 4.0)]
        prof.snapshot(ts, bids, asks)
    d = prof.cumulative()
    assert d is not None and len(d) == MAX_TICKS
    # 60 profiles (30 ask sides: 1 at +1 tick, 4 more at +3; 30 bid sides: 1 at +1, 2 or 3 at +4),
    # median per tick: within 3 ticks half say 5, half 1; within 4, 30 x 5, 15 x 4, 15 x 3
    assert d[0] == 1.0 and d[1] == 1.0 and d[2] == 3.0 and d[3] == 4.5 and d[-1] == 4.5


def test_a_binance_recording_carries_its_depth_and_the_env_charges_it():
    paths = load_data(EXCERPT, 0.5)
    assert paths.deep_cum is not None and paths.deep_cum[-1] > paths.deep_cum[0] >= 0
    flat = replace(paths, deep_cum=None)
    cfg = EnvConfig(horizon_s=10.0, qty=40.0, time_bonus_bps=0.0)
    start = len(paths) // 2

    def cross_all(d: Decisions) -> Choice:
        n = len(d.idx)
        return Choice(np.ones(n), np.full(n, AGGRESSIVE), np.full(n, 100), np.full(n, -1))

    deep_is = run_episodes(paths, np.array([start]), np.array([1]), cross_all, cfg).is_bps[0]
    flat_is = run_episodes(flat, np.array([start]), np.array([1]), cross_all, cfg).is_bps[0]
    a0 = paths.mid[start]
    far = (paths.ask[start] - a0) / a0 * 1e4 + cfg.taker_fee_bps
    tick_bps = paths.tick / a0 * 1e4
    size = np.array([paths.ask_size[start]])
    want = tick_bps * walk_ticks(np.array([40.0]), size, paths.deep_cum)[0] / 40
    assert deep_is == pytest.approx(far + want)
    assert flat_is == pytest.approx(far + tick_bps * _g(np.array([40.0]), size)[0] / 40)
    assert deep_is > flat_is  # the recorded book beyond a BTC touch is thinner than the touch


def test_paths_without_a_recorded_book_keep_the_flat_walk():
    p = MarketPaths("X", np.arange(4.0), *(np.ones(4),) * 6, 0.01, 0.5, 1e6, 0.01)
    assert p.deep_cum is None


def test_a_bitstamp_log_samples_its_rebuilt_l3_book(tmp_path):
    """Once a minute the whole rebuilt book: an ask 2 cents beyond the touch and a bid 3 below it
    show in the profile at 2 and 3 ticks, levels the top-20 snapshot never listed included."""
    from tests.engine.rl.test_training_loaders import order, snapshot, write

    lines = [snapshot(0, [("100.00", "1")], [("100.01", "1")])]
    lines += [order(500, "order_created", 1, 1, "100.03", "2")]  # 2 ticks beyond the ask
    lines += [order(600, "order_created", 2, 0, "99.97", "4")]  # 3 ticks below the bid
    lines += [order(ms, "order_created", 10 + ms, 1, "100.01", "0.1") for ms in range(1000, 1_500_000, 20_000)]  # fmt: skip
    depth = DepthProfile(0.01, every_s=60.0)
    read_bitstamp(write(tmp_path, lines), depth)
    assert len(depth.samples) == 50  # two sides, every 60 s of 25 minutes
    ask, bid = depth.samples[-2], depth.samples[-1]
    assert list(ask[:4]) == [0.0, 2.0, 2.0, 2.0] and list(bid[:4]) == [0.0, 0.0, 4.0, 4.0]
    p = load_data(write(tmp_path, lines))
    assert p.deep_cum is not None and np.array_equal(p.deep_cum, depth.cumulative())
