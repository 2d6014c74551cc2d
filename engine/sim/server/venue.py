"""One simulated venue behind the REST server: Binance order ids, trade ids and payloads over a SimVenue.

The SimVenue does the matching; this desk remembers what a Binance account would: every order by
orderId and client id (a client id is never accepted twice), and every execution as a myTrades
row with an increasing trade id, recorded the moment the venue reports the fill.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine.brokers.base import (
    Broker,
    BrokerError,
    InsufficientFunds,
    OrderUpdate,
    UnknownSymbol,
)
from engine.clock import Clock
from engine.models import ChildOrder, OrderStatus, OrderType, Side, TimeInForce
from engine.sim.server.api import ApiError, OrderRequest, fmt, split_symbol

COMMISSION = "USDT"


@dataclass(slots=True)
class RestOrder:
    """An order as the venue's REST API shows it."""

    order_id: int
    req: OrderRequest
    client_order_id: str
    child: ChildOrder
    time_ms: int
    status: str = "NEW"
    executed: Decimal = Decimal(0)
    quote_qty: Decimal = Decimal(0)
    update_ms: int = 0
    trades: list[dict[str, Any]] = field(default_factory=list)
    announced: bool = False  # its NEW report went out (fills during the create wait for it)
    queued: list[dict[str, Any]] = field(default_factory=list)  # trades before the NEW report
    said_end: str = ""  # the terminal status already reported on the user stream

    @property
    def is_open(self) -> bool:
        return self.status in ("NEW", "PARTIALLY_FILLED")

    def payload(self) -> dict[str, Any]:
        r = self.req
        return {
            "symbol": r.symbol,
            "orderId": self.order_id,
            "orderListId": -1,
            "clientOrderId": self.client_order_id,
            "price": fmt(r.price),
            "origQty": fmt(r.quantity),
            "executedQty": fmt(self.executed),
            "cummulativeQuoteQty": fmt(self.quote_qty),
            "status": self.status,
            "timeInForce": r.time_in_force or "GTC",
            "type": r.type,
            "side": r.side,
            "stopPrice": fmt(Decimal(0)),
            "icebergQty": fmt(Decimal(0)),
            "time": self.time_ms,
            "updateTime": self.update_ms or self.time_ms,
            "isWorking": True,
            "workingTime": self.time_ms,
            "origQuoteOrderQty": fmt(Decimal(0)),
            "selfTradePreventionMode": "NONE",
        }


# (order, execution type NEW|TRADE|CANCELED|EXPIRED, the trade with cumulative figures or None)
Report = Callable[[RestOrder, str, dict[str, Any] | None], None]


def wall_ms() -> int:
    return int(time.time() * 1000)


