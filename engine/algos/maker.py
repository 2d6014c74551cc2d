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

from engine.algos.base import LegContext, venue_gone
from engine.algos.basic import send_ioc
from engine.algos.pricing import crossing_price, mid_price, passive_price
from engine.algos.schedule import Slice, run_schedule
from engine.models import ChildOrder, OrderStatus, OrderType


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
    return await send_ioc(ctx, want, px, meta)


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
            live=True,
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

    async def body(ctx: LegContext, s: Slice) -> None:
        await run_slice(ctx, s.target, s.meta)

    await run_schedule(
        ctx,
        body,
        slices=slices,
        interval_s=interval_s,
        decided_by=decided_by,
        meta={"algo": "maker"},
    )
