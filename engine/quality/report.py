"""The execution-quality report over the fill history.

Both stores keep the fills' columns packed in blocks (SQLite: engine/store/fill_blocks.py;
PostgreSQL: engine/store/pg_blocks.py) and hand over the window's arrays; numpy aggregates them,
so both give the same figures, bit for bit, for the same fills written in the same order.
`report_in_sql` is the earlier PostgreSQL path (grouped by percentile_cont on the server), kept
as the benchmark's reference; it gives the same figures to rounding.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.quality import report_sql
from engine.quality.sinks import SqlReader

# What a fill is grouped by: a column of the fills table ("day" is derived from ts, UTC).
GROUP_KEYS: dict[str, str] = {
    "venue": "venue",
    "symbol": "symbol",
    "algo": "algo",
    "hour": "hour",  # hour of day, UTC
    "day": "0",  # calendar day, UTC: taken from the day column below
}
LATENCY_BINS = report_sql.LATENCY_BINS


def _group_figures(
    key: Any, notional: np.ndarray, slip: np.ndarray, arrival: np.ndarray, latency: np.ndarray
) -> dict[str, Any]:
    """One group's figures; every array holds this group's fills only (at least one)."""
    p50_slip, p90_slip = np.percentile(slip, [50, 90])
    p50_lat, p99_lat = np.percentile(latency, [50, 99])
    return {
        "key": key,
        "fills": int(slip.size),
        "notional": float(notional.sum()),
        "mean_slippage_bps": float(slip.mean()),
        "median_slippage_bps": float(p50_slip),
        "p90_slippage_bps": float(p90_slip),
        "mean_arrival_slippage_bps": float(arrival.mean()),
        "median_arrival_slippage_bps": float(np.median(arrival)),
        "p50_latency_ms": float(p50_lat),
        "p99_latency_ms": float(p99_lat),
    }


def aggregate(
    keys: np.ndarray,
    notional: np.ndarray,
    slip: np.ndarray,
    arrival: np.ndarray,
    latency: np.ndarray,
) -> list[dict[str, Any]]:
    """Figures per distinct key (small integers), sorted by key: one counting pass and one
    stable radix sort of the keys, then each group's fills as one gathered slice."""
    if keys.size == 0:
        return []
    base, codes = _dense(keys)
    counts = np.bincount(codes)
    present = np.flatnonzero(counts)
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(counts[present])[:-1]
    groups = []
    for code, idx in zip(present, np.split(order, bounds), strict=True):
        key = int(code) + base
        groups.append(_group_figures(key, notional[idx], slip[idx], arrival[idx], latency[idx]))
    return groups


def _dense(keys: np.ndarray) -> tuple[int, np.ndarray]:
    """Keys shifted to start at 0, in the narrowest unsigned type (numpy radix-sorts those)."""
    base = int(keys.min())
    span = int(keys.max()) - base
    dtype = np.uint8 if span < 1 << 8 else np.uint16 if span < 1 << 16 else np.int64
    return base, (keys - base).astype(dtype) if base else keys.astype(dtype, copy=False)


def day_label(day: int) -> str:
    """Days since the epoch -> 'YYYY-MM-DD' (UTC)."""
    return str(np.datetime64(int(day), "D"))


async def build_report(store: SqlReader, *, since_ts: float, by: str = "venue") -> dict[str, Any]:
    """Counts, notional, slippage and latency percentiles per group; shortfall per algorithm; alerts."""
    if by not in GROUP_KEYS:
        from engine.models import InputError

        raise InputError("by", f"expected one of {', '.join(GROUP_KEYS)}, got {by!r}")
    report = await _report_from_columns(store, since_ts, by)
    report["alerts"] = await _alert_counts(store, since_ts)
    return report


async def report_in_sql(store: SqlReader, since_ts: float, by: str) -> dict[str, Any]:
    """PostgreSQL only: every figure grouped by the server (percentile_cont), the groups sent."""
    groups, total = await report_sql.groups_in_sql(store, since_ts, by)
    if by == "day":
        for g in groups:
            g["key"] = day_label(g["key"])
    daily = await report_sql.daily_in_sql(store, since_ts)
    return {
        "since_ts": since_ts,
        "by": by,
        "fills": total["fills"] if total else 0,
        "groups": groups,
        "total": total,
        "latency_histogram": await report_sql.latency_histogram_in_sql(store, since_ts),
        "daily": [
            {"day": day_label(d), "fills": n, "mean_slippage_bps": s, "notional": v}
            for d, n, s, v in daily
        ],
        "shortfall": await report_sql.shortfall_in_sql(store, since_ts),
    }


