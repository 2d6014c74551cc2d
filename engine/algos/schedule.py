"""The slice loop TWAP and maker share: exact sizes one interval apart, shortfalls carried forward,
each slice recorded, a stop or a lost venue honoured at once, the remainder crossed at the end."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine.algos.base import LegContext, SliceRecord, slice_schedule, venue_gone
from engine.algos.basic import cross_remaining
from engine.algos.jitter import jitter_sizes, jitter_starts
from engine.algos.params import leg_rng


@dataclass(frozen=True, slots=True)
class Slice:
    """One slice as the loop hands it to the algorithm's slice body."""

    index: int
    total: int
    target: Decimal  # cumulative leg quantity that should be filled by the end of this slice
    want: Decimal  # what is still due now: the slice plus any earlier shortfall
    ends_ts: float  # when the next slice starts (the horizon for the last)
    meta: dict[str, Any]


SliceBody = Callable[[LegContext, Slice], Awaitable[None]]


async def run_schedule(
    ctx: LegContext,
    body: SliceBody,
    *,
    slices: int | None,
    interval_s: float | None,
    decided_by: str,
    meta: dict[str, Any] | None = None,
    jitter: float = 0.0,
) -> None:
    """Run `body` once per slice of the leg's TWAP schedule (optionally jittered), then cross
    what is left if configured."""
    sizes, interval = slice_schedule(ctx, slices, interval_s)
    starts = [i * interval for i in range(len(sizes))]
    if jitter > 0:
        rng = leg_rng(ctx.settings, ctx.parent.parent_id, ctx.leg.venue)
        sizes = jitter_sizes(sizes, jitter, rng, ctx.instrument.step)
        starts = jitter_starts(starts, jitter, rng)
    await run_slices(
        ctx, body, sizes, starts, len(sizes) * interval, decided_by=decided_by, meta=meta
    )


async def run_slices(
    ctx: LegContext,
    body: SliceBody,
    sizes: list[Decimal],
    starts: list[float],
    horizon_s: float,
    *,
    decided_by: str,
    meta: dict[str, Any] | None = None,
    complete: bool = True,
) -> None:
    """Run `body` for each slice at its start (seconds from now), then cross what is left
    (when configured and `complete`: a participation cap forbids it)."""
    ctx.leg.slice_total = len(sizes)
    start = ctx.clock.now()
    ends = [*starts[1:], horizon_s]
    target = Decimal(0)
    for i, size in enumerate(sizes, 1):
        if ctx.stopped or venue_gone(ctx):
            return  # the engine re-routes or pauses the rest of the leg
        ctx.leg.slice_index = i
        target += size
        want = max(Decimal(0), min(target - ctx.leg.filled, ctx.leg.remaining))
        next_ts = start + ends[i - 1] if i < len(sizes) else None
        ctx.progress(next_slice_ts=next_ts, decided_by=decided_by, detail=f"slice {i}/{len(sizes)}")
        before = ctx.leg.filled
        if want > 0:
            slice_meta = {
                "twap_slice": i,
                "twap_total_slices": len(sizes),
                "twap_interval_seconds": ends[i - 1] - starts[i - 1],
                "parent_order_id": ctx.parent.parent_id,
                "decided_by": decided_by,
                **(meta or {}),
            }
            await body(ctx, Slice(i, len(sizes), target, want, start + ends[i - 1], slice_meta))
        ctx.leg.slices.append(SliceRecord(i, len(sizes), want, ctx.leg.filled - before, decided_by))
        if next_ts is not None and not await ctx.sleep(max(0.0, next_ts - ctx.clock.now())):
            return
    if (
        complete
        and ctx.leg.remaining > 0
        and ctx.settings.execution.complete_with_cross
        and not ctx.stopped
        and not venue_gone(ctx)
    ):
        await cross_remaining(ctx, {"completion": True, "parent_order_id": ctx.parent.parent_id})
