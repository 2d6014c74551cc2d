"""The adapter's own record of each IB order: turns ib-async events into engine OrderUpdates, once each.

A fill is pushed when its commission report arrives, so it carries the fee; a cancel or
reject that arrives while an execution still waits for its report is held back until the
report is in, so the engine never sees a fill after the order's end.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from decimal import Decimal

from ib_async import IB
from ib_async import Fill as IBFill
from ib_async import Trade as IBTrade

from engine.brokers.base import OrderState, OrderUpdate, UpdateHandler
from engine.brokers.ibkr.mapping import engine_fill, engine_status, to_decimal
from engine.models import ChildOrder, Fill, OrderStatus

ACKED = frozenset({"PendingSubmit", "ApiPending"})  # states that are not yet an answer from TWS


@dataclass
class Tracked:
    """One order this adapter placed (or adopted), keyed by the engine's client order id."""

    cid: str
    symbol: str
    quantity: Decimal
    order_id: int
    trade: IBTrade
    status: OrderStatus = OrderStatus.SUBMITTED
    reason: str = ""
    cancel_requested: bool = False
    error: tuple[int, str] = (0, "")
    fills: dict[str, Fill] = field(default_factory=dict)
    pending_execs: set[str] = field(default_factory=set)
    held: OrderUpdate | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def filled(self) -> Decimal:
        return sum((f.quantity for f in self.fills.values()), Decimal(0))

    async def acknowledged(self) -> None:
        while (
            self.trade.orderStatus.status in ACKED
            and not self.status.is_terminal
            and not self.fills
        ):
            self.changed.clear()
            await self.changed.wait()

    async def terminal(self) -> None:
        while not self.status.is_terminal:
            self.changed.clear()
            await self.changed.wait()

    def state(self) -> OrderState:
        fills = tuple(sorted(self.fills.values(), key=lambda f: f.ts))
        return OrderState(
            self.cid, str(self.order_id), self.status, self.filled, fills, self.reason, self.symbol
        )


class OrderBook:
    """Tracked orders by client order id, plus the events they produce."""

    def __init__(self, venue: str, emit: UpdateHandler) -> None:
        self.venue = venue
        self._emit = emit
        self._by_cid: dict[str, Tracked] = {}

    def track(self, child: ChildOrder, trade: IBTrade) -> Tracked:
        t = Tracked(
            child.client_order_id, child.symbol, child.quantity, int(trade.order.orderId), trade
        )
        self._by_cid[t.cid] = t
        return t

    def find(self, ib: IB, cid: str) -> Tracked | None:
        """The order with this client order id: tracked, or adopted from IB by its orderRef."""
        if cid in self._by_cid:
            return self._by_cid[cid]
        trade = next((t for t in ib.trades() if t.order.orderRef == cid), None)
        if trade is None:
            return None
        t = Tracked(
            cid,
            trade.contract.symbol,
            to_decimal(trade.order.totalQuantity),
            int(trade.order.orderId),
            trade,
        )
        self._by_cid[cid] = t
        for f in ib.fills():
            if f.execution.orderRef == cid:
                self._book(t, f, push=False)
        t.status, t.reason = self._status_of(t)
        return t

    def live(self) -> list[Tracked]:
        """Tracked orders IB has not yet called done."""
        return [t for t in self._by_cid.values() if not t.status.is_terminal]

    def fills_of(self, ib: IB, cid: str) -> list[Fill]:
        t = self._by_cid.get(cid)
        if t is not None:
            return list(t.fills.values())
        return [
            engine_fill(self.venue, cid, f.contract.symbol, f)
            for f in ib.fills()
            if f.execution.orderRef == cid
        ]

    # -- events -------------------------------------------------------------------------
    def on_exec(self, fill: IBFill) -> None:
        t = self._by_cid.get(fill.execution.orderRef)
        if t is not None and fill.execution.execId not in t.fills:
            t.pending_execs.add(fill.execution.execId)

    def on_commission(self, fill: IBFill) -> None:
        t = self._by_cid.get(fill.execution.orderRef)
        if t is not None:
            self._book(t, fill, push=True)

    def on_status(self, trade: IBTrade) -> None:
        t = self._by_cid.get(trade.order.orderRef)
        if t is None or trade.order.orderId not in (0, t.order_id):
            return
        t.trade = trade
        self._update_status(t)

    def on_error(self, req_id: int, code: int, message: str) -> None:
        for t in self._by_cid.values():
            if t.order_id == req_id:
                t.error = (code, message)
                if not t.reason and code not in (202,):
                    t.reason = f"IB {code}: {message}"
                t.changed.set()

    def resync(self, ib: IB) -> None:
        """After a (re)connect: adopt the new session's trades and push what changed meanwhile."""
        trades = {t.order.orderRef: t for t in ib.trades() if t.order.orderRef}
        fills = [f for f in ib.fills() if f.execution.orderRef in self._by_cid]
        for f in sorted(fills, key=lambda f: f.time):
            self._book(self._by_cid[f.execution.orderRef], f, push=True)
        for cid, t in self._by_cid.items():
            if cid in trades and not t.status.is_terminal:
                t.trade = trades[cid]
                self._update_status(t)

    # -- internals ----------------------------------------------------------------------
    def _book(self, t: Tracked, f: IBFill, *, push: bool) -> None:
        ex_id = f.execution.execId
        if ex_id in t.fills:
            return
        fill = engine_fill(self.venue, t.cid, t.symbol, f)
        t.fills[ex_id] = fill
        t.pending_execs.discard(ex_id)
        by_qty = OrderStatus.FILLED if t.filled >= t.quantity else OrderStatus.PARTIALLY_FILLED
        if not t.status.is_terminal:
            t.status = by_qty
        if push:
            self._emit(OrderUpdate(t.cid, by_qty, fill))
        if t.held is not None and not t.pending_execs:
            held, t.held = t.held, None
            if by_qty is not OrderStatus.FILLED:  # a cancel that raced the last fill loses to it
                t.status = held.status
                if push:
                    self._emit(held)
        t.changed.set()

    def _status_of(self, t: Tracked) -> tuple[OrderStatus, str]:
        status, reason = engine_status(t.trade, cancel_requested=t.cancel_requested, error=t.error)
        if status is OrderStatus.FILLED and t.filled < t.quantity:
            status = (
                OrderStatus.PARTIALLY_FILLED if t.fills else OrderStatus.SUBMITTED
            )  # the fills are still on their way
        return status, reason

    def _update_status(self, t: Tracked) -> None:
        if t.status.is_terminal:
            t.changed.set()
            return
        status, reason = self._status_of(t)
        if status in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
            update = OrderUpdate(t.cid, status, reason=reason)
            t.reason = reason
            if t.pending_execs:
                t.held = update  # pushed once the outstanding fills are in
            else:
                t.status = status
                self._emit(update)
        elif status is not OrderStatus.FILLED:
            t.status = status
        t.changed.set()
