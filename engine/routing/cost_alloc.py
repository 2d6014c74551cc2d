"""Cost-aware split (`router.allocator: cost`): each lot goes where its expected cost is lowest.

Per venue, taking q units costs (bps of the best far touch) the price it is worse by, its learned
slippage, its taker fee, and a book walk that grows with q: past the displayed touch size every
further touch size costs one more level (a tick, else the venue's own spread). Lots are handed out
one chunk at a time to the venue with the lowest marginal cost, so a venue best on spread, depth
and fees at once takes the whole order, and a thin venue takes only what it holds cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from engine.models import round_down

CHUNKS = 200


@dataclass(frozen=True, slots=True)
class VenueCost:
    """What one venue charges: fixed bps per unit, and the walk per touch size taken."""

    venue: str
    fixed_bps: float  # price worse than the best far touch + learned slippage + taker fee
    level_bps: float  # one book level, bps
    touch: float  # units shown at the touch (at least one lot)

    def marginal(self, taken: float) -> float:
        """Cost of the next unit after `taken` units: levels walked so far, in bps."""
        return self.fixed_bps + self.level_bps * int(taken // self.touch)


def cost_split(
    quantity: Decimal, venues: list[VenueCost], steps: dict[str, Decimal], finest: Decimal
) -> dict[str, Decimal]:
    """Quantities per venue, on each venue's step, summing exactly to `quantity`."""
    chunk = quantity / CHUNKS
    taken = {v.venue: 0.0 for v in venues}
    for _ in range(CHUNKS):
        best = min(venues, key=lambda v: (v.marginal(taken[v.venue]), v.venue))
        taken[best.venue] += float(chunk)
    out = {
        v: round_down(Decimal(repr(q)), steps.get(v) or finest) for v, q in taken.items() if q > 0
    }
    first = min(venues, key=lambda v: (v.marginal(0.0), v.venue)).venue
    out[first] = out.get(first, Decimal(0)) + quantity - sum(out.values(), Decimal(0))
    return {v: q for v, q in out.items() if q > 0}
