"""Read-only views the console shows: blotter rows, venue scores, book depth, live quote polling."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from engine.brokers.base import UnknownSymbol
from engine.execution.state import EngineState
from engine.routing.scores import hour_bucket, venue_scores

POLL_S = 0.25  # wall seconds between quote polls of one venue when no stream exists


async def blotter_rows(state: EngineState, limit: int) -> list[dict[str, Any]]:
    """Orders and fills from SQLite, newest first."""
    if state.store is None or not state.started:
        return []
    orders = [
        {"kind": "order", "ts": r.get("created_ts"), **r} for r in await state.store.children()
    ]
    fills = [{"kind": "fill", **r} for r in await state.store.fills()]
    rows = orders + fills
    rows.sort(key=lambda r: float(r.get("ts") or 0.0), reverse=True)
    return rows[:limit]


async def score_rows(state: EngineState, symbol: str) -> list[dict[str, Any]]:
    """Each venue's expected slippage for `symbol` this hour, with samples and source."""
    now = state.clock.now()
    store = state.store if state.started else None  # before start: static figures only
    scores = await venue_scores(store, list(state.brokers), symbol, now, state.settings.router)
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
    state: EngineState, venue: str, symbol: str, depth: int
) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
    if venue not in state.brokers:
        return [], []
    return await state.brokers[venue].book(symbol, depth)


async def poll_quotes(state: EngineState) -> None:
    """Live clock only: refresh every connected venue's quotes of the watched symbols; a failing
    venue is skipped, and a symbol a venue does not list is not asked for again."""
    unlisted: set[tuple[str, str]] = set()
    while True:
        for venue, ok in list(state.venue_connected.items()):
            if not ok:
                continue
            for sym in sorted(state.watched_symbols()):
                if (venue, sym) in unlisted:
                    continue
                try:
                    await state.market.quote(venue, sym)
                except UnknownSymbol:
                    unlisted.add((venue, sym))
                except Exception:  # next poll retries; the broker reports connectivity
                    continue
        await asyncio.sleep(POLL_S)
