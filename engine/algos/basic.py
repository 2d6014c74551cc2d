"""Single-shot algorithms: market (a protected marketable limit) and limit (rest, then complete)."""

from __future__ import annotations

from decimal import Decimal

from engine.algos.base import LegContext
from engine.algos.pricing import crossing_price, offset_price
from engine.models import ChildOrder, OrderStatus, OrderType, TimeInForce

MAX_CROSS_ATTEMPTS = 5


async def send_ioc(
    ctx: LegContext, qty: Decimal, price: Decimal, meta: dict[str, object]
) -> ChildOrder:
    """A marketable IOC limit, waited for `execution.ioc_wait_s` and cancelled if still open."""
    child = await ctx.send(
        qty, order_type=OrderType.LIMIT, limit_price=price, tif=TimeInForce.IOC, meta=meta
    )
    if child.status is not OrderStatus.REJECTED:
        child = await ctx.wait(child, ctx.settings.execution.ioc_wait_s)
        if child.status.is_open:
            await ctx.cancel(child)
    return child


async def cross_remaining(ctx: LegContext, meta: dict[str, object] | None = None) -> Decimal:
    """Take the leg's remainder with IOC marketable limits, a few attempts at most; return filled."""
    filled = Decimal(0)
    for attempt in range(MAX_CROSS_ATTEMPTS):
        qty = ctx.leg.remaining
        if qty <= 0 or ctx.stopped:
            break
        q = await ctx.quote()
        px = crossing_price(q, ctx.side, ctx.settings.execution.max_slippage_pct, ctx.instrument)
        child = await send_ioc(ctx, qty, px, {**(meta or {}), "cross_attempt": attempt + 1})
        if child.status is OrderStatus.REJECTED:
            break
        filled += child.filled_qty
        if ctx.leg.remaining > 0 and not await ctx.sleep(1.0):
            break
    return filled


async def run_market(ctx: LegContext) -> None:
    """Cross now; price protection keeps a thin book from filling at any price."""
    ctx.leg.slice_total = 1
    ctx.leg.slice_index = 1
    ctx.progress(detail="crossing", live=True)
    await cross_remaining(ctx)


async def run_limit(ctx: LegContext) -> None:
    """Rest one limit for the horizon; then cross the rest or leave it, per configuration."""
    ctx.leg.slice_total = 1
    ctx.leg.slice_index = 1
    q = await ctx.quote()
    px = ctx.parent.ticket.limit_price or offset_price(
        q, ctx.side, ctx.settings.execution.limit_offset_pct, ctx.instrument
    )
    horizon = ctx.settings.router.twap_interval_seconds * ctx.settings.router.twap_num_slices
    child = await ctx.send(ctx.leg.remaining, order_type=OrderType.LIMIT, limit_price=px)
    ctx.progress(next_slice_ts=ctx.clock.now() + horizon, detail=f"resting at {px}", live=True)
    if child.status is OrderStatus.REJECTED:
        return
    child = await ctx.wait(child, horizon)
    if child.status.is_open:
        await ctx.cancel(child)
    if (
        ctx.leg.remaining > 0
        and ctx.settings.execution.complete_with_cross
        and ctx.parent.ticket.limit_price is None
    ):
        await cross_remaining(ctx, {"completion": True})
