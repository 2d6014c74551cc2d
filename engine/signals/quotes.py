"""A venue that takes its market data from Redis: top of book from the hash `market:quotes:{symbol}`
(fields bid, ask, bid_size, ask_size, ts), orders still to the venue itself.

For a trader whose own feed handler already writes quotes to Redis: the router, the Kelly price
and the risk gate then use those. A missing, malformed or stale quote is the venue's quote being
unavailable (named), never a price made up.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import redis.asyncio as aioredis

from engine.brokers.base import Broker, VenueUnavailable
from engine.config import SignalsConfig
from engine.models import InputError, Quote, to_decimal
from engine.signals.redis_in import LOST, close_quietly, redis_client


def text_of(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def parse_quote(venue: str, symbol: str, fields: dict[Any, Any]) -> Quote:
    """The hash as a Quote; a bad field is an InputError naming it."""
    text = {text_of(k): text_of(v) for k, v in fields.items()}
    for key in ("bid", "ask"):
        if key not in text:
            raise InputError(key, "missing from the quote hash")
    bid, ask = to_decimal(text["bid"], "bid"), to_decimal(text["ask"], "ask")
    if ask < bid:
        raise InputError("ask", f"crossed quote: ask {ask} below bid {bid}")
    sizes = [to_decimal(text.get(k, "0"), k, allow_zero=True) for k in ("bid_size", "ask_size")]
    ts = float(to_decimal(text.get("ts", "0"), "ts", allow_zero=True))
    return Quote(venue, symbol, bid, ask, sizes[0], sizes[1], ts)


class RedisQuoted(Broker):
    """Wraps a venue: `top_of_book` from Redis, everything else (orders, fills, cash) from it."""

    def __init__(
        self, inner: Broker, cfg: SignalsConfig, client: Callable[[], aioredis.Redis] | None = None
    ) -> None:
        super().__init__(inner.name)
        self.inner = inner
        self.cfg = cfg
        self.capabilities = inner.capabilities
        self._conn = (client or (lambda: redis_client(cfg)))()

    def on_update(self, handler: Any) -> None:
        self.inner.on_update(handler)

    def on_state(self, handler: Any) -> None:
        self.inner.on_state(handler)

    async def connect(self) -> None:
        await self.inner.connect()

    async def close(self) -> None:
        await close_quietly(self._conn)
        await self.inner.close()

    async def top_of_book(self, symbol: str) -> Quote:
        key = self.cfg.quotes_key.format(symbol=symbol)
        try:
            fields = await self._conn.hgetall(key)
        except LOST as e:
            raise VenueUnavailable(self.name, f"quotes from Redis: {e}") from None
        if not fields:
            raise VenueUnavailable(self.name, f"no quote in Redis at {key}")
        try:
            quote = parse_quote(self.name, symbol, fields)
        except InputError as e:
            raise VenueUnavailable(self.name, f"bad quote at {key}: {e}") from None
        age = time.time() - quote.ts
        if age > self.cfg.max_age_s:
            raise VenueUnavailable(self.name, f"quote at {key} is {age:.0f} s old")
        return quote

    async def instrument(self, symbol: str) -> Any:
        return await self.inner.instrument(symbol)

    async def submit(self, order: Any) -> Any:
        return await self.inner.submit(order)

    async def cancel(self, order: Any) -> None:
        await self.inner.cancel(order)

    async def cancel_all(self) -> list[str] | None:
        return await self.inner.cancel_all()

    async def order_status(self, order: Any) -> Any:
        return await self.inner.order_status(order)

    async def open_orders(self) -> Any:
        return await self.inner.open_orders()

    async def positions(self) -> Any:
        return await self.inner.positions()

    async def portfolio(self) -> Any:
        return await self.inner.portfolio()

    async def health(self) -> Any:
        return await self.inner.health()

    async def adv(self, symbol: str) -> Decimal | None:
        return await self.inner.adv(symbol)

    async def symbols(self) -> list[str]:
        return await self.inner.symbols()


def take_quotes_from_redis(brokers: dict[str, Broker], cfg: SignalsConfig) -> list[str]:
    """Wrap the venues `signals.quotes_venues` names (before the engine starts); unknown ones raise."""
    if cfg.quotes_venues and not cfg.redis_url:
        raise InputError("signals.redis_url", "signals.quotes_venues needs Redis: set its URL")
    unknown = [v for v in cfg.quotes_venues if v not in brokers]
    if unknown:
        raise InputError(
            "signals.quotes_venues",
            f"unknown venue(s) {', '.join(unknown)}; configured: {', '.join(brokers)}",
        )
    for name in cfg.quotes_venues:
        brokers[name] = RedisQuoted(brokers[name], cfg)
    return list(cfg.quotes_venues)
