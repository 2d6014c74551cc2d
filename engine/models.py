"""Typed trading records: signals, tickets, orders, fills, quotes, positions; Decimal at the edges."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from enum import StrEnum


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        """+1 for buys, -1 for sells: turns 'worse for this side' into a signed number."""
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    TWAP = "twap"


class TimeInForce(StrEnum):
    GTC = "gtc"
    IOC = "ioc"


class OrderStatus(StrEnum):
    PENDING = "pending"
    SUBMITTED = "submitted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"

    @property
    def is_terminal(self) -> bool:
        return self in (OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED)

    @property
    def is_open(self) -> bool:
        return self in (OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_FILLED)

    @property
    def parent_finished(self) -> bool:
        """A parent is SUBMITTED while its legs run; any other status is its final one
        (PARTIALLY_FILLED included: open for a child, over for a parent)."""
        return self not in PARENT_LIVE


PARENT_LIVE = (OrderStatus.PENDING, OrderStatus.SUBMITTED)  # a parent's statuses while it works


class TradingState(StrEnum):
    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"
    PAUSED = "paused"  # nothing new is sent; resting orders stay; parents resume where they were


class InputError(ValueError):
    """Bad input from a trader, file or venue; `field` names what was wrong."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


class NoVenueConnected(InputError):
    """Not one configured venue answered: nothing may be sent, and nothing falls back silently."""


