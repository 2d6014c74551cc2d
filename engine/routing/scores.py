"""Learned venue scores: each venue's expected slippage from the trader's own fills."""

from __future__ import annotations

from typing import Protocol

from engine.config import RouterConfig
from engine.measures import hour_of_day
from engine.routing.sor import VenueScore


class ScoreHistory(Protocol):
    """The fill-history reads scoring makes: per venue this hour, and over every venue."""

    async def venue_slippage(
        self, *, symbol: str, hour_bucket: int, since_ts: float
    ) -> dict[str, tuple[float, int]]: ...

    async def global_slippage(
        self, *, symbol: str, since_ts: float
    ) -> tuple[float, int] | None: ...


hour_bucket = hour_of_day  # the hour of day, UTC, venue scores are kept in


async def venue_scores(
    store: ScoreHistory | None, venues: list[str], symbol: str, now: float, cfg: RouterConfig
) -> dict[str, VenueScore]:
    """Own history for (venue, symbol, hour), else the global median, else the static figure."""
    since = now - cfg.lookback_days * 86400
    own: dict[str, tuple[float, int]] = {}
    glob: tuple[float, int] | None = None
    if store is not None:
        own = await store.venue_slippage(
            symbol=symbol, hour_bucket=hour_bucket(now), since_ts=since
        )
        glob = await store.global_slippage(symbol=symbol, since_ts=since)
    out = {}
    for v in venues:
        if v in own and own[v][1] > 0:
            out[v] = VenueScore(v, own[v][0], own[v][1], "own")
        elif glob is not None and glob[1] > 0:
            out[v] = VenueScore(v, glob[0], 0, "global")
        else:
            out[v] = VenueScore(v, cfg.static_slippage_bps, 0, "static")
    return out