class VenueDesk:
    """Orders and trades of one simulated venue, in Binance's terms."""

    def __init__(self, name: str, venue: Broker, clock: Clock, speed: float) -> None:
        self.name = name
        self.venue = venue
        self.clock = clock
        self.speed = speed
        self._wall0 = time.time()
        self._sim0 = clock.now()
        self.orders: dict[int, RestOrder] = {}
        self.by_client_id: dict[str, RestOrder] = {}  # the newest order with that client id
        self._by_inner: dict[str, RestOrder] = {}
        self._used_client_ids: set[str] = set()
        self._order_ids = itertools.count(10_000_001)
        self._trade_ids = itertools.count(50_000_001)
        self.duplicate_client_ids = 0  # creates refused: an open order already has the client id
        self.reused_client_ids = 0  # orders placed with the client id of an earlier, closed one
        self.trade_split_qty: Decimal | None = None  # POST /_sim/fault {"trade_split_qty": "..."}
        self.listeners: list[Report] = []  # the user-data stream: every change of every order
        venue.on_update(self._on_update)

    def next_trade_id(self) -> int:
        """The venue's one trade id sequence: our executions and others' public prints share it."""
        return next(self._trade_ids)

    def to_wall_ms(self, sim_ts: float) -> int:
        """A simulated-clock time as the wall-clock milliseconds a client compares with its own."""
        return int((self._wall0 + (sim_ts - self._sim0) / self.speed) * 1000)

    # -- orders ---------------------------------------------------------------------------------
    async def create(self, req: OrderRequest) -> RestOrder:
        inst = await self._instrument(req.symbol)
        if req.quantity < inst.min_qty or req.quantity % inst.step != 0:
            raise ApiError(-1013, "Filter failure: LOT_SIZE")
        if req.price is not None and req.price % inst.tick != 0:
            raise ApiError(-1013, "Filter failure: PRICE_FILTER")
        cid = req.client_order_id or f"web_{next(self._order_ids):x}{int(time.time() * 1e6):x}"
        earlier = self.by_client_id.get(cid)
        if earlier is not None and earlier.order_id in self.orders and earlier.is_open:
            self.duplicate_client_ids += 1  # Binance: a client id is unique among open orders
            raise ApiError(-2010, "Duplicate order sent.")
        if cid in self._used_client_ids:
            self.reused_client_ids += 1  # accepted, as Binance does: a re-send is a second order
        self._used_client_ids.add(cid)
        inner = f"{cid}#{next(self._order_ids)}"  # the book's own id: unique even when cid is not
        child = ChildOrder(
            inner,
            "",
            self.name,
            req.symbol,
            Side.BUY if req.side == "BUY" else Side.SELL,
            req.quantity,
            OrderType.MARKET if req.price is None else OrderType.LIMIT,
            req.price,
            TimeInForce.IOC if req.time_in_force in ("IOC", "FOK") else TimeInForce.GTC,
            req.type == "LIMIT_MAKER",
        )
        order = RestOrder(next(self._order_ids), req, cid, child, wall_ms())
        self.by_client_id[cid] = order
        self._by_inner[inner] = order  # before submit: taker fills are reported during it
        try:
            ack = await self.venue.submit(child)
        except InsufficientFunds:
            self._forget(cid, earlier)
            raise ApiError(
                -2010, "Account has insufficient balance for requested action."
            ) from None
        except UnknownSymbol:
            self._forget(cid, earlier)
            raise ApiError(-1121, "Invalid symbol.") from None
        except BrokerError as e:
            self._forget(cid, earlier)
            raise ApiError(-2010, e.message) from None
        if ack.status is OrderStatus.REJECTED:
            self._forget(cid, earlier)
            raise ApiError(-2010, "Order would immediately match and take.")
        self.orders[order.order_id] = order
        self._settle(order, ack.status, ack.reason)
        self._announce(order)
        return order

    def _announce(self, order: RestOrder) -> None:
        """NEW, then the trades that happened while the create ran, then how it ended."""
        order.announced = True
        self._tell(order, "NEW", None)
        for t in order.queued:
            self._tell(order, "TRADE", t)
        order.queued.clear()
        self._tell_end(order)

    def _tell(self, order: RestOrder, kind: str, trade: dict[str, Any] | None) -> None:
        for report in list(self.listeners):
            report(order, kind, trade)

    def _tell_end(self, order: RestOrder) -> None:
        if order.announced and order.status in ("CANCELED", "EXPIRED") and not order.said_end:
            order.said_end = order.status
            self._tell(order, order.status, None)

    def _forget(self, cid: str, earlier: RestOrder | None) -> None:
        """A refused create: the client id points again at the order that had it before."""
        if earlier is not None:
            self.by_client_id[cid] = earlier
        else:
            self.by_client_id.pop(cid, None)

    def find(self, order_id: int | None, client_id: str | None, symbol: str) -> RestOrder | None:
        order = self.orders.get(order_id) if order_id is not None else None
        if order is None and client_id is not None:
            order = self.by_client_id.get(client_id)
            if order is not None and order.order_id not in self.orders:
                order = None  # refused at creation: Binance never knew it
        if order is None or order.req.symbol != symbol:
            return None
        return order

    async def refresh(self, order: RestOrder) -> RestOrder:
        """Bring the order up to the venue's present (the market moves between requests)."""
        if order.is_open:
            state = await self.venue.order_status(order.child)
            self._settle(order, state.status, state.reason)
        return order

    async def cancel(self, order: RestOrder) -> RestOrder:
        await self.refresh(order)
        if not order.is_open:
            raise ApiError(-2011, "Unknown order sent.")
        await self.venue.cancel(order.child)
        await self.refresh(order)
        if order.is_open or order.status == "FILLED":
            raise ApiError(-2011, "Unknown order sent.")  # filled while the cancel travelled
        return order

    async def open_orders(self, symbol: str | None) -> list[RestOrder]:
        out = []
        for o in list(self.orders.values()):
            if o.is_open and (symbol is None or o.req.symbol == symbol):
                await self.refresh(o)
                if o.is_open:
                    out.append(o)
        return out

    def trades(self, symbol: str) -> list[dict[str, Any]]:
        rows = [t for o in self.orders.values() if o.req.symbol == symbol for t in o.trades]
        return sorted(rows, key=lambda t: int(t["id"]))

    # -- venue reports ---------------------------------------------------------------------------
    def _settle(self, order: RestOrder, status: OrderStatus, reason: str) -> None:
        if status is OrderStatus.FILLED:
            order.status = "FILLED"
        elif status is OrderStatus.CANCELLED:
            order.status = "CANCELED" if reason == "cancelled" else "EXPIRED"
        elif status is OrderStatus.REJECTED:
            order.status = "REJECTED"
        elif order.executed > 0:
            order.status = "PARTIALLY_FILLED"
        order.update_ms = wall_ms()

    def _on_update(self, upd: OrderUpdate) -> None:
        order = self._by_inner.get(upd.client_order_id)
        if order is None:
            return
        f = upd.fill
        if f is not None:
            order.executed += f.quantity
            order.quote_qty += f.quantity * f.price
            cum = order.executed - f.quantity
            cum_quote = order.quote_qty - f.quantity * f.price
            for qty, fee in self._pieces(f.quantity, f.fee):
                cum += qty
                cum_quote += qty * f.price
                row = {
                    "symbol": order.req.symbol,
                    "id": self.next_trade_id(),
                    "orderId": order.order_id,
                    "orderListId": -1,
                    "price": fmt(f.price),
                    "qty": fmt(qty),
                    "quoteQty": fmt(qty * f.price),
                    "commission": fmt(fee),
                    "commissionAsset": COMMISSION,
                    "time": self.to_wall_ms(f.ts),
                    "isBuyer": order.req.side == "BUY",
                    "isMaker": f.liquidity == "maker",
                    "isBestMatch": True,
                }
                order.trades.append(row)
                done = "FILLED" if cum >= order.req.quantity else "PARTIALLY_FILLED"
                told = dict(row, cum_qty=str(cum), cum_quote=str(cum_quote), status=done)
                if order.announced:
                    self._tell(order, "TRADE", told)
                else:
                    order.queued.append(told)
        self._settle(order, upd.status, upd.reason)
        self._tell_end(order)

    def _pieces(self, qty: Decimal, fee: Decimal) -> list[tuple[Decimal, Decimal]]:
        """One execution as the trades of many small resting orders (`trade_split_qty` each):
        a busy book, where one child's fills run past a page of trade history."""
        size = self.trade_split_qty
        if size is None or qty <= size:
            return [(qty, fee)]
        n = int(qty // size)
        rest = qty - n * size
        parts = [size] * n + ([rest] if rest else [])
        fees = [(fee * p / qty).quantize(Decimal("1e-12")) for p in parts]
        fees[-1] += fee - sum(fees)  # the pieces' fees add up to the execution's exactly
        return list(zip(parts, fees, strict=True))

    # -- market and account ----------------------------------------------------------------------
    async def _instrument(self, symbol: str) -> Any:
        try:
            return await self.venue.instrument(symbol)
        except UnknownSymbol:
            raise ApiError(-1121, "Invalid symbol.") from None

    async def balances(self) -> list[dict[str, str]]:
        snap = await self.venue.portfolio()
        rows = {COMMISSION: snap.cash}
        for sym, pos in snap.positions.items():
            base, _ = split_symbol(sym)
            rows[base] = rows.get(base, Decimal(0)) + pos.quantity
        return [{"asset": a, "free": fmt(q), "locked": fmt(Decimal(0))} for a, q in rows.items()]

    def snapshot(self) -> dict[str, Any]:
        """Everything the venue did, for fault-injection checks (GET /_sim/state)."""
        return {
            "orders": [dict(o.payload(), trades=list(o.trades)) for o in self.orders.values()],
            "duplicate_client_ids": self.duplicate_client_ids,
            "reused_client_ids": self.reused_client_ids,
        }
