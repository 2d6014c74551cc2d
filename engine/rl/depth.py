"""The book beyond the touch, measured where a recording carries it (Binance depth streams).

The environment walks a crossing child through the far touch and then through deeper ticks. Without
a measured book it assumes every deeper tick holds the touch's size again; on one-tick crypto that
is an order of magnitude too deep (the queue sits at the touch, deeper ticks hold little), so one
parent swept beyond the touch cost 12-60x less than in the recorded book and a policy that crossed
the whole parent in one take looked cheap (issue 17). `DepthProfile` collects the recorded levels; `walk_ticks` integrates the
ticks a take walks over the median cumulative size beyond the touch.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Arr = NDArray[np.float64]

MAX_TICKS = 2000  # the profile's reach beyond the touch; further out its mean density continues
SAMPLE_EVERY_S = 1.0
UNSNAPPED_WARMUP_S = (
    60.0  # a capture without a snapshot: sample once diffs have rebuilt the near book
)


class DepthProfile:
    """Rebuilds a book from snapshot and diff events and samples, every SAMPLE_EVERY_S, the size
    resting within k ticks beyond each side's touch (k = 1..MAX_TICKS)."""

    def __init__(self, tick: float, every_s: float = SAMPLE_EVERY_S) -> None:
        self.tick = tick
        self.every_s = every_s
        self.bids: dict[float, float] = {}
        self.asks: dict[float, float] = {}
        self.snapped = False
        self.first_ts: float | None = None
        self.last_sample = float("-inf")
        self.samples: list[Arr] = []

    def snapshot(
        self, ts: float, bids: list[tuple[float, float]], asks: list[tuple[float, float]]
    ) -> None:
        self.bids = {p: q for p, q in bids if q > 0}
        self.asks = {p: q for p, q in asks if q > 0}
        self.snapped = True
        self._maybe_sample(ts)

    def diff(
        self, ts: float, bids: list[tuple[float, float]], asks: list[tuple[float, float]]
    ) -> None:
        for side, levels in ((self.bids, bids), (self.asks, asks)):
            for p, q in levels:
                if q > 0:
                    side[p] = q
                else:
                    side.pop(p, None)
        if self.first_ts is None:
            self.first_ts = ts
        self._maybe_sample(ts)

    def _maybe_sample(self, ts: float) -> None:
        ready = self.snapped or (
            self.first_ts is not None and ts - self.first_ts >= UNSNAPPED_WARMUP_S
        )
        if ready and ts - self.last_sample >= self.every_s:
            self.measure(ts, self.bids, self.asks)

    def measure(self, ts: float, bids: dict[float, float], asks: dict[float, float]) -> None:
        """One sample of a whole book (price -> size per side), taken by a loader that keeps its own."""
        if not bids or not asks:
            return
        best_bid, best_ask = max(bids), min(asks)
        if best_ask <= best_bid:  # crossed while diffs catch up: not a book to measure
            return
        self.last_sample = ts
        for touch, side, sign in ((best_ask, asks, 1.0), (best_bid, bids, -1.0)):
            px = np.fromiter(side.keys(), dtype=np.float64, count=len(side))
            qty = np.fromiter(side.values(), dtype=np.float64, count=len(side))
            k = np.rint(sign * (px - touch) / self.tick).astype(np.int64)
            keep = (k >= 1) & (k <= MAX_TICKS)
            per_tick = np.bincount(k[keep] - 1, weights=qty[keep], minlength=MAX_TICKS)
            self.samples.append(np.cumsum(per_tick))

    def cumulative(self) -> Arr | None:
        """Median cumulative size within k ticks beyond the touch, k = 1..MAX_TICKS (None: too few
        samples to say, or an empty book)."""
        if len(self.samples) < 20:
            return None
        med = np.median(np.stack(self.samples), axis=0)
        return med if med[-1] > 0 else None


def walk_ticks(units: Arr, touch: Arr, deep: Arr) -> Arr:
    """Ticks walked in total by the first `units` of a take: `touch` units at the far touch (0 ticks
    beyond it), then the cumulative profile `deep` (units within k ticks beyond, k = 1..K), then
    the profile's mean density per tick beyond K."""
    k = np.arange(len(deep) + 1, dtype=np.float64)
    d = np.r_[0.0, deep]
    g = np.r_[0.0, np.cumsum(k[1:] * np.diff(d))]  # ticks integrated up to each breakpoint
    u = np.maximum(units - touch, 0.0)
    inside = np.interp(np.minimum(u, d[-1]), d, g)
    rho = d[-1] / (len(d) - 1)
    extra = np.maximum(u - d[-1], 0.0)
    return inside + extra * (len(d) - 1) + extra * extra / (2 * rho)
