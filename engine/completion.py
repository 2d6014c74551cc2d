"""Running a leg with its algorithm, re-routing a leg whose venue fails, and closing the parent."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import time
from decimal import Decimal
from typing import TYPE_CHECKING

from engine.algos.base import Algo, LegContext, LegState
from engine.algos.basic import run_limit, run_market
from engine.algos.twap import run_twap
from engine.brokers.base import BrokerError
from engine.config import Settings
from engine.events import ParentCompleted
from engine.leg import LegRunner
from engine.models import InputError, OrderStatus, ParentOrder
from engine.quality.metrics import parent_metrics

if TYPE_CHECKING:
    from engine.engine import Engine


async def _passive_twap(ctx: LegContext) -> None:
    await run_twap(ctx, passive=True)


BUILTIN: dict[str, Algo] = {
    "market": run_market,
    "limit": run_limit,
    "twap": run_twap,
    "passive-twap": _passive_twap,
}
# algorithms that live in their own modules: name -> "module:function"
PLUGGED = {
    "maker": "engine.algos.maker:run_maker",
    "adaptive": "engine.algos.adaptive:run_adaptive",
    "drl": "engine.algos.policy:run_policy",
    "ewma": "engine.algos.policy:run_ewma",
}


def resolve_algo(name: str) -> Algo:
    if name in BUILTIN:
        return BUILTIN[name]
    if name in PLUGGED:
        mod, fn = PLUGGED[name].split(":")
        try:
            algo: Algo = getattr(importlib.import_module(mod), fn)
            return algo
        except (ImportError, AttributeError):
            raise InputError("algo", f"algorithm {name!r} is not available in this build") from None
    raise InputError("algo", f"unknown algorithm {name!r}")


async def run_leg(
    engine: Engine, parent: ParentOrder, leg: LegState, settings: Settings | None = None
) -> None:
    """Run one leg; if its venue goes away, move the rest to the best other venue or pause it."""
    symbol = parent.ticket.symbol
    inst = await engine.instrument(leg.venue, symbol)
    leg.status = "running"
    runner = LegRunner(engine, parent, leg, inst)
    if settings is not None:  # reliability: a resumed parent slices what is left of its horizon
        runner.settings = settings
    try:
        await resolve_algo(leg.algo)(runner)
    except (
        BrokerError
    ) as e:  # a quote or cancel the venue could not answer: the leg cannot go on there
        leg.reason = f"venue unavailable: {e.message}"
    if engine.is_stopped(parent.parent_id):
        leg.status = "stopped"
        return
    if leg.remaining > 0 and (
        leg.reason.startswith("venue unavailable") or _venue_refused(engine, parent, leg)
    ):
        others = [
            v
            for v, ok in engine.venue_connected.items()
            if ok and v != leg.venue and v not in {x.venue for x in engine.legs[parent.parent_id]}
        ]
        quotes, _ = await engine.market.probe(symbol, others) if others else ({}, [])
        if quotes:
            target = min(
                quotes.values(), key=lambda q: q.far(parent.ticket.side) * parent.ticket.side.sign
            ).venue
            held = sum(
                (
                    engine.children[c].remaining
                    for c in parent.children
                    if engine.children[c].venue == leg.venue and engine.children[c].status.is_open
                ),
                Decimal(0),
            )  # still live or held on the old venue: moving it would trade it twice
            if leg.remaining - held <= 0:
                leg.status = "held"
                return
            moved = LegState(target, leg.remaining - held, leg.algo)
            leg.quantity = leg.filled
            leg.status = f"re-routed to {target}"
            engine.legs[parent.parent_id].append(moved)
            engine.log(
                "warning",
                f"{parent.parent_id}: leg {leg.venue} re-routed {moved.quantity} to {target} ({leg.reason})",
            )
            await run_leg(engine, parent, moved, settings)
            return
        leg.status = "paused"
        engine.log(
            "error",
            f"{parent.parent_id}: leg {leg.venue} paused with {leg.remaining} left: {leg.reason}; no other venue",
        )
        return
    leg.status = "done" if leg.remaining == 0 else "incomplete"


def _venue_refused(engine: Engine, parent: ParentOrder, leg: LegState) -> bool:
    """The leg's last order was refused by the venue itself (not the risk gate, not a post-only)."""
    mine = [engine.children[c] for c in parent.children if engine.children[c].venue == leg.venue]
    last = mine[-1] if mine else None
    if (
        last is None
        or last.status is not OrderStatus.REJECTED
        or last.post_only
        or last.reason.startswith(("risk:", "nothing left"))
    ):
        return False
    leg.reason = f"venue unavailable: refused {last.client_order_id}: {last.reason}"
    return True


