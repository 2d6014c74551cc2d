"""`tranche route`'s pre-trade estimate: the engine's own plan on the configured market, as JSON."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from engine.api import AlgoEstimate, CostEstimate, Plan
from engine.config import Settings
from engine.models import Ticket


async def _plan(settings: Settings, ticket: Ticket, db: str | Path | None) -> Plan:
    from engine.factory import build_engine

    # reads only: no recovery on start, the history opened only if it exists
    quiet = settings.model_copy(
        update={"recovery": settings.recovery.model_copy(update={"on_start": False})}
    )
    from engine.store.target import history_exists

    use_store = db is not None and history_exists(db)
    eng = build_engine(quiet, db_path=db if use_store else None, store=use_store)
    await eng.start()
    try:
        return await eng.plan(ticket)
    finally:
        await eng.stop()


def engine_plan(settings: Settings, ticket: Ticket, db: str | Path | None) -> Plan:
    return asyncio.run(_plan(settings, ticket, db))


def algo_dict(e: AlgoEstimate) -> dict[str, Any]:
    return {
        "algo": e.algo,
        "mean_bps": round(e.mean_bps, 4),
        "low_bps": round(e.low_bps, 4),
        "high_bps": round(e.high_bps, 4),
        "mean": str(e.mean_money),
        "low": str(e.low_money),
        "high": str(e.high_money),
        "duration_s": e.duration_s,
        "source": e.source,
        "samples": e.samples,
    }


def estimate_dict(est: CostEstimate) -> dict[str, Any]:
    """The `estimate` object: shortfall in bps and money with its 90% interval, per algorithm."""
    return {
        "level": est.level,
        "inputs": est.inputs,
        **algo_dict(est.chosen),
        "alternatives": [algo_dict(a) for a in est.alternatives],
    }


def estimate_lines(d: dict[str, Any]) -> list[str]:
    """The human rendering: one line per algorithm, the chosen one first."""
    out = [f"estimate (90% interval; {d['inputs']}):"]
    for row in [d, *d["alternatives"]]:
        mark = "*" if row is d else " "
        out.append(
            f" {mark}{row['algo']:<10} {row['mean_bps']:>7.2f} bps [{row['low_bps']:.2f}, {row['high_bps']:.2f}]"
            f"  {row['mean']} [{row['low']}, {row['high']}]  {row['duration_s']:g} s  {row['source']}"
        )
    return out
