"""Top of book per venue for the ticket's symbol, as the engine last published it."""

from __future__ import annotations

from collections.abc import Iterable

from textual.widgets import DataTable

from engine.models import Quote
from widgets.format import figure, level

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
        if venues == self._venues and rows:
            for q in rows:  # same venues as last frame: only values that changed, no re-layout
                now, was = cells(q), self._shown.get(q.venue)
                for i, (col, value) in enumerate(zip(COLUMNS, now, strict=True)):
                    if i and (was is None or was[i] != value):
                        self.update_cell(q.venue, col, value)
                self._shown[q.venue] = now
            return
        self._venues = venues
        self._shown = {q.venue: cells(q) for q in rows}
        self.clear(columns=True)
        for c in COLUMNS:
            self.add_column(c, key=c)
        for q in rows:
            self.add_row(*cells(q), key=q.venue)
        if not rows:
            self.add_row("no data yet", "", "", "", "", "")
