"""Incoming signals: the held ones first (Kelly size, decision, legs), then what became of the rest."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.widgets import DataTable

from widgets.format import money, quantity
from widgets.table_fill import refill

COLUMNS = (
    "signal",
    "status",
    "side",
    "symbol",
    "kelly qty",
    "notional",
    "f*",
    "decision",
    "legs",
    "why",
)
EMPTY = "no signals yet"


def legs_text(legs: Iterable[Any]) -> str:
    return " ".join(f"{leg.venue}:{quantity(leg.quantity, None)}" for leg in legs)


class SignalsPane(DataTable[str]):
    """Renders SignalUpdated views; the row key is the signal id, so the cursor names a signal."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.show([], [])

    def show(self, held: list[Any], recent: list[Any]) -> None:
        """`held` waits for the trader (oldest first); `recent` is the newest outcomes."""
        keep = self.selected_id()
        rows = [
            (
                v.signal_id or "?",
                v.status.value.upper() if v.status.value == "held" else v.status.value,
                v.direction,
                v.symbol,
                quantity(v.quantity, None) if v.quantity else "",
                money(v.notional) if v.notional else "",
                f"{v.kelly_fraction:.3f}" if v.kelly_fraction is not None else "",
                v.decision,
                legs_text(v.legs),
                v.reason,
            )
            for v in [*held, *recent]
        ]
        keys = [f"{v.status.value}:{v.signal_id}:{n}" for n, v in enumerate([*held, *recent])]
        if not rows:
            rows, keys = [(EMPTY, *[""] * (len(COLUMNS) - 1))], ["empty"]
        refill(self, COLUMNS, rows, keys)
        if keep:
            for i, key in enumerate(keys):
                if key.startswith(f"held:{keep}:"):
                    self.move_cursor(row=i)
                    break

    def selected_id(self) -> str | None:
        """The held signal under the cursor, if the cursor is on one."""
        if not self.row_count or not self.is_valid_row_index(self.cursor_row):
            return None
        key = str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)
        status, _, rest = key.partition(":")
        return rest.rpartition(":")[0] if status == "held" else None