async def _report_from_columns(store: SqlReader, since_ts: float, by: str) -> dict[str, Any]:
    """The window's packed columns (no Python object per fill), aggregated with numpy."""
    cols = await store.fill_window(since_ts)
    f = cols.floats
    nums = (f["notional"], f["slippage_bps"], f["arrival_slippage_bps"], f["latency_ms"])
    day = (f["ts"] / 86400).astype(np.int64)  # as SQL's CAST(ts / 86400 AS INTEGER)
    key = day if by == "day" else cols.hour if by == "hour" else cols.codes[by]
    labels = cols.labels.get(by)
    report: dict[str, Any] = {"since_ts": since_ts, "by": by, "fills": cols.size}
    groups = aggregate(key, *nums)
    for g in groups:
        g["key"] = day_label(g["key"]) if by == "day" else labels[g["key"]] if labels else g["key"]
    groups.sort(key=lambda g: g["key"])
    report["groups"] = groups
    report["total"] = _group_figures("all", *nums) if cols.size else None
    hist: dict[str, list[Any]] = {"edges_ms": [], "counts": []}
    if cols.size:
        counts, edges = np.histogram(nums[3], bins=LATENCY_BINS)
        hist = {"edges_ms": edges.tolist(), "counts": counts.tolist()}
    report["latency_histogram"] = hist
    report["daily"] = _daily(day, nums[0], nums[1])
    report["shortfall"] = await _shortfall_by_algo(store, since_ts)
    return report


def _daily(day: np.ndarray, notional: np.ndarray, slip: np.ndarray) -> list[dict[str, Any]]:
    """Fills, mean slippage and notional per UTC day: the slippage-over-time chart."""
    if not day.size:
        return []
    base, codes = _dense(day)
    n = np.bincount(codes)
    present = np.flatnonzero(n)
    mean_slip = np.bincount(codes, weights=slip)[present] / n[present]
    total = np.bincount(codes, weights=notional)[present]
    return [
        {"day": day_label(int(d) + base), "fills": int(c), "mean_slippage_bps": float(s),
         "notional": float(v)}
        for d, c, s, v in zip(present, n[present], mean_slip, total, strict=True)
    ]  # fmt: skip


async def _shortfall_by_algo(store: SqlReader, since_ts: float) -> list[dict[str, Any]]:
    """Implementation shortfall per algorithm over the parents that started in the window."""
    rows = await store.query(
        "SELECT p.algo, COALESCE(p.shortfall_bps, m.shortfall_bps),"
        " CAST(p.filled_qty AS REAL) / CAST(p.quantity AS REAL), m.fallback_share"
        " FROM parents p LEFT JOIN parent_metrics m ON m.parent_id = p.parent_id"
        " WHERE p.created_ts >= ? AND COALESCE(p.shortfall_bps, m.shortfall_bps) IS NOT NULL"
        " ORDER BY p.algo",
        (since_ts,),
    )
    by_algo: dict[str, list[tuple[float, float, float | None]]] = {}
    for algo, shortfall, fill_rate, fallback in rows:
        by_algo.setdefault(algo, []).append((shortfall, fill_rate, fallback))
    out = []
    for algo, items in by_algo.items():
        sf = np.array([i[0] for i in items], dtype=float)
        fb = [i[2] for i in items if i[2] is not None]
        out.append(
            {
                "algo": algo,
                "parents": len(items),
                "mean_shortfall_bps": float(sf.mean()),
                "median_shortfall_bps": float(np.median(sf)),
                "mean_fill_rate": float(np.mean([i[1] for i in items])),
                "fallback_share": float(np.mean(fb)) if fb else None,
            }
        )
    return out


async def _alert_counts(store: SqlReader, since_ts: float) -> dict[str, Any]:
    rows = await store.query(
        "SELECT kind, COUNT(*) FROM alerts WHERE ts >= ? GROUP BY kind ORDER BY kind", (since_ts,)
    )
    by_kind = {str(k): int(n) for k, n in rows}
    return {"total": sum(by_kind.values()), "by_kind": by_kind}
