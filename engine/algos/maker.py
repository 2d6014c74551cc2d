"""Maker-first slice loop: each slice rests at the touch, reprices to mid, then crosses.

Price ladder of one slice, with `maker_max_reprices` = R:
  stage 0 rests at the near touch (bid for a buy, ask for a sell);
  stages 1 .. R-1 rest at the mid of a fresh quote;
  stage R (the last reprice) crosses with a protected IOC.
R = 0 rests at the touch only and carries what is left to the next slice (the last slice still
completes per `execution.complete_with_cross`). Every stage waits `maker_timeout_s`, then the
stale order is cancelled, and only once the venue no longer holds it is the next one sent:
never two live children of the same slice.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine.algos.base import LegContext, slice_schedule, venue_gone
from engine.algos.basic import cross_remaining
from engine.algos.pricing import crossing_price, mid_price, passive_price
from engine.models import ChildOrder, OrderStatus, OrderType, TimeInForce


def stage_names(max_reprices: int) -> list[str]:
    """The ladder one slice climbs: touch, then mids, then a final cross."""
    if max_reprices <= 0:
        return ["touch"]
    return ["touch"] + ["mid"] * (max_reprices - 1) + ["cross"]


async def _rest(
    ctx: LegContext, want: Decimal, price: Decimal, timeout_s: float, meta: dict[str, Any]
) -> ChildOrder | None:
    """One passive child for `timeout_s`; cancelled afterwards. None if the venue refused it."""
    child = await ctx.send(
        want,
        order_type=OrderType.LIMIT,
        limit_price=price,
        post_only=ctx.settings.algos.maker_post_only,
        meta=meta,
    )
    if child.status is OrderStatus.REJECTED:
        return None
    child = await ctx.wait(child, timeout_s)
    if child.status.is_open:
        await ctx.cancel(child)
    return child


async def _cross(ctx: LegContext, want: Decimal, meta: dict[str, Any]) -> ChildOrder:
    q = await ctx.quote()
    px = crossing_price(q, ctx.side, ctx.settings.execution.max_slippage_pct, ctx.instrument)
    child = await ctx.send(
        want, order_type=OrderType.LIMIT, limit_price=px, tif=TimeInForce.IOC, meta=meta
    )
    if child.status is not OrderStatus.REJECTED:
        child = await ctx.wait(child, 5.0)
        if child.status.is_open:
            await ctx.cancel(child)
    return child


async def run_slice(ctx: LegContext, target: Decimal, base_meta: dict[str, Any]) -> None:
    """Fill up to `target` of cumulative leg quantity by climbing the ladder."""
    cfg = ctx.settings.algos
    for reprice, stage in enumerate(stage_names(cfg.maker_max_reprices)):
        want = min(target - ctx.leg.filled, ctx.leg.remaining)
        if want <= 0 or ctx.stopped or venue_gone(ctx):
            return
        meta = {**base_meta, "maker_stage": stage, "maker_reprice": reprice}
        if stage == "cross":
            await _cross(ctx, want, meta)
            continue
        q = await ctx.quote()
        px = (
            passive_price(q, ctx.side, ctx.instrument)
            if stage == "touch"
            else mid_price(q, ctx.side, ctx.instrument)
        )
        ctx.progress(
            detail=f"slice {base_meta['twap_slice']}/{base_meta['twap_total_slices']} resting at {px} ({stage})",
            decided_by=str(base_meta.get("decided_by", "")),
        )
        child = await _rest(ctx, want, px, cfg.maker_timeout_s, meta)
        if child is not None and child.status.is_open:
            # the venue still holds the stale order: replacing it would leave two live children
            return


async def run_maker(
    ctx: LegContext,
    *,
    slices: int | None = None,
    interval_s: float | None = None,
    decided_by: str = "static",
) -> None:
    """Slice the leg like TWAP, but make each slice passively first and cross only at the end."""
    cfg = ctx.settings
    sizes, interval = slice_schedule(ctx, slices, interval_s)
    start = ctx.clock.now()
    scheduled = Decimal(0)
    for i, size in enumerate(sizes, 1):
        if ctx.stopped or venue_gone(ctx):
            return
        ctx.leg.slice_index = i
        scheduled += size  # an unfilled slice's remainder carries into this one
        next_ts = start + i * interval if i < len(sizes) else None
        ctx.progress(next_slice_ts=next_ts, decided_by=decided_by, detail=f"slice {i}/{len(sizes)}")
        before = ctx.leg.filled
        want = min(scheduled - before, ctx.leg.remaining)
        meta = {
            "twap_slice": i,
            "twap_total_slices": len(sizes),
            "twap_interval_seconds": interval,
            "parent_order_id": ctx.parent.parent_id,
            "decided_by": decided_by,
            "algo": "maker",
        }
        if want > 0:
            await run_slice(ctx, scheduled, meta)
        ctx.leg.slices.append(
            {
                "index": i,
                "total": len(sizes),
                "quantity": str(max(want, Decimal(0))),
                "filled": str(ctx.leg.filled - before),
                "decided_by": decided_by,
            }
        )
        if next_ts is not None and not await ctx.sleep(max(0.0, next_ts - ctx.clock.now())):
            return
    if (
        ctx.leg.remaining > 0
        and cfg.execution.complete_with_cross
        and not ctx.stopped
        and not venue_gone(ctx)
    ):
        await cross_remaining(ctx, {"completion": True, "parent_order_id": ctx.parent.parent_id})
