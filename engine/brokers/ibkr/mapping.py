"""Translations between ib-async objects and engine records: contracts, orders, statuses, fills."""

from __future__ import annotations

import re
from decimal import Decimal

from ib_async import Contract, LimitOrder, MarketOrder, Order, Stock, StopLimitOrder
from ib_async import Fill as IBFill
from ib_async import Trade as IBTrade

from engine.brokers.base import OrderRejected, UnknownSymbol
from engine.brokers.native import terms
from engine.models import ChildOrder, Fill, OrderStatus, OrderType, Side, TimeInForce

PLAIN_SYMBOL = re.compile(r"^[A-Z][A-Z0-9]{0,5}([ .][A-Z])?$")
"""US stock tickers as IB spells them: AAPL, BRK B, BF.B."""

WORKING = frozenset(
    {
        "PendingSubmit",
        "ApiPending",
        "PreSubmitted",
        "Submitted",
        "PendingCancel",
        "ValidationError",
        "ApiUpdate",
    }
)
CANCELLED_CODES = frozenset({202, 10148})  # "Order Canceled", "cancel already in progress"
LOG_PREFIX = re.compile(
    r"^(Error|Warning) -?\d+, reqId -?\d+: "
)  # ib-async's wording around the venue's text
LIQUIDITY = {1: "maker", 2: "taker", 3: "routed"}
OCA_CANCEL_WITH_BLOCK = 1  # IB ocaType: cancel the group's other orders once one fills


def stock_contract(venue: str, symbol: str) -> Contract:
    """A plain symbol is a US stock routed SMART in USD; anything else is not ours to guess."""
    if not PLAIN_SYMBOL.match(symbol):
        raise UnknownSymbol(
            venue, f"{symbol!r} is not a plain US stock symbol (expected e.g. AAPL)"
        )
    return Stock(symbol, "SMART", "USD")


def to_decimal(x: float) -> Decimal:
    """A float from the wire as the decimal it was written as (str round-trips IB's text)."""
    if x != x:  # NaN: IB's "no value"
        return Decimal(0)
    d = Decimal(repr(float(x)))
    return d.to_integral_value() if d == d.to_integral_value() else d.normalize()


def ib_order(venue: str, child: ChildOrder, account: str) -> Order:
    """The IB order for a child; orderRef carries the client order id so it survives reconnects."""
    qty = child.quantity
    if qty != qty.to_integral_value():
        raise OrderRejected(
            venue, f"quantity {qty} of {child.symbol}: IB API stock orders take whole shares"
        )
    action = "BUY" if child.side is Side.BUY else "SELL"
    common: dict[str, object] = {
        "orderRef": child.client_order_id,
        "account": account,
        "transmit": True,
    }
    if child.order_type is OrderType.MARKET:
        return MarketOrder(
            action, float(qty), tif="IOC" if child.tif is TimeInForce.IOC else "DAY", **common
        )
    if child.limit_price is None:
        raise OrderRejected(venue, f"limit order {child.client_order_id} has no limit price")
    tif = "IOC" if child.tif is TimeInForce.IOC else "GTC"
    native = terms(child)
    if native.display_qty is not None and native.display_qty < qty:
        common["displaySize"] = int(native.display_qty)  # IB shows this much; the rest is hidden
    if native.oca_group:  # one fill cancels the rest of the group, the remainder blocked (type 1)
        common.update(ocaGroup=native.oca_group, ocaType=OCA_CANCEL_WITH_BLOCK)
    if native.stop_price is not None:
        return StopLimitOrder(
            action, float(qty), float(child.limit_price), float(native.stop_price), tif=tif,
            **common,
        )  # fmt: skip
    return LimitOrder(action, float(qty), float(child.limit_price), tif=tif, **common)


def last_error(trade: IBTrade) -> tuple[int, str]:
    """The most recent venue error logged on the trade, (0, '') if none."""
    for entry in reversed(trade.log):
        if entry.errorCode:
            return entry.errorCode, LOG_PREFIX.sub("", entry.message)
    return 0, ""


def engine_status(
    trade: IBTrade, *, cancel_requested: bool, error: tuple[int, str] = (0, "")
) -> tuple[OrderStatus, str]:
    """IB's order status in engine terms; a cancel nobody asked for, after an error, is a reject."""
    st = trade.orderStatus
    filled, total = st.filled, trade.order.totalQuantity
    if st.status == "Filled" or (total > 0 and filled >= total):
        return OrderStatus.FILLED, ""
    if st.status in WORKING:
        return (OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.SUBMITTED), ""
    code, message = last_error(trade)
    if not code:
        code, message = error
    if st.status in ("Cancelled", "ApiCancelled"):
        if cancel_requested or code in CANCELLED_CODES or not code or filled > 0:
            return OrderStatus.CANCELLED, (
                "cancelled" if cancel_requested or not message else f"IB {code}: {message}"
            )
        return OrderStatus.REJECTED, f"IB {code}: {message}"
    if st.status == "Inactive":
        if cancel_requested:
            return OrderStatus.CANCELLED, "cancelled"
        return OrderStatus.REJECTED, f"IB {code}: {message}" if code else "IB: order inactive"
    return OrderStatus.SUBMITTED, ""


def engine_fill(venue: str, cid: str, symbol: str, f: IBFill) -> Fill:
    """One IB execution (with its commission report) as an engine fill; fill_id is the execId."""
    ex = f.execution
    return Fill(
        fill_id=ex.execId,
        client_order_id=cid,
        venue=venue,
        symbol=symbol,
        side=Side.BUY if ex.side == "BOT" else Side.SELL,
        quantity=to_decimal(ex.shares),
        price=to_decimal(ex.price),
        ts=ex.time.timestamp(),
        fee=to_decimal(f.commissionReport.commission),
        liquidity=LIQUIDITY.get(ex.lastLiquidity, ""),
    )
