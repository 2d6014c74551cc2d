"""Exact slice arithmetic: round down to the venue step, remainder to the last slice."""

from __future__ import annotations

from decimal import Decimal

from engine.models import round_down


def twap_slices(total: Decimal, n: int, step: Decimal) -> list[Decimal]:
    """N slices of `total` on `step` that sum exactly to `total` (the last takes the remainder)."""
    if n <= 0:
        raise ValueError(f"slices: must be > 0, got {n}")
    if total <= 0:
        return []
    base = round_down(total / n, step)
    if base <= 0:  # too small to split: one slice carries it all
        return [total]
    slices = [base] * (n - 1)
    slices.append(total - base * (n - 1))
    return slices


def weighted_slices(total: Decimal, weights: list[float], step: Decimal) -> list[Decimal]:
    """Slices of `total` in proportion to `weights`, each rounded down to `step`; the last takes
    the remainder, so they sum exactly to `total` (VWAP profiles, Almgren-Chriss trajectories)."""
    if not weights:
        raise ValueError("slices: must be > 0, got 0")
    if any(not w >= 0 for w in weights) or sum(weights) <= 0:
        raise ValueError("weights: must be >= 0 with a positive sum")
    if total <= 0:
        return []
    whole = sum(weights)
    out: list[Decimal] = []
    used = Decimal(0)
    for w in weights[:-1]:
        q = min(round_down(total * Decimal(repr(w / whole)), step), total - used)
        out.append(max(q, Decimal(0)))
        used += out[-1]
    out.append(total - used)
    return out
