"""Iceberg: only a display quantity shows at once; each fill of it is refreshed with the next.

Venue-native where the venue's capabilities say so (Binance spot `icebergQty` through ccxt, IB
`displaySize`): one limit child of the whole rest carries the display quantity and the venue
refreshes it. Emulated elsewhere: one limit child of the display quantity rests and, when it
fills, the next is posted. Either rests at the ticket's limit, else the near touch, re-posted
there if the touch has moved away after `algos.maker_timeout_s`; each child's meta says which
path it took (`iceberg`: native | emulated). At the horizon the rest is cancelled and, without a
limit price, crossed per `complete_with_cross`.
"""

from __future__ import annotations

from decimal import Decimal

from engine.algos.base import LegContext, SliceRecord, venue_gone
from engine.algos.basic import cross_remaining
from engine.algos.params import resolve
from engine.algos.pricing import passive_price
from engine.brokers.native import DISPLAY_QTY, ICEBERG
from engine.models import OrderStatus, OrderType, Refusal, round_down


def display_size(leg_qty: Decimal, display: Decimal | None, pct: float, step: Decimal) -> Decimal:
    """The shown quantity: the ticket's, else `pct` of the leg, on the step, at least one step."""
    want = display if display is not None else leg_qty * Decimal(repr(pct)) / 100
    return min(leg_qty, max(round_down(want, step), step if step > 0 else want))


async def run_iceberg(ctx: LegContext) -> None:
    p = resolve(ctx.parent, ctx.settings)
    a = ctx.settings.algos
    show = display_size(ctx.leg.quantity, p.display_qty, a.iceberg_display_pct, ctx.instrument.step)
    limit = ctx.parent.ticket.limit_price
    deadline = ctx.clock.now() + p.horizon_s
    ctx.leg.slice_total = 0
    venue_native = ctx.capabilities.native_iceberg
    while ctx.leg.remaining > 0 and not ctx.stopped and not venue_gone(ctx):
        left = deadline - ctx.clock.now()
        if left <= 0:
            break
        q = await ctx.quote()
        px = limit if limit is not None else passive_price(q, ctx.side, ctx.instrument)
        ctx.leg.slice_index += 1
        before = ctx.leg.filled
        meta: dict[str, object] = {
            "iceberg_display": str(show),
            "parent_order_id": ctx.parent.parent_id,
        }
        native = venue_native and show < ctx.leg.remaining
        if native:  # the whole rest at the venue, which shows `show` of it at a time
            meta.update({DISPLAY_QTY: str(show), ICEBERG: "native"})
        else:
            meta[ICEBERG] = "emulated"
        qty = ctx.leg.remaining if native else min(show, ctx.leg.remaining)
        child = await ctx.send(qty, order_type=OrderType.LIMIT, limit_price=px, meta=meta)
        ctx.progress(
            next_slice_ts=deadline,
            decided_by="iceberg",
            detail=f"showing {show:f} at {px}",
            live=True,
        )
        if child.status is OrderStatus.REJECTED and native and child.refused is Refusal.VENUE:
            venue_native = False  # e.g. more pieces than the venue allows: show them ourselves
            ctx.log(
                "warning",
                f"{child.client_order_id}: native iceberg refused ({child.reason}); emulated",
            )
            continue
        if child.status is OrderStatus.REJECTED:
            break
        while child.status.is_open and not ctx.stopped:
            child = await ctx.wait(
                child, min(a.maker_timeout_s, max(0.0, deadline - ctx.clock.now()))
            )
            if not child.status.is_open or ctx.clock.now() >= deadline:
                break
            now = await ctx.quote()
            if limit is None and passive_price(now, ctx.side, ctx.instrument) != px:
                break  # the touch moved away: re-post there
        if child.status.is_open:
            await ctx.cancel(child)
        ctx.leg.slices.append(
            SliceRecord(ctx.leg.slice_index, 0, child.quantity, ctx.leg.filled - before, "iceberg")
        )
    if (
        ctx.leg.remaining > 0
        and limit is None
        and ctx.settings.execution.complete_with_cross
        and not ctx.stopped
        and not venue_gone(ctx)
    ):
        await cross_remaining(ctx, {"completion": True, "parent_order_id": ctx.parent.parent_id})
