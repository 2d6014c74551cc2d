"""A venue wrapper that fails on cue: reproduces a venue going down, or refusing orders, mid-execution."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from engine.brokers.base import Ack, Broker, Health, OrderState, VenueUnavailable
from engine.models import ChildOrder, Instrument, PortfolioSnapshot, Position, Quote


class FaultyBroker(Broker):
    """Delegates to `inner`; after `fail_after` submits every submit raises VenueUnavailable.

    `silent`: submits never answer; "lost" before the venue sees the order, "reply" after the
    venue placed it (the answer is what gets lost).
    """

    def __init__(
        self,
        inner: Broker,
        *,
        fail_after: int | None = None,
        journal_db: Path | None = None,
        silent: str | None = None,
    ) -> None:
        super().__init__(inner.name)
        self.inner = inner
        self.silent = silent
        self.capabilities = inner.capabilities
        self.fail_after = fail_after
        self.submits = 0
        self.sent: list[str] = []  # client order ids, in order
        self.journal_db = journal_db
        self.unjournaled: list[str] = []
        inner.on_update(self._emit)

    async def connect(self) -> None:
        await self.inner.connect()

    async def instrument(self, symbol: str) -> Instrument:
        return await self.inner.instrument(symbol)

    async def top_of_book(self, symbol: str) -> Quote:
        return await self.inner.top_of_book(symbol)

    async def submit(self, order: ChildOrder) -> Ack:
        if self.journal_db is not None:  # what a crash right now would leave on disk
            con = sqlite3.connect(self.journal_db)
            try:
                tables = [
                    r[0] for r in con.execute("select name from sqlite_master where type='table'")
                ]
                table = "child_orders" if "child_orders" in tables else "children"
                row = con.execute(
                    f"select 1 from {table} where client_order_id = ?", (order.client_order_id,)
                ).fetchone()
            finally:
                con.close()
            if row is None:
                self.unjournaled.append(order.client_order_id)
        self.submits += 1
        self.sent.append(order.client_order_id)
        if self.fail_after is not None and self.submits > self.fail_after:
            raise VenueUnavailable(self.name, "connection reset by peer")
        if self.silent == "reply":
            await self.inner.submit(order)
        if self.silent is not None:
            await asyncio.get_running_loop().create_future()  # no answer, ever
        return await self.inner.submit(order)

    async def cancel(self, order: ChildOrder) -> None:
        await self.inner.cancel(order)

    async def order_status(self, order: ChildOrder) -> OrderState:
        return await self.inner.order_status(order)

    async def open_orders(self) -> list[OrderState]:
        return await self.inner.open_orders()

    async def positions(self) -> dict[str, Position]:
        return await self.inner.positions()

    async def portfolio(self) -> PortfolioSnapshot:
        return await self.inner.portfolio()

    async def health(self) -> Health:
        return await self.inner.health()
