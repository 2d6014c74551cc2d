"""TWAP: N exact slices one interval apart; unfilled quantity carries forward; the last completes."""

from __future__ import annotations

from decimal import Decimal

from engine.algos.base import LegContext, slice_schedule, venue_gone
from engine.algos.basic import cross_remaining
from engine.algos.pricing import crossing_price, passive_price
from engine.models import OrderStatus, OrderType, TimeInForce


async def run_twap(
    ctx: LegContext,
    *,
    slices: int | None = None,
    interval_s: float | None = None,
    passive: bool = False,
    decided_by: str = "static",
) -> None:
    """Slice the leg in time; `passive` rests each slice at the touch instead of crossing."""
    cfg = ctx.settings
    sizes, interval = slice_schedule(ctx, slices, interval_s)
    start = ctx.clock.now()
    scheduled = Decimal(0)
    for i, size in enumerate(sizes, 1):
        if ctx.stopped or venue_gone(ctx):
            return  # the engine re-routes or pauses the rest of the leg
        ctx.leg.slice_index = i
        scheduled += size
        want = min(scheduled - ctx.leg.filled, ctx.leg.remaining)  # carries any shortfall forward
        next_ts = start + i * interval if i < len(sizes) else None
        ctx.progress(next_slice_ts=next_ts, decided_by=decided_by, detail=f"slice {i}/{len(sizes)}")
        before = ctx.leg.filled
        if want > 0:
            meta = {
                "twap_slice": i,
                "twap_total_slices": len(sizes),
                "twap_interval_seconds": interval,
                "parent_order_id": ctx.parent.parent_id,
                "decided_by": decided_by,
            }
            q = await ctx.quote()
            if passive:
                px = passive_price(q, ctx.side, ctx.instrument)
                child = await ctx.send(want, order_type=OrderType.LIMIT, limit_price=px, meta=meta)
                if child.status is not OrderStatus.REJECTED:
                    child = await ctx.wait(child, max(0.0, start + i * interval - ctx.clock.now()))
                    if child.status.is_open:
                        await ctx.cancel(child)
            else:
                px = crossing_price(q, ctx.side, cfg.execution.max_slippage_pct, ctx.instrument)
                child = await ctx.send(
                    want, order_type=OrderType.LIMIT, limit_price=px, tif=TimeInForce.IOC, meta=meta
                )
                if child.status is not OrderStatus.REJECTED:
                    child = await ctx.wait(child, 5.0)
                    if child.status.is_open:
                        await ctx.cancel(child)
        ctx.leg.slices.append(
            {
                "index": i,
                "total": len(sizes),
                "quantity": str(want),
                "filled": str(ctx.leg.filled - before),
                "decided_by": decided_by,
            }
        )
        if next_ts is not None and not await ctx.sleep(max(0.0, next_ts - ctx.clock.now())):
            return
    if ctx.leg.remaining > 0 and cfg.execution.complete_with_cross and not ctx.stopped:
        await cross_remaining(ctx, {"completion": True, "parent_order_id": ctx.parent.parent_id})
