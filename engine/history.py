"""What a restarted engine knows from the store before trading: positions, recent fills and alerts.

The console's charts, alert list and progress pane start from `RecentHistory` instead of saying
"no data yet" over a history that `tranche report` can count. Positions are booked from every
fill; the engine's own position (what the risk gate counts) leaves out parents still live,
because recovery books those itself when it adopts them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine.events import AlertRaised, FillRecorded, ParentCompleted
from engine.fill_cursor import FillCursor
from engine.models import OrderStatus, Side
from engine.positions import PositionBook, sign_of

RECENT_FILLS = 2000  # as many as the console keeps in memory
RECENT_ALERTS = 200
RECENT_PARENTS = 20  # the progress pane shows the newest 20


@dataclass(slots=True)
class RecentHistory:
    fills: list[FillRecorded] = field(default_factory=list)
    alerts: list[AlertRaised] = field(default_factory=list)
    parents: list[dict[str, Any]] = field(default_factory=list)  # finished parents' rows
    completions: list[ParentCompleted] = field(default_factory=list)


async def load_positions(
    store: Any,
    book: PositionBook,
    cursor: FillCursor | None = None,
    owned_elsewhere: Callable[[str], bool] = lambda owner: False,
) -> dict[str, Decimal]:
    """Book every stored fill; return the net position per symbol of finished parents and of
    parents another live process runs (its fills are the account's; recovery books our own live
    ones). `cursor` learns where this read ended, so fills written after it can be followed."""
    settled: dict[str, Decimal] = {}
    elsewhere: dict[str, bool] = {}  # owner -> another live process (asked once per owner)
    for r in await store.position_fills():
        book.add(r["symbol"], r["venue"], r["side"], r["quantity"], r["price"], r["fee"])
        owner = str(r.get("owner") or "")
        if owner not in elsewhere:
            elsewhere[owner] = owned_elsewhere(owner)
        if not r["live"] or elsewhere[owner]:
            signed = sign_of(r["side"]) * Decimal(r["quantity"])
            settled[r["symbol"]] = settled.get(r["symbol"], Decimal(0)) + signed
        if cursor is not None:
            cursor.saw(str(r["venue"]), str(r["fill_id"]), int(r["seq"]))
    if cursor is not None:
        cursor.prune()
    return settled


def fill_event(r: dict[str, Any]) -> FillRecorded:
    return FillRecorded(
        float(r["ts"]),
        r["parent_id"],
        r["client_order_id"],
        r["venue"],
        r["symbol"],
        Side(r["side"]),
        r["quantity"],
        r["price"],
        r["fee"],
        float(r["slippage_bps"]),
        float(r["arrival_slippage_bps"]),
        float(r["latency_ms"]),
    )


def alert_event(r: dict[str, Any]) -> AlertRaised:
    return AlertRaised(
        float(r["ts"]),
        r["kind"],
        r["message"],
        float(r["value"]),
        float(r["threshold"]),
        r.get("venue") or "",
        r.get("symbol") or "",
    )


async def load_recent(store: Any) -> RecentHistory:
    """The newest fills, alerts and finished parents, oldest first."""
    out = RecentHistory()
    out.fills = [fill_event(r) for r in await store.recent_fills(RECENT_FILLS)]
    out.alerts = [alert_event(r) for r in await store.recent_alerts(RECENT_ALERTS)]
    for r in await store.recent_parents(RECENT_PARENTS):
        status = OrderStatus(r["status"])
        if not status.parent_finished:
            continue  # recovery reports live parents itself
        qty = r["filled_qty"]
        avg = r["notional_filled"] / qty if qty else None
        out.parents.append(r)
        out.completions.append(
            ParentCompleted(
                float(r["created_ts"]),
                r["parent_id"],
                status,
                qty,
                avg,
                r["shortfall_bps"],
                r.get("reason") or "",
            )
        )
    return out
