"""Multi-venue split: filter by effective cost, allocate by 1/spread, fold small legs into the best."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from engine.api import Leg
from engine.config import RouterConfig
from engine.models import Quote, Side, round_down
from engine.routing.cost_alloc import VenueCost, cost_split


@dataclass(frozen=True, slots=True)
class VenueScore:
    """Expected slippage of one venue and where the figure came from (own / global / static)."""

    venue: str
    expected_slippage_bps: float
    samples: int
    source: str


FINEST = Decimal("1e-12")  # without a known step, shares stay short of 28 digits so sums stay exact


def _round_up(qty: Decimal, step: Decimal) -> Decimal:
    """Up to the step (or to FINEST without one): never less than asked."""
    unit = step if step > 0 else FINEST
    return (qty / unit).to_integral_value(rounding=ROUND_CEILING) * unit


def _top_up_best(
    qty: dict[str, Decimal],
    best: str,
    price: dict[str, Decimal],
    steps: dict[str, Decimal],
    minimum: Decimal,
    dropped: list[tuple[str, str]],
) -> None:
    """A wide-spread best venue gets a small 1/spread share: lift it to the minimum from the
    largest other leg, or fold that leg into it, so no leg beside others is below the minimum."""
    while len(qty) > 1 and qty[best] * price[best] < minimum:
        donor = max((v for v in qty if v != best), key=lambda v: qty[v] * price[v])
        need = _round_up(
            _round_up(minimum / price[best], steps.get(best, Decimal(0))) - qty[best],
            steps.get(donor, Decimal(0)),
        )
        if (qty[donor] - need) * price[donor] >= minimum:
            qty[donor] -= need
            qty[best] += need
        else:
            dropped.append(
                (
                    donor,
                    f"leg notional {qty[donor] * price[donor]:.2f} would fall below minimum {minimum} to bring the best leg up to it",
                )
            )
            qty[best] += qty.pop(donor)


def venue_costs(
    kept: list[tuple[float, str, Quote, float, VenueScore]],
    side: Side,
    fees: dict[str, float],
    ticks: dict[str, Decimal],
    slices: int = 1,
) -> list[VenueCost]:
    """The cost allocator's view of each kept venue (ranked rows of `allocate`); a leg sent in
    `slices` children walks the book once per child, and the book refills in between."""
    out = []
    for cost, v, q, _worse, _sc in kept:
        far = q.far(side)
        gap = ticks.get(v) or (q.ask - q.bid)
        touch = q.ask_size if side is Side.BUY else q.bid_size
        out.append(
            VenueCost(
                v,
                cost + fees.get(v, 0.0),
                float(gap / far * 10_000),
                max(float(touch) * slices, 1e-9),
            )
        )
    return out


def _worse_bps(price: Decimal, best: Decimal, side: Side) -> float:
    return float((price - best) / best * 10000) * side.sign


def allocate(
    side: Side,
    quantity: Decimal,
    quotes: dict[str, Quote],
    scores: dict[str, VenueScore],
    cfg: RouterConfig,
    steps: dict[str, Decimal] | None = None,
    *,
    fees: dict[str, float] | None = None,
    ticks: dict[str, Decimal] | None = None,
    slices: int = 1,
) -> tuple[list[Leg], list[tuple[str, str]]]:
    """Split `quantity` into at most `sor_max_legs` venue legs that sum exactly to it: by
    1/spread (`router.allocator: spread`) or by expected cost (`cost`, with fees and ticks)."""
    dropped: list[tuple[str, str]] = []
    live = {v: q for v, q in quotes.items() if q.bid > 0 and q.ask > q.bid}
    for v, q in quotes.items():
        if v not in live:
            dropped.append((v, f"no usable quote (bid {q.bid}, ask {q.ask})"))
    if not live or quantity <= 0:
        return [], dropped
    best_far = min(q.far(side) * side.sign for q in live.values()) * side.sign
    rows = []
    for v, q in live.items():
        worse = _worse_bps(q.far(side), best_far, side)
        sc = scores.get(v) or VenueScore(v, cfg.static_slippage_bps, 0, "static")
        rows.append((worse + sc.expected_slippage_bps, v, q, worse, sc))
    rows.sort(key=lambda r: (r[0], r[1]))
    best_cost = rows[0][0]
    kept: list[tuple[float, str, Quote, float, VenueScore]] = []
    for r in rows:
        if r[0] - best_cost > cfg.sor_max_price_worse_bps:
            dropped.append(
                (
                    r[1],
                    f"effective cost {r[0]:.2f} bps is {r[0] - best_cost:.2f} bps worse than the best (limit {cfg.sor_max_price_worse_bps:g})",
                )
            )
        elif len(kept) >= cfg.sor_max_legs:
            dropped.append((r[1], f"at most {cfg.sor_max_legs} legs"))
        else:
            kept.append(r)
    price = {r[1]: r[2].far(side) for r in kept}
    steps = steps or {}
    qty: dict[str, Decimal] = {}
    if cfg.allocator == "cost":
        costs = venue_costs(kept, side, fees or {}, ticks or {}, slices)
        qty = cost_split(quantity, costs, steps, FINEST)
        for r in kept:
            if r[1] not in qty:
                dropped.append((r[1], "expected cost of any lot there above the venues chosen"))
        kept = [r for r in kept if r[1] in qty] or kept[:1]
        best = kept[0][1]
    else:
        weights = {r[1]: 1.0 / max(r[2].spread_bps, 1e-6) for r in kept}
        total_w = sum(weights.values())
        best = kept[0][1]
        for r in kept:
            v = r[1]
            # the best leg takes the remainder: other legs keep to its step too, so it stays whole
            unit = max(steps.get(v) or FINEST, steps.get(best) or FINEST)
            qty[v] = round_down(quantity * Decimal(weights[v] / total_w), unit)
    # legs below the minimum notional give their share to the best leg (unless only one is left)
    for r in kept[1:]:
        v = r[1]
        if qty[v] * price[v] < cfg.sor_min_leg_notional:
            dropped.append(
                (
                    v,
                    f"leg notional {qty[v] * price[v]:.2f} below minimum {cfg.sor_min_leg_notional}",
                )
            )
            del qty[v]
    qty[best] = quantity - sum((q for v, q in qty.items() if v != best), Decimal(0))
    _top_up_best(qty, best, price, steps, cfg.sor_min_leg_notional, dropped)
    legs = []
    for cost, v, q, worse, sc in kept:
        if v not in qty or qty[v] <= 0:
            continue
        legs.append(
            Leg(
                v,
                qty[v],
                qty[v] * price[v],
                float(qty[v] / quantity),
                q.spread_bps,
                worse,
                sc.expected_slippage_bps,
                cost,
                q.bid,
                q.ask,
                sc.source,
            )
        )
    return legs, dropped
