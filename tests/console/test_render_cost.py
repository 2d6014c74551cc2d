"""What a frame costs under a quote storm, without changing what the trader sees.

Tables re-render a cell only when its text changed (DataTable alone re-renders every cell after
any update), a status text that keeps its height changes without a screen layout, and the
objects alive after start-up are kept out of garbage collection while the console runs.
"""

from __future__ import annotations

import gc
from decimal import Decimal

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Static

from engine.models import Quote
from tests.console.conftest import make_console, started
from widgets.in_place import set_text
from widgets.market_board import MarketBoard


class PlainBoard(DataTable[str]):
    """Textual's own table: the reference a cached table must paint exactly like."""


class Boards(App[None]):
    def compose(self) -> ComposeResult:
        yield MarketBoard(id="cached")
        yield PlainBoard(id="plain")
        yield Static("trading ACTIVE", id="said")


def quote(venue: str, bid: str, ask: str, size: int = 500) -> Quote:
    return Quote(venue, "AAPL", Decimal(bid), Decimal(ask), Decimal(size), Decimal(700), 0.0)


def lines(table: DataTable[str]) -> list[list[tuple[str, object]]]:
    """Each painted line as (text, style) segments: what reaches the terminal."""
    return [[(s.text, s.style) for s in table.render_line(y)] for y in range(table.size.height)]


def copy_into(plain: DataTable[str], board: MarketBoard) -> None:
    plain.clear(columns=True)
    for col in board.ordered_columns:
        plain.add_column(col.label, width=col.width, key=col.key.value)
    for i in range(board.row_count):
        plain.add_row(*board.get_row_at(i))


async def test_market_board_paints_what_a_plain_datatable_paints_after_many_updates() -> None:
    app = Boards()
    async with app.run_test(size=(100, 20)) as pilot:
        board, plain = app.query_one("#cached", MarketBoard), app.query_one("#plain", PlainBoard)
        walk = [
            ("190.01", "190.05"),
            ("190.02", "190.05"),
            ("190.01", "190.05"),
            ("190.03", "190.06"),
        ]
        for bid, ask in walk:  # the second 190.01 is a cache hit: it must not paint a stale cell
            board.show([quote("V0", bid, ask), quote("V1", "190.00", ask, size=900)], now=0.0)
            await pilot.pause()
            copy_into(plain, board)
            plain.cursor_type = "none"
            app.set_focus(None)  # focus restyles a table: compare the two alike
            await pilot.pause()
            assert lines(board) == lines(plain)
        assert "190.0300" in board.get_row("V0")


async def test_one_changed_cell_is_the_only_cell_rendered_again(monkeypatch) -> None:
    app = Boards()
    async with app.run_test(size=(100, 20)) as pilot:
        board = app.query_one("#cached", MarketBoard)
        board.show([quote("V0", "190.01", "190.05"), quote("V1", "190.00", "190.04")], now=0.0)
        await pilot.pause()
        lines(board)  # every cell rendered once
        rendered: list[tuple[int, int]] = []
        real = DataTable._render_cell

        def counting(self, row, col, *args, **kw):  # type: ignore[no-untyped-def]
            rendered.append((row, col))
            return real(self, row, col, *args, **kw)

        monkeypatch.setattr(DataTable, "_render_cell", counting)
        board.show([quote("V0", "190.02", "190.05"), quote("V1", "190.00", "190.04")], now=0.0)
        await pilot.pause()
        lines(board)
        assert rendered == [(0, 1), (0, 3)]  # V0 bid and spread; header and 12 others cached


async def test_a_status_text_that_keeps_its_height_changes_without_a_layout() -> None:
    app = Boards()
    async with app.run_test(size=(30, 40)) as pilot:
        said = app.query_one("#said", Static)
        await pilot.pause()
        asked: list[bool] = []
        real = said.refresh

        def spy(*a, layout=False, **kw):  # type: ignore[no-untyped-def]
            asked.append(layout)
            return real(*a, layout=layout, **kw)

        said.refresh = spy  # type: ignore[method-assign]
        set_text(said, "trading HALTED")
        assert asked and not any(asked)  # repainted, the screen not laid out again
        set_text(said, "trading HALTED: kill switch pressed by the trader at the desk")
        assert any(asked)  # more lines now: the layout gives it the room
        await pilot.pause()
        assert said.size.height == 3  # 62 characters in 30 columns
        assert "desk" in str(said.render())


async def test_start_up_objects_are_frozen_while_the_console_runs(tmp_path) -> None:
    app = make_console(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        assert gc.get_freeze_count() > 10_000  # the widgets, styles and engine built at start
    assert gc.get_freeze_count() == 0  # collectable again once the app has gone
