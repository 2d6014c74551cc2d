"""Every table sizes its columns from the rows it shows: a price is never cut to its header's width.

On a real terminal rows added before the first layout were cut to the headers (a bid of 189.97
painted "189"); the tables now measure their rows. The tmux test checks the same on screen.
"""

from __future__ import annotations

from decimal import Decimal

from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from engine.api import Leg
from engine.models import Quote
from widgets.market_board import MarketBoard
from widgets.sor_legs import SorLegs


class Holder(App[None]):
    def compose(self) -> ComposeResult:
        yield SorLegs()
        yield MarketBoard()


def every_cell_fits(table: DataTable[str]) -> bool:
    for row_key in table.rows:
        for col_key, value in zip(table.columns, table.get_row(row_key), strict=True):
            if cell_len(str(value)) > table.columns[col_key].width:
                return False
    return True


def leg(venue: str, bid: str, ask: str) -> Leg:
    return Leg(
        venue,
        Decimal(100),
        Decimal("18998.00"),
        0.5,
        2.1,
        0.0,
        8.0,
        8.0,
        Decimal(bid),
        Decimal(ask),
        "static",
    )


def quote(venue: str, bid: str, ask: str) -> Quote:
    return Quote(venue, "AAPL", Decimal(bid), Decimal(ask), Decimal(500), Decimal(700), 0.0)


async def test_sor_legs_show_whole_prices_before_and_after_layout() -> None:
    app = Holder()
    async with app.run_test(size=(160, 30)) as pilot:
        legs = app.query_one(SorLegs)
        legs.show([leg("SIM-A", "189.97", "190.02"), leg("SIM-B", "189.96", "190.03")], [], {})
        assert every_cell_fits(legs)
        await pilot.pause()
        assert " 189.97" in [str(c) for c in legs.get_row_at(0)]


async def test_market_board_widens_when_a_price_grows_a_digit() -> None:
    app = Holder()
    async with app.run_test(size=(160, 30)) as pilot:
        board = app.query_one(MarketBoard)
        board.show([quote("SIM-A", "99.99", "99.995")])
        assert every_cell_fits(board)
        board.show([quote("SIM-A", "100.0001", "100.0101")])  # same venues: in-place path
        await pilot.pause()
        assert every_cell_fits(board)
        assert "100.0001" in [str(c) for c in board.get_row_at(0)]


class OneTable(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable()


async def test_refilling_the_same_rows_changes_cells_in_place_and_still_fits_and_tells_the_truth():
    """Same rows: no columns rebuilt (that re-laid out the screen), yet every cell shows exactly
    what was asked, even after a pane changed a cell by itself in between."""
    from textual.coordinate import Coordinate

    from widgets.table_fill import refill

    app = OneTable()
    async with app.run_test(size=(100, 20)) as pilot:
        table = app.query_one(DataTable)
        labels = ("venue", "status")
        refill(table, labels, [("A", "working"), ("B", "working")], keys=["a", "b"])
        first_columns = list(table.ordered_columns)
        table.update_cell_at(Coordinate(1, 1), "cancelled")  # a pane's own in-place change
        refill(table, labels, [("A", "partially filled"), ("B", "working")], keys=["a", "b"])
        await pilot.pause()
        assert [tuple(table.get_row_at(i)) for i in range(2)] == [
            ("A", "partially filled"),
            ("B", "working"),
        ]
        assert list(table.ordered_columns) == first_columns  # resized in place, not rebuilt
        assert every_cell_fits(table)
        refill(table, labels, [("C", "filled")], keys=["c"])  # other rows: rebuilt
        assert [tuple(table.get_row_at(i)) for i in range(table.row_count)] == [("C", "filled")]
        assert every_cell_fits(table)
