"""Console fixtures: the real engine on paper venues, simulated time, a real SQLite file in tmp."""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal

import pytest
from textual.widgets import Select
from textual.worker import WorkerCancelled

from console.app import TrancheApp, create_app
from console.screens.confirm import ConfirmModal
from engine.clock import SimClock
from engine.config import Settings
from engine.factory import build_engine
from engine.models import Ticket
from tests.console import snapshot_svg
from tests.fakes.paper_venues import paper_venues

snapshot_svg.install()

START = 1_700_000_000.0  # fixed engine time: screens are deterministic


class FrozenClock(SimClock):
    """Simulated time that never moves by itself: resting orders stay open until the test acts."""

    async def sleep(self, seconds: float) -> None:
        await asyncio.get_running_loop().create_future()  # woken only by cancellation


def make_console(
    tmp_path, settings: Settings | None = None, clock: SimClock | None = None
) -> TrancheApp:
    settings = settings or Settings()
    clock = clock or SimClock(start=START)
    engine = build_engine(
        settings, clock=clock, db_path=tmp_path / "fills.db", brokers=paper_venues(clock)
    )
    return create_app(settings, engine=engine)


@pytest.fixture
def console_app(tmp_path) -> TrancheApp:
    return make_console(tmp_path)


async def settle(
    app: TrancheApp, pilot, groups: tuple[str, ...] = ("preview", "submit", "kill", "store")
) -> None:
    """Wait for the named workers (never the endless ingest worker), then one frame."""
    await pilot.pause()
    for _ in range(3):
        busy = [w for w in app.workers if w.group in groups]
        if busy:  # an empty list would mean "every worker", the endless ingest one included
            with contextlib.suppress(WorkerCancelled):  # a newer preview superseded this one
                await app.workers.wait_for_complete(busy)
        await pilot.pause()
    app.repaint()
    await pilot.pause()


async def until(app: TrancheApp, pilot, predicate, frames: int = 200) -> None:
    """Let the app run frame by frame until `predicate()` holds (events are ingested asynchronously)."""
    for _ in range(frames):
        if predicate():
            app.repaint_all()
            await pilot.pause()
            return
        await pilot.pause(0.01)
    raise AssertionError("condition not reached")


async def started(app: TrancheApp, pilot) -> None:
    await app.engine_started.wait()
    await settle(app, pilot)


async def type_into(pilot, selector: str, text: str) -> None:
    """Clear a field with the keyboard, then type `text` key by key as a trader would."""
    await pilot.click(selector)
    await pilot.press("end", "ctrl+u")
    if text:
        await pilot.press(*list(text))


def screen_text(app: TrancheApp) -> str:
    """The characters on screen right now, as the trader sees them (box drawing included)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def pane_text(app: TrancheApp, selector: str) -> str:
    """The characters one widget occupies on screen."""
    assert app.main is not None
    region = app.main.query_one(selector).region
    lines = screen_text(app).split("\n")[region.y : region.bottom]
    return "\n".join(line[region.x : region.right] for line in lines)


def table_rows(app, selector: str) -> list[dict[str, str]]:
    """Each row of a DataTable pane as {column label: cell text}, read from the widget itself."""
    table = app.main.query_one(selector)
    labels = [c.label.plain for c in table.columns.values()]
    return [
        dict(zip(labels, (str(v) for v in table.get_row_at(i)), strict=True))
        for i in range(table.row_count)
    ]


async def fill_ticket(
    app: TrancheApp, pilot, *, qty: str, algo: str, strength: str = "0.5"
) -> None:
    await type_into(pilot, "#quantity", qty)
    await type_into(pilot, "#strength", strength)
    app.main.query_one("#algo", Select).value = algo
    await settle(app, pilot)


async def open_dialog(app: TrancheApp, pilot) -> ConfirmModal:
    await pilot.press("ctrl+s")
    await pilot.pause()
    assert isinstance(app.screen, ConfirmModal), screen_text(app)
    return app.screen


async def trade_session(tmp_path, *tickets: Ticket) -> dict[str, Decimal]:
    """One console session that executes `tickets` to the end and records an alert; its figures."""
    app = make_console(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        for t in tickets:
            await app.engine.submit(t)
        await until(app, pilot, lambda: not app.engine.working_parents(), frames=3000)
        app.engine.store.record_alert(
            ts=app.engine.clock.now(), kind="slippage", message="test alert", value=12.5,
            threshold=10.0, venue="V0", symbol="AAPL",
        )  # fmt: skip
        await app.engine.store.flush()
        net = dict(app.engine.positions)
    return net
