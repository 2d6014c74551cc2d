"""Paper and simple simulated brokers: a random-walk price, fills at market with slippage and fees."""

from __future__ import annotations

import itertools
import math
import random
import secrets
from decimal import Decimal

from engine.brokers.base import (
    Ack,
    Broker,
    Capabilities,
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
from engine.lifecycle import apply_fill
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

DEMO_PRICES = {"AAPL": Decimal("190.00"), "MSFT": Decimal("420.00"), "GOOG": Decimal("170.00")}
DEMO_POSITIONS = {"AAPL": Decimal("100"), "MSFT": Decimal("50"), "GOOG": Decimal("80")}
CENT = Decimal("0.01")


class PaperBroker(Broker):
    """Fills marketable orders at once and resting limits when the walk crosses them.

    `random_slippage=False` is the foundation's simple simulated broker (fixed slippage);
    True is the paper stub (slippage drawn uniformly up to `slippage_rate`).
    """

    capabilities = Capabilities(native_cancel_all=True, post_only=True, simulated=True)

    def __init__(
        self,
        name: str,
        clock: Clock,
        *,
        prices: dict[str, Decimal] | None = None,
        cash: Decimal = Decimal("100000"),
        positions: dict[str, Decimal] | None = None,
        commission_rate: Decimal = Decimal("0.00005"),
        slippage_rate: Decimal = Decimal("0.0005"),
        random_slippage: bool = False,
        spread_bps: Decimal = Decimal("2"),
        vol_daily: float = 0.015,
        seed: int = 1,
    ) -> None:
        super().__init__(name)
        self.clock = clock
        self._mid = dict(prices or DEMO_PRICES)
        self._cash = cash
        self._pos = {
            s: Position(s, q, self._mid.get(s, Decimal(0))) for s, q in (positions or {}).items()
        }
        self._commission = commission_rate
        self._slip = slippage_rate
        self._random_slip = random_slippage
        self._half_spread = spread_bps / Decimal(20000)
        self._vol_per_sqrt_s = vol_daily / math.sqrt(6.5 * 3600)
        self._rng = random.Random(seed)
        self._last_ts = clock.now()
        self._orders: dict[str, ChildOrder] = {}
        # orders that may still fill: each price walk checks these, not every order ever sent
        self._resting: dict[str, ChildOrder] = {}
        self._fills: dict[str, list[Fill]] = {}
        self._ids = itertools.count(1)
        # order (and so fill) ids stay unique per venue across processes sharing one history
        self._id_prefix = f"{self.name}-{secrets.token_hex(4)}-"

    async def symbols(self) -> list[str]:
        return sorted(self._mid)

    async def instrument(self, symbol: str) -> Instrument:
        self._check_symbol(symbol)
        return Instrument(symbol=symbol, tick=CENT, step=Decimal(1))

    async def adv(self, symbol: str) -> Decimal | None:
        self._check_symbol(symbol)
        return Decimal(5_000_000)

    async def top_of_book(self, symbol: str) -> Quote:
        self._check_symbol(symbol)
        self._advance()
        return self._quote(symbol)

    @property
    def orders_received(self) -> int:
        """How many distinct orders this venue was sent: a resend would show here."""
        return len(self._orders)

    async def submit(self, order: ChildOrder) -> Ack:
        self._check_symbol(order.symbol)
        self._advance()
        if order.client_order_id in self._orders:  # an idempotent retry: same answer, no new order
            known = self._orders[order.client_order_id]
            return Ack(known.venue_order_id or "", known.status)
        q = self._quote(order.symbol)
        px = order.limit_price if order.limit_price is not None else q.far(order.side)
        if order.side is Side.BUY and order.quantity * px * (1 + self._commission) > self._cash:
            raise InsufficientFunds(
                self.name,
                f"buy of {order.quantity} {order.symbol} needs more than cash {self._cash}",
            )
        marketable = order.limit_price is None or (
            order.limit_price >= q.ask if order.side is Side.BUY else order.limit_price <= q.bid
        )
        if order.post_only and marketable and order.limit_price is not None:
            raise OrderRejected(self.name, f"post-only order at {order.limit_price} would cross")
        vid = f"{self._id_prefix}{next(self._ids)}"
        mine = venue_copy(order, order.venue, vid)
        self._orders[mine.client_order_id] = mine
        self._fills[mine.client_order_id] = []
        if marketable:
            self._fill(mine, q)
        elif order.tif is TimeInForce.IOC:
            mine.status = OrderStatus.CANCELLED
        if mine.status.is_open:
            self._resting[mine.client_order_id] = mine
        return Ack(vid, mine.status)

    async def cancel(self, order: ChildOrder) -> None:
        mine = self._orders.get(order.client_order_id)
        if mine is None:
            raise OrderNotFound(self.name, f"no order {order.client_order_id}")
        if mine.status.is_open:
            mine.status = OrderStatus.CANCELLED
        self._resting.pop(mine.client_order_id, None)

    async def cancel_all(self) -> list[str] | None:
        done = [o for o in self._resting.values() if o.status.is_open]
        for o in done:
            o.status = OrderStatus.CANCELLED
        self._resting.clear()
        return [o.client_order_id for o in done]

    async def order_status(self, order: ChildOrder) -> OrderState:
        self._advance()
        mine = self._orders.get(order.client_order_id)
        if mine is None:
            raise OrderNotFound(self.name, f"no order {order.client_order_id}")
        return self._state(mine)

    async def open_orders(self) -> list[OrderState]:
        self._advance()
        return [self._state(o) for o in self._resting.values() if o.status.is_open]

    async def positions(self) -> dict[str, Position]:
        return {s: p for s, p in self._pos.items() if p.quantity != 0}

    async def portfolio(self) -> PortfolioSnapshot:
        marks = sum(
            (p.quantity * self._mid.get(s, p.avg_price) for s, p in self._pos.items()), Decimal(0)
        )
        return PortfolioSnapshot(self._cash, dict(self._pos), self._cash + marks, self.clock.now())

    async def health(self) -> Health:
        return Health(True, 0.0, markets=len(self._mid))

    def _check_symbol(self, symbol: str) -> None:
        if symbol not in self._mid:
            raise UnknownSymbol(
                self.name, f"unknown symbol {symbol!r}; known: {', '.join(sorted(self._mid))}"
            )

    def _position(self, symbol: str) -> Decimal:
        p = self._pos.get(symbol)
        return p.quantity if p else Decimal(0)

    def _quote(self, symbol: str) -> Quote:
        mid = self._mid[symbol]
        half = (mid * self._half_spread).quantize(CENT) or CENT
        return Quote(
            self.name, symbol, mid - half, mid + half, Decimal(500), Decimal(500), self.clock.now()
        )

    def _advance(self) -> None:
        """Walk every price to the clock's now, then fill resting orders the walk crossed."""
        now = self.clock.now()
        dt = now - self._last_ts
        if dt <= 0:
            return
        self._last_ts = now
        scale = self._vol_per_sqrt_s * math.sqrt(dt)
        for s, mid in self._mid.items():
            self._mid[s] = max(
                CENT, (mid * Decimal(str(math.exp(self._rng.gauss(0, scale))))).quantize(CENT)
            )
        for o in list(self._resting.values()):
            if not o.status.is_open:
                del self._resting[o.client_order_id]
            elif o.limit_price is not None:
                q = self._quote(o.symbol)
                if (o.side is Side.BUY and q.ask <= o.limit_price) or (
                    o.side is Side.SELL and q.bid >= o.limit_price
                ):
                    self._fill(o, q, at=o.limit_price)

    def _fill(self, o: ChildOrder, q: Quote, at: Decimal | None = None) -> None:
        slip = self._slip * (Decimal(str(self._rng.random())) if self._random_slip else 1)
        far = q.far(o.side)
        price = at if at is not None else (far * (1 + o.side.sign * slip)).quantize(CENT)
        if o.limit_price is not None:
            price = min(price, o.limit_price) if o.side is Side.BUY else max(price, o.limit_price)
        qty = o.remaining
        fee = (qty * price * self._commission).quantize(Decimal("0.0001"))
        fill = Fill(
            f"{o.venue_order_id}-f{len(self._fills[o.client_order_id]) + 1}",
            o.client_order_id,
            self.name,
            o.symbol,
            o.side,
            qty,
            price,
            self.clock.now(),
            fee,
            "taker" if at is None else "maker",
        )
        apply_fill(o, fill)
        self._fills[o.client_order_id].append(fill)
        self._cash -= o.side.sign * qty * price + fee
        old = self._pos.get(o.symbol, Position(o.symbol, Decimal(0)))
        self._pos[o.symbol] = Position(o.symbol, old.quantity + o.side.sign * qty, price)
        self._emit(OrderUpdate(o.client_order_id, o.status, fill))

    def _state(self, o: ChildOrder) -> OrderState:
        return OrderState(
            o.client_order_id,
            o.venue_order_id or "",
            o.status,
            o.filled_qty,
            tuple(self._fills[o.client_order_id]),
            o.reason,
        )


def demo_paper_broker(clock: Clock, name: str = "PAPER", seed: int = 1) -> PaperBroker:
    """The paper stub: cash 100,000 and AAPL, MSFT, GOOG positions; random slippage."""
    return PaperBroker(
        name,
        clock,
        cash=Decimal(100000),
        positions=dict(DEMO_POSITIONS),
        random_slippage=True,
        seed=seed,
    )
