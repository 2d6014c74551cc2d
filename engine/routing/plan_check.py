"""A confirmed plan before it is sent: its children through the risk gate, and what moved since."""

from __future__ import annotations

from decimal import Decimal

from engine.algos.pricing import crossing_price, offset_price
from engine.algos.slicing import twap_slices
from engine.api import Leg, Plan, PlanChange, PlanChangeKind, PlannedChild
from engine.models import ChildOrder, InputError, OrderType, Quote, Side
from engine.routing.planning import PlanInputs

ONE_SHOT = ("market", "limit")  # algorithms that send the whole leg as one order
_BPS = Decimal(10_000)


class PlanStale(InputError):
    """The market the trader confirmed on is gone: the plan is not sent; the trader is asked again."""

    def __init__(self, changes: tuple[PlanChange, ...]) -> None:
        super().__init__("plan", "; ".join(str(c) for c in changes))
        self.changes = changes


def _leg_quote(plan: Plan, leg: Leg, quotes: dict[str, Quote]) -> Quote | None:
    if leg.venue in quotes:
        return quotes[leg.venue]
    if leg.bid is None or leg.ask is None:
        return None
    z = Decimal(0)
    return Quote(leg.venue, plan.ticket.symbol, leg.bid, leg.ask, z, z, plan.made_ts)


async def _leg_orders(
    engine: PlanInputs, plan: Plan, leg: Leg, q: Quote | None
) -> list[tuple[Decimal, OrderType, Decimal | None, Decimal | None]]:
    """(quantity, type, limit, far touch) of each order the leg's algorithm would send.

    Slicing algorithms (TWAP and those built on its schedule) are judged slice by slice at the
    ticket's limit, else at the far touch: the most a slice can cost.
    """
    t, s = plan.ticket, engine.settings
    inst = await engine.instrument(leg.venue, t.symbol)
    far = q.far(t.side) if q is not None else None
    if plan.leg_algo == "market":
        px = crossing_price(q, t.side, s.execution.max_slippage_pct, inst) if q else None
        return [(leg.quantity, OrderType.LIMIT, px, far)]
    if plan.leg_algo == "limit":
        px = t.limit_price
        if px is None and q is not None:
            px = offset_price(q, t.side, s.execution.limit_offset_pct, inst)
        return [(leg.quantity, OrderType.LIMIT, px, far)]
    slices = twap_slices(leg.quantity, s.router.twap_num_slices, inst.step)
    return [(qty, OrderType.LIMIT, t.limit_price, far) for qty in slices]


async def planned_children(
    engine: PlanInputs, plan: Plan, quotes: dict[str, Quote]
) -> tuple[PlannedChild, ...]:
    """Every child the plan would send, judged by the engine's own risk gate without counting it."""
    t = plan.ticket
    position = engine.exposure(t.symbol)
    out: list[PlannedChild] = []
    for leg in plan.legs:
        for i, (qty, otype, px, far) in enumerate(
            await _leg_orders(engine, plan, leg, _leg_quote(plan, leg, quotes)), 1
        ):
            child = ChildOrder(
                f"plan-{leg.venue}-{i}", "plan", leg.venue, t.symbol, t.side, qty, otype, px
            )
            denial = engine.risk.judge(
                child, parent_quantity=t.quantity, best_opposite=far, position=position
            )
            position += qty if t.side is Side.BUY else -qty  # worst case: every earlier child fills
            out.append(
                PlannedChild(
                    leg.venue,
                    i,
                    qty,
                    otype,
                    px if px is not None else far,
                    denial.check if denial else "",
                    denial.reason if denial else "",
                )
            )
    return tuple(out)


async def plan_changes(engine: PlanInputs, plan: Plan) -> tuple[PlanChange, ...]:
    """What makes the confirmed plan unsendable now: a venue down, a price moved past tolerance, a denial."""
    t = plan.ticket
    changes: list[PlanChange] = []
    up = [leg.venue for leg in plan.legs if engine.venue_connected.get(leg.venue)]
    for leg in plan.legs:
        if leg.venue not in up:
            changes.append(PlanChange(PlanChangeKind.VENUE_DOWN, leg.venue, "not connected"))
    quotes, failed = await engine.market.probe(t.symbol, up) if up else ({}, [])
    changes += [PlanChange(PlanChangeKind.NO_QUOTE, v, why) for v, why in failed]
    tolerance = Decimal(str(engine.settings.router.plan_max_move_bps))
    for leg in plan.legs:
        q = quotes.get(leg.venue)
        if q is None or leg.bid is None or leg.ask is None:
            continue
        was = (leg.bid + leg.ask) / 2
        moved = (q.mid - was) / was * _BPS if was > 0 else Decimal(0)
        if abs(moved) > tolerance:
            changes.append(
                PlanChange(
                    PlanChangeKind.PRICE_MOVED,
                    leg.venue,
                    f"mid {was:f} -> {q.mid:f} ({moved:+.1f} bps; tolerance {tolerance:f} bps)",
                )
            )
    if not changes:
        for c in await planned_children(engine, plan, quotes):
            if c.denied:
                changes.append(PlanChange(PlanChangeKind.RISK_DENIED, c.venue, c.denied_reason))
    return tuple(changes)
