"""Alerts fire strictly above their thresholds, as an event and a stored record each."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import pytest

from engine.clock import SimClock
from engine.config import QualityConfig
from engine.events import AlertRaised, Event
from engine.models import Fill, Side
from engine.quality import QualityTracker
from engine.store import Store

D = Decimal


@pytest.fixture
async def tracked(tmp_path):
    store = Store(tmp_path / "fills.db")
    await store.open()
    events: list[Event] = []
    tracker = QualityTracker(QualityConfig(), store, events.append, SimClock(start=5000.0))
    yield tracker, store, events
    await store.close()


def on_fill(tracker, fid, side, price, *, limit="150", fill_ts=1000.0, signal_ts=1000.0):
    f = Fill(fid, "C1", "V1", "AAPL", side, D(1), D(price), fill_ts)
    return tracker.on_fill(
        f,
        parent_id="P1",
        algo="twap",
        limit_price=D(limit),
        arrival_price=D("150"),
        signal_ts=signal_ts,
    )


async def test_slippage_exactly_at_10_bps_does_not_alert_and_just_above_does(tracked):
    tracker, store, events = tracked
    assert on_fill(tracker, "F1", Side.BUY, "150.15").slippage_bps == 10.0
    assert on_fill(tracker, "F2", Side.SELL, "149.85").slippage_bps == 10.0
    assert events == []
    assert on_fill(tracker, "F3", Side.BUY, "150.1501").slippage_bps > 10.0
    assert on_fill(tracker, "F4", Side.SELL, "149.8499").slippage_bps > 10.0
    alerts = [e for e in events if isinstance(e, AlertRaised)]
    assert [(a.kind, a.threshold, a.venue, a.symbol) for a in alerts] == [
        ("slippage", 10.0, "V1", "AAPL")
    ] * 2
    assert all(a.ts == 5000.0 for a in alerts)  # engine time, not wall time
    await store.flush()
    stored = await store.alerts()
    assert [(a["kind"], a["value"]) for a in stored] == [
        ("slippage", alerts[0].value),
        ("slippage", alerts[1].value),
    ]
    assert len(await store.fills()) == 4


async def test_latency_exactly_at_5_s_does_not_alert_and_just_above_does(tracked):
    tracker, store, events = tracked
    assert (
        on_fill(tracker, "F1", Side.BUY, "150", signal_ts=1000.0, fill_ts=1005.0).fill_latency_ms
        == 5000.0
    )
    assert events == []
    on_fill(tracker, "F2", Side.BUY, "150", signal_ts=1000.0, fill_ts=1005.001)
    [alert] = events
    assert (
        isinstance(alert, AlertRaised)
        and alert.kind == "latency"
        and alert.value == pytest.approx(5001.0)
    )
    await store.flush()
    assert [a["kind"] for a in await store.alerts()] == ["latency"]


async def test_thresholds_come_from_the_configuration(tmp_path):
    events: list[Event] = []
    tracker = QualityTracker(
        QualityConfig(slippage_alert_bps=2.0, latency_alert_ms=100.0),
        None,
        events.append,
        SimClock(),
    )
    on_fill(tracker, "F1", Side.BUY, "150.03")  # 2 bps: at the threshold
    assert events == []
    on_fill(tracker, "F2", Side.BUY, "150.05", fill_ts=1000.2)  # 3.3 bps and 200 ms
    assert sorted(e.kind for e in events if isinstance(e, AlertRaised)) == ["latency", "slippage"]


async def test_guardrail_alert_is_an_event_a_stored_record_and_kept_for_the_console(tracked):
    tracker, store, events = tracked
    ev = tracker.raise_guardrail_alert(
        message="adaptive worse than baseline by 3.1 bps", value=3.1, threshold=2.0, symbol="AAPL"
    )
    assert events == [ev] and list(tracker.alerts) == [ev] and ev.kind == "guardrail"
    await store.flush()
    row = (
        sqlite3.connect(store.path)
        .execute("SELECT kind, message, value, threshold, symbol FROM alerts")
        .fetchone()
    )
    assert row == ("guardrail", "adaptive worse than baseline by 3.1 bps", 3.1, 2.0, "AAPL")
