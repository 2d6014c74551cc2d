"""A console reopened on a killed history shows HALTED with the kill's reason, and ctrl+r resets."""

from __future__ import annotations

from console.screens.confirm import ConfirmModal
from engine.models import TradingState
from tests.console.conftest import make_console, pane_text, settle, started, until


async def test_a_console_reopened_after_a_kill_says_halted_until_ctrl_r(tmp_path) -> None:
    app = make_console(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        await pilot.press("ctrl+backslash")
        await until(app, pilot, lambda: app.engine.trading_state is TradingState.HALTED)
        await pilot.press("ctrl+q")
        await pilot.pause()

    again = make_console(tmp_path)  # the trader restarts on the same history
    async with again.run_test(size=(160, 48)) as pilot:
        await started(again, pilot)
        header = again.main.query_one("#status")
        await until(again, pilot, lambda: header.has_class("-halted"))
        text = pane_text(again, "#status")
        assert "HALTED: kill switch" in text and "ctrl+r to reset" in text
        kill = pane_text(again, "#kill")  # the halt is older than this session: no "no kill yet"
        assert "HALTED" in kill and "no kill in this session" in kill and "yet" not in kill
        await pilot.press("ctrl+r")
        await until(again, pilot, lambda: isinstance(again.screen, ConfirmModal))
        assert again.engine.trading_state is TradingState.HALTED  # nothing resumes unasked
        await pilot.press("y")
        await settle(again, pilot)
        assert again.engine.trading_state is TradingState.ACTIVE
        await until(again, pilot, lambda: not header.has_class("-halted"))
