"""Alerts the engine raised (slippage, latency, guardrail), newest first."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from textual.widgets import DataTable

from engine.events import AlertRaised
from widgets.format import figure

COLUMNS = ("time", "kind", "venue", "value", "limit", "message")
EMPTY = "no alerts yet"


class AlertList(DataTable[str]):
    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.show([])

    def show(self, alerts: Iterable[AlertRaised]) -> None:
        rows = list(alerts)[::-1][:100]
        self.clear(columns=True)  # widths fit the new rows, not the widest ever
        self.add_column(COLUMNS[0], width=None if rows else len(EMPTY))  # room for the placeholder
        self.add_columns(*COLUMNS[1:])
        for a in rows:
            stamp = datetime.fromtimestamp(a.ts, UTC).strftime("%H:%M:%S")
            self.add_row(stamp, a.kind, a.venue, figure(a.value), figure(a.threshold), a.message)
        if not rows:
            self.add_row(EMPTY, "", "", "", "", "")
