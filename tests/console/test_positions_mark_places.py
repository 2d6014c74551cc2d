"""A mid between ticks is shown as it is: avg cost 190.12, mark 190.115 and -0.64 unrealised on
127 shares agree on screen (the mark was rounded to 190.12, so the figures looked inconsistent)."""

from __future__ import annotations

from decimal import Decimal

from textual.app import App, ComposeResult

from widgets.positions import PositionsPane


class Holder(App[None]):
    def compose(self) -> ComposeResult:
        yield PositionsPane()


async def test_a_half_tick_mid_is_shown_to_the_half_tick() -> None:
    row = {
        "symbol": "AAPL", "venue": "SIM-A", "quantity": Decimal(127), "avg_cost": Decimal("190.12"),
        "mark": Decimal("190.115"), "mark_source": "mid", "unrealised": Decimal("-0.635"),
        "realised": Decimal(0), "fees": Decimal(0), "tick": Decimal("0.01"), "lot": Decimal(1),
    }  # fmt: skip
    app = Holder()
    async with app.run_test(size=(160, 20)) as pilot:
        pane = app.query_one(PositionsPane)
        pane.show({"positions": [row], "totals": []})
        await pilot.pause()
        cells = [str(c) for c in pane.get_row_at(0)]
        assert cells[3] == "190.1200" and cells[4] == "190.1150", cells
        shown = Decimal(cells[2]) * (Decimal(cells[4]) - Decimal(cells[3]))
        assert shown == Decimal("-0.635") and cells[5] == "-0.64"
