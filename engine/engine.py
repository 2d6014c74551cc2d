"""The execution engine: tickets in, child orders out through the risk gate, fills recorded; no UI."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

from engine import views
from engine.algos.base import LegState
from engine.algos.guardrail import restore_switch_off
from engine.api import ExecutionReport, Plan, Preview
from engine.brokers.base import Broker, OrderUpdate, VenueUnavailable
from engine.clock import Clock
from engine.config import Settings
from engine.control import TradingControl
from engine.events import (
    Event,
    EventBus,
    ParentAccepted,
    ParentCompleted,
    VenueStateChanged,
)
from engine.held_store import HeldStore
from engine.history import RecentHistory, load_positions, load_recent
from engine.models import (
    ChildOrder,
    InputError,
    Instrument,
    NoVenueConnected,
    ParentOrder,
    Quote,
    Ticket,
    TradingState,
)
from engine.open_set import OpenSet
from engine.parent_report import execution_report
from engine.plan_check import PlanStale, plan_changes
from engine.planner import plan_ticket, preview_ticket
from engine.positions import PositionBook
from engine.quality import QualityTracker
from engine.quotes import MarketState
from engine.risk.gate import RiskGate
from engine.stops import StopSet
from engine.store.writer import StoreError


class Engine(TradingControl):
    """An asyncio object with a small public API; the console and the CLI use nothing else."""

    def __init__(
        self, settings: Settings, clock: Clock, brokers: dict[str, Broker], store: Any = None
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.brokers = brokers
        if store is not None:
            store.on_error = self._store_failed  # a failed write is said where the trader looks
        self.store = HeldStore(store, clock) if store is not None else None
        self.store_failure = ""  # the first write the history file would not take, if any
        self.bus = EventBus()
        self.risk = RiskGate(settings.risk, clock)
        self.market = MarketState(brokers, clock, self.publish, settings.broker.probe_timeout_s)
        self.quality = QualityTracker(settings.quality, store, self.publish, clock)
        self.parents: dict[str, ParentOrder] = {}
        self.children: dict[str, ChildOrder] = {}
        self.legs: dict[str, list[LegState]] = {}
        self.positions: dict[str, Decimal] = {}  # what the risk gate and Kelly cap count
        self.position_book = (
            PositionBook()
        )  # per symbol and venue, with P&L, for the positions pane
        self.history = RecentHistory()  # what the store held at start, for the console's panes
        self.venue_connected: dict[str, bool] = dict.fromkeys(brokers, False)
        self._instruments: dict[tuple[str, str], Instrument] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stopped = StopSet()  # a set whose adds wake the parent's sleeping legs
        self._events: dict[str, asyncio.Event] = {}
        self._early: dict[str, list[OrderUpdate]] = {}
        self._open: OpenSet[ChildOrder] = OpenSet(lambda c: c.status.is_open)
        self._indexed = 0
        self.venue_latency_s: dict[str, float] = {}
        self._done: dict[str, asyncio.Event] = {}
        self._seq = 0
        self.recovery: Any = None  # the last RecoveryReport (engine/recovery.py)
        self.log_file: Any = None  # engine/logfile.py, opened by start() when there is a store
        self._poller: asyncio.Task[None] | None = None
        self._kill_followup: asyncio.Task[None] | None = None
        # quotes kept fresh on a live clock: the simulated symbols, then whatever the trader asks for
        simulated = settings.broker.provider in ("simulated", "paper")
        self.watched: set[str] = set(settings.sim.symbols) if simulated else set()
        self.started = False  # the store is open and venues were asked to connect
        self.fallback: Callable[[], dict[str, Broker]] | None = (
            None  # paper venues if no real one connects, only when broker.fallback says paper
        )
        self.fell_back = ""  # the venues that did not connect when trading fell back to PAPER
        self.venue_errors: dict[str, str] = {}  # why each venue that failed to connect failed

    # -- public API -------------------------------------------------------------------
    @property
    def trading_state(self) -> TradingState:
        return self.risk.state

    def subscribe(self) -> asyncio.Queue[Event]:
        return self.bus.subscribe()

    def events(self) -> AsyncIterator[Event]:
        return self.bus.stream()

    async def start(self) -> None:
        """Open the store and connect every venue concurrently; a venue that fails is reported."""
        if self.store is not None:
            await self.store.open()
            path = getattr(self.store.inner, "path", None)
            if path is not None:  # reliability: log events to a 0600 file next to the database
                from engine.logfile import attach_log_file, log_path_for

                self.log_file = attach_log_file(self, log_path_for(path))
            await self._load_history()

        limit = self.settings.broker.connect_timeout_s

        async def connect(name: str, b: Broker) -> None:
            try:
                try:
                    await asyncio.wait_for(b.connect(), limit)
                except TimeoutError:
                    raise VenueUnavailable(name, f"no answer within {limit:g} s") from None
                self.venue_connected[name] = True
                self.publish(VenueStateChanged(self.clock.now(), name, True, "connected"))
            except Exception as e:  # a venue that cannot connect must not stop the others
                self.venue_connected[name] = False
                self.venue_errors[name] = f"{name}: {getattr(e, 'message', e)}"
                self.publish(
                    VenueStateChanged(self.clock.now(), name, False, getattr(e, "message", str(e)))
                )
                self.log("error", f"{name}: cannot connect: {getattr(e, 'message', e)}")

        await asyncio.gather(*(connect(n, b) for n, b in self.brokers.items()))
        if self.fallback is not None and not any(self.venue_connected.values()):
            failed = ", ".join(self.brokers)
            self.brokers.clear()
            self.brokers.update(self.fallback())
            self.venue_connected = dict.fromkeys(self.brokers, False)
            self.log(
                "warning", f"no real venue connected ({failed}): falling back to PAPER trading"
            )
            await asyncio.gather(*(connect(n, b) for n, b in self.brokers.items()))
            self.fell_back = failed
        if self.settings.broker.provider in ("ccxt", "ibkr") and not any(
            self.venue_connected.values()
        ):
            why = "; ".join(self.venue_errors.get(n, "not connected") for n in self.brokers)
            await self.stop()  # store and sessions closed: the caller gets the error, nothing leaks
            raise NoVenueConnected(
                "broker.venues",
                f"no venue connected ({why or 'none configured'}); nothing was sent. "
                "Set broker.fallback: paper to trade on paper instead",
            )
        for name, b in self.brokers.items():
            b.on_update(self._on_update)
            b.on_state(functools.partial(self._venue_state, name))
        self.started = True
        await restore_switch_off(self)
        # reliability: reconcile what the journal says was live before anything new is sent
        if self.store is not None and self.settings.recovery.on_start:
            await self.recover(at_start=True)
        if not self.clock.simulated:  # a simulated clock would never stop advancing for a poller
            self._poller = asyncio.get_running_loop().create_task(views.poll_quotes(self))

    async def recover(self, **options: Any) -> Any:
        """Reconcile journalled parents and children with their venues; see engine/recovery.py."""
        from engine.recovery import recover

        self.recovery = await recover(self, **options)
        return self.recovery

    async def _load_history(self) -> None:
        """Positions and recent panes from the store; a history that cannot be read is said, not fatal."""
        assert self.store is not None
        try:
            self.positions.update(await load_positions(self.store, self.position_book))
            self.history = await load_recent(self.store)
        except Exception as e:  # an unreadable history must not stop trading; the log says why
            self.log("error", f"fill history not loaded: {type(e).__name__}: {e}")

    def exposure(self, symbol: str) -> Decimal:
        """What the risk gate counts for `symbol`: position plus every open order, signed."""
        return self._exposure(symbol)

    def position_rows(self) -> dict[str, list[dict[str, Any]]]:
        """The positions pane: per venue and symbol, marked to the engine's latest mid."""
        marks = {k: q.mid for k, q in self.market.quotes.items()}
        data = self.position_book.rows(marks, self.exposure)
        for r in data["positions"]:
            inst = self._instruments.get((r["venue"], r["symbol"]))
            r["tick"], r["lot"] = (inst.tick, inst.step) if inst is not None else (None, None)
        return data

    async def venue_scores(self, symbol: str) -> list[dict[str, Any]]:
        return await views.score_rows(self, symbol)

    async def blotter(self, limit: int = 200) -> list[dict[str, Any]]:
        return await views.blotter_rows(self, limit)

    async def book(
        self, venue: str, symbol: str, depth: int = 10
    ) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        return await views.book_depth(self, venue, symbol, depth)

    async def stop(self) -> None:
        self.started = False
        for task in (self._poller, self._kill_followup):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        for pid in list(self._tasks):
            self._stopped.add(pid)
        await self._cancel_open_children()
        tasks = [t for t in self._tasks.values() if not t.done()]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for b in self.brokers.values():
            try:
                await b.close()
            except Exception as e:
                self.log("warning", f"{b.name}: close failed: {e}")
        if self.log_file is not None:
            await self.log_file.close()
            self.log_file = None
        if self.store is not None:
            try:
                await self.store.close()
            except StoreError as e:  # the rows are spilled beside the file; the caller says so
                self._store_failed(e)
                self.store_failure = str(e)

    async def _cancel_open_children(self) -> None:
        """An orderly stop leaves no order of ours resting unattended on a venue."""
        live = [c for c in self.children.values() if c.status.is_open]
        if not live:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*(self.cancel_child(c) for c in live), return_exceptions=True),
                self.settings.broker.submit_timeout_s,
            )
        left = [c.client_order_id for c in live if c.status.is_open]
        self.log(
            "warning" if left else "info",
            f"stop: cancelled {len(live) - len(left)} open orders"
            + (f"; still open (venue did not answer): {', '.join(left)}" if left else ""),
        )

    async def preview(
        self, ticket: Ticket, *, cash: Decimal | None = None, equity: Decimal | None = None
    ) -> Preview:
        """What sending `ticket` now would do; bad fields come back in `errors`, never raised."""
        return await preview_ticket(self, ticket, cash=cash, equity=equity)

    async def submit(self, ticket: Ticket, plan: Plan | None = None) -> str:
        """Accept a parent and start its legs; raises InputError for a ticket that cannot trade.

        With `plan` (a preview's, as the trader confirmed it) the legs are sent exactly as planned;
        if the market moved past tolerance, PlanStale says what changed and nothing is sent.
        """
        if self.risk.state is TradingState.HALTED:
            raise InputError("trading_state", "trading is HALTED: reset before sending orders")
        if plan is None:
            plan = await plan_ticket(self, ticket)
        else:
            if plan.ticket != ticket:
                raise InputError("plan", "was made for another ticket: preview this one first")
            changes = await plan_changes(self, plan)
            if changes:
                raise PlanStale(changes)
            if self.risk.state is TradingState.HALTED:  # a kill while the venues were asked
                raise InputError("trading_state", "trading is HALTED: reset before sending orders")
        ticket = plan.ticket
        self._seq += 1
        pid = f"P{int(self.clock.now() * 1000):x}{os.urandom(2).hex()}{self._seq:03d}"
        parent = ParentOrder(pid, ticket, plan.algo, plan.arrival_mid, self.clock.now())
        self.parents[pid] = parent
        self.legs[pid] = [LegState(leg.venue, leg.quantity, plan.leg_algo) for leg in plan.legs]
        self._done[pid] = asyncio.Event()
        if self.store is not None:
            try:
                await self.store.journal_parent(parent)
            except StoreError as e:  # never trade what the history cannot hold
                del self.parents[pid], self.legs[pid], self._done[pid]
                self._store_failed(e)
                raise StoreError(
                    f"nothing was sent: the order could not be journalled: {e}"
                ) from None
        self.publish(
            ParentAccepted(
                self.clock.now(),
                pid,
                ticket.symbol,
                ticket.side,
                ticket.quantity,
                plan.algo,
                plan.arrival_mid,
                tuple((leg.venue, leg.quantity) for leg in plan.legs),
            )
        )
        self._tasks[pid] = asyncio.get_running_loop().create_task(self._run_parent(parent))
        return pid

    async def wait(self, parent_id: str) -> ExecutionReport:
        await self._done[parent_id].wait()
        return self.report(parent_id)

    async def cancel(self, parent_id: str) -> None:
        """Stop a parent's algorithms and cancel its open children."""
        if parent_id not in self.parents:
            raise InputError("parent_id", f"unknown parent {parent_id!r}")
        self._stopped.add(parent_id)
        await asyncio.gather(
            *(
                self.cancel_child(c)
                for c in self.children.values()
                if c.parent_id == parent_id and c.status.is_open
            )
        )

    def watch(self, symbol: str) -> None:
        """Keep this symbol's quotes fresh on every venue that lists it (live clock)."""
        if symbol:
            self.watched.add(symbol.strip().upper())

    def watched_symbols(self) -> set[str]:
        working = {p.ticket.symbol for p in self.parents.values() if not p.status.is_terminal}
        return self.watched | working

    # -- used by legs -----------------------------------------------------------------
    def is_stopped(self, parent_id: str) -> bool:
        return parent_id in self._stopped

    def stop_signal(self, parent_id: str) -> asyncio.Event:
        """Set when the parent is stopped (kill, cancel, quit): legs wake from sleeps at once."""
        return self._stopped.event(parent_id)

    def working_parents(self) -> list[ParentOrder]:
        """Parents whose algorithms still run: a killed or finished parent is not working."""
        return [
            p
            for pid, p in self.parents.items()
            if pid in self._done and not self._done[pid].is_set()
        ]

    async def instrument(self, venue: str, symbol: str) -> Instrument:
        key = (venue, symbol)
        if key not in self._instruments:
            self._instruments[key] = await self.brokers[venue].instrument(symbol)
        return self._instruments[key]

    def steps(self, venue: str, symbol: str) -> tuple[Decimal | None, Decimal | None]:
        """(tick, lot) of an instrument the engine already asked the venue about, else (None, None)."""
        inst = self._instruments.get((venue, symbol))
        if inst is None:  # a parent from the history names no venue: any venue's figures for it
            inst = next((i for (_, s), i in self._instruments.items() if s == symbol), None)
        return (inst.tick, inst.step) if inst is not None else (None, None)

    def slippage_so_far(self, p: ParentOrder) -> float | None:
        """Average fill price against the arrival mid, bps, positive = worse for the side."""
        avg = p.avg_price
        if avg is None or p.arrival_mid <= 0:
            return None
        return float((avg - p.arrival_mid) / p.arrival_mid * 10000) * p.ticket.side.sign

    async def _run_parent(self, parent: ParentOrder, settings: Settings | None = None) -> None:
        """Run every leg, then finish; `settings` carries a resumed parent's shortened schedule."""
        from engine.completion import finish_parent, run_leg, settle_held

        try:
            await asyncio.gather(
                *(run_leg(self, parent, leg, settings) for leg in self.legs[parent.parent_id])
            )
        except asyncio.CancelledError:
            parent.reason = "stopped"
        except Exception as e:  # an algorithm bug must not take the engine down with it
            parent.reason = f"algorithm error: {type(e).__name__}: {e}"
            self.log("error", f"{parent.parent_id}: {parent.reason}")
        finally:
            with contextlib.suppress(asyncio.CancelledError):
                await settle_held(self, parent)  # executed at a venue, fills not yet seen
            await finish_parent(self, parent)
            self._done[parent.parent_id].set()

    def report(self, parent_id: str) -> ExecutionReport:
        return execution_report(self, parent_id)


__all__ = ["Engine", "ParentCompleted", "Quote"]
