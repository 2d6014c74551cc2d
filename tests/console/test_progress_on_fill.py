"""Issue 14 item 5: the parent row moves on every fill, not a slice later."""

from __future__ import annotations

from decimal import Decimal

from engine.models import Side, Ticket
from tests.console.conftest import START, FrozenClock, make_console, pane_text, started, until
from widgets.kelly_preview import fmt


async def test_the_parent_row_shows_each_fill_as_it_lands(tmp_path) -> None:
    app = make_console(tmp_path, clock=FrozenClock(start=START))  # no slice ever comes due
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        pid = await app.engine.submit(Ticket("AAPL", Side.BUY, Decimal(3000), algo="twap"))
        eng = app.engine.parents[pid]
        await until(app, pilot, lambda: eng.filled_qty > 0)
        await until(
            app, pilot, lambda: Decimal(app.state.parents[pid].filled_qty) == eng.filled_qty
        )
        view = app.state.parents[pid]
        assert Decimal(view.avg_price) == eng.avg_price
        row = next(line for line in pane_text(app, "#progress").splitlines() if pid in line)
        assert f"{fmt(eng.filled_qty)}/3,000" in row, row
