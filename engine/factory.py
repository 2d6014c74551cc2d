"""Builds an engine from settings: the configured venues, the store, the clock."""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from engine.brokers.base import Broker
from engine.brokers.paper import PaperBroker, demo_paper_broker
from engine.clock import Clock, LiveClock, SimClock
from engine.config import Settings
from engine.engine import Engine


def simple_simulated_venues(settings: Settings, clock: Clock) -> dict[str, Broker]:
    """The foundation's simple simulated venues: random-walk prices, fixed slippage, fees 0.005%."""
    out: dict[str, Broker] = {}
    for i in range(settings.sim.venues):
        name = f"SIM-{chr(65 + i)}"
        out[name] = PaperBroker(
            name,
            clock,
            cash=settings.sim.starting_cash,
            spread_bps=Decimal(2 + 2 * i),
            seed=settings.sim.seed + i,
        )
    return out


def build_brokers(settings: Settings, clock: Clock) -> dict[str, Broker]:
    """Venues for `settings.broker.provider`; real providers are connected later by Engine.start."""
    provider = settings.broker.provider
    if provider == "simulated":
        try:
            sim = importlib.import_module("engine.sim.venues")
        except ImportError:
            return simple_simulated_venues(settings, clock)
        brokers: dict[str, Broker] = sim.build_simulated_venues(settings, clock)
        return brokers
    if provider == "replay":
        from engine.sim.replay import build_replay_venues

        return build_replay_venues(settings, clock)
    if provider == "paper":
        return {"PAPER": demo_paper_broker(clock, seed=settings.sim.seed)}
    if provider == "ccxt":
        from engine.brokers.ccxt.broker import build_ccxt_venues

        return build_ccxt_venues(settings)
    from engine.brokers.ibkr.broker import IBKRBroker

    return {"IBKR": IBKRBroker(settings.broker, clock=clock)}


def build_engine(
    settings: Settings,
    *,
    clock: Clock | None = None,
    db_path: str | Path | None = None,
    brokers: dict[str, Broker] | None = None,
    store: bool = True,
) -> Engine:
    """An engine ready to `start()`; simulated time unless a clock is given."""
    if clock is None and settings.broker.provider == "replay":
        from engine.sim.replay import replay_start

        clock = SimClock(start=replay_start(settings))  # the recording's own time
    clock = clock or SimClock(
        start=time.time()
    )  # history recorded now counts in the lookback windows
    from engine.store.target import history_store

    st = history_store(settings, db_path) if store else None
    eng = Engine(
        settings, clock, brokers if brokers is not None else build_brokers(settings, clock), st
    )
    if settings.broker.provider in ("ccxt", "ibkr") and settings.broker.fallback == "paper":
        eng.fallback = lambda: {"PAPER": demo_paper_broker(clock, seed=settings.sim.seed)}
    return eng


def live_clock(settings: Settings, speed: float | None = None) -> LiveClock:
    start = None
    if settings.broker.provider == "replay":
        from engine.sim.replay import replay_start

        start = replay_start(settings)
    return LiveClock(speed if speed is not None else settings.sim.speed, start=start)


@dataclass(frozen=True, slots=True)
class MarketSnapshot:
    bid: Decimal
    ask: Decimal
    adv: Decimal
    venue: str


async def market_snapshot(settings: Settings, symbol: str) -> MarketSnapshot:
    """Best bid/ask and ADV of `symbol` on the configured market, read once."""
    from engine.models import InputError

    eng = build_engine(settings, store=False)
    await eng.start()
    try:
        quotes, failed = await eng.market.probe(
            symbol, [v for v, ok in eng.venue_connected.items() if ok]
        )
        if not quotes:
            raise InputError(
                "symbol",
                f"no venue quotes {symbol!r}: " + "; ".join(f"{v}: {r}" for v, r in failed),
            )
        tight = min(quotes.values(), key=lambda q: q.spread_bps)
        adv = await eng.brokers[tight.venue].adv(symbol) or settings.router.default_adv
        return MarketSnapshot(tight.bid, tight.ask, adv, tight.venue)
    finally:
        await eng.stop()
