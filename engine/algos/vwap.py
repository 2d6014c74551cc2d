"""VWAP: slices sized by the intraday volume profile over the leg's horizon; flat when too sparse."""

from __future__ import annotations

from decimal import Decimal

from engine.algos.base import LegContext
from engine.algos.jitter import jitter_sizes, jitter_starts
from engine.algos.params import leg_rng, resolve
from engine.algos.profile import VolumeProfile, flat_profile, load_profile
from engine.algos.schedule import run_slices
from engine.algos.slicing import weighted_slices
from engine.algos.twap import slice_body
from engine.config import Settings


def profile_for(settings: Settings, t0: float, horizon_s: float) -> tuple[VolumeProfile, str]:
    """The configured profile, or flat with the reason when it is missing, unreadable or sparse."""
    a = settings.algos
    flat = flat_profile(a.vwap_bucket_minutes)
    if not a.vwap_profile_path:
        return flat, "no algos.vwap_profile_path: flat profile"
    try:
        prof = load_profile(a.vwap_profile_path, a.vwap_bucket_minutes)
    except ValueError as e:
        return flat, f"algos.vwap_profile_path: {e}; flat profile"
    thin = prof.thinnest(t0, t0 + horizon_s)
    if thin < a.vwap_min_trades_per_bucket:
        return flat, (
            f"volume profile too sparse ({thin} trades in a bucket of this horizon, "
            f"fewer than {a.vwap_min_trades_per_bucket}): flat profile"
        )
    return prof, ""


def vwap_sizes(
    total: Decimal, profile: VolumeProfile, t0: float, edges: list[float], step: Decimal
) -> list[Decimal]:
    """Exact slice sizes in proportion to the profile volume of each slice's window."""
    weights = profile.weights(t0, edges)
    if sum(weights) <= 0:
        weights = [1.0] * len(weights)
    return weighted_slices(total, weights, step)


async def run_vwap(ctx: LegContext) -> None:
    """Cross each slice with a protected marketable limit; shortfalls carry to the next slice."""
    r = ctx.settings.router
    n, interval = r.twap_num_slices, r.twap_interval_seconds
    t0 = ctx.clock.now()
    edges = [i * interval for i in range(n + 1)]
    profile, why = profile_for(ctx.settings, t0, n * interval)
    if why:
        ctx.log("warning", f"{ctx.parent.parent_id}: vwap on {ctx.leg.venue}: {why}")
    sizes = vwap_sizes(ctx.leg.quantity, profile, t0, edges, ctx.instrument.step)
    starts = edges[:-1]
    jitter = resolve(ctx.parent, ctx.settings).jitter
    if jitter > 0:
        rng = leg_rng(ctx.settings, ctx.parent.parent_id, ctx.leg.venue)
        sizes = jitter_sizes(sizes, jitter, rng, ctx.instrument.step)
        starts = jitter_starts(starts, jitter, rng)
    decided_by = "flat" if profile.source == "flat" else "profile"
    await run_slices(
        ctx,
        slice_body(passive=False),
        sizes,
        starts,
        n * interval,
        decided_by=decided_by,
        meta={"vwap_profile": profile.source},
    )
