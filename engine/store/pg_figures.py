"""The learned figures grouped by PostgreSQL itself: only the buckets leave the server.

Plain medians are `percentile_cont(0.5)` (numpy's median); the notional-weighted (lower) median
is the first value, in value order, at which the running weight reaches half the total, as
`stats.weighted_median` defines it (no positive weight at all: the plain median).
"""

from __future__ import annotations

from typing import Any

from engine.store.backend import Backend

SIZE = "CASE WHEN size < ? THEN 'small' WHEN size < ? THEN 'mid' ELSE 'large' END"


async def slippage_medians(
    db: Backend, since_ts: float, edges: tuple[float, float], min_samples: int
) -> dict[tuple[str, int, str], tuple[float, int]]:
    rows = await db.rows(
        "SELECT symbol, hour, bucket, percentile_cont(0.5) WITHIN GROUP (ORDER BY slip), count(*)"
        f" FROM (SELECT f.symbol, f.hour, f.slippage_bps AS slip, {SIZE} AS bucket FROM"
        " (SELECT f.*, COALESCE(CAST(p.quantity AS DOUBLE PRECISION)"
        " * CAST(p.arrival_mid AS DOUBLE PRECISION), f.notional) AS size"
        " FROM fills f LEFT JOIN parents p ON p.parent_id = f.parent_id WHERE f.ts >= ?) f) b"
        " GROUP BY symbol, hour, bucket HAVING count(*) >= ?",
        (edges[0], edges[1], since_ts, min_samples),
    )
    return {(str(s), int(h), str(b)): (float(m), int(n)) for s, h, b, m, n in rows}


WEIGHTED = """
WITH r AS (
    SELECT {key} AS k, slippage_bps AS v, GREATEST(notional, 0) AS w FROM fills WHERE {where}
), s AS (
    SELECT k, v, sum(w) OVER (PARTITION BY k ORDER BY v ROWS UNBOUNDED PRECEDING) AS cum,
        sum(w) OVER (PARTITION BY k) / 2.0 AS half
    FROM r
), plain AS (
    SELECT k, percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS median, count(*) AS n
    FROM r GROUP BY k
)
SELECT s.k, CASE WHEN max(s.half) > 0 THEN min(s.v) FILTER (WHERE s.cum >= s.half)
    ELSE max(plain.median) END, max(plain.n)
FROM s JOIN plain ON plain.k = s.k GROUP BY s.k
"""


async def weighted_medians(
    db: Backend, key: str, where: str, params: tuple[Any, ...]
) -> dict[Any, tuple[float, int]]:
    """key -> (notional-weighted lower median of slippage, fills) over the fills `where` picks."""
    rows = await db.rows(WEIGHTED.format(key=key, where=where), params)
    return {k: (float(m), int(n)) for k, m, n in rows}
