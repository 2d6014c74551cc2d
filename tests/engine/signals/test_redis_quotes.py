"""A venue that takes its quotes from Redis (market:quotes:{symbol}): the engine prices and routes on
them; a missing or stale quote makes that venue unavailable, named, never a made-up price."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
import redis.asyncio as aioredis

from engine.config import SignalsConfig
from engine.models import InputError, Side, Signal, Ticket
from engine.signals.quotes import take_quotes_from_redis


async def test_the_engine_routes_on_quotes_from_redis_and_a_stale_one_is_refused(
    redis_url, make_live_engine
):
    r = aioredis.from_url(redis_url)
    key = "qtest:quotes:AAPL"
    await r.hset(
        key,
        mapping={
            "bid": "150.00",
            "ask": "150.02",
            "bid_size": "500",
            "ask_size": "700",
            "ts": str(time.time()),
        },
    )
    cfg = SignalsConfig(
        redis_url=redis_url, quotes_venues=["V0"], quotes_key="qtest:quotes:{symbol}"
    )
    fresh = await make_live_engine(db="quotes.db", wrap=lambda b: take_quotes_from_redis(b, cfg))
    quote = await fresh.brokers["V0"].top_of_book("AAPL")
    assert (quote.bid, quote.ask, quote.ask_size, quote.venue) == (
        Decimal("150.00"),
        Decimal("150.02"),
        Decimal("700"),
        "V0",
    )
    plan = await fresh.plan(Ticket("AAPL", Side.BUY, Decimal(10), Signal(0.95), venue="V0"))
    assert plan.legs[0].ask == Decimal("150.02")
    await r.hset(key, "ts", str(time.time() - 120))
    with pytest.raises(InputError) as e:
        await fresh.plan(Ticket("AAPL", Side.BUY, Decimal(10), Signal(0.95), venue="V0"))
    assert "V0" in e.value.message and "s old" in e.value.message
    await r.delete(key)
    with pytest.raises(InputError) as e:
        await fresh.plan(Ticket("AAPL", Side.BUY, Decimal(10), Signal(0.95), venue="V0"))
    assert "no quote in Redis at qtest:quotes:AAPL" in e.value.message
    await r.aclose()


def test_quotes_from_redis_need_redis_and_known_venues():
    with pytest.raises(InputError) as e:
        take_quotes_from_redis({}, SignalsConfig(quotes_venues=["V0"]))
    assert e.value.field == "signals.redis_url"
    with pytest.raises(InputError) as e:
        take_quotes_from_redis(
            {}, SignalsConfig(redis_url="redis://127.0.0.1:1/0", quotes_venues=["NOPE"])
        )
    assert e.value.field == "signals.quotes_venues" and "NOPE" in e.value.message
