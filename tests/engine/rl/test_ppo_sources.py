"""The PPO environment's episode mix: sources drawn in proportion to their weights (the benchmark
gives six short Binance captures two sources' worth between them), equal chance without weights."""

from __future__ import annotations

from collections import Counter

import pytest

pytest.importorskip("gymnasium")

from engine.rl.ppo.env import PpoEnv, source  # noqa: E402


def picks(weights: list[float] | None, n: int = 1200) -> Counter[int]:
    kw = [{} if weights is None else {"weight": w} for w in weights or [1.0, 1.0, 1.0]]
    cfg = {
        "sources": [
            source("linear", "LINEAR", 20, 300, 1.0, seed=3 + i, seconds=300, **k)
            for i, k in enumerate(kw)
        ],
        "env": {"horizon_s": 20.0},
    }
    env = PpoEnv(cfg)
    env.reset(seed=11)
    return Counter(env.reset()[1]["source"] for _ in range(n))


def test_sources_are_drawn_in_proportion_to_their_weights():
    c = picks([1.0, 1.0, 4.0])
    assert c[2] / 1200 == pytest.approx(4 / 6, abs=0.05)
    assert c[0] / 1200 == pytest.approx(1 / 6, abs=0.04) and c[1] > 0


def test_without_weights_every_source_has_the_same_chance():
    c = picks(None)
    assert all(abs(c[i] / 1200 - 1 / 3) < 0.05 for i in range(3))


def test_a_source_without_a_positive_weight_is_refused():
    with pytest.raises(ValueError, match="positive weight"):
        picks([1.0, 0.0, 1.0], n=1)
