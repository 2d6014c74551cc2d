"""A venue with a book that only moves when the test says so: deterministic slicing tests.

Reproduces: a venue whose touch shows limited size (a marketable order takes at most `depth`
at the far touch, an IOC remainder is cancelled); post-only orders that would cross are
refused; resting orders wait in the book until the test trades through them (`trade_through`)
or, with `passive_fill_after_s`, until that much time has passed; cancels and submits take
`latency_s` of clock time, as a real venue's round trip would. After `fail_after` submits it
can start failing the way real venues do: connection errors, requests that time out, orders
refused, or market data lost. It keeps every order it was sent, and at each submit notes which
of its orders were still open (`open_at_submit`).
"""

from __future__ import annotations

import asyncio
import itertools
from decimal import Decimal

from engine.brokers.base import (
    Ack,
    Broker,
    Capabilities,
    Health,
    OrderNotFound,
    OrderRejected,
    OrderState,
    OrderUpdate,
    VenueUnavailable,
    venue_copy,
)
from engine.clock import Clock
from engine.models import (
    ChildOrder,
    Fill,
    Instrument,
    OrderStatus,
    PortfolioSnapshot,
    Position,
    Quote,
    Side,
    TimeInForce,
)


class StaticVenue(Broker):
    """One symbol, a fixed bid/ask, limited depth at the touch, orders the test can fill."""

    capabilities = Capabilities(post_only=True, simulated=True)

    def __init__(
        self,
        name: str,
        clock: Clock,
        *,
        bid: str = "99.99",
        ask: str = "100.01",
        depth: str = "1000000",
        symbol: str = "AAPL",
        step: str = "1",
        latency_s: float = 0.0,
        passive_fill_after_s: float | None = None,
        fail_after: int | None = None,
        failure: str = "error",
        timeout_s: float = 10.0,
    ) -> None:
        super().__init__(name)
        self.clock = clock
        self.symbol = symbol
        self.bid, self.ask = Decimal(bid), Decimal(ask)
        self.depth = Decimal(depth)
        self.step = Decimal(step)
        self.latency_s = latency_s
        self.passive_fill_after_s = passive_fill_after_s
        self.fail_after = fail_after  # submits that succeed before the venue starts failing
        self.failure = failure  # "error", "timeout" (no answer within timeout_s), "reject", "quote"
        self.timeout_s = timeout_s
        self.submits = 0
        self.orders: dict[str, ChildOrder] = {}
        self.sent: list[ChildOrder] = []
        self.open_at_submit: list[tuple[str, list[str]]] = []
        self._ids = itertools.count(1)
        self._timers: list[asyncio.Future[None]] = []

    async def instrument(self, symbol: str) -> Instrument:
        return Instrument(symbol, tick=Decimal("0.01"), step=self.step)

    def _failing(self) -> bool:
        return self.fail_after is not None and self.submits > self.fail_after

    async def top_of_book(self, symbol: str) -> Quote:
        if self.failure == "quote" and self._failing():
            raise VenueUnavailable(self.name, "market data connection lost")
        return Quote(
            self.name, symbol, self.bid, self.ask, self.depth, self.depth, self.clock.now()
        )

    async def submit(self, order: ChildOrder) -> Ack:
        self.open_at_submit.append(
            (order.client_order_id, [c for c, o in self.orders.items() if o.status.is_open])
        )
        self.submits += 1
        if self._failing() and self.failure == "error":
            raise VenueUnavailable(self.name, "connection reset by peer")
        if self._failing() and self.failure == "timeout":
            await self.clock.sleep(self.timeout_s)  # what an adapter's request timeout turns into
            raise VenueUnavailable(self.name, f"no answer within {self.timeout_s:g} s")
        if self._failing() and self.failure == "reject":
            raise OrderRejected(self.name, "trading in this symbol is suspended")
        if self.latency_s:
            await self.clock.sleep(self.latency_s)
        px = order.limit_price
        marketable = px is None or (px >= self.ask if order.side is Side.BUY else px <= self.bid)
        if order.post_only and marketable:
            raise OrderRejected(self.name, f"post-only order at {px} would cross")
        mine = venue_copy(
            order,
            self.name,
            f"{self.name}-{next(self._ids)}",
            limit_price=px,
            created_ts=self.clock.now(),
            meta=order.meta,
        )
        self.orders[mine.client_order_id] = mine
        self.sent.append(mine)
        if marketable:
            self._fill(
                mine,
                min(mine.quantity, self.depth),
                self.ask if order.side is Side.BUY else self.bid,
                "taker",
            )
        if mine.status.is_open and order.tif is TimeInForce.IOC:
            mine.status = OrderStatus.CANCELLED
        elif mine.status.is_open and self.passive_fill_after_s is not None:
            self._timers.append(
                asyncio.ensure_future(self._fill_later(mine, self.passive_fill_after_s))
            )
        return Ack(mine.venue_order_id, mine.status)

    async def cancel(self, order: ChildOrder) -> None:
        mine = self.orders.get(order.client_order_id)
        if mine is None:
            raise OrderNotFound(self.name, f"no order {order.client_order_id}")
        if self.latency_s:
            await self.clock.sleep(self.latency_s)
        if mine.status.is_open:
            mine.status = OrderStatus.CANCELLED

    def trade_through(self, price: Decimal) -> None:
        """A trade prints at `price`: resting orders at or through it fill completely."""
        for o in list(self.orders.values()):
            if (
                o.status.is_open
                and o.limit_price is not None
                and (o.limit_price >= price if o.side is Side.BUY else o.limit_price <= price)
            ):
                self._fill(o, o.remaining, o.limit_price, "maker")

    async def _fill_later(self, o: ChildOrder, after_s: float) -> None:
        await self.clock.sleep(after_s)
        if o.status.is_open and o.limit_price is not None:
            self._fill(o, o.remaining, o.limit_price, "maker")

    def _fill(self, o: ChildOrder, qty: Decimal, price: Decimal, liquidity: str) -> None:
        if qty <= 0:
            return
        fill = Fill(
            f"{o.venue_order_id}-f{len(o.fill_ids) + 1}",
            o.client_order_id,
            self.name,
            o.symbol,
            o.side,
            qty,
            price,
            self.clock.now(),
            Decimal(0),
            liquidity,
        )
        o.fill_ids.add(fill.fill_id)
        o.filled_qty += qty
        o.status = (
            OrderStatus.FILLED if o.filled_qty >= o.quantity else OrderStatus.PARTIALLY_FILLED
        )
        self._emit(OrderUpdate(o.client_order_id, o.status, fill))

    async def order_status(self, order: ChildOrder) -> OrderState:
        mine = self.orders[order.client_order_id]
        return OrderState(
            mine.client_order_id, mine.venue_order_id or "", mine.status, mine.filled_qty
        )

    async def open_orders(self) -> list[OrderState]:
        return [
            OrderState(o.client_order_id, o.venue_order_id or "", o.status, o.filled_qty)
            for o in self.orders.values()
            if o.status.is_open
        ]

    async def positions(self) -> dict[str, Position]:
        return {}

    async def portfolio(self) -> PortfolioSnapshot:
        return PortfolioSnapshot(Decimal(10_000_000), {}, Decimal(10_000_000), self.clock.now())

    async def health(self) -> Health:
        return Health(True, 0.0, markets=1)

    async def close(self) -> None:
        for t in self._timers:
            t.cancel()
