"""Finishing a parent: its final status and shortfall, stored, and told to everyone."""

from __future__ import annotations

from engine.events import ParentCompleted
from engine.execution.state import EngineState
from engine.models import OrderStatus, ParentOrder
from engine.quality.metrics import parent_metrics


async def finish_parent(state: EngineState, parent: ParentOrder) -> None:
    """Set the parent's final status and shortfall, store them, and tell everyone."""
    if parent.filled_qty == parent.ticket.quantity:
        parent.status = OrderStatus.FILLED
    elif state.is_stopped(parent.parent_id):  # killed, cancelled or quit: closed, whatever filled
        parent.status = OrderStatus.CANCELLED
        parent.reason = parent.reason or f"stopped with {parent.remaining} left"
    elif parent.filled_qty > 0:
        parent.status = OrderStatus.PARTIALLY_FILLED
        parent.reason = parent.reason or f"{parent.remaining} left unfilled"
    else:
        kids = [state.children[c] for c in parent.children]
        rejected = kids and all(k.status is OrderStatus.REJECTED for k in kids)
        parent.status = OrderStatus.REJECTED if rejected else OrderStatus.CANCELLED
        if rejected and not parent.reason:
            parent.reason = kids[-1].reason
    final_mid = parent.arrival_mid
    quotes = [q for (v, s), q in state.market.quotes.items() if s == parent.ticket.symbol]
    if quotes:
        final_mid = (max(q.bid for q in quotes) + min(q.ask for q in quotes)) / 2
    kids = [state.children[c] for c in parent.children]
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
        end_ts=state.clock.now(),
        venues=sorted({k.venue for k in kids if k.filled_qty > 0}),
        algo=parent.algo,
        decisions=len(decided),
        fallback_decisions=sum(1 for d in decided if d == "ewma"),
    )
    parent.shortfall_bps = m.shortfall_bps
    state.quality.on_parent(parent.parent_id, m)
    if state.store is not None:
        state.store.update_parent(parent)
    state.publish(
        ParentCompleted(
            state.clock.now(),
            parent.parent_id,
            parent.status,
            parent.filled_qty,
            parent.avg_price,
            parent.shortfall_bps,
            parent.reason,
        )
    )
