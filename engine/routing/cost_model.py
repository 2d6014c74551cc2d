"""The pre-trade cost model, pure arithmetic: spread, fees, book walk, square-root impact and
timing risk for one trajectory (the share of the order traded in each slice).

All figures are bps of the arrival mid, positive = a cost. For a trajectory w_1..w_n over slices
tau seconds apart, with c_j the share done after slice j:
- impact: slice j pays the permanent square-root impact of what went before,
  Y * sigma * sqrt(c_(j-1) * X / V) (the simulator's law; the temporary part decays over
  half an hour, so over a TWAP horizon nearly all of it is still there), plus its own book walk;
- timing risk: the sd of the shortfall is sigma_s * sqrt(tau * sum_j (1 - c_j)^2), the
  Almgren-Chriss risk term of the holdings still to trade (unfilled quantity at the end is
  charged at the end mid, so it carries the rest of the horizon);
- model error: a share of the impact and of the spread, plus a floor, for what the model leaves
  out (spread and depth change while the order works).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

Z90 = 1.6449  # the two-sided 90% normal quantile
IMPACT_ERROR = 0.2  # share of the impact figure the model may be off by (1 sd)
SPREAD_ERROR = 0.15
FLOOR_BPS = 0.3


@dataclass(frozen=True, slots=True)
class Market:
    """What the model reads of the market for one order."""

    quantity: float  # units
    adv: float
    vol_daily: float
    day_s: float
    impact_y: float
    half_spread_bps: float  # share-weighted over the legs
    taker_fee_bps: float
    maker_fee_bps: float
    asks: tuple[tuple[float, float], ...]  # the far side (price, size), best first, legs pooled
    mid: float

    @property
    def sigma_bps_per_sqrt_s(self) -> float:
        return self.vol_daily / math.sqrt(self.day_s) * 10_000

    def impact_bps(self, done: float) -> float:
        """Permanent square-root impact after `done` units traded."""
        if done <= 0 or self.adv <= 0:
            return 0.0
        return self.impact_y * self.vol_daily * math.sqrt(done / self.adv) * 10_000


def walk_bps(levels: tuple[tuple[float, float], ...], qty: float, mid: float) -> float:
    """Average distance past the far touch of taking `qty` through the displayed levels, bps."""
    if qty <= 0 or not levels or mid <= 0:
        return 0.0
    best = levels[0][0]
    left, cost = qty, 0.0
    for price, size in levels:
        take = min(left, size)
        cost += take * abs(price - best)
        left -= take
        if left <= 0:
            break
    if left > 0:  # beyond the shown book: the last level's distance again, and as far once more
        cost += left * 2 * abs(levels[-1][0] - best) if len(levels) > 1 else 0.0
    return cost / qty / mid * 10_000


@dataclass(frozen=True, slots=True)
class Outcome:
    mean_bps: float
    sd_bps: float


def crossing(
    m: Market,
    weights: list[float],
    tau_s: float,
    filled: float = 1.0,
    *,
    learned_walk_bps: float | None = None,
    tail_s: float = 0.0,
) -> Outcome:
    """A schedule of protected marketable slices; `filled` < 1: the rest is left, held `tail_s`
    more to the end; `learned_walk_bps` (own fills against the far touch) replaces the book walk."""
    total = sum(weights) or 1.0
    w = [x / total * filled for x in weights]
    done, mean, risk2 = 0.0, 0.0, 0.0
    impact_paid = 0.0
    for share in w:
        qty = share * m.quantity
        impact_paid += share * m.impact_bps(done * m.quantity)
        walk = walk_bps(m.asks, qty, m.mid) if learned_walk_bps is None else learned_walk_bps
        mean += share * walk
        done += share
        risk2 += tau_s * (1 - done) ** 2
    risk2 += tail_s * (1 - done) ** 2
    mean += filled * (m.half_spread_bps + m.taker_fee_bps) + impact_paid
    mean += (1 - filled) * m.impact_bps(done * m.quantity)  # the rest is marked at the moved mid
    sd = math.sqrt(
        m.sigma_bps_per_sqrt_s**2 * risk2
        + (IMPACT_ERROR * impact_paid) ** 2
        + (SPREAD_ERROR * m.half_spread_bps) ** 2
        + FLOOR_BPS**2
    )
    return Outcome(mean, sd)


def resting(m: Market, horizon_s: float, fill_chance: float) -> Outcome:
    """Rest at the near touch for the horizon, cross what did not fill at its end."""
    p = min(1.0, max(0.0, fill_chance))
    passive = m.maker_fee_bps - m.half_spread_bps
    cross = m.half_spread_bps + m.taker_fee_bps + walk_bps(m.asks, (1 - p) * m.quantity, m.mid)
    mean = p * passive + (1 - p) * cross
    sd = math.sqrt(
        (1 - p) * m.sigma_bps_per_sqrt_s**2 * horizon_s
        + p * (1 - p) * (cross - passive) ** 2
        + FLOOR_BPS**2
    )
    return Outcome(mean, sd)


def interval(o: Outcome) -> tuple[float, float]:
    return o.mean_bps - Z90 * o.sd_bps, o.mean_bps + Z90 * o.sd_bps


def money(bps: float, notional: Decimal) -> Decimal:
    """A bps figure as money on the order's notional, to the cent."""
    return (notional * Decimal(repr(bps)) / 10_000).quantize(Decimal("0.01"))
