"""Simulated venues as brokers: each is one venue of the shared synthetic market (engine.sim.market)."""

from __future__ import annotations

import itertools
import math
import random
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
from engine.clock import Clock
from engine.config import Settings
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
from engine.sim.market import SimMarket
from engine.sim.params import MarketParams, load_params
from engine.sim.synthetic import SymbolMarket
from engine.sim.venue_book import ASK, BID, Resting

FEE_Q = Decimal("0.00000001")


@dataclass(slots=True)
class _Order:
    child: ChildOrder
    fills: list[Fill] = field(default_factory=list)
    resting: Resting | None = None


class SimVenue(Broker):
    """One simulated venue: its own spread, depth, fees, latency, cash and positions."""

    capabilities = Capabilities(
        fractional_quantities=True, post_only=True, ioc=True, simulated=True
    )

    def __init__(
        self, name: str, market: SimMarket, index: int, *, cash: Decimal, seed: int = 0
    ) -> None:
        super().__init__(name)
        self.market = market
        self.index = index
        self.clock = market.clock
        self.vp = market.params.venue(index)
        self.cash = cash
        self._pos: dict[str, tuple[Decimal, Decimal]] = {}  # symbol -> (quantity, average price)
        self._orders: dict[str, _Order] = {}
        # cash reserved by open buys (remaining x limit), kept as they open, fill and close
        self._held = Decimal(0)
        self._ids = itertools.count(1)
        self._fill_ids = itertools.count(1)
        # fill ids stay unique per venue across processes and restarts sharing one history
        self._fill_prefix = f"{self.name}-{secrets.token_hex(4)}-F"
        self._seq = itertools.count(1)
        self._lat_rng = random.Random(seed * 31 + index)
        self._maker = Decimal(str(self.vp.maker_fee_bps)) / 10000
        self._taker = Decimal(str(self.vp.taker_fee_bps)) / 10000
        market.venues.append(self)

    # -- connection ---------------------------------------------------------------------
    async def connect(self) -> None:
        await self.market.start()

    async def close(self) -> None:
        await self.market.stop()

    async def health(self) -> Health:
        return Health(  # a round trip: the order-entry latency there and back
            True, 2 * self.vp.latency_ms, markets=len(self.market.symbols), detail="simulated"
        )

    # -- market data --------------------------------------------------------------------
    async def symbols(self) -> list[str]:
        return sorted(self.market.symbols)

    def _sym(self, symbol: str) -> SymbolMarket:
        if symbol not in self.market.symbols:
            raise UnknownSymbol(
                self.name,
                f"unknown symbol {symbol!r}; known: {', '.join(sorted(self.market.symbols))}",
            )
        return self.market.sync(symbol)

    async def instrument(self, symbol: str) -> Instrument:
        sp = self._sym(symbol).sym
        return Instrument(symbol, tick=sp.tick, step=sp.step, min_qty=sp.step)

    async def adv(self, symbol: str) -> Decimal | None:
        """The symbol's consolidated daily volume (all venues share one market)."""
        sp = self._sym(symbol).sym
        return (Decimal(str(sp.adv)) / sp.step).to_integral_value() * sp.step

    async def cost_facts(self, symbol: str) -> CostFacts | None:
        """The simulated market's own parameters: the model the pre-trade estimate reads."""
        m = self._sym(symbol)
        sp = m.sym
        return CostFacts(
            sp.vol_daily * m.vol_mult,  # the volatility regime the market is in now
            sp.day_s,
            self.market.params.impact.y,
            self.vp.taker_fee_bps,
            self.vp.maker_fee_bps,
            "simulated market parameters",
        )

    async def traded_volume(self, symbol: str) -> Decimal | None:
        """Others' aggressive volume on this venue since the market started (its trade feed)."""
        m = self._sym(symbol)
        lots = Decimal(str(round(m.books[self.index].traded_lots, 6)))
        return lots * m.sym.step

    async def top_of_book(self, symbol: str) -> Quote:
        m = self._sym(symbol)
        sp = m.sym
        bid, bsz, ask, asz = m.books[self.index].top()
        return Quote(
            self.name, symbol, bid * sp.tick, ask * sp.tick, bsz * sp.step, asz * sp.step, m.t
        )

    async def book(
        self, symbol: str, depth: int = 10
    ) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        m = self._sym(symbol)
        sp, b = m.sym, m.books[self.index]
        return (
            [(p * sp.tick, q * sp.step) for p, q in b.levels(BID, depth)],
            [(p * sp.tick, q * sp.step) for p, q in b.levels(ASK, depth)],
        )

    # -- orders -------------------------------------------------------------------------
    def _latency_s(self) -> float:
        return (
            self.vp.latency_ms
            / 1000
            * math.exp(self.vp.latency_sigma * self._lat_rng.gauss(0.0, 1.0))
        )

    async def submit(self, order: ChildOrder) -> Ack:
        m = self._sym(order.symbol)
        known = self._orders.get(order.client_order_id)
        if known is not None:  # an idempotent retry: same answer, no new order
            return Ack(known.child.venue_order_id or "", known.child.status, known.child.reason)
        sp = m.sym
        lots = order.quantity / sp.step
        if order.quantity <= 0 or lots != lots.to_integral_value():
            raise OrderRejected(
                self.name,
                f"quantity {order.quantity} is not a positive multiple of the step {sp.step}",
            )
        limit_ticks: int | None = None
        if order.order_type is OrderType.LIMIT or order.limit_price is not None:
            if order.limit_price is None or order.limit_price <= 0:
                raise OrderRejected(self.name, "a limit order needs a positive limit price")
            t = order.limit_price / sp.tick
            if t != t.to_integral_value():
                raise OrderRejected(
                    self.name, f"price {order.limit_price} is not on the tick {sp.tick}"
                )
            limit_ticks = int(t)
        if order.side is Side.BUY:
            bid, _, ask, _ = m.books[self.index].top()
            px = order.limit_price if order.limit_price is not None else ask * sp.tick
            need = order.quantity * px * (1 + max(self._taker, Decimal(0))) + self._reserved()
            if need > self.cash:
                raise InsufficientFunds(
                    self.name,
                    f"buy of {order.quantity} {order.symbol} at {px} needs {need:.2f}, cash {self.cash:.2f}",
                )
        vid = f"{self.name}-{next(self._ids)}"
        mine = venue_copy(order, self.name, vid, created_ts=self.clock.now())
        rec = _Order(mine)
        self._orders[mine.client_order_id] = rec
        if mine.side is Side.BUY:
            self._held += mine.quantity * (mine.limit_price or Decimal(0))
        await self.clock.sleep(self._latency_s())  # order-entry latency: the book sees it later
        arrived = self.clock.now()
        if mine.status is OrderStatus.SUBMITTED:
            self._arrive(rec, int(lots), limit_ticks)
        return Ack(vid, mine.status, mine.reason, arrived_ts=arrived)

    def _arrive(self, rec: _Order, lots: int, limit_ticks: int | None) -> None:
        o = rec.child
        m = self.market.sync(o.symbol)
        book = m.books[self.index]
        side = BID if o.side is Side.BUY else ASK
        opp = 1 - side
        limit_key = None if limit_ticks is None else (limit_ticks if side == BID else -limit_ticks)
        for other in [
            r
            for r in book.resting
            if r.side == opp and limit_key is not None and limit_key + r.key >= 0
        ]:
            self._finish(
                self._orders[other.oid],
                OrderStatus.CANCELLED,
                "self-trade prevention: resting order expired",
            )
        opp_key, _ = book.others_best(opp)
        marketable = limit_key is None or limit_key + opp_key >= 0
        if o.post_only and marketable:
            self._release(o, o.remaining)
            o.status, o.reason = OrderStatus.REJECTED, "post-only order would cross the book"
            return
        if marketable:
            worst = None if limit_key is None else -limit_key
            fills = book.take(side, lots, worst)
            taken = 0
            for price, q in fills:
                taken += q
                self._book_fill(rec, q, price, taker=True)
            m.record_taker((taken if side == BID else -taken) * float(m.sym.step), self.clock.now())
            lots -= taken
        if lots <= 0:
            return
        if limit_key is None or o.tif is TimeInForce.IOC:
            self._finish(
                rec,
                OrderStatus.CANCELLED,
                "IOC remainder cancelled"
                if o.tif is TimeInForce.IOC
                else "market order: book exhausted",
            )
            return
        ahead = float(book.displayed(side, limit_key))
        rec.resting = Resting(
            o.client_order_id, side, limit_key, lots, ahead, ahead, next(self._seq)
        )
        book.resting.append(rec.resting)

    def executed_fills(self) -> list[Fill]:
        """Every fill this venue made, from its own books: what audits compare the history with."""
        return [f for rec in self._orders.values() for f in rec.fills]

    def on_resting_fill(self, r: Resting, lots: int, price_ticks: int) -> None:
        rec = self._orders.get(r.oid)
        if rec is not None and rec.child.status.is_open:
            self._book_fill(rec, lots, price_ticks, taker=False)

    def _book_fill(self, rec: _Order, lots: int, price_ticks: int, *, taker: bool) -> None:
        o = rec.child
        m = self.market.symbols[o.symbol]
        qty = lots * m.sym.step
        price = price_ticks * m.sym.tick
        fee = (qty * price * (self._taker if taker else self._maker)).quantize(FEE_Q)
        ts = self.clock.now() if taker else m.t
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
        self._release(o, qty)
        o.filled_qty += qty
        o.avg_price = (
            (o.avg_price or Decimal(0)) * (o.filled_qty - qty) + price * qty
        ) / o.filled_qty
        o.fees += fee
        o.status = (
            OrderStatus.FILLED if o.filled_qty >= o.quantity else OrderStatus.PARTIALLY_FILLED
        )
        rec.fills.append(fill)
        self.cash -= o.side.sign * qty * price + fee
        q0, avg = self._pos.get(o.symbol, (Decimal(0), Decimal(0)))
        q1 = q0 + o.side.sign * qty
        if q1 == 0:
            avg = Decimal(0)
        elif q0 == 0 or (q0 > 0) != (q1 > 0):
            avg = price
        elif abs(q1) > abs(q0):
            avg = (avg * abs(q0) + price * qty) / abs(q1)
        self._pos[o.symbol] = (q1, avg)
        if o.status is OrderStatus.FILLED:
            rec.resting = None
        self._emit(OrderUpdate(o.client_order_id, o.status, fill))

    def _finish(self, rec: _Order, status: OrderStatus, reason: str) -> None:
        o = rec.child
        if rec.resting is not None:
            book = self.market.symbols[o.symbol].books[self.index]
            book.resting = [r for r in book.resting if r is not rec.resting]
            rec.resting = None
        self._release(o, o.remaining)
        o.status, o.reason = status, reason
        self._emit(OrderUpdate(o.client_order_id, status, None, reason))

    def _reserved(self) -> Decimal:
        """Cash held by open buys, so resting orders cannot spend it twice (O(1): kept as they
        open, fill and close, never summed over the orders; issue 15)."""
        return self._held

    def _release(self, o: ChildOrder, qty: Decimal) -> None:
        """A buy's `qty` no longer waits to be paid for: filled, cancelled or refused."""
        if o.side is Side.BUY and o.status.is_open:
            self._held -= qty * (o.limit_price or Decimal(0))

    async def cancel(self, order: ChildOrder) -> None:
        rec = self._orders.get(order.client_order_id)
        if rec is None:
            raise OrderNotFound(self.name, f"no order {order.client_order_id}")
        if rec.child.status.is_terminal:
            return
        await self.clock.sleep(self._latency_s())
        self.market.sync(rec.child.symbol)
        if rec.child.status.is_open:
            self._finish(rec, OrderStatus.CANCELLED, "cancelled")

    async def cancel_all(self) -> list[str] | None:
        """One request, one round trip: every open order of ours on this venue."""
        if not any(r.child.status.is_open for r in self._orders.values()):
            return []
        await self.clock.sleep(self._latency_s())
        done = []
        for r in list(self._orders.values()):
            if r.child.status.is_open:
                self.market.sync(r.child.symbol)
                if r.child.status.is_open:
                    self._finish(r, OrderStatus.CANCELLED, "cancelled")
                    done.append(r.child.client_order_id)
        return done

    async def order_status(self, order: ChildOrder) -> OrderState:
        rec = self._orders.get(order.client_order_id)
        if rec is None:
            raise OrderNotFound(self.name, f"no order {order.client_order_id}")
        self.market.sync(rec.child.symbol)
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
        for s in {r.child.symbol for r in self._orders.values() if r.child.status.is_open}:
            self.market.sync(s)
        return [self._state(r) for r in self._orders.values() if r.child.status.is_open]

    async def positions(self) -> dict[str, Position]:
        return {s: Position(s, q, a) for s, (q, a) in self._pos.items() if q != 0}

    async def portfolio(self) -> PortfolioSnapshot:
        marks = Decimal(0)
        for s, (q, _) in self._pos.items():
            if q:
                m = self.market.sync(s)
                marks += q * Decimal(str(round(m.fair_price(), 8)))
        return PortfolioSnapshot(
            self.cash, await self.positions(), self.cash + marks, self.clock.now()
        )


def venue_name(i: int) -> str:
    return f"SIM-{chr(65 + i)}" if i < 26 else f"SIM-{i + 1}"


def build_market(settings: Settings, clock: Clock, params: MarketParams | None = None) -> SimMarket:
    """The shared market behind the simulated venues (exposed for benches and training)."""
    s = settings.sim
    p = params or load_params(s.params_path or None)
    return SimMarket(p, list(s.symbols), s.venues, clock, seed=s.seed, step_s=s.step_s)


def build_simulated_venues(
    settings: Settings, clock: Clock, params: MarketParams | None = None
) -> dict[str, Broker]:
    """`settings.sim.venues` venues (SIM-A, SIM-B, ...) over one synthetic market."""
    market = build_market(settings, clock, params)
    return {
        venue_name(i): SimVenue(
            venue_name(i), market, i, cash=settings.sim.starting_cash, seed=settings.sim.seed
        )
        for i in range(settings.sim.venues)
    }
