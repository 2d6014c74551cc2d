"""The paired-difference interval resamples overlapping parents together, not one by one."""

from __future__ import annotations

import numpy as np

from engine.rl.evaluate import paired


def width(r: dict) -> float:
    lo, hi = r["ci95"]
    return hi - lo


def test_parents_sharing_a_window_do_not_count_as_independent_evidence() -> None:
    rng = np.random.default_rng(3)
    per_window = rng.normal(0.0, 1.0, 10)  # ten windows, one market move each
    diff = np.repeat(per_window, 20)  # twenty overlapping parents see the same move
    windows = np.repeat(np.arange(10), 20)
    as_blocks = paired(diff, windows, seed=1)
    one_by_one = paired(diff, np.arange(len(diff)), seed=1)
    assert as_blocks["mean_diff_bps"] == one_by_one["mean_diff_bps"] == round(diff.mean(), 4)
    # 10 windows carry the evidence of 10 draws, not 200: the interval is about sqrt(20) wider
    assert width(as_blocks) > 3.0 * width(one_by_one)
    assert as_blocks["blocks"] == 10 and one_by_one["blocks"] == 200


def test_interval_covers_the_mean_and_is_reproducible_under_a_seed() -> None:
    rng = np.random.default_rng(5)
    diff = rng.normal(-0.5, 2.0, 400)
    blocks = np.arange(400) // 8
    a, b = paired(diff, blocks, seed=9), paired(diff, blocks, seed=9)
    assert a == b
    lo, hi = a["ci95"]
    assert lo < diff.mean() < hi
    # unequal block sizes weigh each parent once: the resampled mean is a ratio of sums
    uneven = np.concatenate([np.zeros(5, dtype=np.int64), np.arange(1, 396)])
    c = paired(diff, uneven, seed=9)
    assert c["blocks"] == 396 and c["ci95"][0] < diff.mean() < c["ci95"][1]
