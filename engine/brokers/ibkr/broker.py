"""Interactive Brokers over ib-async: orders, fills, positions and account through TWS / IB Gateway.

Client ids are `broker.ibkr_client_id` +0 (orders, account), +1 (contracts, quotes) and +2
(reserved for a streaming feed); all three are claimed for the process so no second adapter
reuses them. A dropped connection is re-opened with exponential backoff; fills made meanwhile
arrive with the start-up synchronisation and are pushed then (see ibkr_link, ibkr_orders).
Quotes stream through reqMktData subscriptions (see ibkr_market_data); order status and
executions arrive as ib-async events on the broker connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import replace
from decimal import Decimal

from ib_async import IB, Contract, ContractDetails
from ib_async import Fill as IBFill
from ib_async import Trade as IBTrade

from engine.brokers.base import (
    Ack,
    Broker,
    Capabilities,
    Health,
    OrderNotFound,
    OrderState,
    OrderUpdate,
    UnknownSymbol,
    VenueUnavailable,
)
from engine.brokers.ibkr.link import IBLink, Sleep, StateHandler
from engine.brokers.ibkr.mapping import engine_status, ib_order, stock_contract, to_decimal
from engine.brokers.ibkr.market_data import MarketData
from engine.brokers.ibkr.orders import OrderBook
from engine.brokers.ibkr.session import ClientIds
from engine.brokers.ibkr.trade_tape import TradeTape
from engine.clock import Clock, LiveClock
from engine.config import BrokerConfig
from engine.models import (
    ChildOrder,
    Instrument,
    OrderStatus,
    PortfolioSnapshot,
    Position,
    Quote,
    Side,
)

UPSTREAM_LOST, UPSTREAM_BACK = 1100, (1101, 1102)  # TWS lost / regained its own link to IB
POST_ONLY_QUOTE_AGE_S = 5.0  # a post-only check against an older quote would be a guess


class IBKRBroker(Broker):
    """One IB account through TWS or IB Gateway; `sleep` paces reconnect attempts (tests inject it).

    `clock` stamps quotes and snapshots (a live wall clock by default).
    """

    capabilities = Capabilities(
        native_cancel_all=True,
        fractional_quantities=False,
        market_data_streaming=True,
        post_only=False,
        ioc=True,
        native_iceberg=True,  # Order.displaySize
        native_oco=True,  # an OCA group (ocaGroup, ocaType 1) of a stop-limit and a limit
    )

    def __init__(
        self,
        config: BrokerConfig,
        *,
        name: str = "IBKR",
        clock: Clock | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        super().__init__(name)
        self.config = config
        # reqGlobalCancel touches orders placed outside Tranche: native only if the trader opted in
        self.capabilities = replace(self.capabilities, native_cancel_all=config.ibkr_global_cancel)
        self.clock: Clock = clock or LiveClock()
        self.orders = OrderBook(name, self._emit_fill_aware)
        self.link = IBLink(
            name,
            config,
            sleep or self.clock.sleep,
            self._wire,
            (config.ibkr_backoff_initial_s, config.ibkr_backoff_max_s),
            on_data_open=self._wire_data,
        )
        self.market = MarketData(name, self.link, self.clock, self._emit_quote, self._emit_feed)
        self.tape = TradeTape(self.link)
        self._contracts: dict[str, tuple[Contract, ContractDetails]] = {}
        self._quotes: dict[str, Quote] = {}  # the last quote per symbol: post-only checks

    @property
    def ids(self) -> ClientIds:
        return self.link.ids

    @property
    def account(self) -> str:
        return self.link.account

    @property
    def connected(self) -> bool:
        return self.link.connected

    def on_state(self, handler: StateHandler) -> None:
        """Be told (connected, detail) whenever the link to IB goes down or comes back."""
        self.link.on_state(handler)

    async def connect(self) -> None:
        """Raises VenueUnavailable naming host:port and the reason if IB is not there within the timeout."""
        await self.link.open()

    def _emit_fill_aware(self, update: OrderUpdate) -> None:
        if update.fill is not None:  # our print is on the tape too: not others' volume
            self.tape.own_fill(update.fill.symbol, update.fill.quantity, update.fill.ts)
        self._emit(update)

    async def traded_volume(self, symbol: str) -> Decimal | None:
        """Others' volume from tick-by-tick AllLast since the first ask (ibkr/trade_tape.py)."""
        contract, _ = await self._contract(symbol)
        return self.tape.others(symbol, contract, self.clock.now())

    async def close(self) -> None:
        self.tape.close()
        self.market.close()  # cancelMktData while the data connection is still open
        await self.link.close()

    def feeds(self) -> dict[str, str]:
        """Book from reqMktData subscriptions; order status and executions are ib-async events."""
        orders = (
            "stream"
            if self.link.is_up("broker")
            else f"poll (order connection down: {self.link.detail}; resynced on reconnect)"
        )
        return {"book": self.market.describe(), "orders": orders, "my_trades": orders}

    # -- ib-async events ----------------------------------------------------------------
    def _wire(self, ib: IB) -> None:
        """A fresh broker connection: listen to it, then push what changed while we were away."""
        ib.orderStatusEvent += self._on_status
        ib.execDetailsEvent += self._on_exec
        ib.commissionReportEvent += self._on_commission
        ib.errorEvent += self._on_error
        self.orders.resync(ib)

    def _wire_data(self, ib: IB) -> None:
        """A fresh data connection: the market data and the trade tape stream (again) on it."""
        self.market.wire(ib)
        self.tape.rewire(ib)

    def _on_status(self, trade: IBTrade) -> None:
        self.orders.on_status(trade)

    def _on_exec(self, trade: IBTrade, fill: IBFill) -> None:
        self.orders.on_exec(fill)

    def _on_commission(self, trade: IBTrade, fill: IBFill, report: object) -> None:
        self.orders.on_commission(fill)

    def _on_error(self, req_id: int, code: int, message: str, contract: object) -> None:
        if code == UPSTREAM_LOST:
            self.link.upstream_ok = False
            self.link.set_state(False, f"{self.link.where}: IB error 1100: {message}")
        elif code in UPSTREAM_BACK:
            self.link.upstream_ok = True
            self.link.set_state(True, f"{self.link.where}: IB {code}: {message}")
        else:
            self.orders.on_error(req_id, code, message)

    # -- reference data and quotes ------------------------------------------------------
    async def _contract(self, symbol: str) -> tuple[Contract, ContractDetails]:
        if symbol in self._contracts:
            return self._contracts[symbol]
        wanted = stock_contract(self.name, symbol)
        details = await self.link.timed(
            f"contract {symbol}", self.link.data().reqContractDetailsAsync(wanted)
        )
        found = details if isinstance(details, list) else []
        stocks = [d for d in found if d.contract is not None and d.contract.secType == "STK"]
        if not stocks:
            raise UnknownSymbol(self.name, f"IB has no US stock {symbol!r} (SMART, USD)")
        d = stocks[0]
        assert d.contract is not None
        d.contract.exchange = "SMART"  # route smart even if IB names the primary listing
        self._contracts[symbol] = (d.contract, d)
        return self._contracts[symbol]

    async def symbols(self) -> list[str]:
        return sorted(self._contracts)

    async def instrument(self, symbol: str) -> Instrument:
        _, d = await self._contract(symbol)
        step = (
            to_decimal(d.sizeIncrement) if d.sizeIncrement and d.sizeIncrement > 0 else Decimal(1)
        )
        min_qty = to_decimal(d.minSize) if d.minSize and d.minSize > 0 else step
        return Instrument(
            symbol, tick=to_decimal(d.minTick) or Decimal("0.01"), step=step, min_qty=min_qty
        )

    async def top_of_book(self, symbol: str) -> Quote:
        """From the symbol's live subscription; the first ask subscribes (see MarketData)."""
        contract, _ = await self._contract(symbol)
        q = await self.market.quote(symbol, contract)
        self._quotes[symbol] = q
        return q

    # -- orders -------------------------------------------------------------------------
    async def submit(self, order: ChildOrder) -> Ack:
        ib = self.link.broker()
        known = self.orders.find(ib, order.client_order_id)  # a retry, or placed before a restart
        if known is not None:
            return Ack(str(known.order_id), known.status, known.reason)
        contract, _ = await self._contract(order.symbol)
        crossing = self._would_cross(order)
        if crossing:
            return Ack("", OrderStatus.REJECTED, crossing)
        trade = ib.placeOrder(contract, ib_order(self.name, order, self.account))
        tracked = self.orders.track(order, trade)
        try:
            await asyncio.wait_for(tracked.acknowledged(), self.config.ibkr_timeout_s)
        except TimeoutError:  # placed, not yet confirmed: later updates still arrive
            return Ack(
                str(tracked.order_id),
                tracked.status,
                f"no acknowledgement from {self.link.where} yet",
            )
        return Ack(str(tracked.order_id), tracked.status, tracked.reason)

    async def submit_oco(self, legs: tuple[ChildOrder, ...]) -> list[Ack]:
        """Each leg placed with the same ocaGroup: IB cancels the others when one fills."""
        return [await self.submit(leg) for leg in legs]

    def _would_cross(self, order: ChildOrder) -> str:
        """IB has no post-only flag for stocks: refuse a post-only limit that the last quote says would take."""
        live = self.market.live(order.symbol)  # a streamed quote is current however old
        q = live or self._quotes.get(order.symbol)
        if not order.post_only or order.limit_price is None or q is None:
            return ""
        if live is None and self.clock.now() - q.ts > POST_ONLY_QUOTE_AGE_S:
            return ""
        far = q.far(order.side)
        takes = order.limit_price >= far if order.side is Side.BUY else order.limit_price <= far
        return (
            f"post-only limit {order.limit_price} would cross the {'ask' if order.side is Side.BUY else 'bid'} {far}"
            if takes
            else ""
        )

    async def cancel(self, order: ChildOrder) -> None:
        """Ask IB to cancel and wait for its answer, so a fill that raced the cancel is seen first."""
        ib = self.link.broker()
        tracked = self.orders.find(ib, order.client_order_id)
        if tracked is None:
            raise OrderNotFound(self.name, f"no order {order.client_order_id} at {self.link.where}")
        if tracked.status.is_terminal:
            return
        tracked.cancel_requested = True
        ib.cancelOrder(tracked.trade.order)
        try:
            await asyncio.wait_for(tracked.terminal(), self.config.ibkr_timeout_s)
        except TimeoutError:
            limit = self.config.ibkr_timeout_s
            raise VenueUnavailable(
                self.name,
                f"cancel of {order.client_order_id} not confirmed by {self.link.where} within {limit:g}s",
            ) from None

    async def cancel_all(self) -> list[str] | None:
        """With `ibkr_global_cancel` only: one reqGlobalCancel, and TWS cancels every open order
        of the account at once, also ones placed from TWS or another program (so the trader must
        opt in); the orders we track are awaited until IB confirms them, whatever it does not
        confirm in time goes order by order. Without it: None, Tranche's orders one by one."""
        if not self.config.ibkr_global_cancel:
            return None
        ib = self.link.broker()
        live = self.orders.live()
        for t in live:
            t.cancel_requested = True
        ib.reqGlobalCancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*(t.terminal() for t in live)), self.config.ibkr_timeout_s
            )
        return [t.cid for t in live if t.status is OrderStatus.CANCELLED]

    async def order_status(self, order: ChildOrder) -> OrderState:
        tracked = self.orders.find(self.link.broker(), order.client_order_id)
        if tracked is None:
            raise OrderNotFound(self.name, f"no order {order.client_order_id} at {self.link.where}")
        return tracked.state()

    async def open_orders(self) -> list[OrderState]:
        ib = self.link.broker()
        out = []
        for trade in ib.openTrades():
            status, reason = engine_status(trade, cancel_requested=False)
            fills = self.orders.fills_of(ib, trade.order.orderRef)
            filled = sum((f.quantity for f in fills), Decimal(0))
            out.append(
                OrderState(
                    trade.order.orderRef,
                    str(trade.order.orderId),
                    status,
                    filled,
                    tuple(fills),
                    reason,
                    trade.contract.symbol,
                )
            )
        return out

    # -- account ------------------------------------------------------------------------
    async def positions(self) -> dict[str, Position]:
        out: dict[str, Position] = {}
        for p in self.link.broker().positions(self.account):
            if p.position:
                c = p.contract
                symbol = c.symbol if c.secType == "STK" else (c.localSymbol or c.symbol)
                out[symbol] = Position(symbol, to_decimal(p.position), to_decimal(p.avgCost))
        return out

    async def portfolio(self) -> PortfolioSnapshot:
        """The account summary (in the account's base currency) plus positions."""
        ib = self.link.broker()
        values = await self.link.timed("account summary", ib.accountSummaryAsync(self.account))
        by_tag = {v.tag: v.value for v in values} if isinstance(values, list) else {}
        cash = Decimal(by_tag.get("TotalCashValue") or "0")
        equity = Decimal(by_tag.get("NetLiquidation") or "0")
        return PortfolioSnapshot(cash, await self.positions(), equity, self.clock.now())

    async def health(self) -> Health:
        """Connected, and the round trip of reqCurrentTime on the order connection."""
        if not self.connected:
            return Health(False, 0.0, len(self._contracts), self.link.detail)
        t0 = time.perf_counter()
        try:
            await self.link.timed("current time", self.link.broker().reqCurrentTimeAsync())
        except VenueUnavailable as e:
            return Health(False, 0.0, len(self._contracts), e.message)
        latency_ms = (time.perf_counter() - t0) * 1000
        detail = "" if self.link.upstream_ok else self.link.detail  # detail is the problem, if any
        return Health(self.link.upstream_ok, latency_ms, len(self._contracts), detail)
