"""Medians the learned figures use: plain per bucket, and notional-weighted per venue."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable

import numpy as np


def weighted_median(values: Iterable[float], weights: Iterable[float]) -> float:
    """The smallest value at which the cumulative weight reaches half the total.

    With equal weights and an even count this is the lower of the two middle values; with no
    positive weight at all it falls back to the plain median.
    """
    v = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float)
    w = np.asarray(list(weights) if not isinstance(weights, np.ndarray) else weights, dtype=float)
    if v.size == 0:
        raise ValueError("weighted_median of nothing")
    w = np.clip(w, 0.0, None)
    total = w.sum()
    if not total > 0:
        return float(np.median(v))
    order = np.argsort(v, kind="stable")
    cum = np.cumsum(w[order])
    idx = int(np.searchsorted(cum, total / 2.0, side="left"))
    return float(v[order][min(idx, v.size - 1)])


def grouped_weighted_medians(
    rows: Iterable[tuple[Hashable, float, float]],
) -> dict[Hashable, tuple[float, int]]:
    """(key, value, weight) rows -> key -> (weighted median, samples)."""
    values: dict[Hashable, list[float]] = defaultdict(list)
    weights: dict[Hashable, list[float]] = defaultdict(list)
    for key, value, weight in rows:
        values[key].append(value)
        weights[key].append(weight)
    return {k: (weighted_median(values[k], weights[k]), len(values[k])) for k in values}
