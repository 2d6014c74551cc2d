"""POV: trade a target share of the venue's traded volume, read from its trade feed; never above it.

Every `algos.pov_check_s` (jittered when asked) the leg reads the venue's running traded volume
and sends one protected marketable child of what the cap allows (min/max child size). At the
deadline (the TWAP horizon) it stops: crossing the rest would break the cap, so what the market's
volume did not allow is left, said in the leg's reason.
"""

from __future__ import annotations

from decimal import Decimal

from engine.algos.base import LegContext, SliceRecord, venue_gone
from engine.algos.basic import send_ioc
from engine.algos.params import leg_rng, resolve
from engine.algos.participation import allowance, share
from engine.algos.pricing import crossing_price


async def run_pov(ctx: LegContext) -> None:
    p = resolve(ctx.parent, ctx.settings)
    a = ctx.settings.algos
    start_vol = await ctx.traded_volume()
    if start_vol is None:
        ctx.leg.reason = f"pov: {ctx.leg.venue} gives no trade feed to measure participation"
        ctx.log("error", f"{ctx.parent.parent_id}: {ctx.leg.reason}")
        return
    rng = leg_rng(ctx.settings, ctx.parent.parent_id, ctx.leg.venue)
    deadline = ctx.clock.now() + p.horizon_s
    ctx.leg.slice_total = 0  # decided as the volume comes
    others = Decimal(0)
    while ctx.leg.remaining > 0 and not ctx.stopped and not venue_gone(ctx):
        vol = await ctx.traded_volume()
        others = (vol if vol is not None else start_vol) - start_vol
        q = allowance(
            p.participation,
            others,
            ctx.leg.filled,
            remaining=ctx.leg.remaining,
            step=ctx.instrument.step,
            min_child=a.pov_min_child,
            max_child=a.pov_max_child,
        )
        if q > 0:
            ctx.leg.slice_index += 1
            before = ctx.leg.filled
            quote = await ctx.quote()
            px = crossing_price(
                quote, ctx.side, ctx.settings.execution.max_slippage_pct, ctx.instrument
            )
            meta = {"pov_share": p.participation, "pov_volume_seen": str(others)}
            await send_ioc(ctx, q, px, {**meta, "parent_order_id": ctx.parent.parent_id})
            ctx.leg.slices.append(
                SliceRecord(ctx.leg.slice_index, 0, q, ctx.leg.filled - before, "pov")
            )
        wait = a.pov_check_s * (1 + rng.uniform(-p.jitter, p.jitter))
        if ctx.clock.now() + wait > deadline:
            break
        ctx.progress(
            next_slice_ts=ctx.clock.now() + wait,
            decided_by="pov",
            detail=f"pov {share(ctx.leg.filled, others):.1%} of {others:f} traded",
        )
        if not await ctx.sleep(wait):
            return
    if ctx.leg.remaining > 0 and not ctx.stopped and not venue_gone(ctx):
        ctx.leg.reason = (
            f"pov deadline: {ctx.leg.remaining:f} left at {p.participation:.0%} of "
            f"{others:f} traded"
        )
