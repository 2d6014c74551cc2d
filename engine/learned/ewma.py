"""EWMA spread model: defer a slice while the spread is wider than expected, else follow TWAP.

Shared by the runtime (the learned policy's fallback and the "ewma" algorithm) and training
(the baseline arm), so both decide with the same arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from engine.learned.spaces import AGGRESSIVE, PASSIVE


class SpreadEwma:
    """Time-weighted EWMA of the quoted spread (bps): what the spread is expected to be."""

    def __init__(self, half_life_s: float) -> None:
        self.half_life_s = half_life_s
        self.value: float | None = None
        self.ts = 0.0

    def update(self, spread_bps: float, ts: float) -> float:
        if self.value is None:
            self.value = spread_bps
        else:
            a = 1 - math.exp(-max(0.0, ts - self.ts) * math.log(2) / self.half_life_s)
            self.value += a * (spread_bps - self.value)
        self.ts = ts
        return self.value


@dataclass(frozen=True, slots=True)
class EwmaStep:
    """One decision of the spread model: share of remaining, aggression, seconds until the next."""

    share: float
    aggression: int
    wait_s: float
    reason: str


def ewma_step(
    *,
    spread: float,
    expected: float,
    wide_factor: float,
    elapsed: float,
    horizon: float,
    slices: int,
    filled_frac: float,
    retry_s: float,
    passive: bool = False,
) -> EwmaStep:
    """Cross what the TWAP schedule says is due, unless the spread is wide and there is time to wait."""
    aggr = PASSIVE if passive else AGGRESSIVE
    interval = horizon / slices
    i = min(slices - 1, int(elapsed // interval))
    due = max(0.0, (i + 1) / slices - filled_frac)
    left = max(1e-12, 1 - filled_frac)
    boundary = (i + 1) * interval - elapsed if i < slices - 1 else horizon - elapsed
    if due <= 1e-12:
        return EwmaStep(0.0, aggr, max(retry_s, boundary), "on schedule")
    if not passive and spread > wide_factor * expected and elapsed + retry_s < horizon:
        return EwmaStep(
            0.0,
            AGGRESSIVE,
            retry_s,
            f"spread {spread:.2f} bps > {wide_factor:g} x expected {expected:.2f}: wait",
        )
    how = " at the touch" if passive else ""
    return EwmaStep(
        min(1.0, due / left), aggr, max(retry_s, boundary), f"slice {i + 1}/{slices}{how}"
    )


Arr = NDArray[np.float64]


def ewma_steps(
    *,
    spread: Arr,
    expected: Arr,
    wide_factor: float,
    elapsed: float,
    horizon: float,
    slices: int,
    filled_frac: Arr,
    retry_s: float,
    passive: NDArray[np.bool_],
) -> tuple[Arr, NDArray[np.int64], Arr]:
    """`ewma_step` over arrays (share, aggression, wait_s), for training; the same arithmetic."""
    interval = horizon / slices
    i = min(slices - 1, int(elapsed // interval))
    due = np.maximum(0.0, (i + 1) / slices - filled_frac)
    left = np.maximum(1e-12, 1 - filled_frac)
    boundary = (i + 1) * interval - elapsed if i < slices - 1 else horizon - elapsed
    wide = ~passive & (spread > wide_factor * expected) & (elapsed + retry_s < horizon)
    hold = (due <= 1e-12) | wide
    share = np.where(hold, 0.0, np.minimum(1.0, due / left))
    wait = np.where(wide & (due > 1e-12), retry_s, max(retry_s, boundary))
    aggr = np.where(passive, PASSIVE, AGGRESSIVE).astype(np.int64)
    return share, aggr, wait
