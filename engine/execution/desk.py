"""The child-order desk: the send path (risk gate, journal, venue) and every venue update folded back in."""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal
from typing import Any

from engine.algos.base import LegState
from engine.brokers.base import BrokerError, OrderUpdate, VenueUnavailable
from engine.events import ChildUpdated, FillRecorded, RiskDenied
from engine.execution.journal import Journal
from engine.execution.state import EngineState
from engine.execution.status import TradingStatus
from engine.lifecycle import IllegalTransition, Overfill, apply_fill, apply_late_fill, transition
from engine.models import (
    ChildOrder,
    OrderStatus,
    OrderType,
    ParentOrder,
    Refusal,
    Side,
    TimeInForce,
    TradingState,
)
from engine.store.writer import StoreError


class ChildDesk:
    """Owns every child order's life: nothing reaches a venue or the books but through here."""

    def __init__(self, state: EngineState, status: TradingStatus, journal: Journal) -> None:
        self.state = state
        self.status = status
        self.journal = journal

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
        s = self.state
        t = parent.ticket
        n = len(parent.children) + 1
        cid = f"{parent.parent_id}-{n:03d}"
        while cid in s.children:  # reliability: after a restart an id is never reused
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
            created_ts=s.clock.now(),
            meta=dict(meta),
        )
        parent.children.append(cid)
        s.add_child(child)
        q = s.market.quotes.get((leg.venue, t.symbol))
        if q is not None:
            marketable = limit_price is None or (
                limit_price >= q.ask if t.side is Side.BUY else limit_price <= q.bid
            )
            child.meta["expected_price"] = str(q.far(t.side) if marketable else limit_price)
        if qty <= 0:
            transition(child, OrderStatus.REJECTED, "nothing left to send")
            child.refused = Refusal.NOTHING_LEFT
            return child
        denial = s.risk.check(
            child,
            parent_quantity=t.quantity,
            best_opposite=q.far(t.side) if q else None,
            position=s.exposure(t.symbol),
        )
        if denial is not None:
            transition(child, OrderStatus.REJECTED, f"risk: {denial.reason}")
            child.refused = Refusal.RISK
            s.publish(
                RiskDenied(s.clock.now(), cid, leg.venue, t.symbol, denial.check, denial.reason)
            )
            if s.store is not None:
                s.store.record_denial(
                    ts=s.clock.now(),
                    client_order_id=cid,
                    venue=leg.venue,
                    symbol=t.symbol,
                    check=denial.check,
                    reason=denial.reason,
                )
            self.child_changed(child)
            return child
        await self._align_arrival(parent, leg.venue)
        if s.store is not None:
            try:
                await self.journal.child(child)  # durable before the venue sees the order
            except StoreError as e:  # never send what the journal does not hold
                transition(child, OrderStatus.REJECTED, f"not sent: journal write failed: {e}")
                child.refused = Refusal.JOURNAL
                self.status.store_failed(e)
                self.status.set_state(
                    TradingState.HALTED, f"the history file cannot be written: {e}"
                )
                self.child_changed(child)
                return child
        sent = s.clock.now()
        try:
            ack = await asyncio.wait_for(
                s.brokers[leg.venue].submit(child), s.settings.broker.submit_timeout_s
            )
        except TimeoutError:
            await self._unanswered(child)
            return child
        except BrokerError as e:
            if child.status is OrderStatus.PENDING:
                transition(child, OrderStatus.REJECTED, e.message)
                child.refused = Refusal.VENUE
            if isinstance(e, VenueUnavailable):
                leg.lose_venue(e.message)
            s.log("warning", f"{cid} rejected by {leg.venue}: {e.message}")
            self.child_changed(child)
            return child
        self._learn_latency(leg.venue, sent, ack.arrived_ts)
        child.venue_order_id = ack.venue_order_id
        if child.status is OrderStatus.PENDING:
            refused = ack.status is OrderStatus.REJECTED
            transition(
                child, OrderStatus.REJECTED if refused else OrderStatus.SUBMITTED, ack.reason
            )
            child.refused = Refusal.VENUE if refused else None
        for upd in s.early.pop(cid, []):
            self.apply_update(child, upd)
        if child.status is OrderStatus.SUBMITTED and ack.status is OrderStatus.CANCELLED:
            transition(child, OrderStatus.CANCELLED, ack.reason or "not filled (IOC)")
        self.child_changed(child)
        await self._cancel_if_killed(child)
        return child

    async def _cancel_if_killed(self, child: ChildOrder) -> None:
        """Killed while its submit was in flight and the venue has it now: cancel it at once."""
        s = self.state
        if child.cancel_requested and child.status.is_open:
            s.log("warning", f"{child.client_order_id}: reached {child.venue} after the kill")
            await self.cancel_child(child, "kill switch (cancelled once its submit was answered)")

    async def _align_arrival(self, parent: ParentOrder, venue: str) -> None:
        """A multi-venue parent: hold this child by how much faster its venue is than the slowest
        leg's, so a slice's children arrive together and no venue's quotes fade before ours land."""
        s = self.state
        venues = {leg.venue for leg in s.legs.get(parent.parent_id, ())}
        if len(venues) < 2 or not s.settings.router.sor_sync_arrival:
            return
        missing = [v for v in venues if v not in s.venue_latency_s]
        if missing:
            await asyncio.gather(*(self._seed_latency(v) for v in missing))
        lat = {v: s.venue_latency_s[v] for v in venues}
        fastest, cap = min(lat.values()), s.settings.router.sor_sync_max_hold_ms / 1000
        target = max(t for t in lat.values() if t - fastest <= cap)  # one arrival time for all
        if lat[venue] < target:
            await s.clock.sleep(target - lat[venue])

    async def _seed_latency(self, venue: str) -> None:
        """Half a health round trip, until the venue's own arrival times are known."""
        s = self.state
        rtt_ms = 0.0
        with contextlib.suppress(Exception):  # an unhealthy venue simply is not waited for
            h = await asyncio.wait_for(s.brokers[venue].health(), s.settings.broker.probe_timeout_s)
            rtt_ms = h.latency_ms if h.connected else 0.0
        s.venue_latency_s.setdefault(venue, rtt_ms / 2000)

    def _learn_latency(self, venue: str, sent: float, arrived: float | None) -> None:
        """One-way latency from the venue's arrival time (else half the round trip), as an EWMA."""
        s = self.state
        rtt = s.clock.now() - sent
        one_way = arrived - sent if arrived is not None and 0 <= arrived - sent <= rtt else rtt / 2
        old = s.venue_latency_s.get(venue)
        s.venue_latency_s[venue] = one_way if old is None else 0.8 * old + 0.2 * one_way

    async def _unanswered(self, child: ChildOrder) -> None:
        """No answer to a submit in time: ask the venue what became of the order, never resend it."""
        s = self.state
        venue, cid = s.brokers[child.venue], child.client_order_id
        wait = s.settings.broker.submit_timeout_s
        s.log("warning", f"{cid}: no answer from {child.venue} within {wait:g} s; asking it")
        found = None
        with contextlib.suppress(BrokerError, TimeoutError):
            found = await asyncio.wait_for(venue.order_status(child), wait)
        if found is not None:  # it arrived: follow the venue's own account of it
            child.venue_order_id = found.venue_order_id
            transition(child, OrderStatus.SUBMITTED, "acknowledged late")
            for f in found.fills:
                self.apply_update(child, OrderUpdate(cid, found.status, f))
            if found.status in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
                self.apply_update(child, OrderUpdate(cid, found.status, None, found.reason))
        else:  # not there (or no answer again): make sure it never rests, then close it
            with contextlib.suppress(BrokerError, TimeoutError):
                await asyncio.wait_for(venue.cancel(child), wait)
            transition(
                child, OrderStatus.CANCELLED, f"no answer from {child.venue} within {wait:g} s"
            )
        for upd in s.early.pop(cid, []):  # pushed meanwhile: a fill is booked, never lost
            self.apply_update(child, upd)
        self.child_changed(child)
        await self._cancel_if_killed(child)

    async def cancel_child(self, child: ChildOrder, reason: str = "cancelled") -> None:
        s = self.state
        if not child.status.is_open:
            return
        try:
            await s.brokers[child.venue].cancel(child)
        except BrokerError as e:
            s.log("warning", f"cancel {child.client_order_id} on {child.venue}: {e.message}")
            try:  # the venue may have filled it meanwhile: believe its own account
                found = await s.brokers[child.venue].order_status(child)
                for f in found.fills:
                    self.apply_update(child, OrderUpdate(child.client_order_id, found.status, f))
            except BrokerError:
                return
            if found.filled_qty > child.filled_qty:  # executed, fills not seen yet: never re-sent
                self.hold(child, found.filled_qty)
                return
            if found.status.is_open:  # still working there: the cancel did not take
                return
        self.mark_cancelled(child, reason)

    def hold(self, child: ChildOrder, executed: Decimal) -> None:
        """The venue executed more than we have fills for: the child stays open (its quantity
        counts as working, so nothing is sent in its place) until the fills arrive."""
        s = self.state
        if child.meta.get("held") is None:
            s.log(
                "warning",
                f"{child.client_order_id}: {child.venue} executed {executed} of {child.quantity}, "
                f"fills seen {child.filled_qty}; held, not re-sent, until the venue reports them",
            )
        child.meta["held"] = str(executed)
        self.child_changed(child)

    def mark_cancelled(self, child: ChildOrder, reason: str) -> None:
        s = self.state
        if (
            child.client_order_id in s.children
            and child.status.is_open
            or child.status is OrderStatus.PENDING
        ):
            transition(child, OrderStatus.CANCELLED, reason)
            self.child_changed(child)

    def on_update(self, upd: OrderUpdate) -> None:
        s = self.state
        child = s.children.get(upd.client_order_id)
        if child is None:
            return
        if child.status is OrderStatus.PENDING:  # a fill pushed before the submit call returned
            s.early.setdefault(child.client_order_id, []).append(upd)
            return
        self.apply_update(child, upd)
        self.child_changed(child)

    def apply_update(self, child: ChildOrder, upd: OrderUpdate) -> None:
        s = self.state
        try:
            if upd.fill is not None:
                if child.status is OrderStatus.CANCELLED:
                    # reliability: a fill that raced the cancel still happened; count it once
                    if apply_late_fill(child, upd.fill):
                        self._book_fill(child, upd)
                elif apply_fill(child, upd.fill):
                    self._book_fill(child, upd)
            elif upd.status is OrderStatus.CANCELLED and child.status.is_open:
                transition(child, OrderStatus.CANCELLED, upd.reason)
            elif upd.status is OrderStatus.REJECTED and child.status is OrderStatus.SUBMITTED:
                transition(child, OrderStatus.REJECTED, upd.reason)
                child.refused = Refusal.VENUE
        except (IllegalTransition, Overfill) as e:
            s.log("error", f"venue update refused: {e}")

    def _book_fill(self, child: ChildOrder, upd: OrderUpdate) -> None:
        s = self.state
        fill = upd.fill
        assert fill is not None
        parent = s.parents[child.parent_id]
        parent.filled_qty += fill.quantity
        parent.notional_filled += fill.quantity * fill.price
        parent.fees += fill.fee
        s.positions[child.symbol] = (
            s.positions.get(child.symbol, Decimal(0)) + child.side.sign * fill.quantity
        )
        s.position_book.add(
            child.symbol, child.venue, child.side, fill.quantity, fill.price, fill.fee
        )
        for leg in s.legs.get(parent.parent_id, []):
            if leg.venue == child.venue:
                leg.filled += fill.quantity
                leg.notional += fill.quantity * fill.price
                break
        expected = Decimal(str(child.meta.get("expected_price") or child.limit_price or fill.price))
        m = s.quality.on_fill(
            fill,
            parent_id=parent.parent_id,
            algo=parent.algo,
            limit_price=expected,
            arrival_price=parent.arrival_mid,
            signal_ts=child.created_ts,
        )
        s.publish(
            FillRecorded(
                s.clock.now(),
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

    def child_changed(self, child: ChildOrder) -> None:
        s = self.state
        s.child_event(child.client_order_id).set()
        if s.store is not None and child.status is not OrderStatus.PENDING:
            s.store.update_child(child)
        meta = tuple((k, v) for k, v in child.meta.items() if isinstance(v, str | int | float))
        s.publish(
            ChildUpdated(
                s.clock.now(),
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
