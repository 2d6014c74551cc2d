"""The broker protocol every venue adapter implements, with capability flags the console reads."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from engine.models import (
    ChildOrder,
    Fill,
    Instrument,
    OrderStatus,
    PortfolioSnapshot,
    Position,
    Quote,
)


class BrokerError(Exception):
    """A venue refused or failed a request; `retryable` says whether the same request may be resent."""

    retryable = False

    def __init__(self, venue: str, message: str) -> None:
        super().__init__(f"{venue}: {message}")
        self.venue = venue
        self.message = message


class VenueUnavailable(BrokerError):
    """Network down, timeout, or venue maintenance: retry idempotently, then report."""

    retryable = True


class RateLimited(BrokerError):
    """The venue asked us to slow down: back off before retrying."""

    retryable = True


class OrderRejected(BrokerError):
    """The venue refused the order (bad price, size, post-only would cross, ...)."""


class InsufficientFunds(OrderRejected):
    """Not enough cash or inventory at the venue."""


class OrderNotFound(BrokerError):
    """The venue does not know this order (already gone, or never arrived)."""


class FillsUnseen(BrokerError):
    """The venue executed more of an order than its trade history has shown us yet: hold it."""

    def __init__(self, venue: str, message: str, executed: Decimal) -> None:
        super().__init__(venue, message)
        self.executed = executed


class AuthenticationFailed(BrokerError):
    """Credentials were refused; the message never contains the credential."""


class UnknownSymbol(BrokerError):
    """The venue does not list this symbol."""


class NonceRejected(BrokerError):
    """The venue refused the request's nonce or timestamp: clock skew, or the key shared by two processes."""


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a venue can do natively; the engine and console adapt to these."""

    native_cancel_all: bool = False
    fractional_quantities: bool = False
    market_data_streaming: bool = False
    post_only: bool = False
    ioc: bool = True
    simulated: bool = False
    native_iceberg: bool = (
        False  # a resting order shows only a display quantity (icebergQty, displaySize)
    )
    native_oco: bool = False  # a stop-loss / take-profit pair one fill of which cancels the other


@dataclass(frozen=True, slots=True)
class CostFacts:
    """What a venue knows of an instrument's trading cost: volatility, impact, fees (bps)."""

    vol_daily: float  # sigma of daily log returns
    day_s: float  # seconds of trading in one day
    impact_y: float  # square-root impact prefactor: Y * sigma * sqrt(Q / ADV)
    taker_fee_bps: float
    maker_fee_bps: float
    source: str


@dataclass(frozen=True, slots=True)
class Ack:
    """A venue's answer to a submit."""

    venue_order_id: str
    status: OrderStatus
    reason: str = ""
    arrived_ts: float | None = None  # when the venue received the order, if it says (its clock)


@dataclass(frozen=True, slots=True)
class OrderState:
    """What the venue says of one order now, with every fill it knows for it."""

    client_order_id: str
    venue_order_id: str
    status: OrderStatus
    filled_qty: Decimal
    fills: tuple[Fill, ...] = ()
    reason: str = ""
    symbol: str = ""  # lets a kill switch cancel orders the journal does not know


@dataclass(frozen=True, slots=True)
class Health:
    connected: bool
    latency_ms: float
    markets: int = 0
    detail: str = ""


@dataclass(slots=True)
class OrderUpdate:
    """Pushed by a venue when an order changes without being asked (fill, cancel, reject)."""

    client_order_id: str
    status: OrderStatus
    fill: Fill | None = None
    reason: str = ""
    extra: dict[str, object] = field(default_factory=dict)


UpdateHandler = Callable[[OrderUpdate], None]
StateHandler = Callable[[bool, str], None]  # (connected, detail)
QuoteHandler = Callable[[Quote], None]
FeedHandler = Callable[[str, str, str], None]  # (capability, state, detail)


def venue_copy(
    order: ChildOrder,
    venue: str,
    venue_order_id: str,
    *,
    limit_price: Decimal | None = None,
    created_ts: float = 0.0,
    meta: dict[str, object] | None = None,
) -> ChildOrder:
    """The order as a simulated venue holds it: its own object (the engine's copy is never
    touched by the venue), SUBMITTED under the venue's id."""
    mine = ChildOrder(
        order.client_order_id,
        order.parent_id,
        venue,
        order.symbol,
        order.side,
        order.quantity,
        order.order_type,
        order.limit_price if limit_price is None else limit_price,
        order.tif,
        order.post_only,
        created_ts=created_ts,
        meta=dict(meta or {}),
    )
    mine.venue_order_id = venue_order_id
    mine.status = OrderStatus.SUBMITTED
    return mine