def to_decimal(
    value: object, field_name: str, *, positive: bool = True, allow_zero: bool = False
) -> Decimal:
    """Parse a price or quantity exactly, refusing NaN, infinities, and non-positive values."""
    if isinstance(value, bool):
        raise InputError(field_name, f"expected a number, got {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(field_name, f"expected a finite number, got {value!r}")
        value = repr(value)
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        hint = " (type it without separators)" if "," in str(value) else ""
        raise InputError(field_name, f"expected a number, got {value!r}{hint}") from None
    if not d.is_finite():
        raise InputError(field_name, f"expected a finite number, got {value!r}")
    if positive and (d < 0 or (d == 0 and not allow_zero)):
        raise InputError(field_name, f"must be {'>= 0' if allow_zero else '> 0'}, got {value}")
    return d


def parse_side(value: object) -> Side:
    """Side from 'buy'/'sell' in any case; anything else is an InputError naming `side`."""
    try:
        return Side(str(value).strip().lower())
    except ValueError:
        raise InputError("side", f"expected 'buy' or 'sell', got {value!r}") from None


def round_down(qty: Decimal, step: Decimal) -> Decimal:
    """Round a quantity down to a multiple of the venue's step (never up: never more than asked)."""
    if step <= 0:
        return qty
    return (qty / step).to_integral_value(rounding=ROUND_DOWN) * step


def round_price(price: Decimal, tick: Decimal, side: Side, *, passive: bool = True) -> Decimal:
    """Round a price to the tick: passive rounding moves away from the far side (buys down, sells up)."""
    if tick <= 0:
        return price
    down = (price / tick).to_integral_value(rounding=ROUND_DOWN) * tick
    if down == price:
        return price
    buy_down = side is Side.BUY
    return down if buy_down == passive else down + tick


@dataclass(frozen=True, slots=True)
class Instrument:
    """Venue precision: prices on `tick`, quantities on `step`, at least `min_qty`."""

    symbol: str
    tick: Decimal = Decimal("0.01")
    step: Decimal = Decimal("1")
    min_qty: Decimal = Decimal("0")
    min_notional: Decimal = Decimal("0")


@dataclass(frozen=True, slots=True)
class Quote:
    """Top of book on one venue at one time."""

    venue: str
    symbol: str
    bid: Decimal
    ask: Decimal
    bid_size: Decimal
    ask_size: Decimal
    ts: float

    @property
    def mid(self) -> Decimal:
        return (self.bid + self.ask) / 2

    @property
    def spread_bps(self) -> float:
        mid = self.mid
        return float((self.ask - self.bid) / mid * 10000) if mid > 0 else math.inf

    def far(self, side: Side) -> Decimal:
        """The price a marketable order of `side` pays: ask for buys, bid for sells."""
        return self.ask if side is Side.BUY else self.bid

    def near(self, side: Side) -> Decimal:
        """The price a passive order of `side` joins: bid for buys, ask for sells."""
        return self.bid if side is Side.BUY else self.ask


@dataclass(frozen=True, slots=True)
class Signal:
    """The trader's edge estimate behind a ticket."""

    strength: float = 0.5
    win_rate: float | None = None
    avg_win: float | None = None
    avg_loss: float | None = None


@dataclass(frozen=True, slots=True)
class AlgoParams:
    """A ticket's own parameters for the leg algorithms; None takes the configured default."""

    participation_pct: float | None = None  # pov: target share of traded volume; arrival: its cap
    urgency: float | None = None  # arrival: Almgren-Chriss kappa*T (0 = TWAP); None: from strength
    display_qty: Decimal | None = None  # iceberg: the quantity shown at once
    jitter_pct: float | None = None  # twap/vwap/pov: random +- share of slice size and spacing


@dataclass(frozen=True, slots=True)
class Ticket:
    """What the trader asked for: the parent order before routing."""

    symbol: str
    side: Side
    quantity: Decimal
    signal: Signal = field(default_factory=Signal)
    limit_price: Decimal | None = None
    algo: str = "auto"
    venue: str | None = None
    size_by_kelly: bool = False  # the quantity is ignored and Kelly sizes the order
    params: AlgoParams = field(default_factory=AlgoParams)


@dataclass(slots=True)
class Fill:
    """One execution reported by a venue; `fill_id` is the venue's id, unique per venue."""

    fill_id: str
    client_order_id: str
    venue: str
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    ts: float
    fee: Decimal = Decimal("0")
    liquidity: str = ""  # "maker" / "taker" when the venue says


class Refusal(StrEnum):
    """Who refused a child order: the engine's risk gate, the venue, or the engine itself."""

    RISK = "risk gate"
    VENUE = "venue"
    NOTHING_LEFT = "nothing left to send"
    JOURNAL = "journal"  # the history file could not hold it: never sent


@dataclass(slots=True)
class ChildOrder:
    """One order sent to one venue; `client_order_id` is stable across retries and restarts."""

    client_order_id: str
    parent_id: str
    venue: str
    symbol: str
    side: Side
    quantity: Decimal
    order_type: OrderType
    limit_price: Decimal | None = None
    tif: TimeInForce = TimeInForce.GTC
    post_only: bool = False
    status: OrderStatus = OrderStatus.PENDING
    filled_qty: Decimal = Decimal("0")
    avg_price: Decimal | None = None
    venue_order_id: str | None = None
    created_ts: float = 0.0
    reason: str = ""
    meta: dict[str, object] = field(default_factory=dict)
    fill_ids: set[str] = field(default_factory=set)
    fees: Decimal = Decimal("0")
    cancel_requested: bool = False  # killed or cancelled while its submit was in flight
    refused: Refusal | None = None  # who refused it, when REJECTED in this session

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.filled_qty

    @property
    def notional(self) -> Decimal:
        price = self.limit_price if self.limit_price is not None else (self.avg_price or Decimal(0))
        return self.quantity * price


@dataclass(slots=True)
class ParentOrder:
    """A ticket the engine accepted: the algorithm turns it into children over time."""

    parent_id: str
    ticket: Ticket
    algo: str
    arrival_mid: Decimal
    created_ts: float
    status: OrderStatus = OrderStatus.SUBMITTED
    filled_qty: Decimal = Decimal("0")
    notional_filled: Decimal = Decimal("0")
    fees: Decimal = Decimal("0")
    reason: str = ""
    children: list[str] = field(default_factory=list)
    shortfall_bps: float | None = None
    estimate_bps: tuple[float, float, float] | None = None  # pre-trade (mean, low, high), 90%

    @property
    def avg_price(self) -> Decimal | None:
        return self.notional_filled / self.filled_qty if self.filled_qty else None

    @property
    def remaining(self) -> Decimal:
        return self.ticket.quantity - self.filled_qty


@dataclass(frozen=True, slots=True)
class Position:
    symbol: str
    quantity: Decimal
    avg_price: Decimal = Decimal("0")


@dataclass(frozen=True, slots=True)
class PortfolioSnapshot:
    """Cash plus positions at one time; equity marks positions at the given prices."""

    cash: Decimal
    positions: dict[str, Position]
    equity: Decimal
    ts: float = 0.0


AVERAGE_PLACES = Decimal("1e-8")


def average(price: Decimal) -> Decimal:
    """An average price to at most 8 decimals: an exact quotient carries 28 digits nobody can use."""
    return Decimal(format(price.quantize(AVERAGE_PLACES).normalize(), "f"))
