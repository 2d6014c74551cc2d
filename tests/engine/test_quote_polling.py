"""On a live clock the engine keeps quotes fresh for what the trader watches, on venues that list it."""

from __future__ import annotations

import asyncio
from collections import Counter
from decimal import Decimal

from engine.brokers.paper import PaperBroker
from engine.clock import LiveClock
from engine.config import Settings
from engine.engine import Engine
from engine.models import Quote


class CountingVenue(PaperBroker):
    """A paper venue that counts the quote requests it receives, listed symbols or not."""

    def __init__(self, *a, **k) -> None:
        super().__init__(*a, **k)
        self.asked: Counter[str] = Counter()

    async def top_of_book(self, symbol: str) -> Quote:
        self.asked[symbol] += 1
        return await super().top_of_book(symbol)


def ccxt_settings() -> Settings:
    s = Settings()
    return s.model_copy(update={"broker": s.broker.model_copy(update={"provider": "ccxt"})})


async def test_watched_symbols_are_polled_and_an_unlisted_one_is_asked_once() -> None:
    clock = LiveClock()
    venue = CountingVenue("V0", clock, prices={"BTCUSDT": Decimal(60000), "ETHUSDT": Decimal(3000)})
    eng = Engine(ccxt_settings(), clock, {"V0": venue})
    assert eng.watched == set()  # a real exchange is not asked for the simulator's symbols
    await eng.start()
    try:
        eng.watch("btcusdt")
        eng.watch("AAPL")  # not listed on this venue
        for _ in range(100):
            if venue.asked["BTCUSDT"] >= 3:
                break
            await asyncio.sleep(0.05)
        assert venue.asked["BTCUSDT"] >= 3
        assert venue.asked["AAPL"] == 1
        assert venue.asked["ETHUSDT"] == 0  # nobody watches it
        assert eng.market.quotes[("V0", "BTCUSDT")].bid > 0
    finally:
        await eng.stop()


def test_the_simulated_market_watches_its_own_symbols() -> None:
    s = Settings()
    eng = Engine(s, LiveClock(), {})
    assert eng.watched == set(s.sim.symbols)
