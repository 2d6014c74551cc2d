"""Console fixtures: the real engine on paper venues, simulated time, a real SQLite file in tmp."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from console.app import TrancheApp, create_app
from engine.clock import SimClock
from engine.config import Settings
from engine.factory import build_engine
from tests.fakes.paper_venues import paper_venues

START = 1_700_000_000.0  # fixed engine time: screens are deterministic


def make_console(tmp_path, settings: Settings | None = None) -> TrancheApp:
    settings = settings or Settings()
    clock = SimClock(start=START)
    engine = build_engine(settings, clock=clock, db_path=tmp_path / "fills.db", brokers=paper_venues(clock))
    return create_app(settings, engine=engine)


@pytest.fixture
def console_app(tmp_path) -> TrancheApp:
    return make_console(tmp_path)


async def settle(app: TrancheApp, pilot, groups: tuple[str, ...] = ("preview", "submit", "kill", "store")) -> None:
    """Wait for the named workers (never the endless ingest worker), then one frame."""
    await pilot.pause()
    for _ in range(3):
        await app.workers.wait_for_complete([w for w in app.workers if w.group in groups])
        await pilot.pause()
    app.repaint()
    await pilot.pause()


async def started(app: TrancheApp, pilot) -> None:
    await app.engine_started.wait()
    await settle(app, pilot)


async def type_into(pilot, selector: str, text: str) -> None:
    """Clear a field with the keyboard, then type `text` key by key as a trader would."""
    await pilot.click(selector)
    await pilot.press("end", *["backspace"] * 30)
    if text:
        await pilot.press(*list(text))


Waiter = Callable[[], Awaitable[None]]
