"""Child orders: the send path (risk gate, journal, venue) and every venue update folded back in."""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from engine.algos.base import LegState
from engine.brokers.base import Broker, BrokerError, OrderUpdate, VenueUnavailable
from engine.clock import Clock
from engine.config import Settings
from engine.events import ChildUpdated, Event, EventBus, FillRecorded, LogMessage, RiskDenied
from engine.held_store import HeldStore
from engine.lifecycle import IllegalTransition, Overfill, apply_fill, transition
from engine.models import (
    ChildOrder,
    OrderStatus,
    OrderType,
    ParentOrder,
    Side,
    TimeInForce,
    TradingState,
)
from engine.open_set import OpenSet
from engine.positions import PositionBook
from engine.quality import QualityTracker
from engine.quotes import MarketState
from engine.recovery_load import book_late_fill
from engine.risk.gate import RiskGate
from engine.store.writer import StoreError


class ChildOrders:
    """The part of the Engine that owns child orders; split out so each file reads in one sitting."""

    settings: Settings
    clock: Clock
    brokers: dict[str, Broker]
    store: HeldStore | None
    bus: EventBus
    risk: RiskGate
    market: MarketState
    quality: QualityTracker
    parents: dict[str, ParentOrder]
    children: dict[str, ChildOrder]
    legs: dict[str, list[LegState]]
    positions: dict[str, Decimal]
    position_book: PositionBook
    _events: dict[str, asyncio.Event]
    venue_latency_s: dict[str, float]  # one-way order-entry latency per venue (EWMA)
    _early: dict[str, list[OrderUpdate]]
    _open: OpenSet[ChildOrder]  # children that may be open, by symbol (engine/open_set.py)
    _indexed: int  # len(children) when `_open` last held every open child

    if TYPE_CHECKING:  # engine/control.py

        def _store_failed(self, error: BaseException) -> None: ...

        def set_state(self, new: TradingState, reason: str) -> None: ...

    def publish(self, event: Event) -> None:
        self.bus.publish(event)

    def log(self, level: str, message: str) -> None:
        self.publish(LogMessage(self.clock.now(), level, message))

    def child_event(self, cid: str) -> asyncio.Event:
        """Set whenever the child changes: legs wait on it instead of polling."""
        return self._events.setdefault(cid, asyncio.Event())

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
        self._open.add(t.symbol, child)
        if len(self.children) - 1 == self._indexed:  # still in step: no rescan needed
            self._indexed += 1
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
        await self._align_arrival(parent, leg.venue)
        if self.store is not None:
            try:
                await self.store.journal_child(child)  # durable before the venue sees the order
            except StoreError as e:  # never send what the journal does not hold
                transition(child, OrderStatus.REJECTED, f"not sent: journal write failed: {e}")
                self._store_failed(e)
                self.set_state(TradingState.HALTED, f"the history file cannot be written: {e}")
                self._child_changed(child)
                return child
        sent = self.clock.now()
        try:
            ack = await asyncio.wait_for(
                self.brokers[leg.venue].submit(child), self.settings.broker.submit_timeout_s
            )
        except TimeoutError:
            await self._unanswered(child)
            return child
        except BrokerError as e:
            if child.status is OrderStatus.PENDING:
                transition(child, OrderStatus.REJECTED, e.message)
            if isinstance(e, VenueUnavailable):
                leg.reason = f"venue unavailable: {e.message}"
            self.log("warning", f"{cid} rejected by {leg.venue}: {e.message}")
            self._child_changed(child)
            return child
        self._learn_latency(leg.venue, sent, ack.arrived_ts)
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
        await self._cancel_if_killed(child)
        return child

    async def _cancel_if_killed(self, child: ChildOrder) -> None:
        """Killed while its submit was in flight and the venue has it now: cancel it at once."""
        if child.cancel_requested and child.status.is_open:
            self.log("warning", f"{child.client_order_id}: reached {child.venue} after the kill")
            await self.cancel_child(child, "kill switch (cancelled once its submit was answered)")

    async def _align_arrival(self, parent: ParentOrder, venue: str) -> None:
        """A multi-venue parent: hold this child by how much faster its venue is than the slowest
        leg's, so a slice's children arrive together and no venue's quotes fade before ours land."""
        venues = {leg.venue for leg in self.legs.get(parent.parent_id, ())}
        if len(venues) < 2 or not self.settings.router.sor_sync_arrival:
            return
        missing = [v for v in venues if v not in self.venue_latency_s]
        if missing:
            await asyncio.gather(*(self._seed_latency(v) for v in missing))
        lat = {v: self.venue_latency_s[v] for v in venues}
        fastest, cap = min(lat.values()), self.settings.router.sor_sync_max_hold_ms / 1000
        target = max(t for t in lat.values() if t - fastest <= cap)  # one arrival time for all
        if lat[venue] < target:
            await self.clock.sleep(target - lat[venue])

    async def _seed_latency(self, venue: str) -> None:
        """Half a health round trip, until the venue's own arrival times are known."""
        rtt_ms = 0.0
        with contextlib.suppress(Exception):  # an unhealthy venue simply is not waited for
            h = await asyncio.wait_for(
                self.brokers[venue].health(), self.settings.broker.probe_timeout_s
            )
            rtt_ms = h.latency_ms if h.connected else 0.0
        self.venue_latency_s.setdefault(venue, rtt_ms / 2000)

    def _learn_latency(self, venue: str, sent: float, arrived: float | None) -> None:
        """One-way latency from the venue's arrival time (else half the round trip), as an EWMA."""
        rtt = self.clock.now() - sent
        one_way = arrived - sent if arrived is not None and 0 <= arrived - sent <= rtt else rtt / 2
        old = self.venue_latency_s.get(venue)
        self.venue_latency_s[venue] = one_way if old is None else 0.8 * old + 0.2 * one_way

    async def _unanswered(self, child: ChildOrder) -> None:
        """No answer to a submit in time: ask the venue what became of the order, never resend it."""
        venue, cid = self.brokers[child.venue], child.client_order_id
        wait = self.settings.broker.submit_timeout_s
        self.log("warning", f"{cid}: no answer from {child.venue} within {wait:g} s; asking it")
        state = None
        with contextlib.suppress(BrokerError, TimeoutError):
            state = await asyncio.wait_for(venue.order_status(child), wait)
        if state is not None:  # it arrived: follow the venue's own account of it
            child.venue_order_id = state.venue_order_id
            transition(child, OrderStatus.SUBMITTED, "acknowledged late")
            for f in state.fills:
                self._apply_update(child, OrderUpdate(cid, state.status, f))
            if state.status in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
                self._apply_update(child, OrderUpdate(cid, state.status, None, state.reason))
        else:  # not there (or no answer again): make sure it never rests, then close it
            with contextlib.suppress(BrokerError, TimeoutError):
                await asyncio.wait_for(venue.cancel(child), wait)
            transition(
                child, OrderStatus.CANCELLED, f"no answer from {child.venue} within {wait:g} s"
            )
        for upd in self._early.pop(cid, []):  # pushed meanwhile: a fill is booked, never lost
            self._apply_update(child, upd)
        self._child_changed(child)
        await self._cancel_if_killed(child)

    async def cancel_child(self, child: ChildOrder, reason: str = "cancelled") -> None:
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
            if state.filled_qty > child.filled_qty:  # executed, fills not seen yet: never re-sent
                self.hold(child, state.filled_qty)
                return
            if state.status.is_open:  # still working there: the cancel did not take
                return
        self._mark_cancelled(child, reason)

    def hold(self, child: ChildOrder, executed: Decimal) -> None:
        """The venue executed more than we have fills for: the child stays open (its quantity
        counts as working, so nothing is sent in its place) until the fills arrive."""
        if child.meta.get("held") is None:
            self.log(
                "warning",
                f"{child.client_order_id}: {child.venue} executed {executed} of {child.quantity}, "
                f"fills seen {child.filled_qty}; held, not re-sent, until the venue reports them",
            )
        child.meta["held"] = str(executed)
        self._child_changed(child)

    def open_children(self, symbol: str) -> list[ChildOrder]:
        """Open children of the symbol; every child in `children` is indexed the first time asked."""
        if len(self.children) != self._indexed:  # recovery and benches add children directly
            for c in self.children.values():
                if c.status.is_open:
                    self._open.add(c.symbol, c)  # keyed by identity: adding twice is harmless
            self._indexed = len(self.children)
        return list(self._open.live(symbol))

    def _exposure(self, symbol: str) -> Decimal:
        """Position plus every open order of the symbol, signed: the worst case the gate must bound."""
        working = sum((c.side.sign * c.remaining for c in self.open_children(symbol)), Decimal(0))
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
        self.position_book.add(
            child.symbol, child.venue, child.side, fill.quantity, fill.price, fill.fee
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
