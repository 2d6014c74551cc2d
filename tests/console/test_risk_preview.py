"""The confirm dialog runs the risk gate on the planned children; a plan with denials cannot be sent."""

from __future__ import annotations

import pytest
from textual.widgets import Button

from console.app import TrancheApp
from console.screens.confirm import ConfirmModal
from tests.console.conftest import fill_ticket, open_dialog, screen_text, settle, started


@pytest.mark.parametrize(
    ("qty", "check", "limit"),
    [
        ("1000000000000", "quantity", "max_child_quantity"),
        ("6632", "notional", "max_child_notional"),  # ~1.26 M at AAPL 190, one market child
    ],
)
async def test_the_dialog_shows_what_the_gate_would_deny_and_blocks_sending(
    console_app: TrancheApp, qty: str, check: str, limit: str
) -> None:
    app = console_app
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        await fill_ticket(app, pilot, qty=qty, algo="market")
        assert app.preview.ok  # a valid ticket: only the gate objects
        modal = await open_dialog(app, pilot)
        body = screen_text(app)
        assert "DENIED" in body and limit in body and f"[{check}]" in body
        assert "Blocked" in body
        assert modal.query_one("#confirm-yes", Button).disabled
        await pilot.press("y")
        await settle(app, pilot)
        assert not isinstance(app.screen, ConfirmModal)
        assert not app.engine.parents and not app.engine.children
        assert app.engine.risk.checked == 0  # judged, not counted as sent


async def test_a_passing_plan_says_every_child_passes(console_app: TrancheApp) -> None:
    app = console_app
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        await fill_ticket(app, pilot, qty="1000", algo="twap")
        n = app.settings.router.twap_num_slices * len(app.preview.plan.legs)
        await open_dialog(app, pilot)
        assert f"risk: all {n} planned child orders pass" in screen_text(app)
        assert not app.screen.query_one("#confirm-yes", Button).disabled
