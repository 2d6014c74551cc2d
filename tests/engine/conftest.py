"""Engine fixtures: simulated time, paper venues, a real SQLite file in a temp dir."""

from __future__ import annotations

import pytest

from engine.clock import SimClock
from engine.config import Settings
from engine.factory import build_engine
from tests.fakes.histories import BACKENDS, fresh_history
from tests.fakes.paper_venues import paper_venues


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
        eng = build_engine(
            settings,
            clock=clock,
            db_path=tmp_path / "fills.db",
            brokers=brokers if brokers is not None else paper_venues(clock),
        )
        await eng.start()
        engines.append(eng)
        return eng

    yield make
    for e in engines:
        await e.stop()


@pytest.fixture(params=BACKENDS)
async def history_url(request, tmp_path):
    """An empty history on each backend in turn: a SQLite file, a PostgreSQL schema."""
    pg = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    async with fresh_history(request.param, tmp_path, pg) as url:
        yield url
