"""The execution engine: tickets in, child orders out through the risk gate, fills recorded; no UI."""

from __future__ import annotations

import asyncio
import functools
import os
import time
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

from engine import views
from engine.algos.base import LegState
from engine.api import ExecutionReport, Preview, SliceReport
from engine.brokers.base import Broker, BrokerError, OrderUpdate, VenueUnavailable
from engine.clock import Clock
from engine.config import Settings
from engine.events import (
    ChildUpdated,
    Event,
    EventBus,
    FillRecorded,
    KillReport,
    LogMessage,
    ParentAccepted,
    ParentCompleted,
    RiskDenied,
    TradingStateChanged,
    VenueStateChanged,
)
from engine.held_store import HeldStore
from engine.killswitch import cancel_everywhere
from engine.lifecycle import IllegalTransition, Overfill, apply_fill, transition
from engine.market import MarketState
from engine.models import (
    ChildOrder,
    InputError,
    Instrument,
    OrderStatus,
    OrderType,
    ParentOrder,
    Quote,
    Side,
    Ticket,
    TimeInForce,
    TradingState,
)
from engine.planner import Plan, plan_ticket, preview_ticket
from engine.quality import QualityTracker
from engine.recovery_load import book_late_fill
from engine.risk import RiskGate


class Engine:
    """An asyncio object with a small public API; the console and the CLI use nothing else."""

    def __init__(
        self, settings: Settings, clock: Clock, brokers: dict[str, Broker], store: Any = None
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.brokers = brokers
        self.store = HeldStore(store, clock) if store is not None else None
        self.bus = EventBus()
        self.risk = RiskGate(settings.risk, clock)
        self.market = MarketState(brokers, clock, self.publish, settings.broker.probe_timeout_s)
        self.quality = QualityTracker(settings.quality, store, self.publish, clock)
        self.parents: dict[str, ParentOrder] = {}
        self.children: dict[str, ChildOrder] = {}
        self.legs: dict[str, list[LegState]] = {}
        self.positions: dict[str, Decimal] = {}
        self.venue_connected: dict[str, bool] = dict.fromkeys(brokers, False)
        self._instruments: dict[tuple[str, str], Instrument] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stopped: set[str] = set()
        self._events: dict[str, asyncio.Event] = {}
        self._early: dict[str, list[OrderUpdate]] = {}
        self._done: dict[str, asyncio.Event] = {}
        self._seq = 0
        self.recovery: Any = None  # the last RecoveryReport (engine/recovery.py)
        self.log_file: Any = None  # engine/logfile.py, opened by start() when there is a store
        self._poller: asyncio.Task[None] | None = None
        self.started = False  # the store is open and venues were asked to connect
        self.fallback: Callable[[], dict[str, Broker]] | None = (
            None  # paper venues if no real one connects
        )

    # -- public API -------------------------------------------------------------------
    @property
    def trading_state(self) -> TradingState:
        return self.risk.state

    def publish(self, event: Event) -> None:
        self.bus.publish(event)

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

        async def connect(name: str, b: Broker) -> None:
            try:
                await b.connect()
                self.venue_connected[name] = True
                self.publish(VenueStateChanged(self.clock.now(), name, True, "connected"))
            except Exception as e:  # a venue that cannot connect must not stop the others
                self.venue_connected[name] = False
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
        for name, b in self.brokers.items():
            b.on_update(self._on_update)
            b.on_state(functools.partial(self._venue_state, name))
        self.started = True
        # reliability: reconcile what the journal says was live before anything new is sent
        if self.store is not None and self.settings.recovery.on_start:
            await self.recover(at_start=True)
        if not self.clock.simulated:  # a simulated clock would never stop advancing for a poller
            self._poller = asyncio.get_running_loop().create_task(
                views.poll_quotes(self, list(self.settings.sim.symbols))
            )

    async def recover(self, **options: Any) -> Any:
        """Reconcile journalled parents and children with their venues; see engine/recovery.py."""
        from engine.recovery import recover

        self.recovery = await recover(self, **options)
        return self.recovery

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
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
        for pid in list(self._tasks):
            self._stopped.add(pid)
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
            await self.store.close()

    async def preview(
        self, ticket: Ticket, *, cash: Decimal | None = None, equity: Decimal | None = None
    ) -> Preview:
        """What sending `ticket` now would do; bad fields come back in `errors`, never raised."""
        return await preview_ticket(self, ticket, cash=cash, equity=equity)

    async def submit(self, ticket: Ticket) -> str:
        """Accept a parent and start its legs; raises InputError for a ticket that cannot trade."""
        if self.risk.state is TradingState.HALTED:
            raise InputError("trading_state", "trading is HALTED: reset before sending orders")
        plan: Plan = await plan_ticket(self, ticket)
        self._seq += 1
        pid = f"P{int(self.clock.now() * 1000):x}{os.urandom(2).hex()}{self._seq:03d}"
        parent = ParentOrder(pid, ticket, plan.algo, plan.arrival_mid, self.clock.now())
        self.parents[pid] = parent
        self.legs[pid] = [LegState(leg.venue, leg.quantity, plan.leg_algo) for leg in plan.legs]
        self._done[pid] = asyncio.Event()
        if self.store is not None:
            await self.store.journal_parent(parent)
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

    async def kill(self) -> KillReport:
        """HALT, stop every algorithm, cancel every open order on every venue concurrently."""
        t0 = time.perf_counter()
        self.set_state(TradingState.HALTED, "kill switch")
        running = [pid for pid, t in self._tasks.items() if not t.done()]
        self._stopped.update(self.parents)
        open_children = [
            c
            for c in self.children.values()
            if c.status
            in (OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_FILLED, OrderStatus.PENDING)
        ]
        cancelled, failed = await cancel_everywhere(self.brokers, open_children)
        for c in cancelled:
            self._mark_cancelled(c, "kill switch")
        report = KillReport(
            self.clock.now(),
            len(cancelled),
            tuple(failed),
            (time.perf_counter() - t0) * 1000,
            len(running),
        )
        self.publish(report)
        if self.store is not None:
            self.store.record_event(
                ts=self.clock.now(),
                kind="kill",
                payload={
                    "cancelled": len(cancelled),
                    "failed": failed,
                    "elapsed_ms": report.elapsed_ms,
                },
            )
        return report

    def reset(self, *, confirm: bool) -> None:
        """Back to ACTIVE from HALTED or REDUCING: only with an explicit confirmation."""
        if not confirm:
            raise InputError("confirm", "returning to ACTIVE needs an explicit confirmation")
        self.set_state(TradingState.ACTIVE, "reset by the trader")

    def set_state(self, new: TradingState, reason: str) -> None:
        old = self.risk.state
        if self.risk.set_state(new, reason):
            self.publish(TradingStateChanged(self.clock.now(), old, new, reason))
            if self.store is not None:
                self.store.record_event(
                    ts=self.clock.now(),
                    kind="trading_state",
                    payload={"old": old.value, "new": new.value, "reason": reason},
                )

    def _venue_state(self, venue: str, connected: bool, detail: str) -> None:
        if self.venue_connected.get(venue) != connected:
            self.venue_connected[venue] = connected
            self.publish(VenueStateChanged(self.clock.now(), venue, connected, detail))
            self.log(
                "info" if connected else "error",
                f"{venue}: {'connected' if connected else 'disconnected'} {detail}".strip(),
            )

    def log(self, level: str, message: str) -> None:
        self.publish(LogMessage(self.clock.now(), level, message))

    # -- used by legs -----------------------------------------------------------------
    def is_stopped(self, parent_id: str) -> bool:
        return parent_id in self._stopped

    def child_event(self, cid: str) -> asyncio.Event:
        return self._events.setdefault(cid, asyncio.Event())

    async def instrument(self, venue: str, symbol: str) -> Instrument:
        key = (venue, symbol)
        if key not in self._instruments:
            self._instruments[key] = await self.brokers[venue].instrument(symbol)
        return self._instruments[key]

    def slippage_so_far(self, p: ParentOrder) -> float | None:
        """Average fill price against the arrival mid, bps, positive = worse for the side."""
        avg = p.avg_price
        if avg is None or p.arrival_mid <= 0:
            return None
        return float((avg - p.arrival_mid) / p.arrival_mid * 10000) * p.ticket.side.sign

    async def send_child(
        self,
        parent: ParentOrder,
        leg: LegState,
        qty: Decimal,
        order_type: OrderType,
        limit_price: Decimal | None,
        tif: TimeInForce,
        post_only: bool,
        meta: dict[str, Any],
    ) -> ChildOrder:
        """Risk gate, journal, then broker; a denial or venue error comes back as a REJECTED child."""
        t = parent.ticket
        n = len(parent.children) + 1
        cid = f"{parent.parent_id}-{n:03d}"
        while cid in self.children:  # reliability: after a restart an id is never reused
            n += 1
            cid = f"{parent.parent_id}-{n:03d}"
        child = ChildOrder(
            cid,
            parent.parent_id,
            leg.venue,
            t.symbol,
            t.side,
            qty,
            order_type,
            limit_price,
            tif,
            post_only,
            created_ts=self.clock.now(),
            meta=dict(meta),
        )
        parent.children.append(cid)
        self.children[cid] = child
        q = self.market.quotes.get((leg.venue, t.symbol))
        if q is not None:
            marketable = limit_price is None or (
                limit_price >= q.ask if t.side is Side.BUY else limit_price <= q.bid
            )
            child.meta["expected_price"] = str(q.far(t.side) if marketable else limit_price)
        if qty <= 0:
            transition(child, OrderStatus.REJECTED, "nothing left to send")
            return child
        denial = self.risk.check(
            child,
            parent_quantity=t.quantity,
            best_opposite=q.far(t.side) if q else None,
            position=self._exposure(t.symbol),
        )
        if denial is not None:
            transition(child, OrderStatus.REJECTED, f"risk: {denial.reason}")
            self.publish(
                RiskDenied(self.clock.now(), cid, leg.venue, t.symbol, denial.check, denial.reason)
            )
            if self.store is not None:
                self.store.record_denial(
                    ts=self.clock.now(),
                    client_order_id=cid,
                    venue=leg.venue,
                    symbol=t.symbol,
                    check=denial.check,
                    reason=denial.reason,
                )
            self._child_changed(child)
            return child
        if self.store is not None:
            await self.store.journal_child(child)  # durable before the venue sees the order
        try:
            ack = await self.brokers[leg.venue].submit(child)
        except BrokerError as e:
            if child.status is OrderStatus.PENDING:
                transition(child, OrderStatus.REJECTED, e.message)
            if isinstance(e, VenueUnavailable):
                leg.reason = f"venue unavailable: {e.message}"
            self.log("warning", f"{cid} rejected by {leg.venue}: {e.message}")
            self._child_changed(child)
            return child
        child.venue_order_id = ack.venue_order_id
        if child.status is OrderStatus.PENDING:
            transition(
                child,
                OrderStatus.REJECTED
                if ack.status is OrderStatus.REJECTED
                else OrderStatus.SUBMITTED,
                ack.reason,
            )
        for upd in self._early.pop(cid, []):
            self._apply_update(child, upd)
        if child.status is OrderStatus.SUBMITTED and ack.status is OrderStatus.CANCELLED:
            transition(child, OrderStatus.CANCELLED, ack.reason or "not filled (IOC)")
        self._child_changed(child)
        return child

    async def cancel_child(self, child: ChildOrder) -> None:
        if not child.status.is_open:
            return
        try:
            await self.brokers[child.venue].cancel(child)
        except BrokerError as e:
            self.log("warning", f"cancel {child.client_order_id} on {child.venue}: {e.message}")
            try:  # the venue may have filled it meanwhile: believe its own state
                state = await self.brokers[child.venue].order_status(child)
                for f in state.fills:
                    self._apply_update(child, OrderUpdate(child.client_order_id, state.status, f))
            except BrokerError:
                return
        self._mark_cancelled(child, "cancelled")

    # -- internals ----------------------------------------------------------------------
    def _exposure(self, symbol: str) -> Decimal:
        """Position plus every open order of the symbol, signed: the worst case the gate must bound."""
        working = sum(
            (
                c.side.sign * c.remaining
                for c in self.children.values()
                if c.symbol == symbol and c.status.is_open
            ),
            Decimal(0),
        )
        return self.positions.get(symbol, Decimal(0)) + working

    def _mark_cancelled(self, child: ChildOrder, reason: str) -> None:
        if (
            child.client_order_id in self.children
            and child.status.is_open
            or child.status is OrderStatus.PENDING
        ):
            transition(child, OrderStatus.CANCELLED, reason)
            self._child_changed(child)

    def _on_update(self, upd: OrderUpdate) -> None:
        child = self.children.get(upd.client_order_id)
        if child is None:
            return
        if child.status is OrderStatus.PENDING:  # a fill pushed before the submit call returned
            self._early.setdefault(child.client_order_id, []).append(upd)
            return
        self._apply_update(child, upd)
        self._child_changed(child)

    def _apply_update(self, child: ChildOrder, upd: OrderUpdate) -> None:
        try:
            if upd.fill is not None:
                if child.status is OrderStatus.CANCELLED:
                    # reliability: a fill that raced the cancel still happened; count it once
                    if book_late_fill(child, upd.fill):
                        self._book_fill(child, upd)
                elif apply_fill(child, upd.fill):
                    self._book_fill(child, upd)
            elif upd.status is OrderStatus.CANCELLED and child.status.is_open:
                transition(child, OrderStatus.CANCELLED, upd.reason)
            elif upd.status is OrderStatus.REJECTED and child.status is OrderStatus.SUBMITTED:
                transition(child, OrderStatus.REJECTED, upd.reason)
        except (IllegalTransition, Overfill) as e:
            self.log("error", f"venue update refused: {e}")

    def _book_fill(self, child: ChildOrder, upd: OrderUpdate) -> None:
        fill = upd.fill
        assert fill is not None
        parent = self.parents[child.parent_id]
        parent.filled_qty += fill.quantity
        parent.notional_filled += fill.quantity * fill.price
        parent.fees += fill.fee
        self.positions[child.symbol] = (
            self.positions.get(child.symbol, Decimal(0)) + child.side.sign * fill.quantity
        )
        for leg in self.legs.get(parent.parent_id, []):
            if leg.venue == child.venue:
                leg.filled += fill.quantity
                leg.notional += fill.quantity * fill.price
                break
        expected = Decimal(str(child.meta.get("expected_price") or child.limit_price or fill.price))
        m = self.quality.on_fill(
            fill,
            parent_id=parent.parent_id,
            algo=parent.algo,
            limit_price=expected,
            arrival_price=parent.arrival_mid,
            signal_ts=child.created_ts,
        )
        self.publish(
            FillRecorded(
                self.clock.now(),
                parent.parent_id,
                child.client_order_id,
                child.venue,
                child.symbol,
                child.side,
                fill.quantity,
                fill.price,
                fill.fee,
                m.slippage_bps,
                m.arrival_slippage_bps,
                m.fill_latency_ms,
            )
        )

    def _child_changed(self, child: ChildOrder) -> None:
        self.child_event(child.client_order_id).set()
        if self.store is not None and child.status is not OrderStatus.PENDING:
            self.store.update_child(child)
        meta = tuple((k, v) for k, v in child.meta.items() if isinstance(v, str | int | float))
        self.publish(
            ChildUpdated(
                self.clock.now(),
                child.parent_id,
                child.client_order_id,
                child.venue,
                child.status,
                child.quantity,
                child.filled_qty,
                child.limit_price,
                child.reason,
                meta,
            )
        )

    async def _run_parent(self, parent: ParentOrder, settings: Settings | None = None) -> None:
        """Run every leg, then finish; `settings` carries a resumed parent's shortened schedule."""
        from engine.completion import finish_parent, run_leg

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
            await finish_parent(self, parent)
            self._done[parent.parent_id].set()

    def report(self, parent_id: str) -> ExecutionReport:
        p = self.parents[parent_id]
        kids = [self.children[c] for c in p.children]
        legs = self.legs.get(parent_id, [])
        slices = tuple(
            SliceReport(
                leg.venue,
                s["index"],
                s["total"],
                Decimal(s["quantity"]),
                Decimal(s["filled"]),
                None,
                s.get("decided_by", ""),
            )
            for leg in legs
            for s in leg.slices
        )
        leg_rows: tuple[dict[str, object], ...] = tuple(
            {
                "venue": leg.venue,
                "algo": leg.algo,
                "quantity": str(leg.quantity),
                "filled": str(leg.filled),
                "avg_price": str(leg.notional / leg.filled) if leg.filled else None,
                "status": leg.status,
                "reason": leg.reason,
            }
            for leg in legs
        )
        return ExecutionReport(
            parent_id,
            p.status,
            p.ticket.symbol,
            p.ticket.side,
            p.ticket.quantity,
            p.filled_qty,
            p.avg_price,
            sum(len(c.fill_ids) for c in kids),
            self.slippage_so_far(p),
            p.shortfall_bps,
            self.clock.now() - p.created_ts,
            p.fees,
            p.algo,
            leg_rows,
            slices,
            p.reason,
        )


__all__ = ["Engine", "ParentCompleted", "Quote"]
