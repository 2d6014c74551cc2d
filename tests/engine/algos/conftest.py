"""Algorithm fixtures: an engine on chosen venues in simulated time with a real SQLite file."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.config import Settings
from engine.factory import build_engine
from engine.models import Side, Signal, Ticket


def with_algos(**kw: object) -> Settings:
    """Default settings with some `algos` / `router` / `execution` keys replaced."""
    s = Settings()
    sections = {}
    for key, value in kw.items():
        section, field = key.split("__")
        sections.setdefault(section, {})[field] = value
    return s.model_copy(
        update={sec: getattr(s, sec).model_copy(update=vals) for sec, vals in sections.items()}
    )


def ticket(
    qty: str = "300", algo: str = "twap", side: Side = Side.BUY, venue: str | None = "X", **kw
) -> Ticket:
    return Ticket(
        symbol="AAPL",
        side=side,
        quantity=Decimal(qty),
        signal=Signal(strength=0.5),
        algo=algo,
        venue=venue,
        **kw,
    )


@pytest.fixture
async def run_engine(tmp_path, clock):
    """Start an engine on `brokers` with `settings`; every engine is stopped at the end."""
    engines = []

    async def make(brokers, settings=None):
        eng = build_engine(
            settings or Settings(), clock=clock, db_path=tmp_path / "f.db", brokers=brokers
        )
        await eng.start()
        engines.append(eng)
        return eng

    yield make
    for e in engines:
        await e.stop()


def kids(eng, pid):
    """The parent's children in the order they were sent."""
    return [eng.children[c] for c in eng.parents[pid].children]
