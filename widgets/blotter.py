"""Orders and fills from the SQLite history, newest first, filtered by any text the trader types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Input

from widgets.format import Steps, average, no_steps, price, quantity
from widgets.ordered_input import OrderedInput

COLUMNS = ("time", "kind", "id", "venue", "symbol", "side", "qty", "price", "status")
KEYS = {
    "time": ("ts", "created_ts", "time"),
    "kind": ("kind", "type"),
    "id": ("client_order_id", "parent_id", "fill_id", "id"),
    "venue": ("venue",),
    "symbol": ("symbol",),
    "side": ("side",),
    "qty": ("quantity", "qty", "filled_qty"),
    "price": ("price", "avg_price", "limit_price"),
    "status": ("status", "liquidity"),
}


def cell(row: dict[str, Any], column: str, steps: Steps = no_steps) -> str:
    for k in KEYS[column]:
        v = row.get(k)
        if v is None or v == "":
            continue
        if column == "time" and isinstance(v, int | float):
            return datetime.fromtimestamp(v, UTC).strftime("%m-%d %H:%M:%S")
        if column in ("qty", "price"):
            tick, lot = steps(str(row.get("venue", "")), str(row.get("symbol", "")))
            if column == "qty":
                return quantity(v, lot)
            return average(v, tick) if k == "avg_price" else price(v, tick)
        return str(v)
    return ""


class Blotter(Vertical):
    """Keeps the last rows the engine returned; filtering never asks the engine again."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows: list[dict[str, Any]] | None = None
        self.steps: Steps = no_steps

    def compose(self) -> ComposeResult:
        yield OrderedInput(
            placeholder="filter: venue, symbol, id, status...", id="blotter-filter", compact=True
        )
        yield DataTable(id="blotter-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self._render_rows()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "blotter-filter":
            event.stop()
            self._render_rows()

    def show(self, rows: list[dict[str, Any]] | None, steps: Steps | None = None) -> None:
        self.rows = rows
        if steps is not None:
            self.steps = steps
        self._render_rows()

    def _render_rows(self) -> None:
        if not (self.query(DataTable) and self.query("#blotter-filter")):
            return  # shown before compose: on_mount paints the kept rows
        table: DataTable[str] = self.query_one(DataTable)
        if not table.columns:  # a show() racing a re-layout (resize) must not find it bare
            table.add_columns(*COLUMNS)
        table.clear()
        needle = self.query_one("#blotter-filter", Input).value.strip().lower()
        shown = 0
        for r in self.rows or []:
            cells = [cell(r, c, self.steps) for c in COLUMNS]
            if needle and needle not in " ".join(cells).lower():
                continue
            table.add_row(*cells)
            shown += 1
        if not shown:
            table.add_row(
                "no data yet" if not self.rows else "no match", *[""] * (len(COLUMNS) - 1)
            )
