"""The shapes the engine's public API returns: previews and execution reports."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal

from engine.models import OrderStatus, OrderType, Side, Ticket


@dataclass(frozen=True, slots=True)
class SizingResult:
    """Half-Kelly (or fixed / percent-equity) sizing of one ticket, with the reason for any cap."""

    mode: str
    kelly_fraction: float
    half_kelly_fraction: float
    uncapped_quantity: Decimal
    quantity: Decimal
    notional: Decimal
    capped: bool
    cap_reason: str
    stop_price: Decimal | None
    limit_price: Decimal | None
    reason: str = ""  # why there is no order (f* <= 0), if so


@dataclass(frozen=True, slots=True)
class RouteDecision:
    """Order type chosen for one ticket, with the rule that fired."""

    order_type: OrderType
    rule: str
    limit_price: Decimal | None
    slices: int
    interval_s: float


@dataclass(frozen=True, slots=True)
class Leg:
    """One venue's share of a parent, with the figures the router ranked it by."""

    venue: str
    quantity: Decimal
    notional: Decimal
    share: float
    spread_bps: float
    price_worse_bps: float
    expected_slippage_bps: float
    effective_cost_bps: float
    bid: Decimal | None = None
    ask: Decimal | None = None
    slippage_source: str = "static"


@dataclass(frozen=True, slots=True)
class PlannedChild:
    """One child order the plan would send, as the risk gate judged it before sending."""

    venue: str
    index: int
    quantity: Decimal
    order_type: OrderType
    price: Decimal | None  # the price the gate valued it at (limit, else the venue's far touch)
    denied_check: str = (
        ""  # a check id from engine.risk.gate.CHECKS; empty when the gate lets it pass
    )
    denied_reason: str = ""

    @property
    def denied(self) -> bool:
        return bool(self.denied_check)


@dataclass(frozen=True, slots=True)
class AlgoEstimate:
    """Expected implementation shortfall of one algorithm (bps, positive = cost) and its 90% range."""

    algo: str
    mean_bps: float
    low_bps: float
    high_bps: float
    mean_money: Decimal
    low_money: Decimal
    high_money: Decimal
    duration_s: float
    source: str  # "model", or "model + history (N fills)"
    samples: int = 0


@dataclass(frozen=True, slots=True)
class CostEstimate:
    """The pre-trade estimate: the chosen algorithm, the alternatives, and what fed the model."""

    chosen: AlgoEstimate
    alternatives: tuple[AlgoEstimate, ...]
    inputs: str
    level: float = 0.9


@dataclass(frozen=True, slots=True)
class Plan:
    """What the trader confirms and the engine then sends unchanged: order type, legs, limit."""

    algo: str
    leg_algo: str
    legs: tuple[Leg, ...]
    dropped: tuple[tuple[str, str], ...]
    arrival_mid: Decimal
    decision: RouteDecision
    ticket: Ticket  # carries the quantity that is sent (typed or Kelly-sized)
    made_ts: float = 0.0
    estimate: CostEstimate | None = None

    @property
    def quantity(self) -> Decimal:
        return self.ticket.quantity


class PlanChangeKind(enum.Enum):
    """Why a confirmed plan can no longer be sent as confirmed."""

    VENUE_DOWN = "venue down"
    NO_QUOTE = "no quote"
    PRICE_MOVED = "price moved"
    RISK_DENIED = "risk denied"


@dataclass(frozen=True, slots=True)
class PlanChange:
    """One difference between the market the plan was confirmed on and the market now."""

    kind: PlanChangeKind
    venue: str
    detail: str

    def __str__(self) -> str:
        return f"{self.venue}: {self.kind.value}: {self.detail}"


@dataclass(frozen=True, slots=True)
class Preview:
    """What would happen if the trader sent this ticket now; nothing is sent."""

    symbol: str
    side: Side
    quantity: Decimal
    sizing: SizingResult | None
    route: RouteDecision | None
    legs: tuple[Leg, ...] = ()
    dropped: tuple[tuple[str, str], ...] = ()
    errors: tuple[tuple[str, str], ...] = ()  # (field, message)
    plan: Plan | None = None  # what submit(ticket, plan) sends, leg for leg
    children: tuple[PlannedChild, ...] = ()  # the plan's child orders through the risk gate
    sized_by_kelly: bool = False  # the quantity is the Kelly size, chosen by the trader
    funding: tuple[str, ...] = ()  # legs a venue's cash does not cover: it would refuse the rest

    @property
    def ok(self) -> bool:
        return not self.errors and self.quantity > 0

    @property
    def denied(self) -> tuple[PlannedChild, ...]:
        return tuple(c for c in self.children if c.denied)


@dataclass(frozen=True, slots=True)
class SliceReport:
    leg: str
    index: int
    total: int
    quantity: Decimal
    filled: Decimal
    avg_price: Decimal | None
    decided_by: str = ""


@dataclass(frozen=True, slots=True)
class ExecutionReport:
    """How one parent ended: the figures `tranche exec` prints."""

    parent_id: str
    status: OrderStatus
    symbol: str
    side: Side
    quantity: Decimal
    filled_qty: Decimal
    avg_price: Decimal | None
    fills: int
    slippage_bps: float | None
    shortfall_bps: float | None
    elapsed_s: float
    fees: Decimal
    algo: str
    legs: tuple[dict[str, object], ...] = ()
    slices: tuple[SliceReport, ...] = field(default=())
    reason: str = ""
