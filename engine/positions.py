"""Positions and P&L per symbol and venue, booked from fills at average cost, marked to the mid.

One book serves the console's positions pane and `tranche positions`, so both print the same
figures. Realised P&L is taken when a fill reduces a position (price against the average cost);
a fill that crosses zero closes the old side and opens the rest at its own price. Fees are kept
apart from realised P&L so a trader can read both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

ZERO = Decimal(0)


@dataclass(slots=True)
class Holding:
    """One symbol at one venue: signed quantity, average cost of what is held, P&L so far."""

    quantity: Decimal = ZERO
    avg_cost: Decimal = ZERO
    realised: Decimal = ZERO
    fees: Decimal = ZERO
    last_price: Decimal | None = None

    def add(self, signed_qty: Decimal, price: Decimal, fee: Decimal) -> None:
        q = self.quantity
        self.fees += fee
        self.last_price = price
        if signed_qty == 0:
            return
        new_q = q + signed_qty
        if q == 0 or (q > 0) == (signed_qty > 0):
            self.avg_cost = (self.avg_cost * abs(q) + price * abs(signed_qty)) / abs(new_q)
        else:
            closed = min(abs(signed_qty), abs(q))
            self.realised += (price - self.avg_cost) * closed * (1 if q > 0 else -1)
            if new_q == 0:
                self.avg_cost = ZERO
            elif (new_q > 0) != (q > 0):  # crossed zero: the rest opens at this price
                self.avg_cost = price
        self.quantity = new_q


def sign_of(side: Any) -> int:
    value = getattr(side, "value", side)
    if value not in ("buy", "sell"):
        raise ValueError(f"fill side must be buy or sell, got {value!r}")
    return 1 if value == "buy" else -1


class PositionBook:
    """Holdings keyed by (symbol, venue), folded fill by fill in time order."""

    def __init__(self) -> None:
        self.holdings: dict[tuple[str, str], Holding] = {}

    def add(
        self, symbol: str, venue: str, side: Any, quantity: Decimal, price: Decimal, fee: Decimal
    ) -> None:
        h = self.holdings.setdefault((symbol, venue), Holding())
        h.add(sign_of(side) * Decimal(quantity), Decimal(price), Decimal(fee))

    def add_rows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Fill rows as the store returns them (oldest first)."""
        for r in rows:
            self.add(r["symbol"], r["venue"], r["side"], r["quantity"], r["price"], r["fee"])

    def net(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for (symbol, _), h in self.holdings.items():
            out[symbol] = out.get(symbol, ZERO) + h.quantity
        return out

    def rows(
        self,
        marks: Mapping[tuple[str, str], Decimal],
        exposure: Callable[[str], Decimal] | None = None,
    ) -> dict[str, list[dict[str, Any]]]:
        """Per venue and per symbol; the mark is the venue's mid, else the last fill there (named)."""
        venues: list[dict[str, Any]] = []
        totals: dict[str, dict[str, Any]] = {}
        for (symbol, venue), h in sorted(self.holdings.items()):
            mark, source = marks.get((venue, symbol)), "mid"
            if mark is None:
                mark, source = h.last_price, "last fill"
            unrealised = (
                (mark - h.avg_cost) * h.quantity if mark is not None and h.quantity else ZERO
            )
            venues.append(
                {
                    "symbol": symbol,
                    "venue": venue,
                    "quantity": h.quantity,
                    "avg_cost": h.avg_cost if h.quantity else None,
                    "mark": mark,
                    "mark_source": source,
                    "unrealised": unrealised,
                    "realised": h.realised,
                    "fees": h.fees,
                }
            )
            t = totals.setdefault(
                symbol,
                {
                    "symbol": symbol,
                    "quantity": ZERO,
                    "unrealised": ZERO,
                    "realised": ZERO,
                    "fees": ZERO,
                },
            )
            for k in ("quantity", "unrealised", "realised", "fees"):
                t[k] += venues[-1][k]
        for symbol, t in totals.items():
            t["gate_exposure"] = exposure(symbol) if exposure is not None else None
        return {"positions": venues, "totals": list(totals.values())}
