"""A bad typed quantity is an error under the field, never the Kelly size; Kelly is used only when ticked."""

from __future__ import annotations

import pytest
from textual.widgets import Select

from console.app import TrancheApp
from console.screens.confirm import ConfirmModal
from tests.console.conftest import pane_text, screen_text, settle, started, type_into


async def kelly_inputs(pilot) -> None:
    """Win rate and payoffs filled in: before the fix these alone made a Kelly size."""
    await type_into(pilot, "#win_rate", "0.6")
    await type_into(pilot, "#avg_win", "0.02")
    await type_into(pilot, "#avg_loss", "0.01")


@pytest.mark.parametrize("typed", ["-100", "0", "", "abc", "100.5"])
async def test_a_bad_quantity_with_kelly_off_is_an_error_under_the_field(
    console_app: TrancheApp, typed: str
) -> None:
    app = console_app
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        await kelly_inputs(pilot)
        await type_into(pilot, "#quantity", typed)
        await settle(app, pilot)
        under = pane_text(app, "#quantity-error")
        assert under.strip().startswith("quantity"), under
        assert "lots of 1" in under if typed == "100.5" else True  # names the lot
        ticket = app.main.query_one("#ticket")
        field, error = app.main.query_one("#quantity"), app.main.query_one("#quantity-error")
        assert error.region.y > field.region.y  # said under the field
        assert ticket.query_one("#submit").disabled
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert not isinstance(app.screen, ConfirmModal)
        assert not app.engine.parents


async def test_typed_quantity_is_sent_and_the_dialog_says_so(console_app: TrancheApp) -> None:
    app = console_app
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        await kelly_inputs(pilot)
        await type_into(pilot, "#quantity", "300")
        await settle(app, pilot)
        assert app.preview.quantity == 300 and not app.preview.sized_by_kelly
        await pilot.press("ctrl+s")
        await pilot.pause()
        body = screen_text(app)
        assert "BUY 300 AAPL" in body and "size: the typed quantity" in body


async def test_kelly_size_only_when_ticked_and_the_dialog_says_half_kelly(
    console_app: TrancheApp,
) -> None:
    app = console_app
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        await kelly_inputs(pilot)
        await type_into(pilot, "#quantity", "300")
        await pilot.click("#kelly")
        await settle(app, pilot)
        pv = app.preview
        assert pv.sized_by_kelly and pv.sizing is not None and pv.quantity == pv.sizing.quantity
        app.main.query_one("#algo", Select).value = "market"
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "size: Half-Kelly" in screen_text(app)


async def test_the_kelly_checkbox_says_whether_it_is_on(console_app: TrancheApp) -> None:
    app = console_app
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        off = pane_text(app, "#kelly")
        await pilot.click("#kelly")
        await settle(app, pilot)
        on = pane_text(app, "#kelly")
        assert "off" in off and "ON" in on
        assert app.main.query_one("#kelly").has_class("-on")


async def test_an_invalid_quantity_clears_the_preview_instead_of_leaving_old_figures(
    tmp_path,
) -> None:
    """Emptying the field left `quantity 1` (the preview of the last valid keystroke) on screen."""
    from tests.console.conftest import make_console, pane_text, settle, started, type_into

    app = make_console(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        await type_into(pilot, "#quantity", "1")
        await settle(app, pilot)
        assert "quantity 1" in pane_text(app, "#preview")
        await pilot.press("backspace")
        await settle(app, pilot)
        shown = pane_text(app, "#preview")
        assert "fix the marked fields" in shown and "quantity 1" not in shown, shown
        assert app.preview is None
