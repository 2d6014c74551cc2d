"""The report's grouping done by PostgreSQL: one scan per figure set, percentiles with percentile_cont.

Nothing but the groups leaves the server, so memory does not grow with the history. Percentiles
are `percentile_cont` (linear between the two nearest ranks: numpy's default, which the SQLite
path uses), so both backends give the same figures for the same fills.
"""

from __future__ import annotations

from typing import Any

from engine.quality.sinks import SqlReader

LATENCY_BINS = 20
# what a fill is grouped by, as a PostgreSQL expression over the fills table
KEY_SQL = {
    "venue": "venue",
    "symbol": "symbol",
    "algo": "algo",
    "hour": "hour",
    "day": "CAST(floor(ts / 86400) AS BIGINT)",
}
# one sort per column: the percentiles of a column are asked for together, as an array
FIGURES = (
    "count(*), sum(notional), avg(slippage_bps),"
    " percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY slippage_bps),"
    " avg(arrival_slippage_bps),"
    " percentile_cont(0.5) WITHIN GROUP (ORDER BY arrival_slippage_bps),"
    " percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY latency_ms)"
)
NAMES = (
    "fills", "notional", "mean_slippage_bps", "median_slippage_bps", "p90_slippage_bps",
    "mean_arrival_slippage_bps", "median_arrival_slippage_bps", "p50_latency_ms", "p99_latency_ms",
)  # fmt: skip


def _figures(key: Any, values: tuple[Any, ...]) -> dict[str, Any]:
    n, notional, mean, (p50, p90), arrival, arrival_p50, (lat50, lat99) = values
    flat = (n, notional, mean, p50, p90, arrival, arrival_p50, lat50, lat99)
    out: dict[str, Any] = {"key": key}
    for name, v in zip(NAMES, flat, strict=True):
        out[name] = int(v) if name == "fills" else float(v)
    return out


async def groups_in_sql(
    store: SqlReader, since_ts: float, by: str
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Figures per group and over all fills, in one scan (grouping sets)."""
    rows = await store.query(
        f"SELECT GROUPING({KEY_SQL[by]}), {KEY_SQL[by]}, {FIGURES} FROM fills WHERE ts >= ?"
        f" GROUP BY GROUPING SETS (({KEY_SQL[by]}), ()) ORDER BY 1, 2",
        (since_ts,),
    )
    groups = [_figures(r[1], r[2:]) for r in rows if r[0] == 0]
    total = [_figures("all", r[2:]) for r in rows if r[0] == 1 and r[2]]
    return groups, (total[0] if total else None)


async def latency_histogram_in_sql(store: SqlReader, since_ts: float) -> dict[str, list[Any]]:
    """numpy.histogram's 20 equal bins between the smallest and largest latency, counted in SQL."""
    [(lo, hi)] = await store.query(
        "SELECT min(latency_ms), max(latency_ms) FROM fills WHERE ts >= ?", (since_ts,)
    )
    if lo is None:
        return {"edges_ms": [], "counts": []}
    if lo == hi:  # numpy widens a zero range by 0.5 on each side
        lo, hi = lo - 0.5, hi + 0.5
    width = (hi - lo) / LATENCY_BINS
    rows = await store.query(
        "SELECT LEAST(CAST(floor((latency_ms - ?) / ?) AS INTEGER), ?), count(*)"
        " FROM fills WHERE ts >= ? GROUP BY 1",
        (lo, width, LATENCY_BINS - 1, since_ts),
    )
    counts = [0] * LATENCY_BINS
    for b, n in rows:
        counts[int(b)] += int(n)
    edges = [lo + i * width for i in range(LATENCY_BINS)] + [hi]
    return {"edges_ms": edges, "counts": counts}


async def daily_in_sql(store: SqlReader, since_ts: float) -> list[tuple[int, int, float, float]]:
    """(day since the epoch, fills, mean slippage, notional) per UTC day."""
    rows = await store.query(
        "SELECT CAST(floor(ts / 86400) AS BIGINT), count(*), avg(slippage_bps), sum(notional)"
        " FROM fills WHERE ts >= ? GROUP BY 1 ORDER BY 1",
        (since_ts,),
    )
    return [(int(d), int(n), float(s), float(v)) for d, n, s, v in rows]


async def shortfall_in_sql(store: SqlReader, since_ts: float) -> list[dict[str, Any]]:
    """Implementation shortfall per algorithm over the parents that started in the window."""
    rows = await store.query(
        "WITH p AS (SELECT p.algo, COALESCE(p.shortfall_bps, m.shortfall_bps) AS sf,"
        " CAST(p.filled_qty AS DOUBLE PRECISION) / CAST(p.quantity AS DOUBLE PRECISION) AS rate,"
        " m.fallback_share AS fb"
        " FROM parents p LEFT JOIN parent_metrics m ON m.parent_id = p.parent_id"
        " WHERE p.created_ts >= ? AND COALESCE(p.shortfall_bps, m.shortfall_bps) IS NOT NULL)"
        " SELECT algo, count(*), avg(sf), percentile_cont(0.5) WITHIN GROUP (ORDER BY sf),"
        " avg(rate), avg(fb) FROM p GROUP BY algo ORDER BY algo",
        (since_ts,),
    )
    return [
        {
            "algo": algo,
            "parents": int(n),
            "mean_shortfall_bps": float(mean),
            "median_shortfall_bps": float(median),
            "mean_fill_rate": float(rate),
            "fallback_share": None if fb is None else float(fb),
        }
        for algo, n, mean, median, rate, fb in rows
    ]
