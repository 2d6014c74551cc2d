"""Read-only views the console shows: blotter rows, venue scores, book depth, live quote polling."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from engine.brokers.base import UnknownSymbol
from engine.routing.scores import hour_bucket, venue_scores

if TYPE_CHECKING:
    from engine.engine import Engine

POLL_S = 0.25  # wall seconds between quote polls of one venue when no stream exists


async def blotter_rows(engine: Engine, limit: int) -> list[dict[str, Any]]:
    """Orders and fills from SQLite, newest first."""
    if engine.store is None or not engine.started:
        return []
    orders = [
        {"kind": "order", "ts": r.get("created_ts"), **r} for r in await engine.store.children()
    ]
    fills = [{"kind": "fill", **r} for r in await engine.store.fills()]
    rows = orders + fills
    rows.sort(key=lambda r: float(r.get("ts") or 0.0), reverse=True)
    return rows[:limit]


async def score_rows(engine: Engine, symbol: str) -> list[dict[str, Any]]:
    """Each venue's expected slippage for `symbol` this hour, with samples and source."""
    now = engine.clock.now()
    store = engine.store if engine.started else None  # before start: static figures only
    scores = await venue_scores(store, list(engine.brokers), symbol, now, engine.settings.router)
    return [
        {
            "venue": s.venue,
            "symbol": symbol,
            "hour": hour_bucket(now),
            "expected_slippage_bps": s.expected_slippage_bps,
            "samples": s.samples,
            "source": s.source,
        }
        for s in scores.values()
    ]


async def book_depth(
    engine: Engine, venue: str, symbol: str, depth: int
) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
    if venue not in engine.brokers:
        return [], []
    return await engine.brokers[venue].book(symbol, depth)


async def poll_quotes(engine: Engine) -> None:
    """Live clock only: refresh every connected venue's quotes of the watched symbols; a failing
    venue is skipped, and a symbol a venue does not list is not asked for again."""
    unlisted: set[tuple[str, str]] = set()
    while True:
        for venue, ok in list(engine.venue_connected.items()):
            if not ok:
                continue
            for sym in sorted(engine.watched_symbols()):
                if (venue, sym) in unlisted:
                    continue
                try:
                    await engine.market.quote(venue, sym)
                except UnknownSymbol:
                    unlisted.add((venue, sym))
                except Exception:  # next poll retries; the broker reports connectivity
                    continue
        await asyncio.sleep(POLL_S)
