"""From ticket to plan: quotes, order-type decision, venue legs; shared by preview, submit, resume and `tranche route`."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal

from engine.algos.params import check_params
from engine.algos.registry import TICKET_ALGOS as ALGOS
from engine.api import Leg, Plan, Preview, SizingResult
from engine.brokers.base import BrokerError
from engine.config import RouterConfig
from engine.models import InputError, Quote, Side, Ticket, round_down, to_decimal
from engine.routing.estimate import estimate_plan
from engine.routing.funding import funding_shortfalls
from engine.routing.order_type import decide_order_type, decision_algo
from engine.routing.plan_check import planned_children
from engine.routing.planning import PlanInputs
from engine.routing.scores import venue_scores
from engine.routing.sor import VenueScore, allocate
from engine.sizing import size_ticket

__all__ = [
    "ALGOS",
    "market_view",
    "decision_quote",
    "plan_ticket",
    "preview_ticket",
    "validate_ticket",
]


SINGLE_SHOT = ("market", "limit")  # one child per leg: its whole quantity walks the book at once


def arrival_mid(quotes: Mapping[str, Quote]) -> Decimal:
    """The mid of the best bid and best ask across venues; crossed across venues (normal between
    crypto exchanges) it is still the midpoint of the two, the price either side can trade at."""
    best_bid = max(q.bid for q in quotes.values())
    best_ask = min(q.ask for q in quotes.values())
    return (best_bid + best_ask) / 2


def decision_quote(quotes: Mapping[str, Quote], side: Side) -> Quote:
    """The venue quote the order-type rules read: the venue the SOR ranks first on price (the
    cheapest ask for a buy, the highest bid for a sell), ties to the tighter spread. Always one
    venue's own quote: the best bid and best ask of two venues may be crossed (normal between
    crypto exchanges) and have no spread at all."""
    return min(quotes.values(), key=lambda q: (q.far(side) * side.sign, q.spread_bps, q.venue))


def split_legs(
    t: Ticket,
    qty: Decimal,
    arrival: Decimal,
    quotes: Mapping[str, Quote],
    scores: Mapping[str, VenueScore],
    router: RouterConfig,
    steps: Mapping[str, Decimal],
    *,
    fees: Mapping[str, float] | None = None,
    ticks: Mapping[str, Decimal] | None = None,
    slices: int = 1,
) -> tuple[list[Leg], list[tuple[str, str]], bool]:
    """(legs, dropped venues, split?): several venues for "sor", or for "auto" above the split
    notional; otherwise the one venue with the best effective cost. `tranche route` uses it too."""
    split = (
        t.venue is None
        and len(quotes) > 1
        and (t.algo == "sor" or (t.algo == "auto" and qty * arrival > router.sor_min_notional))
    )
    one = {"sor_max_legs": 1, "sor_max_price_worse_bps": 1e9}
    legs, dropped = allocate(
        t.side,
        qty,
        dict(quotes),
        dict(scores),
        router if split else router.model_copy(update=one),
        dict(steps),
        fees=dict(fees or {}),
        ticks=dict(ticks or {}),
        slices=slices,
    )
    return legs, dropped, split


def validate_ticket(engine: PlanInputs, t: Ticket, quantity: Decimal | None = None) -> None:
    """Refuse a ticket that cannot trade, naming the field."""
    if not t.symbol or not t.symbol.strip():
        raise InputError("symbol", "is empty")
    qty = to_decimal(t.quantity if quantity is None else quantity, "quantity")
    validate_fields(engine, t)
    check_params(t.params, qty)


def validate_fields(engine: PlanInputs, t: Ticket) -> None:
    """Everything but the quantity, which Kelly may still have to size."""
    if not t.symbol or not t.symbol.strip():
        raise InputError("symbol", "is empty")
    if t.limit_price is not None:
        to_decimal(t.limit_price, "limit_price")
    if t.algo not in ALGOS:
        raise InputError(
            "algo", f"unknown algorithm {t.algo!r}; expected one of {', '.join(ALGOS)}"
        )
    if t.venue is not None and t.venue not in engine.brokers:
        raise InputError(
            "venue", f"unknown venue {t.venue!r}; configured: {', '.join(engine.brokers)}"
        )
    if not 0 <= t.signal.strength <= 1:
        raise InputError("strength", f"must be within [0, 1], got {t.signal.strength}")
    check_params(t.params, None)


async def market_view(
    engine: PlanInputs, t: Ticket
) -> tuple[dict[str, Quote], list[tuple[str, str]]]:
    venues = [t.venue] if t.venue else [v for v, ok in engine.venue_connected.items() if ok]
    if not venues:
        raise InputError("venue", "no venue is connected")
    quotes, failed = await engine.market.probe(t.symbol, venues)
    if not quotes:
        by_reason: dict[str, list[str]] = {}
        for v, r in failed:  # four venues with one reason say it once
            by_reason.setdefault(r, []).append(v)
        why = "; ".join(f"{', '.join(vs)}: {r}" for r, vs in by_reason.items()) or "no quotes"
        raise InputError("symbol", f"no venue quotes {t.symbol!r} ({why})")
    return quotes, failed


async def plan_ticket(engine: PlanInputs, t: Ticket, quantity: Decimal | None = None) -> Plan:
    validate_ticket(engine, t, quantity)
    qty = quantity if quantity is not None else t.quantity
    quotes, failed = await market_view(engine, t)
    s = engine.settings
    arrival = arrival_mid(quotes)
    tight = decision_quote(quotes, t.side)
    adv = await engine.brokers[tight.venue].adv(t.symbol) or s.router.default_adv
    decision = decide_order_type(
        side=t.side,
        quantity=qty,
        strength=t.signal.strength,
        bid=tight.bid,
        ask=tight.ask,
        adv=adv,
        router=s.router,
        execution=s.execution,
    )
    algo = decision_algo(decision, s.router) if t.algo == "auto" else t.algo
    instruments = {v: await engine.instrument(v, t.symbol) for v in quotes}
    steps = {v: i.step for v, i in instruments.items()}
    scores = await venue_scores(engine.store, list(quotes), t.symbol, engine.clock.now(), s.router)
    fees: dict[str, float] = {}
    if s.router.allocator == "cost":  # fees where the venue states them
        for v in quotes:
            facts = await engine.brokers[v].cost_facts(t.symbol)
            fees[v] = facts.taker_fee_bps if facts is not None else s.router.estimate_taker_fee_bps
    ticks = {v: i.tick for v, i in instruments.items()}
    sliced = (decision_algo(decision, s.router) if algo == "sor" else algo) not in SINGLE_SHOT
    legs, dropped, split = split_legs(
        t,
        qty,
        arrival,
        quotes,
        scores,
        s.router,
        steps,
        fees=fees,
        ticks=ticks,
        slices=s.router.twap_num_slices if sliced else 1,
    )
    if not split:
        dropped = []
    for leg in legs:  # a remainder off the lot would be left unfilled: refuse it up front
        step = steps[leg.venue]
        if step > 0 and round_down(leg.quantity, step) != leg.quantity:
            raise InputError(
                "quantity",
                f"{qty:f} is not a whole number of lots: {t.symbol} on {leg.venue} trades in lots of {step:f}",
            )
    leg_algo = decision_algo(decision, s.router) if algo == "sor" else algo
    if not legs:
        raise InputError(
            "symbol", f"no venue can take this order ({'; '.join(r for _, r in dropped)})"
        )
    plan = Plan(
        algo,
        leg_algo,
        tuple(legs),
        tuple(failed) + tuple(dropped),
        arrival,
        decision,
        dataclasses.replace(t, quantity=qty),
        engine.clock.now(),
    )
    try:
        return dataclasses.replace(plan, estimate=await estimate_plan(engine, plan))
    except BrokerError:  # a book the venue would not give: the plan stands, without an estimate
        return plan


async def preview_ticket(
    engine: PlanInputs, t: Ticket, *, cash: Decimal | None, equity: Decimal | None
) -> Preview:
    """Sizing, decision and legs for the ticket as it stands; errors listed, nothing raised."""
    errors: list[tuple[str, str]] = []
    sizing: SizingResult | None = None
    kelly = t.size_by_kelly
    qty = Decimal(0) if kelly else t.quantity
    try:
        if kelly:
            validate_fields(engine, t)
        else:  # the typed quantity is the order: it must stand on its own
            validate_ticket(engine, t)
        quotes, _ = await market_view(engine, t)
        sig = t.signal
        if kelly:
            if sig.win_rate is None or sig.avg_win is None or sig.avg_loss is None:
                raise InputError(
                    "win_rate", "win rate, avg win and avg loss are needed to size by Kelly"
                )
            if cash is None or equity is None:
                snaps = [
                    await b.portfolio()
                    for n, b in engine.brokers.items()
                    if engine.venue_connected.get(n)
                ]
                cash = cash if cash is not None else sum((p.cash for p in snaps), Decimal(0))
                equity = (
                    equity if equity is not None else sum((p.equity for p in snaps), Decimal(0))
                )
            price = (
                t.limit_price
                or min(q.far(t.side) * t.side.sign for q in quotes.values()) * t.side.sign
            )
            step = (await engine.instrument(next(iter(quotes)), t.symbol)).step
            sizing = size_ticket(
                price=price,
                cash=cash,
                equity=equity,
                side=t.side,
                win_rate=sig.win_rate,
                avg_win=sig.avg_win,
                avg_loss=sig.avg_loss,
                step=step,
                cfg=engine.settings.execution,
                position=engine.positions.get(t.symbol, Decimal(0)),  # the cap bounds the result
            )
            qty = sizing.quantity
            if qty <= 0:
                errors.append(("quantity", sizing.reason or "Kelly sizes this signal at 0"))
                return Preview(t.symbol, t.side, qty, sizing, None, errors=tuple(errors))
        plan = await plan_ticket(engine, t, qty)
        children = await planned_children(engine, plan, quotes)
        return Preview(
            t.symbol,
            t.side,
            qty,
            sizing,
            plan.decision,
            plan.legs,
            plan.dropped,
            plan=plan,
            children=children,
            sized_by_kelly=kelly,
            funding=await funding_shortfalls(engine.brokers, t.side, plan.legs),
        )
    except InputError as e:
        errors.append((e.field, e.message))
        return Preview(t.symbol, t.side, qty, sizing, None, errors=tuple(errors))
