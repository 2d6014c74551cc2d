"""The figures the router and the adaptive TWAP learn from: slippage medians over the fill history."""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.store.stats import grouped_weighted_medians, size_bucket, weighted_median


class LearnedFigures:
    """Queries over the fills table; the store supplies `_all` (rows from the read connection)."""

    async def _all(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    async def slippage_medians(
        self, *, since_ts: float, size_edges: tuple[float, float], min_samples: int
    ) -> dict[tuple[str, int, str], tuple[float, int]]:
        """(symbol, hour of day UTC, small|mid|large) -> (median slippage bps, fills).

        The size is the parent order's notional at arrival (what an algorithm knows when it
        plans), or the fill's own notional when the parent is unknown. Buckets with fewer than
        `min_samples` fills are left out: no evidence, no change.
        """
        rows = await self._all(
            "SELECT f.symbol, f.hour, f.slippage_bps,"
            " COALESCE(CAST(p.quantity AS REAL) * CAST(p.arrival_mid AS REAL), f.notional)"
            " FROM fills f LEFT JOIN parents p ON p.parent_id = f.parent_id WHERE f.ts >= ?",
            (since_ts,),
        )
        groups: dict[tuple[str, int, str], list[float]] = {}
        for symbol, hour, slip, size in rows:
            groups.setdefault((symbol, hour, size_bucket(size, size_edges)), []).append(slip)
        return {
            k: (float(np.median(v)), len(v)) for k, v in groups.items() if len(v) >= min_samples
        }

    async def venue_slippage(
        self, *, symbol: str, hour_bucket: int, since_ts: float
    ) -> dict[str, tuple[float, int]]:
        """venue -> (notional-weighted median slippage bps, fills) for `symbol` at that hour of day UTC."""
        rows = await self._all(
            "SELECT venue, slippage_bps, notional FROM fills"
            " WHERE symbol = ? AND hour = ? AND ts >= ?",
            (symbol, hour_bucket, since_ts),
        )
        return {str(k): v for k, v in grouped_weighted_medians(rows).items()}

    async def global_slippage(
        self, *, symbol: str | None, since_ts: float
    ) -> tuple[float, int] | None:
        """Notional-weighted median slippage over every venue (and hour); None without fills."""
        sql = "SELECT slippage_bps, notional FROM fills WHERE ts >= ?"
        params: tuple[Any, ...] = (since_ts,)
        if symbol is not None:
            sql, params = sql + " AND symbol = ?", (since_ts, symbol)
        rows = await self._all(sql, params)
        if not rows:
            return None
        return weighted_median([r[0] for r in rows], [r[1] for r in rows]), len(rows)
