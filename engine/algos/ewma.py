"""EWMA spread model: defer a slice while the spread is wider than expected, else follow TWAP.

Also the learned policy's fallback for cells it never learned and for an unusable table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.algos.base import LegContext
from engine.rl.spaces import AGGRESSIVE


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
) -> EwmaStep:
    """Cross what the TWAP schedule says is due, unless the spread is wide and there is time to wait."""
    interval = horizon / slices
    i = min(slices - 1, int(elapsed // interval))
    due = max(0.0, (i + 1) / slices - filled_frac)
    left = max(1e-12, 1 - filled_frac)
    boundary = (i + 1) * interval - elapsed if i < slices - 1 else horizon - elapsed
    if due <= 1e-12:
        return EwmaStep(0.0, AGGRESSIVE, max(retry_s, boundary), "on schedule")
    if spread > wide_factor * expected and elapsed + retry_s < horizon:
        return EwmaStep(
            0.0,
            AGGRESSIVE,
            retry_s,
            f"spread {spread:.2f} bps > {wide_factor:g} x expected {expected:.2f}: wait",
        )
    return EwmaStep(
        min(1.0, due / left), AGGRESSIVE, max(retry_s, boundary), f"slice {i + 1}/{slices}"
    )


async def run_ewma(ctx: LegContext) -> None:
    """The spread model on its own (the "ewma" arm): the policy runtime with no table."""
    from engine.algos.policy import run_policy_with

    await run_policy_with(ctx, None, "")
