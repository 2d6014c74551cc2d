"""Depth of the selected symbol on the selected venue, as the venue reported it."""

from __future__ import annotations

from decimal import Decimal

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Select, Static

from widgets.format import price, quantity

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
        self._columns()

    def _columns(self) -> DataTable[str]:
        """The table with its columns: a show() racing a re-layout must not find it bare."""
        table: DataTable[str] = self.query_one(DataTable)
        if not table.columns:
            table.add_columns("bid size", "bid", "ask", "ask size")
        return table

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

    def show(
        self,
        venue: str | None,
        symbol: str,
        bids: list[Level],
        asks: list[Level],
        tick: Decimal | None = None,
        lot: Decimal | None = None,
    ) -> None:
        if not (self.query(DataTable) and self.query("#book-title")):
            return  # painted before compose: the next paint fills it
        table = self._columns()
        table.clear()
        title = self.query_one("#book-title", Static)
        said = (
            f" {symbol} on {venue or '-'}: no data yet"
            if venue is None or (not bids and not asks)
            else f" {symbol} on {venue}: {len(bids)} bids, {len(asks)} asks"
        )
        if title.content != said:  # an update re-lays out the screen: only on a change
            title.update(said)
        if venue is None or (not bids and not asks):
            return
        for i in range(max(len(bids), len(asks))):
            b = bids[i] if i < len(bids) else None
            a = asks[i] if i < len(asks) else None
            table.add_row(
                quantity(b[1], lot) if b else "",
                price(b[0], tick) if b else "",
                price(a[0], tick) if a else "",
                quantity(a[1], lot) if a else "",
            )
