"""Keys a trader types fast land in the field they meant; editing chords never touch trading."""

from __future__ import annotations

from textual.widgets import Input

from engine.models import TradingState
from tests.console.conftest import make_console, settle, started, type_into


async def test_keys_typed_straight_after_tab_land_in_the_next_field(tmp_path) -> None:
    app = make_console(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        await type_into(pilot, "#symbol", "")
        for key in ["M", "S", "F", "T", "tab", "tab", "4", "5", "0"]:
            app.simulate_key(key)  # as a terminal delivers a burst: no wait between keys
        await settle(app, pilot)
        assert app.screen.query_one("#symbol", Input).value == "MSFT"
        assert app.screen.query_one("#quantity", Input).value == "450"


async def test_readline_chords_in_a_field_edit_text_and_leave_trading_alone(tmp_path) -> None:
    app = make_console(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        await type_into(pilot, "#quantity", "12345")
        await pilot.press("home", "right", "right", "ctrl+k")  # readline: delete to end
        await settle(app, pilot)
        assert app.screen.query_one("#quantity", Input).value == "12"
        assert app.engine.trading_state is TradingState.ACTIVE
        await pilot.press("ctrl+backslash")  # the kill chord works from inside the field
        await settle(app, pilot)
        assert app.engine.trading_state is TradingState.HALTED


async def test_editing_keys_in_a_burst_are_applied_in_the_order_typed(tmp_path) -> None:
    """Backspace typed before digits must erase before they land: 100, 3 x backspace, 50000."""
    app = make_console(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        await type_into(pilot, "#quantity", "100")
        burst = ["backspace"] * 3 + list("50000") + ["left", "left", "delete", "7", "home", "9"]
        for key in burst:
            app.simulate_key(key)  # one terminal read: the app has every key before any is handled
        await settle(app, pilot)
        assert app.screen.query_one("#quantity", Input).value == "950070"
        assert app.draft.quantity == "950070"
