"""Learned venue scores: expected slippage per venue, symbol and hour, with samples and source."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable

from widgets.format import level
from widgets.table_fill import refill

COLUMNS = ("venue", "sym", "hr", "slip bps", "n", "source")


class VenueScores(DataTable[str]):
    """Rows exactly as `engine.venue_scores` returned them."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.show(None)

    def show(self, rows: list[dict[str, Any]] | None) -> None:
        out = [
            (
                str(r.get("venue", "")),
                str(r.get("symbol", "")),
                str(r.get("hour", "")),
                level(
                    None
                    if r.get("expected_slippage_bps") is None
                    else float(r["expected_slippage_bps"]),
                    2,
                ),
                str(r.get("samples", 0)),
                str(r.get("source", "")),
            )
            for r in rows or []
        ] or [("no data yet", *[""] * (len(COLUMNS) - 1))]
        refill(self, COLUMNS, out)
