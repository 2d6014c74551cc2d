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
        self._shown: dict[str, tuple[str, ...]] = {}  # venue -> the cells on screen
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
            for r in shown:  # same venues, every value fits: only values that changed, no re-layout
                was = self._shown.get(r[0])
                for i, (col, value) in enumerate(zip(COLUMNS, r, strict=True)):
                    if i and (was is None or was[i] != value):
                        self.update_cell(r[0], col, value)
                self._shown[r[0]] = r
            return
        self._venues = venues
        self._shown = {r[0]: r for r in shown}
        if rows:
            refill(self, COLUMNS, shown, keys=venues, column_keys=COLUMNS)
        else:
            refill(self, COLUMNS, [("no data yet", "", "", "", "", "")], column_keys=COLUMNS)
