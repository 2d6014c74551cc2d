"""The figures the router and the adaptive TWAP learn from: slippage medians over the fill history."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np

from engine.measures import size_bucket
from engine.store import pg_figures
from engine.store.backend import Backend
from engine.store.stats import grouped_weighted_medians, weighted_median

STALE_SHARE = 0.02  # a figure is read again once the fills since its read exceed 2% of its sample
STALE_S = 60.0  # and at least this often (other processes write the same file; the window moves)


def window(since_ts: float) -> int:
    """A look-back's start to 10 minutes: a 30-day window that moved a little is the same figure."""
    return int(since_ts // 600)


class LearnedFigures:
    """Queries over the fills table; the store supplies `_all` (rows from the read connection).

    Each figure is a median over the whole look-back (30 days of fills): read once per parent it
    made the per-order cost grow with the history (issue 15). A figure is kept until the fills
    recorded since its read exceed `STALE_SHARE` of the fills it was computed from, or `STALE_S`
    passes: with a small history every new fill refreshes it, with a large one the median could
    only have moved by a few new samples in a thousand."""

    _fills_recorded: int = 0  # fills this process has queued; the store counts them
    _figures: dict[tuple[Any, ...], tuple[Any, int, int, float]] | None = None
    _reads: dict[tuple[Any, ...], asyncio.Future[None]]  # the read under way per key

    async def _all(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _server(self) -> Backend | None:
        """The backend when it groups in SQL itself (PostgreSQL); None for SQLite."""
        return None

    async def _kept(self, key: tuple[Any, ...], read: Any, samples: Any) -> Any:
        """The figure under `key`, read again only when stale (see the class docstring).

        One read per key at a time: callers that find it stale while it is being read wait for
        that read and judge its result (signals decided 64 at once each re-read the same medians,
        and the reads queued behind each other for a second)."""
        if self._figures is None:
            self._figures = {}
            self._reads = {}
        while True:
            hit = self._figures.get(key)
            if hit is not None:
                value, n, at_fill, at = hit
                fresh = time.monotonic() - at < STALE_S
                if fresh and self._fills_recorded - at_fill <= STALE_SHARE * n:
                    return value
            under_way = self._reads.get(key)
            if under_way is None:
                break
            await asyncio.shield(under_way)
        done = asyncio.get_running_loop().create_future()
        self._reads[key] = done
        at_fill, at = self._fills_recorded, time.monotonic()  # what this read can have seen
        try:
            value = await read()
            self._figures[key] = (value, samples(value), at_fill, at)
        finally:
            del self._reads[key]
            done.set_result(None)
        return value

    async def slippage_medians(
        self, *, since_ts: float, size_edges: tuple[float, float], min_samples: int
    ) -> dict[tuple[str, int, str], tuple[float, int]]:
        """(symbol, hour of day UTC, small|mid|large) -> (median slippage bps, fills).

        The size is the parent order's notional at arrival (what an algorithm knows when it
        plans), or the fill's own notional when the parent is unknown. Buckets with fewer than
        `min_samples` fills are left out: no evidence, no change.
        """
        return await self._kept(  # type: ignore[no-any-return]
            ("medians", window(since_ts), size_edges, min_samples),
            lambda: self._slippage_medians(since_ts, size_edges, min_samples),
            lambda v: sum(n for _, n in v.values()),
        )

    async def _slippage_medians(
        self, since_ts: float, size_edges: tuple[float, float], min_samples: int
    ) -> dict[tuple[str, int, str], tuple[float, int]]:
        if (server := self._server()) is not None:
            return await pg_figures.slippage_medians(server, since_ts, size_edges, min_samples)
        rows = await self._all(
            "SELECT f.symbol, f.hour, f.slippage_bps,"
            " COALESCE(CAST(p.quantity AS DOUBLE PRECISION) * CAST(p.arrival_mid AS DOUBLE PRECISION), f.notional)"
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
        return await self._kept(  # type: ignore[no-any-return]
            ("venue", symbol, hour_bucket, window(since_ts)),
            lambda: self._venue_slippage(symbol, hour_bucket, since_ts),
            lambda v: sum(n for _, n in v.values()),
        )

    async def _venue_slippage(
        self, symbol: str, hour_bucket: int, since_ts: float
    ) -> dict[str, tuple[float, int]]:
        if (server := self._server()) is not None:
            return await pg_figures.weighted_medians(
                server,
                "venue",
                "symbol = ? AND hour = ? AND ts >= ?",
                (symbol, hour_bucket, since_ts),
            )
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
        return await self._kept(  # type: ignore[no-any-return]
            ("global", symbol, window(since_ts)),
            lambda: self._global_slippage(symbol, since_ts),
            lambda v: 0 if v is None else v[1],
        )

    async def _global_slippage(
        self, symbol: str | None, since_ts: float
    ) -> tuple[float, int] | None:
        if (server := self._server()) is not None:
            where, args = ("ts >= ?", (since_ts,)) if symbol is None else (
                "ts >= ? AND symbol = ?", (since_ts, symbol))  # fmt: skip
            found = await pg_figures.weighted_medians(server, "'all'", where, args)
            return found.get("all")
        sql = "SELECT slippage_bps, notional FROM fills WHERE ts >= ?"
        params: tuple[Any, ...] = (since_ts,)
        if symbol is not None:
            sql, params = sql + " AND symbol = ?", (since_ts, symbol)
        rows = await self._all(sql, params)
        if not rows:
            return None
        return weighted_median([r[0] for r in rows], [r[1] for r in rows]), len(rows)
