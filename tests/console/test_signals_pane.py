"""The Signals pane in confirm mode, driven as a trader would: signals over the real HTTP API, the
pane shows Kelly size, decision and legs; f9 accepts, f10 rejects; the kill switch refuses held ones."""

from __future__ import annotations

import httpx
from textual.widgets import TabbedContent

from console.bindings import by_id
from engine.config import Settings
from engine.signals.events import SignalStatus
from tests.console.conftest import make_console, pane_text, screen_text, settle, started, until
from tests.fakes.signals import signal

TOKEN = "console-t0ken-0123456789abcdef"


def signal_settings(monkeypatch) -> Settings:
    monkeypatch.setenv("TRANCHE_CONSOLE_TEST_TOKEN", TOKEN)
    return Settings(
        signals={
            "http_enabled": True,
            "http_port": 0,
            "http_token_env": "TRANCHE_CONSOLE_TEST_TOKEN",
        }
    )


async def post(app, body: dict) -> dict:
    address = app.signal_desk.service.http.address
    async with httpx.AsyncClient(
        base_url=address, headers={"Authorization": f"Bearer {TOKEN}"}
    ) as c:
        r = await c.post("/v1/signals", json=body)
    return r.json()


async def test_a_held_signal_shows_kelly_size_decision_and_legs_and_f9_sends_it(
    tmp_path, monkeypatch
):
    app = make_console(tmp_path, signal_settings(monkeypatch))
    async with app.run_test(size=(160, 50)) as pilot:
        await started(app, pilot)
        await until(app, pilot, lambda: app.signal_desk.service is not None)
        held = await post(app, signal("con-1", app.engine.clock.now()))
        assert held["status"] == "held"
        await pilot.press(by_id("tranche.signals").key)
        await until(app, pilot, lambda: "con-1" in pane_text(app, "#signals"))
        assert app.main.query_one("#tabs", TabbedContent).active == "tab-signals"
        row = next(ln for ln in pane_text(app, "#signals").splitlines() if "con-1" in ln)
        assert "HELD" in row and "long" in row and "AAPL" in row and "MARKET (strong_signal)" in row
        assert f"{int(float(held['quantity'])):,}" in row  # the Kelly size, at the lot
        assert all(f"{leg['venue']}:" in row for leg in held["legs"])  # every venue leg
        assert any(
            t.title == "Signal con-1 held"
            and f"{by_id('tranche.signal_accept').key} accepts" in t.message
            for t in app.toasts
        )
        await pilot.press(by_id("tranche.signal_accept").key)
        await until(app, pilot, lambda: not app.signal_desk.held())
        await settle(app, pilot, ("signal-answer",))
        sent = [v for v in app.signal_desk.recent if v.status is SignalStatus.EXECUTED]
        assert [v.signal_id for v in sent] == ["con-1"] and sent[0].parent_id in app.engine.parents
        assert any(t.title == "Signal" and "con-1 executed as" in t.message for t in app.toasts)


async def test_f10_rejects_the_signal_under_the_cursor_and_a_kill_refuses_the_rest(
    tmp_path, monkeypatch
):
    app = make_console(tmp_path, signal_settings(monkeypatch))
    async with app.run_test(size=(160, 50)) as pilot:
        await started(app, pilot)
        await until(app, pilot, lambda: app.signal_desk.service is not None)
        for sid in ("a-1", "a-2", "a-3"):
            await post(app, signal(sid, app.engine.clock.now()))
        await pilot.press(by_id("tranche.signals").key)
        await until(app, pilot, lambda: "a-3" in pane_text(app, "#signals"))
        pane = app.main.query_one("#signals")
        pane.focus()
        pane.move_cursor(row=1)  # a-2
        await pilot.press(by_id("tranche.signal_reject").key)
        await until(app, pilot, lambda: "a-2" not in app.signal_desk.service.desk.held)
        assert sorted(app.signal_desk.service.desk.held) == ["a-1", "a-3"]
        await pilot.press("f12")  # the kill switch
        await until(app, pilot, lambda: not app.signal_desk.service.desk.held)
        refused = {v.signal_id for v in app.signal_desk.recent if v.status is SignalStatus.REFUSED}
        assert refused == {"a-1", "a-3"} and not app.engine.parents
        late = await post(app, signal("a-4", app.engine.clock.now()))
        assert late["status"] == "refused" and "HALTED" in late["reason"]


async def test_without_a_signal_source_there_is_no_signals_tab_and_the_keys_say_why(tmp_path):
    app = make_console(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        assert not app.main.query("#tab-signals")
        await pilot.press(by_id("tranche.signal_accept").key)
        await settle(app, pilot, ("signal-answer",))
        assert any("Signals are off" in t.message for t in app.toasts)
        await pilot.press("ctrl+p")
        await pilot.press(*"Accept signal")
        await pilot.pause(0.3)
        assert "Accept signal" in screen_text(app)
