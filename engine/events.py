"""Typed, immutable engine events: everything the console and the CLI learn, they learn from these."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal

from engine.models import OrderStatus, Quote, Side, TradingState


@dataclass(frozen=True, slots=True)
class Event:
    ts: float


@dataclass(frozen=True, slots=True)
class QuoteUpdated(Event):
    quote: Quote


@dataclass(frozen=True, slots=True)
class ParentAccepted(Event):
    parent_id: str
    symbol: str
    side: Side
    quantity: Decimal
    algo: str
    arrival_mid: Decimal
    legs: tuple[tuple[str, Decimal], ...] = ()


@dataclass(frozen=True, slots=True)
class ChildUpdated(Event):
    """A child order changed state (submitted, filled, cancelled, rejected)."""

    parent_id: str
    client_order_id: str
    venue: str
    status: OrderStatus
    quantity: Decimal
    filled_qty: Decimal
    limit_price: Decimal | None
    reason: str = ""
    meta: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True, slots=True)
class FillRecorded(Event):
    parent_id: str
    client_order_id: str
    venue: str
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    fee: Decimal
    slippage_bps: float
    arrival_slippage_bps: float
    latency_ms: float


@dataclass(frozen=True, slots=True)
class ParentProgress(Event):
    """Where a parent stands: per-leg progress, next slice time, who decided the last slice."""

    parent_id: str
    algo: str
    filled_qty: Decimal
    quantity: Decimal
    avg_price: Decimal | None
    slippage_bps: float | None
    slice_index: int = 0
    slice_total: int = 0
    next_slice_ts: float | None = None
    leg: str = ""
    decided_by: str = ""
    detail: str = ""
    live_detail: bool = False  # the detail is an order at the venue now: stale once the leg ends


@dataclass(frozen=True, slots=True)
class ParentCompleted(Event):
    parent_id: str
    status: OrderStatus
    filled_qty: Decimal
    avg_price: Decimal | None
    shortfall_bps: float | None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RiskDenied(Event):
    client_order_id: str
    venue: str
    symbol: str
    check: str
    reason: str


@dataclass(frozen=True, slots=True)
class TradingStateChanged(Event):
    old: TradingState
    new: TradingState
    reason: str


@dataclass(frozen=True, slots=True)
class KillReport(Event):
    cancelled: int
    failed: tuple[tuple[str, str], ...]  # (client_order_id or venue, reason)
    elapsed_ms: float
    algos_stopped: int = 0
    followup: int = 0  # 0: the kill itself; n: the n-th retry of what it could not confirm
    cancel_ms: float = 0.0  # until every venue confirmed its cancels (elapsed_ms adds the
    # bookkeeping after it: children marked, parents closed, the history flushed)


@dataclass(frozen=True, slots=True)
class VenuesSwept(Event):
    """After a kill or a flatten: per venue, what its own open-order list says is still open."""

    venues: tuple[tuple[str, str], ...]  # (venue, "no open orders" | "N open: ids" | why unknown)
    clean: bool  # every venue answered and listed nothing open


@dataclass(frozen=True, slots=True)
class AlertRaised(Event):
    kind: str  # "slippage", "latency", "guardrail", ...
    message: str
    value: float = 0.0
    threshold: float = 0.0
    venue: str = ""
    symbol: str = ""


@dataclass(frozen=True, slots=True)
class VenueStateChanged(Event):
    venue: str
    connected: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class FeedStateChanged(Event):
    """A venue's market-data or user stream went live, is resyncing, went stale, or is polled."""

    venue: str
    capability: str  # book | trades | orders | my_trades
    state: str  # live | resync | stale | poll
    detail: str = ""


@dataclass(frozen=True, slots=True)
class LogMessage(Event):
    level: str
    message: str
    extra: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True, slots=True)
class RecoveryCompleted(Event):
    """What a restarted engine found in its journal and did about it (engine/recovery.py)."""

    parents: int
    children_reconciled: int
    fills_recovered: int
    resumed: tuple[str, ...] = ()
    cancelled: tuple[str, ...] = ()
    orphans: tuple[tuple[str, str], ...] = ()  # (venue, client order id)
    failed: tuple[tuple[str, str], ...] = ()  # (parent id or venue, why it could not be reconciled)


class EventBus:
    """Fan-out of events to any number of subscribers, each with its own bounded queue."""

    def __init__(self, maxsize: int = 10_000) -> None:
        self._subs: list[asyncio.Queue[Event]] = []
        self._maxsize = maxsize
        self.dropped = 0

    def publish(self, event: Event) -> None:
        for q in self._subs:
            try:
                q.put_nowait(event)
            except asyncio.QueueFull:
                self.dropped += 1  # a slow reader loses old quotes, never the engine's time

    def subscribe(self) -> asyncio.Queue[Event]:
        q: asyncio.Queue[Event] = asyncio.Queue(self._maxsize)
        self._subs.append(q)
        return q

    def unsubscribe(self, q: asyncio.Queue[Event]) -> None:
        if q in self._subs:
            self._subs.remove(q)

    async def stream(self) -> AsyncIterator[Event]:
        q = self.subscribe()
        try:
            while True:
                yield await q.get()
        finally:
            self.unsubscribe(q)
