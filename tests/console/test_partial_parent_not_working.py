"""A parent the engine finished with part of it unfilled is shown finished, never `working`."""

from __future__ import annotations

from decimal import Decimal

from engine.events import ParentAccepted, ParentCompleted
from engine.models import OrderStatus, Side
from tests.console.conftest import START, make_console, pane_text, started, until


async def test_a_partially_filled_finished_parent_is_not_shown_working(tmp_path) -> None:
    app = make_console(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        pid = "P-partial-1"
        app.engine.publish(
            ParentAccepted(START, pid, "AAPL", Side.BUY, Decimal(50000), "twap", Decimal(190))
        )
        await until(app, pilot, lambda: "working" in pane_text(app, "#progress"))
        app.engine.publish(  # e.g. the venues refused the rest: the schedule is over
            ParentCompleted(
                START + 300, pid, OrderStatus.PARTIALLY_FILLED, Decimal(12810), Decimal(190.8),
                8.4, "37190 left unfilled",
            )
        )  # fmt: skip
        await until(app, pilot, lambda: "working" not in pane_text(app, "#progress"))
        assert "partially_filled" in pane_text(app, "#progress")
        assert not app.state.parents[pid].working