class Broker(ABC):
    """One venue. Quantities and prices are Decimal; every call may raise a BrokerError subclass."""

    name: str
    capabilities: Capabilities = Capabilities()

    def __init__(self, name: str) -> None:
        self.name = name
        self._handlers: list[UpdateHandler] = []
        self._state_handlers: list[StateHandler] = []
        self._quote_handlers: list[QuoteHandler] = []
        self._feed_handlers: list[FeedHandler] = []

    def on_update(self, handler: UpdateHandler) -> None:
        """Register for pushed order updates (fills, unsolicited cancels and rejects)."""
        self._handlers.append(handler)

    def _emit(self, update: OrderUpdate) -> None:
        for h in self._handlers:
            h(update)

    def on_state(self, handler: StateHandler) -> None:
        """Register for connection changes after start-up (drops, reconnects)."""
        self._state_handlers.append(handler)

    def _emit_state(self, connected: bool, detail: str) -> None:
        for h in self._state_handlers:
            h(connected, detail)

    def on_quote(self, handler: QuoteHandler) -> None:
        """Register for quotes a venue pushes (a streamed book), between the engine's own asks."""
        self._quote_handlers.append(handler)

    def _emit_quote(self, quote: Quote) -> None:
        for h in self._quote_handlers:
            h(quote)

    def on_feed(self, handler: FeedHandler) -> None:
        """Register for market-data feed changes: a stream live, resyncing, stale, or polled."""
        self._feed_handlers.append(handler)

    def _emit_feed(self, capability: str, state: str, detail: str) -> None:
        for h in self._feed_handlers:
            h(capability, state, detail)

    def feeds(self) -> dict[str, str]:
        """Per capability (book, trades, orders, my_trades): `stream` or `poll (why)`."""
        return {}

    def dead_man(self) -> str:
        """The venue-side dead-man switch: '' when none, else what is armed (e.g. 'armed 60 s')."""
        return ""

    async def connect(self) -> None:  # noqa: B027 - optional hook
        """Open connections; raise VenueUnavailable or AuthenticationFailed if it cannot."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    @abstractmethod
    async def instrument(self, symbol: str) -> Instrument: ...

    @abstractmethod
    async def top_of_book(self, symbol: str) -> Quote: ...

    @abstractmethod
    async def submit(self, order: ChildOrder) -> Ack: ...

    @abstractmethod
    async def cancel(self, order: ChildOrder) -> None: ...

    async def submit_oco(self, legs: tuple[ChildOrder, ...]) -> list[Ack]:
        """Place the legs as one venue-native one-cancels-the-other group (their meta says the
        stop and the group: engine/brokers/native.py); only where `capabilities.native_oco`."""
        raise OrderRejected(self.name, "this venue places no native OCO orders")

    async def cancel_all(self) -> list[str] | None:
        """Cancel every open order on the venue in one request, where the venue has one; the
        client ids it cancelled, or None when it has no such request (the kill switch then
        cancels order by order)."""
        return None

    async def cancel_batch(self, orders: list[ChildOrder]) -> list[str] | None:
        """Cancel these orders in as few requests as the venue's batch-cancel endpoint allows;
        the client ids it confirmed cancelled, or None when the venue has no such endpoint."""
        return None

    @abstractmethod
    async def order_status(self, order: ChildOrder) -> OrderState: ...

    @abstractmethod
    async def open_orders(self) -> list[OrderState]: ...

    @abstractmethod
    async def positions(self) -> dict[str, Position]: ...

    @abstractmethod
    async def portfolio(self) -> PortfolioSnapshot: ...

    @abstractmethod
    async def health(self) -> Health: ...

    async def adv(self, symbol: str) -> Decimal | None:
        """Average daily volume, where the venue knows it."""
        return None

    async def cost_facts(self, symbol: str) -> CostFacts | None:
        """Volatility, impact and fees where the venue knows them; None: the configured defaults."""
        return None

    async def traded_volume(self, symbol: str) -> Decimal | None:
        """Others' volume traded on this venue so far (a running total from its trade feed);
        None where the venue gives none. POV and the arrival cap read differences of it."""
        return None

    async def book(
        self, symbol: str, depth: int = 10
    ) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        """(bids, asks) as (price, size), best first; the default is the top of book only."""
        q = await self.top_of_book(symbol)
        return [(q.bid, q.bid_size)], [(q.ask, q.ask_size)]

    async def symbols(self) -> list[str]:
        return []
