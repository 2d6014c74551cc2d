"""Signal desk fixtures: the real engine on paper venues, simulated time, a real SQLite journal."""

from __future__ import annotations

import asyncio

import pytest

from engine.config import Settings
from engine.factory import build_engine
from engine.signals.desk import SignalDesk
from tests.fakes.paper_venues import paper_venues


@pytest.fixture
async def make_desk(tmp_path, clock):
    """make_desk(mode=..., **signals settings) -> a started desk on a started engine."""
    opened = []

    async def make(db: str = "fills.db", **signals):
        settings = Settings(signals=signals)
        eng = build_engine(
            settings, clock=clock, db_path=tmp_path / db, brokers=paper_venues(clock)
        )
        await eng.start()
        desk = SignalDesk(eng, settings.signals)
        await desk.start()
        opened.append((desk, eng))
        return desk

    yield make
    for desk, eng in opened:
        await desk.stop()
        await eng.stop()


@pytest.fixture
async def make_live_engine(tmp_path):
    """make_live_engine(db=...) -> a started engine in wall time (Redis and HTTP run in wall time)."""
    from engine.clock import LiveClock

    engines = []

    async def make(db: str = "fills.db", wrap=None):
        clock = LiveClock()
        brokers = paper_venues(clock)
        if wrap is not None:  # e.g. venues that take their quotes from Redis
            wrap(brokers)
        eng = build_engine(Settings(), clock=clock, db_path=tmp_path / db, brokers=brokers)
        await eng.start()
        engines.append(eng)
        return eng

    yield make
    for eng in engines:
        await asyncio.wait_for(eng.stop(), 10)
