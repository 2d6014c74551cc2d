"""Post-trade check of the pre-trade estimate: each finished parent's realised shortfall against
the 90% interval it was estimated with, and the share that fell inside (the calibration)."""

from __future__ import annotations

import json
from typing import Any

from engine.quality.sinks import SqlReader

LEVEL = 0.9
LISTED = 20  # the newest parents shown one by one


async def estimate_calibration(store: SqlReader, since_ts: float) -> dict[str, Any]:
    """Parents started since `since_ts` that carry an estimate and a realised shortfall."""
    rows = await store.query(
        "SELECT p.parent_id, p.algo, p.created_ts, p.ticket,"
        " COALESCE(p.shortfall_bps, m.shortfall_bps)"
        " FROM parents p LEFT JOIN parent_metrics m ON m.parent_id = p.parent_id"
        " WHERE p.created_ts >= ? AND p.ticket LIKE '%estimate_bps%'"
        " AND COALESCE(p.shortfall_bps, m.shortfall_bps) IS NOT NULL ORDER BY p.created_ts",
        (since_ts,),
    )
    parents = []
    for pid, algo, ts, ticket, realised in rows:
        t = ticket if isinstance(ticket, dict) else json.loads(ticket or "{}")
        mean, lo, hi = (float(x) for x in t["estimate_bps"])
        parents.append(
            {
                "parent_id": pid,
                "algo": algo,
                "created_ts": ts,
                "estimate_bps": round(mean, 4),
                "low_bps": round(lo, 4),
                "high_bps": round(hi, 4),
                "realised_bps": round(float(realised), 4),
                "inside": lo <= float(realised) <= hi,
            }
        )
    by_algo: dict[str, list[dict[str, Any]]] = {}
    for p in parents:
        by_algo.setdefault(p["algo"], []).append(p)
    return {
        "level": LEVEL,
        **_figures(parents),
        "by_algo": [{"algo": a, **_figures(ps)} for a, ps in sorted(by_algo.items())],
        "newest": parents[-LISTED:][::-1],
    }


def _figures(ps: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(ps)
    if not n:
        return {
            "parents": 0,
            "share_inside": None,
            "mean_estimate_bps": None,
            "mean_realised_bps": None,
        }
    return {
        "parents": n,
        "share_inside": sum(p["inside"] for p in ps) / n,
        "mean_estimate_bps": sum(p["estimate_bps"] for p in ps) / n,
        "mean_realised_bps": sum(p["realised_bps"] for p in ps) / n,
    }
