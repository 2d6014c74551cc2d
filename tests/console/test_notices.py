"""Alerts and a restart's recovery reach the trader as notifications, and a burst stays readable."""

from __future__ import annotations

from decimal import Decimal

from console.app import create_app
from console.ingest import ConsoleState
from engine.brokers.paper import PaperBroker
from engine.clock import SimClock
from engine.events import AlertRaised
from engine.factory import build_engine
from tests.console.conftest import START, screen_text, started, until
from tests.fakes.journal import crashed_journal, settings


def _alert(n: int) -> AlertRaised:
    return AlertRaised(START + n, "slippage", f"fill {n}: slippage 12.0 bps > 10 bps", 12.0, 10.0)


def test_a_burst_of_alerts_gives_three_toasts_and_a_count_of_the_rest() -> None:
    st = ConsoleState()
    for n in range(10):
        st.apply(_alert(n))
    toasts = st.take_notices()
    assert [t[1] for t in toasts[:3]] == [_alert(n).message for n in range(3)]
    assert toasts[3][0] == "7 more" and len(toasts) == 4
    assert st.take_notices() == [] and len(st.alerts) == 10  # the list pane keeps every alert


async def test_an_alert_from_the_engine_is_a_notification(console_app) -> None:
    app = console_app
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        app.engine.publish(_alert(1))
        await until(app, pilot, lambda: any("fill 1: slippage" in n.message for n in app.toasts))
        note = next(n for n in app.toasts if "fill 1" in n.message)
        assert note.title == "alert: slippage" and note.severity == "warning"


async def test_the_console_shows_what_a_restart_recovered(tmp_path) -> None:
    clock = SimClock(start=START)
    venue = PaperBroker("V0", clock, cash=Decimal(10_000_000), seed=3)
    db = tmp_path / "fills.db"
    await crashed_journal(db, clock, venue)
    engine = build_engine(settings(), clock=clock, db_path=db, brokers={"V0": venue})
    app = create_app(settings(), engine=engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        await until(app, pilot, lambda: app.state.last_recovery is not None)
        note = next(n for n in app.toasts if n.title == "recovered after restart")
        assert "1 live parents" in note.message and "1 missed fills recorded" in note.message
        assert "resumed PX1" in note.message
        assert any("recovered: 1 live parents" in line for _, _, line in app.state.logs)
        assert "PX1" in screen_text(app)  # the resumed parent is on the progress pane
