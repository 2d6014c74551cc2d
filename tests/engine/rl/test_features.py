"""State features against values computed by hand on small excerpts."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.learned.features import FeatureTracker, imbalance, path_features, realised_vol_bps
from engine.learned.spaces import VOL_WINDOW_S
from engine.rl.paths import load_data

EXCERPT = Path(__file__).parents[2] / "data" / "binance" / "spot_btcusdt_excerpt.jsonl.gz"


def test_path_features_match_hand_computed_values():
    bid = np.array([99.0, 99.0, 99.5, 100.0])
    ask = np.array([101.0, 100.0, 100.5, 100.5])
    bsz = np.array([3.0, 1.0, 0.0, 2.0])
    asz = np.array([1.0, 1.0, 0.0, 6.0])
    buy = np.array([0.0, 2.0, 0.0, 1.0])
    sell = np.array([0.0, 0.0, 2.0, 3.0])
    f = path_features(bid, ask, bsz, asz, buy, sell, step_s=5.0)  # flow window 10 s = 2 points
    assert f["spread_bps"] == pytest.approx([200.0, 1e4 / 99.5, 1e4 / 100.0, 0.5 / 100.25 * 1e4])
    assert f["depth_imbalance"] == pytest.approx([0.5, 0.0, 0.0, -0.5])  # empty book -> 0
    assert f["flow_imbalance"] == pytest.approx(
        [0.0, 1.0, 0.0, -4 / 6]
    )  # (buy - sell) over the last 2 points
    r1, r2, r3 = math.log(99.5 / 100), math.log(100 / 99.5), math.log(100.25 / 100)
    wv = 60  # 300 s / 5 s
    assert f["vol_5m_bps"][0] == 0.0  # no past return yet: nothing from the future
    assert f["vol_5m_bps"][3] == pytest.approx(
        math.sqrt((r1 * r1 + r2 * r2 + r3 * r3) / 3 * wv) * 1e4
    )


def test_features_use_nothing_after_the_decision_time():
    rng = np.random.default_rng(1)
    n = 50
    cols = [
        100 + rng.normal(0, 0.1, n).cumsum(),
        None,
        rng.random(n),
        rng.random(n),
        rng.random(n),
        rng.random(n),
    ]
    cols[1] = cols[0] + 0.05
    full = path_features(*cols, step_s=0.5)  # type: ignore[arg-type]
    cut = path_features(*(c[:30] for c in cols), step_s=0.5)  # type: ignore[index]
    for name in full:
        assert full[name][:30] == pytest.approx(cut[name])


def test_tracker_infers_flow_from_the_touch_being_eaten_and_signs_to_the_side():
    t = FeatureTracker(step_s=0.5)
    t.on_quote(0.0, 100.0, 5.0, 100.1, 5.0)
    t.on_quote(0.5, 100.0, 5.0, 100.1, 2.0)  # 3 taken at the ask: buyers
    t.on_quote(1.0, 99.9, 4.0, 100.0, 1.0)  # the bid of 5 was taken: sellers
    spread, depth, flow, vol = t.market(+1)
    assert spread == pytest.approx(0.1 / 99.95 * 1e4)
    assert depth == pytest.approx((4 - 1) / 5)
    assert flow == pytest.approx((3 - 5) / 8)
    assert t.market(-1)[1:3] == pytest.approx((-depth, -flow))
    mids = [100.05, 100.05, 99.95]
    assert vol == pytest.approx(realised_vol_bps(mids, 300.0, 0.5))


def test_binance_excerpt_grid_takes_the_last_book_at_or_before_each_point():
    p = load_data(EXCERPT)
    assert p.name == "BTCUSDT" and p.tick == pytest.approx(0.01)
    assert len(p) > 10
    assert np.all(p.ask > p.bid)
    assert p.buy_vol.sum() > 0 and p.sell_vol.sum() > 0
    f = p.features()
    assert f["spread_bps"][0] == pytest.approx(
        (p.ask[0] - p.bid[0]) / ((p.ask[0] + p.bid[0]) / 2) * 1e4
    )
    assert np.all(np.abs(f["flow_imbalance"]) <= 1) and np.all(np.abs(f["depth_imbalance"]) <= 1)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0.05, 40.0),  # seconds to the next quote (some within half a step)
            st.floats(99.0, 101.0),
            st.floats(0.0, 50.0),
            st.floats(0.01, 0.2),
            st.floats(0.0, 50.0),
            st.one_of(st.none(), st.tuples(st.floats(0.0, 9.0), st.booleans())),
        ),
        min_size=1,
        max_size=120,
    )
)
def test_the_rolling_sums_equal_the_windows_summed_from_scratch(quotes) -> None:
    t = FeatureTracker(step_s=0.5)
    now = 1000.0
    for dt, bid, bsz, width, asz, trade in quotes:
        now += dt
        if trade is not None:
            t.on_trade(now, trade[0], trade[1])
        t.on_quote(now, bid, bsz, bid + width, asz)
        spread, depth, flow, vol = t.market(+1)
        want_vol = realised_vol_bps([m for _, m in t.mids], VOL_WINDOW_S, t.step_s)
        buy, sell = math.fsum(f[1] for f in t.flow), math.fsum(f[2] for f in t.flow)
        assert vol == pytest.approx(want_vol, rel=1e-9, abs=1e-6)  # bps
        assert flow == imbalance(buy, sell)
