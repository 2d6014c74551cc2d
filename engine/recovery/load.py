"""Rebuilding live parents and their children from the journal, with every fill the store recorded.

The fills table is the truth for what was booked (a child row may lag it by one batch), so each
child's filled quantity, average price, fees and fill ids are recomputed from it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine.models import (
    AlgoParams,
    ChildOrder,
    OrderStatus,
    OrderType,
    ParentOrder,
    Side,
    Signal,
    Ticket,
    TimeInForce,
)
from engine.store.owner import owned_elsewhere

LIVE = (
    OrderStatus.SUBMITTED.value
)  # a parent row stays SUBMITTED until finish_parent writes its end


def parent_from_row(row: dict[str, Any]) -> ParentOrder:
    t = row.get("ticket") or {}
    limit = t.get("limit_price")
    ticket = Ticket(
        symbol=row["symbol"],
        side=Side(row["side"]),
        quantity=Decimal(row["quantity"]),
        signal=Signal(strength=float(t.get("strength", 0.5))),
        limit_price=Decimal(limit) if limit is not None else None,
        algo=str(t.get("algo") or row["algo"]),
        venue=t.get("venue"),
        params=params_from_json(t.get("params")),
    )
    est = t.get("estimate_bps")
    return ParentOrder(
        row["parent_id"],
        ticket,
        row["algo"],
        Decimal(row["arrival_mid"]),
        float(row["created_ts"]),
        reason=row.get("reason") or "",
        estimate_bps=(float(est[0]), float(est[1]), float(est[2])) if est else None,
    )


def params_from_json(raw: object) -> AlgoParams:
    """A journalled ticket's algorithm parameters (absent: the configured defaults)."""
    if not isinstance(raw, dict):
        return AlgoParams()
    display = raw.get("display_qty")
    return AlgoParams(
        participation_pct=raw.get("participation_pct"),
        urgency=raw.get("urgency"),
        display_qty=Decimal(str(display)) if display is not None else None,
        jitter_pct=raw.get("jitter_pct"),
    )


def child_from_row(row: dict[str, Any]) -> ChildOrder:
    return ChildOrder(
        row["client_order_id"],
        row["parent_id"],
        row["venue"],
        row["symbol"],
        Side(row["side"]),
        Decimal(row["quantity"]),
        OrderType(row["order_type"]),
        row["limit_price"],
        TimeInForce(row["tif"]),
        bool(row["post_only"]),
        status=OrderStatus(row["status"]),
        venue_order_id=row.get("venue_order_id"),
        created_ts=float(row["created_ts"]),
        reason=row.get("reason") or "",
        meta=dict(row.get("meta") or {}),
    )


def child_number(client_order_id: str) -> int:
    """The sequence number a child id ends with (P...-007 -> 7); 0 when it has none."""
    tail = client_order_id.rpartition("-")[2]
    return int(tail) if tail.isdigit() else 0


def apply_recorded_fills(
    child: ChildOrder, fills: list[tuple[str, Decimal, Decimal, Decimal]]
) -> None:
    """Set the child's fill state from the store's (fill_id, quantity, price, fee) rows."""
    child.fill_ids = {f[0] for f in fills}
    child.filled_qty = sum((f[1] for f in fills), Decimal(0))
    notional = sum((f[1] * f[2] for f in fills), Decimal(0))
    child.avg_price = notional / child.filled_qty if child.filled_qty else None
    child.fees = sum((f[3] for f in fills), Decimal(0))
    s = child.status
    if child.filled_qty >= child.quantity and child.quantity > 0:
        child.status = OrderStatus.FILLED
    elif s is OrderStatus.FILLED or (s is OrderStatus.SUBMITTED and child.filled_qty > 0):
        child.status = OrderStatus.PARTIALLY_FILLED  # the venue will say the rest
    elif s is OrderStatus.PARTIALLY_FILLED and child.filled_qty == 0:
        child.status = OrderStatus.SUBMITTED


async def load_live(store: Any) -> list[tuple[ParentOrder, list[ChildOrder]]]:
    """Every parent the journal says was still running, with all its children and recorded fills."""
    out = []
    for row in await store.parents():
        if row["status"] != LIVE or owned_elsewhere(row.get("owner", "")):
            continue  # finished, or another live engine is running it
        out.append(await load_parent(store, row))
    return out


async def load_parent(store: Any, row: dict[str, Any]) -> tuple[ParentOrder, list[ChildOrder]]:
    """One parent from its journal row, with all its children and the fills the store holds."""
    parent = parent_from_row(row)
    kids = sorted(
        (child_from_row(r) for r in await store.children(parent_id=parent.parent_id)),
        key=lambda c: child_number(c.client_order_id),
    )
    fills: dict[str, list[tuple[str, Decimal, Decimal, Decimal]]] = {}
    for cid, fid, qty, price, fee in await store.query(
        "SELECT client_order_id, fill_id, quantity, price, fee FROM fills WHERE parent_id = ?",
        (parent.parent_id,),
    ):
        fills.setdefault(cid, []).append((fid, Decimal(qty), Decimal(price), Decimal(fee)))
    for c in kids:
        apply_recorded_fills(c, fills.get(c.client_order_id, []))
        parent.filled_qty += c.filled_qty
        parent.notional_filled += c.filled_qty * (c.avg_price or Decimal(0))
        parent.fees += c.fees
    parent.children = [c.client_order_id for c in kids]
    return parent, kids
