"""A recorded market as a broker: the engine's orders meet the replayed book with queue, latency and fees.

Same protocol as the simulated, paper and ccxt venues. An order reaches the book after the
venue's order latency and its answer comes back after the response latency; quotes show the
book as it was one feed latency ago. The venue's own record (`executed_fills`) is the authority.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from engine.brokers.base import (
    Ack,
    Broker,
    Capabilities,
    CostFacts,
    Health,
    InsufficientFunds,
    OrderNotFound,
    OrderRejected,
    OrderState,
    OrderUpdate,
    UnknownSymbol,
    venue_copy,
)
from engine.models import (
    ChildOrder,
    Fill,
    Instrument,
    OrderStatus,
    OrderType,
    PortfolioSnapshot,
    Position,
    Quote,
    Side,
    TimeInForce,
)
from engine.sim.data.columns import ASK, BID
from engine.sim.replay.account import Account
from engine.sim.replay.facts import replay_cost_facts
from engine.sim.replay.market import ReplayMarket, iso
from engine.sim.replay.matching import marketable, walk
from engine.sim.replay.queue import Resting
from engine.sim.replay.spec import VenueSpec
from engine.sim.replay.tape import PrintTape

FEE_Q = Decimal("0.00000001")


@dataclass(slots=True)
class _Order:
    child: ChildOrder
    fills: list[Fill] = field(default_factory=list)


class ReplayVenue(Broker):
    """One recorded file as one venue of the shared replay market."""

    capabilities = Capabilities(
        fractional_quantities=True, post_only=True, ioc=True, simulated=True
    )

    def __init__(self, spec: VenueSpec, market: ReplayMarket, index: int, *, cash: Decimal) -> None:
        super().__init__(spec.name)
        self.spec = spec
        self.market = market
        self.feed = market.feeds[index]
        self.feed.sink = self._maker_fill
        rec = self.feed.rec
        self.symbol = rec.symbol
        self.tick, self.lot = rec.tick, rec.lot
        self.clock = market.clock
        self.account = Account(cash)
        self._orders: dict[str, _Order] = {}
        self._ids = itertools.count(1)
        self._fill_ids = itertools.count(1)
        self._fill_prefix = f"{self.name}-{secrets.token_hex(4)}-F"
        self._maker = Decimal(str(spec.maker_bps)) / 10000
        self._taker = Decimal(str(spec.taker_bps)) / 10000
        self.feed.feed_latency_s = self.feed_latency_s = spec.feed_latency_s
        self._tape: PrintTape | None = None  # built at POV's first ask
        self.impact_y = (
            0.8  # the estimate's square-root impact prefactor (router.estimate_impact_y)
        )
        self.default_vol = 0.02  # until the recording has traded long enough to measure its own

    # -- connection and market data -------------------------------------------------------
    async def connect(self) -> None:
        await self.market.start()

    async def close(self) -> None:
        await self.market.stop()

    async def health(self) -> Health:
        now = self.clock.now()
        ended = now > self.feed.end
        detail = f"replay of {self.feed.rec.meta.get('source', '?')} at {iso(now)}"
        return Health(
            not ended,
            2 * self.spec.order_latency_s * 1000,
            markets=1,
            detail=f"recording ended at {iso(self.feed.end)}" if ended else detail,
        )

    async def symbols(self) -> list[str]:
        return [self.symbol]

    def _check(self, symbol: str) -> None:
        if symbol != self.symbol:
            raise UnknownSymbol(
                self.name, f"unknown symbol {symbol!r}; this recording is {self.symbol}"
            )

    async def instrument(self, symbol: str) -> Instrument:
        self._check(symbol)
        return Instrument(symbol, tick=self.tick, step=self.lot, min_qty=self.lot)

    async def adv(self, symbol: str) -> Decimal | None:
        """The recording's traded volume scaled to a day."""
        self._check(symbol)
        rec = self.feed.rec
        lots = int(rec.qty[rec.kind == 1].sum())
        secs = max(rec.last_ts - rec.first_ts, 1.0)
        return (Decimal(lots) * Decimal(86400) / Decimal(str(round(secs, 3)))).quantize(
            Decimal(1)
        ) * self.lot or None

    async def cost_facts(self, symbol: str) -> CostFacts | None:
        """The recording's own recent volatility and this venue's fees (engine/sim/replay/facts.py)."""
        self._check(symbol)
        return replay_cost_facts(
            self.feed.rec, self._sync(), self.spec.maker_bps, self.spec.taker_bps,
            self.impact_y, self.default_vol,
        )  # fmt: skip

    async def traded_volume(self, symbol: str) -> Decimal | None:
        """Others' volume: the recording's prints up to now, as its feed shows them (one feed
        latency late, like its quotes)."""
        self._check(symbol)
        if self._tape is None:
            self._tape = PrintTape(self.feed.rec)
        return Decimal(self._tape.lots_until(self._sync() - self.feed_latency_s)) * self.lot

    def _sync(self) -> float:
        now = self.clock.now()
        self.feed.sync(now)
        self.market.settle(self.feed, now)
        return now

    async def top_of_book(self, symbol: str) -> Quote:
        self._check(symbol)
        now = self._sync()
        if self.feed.seen is not None and self.feed_latency_s > 0:
            bid, bsz, ask, asz = self.feed.seen[1]
        else:
            b = self.feed.book
            (bid, bsz), (ask, asz) = b.top(BID, now), b.top(ASK, now)
        if bid is None or ask is None:
            raise OrderRejected(
                self.name,
                f"{symbol}: the recorded book has no {'bid' if bid is None else 'ask'} at {iso(now)}",
            )
        t, lot, k = self.tick, self.lot, self.feed.shift
        return Quote(self.name, symbol, (bid + k) * t, (ask + k) * t, bsz * lot, asz * lot, now)

    async def book(
        self, symbol: str, depth: int = 10
    ) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        self._check(symbol)
        now = self._sync()
        b, t, lot, k = self.feed.book, self.tick, self.lot, self.feed.shift
        return (
            [((p + k) * t, q * lot) for p, q in b.depth(BID, depth, now)],
            [((p + k) * t, q * lot) for p, q in b.depth(ASK, depth, now)],
        )

    # -- orders ---------------------------------------------------------------------------
    def _ticks(self, order: ChildOrder) -> tuple[int, int | None]:
        lots = order.quantity / self.lot
        if order.quantity <= 0 or lots != lots.to_integral_value():
            raise OrderRejected(
                self.name,
                f"quantity {order.quantity} is not a positive multiple of the lot {self.lot}",
            )
        if order.order_type is OrderType.MARKET and order.limit_price is None:
            return int(lots), None
        if order.limit_price is None or order.limit_price <= 0:
            raise OrderRejected(self.name, "a limit order needs a positive limit price")
        t = order.limit_price / self.tick
        if t != t.to_integral_value():
            raise OrderRejected(
                self.name, f"price {order.limit_price} is not on the tick {self.tick}"
            )
        return int(lots), int(t)

    async def submit(self, order: ChildOrder) -> Ack:
        self._check(order.symbol)
        known = self._orders.get(order.client_order_id)
        if known is not None:  # an idempotent retry: same answer, no new order
            return Ack(known.child.venue_order_id or "", known.child.status, known.child.reason)
        lots, limit = self._ticks(order)
        now = self._sync()
        if now + self.spec.order_latency_s > self.feed.end:
            raise OrderRejected(
                self.name, f"the recording ends at {iso(self.feed.end)}: nothing to trade against"
            )
        if order.side is Side.BUY:
            px = order.limit_price or (await self.top_of_book(order.symbol)).ask
            need = order.quantity * px * (1 + max(self._taker, Decimal(0))) + self._reserved()
            if need > self.account.cash:
                raise InsufficientFunds(
                    self.name,
                    f"buy of {order.quantity} {order.symbol} at {px} needs {need:.2f}, cash {self.account.cash:.2f}",
                )
        vid = f"{self.name}-{next(self._ids)}"
        rec = _Order(venue_copy(order, self.name, vid, created_ts=now))
        self._orders[order.client_order_id] = rec
        await self.clock.sleep(self.spec.order_latency_s)
        arrived = self._sync()
        if rec.child.status is OrderStatus.SUBMITTED:
            self._arrive(rec, lots, limit, arrived)
        await self.clock.sleep(self.spec.response_latency_s)
        return Ack(vid, rec.child.status, rec.child.reason, arrived_ts=arrived)

    def _arrive(self, rec: _Order, lots: int, limit: int | None, now: float) -> None:
        """Match in the recording's prices: ours less the shift our impact gave the book."""
        o = rec.child
        side = BID if o.side is Side.BUY else ASK
        k = self.feed.shift
        if limit is not None:
            self._prevent_self_trade(side, limit - k)
        book = self.feed.book
        if marketable(book, side, None if limit is None else limit - k, now):
            if o.post_only:
                self._finish(rec, OrderStatus.REJECTED, "post-only order would cross the book")
                return
            taken = 0
            for price, q in walk(book, side, lots, None if limit is None else limit - k, now):
                lots -= q
                taken += q
                self._book_fill(rec, q, price + k, now, taker=True)
            if taken:
                self.market.took(self.feed, taken if side == BID else -taken, now)
        if lots <= 0:
            return
        if limit is None or o.tif is TimeInForce.IOC:
            why = (
                "IOC remainder cancelled"
                if o.tif is TimeInForce.IOC
                else "market order: book exhausted"
            )
            self._finish(rec, OrderStatus.CANCELLED, why)
            return
        at = limit - self.feed.shift  # the shift may have moved with our own take
        ahead = float(book.levels[side].get(at, 0))
        self.feed.rest(Resting(o.client_order_id, side, at, lots, ahead))

    def _prevent_self_trade(self, side: int, limit: int) -> None:
        for r in list(self.feed.resting.values()):
            if r.side != side and (r.price <= limit if side == BID else r.price >= limit):
                self._finish(
                    self._orders[r.oid],
                    OrderStatus.CANCELLED,
                    "self-trade prevention: resting order expired",
                )

    def _maker_fill(self, r: Resting, lots: int, price: int, t: float) -> None:
        rec = self._orders.get(r.oid)
        if rec is not None and rec.child.status.is_open:
            self._book_fill(rec, lots, price + self.feed.shift, t, taker=False)

    def _book_fill(
        self, rec: _Order, lots: int, price_ticks: int, ts: float, *, taker: bool
    ) -> None:
        o = rec.child
        qty, price = lots * self.lot, price_ticks * self.tick
        fee = (qty * price * (self._taker if taker else self._maker)).quantize(FEE_Q)
        fill = Fill(
            f"{self._fill_prefix}{next(self._fill_ids)}",
            o.client_order_id,
            self.name,
            o.symbol,
            o.side,
            qty,
            price,
            ts,
            fee,
            "taker" if taker else "maker",
        )
        o.filled_qty += qty
        o.avg_price = (
            (o.avg_price or Decimal(0)) * (o.filled_qty - qty) + price * qty
        ) / o.filled_qty
        o.fees += fee
        o.status = (
            OrderStatus.FILLED if o.filled_qty >= o.quantity else OrderStatus.PARTIALLY_FILLED
        )
        rec.fills.append(fill)
        self.account.book(o.symbol, o.side, qty, price, fee)
        if o.status is OrderStatus.FILLED:
            self.feed.remove(o.client_order_id)
        self._emit(OrderUpdate(o.client_order_id, o.status, fill))

    def _finish(self, rec: _Order, status: OrderStatus, reason: str) -> None:
        o = rec.child
        self.feed.remove(o.client_order_id)
        o.status, o.reason = status, reason
        self._emit(OrderUpdate(o.client_order_id, status, None, reason))

    def _reserved(self) -> Decimal:
        """Cash held by open buys, so resting orders cannot spend it twice."""
        total = Decimal(0)
        for r in self.feed.resting.values():
            if r.side == BID:
                total += r.remaining * self.lot * (r.price + self.feed.shift) * self.tick
        return total

    def executed_fills(self) -> list[Fill]:
        """Every fill this venue made, from its own books: what audits compare the history with."""
        return [f for rec in self._orders.values() for f in rec.fills]

    async def cancel(self, order: ChildOrder) -> None:
        rec = self._orders.get(order.client_order_id)
        if rec is None:
            raise OrderNotFound(self.name, f"no order {order.client_order_id}")
        if rec.child.status.is_terminal:
            return
        await self.clock.sleep(self.spec.order_latency_s)
        self._sync()
        if rec.child.status.is_open:
            self._finish(rec, OrderStatus.CANCELLED, "cancelled")
        await self.clock.sleep(self.spec.response_latency_s)

    async def cancel_all(self) -> list[str] | None:
        """One request, one round trip: every open order of ours on this venue."""
        if not any(r.child.status.is_open for r in self._orders.values()):
            return []
        await self.clock.sleep(self.spec.order_latency_s)
        self._sync()
        done = []
        for r in list(self._orders.values()):
            if r.child.status.is_open:
                self._finish(r, OrderStatus.CANCELLED, "cancelled")
                done.append(r.child.client_order_id)
        return done

    async def order_status(self, order: ChildOrder) -> OrderState:
        rec = self._orders.get(order.client_order_id)
        if rec is None:
            raise OrderNotFound(self.name, f"no order {order.client_order_id}")
        self._sync()
        return self._state(rec)

    def _state(self, rec: _Order) -> OrderState:
        o = rec.child
        return OrderState(
            o.client_order_id,
            o.venue_order_id or "",
            o.status,
            o.filled_qty,
            tuple(rec.fills),
            o.reason,
            o.symbol,
        )

    async def open_orders(self) -> list[OrderState]:
        self._sync()
        return [self._state(r) for r in self._orders.values() if r.child.status.is_open]

    async def positions(self) -> dict[str, Position]:
        return self.account.positions()

    async def portfolio(self) -> PortfolioSnapshot:
        now = self._sync()
        marks = Decimal(0)
        q = self.account.pos.get(self.symbol, (Decimal(0), Decimal(0)))[0]
        if q:
            b = self.feed.book
            bid, ask = b.best(BID), b.best(ASK)
            if bid is not None and ask is not None:
                marks = q * (Decimal(bid + ask + 2 * self.feed.shift) / 2) * self.tick
        return PortfolioSnapshot(
            self.account.cash, self.account.positions(), self.account.cash + marks, now
        )
