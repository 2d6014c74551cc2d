"""Submitting from the ticket, live TWAP progress in simulated time, and the kill switch."""

from __future__ import annotations

from decimal import Decimal

from textual.widgets import Select

from console.app import TrancheApp
from engine.events import ParentProgress
from engine.models import OrderStatus, TradingState
from tests.console.conftest import (
    START,
    FrozenClock,
    make_console,
    pane_text,
    screen_text,
    settle,
    started,
    type_into,
    until,
)


async def submit_ticket(
    app: TrancheApp, pilot, *, qty: str, algo: str, limit: str = "", click: bool = False
) -> str:
    await type_into(pilot, "#quantity", qty)
    if limit:
        await type_into(pilot, "#limit_price", limit)
    app.main.query_one("#algo", Select).value = algo
    await settle(app, pilot)
    assert not app.main.query_one("#submit").disabled, pane_text(app, "#ticket")
    if click:
        await pilot.click("#submit")
    else:
        await pilot.press("ctrl+s")
    await pilot.pause()
    body = screen_text(app)
    assert "Send this order?" in body and "notional" in body
    for leg in app.preview.legs:
        assert leg.venue in body  # the confirmation names every venue
    await pilot.press("y")
    await settle(app, pilot)
    assert len(app.engine.parents) == 1
    return next(iter(app.engine.parents))


async def test_twap_progress_advances_in_simulated_time(console_app: TrancheApp) -> None:
    app = console_app
    seen = app.engine.subscribe()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        t0 = app.engine.clock.now()
        pid = await submit_ticket(app, pilot, qty="1000", algo="twap")
        await app.engine.wait(pid)
        await until(app, pilot, lambda: app.state.parents[pid].status is OrderStatus.FILLED)
        progress = []
        while not seen.empty():
            ev = seen.get_nowait()
            if isinstance(ev, ParentProgress) and ev.parent_id == pid:
                progress.append(ev)
        slices = app.settings.router.twap_num_slices
        assert [p.slice_index for p in progress if p.leg == progress[0].leg][-1] == slices
        assert (
            progress[-1].ts - progress[0].ts
            >= (slices - 1) * app.settings.router.twap_interval_seconds
        )
        assert app.engine.clock.now() > t0
        text = pane_text(app, "#progress")
        assert pid in text and "100%" in text
        assert f"{slices}/{slices}" in text
        assert app.state.parents[pid].filled_qty == Decimal(1000)


async def test_kill_switch_halts_and_cancels_every_open_order(tmp_path) -> None:
    app = make_console(tmp_path, clock=FrozenClock(start=START))
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        bid = min(q.bid for q in app.state.quotes.values())
        await submit_ticket(
            app, pilot, qty="300", algo="limit", limit=str(bid - Decimal("0.50")), click=True
        )
        open_before = [c for c in app.engine.children.values() if c.status.is_open]
        assert open_before, "a passive limit rests while simulated time stands still"

        await pilot.press("ctrl+backslash")
        await settle(app, pilot)

        assert app.engine.trading_state is TradingState.HALTED
        assert all(c.status is OrderStatus.CANCELLED for c in open_before)
        for broker in app.engine.brokers.values():
            assert await broker.open_orders() == []
        assert "HALTED: kill switch" in pane_text(app, "#status")
        assert f"cancelled {len(open_before)}" in pane_text(app, "#kill")
        assert app.main.query_one("#submit").disabled

        # leaving HALTED needs an explicit yes: "n" keeps it halted, "y" resumes
        await pilot.press("ctrl+r")
        await pilot.press("n")
        await settle(app, pilot)
        assert app.engine.trading_state is TradingState.HALTED
        await pilot.press("ctrl+r")
        await pilot.press("y")
        await settle(app, pilot)
        assert app.engine.trading_state is TradingState.ACTIVE
        header = app.main.query_one("#status")
        assert "HALTED" not in pane_text(app, "#status") and not header.has_class("-halted")


async def test_learned_policy_progress_names_who_decided_each_slice(
    console_app: TrancheApp,
) -> None:
    app = console_app
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        pid = await submit_ticket(app, pilot, qty="400", algo="drl")
        await app.engine.wait(pid)
        await until(app, pilot, lambda: not app.state.parents[pid].working)
        kids = [app.engine.children[c] for c in app.engine.parents[pid].children]
        deciders = {k.meta.get("decided_by") for k in kids} - {None}
        assert deciders and deciders <= {"policy", "defer", "ewma"}
        last = app.state.parents[pid].legs
        text = pane_text(app, "#progress")
        for ev in last.values():  # the pane shows who decided the leg's last step, and why
            assert f"{ev.decided_by} {ev.detail}"[:16] in text, text  # e.g. "defer passive-twap"


async def test_quitting_with_working_orders_asks_then_cancels_them_on_the_venues(tmp_path) -> None:
    app = make_console(tmp_path, clock=FrozenClock(start=START))
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        bid = min(q.bid for q in app.state.quotes.values())
        await submit_ticket(app, pilot, qty="300", algo="limit", limit=str(bid - Decimal("0.50")))
        resting = [c for c in app.engine.children.values() if c.status.is_open]
        assert resting
        brokers = list(app.engine.brokers.values())
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert "Quit and cancel working orders?" in screen_text(app)
        await pilot.press("n")  # staying is the default answer
        await settle(app, pilot)
        assert app.is_running and all(c.status.is_open for c in resting)
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    assert all(c.status is OrderStatus.CANCELLED for c in resting)
    for broker in brokers:
        assert await broker.open_orders() == []  # nothing of ours left resting unattended
