"""The learned execution policy at run time: one table lookup per decision, EWMA spread model as fallback.

Market features come from quotes sampled every `rl.decision_step_s` on the engine clock (the
training grid's spacing). The venue gives no trade feed through the leg context, so trade flow is
inferred from the touch being eaten between samples (engine.learned.features.FeatureTracker).
`decided_by` in every child's meta: "policy" (a learned action), "defer" (the cell defers to the
baseline schedule, crossing or passive; meta "baseline" says which) or "ewma" (the fallback).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine.algos.base import LegContext, SliceRecord
from engine.algos.basic import cross_remaining, send_ioc
from engine.algos.pricing import crossing_price, mid_price, passive_price
from engine.learned.ewma import SpreadEwma, ewma_step
from engine.learned.features import FeatureTracker
from engine.learned.spaces import AGGRESSION_NAMES, AGGRESSIVE, MID, Action
from engine.learned.table import (
    DEFER_CODES,
    DEFER_NAMES,
    DEFER_PASSIVE,
    PolicyTable,
    TableError,
    load_table,
)
from engine.models import ChildOrder, OrderType, Quote, round_down

_CACHE: dict[str, PolicyTable | TableError] = {}


def policy_table(path: str) -> PolicyTable:
    """The table at `path` (empty: the packaged default), loaded once; raises TableError."""
    if path not in _CACHE:
        try:
            _CACHE[path] = load_table(path or None)
        except TableError as e:
            _CACHE[path] = e
    got = _CACHE[path]
    if isinstance(got, TableError):
        raise got
    return got


def _warn(ctx: LegContext, message: str) -> None:
    ctx.log("warning", f"{ctx.parent.parent_id}: {message}")
    ctx.progress(decided_by="ewma", detail=message)


async def run_policy(ctx: LegContext) -> None:
    """Slice and time the leg with the learned table; unusable table or unknown cell: EWMA model."""
    path = ctx.settings.algos.policy_path
    try:
        table: PolicyTable | None = policy_table(path)
    except TableError as e:
        table = None
        _warn(ctx, f"policy table unusable, EWMA spread model decides instead: {e}")
    await run_policy_with(ctx, table, path)


async def run_policy_with(ctx: LegContext, table: PolicyTable | None, path: str) -> None:
    cfg = ctx.settings.rl
    router = ctx.settings.router
    step = cfg.decision_step_s
    horizon = router.twap_interval_seconds * router.twap_num_slices
    start = ctx.clock.now()
    end = start + horizon
    tracker = FeatureTracker(step)
    ewma = SpreadEwma(cfg.ewma_half_life_s)
    live: ChildOrder | None = None
    warned = False
    decisions = 0
    mark = ctx.leg.filled  # the leg's fill when the current decision was taken
    next_decision = start
    sign = ctx.side.sign
    while not ctx.stopped and ctx.leg.remaining > 0 and ctx.clock.now() < end - 1e-9:
        q = await ctx.quote()
        now = ctx.clock.now()
        tracker.on_quote(now, float(q.bid), float(q.bid_size), float(q.ask), float(q.ask_size))
        spread, depth, flow, vol = tracker.market(sign)
        expected = ewma.update(spread, now)
        if now + 1e-9 < next_decision:
            await ctx.sleep(min(step, next_decision - now))
            continue
        filled_frac = float(ctx.leg.filled / ctx.leg.quantity)
        state = (spread, depth, flow, (end - now) / horizon, filled_frac, vol)
        action: Action | None = None
        cell, code = -1, -1
        if table is not None:
            cell, code = table.choose(state)
            action = table.actions[code] if code >= 0 else None
        baseline = DEFER_NAMES.get(code, "")
        if action is not None:
            decided_by, share, aggr, wait_s = (
                "policy",
                action.share,
                action.aggression,
                max(step, action.wait_ms / 1000),
            )
            # the action first: the progress pane's column is narrow
            detail = f"{action.label()} (cell {cell} [{table.cell_label(cell) if table else ''}])"
        else:
            if table is not None and code not in DEFER_CODES and not warned:
                _warn(
                    ctx, f"state cell {cell} never visited in training: EWMA spread model decides"
                )
                warned = True
            e = ewma_step(
                spread=spread,
                expected=expected,
                wide_factor=cfg.ewma_wide_factor,
                elapsed=now - start,
                horizon=horizon,
                slices=router.twap_num_slices,
                filled_frac=filled_frac,
                retry_s=cfg.ewma_retry_s,
                passive=code == DEFER_PASSIVE,
            )
            decided_by, share, aggr, wait_s, detail = (
                "defer" if baseline else "ewma",
                e.share,
                e.aggression,
                max(step, e.wait_s),
                f"{baseline} (cell {cell}): {e.reason}" if baseline else e.reason,
            )
        decisions += 1
        ctx.leg.slice_index = decisions
        ctx.progress(next_slice_ts=min(end, now + wait_s), decided_by=decided_by, detail=detail)
        meta: dict[str, Any] = {
            "parent_order_id": ctx.parent.parent_id,
            "decided_by": decided_by,
            "state_bucket": cell,
            "action": f"{share:.3g}/{AGGRESSION_NAMES[aggr]}/{int(wait_s * 1000)}ms",
            "decision": decisions,
        }
        if baseline:
            meta["baseline"] = baseline
        if table is not None:  # which training made the table: tabular or ppo
            meta["policy_source"] = str(table.meta.get("source", "tabular"))
        _close_decision(ctx, mark)
        mark = ctx.leg.filled
        live, working = await _act(ctx, q, live, share, aggr, meta)
        # total 0: the policy decides as it goes, no count is known in advance
        ctx.leg.slices.append(SliceRecord(decisions, 0, working, Decimal(0), decided_by))
        next_decision = now + wait_s
        await ctx.sleep(min(step, max(0.0, end - now)))
    if live is not None and live.status.is_open:
        await ctx.cancel(live)
    _close_decision(ctx, mark)
    ctx.leg.slice_total = decisions
    if ctx.leg.remaining > 0 and ctx.settings.execution.complete_with_cross and not ctx.stopped:
        by = "policy" if table is not None else "ewma"
        ctx.progress(decided_by=by, detail="horizon reached: crossing the remainder")
        await cross_remaining(
            ctx,
            {
                "completion": True,
                "parent_order_id": ctx.parent.parent_id,
                "decided_by": by,
                "state_bucket": -1,
                "action": "terminal cross",
            },
        )


async def _act(
    ctx: LegContext,
    q: Quote,
    live: ChildOrder | None,
    share: float,
    aggr: int,
    meta: dict[str, Any],
) -> tuple[ChildOrder | None, Decimal]:
    """Send the decided child; a resting child at the same price keeps its queue place.

    Returns the child left resting (if any) and the quantity this decision put to work."""
    if aggr == AGGRESSIVE:
        px = crossing_price(q, ctx.side, ctx.settings.execution.max_slippage_pct, ctx.instrument)
    elif aggr == MID:
        px = mid_price(q, ctx.side, ctx.instrument)
    else:
        px = passive_price(q, ctx.side, ctx.instrument)
    remaining = ctx.leg.remaining
    qty = round_down(remaining * Decimal(str(share)), ctx.instrument.step)
    if qty <= 0 < share:
        qty = min(remaining, ctx.instrument.step)
    if live is not None and live.status.is_open:
        if share > 0 and aggr != AGGRESSIVE and live.limit_price == px and qty <= live.remaining:
            return live, live.quantity
        await ctx.cancel(live)
    if share <= 0:
        return None, Decimal(0)
    if aggr == AGGRESSIVE:
        await send_ioc(ctx, qty, px, meta)
        return None, qty
    return await ctx.send(qty, order_type=OrderType.LIMIT, limit_price=px, meta=meta), qty


def _close_decision(ctx: LegContext, mark: Decimal) -> None:
    """A decision's row shows what the leg filled from it until the next decision (or the end)."""
    if ctx.leg.slices and ctx.leg.slices[-1].total == 0:
        ctx.leg.slices[-1].filled = ctx.leg.filled - mark


async def run_ewma(ctx: LegContext) -> None:
    """The spread model on its own (the "ewma" arm): the policy runtime with no table."""
    await run_policy_with(ctx, None, "")