async def settle_held(engine: Engine, parent: ParentOrder) -> None:
    """Wait (wall time, bounded) for children a venue executed but has not yet shown fills for."""
    limit = engine.settings.broker.held_settle_s
    held = [
        engine.children[c]
        for c in parent.children
        if engine.children[c].meta.get("held") is not None and engine.children[c].status.is_open
    ]
    deadline = time.monotonic() + limit
    for child in held:
        ev = engine.child_event(child.client_order_id)
        while child.status.is_open and (left := deadline - time.monotonic()) > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ev.wait(), min(left, 0.5))
            ev.clear()
    still = [c.client_order_id for c in held if c.status.is_open]
    if still:
        parent.reason = (
            f"{', '.join(still)}: the venue executed more than it has reported fills for "
            f"after {limit:g} s; run `tranche recover` to book them"
        )
        engine.log("error", f"{parent.parent_id}: {parent.reason}")


async def finish_parent(engine: Engine, parent: ParentOrder) -> None:
    """Set the parent's final status and shortfall, store them, and tell everyone."""
    if parent.filled_qty == parent.ticket.quantity:
        parent.status = OrderStatus.FILLED
    elif engine.is_stopped(parent.parent_id):  # killed, cancelled or quit: closed, whatever filled
        parent.status = OrderStatus.CANCELLED
        parent.reason = parent.reason or f"stopped with {parent.remaining} left"
    elif parent.filled_qty > 0:
        parent.status = OrderStatus.PARTIALLY_FILLED
        parent.reason = parent.reason or f"{parent.remaining} left unfilled"
    else:
        kids = [engine.children[c] for c in parent.children]
        rejected = kids and all(k.status is OrderStatus.REJECTED for k in kids)
        parent.status = OrderStatus.REJECTED if rejected else OrderStatus.CANCELLED
        if rejected and not parent.reason:
            parent.reason = kids[-1].reason
    final_mid = parent.arrival_mid
    quotes = [q for (v, s), q in engine.market.quotes.items() if s == parent.ticket.symbol]
    if quotes:
        final_mid = (max(q.bid for q in quotes) + min(q.ask for q in quotes)) / 2
    kids = [engine.children[c] for c in parent.children]
    decided = [
        k.meta.get("decided_by")
        for k in kids
        if k.meta.get("decided_by") in ("policy", "defer", "ewma")
    ]
    m = parent_metrics(
        side=parent.ticket.side,
        quantity=parent.ticket.quantity,
        filled_qty=parent.filled_qty,
        notional_filled=parent.notional_filled,
        fees=parent.fees,
        arrival_mid=parent.arrival_mid,
        final_mid=final_mid,
        start_ts=parent.created_ts,
        end_ts=engine.clock.now(),
        venues=sorted({k.venue for k in kids if k.filled_qty > 0}),
        algo=parent.algo,
        decisions=len(decided),
        fallback_decisions=sum(1 for d in decided if d == "ewma"),
    )
    parent.shortfall_bps = m.shortfall_bps
    engine.quality.on_parent(parent.parent_id, m)
    if engine.store is not None:
        engine.store.update_parent(parent)
    engine.publish(
        ParentCompleted(
            engine.clock.now(),
            parent.parent_id,
            parent.status,
            parent.filled_qty,
            parent.avg_price,
            parent.shortfall_bps,
            parent.reason,
        )
    )
