"""Depth of the selected symbol on the selected venue, as the venue reported it."""

from __future__ import annotations

from decimal import Decimal

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Select, Static

from widgets.kelly_preview import fmt

Level = tuple[Decimal, Decimal]


class OrderBook(Vertical):
    """Bids left, asks right, best first; the app fetches depth through `engine.book`."""

    class VenueChosen(Message):
        def __init__(self, venue: str) -> None:
            super().__init__()
            self.venue = venue

    def compose(self) -> ComposeResult:
        with Horizontal(classes="book-head"):
            yield Select([], prompt="venue", id="book-venue", compact=True)
            yield Static("no data yet", id="book-title")
        yield DataTable(id="book-table", cursor_type="none")

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("bid size", "bid", "ask", "ask size")

    def set_venues(self, venues: list[str], current: str | None) -> None:
        if venues == getattr(self, "_venues", None):
            return
        self._venues = list(venues)
        sel: Select[str] = self.query_one("#book-venue", Select)
        with self.prevent(Select.Changed):
            sel.set_options([(v, v) for v in venues])
            if current in venues:
                sel.value = current

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str):
            self.post_message(self.VenueChosen(event.value))

    def show(self, venue: str | None, symbol: str, bids: list[Level], asks: list[Level]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        title = self.query_one("#book-title", Static)
        if venue is None or (not bids and not asks):
            title.update(f" {symbol} on {venue or '-'}: no data yet")
            return
        title.update(f" {symbol} on {venue}: {len(bids)} bids, {len(asks)} asks")
        for i in range(max(len(bids), len(asks))):
            b = bids[i] if i < len(bids) else None
            a = asks[i] if i < len(asks) else None
            table.add_row(
                fmt(b[1]) if b else "",
                fmt(b[0], 4) if b else "",
                fmt(a[0], 4) if a else "",
                fmt(a[1]) if a else "",
            )
