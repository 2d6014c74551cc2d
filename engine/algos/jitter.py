"""Randomised slices: each slice's size and start moved by a bounded random share, sums exact."""

from __future__ import annotations

import random
from decimal import Decimal

from engine.models import round_down


def jitter_sizes(
    sizes: list[Decimal], share: float, rng: random.Random, step: Decimal
) -> list[Decimal]:
    """Each slice but the last times (1 + u), |u| <= share, on the step; the last takes what is
    left, so the total never changes and no slice goes negative."""
    if share <= 0 or len(sizes) < 2:
        return list(sizes)
    total = sum(sizes, Decimal(0))
    out: list[Decimal] = []
    used = Decimal(0)
    for s in sizes[:-1]:
        u = Decimal(repr(rng.uniform(-share, share)))
        q = min(max(round_down(s * (1 + u), step), Decimal(0)), total - used)
        out.append(q)
        used += q
    out.append(total - used)
    return out


def jitter_starts(starts: list[float], share: float, rng: random.Random) -> list[float]:
    """Each start but the first moved by at most share/2 of the gap before it: the order of the
    slices and the horizon's end never change (share <= 0.5 keeps every gap >= half its size)."""
    if share <= 0 or len(starts) < 2:
        return list(starts)
    out = [starts[0]]
    for prev, cur in zip(starts, starts[1:], strict=False):
        gap = cur - prev
        out.append(cur + rng.uniform(-share / 2, share / 2) * gap)
    return out
