"""Learned venue scores: expected slippage per venue, symbol and hour, with samples and source."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable

from widgets.format import level

COLUMNS = ("venue", "sym", "hr", "slip bps", "n", "source")


class VenueScores(DataTable[str]):
    """Rows exactly as `engine.venue_scores` returned them."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.show(None)

    def show(self, rows: list[dict[str, Any]] | None) -> None:
        self.clear(columns=True)  # widths fit the new rows, not the widest ever
        self.add_columns(*COLUMNS)
        if not rows:
            self.add_row("no data yet", *[""] * (len(COLUMNS) - 1))
            return
        for r in rows:
            slip = r.get("expected_slippage_bps")
            self.add_row(
                str(r.get("venue", "")),
                str(r.get("symbol", "")),
                str(r.get("hour", "")),
                level(None if slip is None else float(slip), 2),
                str(r.get("samples", 0)),
                str(r.get("source", "")),
            )
