"""Issue 14 item 9: `ValueError: More values provided than there are columns` on a resize.

Crossing the compact threshold recomposes the main screen; a table painted by a store read
between the new widget's compose and its `on_mount` (where the columns used to be added) got
rows with no columns. Here a paint lands on every event-loop turn while the layout flips.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from engine.models import Side, Ticket
from tests.console.conftest import make_console, started, trade_session
from widgets.blotter import Blotter
from widgets.order_book import OrderBook

ROW = {"kind": "order", "id": "P1-001", "venue": "V0", "symbol": "AAPL", "side": "buy"}


async def test_tables_painted_while_the_layout_is_rebuilt_raise_nothing(tmp_path) -> None:
    await trade_session(tmp_path, Ticket("AAPL", Side.BUY, Decimal(500), algo="twap"))
    app = make_console(tmp_path)
    errors: list[BaseException] = []
    async with app.run_test(size=(200, 50)) as pilot:
        await started(app, pilot)
        flipping = True

        async def paint_every_turn() -> None:
            while flipping:
                for w in app.screen.query(Blotter):
                    try:
                        w.show([ROW])
                    except Exception as e:
                        errors.append(e)
                for b in app.screen.query(OrderBook):
                    try:
                        b.show(
                            "V0",
                            "AAPL",
                            [(Decimal("190.01"), Decimal(5))],
                            [(Decimal("190.02"), Decimal(7))],
                        )
                    except Exception as e:
                        errors.append(e)
                await asyncio.sleep(0)

        painter = asyncio.create_task(paint_every_turn())
        for size in [(100, 30), (200, 50)] * 4:
            await pilot.resize_terminal(*size)
            await pilot.pause(0.05)
        flipping = False
        await painter
    assert errors == []  # before: ValueError('More values provided than there are columns.')
