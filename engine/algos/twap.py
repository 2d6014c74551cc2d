"""TWAP: N exact slices one interval apart; unfilled quantity carries forward; the last completes."""

from __future__ import annotations

from engine.algos.base import LegContext
from engine.algos.basic import send_ioc
from engine.algos.params import resolve
from engine.algos.pricing import crossing_price, passive_price
from engine.algos.schedule import Slice, SliceBody, run_schedule
from engine.models import OrderStatus, OrderType


def slice_body(*, passive: bool) -> SliceBody:
    """What one slice does: cross with a protected marketable limit, or rest at the touch."""

    async def body(ctx: LegContext, s: Slice) -> None:
        q = await ctx.quote()
        if not passive:
            px = crossing_price(
                q, ctx.side, ctx.settings.execution.max_slippage_pct, ctx.instrument
            )
            await send_ioc(ctx, s.want, px, s.meta)
            return
        px = passive_price(q, ctx.side, ctx.instrument)
        child = await ctx.send(s.want, order_type=OrderType.LIMIT, limit_price=px, meta=s.meta)
        if child.status is not OrderStatus.REJECTED:
            child = await ctx.wait(child, max(0.0, s.ends_ts - ctx.clock.now()))
            if child.status.is_open:
                await ctx.cancel(child)

    return body


async def run_twap(
    ctx: LegContext,
    *,
    slices: int | None = None,
    interval_s: float | None = None,
    passive: bool = False,
    decided_by: str = "static",
) -> None:
    """Slice the leg in time; `passive` rests each slice at the touch instead of crossing;
    sizes and spacing are jittered when the ticket or `algos.jitter_pct` asks for it."""
    jitter = resolve(ctx.parent, ctx.settings).jitter
    await run_schedule(
        ctx,
        slice_body(passive=passive),
        slices=slices,
        interval_s=interval_s,
        decided_by=decided_by,
        jitter=jitter,
    )
