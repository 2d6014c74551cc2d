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
