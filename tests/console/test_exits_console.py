"""Protective exits from the console: f5 arms one on the newest filled parent, f7 flattens (asks)."""

from __future__ import annotations

from decimal import Decimal

from engine.execution.exit_pair import ExitStatus
from engine.models import Side, Ticket
from tests.console.conftest import START, FrozenClock, make_console, settle, started, until


async def test_f5_protects_the_last_fill_and_f7_flattens_after_asking(tmp_path) -> None:
    # time stands still: on a running clock the paper prices wander and the stop may fire first
    app = make_console(tmp_path, clock=FrozenClock(start=START))
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        pid = await app.engine.submit(Ticket("AAPL", Side.BUY, Decimal(100), algo="market"))
        await app.engine.wait(pid)
        await pilot.press("f5")
        await until(app, pilot, lambda: bool(app.engine.exits.pairs), frames=500)
        pair = next(iter(app.engine.exits.pairs.values()))
        assert pair.parent_id == pid and pair.status is ExitStatus.ARMED
        await settle(app, pilot)
        await until(
            app, pilot, lambda: any(pair.exit_id in n.message for n in app.toasts), frames=500
        )
        await pilot.press("f7")
        await settle(app, pilot)
        assert app.engine.positions["AAPL"] == 100  # nothing sent before the trader says yes
        await pilot.click("#confirm-yes")
        await until(app, pilot, lambda: app.engine.positions.get("AAPL") == 0, frames=2000)
        assert pair.status is ExitStatus.CANCELLED and pair.reason == "flatten"
