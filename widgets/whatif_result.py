"""A what-if result: each algorithm's shortfall in a small table, and the same as a bar chart below.

It renders the dictionary `tranche whatif --json` prints (console/commands/whatif.result_dict),
so the screen and the command line show the same figures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from widgets.table_fill import refill

COLUMNS = ("algo", "shortfall bps", "band (bps)", "filled", "vs parent")
BAR_WIDTH = 24


def verdict(row: dict[str, Any], d: dict[str, Any]) -> str:
    """How an algorithm compares with what the parent's own algorithm did."""
    if row["algo"] == d["algo"]:
        return "(itself)"
    if row["within_error"] is None:
        return "-"
    if row["within_error"]:
        return "within sim. error"
    own = d["rows"][0]["shortfall_bps"] or 0.0
    return "better" if (row["shortfall_bps"] or 0.0) < own else "worse"


def bar_lines(rows: list[dict[str, Any]], width: int = BAR_WIDTH) -> Text:
    """One bar per algorithm, its length the shortfall against the largest (the sign is printed:
    a negative shortfall is a gain against the arrival mid)."""
    vals = [(r["algo"], r["shortfall_bps"]) for r in rows if r["shortfall_bps"] is not None]
    top = max((abs(v) for _, v in vals), default=0.0) or 1.0
    out = Text()
    for algo, v in vals:
        n = max(1, round(abs(v) / top * width))
        out.append(f"{algo:<13}")
        out.append("█" * n)
        out.append(f"{' ' * (width - n)} {v:+.2f} bps\n")
    return out


class WhatIfResult(Vertical):
    """Says it is running until `show` gets the result (or `failed` the reason)."""

    DEFAULT_CSS = """
    WhatIfResult { height: auto; }
    WhatIfResult #whatif-table { width: auto; height: auto; margin: 1 0; }
    WhatIfResult #whatif-bars { width: auto; height: auto; }
    """

    def compose(self) -> ComposeResult:
        yield Static("re-running it on its recorded market under each algorithm...",
                     id="whatif-body", markup=False)  # fmt: skip
        yield DataTable(id="whatif-table", show_cursor=False)
        yield Static("", id="whatif-bars")

    def show(self, d: dict[str, Any]) -> None:
        files = ", ".join(Path(f).name for f in d["files"])
        sf = d["actual_shortfall_bps"]
        self.query_one("#whatif-body", Static).update(
            f"{d['side']} {d['quantity']} {d['symbol']} ran {d['algo']}: shortfall "
            f"{'-' if sf is None else f'{sf:.2f}'} bps\nre-run from its arrival on {files}\n"
            "band: risk-averse / probabilistic queue, doubled latency, arrival +1 s / +2 s"
        )
        rows = []
        for r in d["rows"]:
            band = "-" if r["low_bps"] is None else f"[{r['low_bps']:.2f}, {r['high_bps']:.2f}]"
            sf_row = "-" if r["shortfall_bps"] is None else f"{r['shortfall_bps']:.2f}"
            rows.append((r["algo"], sf_row, band, r["filled_qty"], verdict(r, d)))
        refill(self.query_one("#whatif-table", DataTable), COLUMNS, rows)
        self.query_one("#whatif-bars", Static).update(bar_lines(d["rows"]))

    def failed(self, text: str) -> None:
        self.query_one("#whatif-body", Static).update(text)
