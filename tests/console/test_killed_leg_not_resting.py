"""A killed parent's leg rows no longer say an order rests: the algorithm's live detail ends with it."""

from __future__ import annotations

from decimal import Decimal

from engine.events import ParentAccepted, ParentCompleted, ParentProgress
from engine.models import OrderStatus, Side
from tests.console.conftest import START, make_console, pane_text, started, until


async def test_a_cancelled_parents_leg_drops_resting_at(tmp_path) -> None:
    app = make_console(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        pid = "P-killed-1"
        app.engine.publish(
            ParentAccepted(START, pid, "AAPL", Side.BUY, Decimal(500), "maker", Decimal(190))
        )
        app.engine.publish(
            ParentProgress(
                START + 1, pid, "maker", Decimal(0), Decimal(500), None, None, 1, 5,
                START + 60, "SIM-A", "static", "resting at 189.99",
            )
        )  # fmt: skip
        await until(app, pilot, lambda: "resting at 189.99" in pane_text(app, "#progress"))
        app.engine.publish(
            ParentCompleted(
                START + 2, pid, OrderStatus.CANCELLED, Decimal(0), None, None, "halted by kill switch",
            )
        )  # fmt: skip
        await until(app, pilot, lambda: "cancelled" in pane_text(app, "#progress"))
        text = pane_text(app, "#progress")
        # who decided stays; the live part goes
        assert "resting at" not in text and "static" in text
