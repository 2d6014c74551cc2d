"""Top of book per venue for the ticket's symbol, as the engine last published it."""

from __future__ import annotations

from collections.abc import Iterable

from textual.widgets import DataTable

from engine.models import Quote
from widgets.kelly_preview import fmt

COLUMNS = ("venue", "bid", "ask", "sprd bps", "bid sz", "ask sz")


class MarketBoard(DataTable[str]):
    """Repainted at most once per frame from the coalesced quote dict, never per tick."""

    def on_mount(self) -> None:
        self.cursor_type = "none"
        self.show([])

    def show(self, quotes: Iterable[Quote]) -> None:
        self.clear(columns=True)  # widths fit the new rows, not the widest ever
        self.add_columns(*COLUMNS)
        n = 0
        for q in sorted(quotes, key=lambda q: q.venue):
            self.add_row(q.venue, fmt(q.bid, 4), fmt(q.ask, 4), f"{q.spread_bps:.1f}", fmt(q.bid_size), fmt(q.ask_size))
            n += 1
        if not n:
            self.add_row("no data yet", "", "", "", "", "")
