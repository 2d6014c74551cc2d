"""The smart order router's legs: per venue the figures it ranked by, the share, and live leg status."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from engine.api import Leg
from widgets.cell_cache import ContentCachedTable
from widgets.format import figure, level
from widgets.table_fill import refill

COLUMNS = (
    "venue",
    "bid",
    "ask",
    "sprd",
    "worse",
    "exp slip",
    "cost",
    "share",
    "notional",
    "status",
    "done",
)
# bps figures are in basis points; cell padding 0 plus one leading space keeps 11 columns in 80 cells


class SorLegs(ContentCachedTable):
    """Legs of the previewed ticket, then of the newest parent once it is working."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.cell_padding = 0
        self.show((), (), {})

    def show(
        self,
        legs: Sequence[Leg],
        dropped: Sequence[tuple[str, str]],
        live: dict[str, tuple[str, Decimal, Decimal]],
    ) -> None:
        """`live` maps venue -> (status, filled, leg quantity) for the working parent, if any."""
        out: list[tuple[str, ...]] = []
        if not legs and not live:
            self.row(out, "no data yet", *[""] * (len(COLUMNS) - 1))
        for leg in legs:
            status, filled, qty = live.get(leg.venue, ("preview", Decimal(0), leg.quantity))
            done = f"{filled / qty:.0%}" if qty else "-"
            self.row(
                out,
                leg.venue,
                figure(leg.bid),
                figure(leg.ask),
                level(leg.spread_bps, 1),
                level(leg.price_worse_bps, 1),
                f"{level(leg.expected_slippage_bps, 1)} {leg.slippage_source}",
                level(leg.effective_cost_bps, 1),
                f"{leg.share:.0%}",
                figure(leg.notional),
                status,
                done,
            )
        shown = {leg.venue for leg in legs}
        for venue, (status, filled, qty) in live.items():
            if venue not in shown:
                self.row(
                    out,
                    venue,
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    status,
                    f"{filled / qty:.0%}" if qty else "-",
                )
        for venue, reason in dropped:
            self.row(out, venue, "", "", "", "", "", "", "0%", "", f"dropped: {reason}", "")

        refill(self, [f" {c}" for c in COLUMNS], out)

    @staticmethod
    def row(out: list[tuple[str, ...]], *cells: str) -> None:
        out.append(tuple(f" {c}" if c else "" for c in cells))
