"""The latest quote per venue and symbol, and concurrent probes with a timeout."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from engine.brokers.base import Broker, BrokerError
from engine.clock import Clock
from engine.events import Event, QuoteUpdated
from engine.models import Quote


class MarketState:
    """Quotes as the engine last saw them; a probe refreshes every venue at once."""

    def __init__(
        self,
        brokers: dict[str, Broker],
        clock: Clock,
        publish: Callable[[Event], None],
        timeout_s: float,
    ) -> None:
        self.brokers = brokers
        self.clock = clock
        self.publish = publish
        self.timeout_s = timeout_s
        self.quotes: dict[tuple[str, str], Quote] = {}

    async def quote(self, venue: str, symbol: str) -> Quote:
        q = await self.brokers[venue].top_of_book(symbol)
        self._store(q)
        return q

    def push(self, q: Quote) -> None:
        """A quote the venue streamed: kept and published like one the engine asked for."""
        self._store(q)

    def _store(self, q: Quote) -> None:
        self.quotes[(q.venue, q.symbol)] = q
        self.publish(QuoteUpdated(self.clock.now(), q))

    async def probe(
        self, symbol: str, venues: list[str] | None = None
    ) -> tuple[dict[str, Quote], list[tuple[str, str]]]:
        """Top of book on every venue concurrently; a venue that fails or is slow is reported, not awaited."""
        names = venues if venues is not None else list(self.brokers)

        async def one(v: str) -> Quote:
            if self.clock.simulated:
                return await self.brokers[v].top_of_book(symbol)
            return await asyncio.wait_for(self.brokers[v].top_of_book(symbol), self.timeout_s)

        results = await asyncio.gather(*(one(v) for v in names), return_exceptions=True)
        quotes: dict[str, Quote] = {}
        failed: list[tuple[str, str]] = []
        for v, r in zip(names, results, strict=True):
            if isinstance(r, Quote):
                quotes[v] = r
                self._store(r)
            elif isinstance(r, TimeoutError | asyncio.TimeoutError):
                failed.append((v, f"no quote within {self.timeout_s:g} s"))
            elif isinstance(r, BrokerError):
                failed.append((v, r.message))
            elif isinstance(r, BaseException):
                failed.append((v, f"{type(r).__name__}: {r}"))
        return quotes, failed
