"""`tranche route`: the order-type decision for one ticket against given or live quotes."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from console.cli import CliError, add_common, add_db, emit, symbol_name
from console.commands.algo_flags import add_algo_flags, algo_params
from console.commands.route_estimate import engine_plan, estimate_dict, estimate_lines
from console.commands.route_legs import load_quotes, sor_legs
from console.commands.size import as_flag_error
from engine.api import RouteDecision
from engine.config import Settings, load_settings
from engine.models import InputError, Signal, Ticket, parse_side, to_decimal
from engine.routing.order_type import decide_order_type, describe_rule, parse_strength
from engine.routing.plan import ALGOS, decision_quote

_FLAG = {"quantity": "qty"}  # engine field -> this command's flag, where they differ


def register(sub: Any) -> None:
    p = sub.add_parser("route", help="order-type decision for one ticket against the market")
    p.add_argument("--symbol", type=symbol_name, required=True)
    p.add_argument("--side", required=True, help="buy or sell")
    p.add_argument("--qty", required=True, help="parent quantity")
    p.add_argument("--strength", default="0.5", help="signal strength in [0, 1]; default 0.5")
    p.add_argument("--bid", help="best bid (else read from the configured market)")
    p.add_argument("--ask", help="best ask (else read from the configured market)")
    p.add_argument("--adv", help="average daily volume (else from the configured market)")
    p.add_argument("--tick", help="price tick: round limit prices passively to it")
    p.add_argument(
        "--quotes",
        metavar="FILE",
        help='JSON {"VENUE": {"bid", "ask", "bid_size", "ask_size"}}: route across these venues',
    )
    p.add_argument("--step", help="venue quantity step for legs (default: the precision of --qty)")
    p.add_argument(
        "--algo", default="auto", help="algorithm the estimate is for (default: the router's)"
    )
    add_algo_flags(p)
    add_db(p, "fill history for learned venue scores")
    add_common(p)
    p.set_defaults(handler=run)


@dataclass(frozen=True, slots=True)
class Market:
    """Top of book and ADV the decision is made against, and where they came from."""

    bid: Decimal
    ask: Decimal
    adv: Decimal
    source: str


def parse_ticket(args: argparse.Namespace) -> Ticket:
    symbol = (args.symbol or "").strip().upper()  # as the console and `exec` read it
    if not symbol:
        raise InputError("--symbol", "must not be empty")
    side, qty = parse_side(args.side), to_decimal(args.qty, "qty")
    if args.algo not in ALGOS:
        raise InputError(
            "--algo", f"unknown algorithm {args.algo!r}; expected one of {', '.join(ALGOS)}"
        )
    signal = Signal(strength=parse_strength(args.strength))
    return Ticket(symbol, side, qty, signal, params=algo_params(args, qty))


def read_market(args: argparse.Namespace, settings: Settings, symbol: str) -> Market:
    """Flags where given; whatever is missing comes from the configured broker's market."""
    given = {k: getattr(args, k) for k in ("bid", "ask", "adv")}
    if all(v is not None for v in given.values()):
        b, a, v = (to_decimal(given[k], k) for k in ("bid", "ask", "adv"))
        return Market(b, a, v, "flags")
    try:
        from engine.factory import market_snapshot
    except ImportError:  # TODO: drop once engine.factory is always present
        raise CliError("--bid/--ask/--adv are required until a market is configured") from None
    snap = asyncio.run(market_snapshot(settings, symbol))
    pick = {k: given[k] if given[k] is not None else getattr(snap, k) for k in given}
    b, a, v = (to_decimal(pick[k], k) for k in ("bid", "ask", "adv"))
    return Market(b, a, v, str(getattr(snap, "venue", "market")))


def decide(t: Ticket, m: Market, settings: Settings, tick: str | None) -> RouteDecision:
    return decide_order_type(
        side=t.side,
        quantity=t.quantity,
        strength=t.signal.strength,
        bid=m.bid,
        ask=m.ask,
        adv=m.adv,
        router=settings.router,
        execution=settings.execution,
        tick=tick,
    )


