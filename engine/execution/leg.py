"""One venue leg of a parent: the LegContext an algorithm runs against."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from engine.algos.base import FillHistory, LegState
from engine.brokers.base import Capabilities
from engine.events import ParentProgress
from engine.execution.desk import ChildDesk
from engine.execution.state import EngineState
from engine.models import (
    ChildOrder,
    Instrument,
    OrderType,
    ParentOrder,
    Quote,
    Side,
    TimeInForce,
    TradingState,
    round_down,
    round_price,
)


class LegRunner:
    """Binds an algorithm to one venue; sends go through the desk (risk gate, journal, broker)."""

    def __init__(
        self,
        state: EngineState,
        desk: ChildDesk,
        parent: ParentOrder,
        leg: LegState,
        instrument: Instrument,
    ) -> None:
        self._state = state
        self._desk = desk
        self.parent = parent
        self.leg = leg
        self.instrument = instrument
        self.settings = state.settings
        self.clock = state.clock
        self.guardrail = state.guardrail
        self.history: FillHistory | None = state.store
        self._children: list[ChildOrder] = []

    def log(self, level: str, message: str) -> None:
        self._state.log(level, message)

    @property
    def side(self) -> Side:
        return self.parent.ticket.side

    @property
    def stopped(self) -> bool:
        return self._state.is_stopped(self.parent.parent_id)

    async def quote(self) -> Quote:
        return await self._state.market.quote(self.leg.venue, self.parent.ticket.symbol)

    async def traded_volume(self) -> Decimal | None:
        return await self._state.brokers[self.leg.venue].traded_volume(self.parent.ticket.symbol)

    @property
    def capabilities(self) -> Capabilities:
        return self._state.brokers[self.leg.venue].capabilities

    async def adv(self) -> Decimal | None:
        return await self._state.brokers[self.leg.venue].adv(self.parent.ticket.symbol)

    async def send(
        self,
        quantity: Decimal,
        *,
        order_type: OrderType,
        limit_price: Decimal | None = None,
        tif: TimeInForce = TimeInForce.GTC,
        post_only: bool = False,
        meta: dict[str, Any] | None = None,
    ) -> ChildOrder:
        await self._while_paused()
        qty = min(round_down(quantity, self.instrument.step), self.leg.remaining - self._working())
        px = (
            round_price(limit_price, self.instrument.tick, self.side)
            if limit_price is not None
            else None
        )
        child = await self._desk.send_child(
            self.parent, self.leg, qty, order_type, px, tif, post_only, meta or {}
        )
        self._children.append(child)
        return child

    async def _while_paused(self) -> None:
        """PAUSED: hold here (no send, no cancel: resting orders stay) until resumed or stopped."""
        while self._state.risk.state is TradingState.PAUSED and not self.stopped:
            await self._until(1.0, self._state.unpaused)

    def _working(self) -> Decimal:
        """Quantity still live at the venue: never send more than the leg has left."""
        return sum((c.remaining for c in self._children if c.status.is_open), Decimal(0))

    async def cancel(self, child: ChildOrder) -> ChildOrder:
        await self._while_paused()  # a pause keeps resting orders where they are
        await self._desk.cancel_child(child)
        return child

    async def wait(self, child: ChildOrder, timeout_s: float) -> ChildOrder:
        """Until the child is terminal or `timeout_s` of engine time passes, whichever is first."""
        deadline = self.clock.now() + timeout_s
        while not child.status.is_terminal and not self.stopped:
            left = deadline - self.clock.now()
            if left <= 0:
                break
            ev = self._state.child_event(child.client_order_id)
            await self._until(left, ev)
            ev.clear()
        return child

    async def sleep(self, seconds: float) -> bool:
        """Sleep on the engine clock; a stop (kill switch) wakes the leg at once, not a slice later."""
        if seconds > 0 and not self.stopped:
            await self._until(seconds)
        return not self.stopped

    async def _until(self, seconds: float, event: asyncio.Event | None = None) -> None:
        """Wait `seconds` of engine time, or until `event` or the parent's stop signal is set."""
        waits: list[asyncio.Future[object]] = [
            asyncio.ensure_future(self._state.stopped.event(self.parent.parent_id).wait())
        ]
        if event is not None:
            waits.append(asyncio.ensure_future(event.wait()))
        waits.append(asyncio.ensure_future(self.clock.sleep(seconds)))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in waits:
                if not t.done():
                    t.cancel()

    def progress(
        self,
        *,
        next_slice_ts: float | None = None,
        decided_by: str = "",
        detail: str = "",
        live: bool = False,
    ) -> None:
        p = self.parent
        self._state.publish(
            ParentProgress(
                self.clock.now(),
                p.parent_id,
                self.leg.algo,
                p.filled_qty,
                p.ticket.quantity,
                p.avg_price,
                self._state.slippage_so_far(p),
                self.leg.slice_index,
                self.leg.slice_total,
                next_slice_ts,
                self.leg.venue,
                decided_by,
                detail,
                live,
            )
        )
