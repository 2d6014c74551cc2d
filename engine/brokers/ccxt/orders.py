"""Orders on a ccxt venue: create with a stable client id (a retry never doubles it), find, cancel, status."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import ccxt.async_support as ccxt

from engine.brokers.base import (
    Ack,
    BrokerError,
    Capabilities,
    FillsUnseen,
    OrderNotFound,
    OrderRejected,
    OrderState,
    VenueUnavailable,
)
from engine.brokers.ccxt.batch_cancel import cancel_in_batches
from engine.brokers.ccxt.fills import FillPoller
from engine.brokers.ccxt.native import (
    iceberg_params,
    oco_request,
    report_of,
    split_legs,
    stop_params,
)
from engine.brokers.ccxt.parse import CLIENT_ID_PARAM, dec, state_from_order, venue_client_id
from engine.config import VenueConfig
from engine.models import ChildOrder, Instrument, OrderType, TimeInForce, round_price

T = TypeVar("T")


class CcxtOrders:
    """The order half of CcxtBroker (engine/brokers/ccxt_broker.py), which provides what is declared here."""

    name: str
    venue: VenueConfig
    exchange: Any
    fills: FillPoller
    max_retries: int
    backoff_s: float
    _sleep: Callable[[float], Awaitable[None]]
    _instruments: dict[str, Instrument]
    _symbols: dict[str, str]
    capabilities: Capabilities

    if TYPE_CHECKING:

        async def call(
            self,
            during: str,
            fn: Callable[..., Awaitable[T]],
            *args: Any,
            retry_network: bool = True,
            **kwargs: Any,
        ) -> T: ...

        def error(self, exc: BaseException, during: str) -> BrokerError: ...

        def ccxt_symbol(self, symbol: str) -> str: ...

    def client_id(self, order: ChildOrder) -> str:
        return venue_client_id(self.venue.exchange, order.client_order_id)

    def _order_params(self, order: ChildOrder) -> dict[str, Any]:
        params: dict[str, Any] = {
            CLIENT_ID_PARAM.get(self.venue.exchange, "clientOrderId"): self.client_id(order)
        }
        if order.post_only and order.order_type is OrderType.LIMIT:
            params["postOnly"] = True
        if order.tif is TimeInForce.IOC:
            params["timeInForce"] = "IOC"
        symbol = self.ccxt_symbol(order.symbol)
        if self.capabilities.native_iceberg:
            params.update(iceberg_params(self.exchange, symbol, order))
        if self.capabilities.native_oco:
            params.update(stop_params(order))
        return params

    async def submit(self, order: ChildOrder) -> Ack:
        """Create the order; a network failure is retried with the same client id after checking the venue."""
        symbol = self.ccxt_symbol(order.symbol)
        during = f"submit {order.client_order_id}"
        kind = (
            "market"
            if order.order_type is OrderType.MARKET or order.limit_price is None
            else "limit"
        )
        try:
            amount = self.exchange.amount_to_precision(symbol, str(order.quantity))
            price = None
            if kind == "limit" and order.limit_price is not None:
                # ccxt rounds to nearest; never let rounding make the order more aggressive than asked
                passive = round_price(
                    order.limit_price, self._instruments[order.symbol].tick, order.side
                )
                price = self.exchange.price_to_precision(symbol, str(passive))
        except ccxt.BaseError as e:
            raise self.error(e, during) from None
        params = self._order_params(order)
        self.fills.track(order, symbol)
        attempt = 0
        while True:
            try:
                created = await self.call(
                    during,
                    self.exchange.create_order,
                    symbol,
                    kind,
                    order.side.value,
                    amount,
                    price,
                    dict(params),
                    retry_network=False,
                )
                break
            except VenueUnavailable:
                if attempt >= self.max_retries:
                    self.fills.untrack(order.client_order_id)
                    raise
                attempt += 1
                await self._sleep(self.backoff_s * 2 ** (attempt - 1))
                # The request may have reached the venue before the connection dropped.
                found = await self._find_quietly(order, symbol)
                if found is not None:
                    created = found
                    break
                if order.cancel_requested:  # killed meanwhile: never place it now
                    self.fills.untrack(order.client_order_id)
                    raise OrderRejected(
                        self.name, f"{during}: not sent again: cancelled while the venue was silent"
                    ) from None
            except BrokerError:
                self.fills.untrack(order.client_order_id)
                raise
        state = state_from_order(
            created, client_order_id=order.client_order_id, symbol=order.symbol
        )
        self.fills.set_venue_id(order.client_order_id, state.venue_order_id)
        stamp = created.get("timestamp")  # the exchange's own time of the order, ms
        return Ack(state.venue_order_id, state.status, arrived_ts=stamp / 1000 if stamp else None)

    async def submit_oco(self, legs: tuple[ChildOrder, ...]) -> list[Ack]:
        """A stop-loss and a take-profit as one exchange order list (one fill cancels the other);
        a lone stop-loss as one stop-limit order. Not retried blind: the journal holds both ids."""
        stop, take = split_legs(legs)
        if take is None:
            return [await self.submit(stop)]
        symbol = self.ccxt_symbol(stop.symbol)
        during = f"submit oco {stop.client_order_id} / {take.client_order_id}"
        try:
            market = self.exchange.market(symbol)
            req = oco_request(self.exchange, symbol, market["id"], stop, take, self.client_id)
        except ccxt.BaseError as e:
            raise self.error(e, during) from None
        for c in (stop, take):
            self.fills.track(c, symbol)
        try:
            raw = await self.call(
                during, self.exchange.private_post_orderlist_oco, req, retry_network=False
            )
        except BrokerError:
            for c in (stop, take):
                self.fills.untrack(c.client_order_id)
            raise
        acks = []
        for c in (stop, take):
            report = report_of(list(raw.get("orderReports") or []), self.client_id(c))
            parsed = self.exchange.parse_order(report, market) if report else {}
            state = state_from_order(parsed, client_order_id=c.client_order_id, symbol=c.symbol)
            self.fills.set_venue_id(c.client_order_id, state.venue_order_id)
            stamp = raw.get("transactionTime")
            acks.append(
                Ack(state.venue_order_id, state.status, arrived_ts=stamp / 1000 if stamp else None)
            )
        return acks

    async def _find_quietly(self, order: ChildOrder, symbol: str) -> dict[str, Any] | None:
        try:
            return await self.find_by_client_id(order, symbol)
        except BrokerError:
            return None

    async def find_by_client_id(self, order: ChildOrder, symbol: str) -> dict[str, Any] | None:
        """The venue's record of our order, looked up by client id, or None if it never arrived."""
        cid = self.client_id(order)
        ex = self.venue.exchange
        try:
            if ex == "binance":
                return dict(
                    await self.exchange.fetch_order(None, symbol, {"origClientOrderId": cid})
                )
            query = {"clientOrderId": cid}
            for fetch in (self.exchange.fetch_open_orders, self.exchange.fetch_closed_orders):
                for o in await fetch(symbol, None, None, dict(query)):
                    if o.get("clientOrderId") == cid:
                        return dict(o)
            return None
        except ccxt.OrderNotFound:
            return None
        except ccxt.BaseError as e:
            raise self.error(e, f"find {order.client_order_id}") from None

    async def _venue_order(self, order: ChildOrder, during: str) -> tuple[str, dict[str, Any]]:
        symbol = self.ccxt_symbol(order.symbol)
        vid = order.venue_order_id or self.fills.venue_id(order.client_order_id)
        if vid:
            return symbol, dict(await self.call(during, self.exchange.fetch_order, vid, symbol))
        found = await self.find_by_client_id(order, symbol)
        if found is None:
            raise OrderNotFound(
                self.name,
                f"{during}: the venue has no order with client id {order.client_order_id}",
            )
        return symbol, found

    async def cancel(self, order: ChildOrder) -> None:
        symbol = self.ccxt_symbol(order.symbol)
        during = f"cancel {order.client_order_id}"
        vid = order.venue_order_id or self.fills.venue_id(order.client_order_id)
        if not vid:
            _, found = await self._venue_order(order, during)
            vid = str(found["id"])
        raw = await self.call(during, self.exchange.cancel_order, vid, symbol)
        executed = dec((raw or {}).get("filled"))
        if executed > order.filled_qty:  # it traded before the cancel took: fills not yet seen
            raise FillsUnseen(
                self.name,
                f"{during}: venue executed {executed} of {order.quantity}, we have seen {order.filled_qty}",
                executed,
            )

    async def order_status(self, order: ChildOrder) -> OrderState:
        """The venue's view of the order, with every fill it reports for it."""
        during = f"status {order.client_order_id}"
        symbol, raw = await self._venue_order(order, during)
        fills = await self.fills.fills_of(
            order.client_order_id, order.symbol, symbol, str(raw["id"]), raw.get("timestamp")
        )
        return state_from_order(
            raw, client_order_id=order.client_order_id, symbol=order.symbol, fills=fills
        )

    async def cancel_all(self) -> list[str] | None:
        """The exchange's cancel-all-open-orders request, per configured symbol, where it has one."""
        if not self.exchange.has.get("cancelAllOrders"):
            return None
        symbols = sorted(set(self._symbols.values()))

        async def one(symbol: str) -> list[str]:
            try:
                raw = await self.call(
                    f"cancel all {symbol}", self.exchange.cancel_all_orders, symbol
                )
            except OrderNotFound:  # Binance answers -2011 when nothing of the symbol is open
                return []
            return [
                self.fills.engine_client_id(str(o.get("clientOrderId") or o.get("id")))
                for o in raw or []
                if isinstance(o, dict)
            ]

        done: list[str] = []
        for ids in await asyncio.gather(*(one(s) for s in symbols)):
            done += ids
        return done

    async def cancel_batch(self, orders: list[ChildOrder]) -> list[str] | None:
        """The exchange's batch-cancel endpoint (ccxt cancel_orders), where it has one."""
        return await cancel_in_batches(self, orders)

    async def open_orders(self) -> list[OrderState]:
        raw = await self.call("open orders", self.exchange.fetch_open_orders)
        out = []
        for o in raw:
            cid = self.fills.engine_client_id(str(o.get("clientOrderId") or o.get("id")))
            out.append(state_from_order(o, client_order_id=cid, symbol=str(o.get("symbol") or "")))
        return out