def route_dict(t: Ticket, m: Market, d: RouteDecision, settings: Settings) -> dict[str, Any]:
    mid = (m.bid + m.ask) / 2
    return {
        "symbol": t.symbol,
        "side": t.side.value,
        "quantity": str(t.quantity),
        "order_type": d.order_type.value,
        "rule": d.rule,
        "why": describe_rule(d.rule, settings.router, settings.execution),
        "limit_price": None if d.limit_price is None else str(d.limit_price),
        "slices": d.slices,
        "interval_s": d.interval_s,
        "bid": str(m.bid),
        "ask": str(m.ask),
        "adv": str(m.adv),
        "spread_bps": round(float((m.ask - m.bid) / mid * 10_000), 4),
        "size_pct_adv": round(float(t.quantity / m.adv * 100), 6),
        "market_source": m.source,
    }


def human(d: dict[str, Any]) -> str:
    lines = [_decision_line(d)]
    for leg in d.get("legs", []):
        lines.append(
            f"  leg {leg['venue']:<10} {leg['quantity']:>12}  share {leg['share']:.1%}  spread {leg['spread_bps']:.2f}  worse {leg['price_worse_bps']:.2f}  exp.slip {leg['expected_slippage_bps']:.2f} ({leg['slippage_source']})  cost {leg['effective_cost_bps']:.2f} bps"
        )
    for dr in d.get("dropped", []):
        lines.append(f"  dropped {dr['venue']}: {dr['reason']}")
    if "estimate" in d:
        lines += estimate_lines(d["estimate"])
    return "\n".join(lines)


def _decision_line(d: dict[str, Any]) -> str:
    price = f" @ {d['limit_price']}" if d["limit_price"] is not None else ""
    slices = f" in {d['slices']} slices {d['interval_s']:g} s apart" if d["slices"] > 1 else ""
    return "\n".join(
        [
            f"{d['side']} {d['quantity']} {d['symbol']}: {d['order_type'].upper()}{price}{slices}",
            f"rule {d['rule']}: {d['why']}",
            f"bid {d['bid']}  ask {d['ask']}  spread {d['spread_bps']} bps  "
            f"size {d['size_pct_adv']}% of ADV {d['adv']}  ({d['market_source']})",
        ]
    )


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    try:
        ticket = parse_ticket(args)
        quotes = load_quotes(args.quotes, ticket.symbol, time.time()) if args.quotes else None
        if quotes:  # as the engine decides: on one venue's own quote, never a crossed pair
            tight = decision_quote(quotes, ticket.side)
            args.bid = args.bid or str(tight.bid)
            args.ask = args.ask or str(tight.ask)
            args.adv = args.adv or str(settings.router.default_adv)
        market = read_market(args, settings, ticket.symbol)
        if quotes and market.source == "flags":
            market = dataclasses.replace(
                market, source=f"quotes: venue {tight.venue}, best price for the side"
            )
        decision = decide(ticket, market, settings, args.tick)
    except InputError as e:
        if e.field.startswith("--"):
            raise
        raise as_flag_error(InputError(_FLAG.get(e.field, e.field), e.message)) from None
    data = route_dict(ticket, market, decision, settings)
    if not quotes and market.source != "flags":  # the configured market: the engine's own plan
        from engine.store.target import history_target

        db = history_target(settings, args.db)
        plan = engine_plan(settings, dataclasses.replace(ticket, algo=args.algo), db)
        data["algo"] = plan.leg_algo
        if plan.estimate is not None:
            data["estimate"] = estimate_dict(plan.estimate)
    if quotes:
        from engine.store.target import history_target

        db = history_target(settings, args.db)
        exp = ticket.quantity.normalize().as_tuple().exponent
        step = to_decimal(args.step, "step") if args.step else Decimal(1).scaleb(min(int(exp), 0))
        data.update(sor_legs(settings, ticket.side, ticket.quantity, quotes, db, time.time(), step))
    emit(args, data, human)
    return 0
