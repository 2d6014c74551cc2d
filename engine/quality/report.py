"""The execution-quality report over the fill history.

PostgreSQL groups in SQL (report_sql.py). SQLite has no percentile function and scans in-process
anyway, so there SQL filters the window and numpy aggregates columns read in chunks (no list of
row tuples). Both give the same figures for the same fills (percentiles interpolate linearly).
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
NUMERIC = ["i8", "i8", "f8", "f8", "f8", "f8"]  # key, day, notional, slippage, arrival, latency


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
    """Figures per distinct key, sorted by key; sorting once beats masking once per group."""
    if keys.size == 0:
        return []
    uniq, inv = np.unique(keys, return_inverse=True)
    order = np.argsort(inv, kind="stable")
    bounds = np.cumsum(np.bincount(inv, minlength=uniq.size))[:-1]
    groups = []
    for key, idx in zip(uniq, np.split(order, bounds), strict=True):
        plain = key.item() if hasattr(key, "item") else key
        groups.append(_group_figures(plain, notional[idx], slip[idx], arrival[idx], latency[idx]))
    return groups


def day_label(day: int) -> str:
    """Days since the epoch -> 'YYYY-MM-DD' (UTC)."""
    return str(np.datetime64(int(day), "D"))


async def build_report(store: SqlReader, *, since_ts: float, by: str = "venue") -> dict[str, Any]:
    """Counts, notional, slippage and latency percentiles per group; shortfall per algorithm; alerts."""
    if by not in GROUP_KEYS:
        from engine.models import InputError

        raise InputError("by", f"expected one of {', '.join(GROUP_KEYS)}, got {by!r}")
    if store.dialect == "postgresql":
        report = await _report_in_sql(store, since_ts, by)
    else:
        report = await _report_from_columns(store, since_ts, by)
    report["alerts"] = await _alert_counts(store, since_ts)
    return report


async def _report_in_sql(store: SqlReader, since_ts: float, by: str) -> dict[str, Any]:
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
    """One scan of the window: the key as a small integer code and the figures, straight into numpy."""
    hint = await _scan_hint(store, since_ts)
    key_sql, params, labels = await _key_code(store, by)
    key, day, *nums = await store.columns(
        f"SELECT {key_sql}, CAST(ts / 86400 AS INTEGER), notional, slippage_bps,"
        f" arrival_slippage_bps, latency_ms FROM fills {hint} WHERE ts >= ?",
        (*params, since_ts),
        NUMERIC,
    )
    report: dict[str, Any] = {"since_ts": since_ts, "by": by, "fills": int(day.size)}
    groups = aggregate(key, *nums)
    for g in groups:
        g["key"] = day_label(g["key"]) if by == "day" else labels[g["key"]] if labels else g["key"]
    groups.sort(key=lambda g: g["key"])
    report["groups"] = groups
    report["total"] = _group_figures("all", *nums) if day.size else None
    hist: dict[str, list[Any]] = {"edges_ms": [], "counts": []}
    if day.size:
        counts, edges = np.histogram(nums[3], bins=LATENCY_BINS)
        hist = {"edges_ms": edges.tolist(), "counts": counts.tolist()}
    report["latency_histogram"] = hist
    report["daily"] = _daily(day, nums[0], nums[1])
    report["shortfall"] = await _shortfall_by_algo(store, since_ts)
    return report


async def _key_code(store: SqlReader, by: str) -> tuple[str, tuple[Any, ...], list[Any]]:
    """SQL giving each fill's group as an integer, its parameters, and the labels by code
    (none when the code is the key itself): no Python string per row."""
    if by in ("day", "hour"):
        return ("CAST(ts / 86400 AS INTEGER)" if by == "day" else "hour"), (), []
    col = GROUP_KEYS[by]
    labels = [r[0] for r in await store.query(f"SELECT DISTINCT {col} FROM fills", ())]
    if not labels:
        return "0", (), []
    case = " ".join(f"WHEN ? THEN {i}" for i in range(len(labels)))
    return f"CASE {col} {case} END", tuple(labels), labels


async def _scan_hint(store: SqlReader, since_ts: float) -> str:
    """Read the whole table in order when the window is most of it; the ts index otherwise."""
    first, last = (await store.query("SELECT min(ts), max(ts) FROM fills", ()))[0]
    if first is None or since_ts <= first or since_ts <= first + (last - first) / 2:
        return "NOT INDEXED"
    return ""


def _daily(day: np.ndarray, notional: np.ndarray, slip: np.ndarray) -> list[dict[str, Any]]:
    """Fills, mean slippage and notional per UTC day: the slippage-over-time chart."""
    if not day.size:
        return []
    days, inv = np.unique(day, return_inverse=True)
    n = np.bincount(inv)
    mean_slip = np.bincount(inv, weights=slip) / n
    total = np.bincount(inv, weights=notional)
    return [
        {"day": day_label(d), "fills": int(c), "mean_slippage_bps": float(s), "notional": float(v)}
        for d, c, s, v in zip(days, n, mean_slip, total, strict=True)
    ]


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
