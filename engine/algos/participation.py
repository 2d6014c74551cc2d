"""The participation cap, exact: how much more may trade so our share of volume stays <= the cap."""

from __future__ import annotations

from decimal import Decimal

from engine.models import round_down


def allowance(
    cap: float,
    others: Decimal,
    ours: Decimal,
    *,
    remaining: Decimal,
    step: Decimal,
    min_child: Decimal = Decimal(0),
    max_child: Decimal = Decimal(0),
) -> Decimal:
    """The next child: the most that keeps (ours + q) / (ours + q + others) <= cap, on the step,
    at most `remaining` and `max_child` (0: none), and 0 while that is below `min_child`.

    `ours` counts what is filled plus what is still working (a working order may yet fill)."""
    if remaining <= 0:
        return Decimal(0)
    if cap >= 1:
        q = remaining
    else:
        c = Decimal(repr(cap))
        # q <= c/(1-c) * others - ours, rearranged from the share; Decimal keeps it exact
        q = min(remaining, round_down(c * others / (1 - c) - ours, step))
    if max_child > 0:
        q = min(q, round_down(max_child, step))
    floor = max(min_child, step)
    return q if q >= floor and q > 0 else Decimal(0)


def share(ours: Decimal, others: Decimal) -> float:
    """Our share of the volume traded while we were trading."""
    total = ours + others
    return float(ours / total) if total > 0 else 0.0
