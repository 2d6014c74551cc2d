"""Issue 14 item 5: the parent row moves on every fill; sent and filled are separate; the countdown ticks."""

from __future__ import annotations

from decimal import Decimal

from engine.models import Side, Ticket
from tests.console.conftest import START, FrozenClock, make_console, started, table_rows, until
from widgets.format import figure as fmt


def parent_row(app, pid: str) -> dict[str, str]:
    return next(r for r in table_rows(app, "#progress") if r["parent / leg"].startswith(pid))


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
        row = parent_row(app, pid)
        assert row["filled"] == fmt(eng.filled_qty), row
        assert row["qty"] == "3,000", row
        kids = [app.engine.children[c] for c in eng.children]
        at_venue = sum(
            (k.filled_qty + (k.remaining if k.status.is_open else 0) for k in kids), Decimal(0)
        )
        assert row["sent"] == fmt(at_venue), row  # the first slice, not the parent's quantity
        assert Decimal(row["sent"].replace(",", "")) < 3000


async def test_the_countdown_to_the_next_slice_ticks_without_new_events(tmp_path) -> None:
    clock = FrozenClock(start=START)
    app = make_console(tmp_path, clock=clock)
    async with app.run_test(size=(160, 48)) as pilot:
        await started(app, pilot)
        pid = await app.engine.submit(Ticket("AAPL", Side.BUY, Decimal(3000), algo="twap"))

        def leg() -> dict[str, str]:
            return table_rows(app, "#progress")[1]

        await until(
            app,
            pilot,
            lambda: (
                pid in app.state.parents
                and app.state.parents[pid].legs
                and len(table_rows(app, "#progress")) > 1
                and leg()["next"].endswith("s")
            ),
        )
        first = int(leg()["next"][:-1])
        assert first > 10, leg()
        clock.advance_to(START + 10)  # time passes; the engine says nothing new
        await pilot.pause(1.3)  # the console's one-second tick repaints the countdown
        await pilot.pause()
        assert int(leg()["next"][:-1]) == first - 10, leg()
