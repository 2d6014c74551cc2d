"""Arrival price (implementation shortfall): an Almgren-Chriss trajectory under a participation cap.

Holdings follow x(t) = X sinh(u (1 - t/T)) / sinh(u) over the TWAP horizon T in the configured
number of slices, where u = kappa*T is the urgency (0: the straight TWAP line; higher: front-loaded,
less exposure to price moves, more impact). The ticket may set u; otherwise it is the signal
strength times `algos.arrival_max_urgency`. No slice takes more than the cap's share of the
venue's traded volume since the leg began (plus one interval of ADV spread over 24 h, so the first
slice can trade); what the cap holds back carries to later slices and is left at the horizon.
"""

from __future__ import annotations

import math
from decimal import Decimal

from engine.algos.base import LegContext
from engine.algos.basic import send_ioc
from engine.algos.params import resolve
from engine.algos.participation import allowance
from engine.algos.pricing import crossing_price
from engine.algos.schedule import Slice, run_slices
from engine.algos.slicing import weighted_slices


def ac_weights(n: int, urgency: float) -> list[float]:
    """Share of the order in each of n slices along the Almgren-Chriss holdings curve."""
    if urgency <= 1e-9:
        return [1.0 / n] * n
    u = min(urgency, 50.0)  # sinh overflows far beyond any urgency that changes the shape
    x = [math.sinh(u * (1 - j / n)) / math.sinh(u) for j in range(n + 1)]
    return [x[j] - x[j + 1] for j in range(n)]


async def run_arrival(ctx: LegContext) -> None:
    p = resolve(ctx.parent, ctx.settings, cap_pct=ctx.settings.algos.arrival_max_participation_pct)
    r = ctx.settings.router
    n, interval = r.twap_num_slices, r.twap_interval_seconds
    sizes = weighted_slices(ctx.leg.quantity, ac_weights(n, p.urgency), ctx.instrument.step)
    start_vol = await ctx.traded_volume()
    adv = await ctx.adv()
    seed = (adv or Decimal(0)) * Decimal(repr(interval / 86_400))
    if start_vol is None and p.participation < 1:
        ctx.log(
            "warning", f"{ctx.parent.parent_id}: arrival on {ctx.leg.venue}: no trade feed, no cap"
        )

    async def body(ctx: LegContext, s: Slice) -> None:
        want = s.want
        vol = await ctx.traded_volume() if start_vol is not None else None
        if vol is not None and start_vol is not None and p.participation < 1:
            cap_q = allowance(
                p.participation,
                vol - start_vol + seed,
                ctx.leg.filled,
                remaining=ctx.leg.remaining,
                step=ctx.instrument.step,
            )
            want = min(want, cap_q)
        if want <= 0:
            return
        q = await ctx.quote()
        px = crossing_price(q, ctx.side, ctx.settings.execution.max_slippage_pct, ctx.instrument)
        await send_ioc(ctx, want, px, {**s.meta, "urgency": p.urgency})

    capped = start_vol is not None and p.participation < 1
    await run_slices(
        ctx,
        body,
        sizes,
        [i * interval for i in range(n)],
        n * interval,
        decided_by=f"ac u={p.urgency:g}",
        complete=not capped,
    )
    if capped and ctx.leg.remaining > 0 and not ctx.stopped:
        ctx.leg.reason = f"participation cap {p.participation:.0%}: {ctx.leg.remaining:f} left"
