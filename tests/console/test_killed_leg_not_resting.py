"""A killed parent's leg rows no longer say an order rests: the algorithm's live detail ends with it."""

from __future__ import annotations

from decimal import Decimal

from engine.events import ChildUpdated, ParentAccepted, ParentCompleted, ParentProgress
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
                START + 60, "SIM-A", "static", "resting at 189.99", True,
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


async def test_a_filled_leg_of_a_working_parent_drops_resting_at_and_its_countdown(
    tmp_path,
) -> None:
    app = make_console(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        pid, legs = "P-two-legs", (("SIM-A", Decimal(100)), ("SIM-B", Decimal(100)))
        app.engine.publish(
            ParentAccepted(START, pid, "AAPL", Side.BUY, Decimal(200), "limit", Decimal(190), legs)
        )
        for venue in ("SIM-A", "SIM-B"):
            app.engine.publish(
                ParentProgress(
                    START + 1, pid, "limit", Decimal(0), Decimal(200), None, None, 1, 1,
                    START + 300, venue, "", "resting at 190.08", True,
                )
            )  # fmt: skip
        app.engine.publish(  # SIM-A's child fills whole; SIM-B's still rests
            ChildUpdated(
                START + 2, pid, f"{pid}-001", "SIM-A", OrderStatus.FILLED, Decimal(100),
                Decimal(100), Decimal("190.08"),
            )
        )  # fmt: skip

        def leg_row(venue: str) -> str:
            rows = pane_text(app, "#progress").splitlines()
            return next((ln for ln in rows if f"└ {venue}" in ln), "")

        await until(app, pilot, lambda: "100%" in leg_row("SIM-A"))
        assert (
            "resting at" not in leg_row("SIM-A") and "s " not in leg_row("SIM-A").split("100%")[1]
        )
        assert "resting at 190.08" in leg_row("SIM-B") and "working" in pane_text(app, "#progress")
