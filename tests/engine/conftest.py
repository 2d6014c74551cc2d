"""Engine fixtures: simulated time, paper venues, a real SQLite file in a temp dir."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.brokers.paper import PaperBroker
from engine.clock import SimClock
from engine.config import Settings
from engine.factory import build_engine


def paper_venues(clock: SimClock, n: int = 4) -> dict[str, PaperBroker]:
    return {f"V{i}": PaperBroker(f"V{i}", clock, cash=Decimal(10_000_000), spread_bps=Decimal(2 + i), seed=i + 1) for i in range(n)}


@pytest.fixture
def clock() -> SimClock:
    return SimClock(start=1_700_000_000.0)


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
async def make_engine(tmp_path, clock, settings):
    engines = []

    async def make(brokers=None, settings=settings):
        eng = build_engine(settings, clock=clock, db_path=tmp_path / "fills.db", brokers=brokers if brokers is not None else paper_venues(clock))
        await eng.start()
        engines.append(eng)
        return eng

    yield make
    for e in engines:
        await e.stop()
