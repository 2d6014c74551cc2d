"""Positions and P&L per symbol and venue, and the exposure the risk gate counts per symbol."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable

from widgets.format import average, money, quantity

COLUMNS = (
    "symbol",
    "venue",
    "qty",
    "avg cost",
    "mark",
    "unrealised",
    "realised",
    "fees",
    "gate exposure",
)
EMPTY = "no positions yet"


class PositionsPane(DataTable[str]):
    """Renders `engine.position_rows()`: one row per venue, then the symbol's net and gate figure."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.show({"positions": [], "totals": []})

    def show(self, data: dict[str, list[dict[str, Any]]]) -> None:
        self.clear(columns=True)
        rows = data.get("positions", [])
        self.add_column(COLUMNS[0], width=None if rows else len(EMPTY))
        self.add_columns(*COLUMNS[1:])
        totals = {t["symbol"]: t for t in data.get("totals", [])}
        for symbol in sorted({r["symbol"] for r in rows}):
            mine = [r for r in rows if r["symbol"] == symbol]
            for r in mine:
                mark = average(
                    r["mark"], r.get("tick")
                )  # a mid falls between ticks: shown to the half tick and beyond
                if r["mark_source"] != "mid":
                    mark += " (last fill)"
                self.add_row(
                    symbol,
                    r["venue"],
                    quantity(r["quantity"], r.get("lot")),
                    average(r["avg_cost"], r.get("tick")),
                    mark,
                    money(r["unrealised"]),
                    money(r["realised"]),
                    money(r["fees"]),
                    "",
                )
            t = totals.get(symbol)
            if t is not None:
                self.add_row(
                    f"{symbol} net",
                    "all",
                    quantity(t["quantity"], mine[0].get("lot")),
                    "",
                    "",
                    money(t["unrealised"]),
                    money(t["realised"]),
                    money(t["fees"]),
                    quantity(t["gate_exposure"], mine[0].get("lot")),
                )
        if not rows:
            self.add_row(EMPTY, *[""] * (len(COLUMNS) - 1))
