"""Everything the engine's parts share, in one typed place: no part keeps state of its own."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from engine.algos.base import LegState
from engine.algos.guardrail import Guardrail
from engine.brokers.base import Broker, OrderUpdate
from engine.clock import Clock
from engine.config import Settings
from engine.events import Event, EventBus, LogMessage
from engine.held_store import HeldStore
from engine.history import RecentHistory
from engine.models import ChildOrder, Instrument, ParentOrder
from engine.open_set import OpenSet
from engine.positions import PositionBook
from engine.quality import QualityTracker
from engine.quotes import MarketState
from engine.risk.gate import RiskGate
from engine.stops import StopSet


def _open_index() -> OpenSet[ChildOrder]:
    return OpenSet(lambda c: c.status.is_open)


@dataclass(eq=False)
class EngineState:
    """Settings, clock, venues, store, bus, risk, quotes, quality, orders, positions, venue health."""

    settings: Settings
    clock: Clock
    brokers: dict[str, Broker]
    store: HeldStore | None
    bus: EventBus
    risk: RiskGate
    market: MarketState
    quality: QualityTracker
    parents: dict[str, ParentOrder] = field(default_factory=dict)
    children: dict[str, ChildOrder] = field(default_factory=dict)
    legs: dict[str, list[LegState]] = field(default_factory=dict)
    positions: dict[str, Decimal] = field(default_factory=dict)  # what the gate and Kelly count
    position_book: PositionBook = field(default_factory=PositionBook)  # per venue, with P&L
    history: RecentHistory = field(default_factory=RecentHistory)  # what the store held at start
    venue_connected: dict[str, bool] = field(default_factory=dict)
    venue_errors: dict[str, str] = field(default_factory=dict)  # why a venue failed to connect
    venue_latency_s: dict[str, float] = field(default_factory=dict)  # one-way, EWMA
    venue_feeds: dict[str, dict[str, str]] = field(default_factory=dict)  # capability -> state
    unpaused: asyncio.Event = field(default_factory=asyncio.Event)  # cleared while PAUSED
    instruments: dict[tuple[str, str], Instrument] = field(default_factory=dict)
    tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)  # a parent's running legs
    done: dict[str, asyncio.Event] = field(default_factory=dict)  # set once the parent finished
    stopped: StopSet = field(default_factory=StopSet)  # adds wake the parent's sleeping legs
    child_events: dict[str, asyncio.Event] = field(default_factory=dict)
    early: dict[str, list[OrderUpdate]] = field(default_factory=dict)  # before the submit returned
    open: OpenSet[ChildOrder] = field(default_factory=_open_index)  # by symbol
    indexed: int = 0  # len(children) when `open` last held every open child
    watched: set[str] = field(default_factory=set)  # symbols kept fresh on a live clock
    started: bool = False  # the store is open and venues were asked to connect
    store_failure: str = ""  # the first write the history file would not take
    fell_back: str = ""  # the venues that did not connect when trading fell back to PAPER
    fallback: Callable[[], dict[str, Broker]] | None = None  # paper venues, when configured
    session: str = field(default_factory=lambda: f"pid {os.getpid()}/{uuid.uuid4().hex[:8]}")
    guardrail: Guardrail = field(
        init=False
    )  # wired to alerts and the store by execution/guardrail.py

    def __post_init__(self) -> None:
        self.guardrail = Guardrail(self.settings.algos)
        self.unpaused.set()

    def publish(self, event: Event) -> None:
        self.bus.publish(event)

    def log(self, level: str, message: str) -> None:
        self.publish(LogMessage(self.clock.now(), level, message))

    def is_stopped(self, parent_id: str) -> bool:
        return parent_id in self.stopped

    def child_event(self, cid: str) -> asyncio.Event:
        """Set whenever the child changes: legs wait on it instead of polling."""
        return self.child_events.setdefault(cid, asyncio.Event())

    async def instrument(self, venue: str, symbol: str) -> Instrument:
        key = (venue, symbol)
        if key not in self.instruments:
            self.instruments[key] = await self.brokers[venue].instrument(symbol)
        return self.instruments[key]

    def steps(self, venue: str, symbol: str) -> tuple[Decimal | None, Decimal | None]:
        """(tick, lot) of an instrument already asked about, else (None, None)."""
        inst = self.instruments.get((venue, symbol))
        if inst is None:  # a parent from the history names no venue: any venue's figures for it
            inst = next((i for (_, s), i in self.instruments.items() if s == symbol), None)
        return (inst.tick, inst.step) if inst is not None else (None, None)

    def open_children(self, symbol: str) -> list[ChildOrder]:
        """Open children of the symbol; every child in `children` is indexed the first time asked."""
        if len(self.children) != self.indexed:  # recovery and benches add children directly
            for c in self.children.values():
                if c.status.is_open:
                    self.open.add(c.symbol, c)  # keyed by identity: adding twice is harmless
            self.indexed = len(self.children)
        return list(self.open.live(symbol))

    def add_child(self, child: ChildOrder) -> None:
        """A new child: in `children` and in the open index, without a rescan."""
        self.children[child.client_order_id] = child
        self.open.add(child.symbol, child)
        if len(self.children) - 1 == self.indexed:
            self.indexed += 1

    def exposure(self, symbol: str) -> Decimal:
        """Position plus every open order of the symbol, signed: the worst case the gate bounds."""
        working = sum((c.side.sign * c.remaining for c in self.open_children(symbol)), Decimal(0))
        return self.positions.get(symbol, Decimal(0)) + working

    def working_parents(self) -> list[ParentOrder]:
        """Parents whose algorithms still run: a killed or finished parent is not working."""
        return [
            p for pid, p in self.parents.items() if pid in self.done and not self.done[pid].is_set()
        ]

    def watched_symbols(self) -> set[str]:
        """What the quote poller keeps fresh: the watched symbols and every working parent's."""
        working = {p.ticket.symbol for p in self.parents.values() if not p.status.parent_finished}
        return self.watched | working

    def slippage_so_far(self, p: ParentOrder) -> float | None:
        """Average fill price against the arrival mid, bps, positive = worse for the side."""
        avg = p.avg_price
        if avg is None or p.arrival_mid <= 0:
            return None
        return float((avg - p.arrival_mid) / p.arrival_mid * 10000) * p.ticket.side.sign
