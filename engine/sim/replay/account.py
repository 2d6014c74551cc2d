"""Cash and positions of our account at one replay venue, booked fill by fill in Decimal."""

from __future__ import annotations

from decimal import Decimal

from engine.models import Position, Side


class Account:
    """What a fill does to cash and to the position's quantity and average price."""

    def __init__(self, cash: Decimal) -> None:
        self.cash = cash
        self.pos: dict[str, tuple[Decimal, Decimal]] = {}  # symbol -> (quantity, average price)

    def book(self, symbol: str, side: Side, qty: Decimal, price: Decimal, fee: Decimal) -> None:
        self.cash -= side.sign * qty * price + fee
        q0, avg = self.pos.get(symbol, (Decimal(0), Decimal(0)))
        q1 = q0 + side.sign * qty
        if q1 == 0:
            avg = Decimal(0)
        elif q0 == 0 or (q0 > 0) != (q1 > 0):
            avg = price
        elif abs(q1) > abs(q0):
            avg = (avg * abs(q0) + price * qty) / abs(q1)
        self.pos[symbol] = (q1, avg)

    def positions(self) -> dict[str, Position]:
        return {s: Position(s, q, a) for s, (q, a) in self.pos.items() if q != 0}
