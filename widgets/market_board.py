"""Top of book per venue for the ticket's symbol, as the engine last published it."""

from __future__ import annotations

from collections.abc import Iterable

from textual.widgets import DataTable

from engine.models import Quote
from widgets.format import figure, level
from widgets.table_fill import fits, refill

COLUMNS = ("venue", "bid", "ask", "sprd bps", "bid sz", "ask sz")


def cells(q: Quote) -> tuple[str, ...]:
    return (
        q.venue,
        figure(q.bid, 4),
        figure(q.ask, 4),
        level(q.spread_bps, 1),
        figure(q.bid_size),
        figure(q.ask_size),
    )


class MarketBoard(DataTable[str]):
    """Repainted at most once per frame from the coalesced quote dict; cells change in place."""

    def on_mount(self) -> None:
        self.cursor_type = "none"
        self._venues: tuple[str, ...] | None = None
        self.show([])

    def show(self, quotes: Iterable[Quote]) -> None:
        rows = sorted(quotes, key=lambda q: q.venue)
        venues = tuple(q.venue for q in rows)
        shown = [cells(q) for q in rows]
        if (
            venues == self._venues
            and rows
            and all(
                fits(self, col, value) for r in shown for col, value in zip(COLUMNS, r, strict=True)
            )
        ):
            for r in shown:  # same venues, every value fits: only values change, no re-layout
                for col, value in zip(COLUMNS[1:], r[1:], strict=True):
                    self.update_cell(r[0], col, value)
            return
        self._venues = venues
        if rows:
            refill(self, COLUMNS, shown, keys=venues, column_keys=COLUMNS)
        else:
            refill(self, COLUMNS, [("no data yet", "", "", "", "", "")], column_keys=COLUMNS)
