"""Significance over parents that overlap in time: parents starting within one horizon of each other
share the market's moves, so the evidence is the number of such windows, not of parents."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

MIN_WINDOWS = 8
"""Fewer independent windows than this cannot establish anything: the test says no."""


def window_blocks(
    starts: NDArray[np.int64], lo: int, horizon_steps: int, path_index: int, n_paths: int
) -> NDArray[np.int64]:
    """Block id per parent: its path and the horizon-long window of that path its start falls in."""
    return ((starts - lo) // max(1, horizon_steps)) * n_paths + path_index


def clustered_mean_se(
    x: NDArray[np.float64], blocks: NDArray[np.int64]
) -> tuple[float, float, int]:
    """Mean, its cluster-robust standard error (blocks as clusters) and the number of blocks."""
    ids, inv = np.unique(blocks, return_inverse=True)
    n_blocks = len(ids)
    mean = float(x.mean()) if len(x) else float("nan")
    if n_blocks < 2:
        return mean, float("inf"), n_blocks
    resid = np.bincount(inv, weights=x - mean, minlength=n_blocks)
    var = n_blocks / (n_blocks - 1) * float((resid**2).sum()) / len(x) ** 2
    return mean, float(np.sqrt(var)), n_blocks


def significantly_negative(x: NDArray[np.float64], blocks: NDArray[np.int64], z: float) -> bool:
    """mean + z x clustered SE < 0, over at least MIN_WINDOWS windows."""
    mean, se, n_blocks = clustered_mean_se(x, blocks)
    return n_blocks >= MIN_WINDOWS and mean + z * se < 0


__all__ = ["MIN_WINDOWS", "clustered_mean_se", "significantly_negative", "window_blocks"]
