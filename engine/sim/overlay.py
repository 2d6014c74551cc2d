"""Our orders on top of replayed history: they take liquidity and queue, history is not rewritten.

How our impact shows up: liquidity we take is subtracted from the historical level (`consumed`)
and refills exponentially with `refill_s`, so our next take walks deeper and `top()` shows the
thinner book; the historical prices and the other participants' behaviour do not react (no
permanent or temporary price impact in replay: use the synthetic market for that).

Queue position of a resting order: it joins behind the historical size at its price. Trades
printing at its price consume the queue ahead first, then it (FIFO). A trade printing through its
price fills it. A level shrinking by more than the trades at it is cancellation, taken pro-rata
from the queue ahead (aggregated data: Binance); with LOBSTER order ids it is exact (an order
cancelled or executed ahead of us is known to be ahead: it existed before we joined).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from engine.sim.book import L2Book


@dataclass(slots=True)
class OverlayOrder:
    oid: str
    is_buy: bool
    price: float
    remaining: float
    ahead: float
    behind_ids: set[int] = field(default_factory=set)  # LOBSTER orders that joined after us


@dataclass(frozen=True, slots=True)
class OverlayFill:
    fill_id: str
    oid: str
    price: float
    qty: float
    ts: float
    liquidity: str


class Overlay:
    """Our takes and resting orders against a replayed L2Book."""

    def __init__(self, book: L2Book, refill_s: float = 5.0) -> None:
        self.book = book
        self.refill_s = refill_s
        self.consumed: dict[
            tuple[bool, float], tuple[float, float]
        ] = {}  # (is_bid, price) -> (qty, ts)
        self.orders: list[OverlayOrder] = []
        self.fills: list[OverlayFill] = []
        self._ids = itertools.count(1)
        self._traded: dict[tuple[bool, float], float] = {}

    def _consumed(self, is_bid: bool, price: float, ts: float) -> float:
        c = self.consumed.get((is_bid, price))
        if c is None:
            return 0.0
        return c[0] * math.exp(-(ts - c[1]) / self.refill_s)

    def visible(self, is_bid: bool, price: float, ts: float) -> float:
        """Historical size at a level less what we took and has not refilled."""
        d = self.book.bids if is_bid else self.book.asks
        return max(0.0, d.get(price, 0.0) - self._consumed(is_bid, price, ts))

    def top(self, ts: float) -> tuple[float | None, float, float | None, float]:
        out: list[float | None] = []
        for is_bid in (True, False):
            for p, _ in self.book.side_levels(is_bid, 50):
                v = self.visible(is_bid, p, ts)
                if v > 0:
                    out += [p, v]
                    break
            else:
                out += [None, 0.0]
        return out[0], out[1] or 0.0, out[2], out[3] or 0.0

    def take(
        self, oid: str, is_buy: bool, qty: float, limit: float | None, ts: float
    ) -> list[OverlayFill]:
        """Walk the opposite side at its historical prices, consuming what we take."""
        is_bid = not is_buy
        out: list[OverlayFill] = []
        for p, _ in self.book.side_levels(is_bid, 1000):
            if qty <= 0 or (limit is not None and (p > limit if is_buy else p < limit)):
                break
            q = min(qty, self.visible(is_bid, p, ts))
            if q <= 0:
                continue
            self.consumed[(is_bid, p)] = (self._consumed(is_bid, p, ts) + q, ts)
            qty -= q
            out.append(self._fill(oid, p, q, ts, "taker"))
        return out

    def rest(self, oid: str, is_buy: bool, price: float, qty: float, ts: float) -> OverlayOrder:
        o = OverlayOrder(oid, is_buy, price, qty, self.visible(is_buy, price, ts))
        self.orders.append(o)
        return o

    def cancel(self, oid: str) -> bool:
        n = len(self.orders)
        self.orders = [o for o in self.orders if o.oid != oid]
        return len(self.orders) < n

    def on_trade(
        self, price: float, qty: float, resting_is_bid: bool, ts: float, order_id: int | None = None
    ) -> None:
        """A historical print against the resting side: consume the queue ahead, then ours."""
        self._traded[(resting_is_bid, price)] = self._traded.get((resting_is_bid, price), 0.0) + qty
        for o in self.orders:
            if o.is_buy != resting_is_bid or o.remaining <= 0:
                continue
            through = price < o.price if o.is_buy else price > o.price
            if through or (order_id is not None and order_id in o.behind_ids and price == o.price):
                self._fill_resting(o, qty, ts)
            elif price == o.price:
                left = qty - o.ahead
                o.ahead = max(0.0, o.ahead - qty)
                if left > 0:
                    self._fill_resting(o, left, ts)
        self.orders = [o for o in self.orders if o.remaining > 0]

    def on_level(self, is_bid: bool, price: float, old: float, new: float) -> None:
        """A level changed size: the part of a decrease not explained by trades is cancellation."""
        traded = self._traded.pop((is_bid, price), 0.0)
        cancelled = old - new - traded
        base = old - traded
        if cancelled <= 0 or base <= 0:
            return
        for o in self.orders:
            if o.is_buy == is_bid and o.price == price:
                o.ahead = max(0.0, o.ahead * (1 - cancelled / base))

    def on_cancel_order(self, is_bid: bool, price: float, size: float, order_id: int) -> None:
        """LOBSTER: an identified order left the level; only orders older than ours were ahead."""
        for o in self.orders:
            if o.is_buy == is_bid and o.price == price and order_id not in o.behind_ids:
                o.ahead = max(0.0, o.ahead - size)

    def on_new_order(self, is_bid: bool, price: float, order_id: int) -> None:
        for o in self.orders:
            if o.is_buy == is_bid and o.price == price:
                o.behind_ids.add(order_id)

    def _fill_resting(self, o: OverlayOrder, qty: float, ts: float) -> None:
        q = min(o.remaining, qty)
        if q > 0:
            o.remaining -= q
            self.fills.append(self._fill(o.oid, o.price, q, ts, "maker"))

    def _fill(self, oid: str, price: float, qty: float, ts: float, liquidity: str) -> OverlayFill:
        f = OverlayFill(f"R-F{next(self._ids)}", oid, price, qty, ts, liquidity)
        if liquidity == "taker":
            self.fills.append(f)
        return f
