"""Adaptive TWAP: slice count and spacing from the median slippage of similar past orders.

Buckets are (symbol, hour of day UTC, notional size small / mid / large) over the last
`router.lookback_days` days. A bucket with fewer than `algos.adaptive_min_samples` fills gives
nothing and the static TWAP runs unchanged (fail-open: the adaptive layer only changes what it
has evidence for).

The rule (documented in config.yaml): with m the bucket's median slippage in bps and
f = clamp(m / adaptive_target_bps, 1/4, 4),
    slices   = round(twap_num_slices * sqrt(f))        within [adaptive_min_slices, adaptive_max_slices]
    interval = twap_interval_seconds * sqrt(f)         within [adaptive_min_interval_s, adaptive_max_interval_s]
so the horizon scales with f: where fills have cost more than the target, children are smaller
and further apart (impact has time to decay); where they cost less, the parent finishes sooner
(less exposure to drift). A median at the target reproduces the static defaults exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.algos.base import FillHistory, LegContext
from engine.algos.guardrail import BASELINE, leg_shortfall_bps
from engine.algos.twap import run_twap
from engine.config import Settings
from engine.measures import hour_of_day, size_bucket


@dataclass(frozen=True, slots=True)
class AdaptiveParams:
    """What the adaptive layer decided for one parent, and on what evidence."""

    slices: int
    interval_s: float
    decided_by: str  # "adaptive" (a bucket median decided) or "static" (the defaults)
    bucket: tuple[str, int, str]
    median_bps: float | None = None
    samples: int = 0


def rule(median_bps: float, settings: Settings) -> tuple[int, float]:
    """Median bucket slippage -> (slices, interval_s), within the configured bounds."""
    a, r = settings.algos, settings.router
    f = min(4.0, max(0.25, median_bps / a.adaptive_target_bps))
    k = math.sqrt(f)
    slices = min(a.adaptive_max_slices, max(a.adaptive_min_slices, round(r.twap_num_slices * k)))
    interval = min(
        a.adaptive_max_interval_s, max(a.adaptive_min_interval_s, r.twap_interval_seconds * k)
    )
    return slices, interval


async def bucket_median(
    store: FillHistory | None, bucket: tuple[str, int, str], now: float, settings: Settings
) -> tuple[float, int] | None:
    """The bucket's (median bps, samples) from the store, or None below the evidence threshold."""
    if store is None:
        return None
    a = settings.algos
    small, large = a.adaptive_size_edges
    medians = await store.slippage_medians(
        since_ts=now - settings.router.lookback_days * 86400,
        size_edges=(small, large),
        min_samples=a.adaptive_min_samples,
    )
    if bucket not in medians:
        return None
    median, samples = medians[bucket]
    if samples and samples < a.adaptive_min_samples:
        return None
    return median, samples


async def decide(
    store: FillHistory | None, symbol: str, notional: float, now: float, settings: Settings
) -> AdaptiveParams:
    """The parameters one parent runs with: adaptive where its bucket has evidence, else static."""
    r = settings.router
    bucket = (
        symbol,
        hour_of_day(now),
        size_bucket(notional, settings.algos.adaptive_size_edges),
    )
    found = await bucket_median(store, bucket, now, settings)
    if found is None:
        return AdaptiveParams(r.twap_num_slices, r.twap_interval_seconds, "static", bucket)
    slices, interval = rule(found[0], settings)
    return AdaptiveParams(slices, interval, "adaptive", bucket, found[0], found[1])


async def run_adaptive(ctx: LegContext) -> None:
    """TWAP with learned parameters on the adaptive path; static TWAP on the baseline path."""
    parent = ctx.parent
    guard = ctx.guardrail
    path = guard.assign(parent.parent_id)
    notional = float(parent.ticket.quantity * parent.arrival_mid)
    started = ctx.clock.now()
    params = await decide(
        ctx.history, parent.ticket.symbol, notional, parent.created_ts or started, ctx.settings
    )
    if path == BASELINE:
        r = ctx.settings.router
        params = AdaptiveParams(r.twap_num_slices, r.twap_interval_seconds, "static", params.bucket)
    evidence = (
        f"median {params.median_bps:.2f} bps over {params.samples} fills"
        if params.median_bps is not None
        else "no evidence"
    )
    ctx.progress(
        decided_by=params.decided_by,
        detail=f"{path} path, bucket {params.bucket[1]:02d}h {params.bucket[2]}: {params.slices} slices every {params.interval_s:g} s ({evidence})",
    )
    first = len(ctx.leg.slices)
    await run_twap(
        ctx, slices=params.slices, interval_s=params.interval_s, decided_by=params.decided_by
    )
    for s in ctx.leg.slices[first:]:
        s.path = path
    if ctx.stopped or ctx.leg.filled <= 0:
        return
    final = await ctx.quote()
    guard.record(
        params.bucket,
        path,
        leg_shortfall_bps(
            ctx.leg.quantity,
            ctx.leg.filled,
            ctx.leg.notional,
            parent.arrival_mid,
            final.mid,
            ctx.side.sign,
        ),
        venue=ctx.leg.venue,
    )


__all__ = ["AdaptiveParams", "decide", "rule", "run_adaptive", "size_bucket"]
