"""ccxt's unified structures (markets, orders, trades) turned into engine records, exactly."""

from __future__ import annotations

import hashlib
import re
import uuid
from decimal import Decimal
from typing import Any

from engine.brokers.base import OrderState
from engine.models import Fill, Instrument, OrderStatus, Side

# The parameter each exchange's REST API takes for our client order id (checked in ccxt's source:
# binance createOrder reads newClientOrderId, kraken AddOrder takes cl_ord_id); others get
# ccxt's unified `clientOrderId`.
CLIENT_ID_PARAM = {"binance": "newClientOrderId", "kraken": "cl_ord_id"}
# Longest client id each venue accepts (binance ^[.A-Z:/a-z0-9_-]{1,36}$; kraken free text <= 18).
CLIENT_ID_MAX = {"binance": 36, "kraken": 18, "okx": 32}
# okx: clOrdId is letters and digits only, up to 32
CLIENT_ID_CHARS = {"okx": r"[A-Za-z0-9]+"}
_KRAKEN_IDS = uuid.UUID("3c0f3a56-6d0e-4c61-9a44-0b7f6f7d9d11")

_STATUS = {
    "closed": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELLED,
    "cancelled": OrderStatus.CANCELLED,
    "expired": OrderStatus.CANCELLED,
    "rejected": OrderStatus.REJECTED,
}


def dec(value: Any, default: str = "0") -> Decimal:
    """ccxt numbers are floats or strings: go through str so 0.1 stays 0.1."""
    if value is None or value == "":
        return Decimal(default)
    return Decimal(str(value))


def venue_client_id(exchange_id: str, client_order_id: str) -> str:
    """Our id as the venue accepts it; a deterministic digest when too long, so retries and restarts agree."""
    limit = CLIENT_ID_MAX.get(exchange_id, 36)
    chars = CLIENT_ID_CHARS.get(exchange_id, r"[A-Za-z0-9._:/-]+")
    if len(client_order_id) <= limit and re.fullmatch(chars, client_order_id):
        return client_order_id
    if exchange_id == "kraken":  # kraken takes a UUID where free text would be too long
        return str(uuid.uuid5(_KRAKEN_IDS, client_order_id))
    return "t" + hashlib.sha256(client_order_id.encode()).hexdigest()[: limit - 1]


def rewrite_urls(node: Any, base_url: str) -> Any:
    """Replace scheme and host of every REST url (nested dicts too), keeping each path."""
    base = base_url.rstrip("/")
    if isinstance(node, str):
        return re.sub(r"^[a-z]+://[^/]+", base, node)
    if isinstance(node, dict):
        return {k: rewrite_urls(v, base) for k, v in node.items()}
    if isinstance(node, list):
        return [rewrite_urls(v, base) for v in node]
    return node


def instrument_from_market(symbol: str, market: dict[str, Any], tick_size_mode: bool) -> Instrument:
    """Venue precision and limits, as the risk gate and the slicer need them."""
    precision = market.get("precision") or {}
    limits = market.get("limits") or {}

    def step(p: Any, fallback: str) -> Decimal:
        if p is None:
            return Decimal(fallback)
        return dec(p) if tick_size_mode else Decimal(1).scaleb(-int(p))

    return Instrument(
        symbol=symbol,
        tick=step(precision.get("price"), "0.00000001"),
        step=step(precision.get("amount"), "0.00000001"),
        min_qty=dec((limits.get("amount") or {}).get("min")),
        min_notional=dec((limits.get("cost") or {}).get("min")),
    )


def order_status(order: dict[str, Any]) -> OrderStatus:
    raw = str(order.get("status") or "open").lower()
    if raw in _STATUS:
        return _STATUS[raw]
    return OrderStatus.PARTIALLY_FILLED if dec(order.get("filled")) > 0 else OrderStatus.SUBMITTED


def fill_from_trade(
    trade: dict[str, Any],
    *,
    venue: str,
    symbol: str,
    client_order_id: str,
    quote: str,
    ts_fallback: float,
) -> Fill:
    """One venue execution; fees in the quote currency (base-currency fees valued at the fill price)."""
    price = dec(trade.get("price"))
    fee = trade.get("fee") or {}
    fee_cost = dec(fee.get("cost"))
    currency = fee.get("currency")
    if currency and currency != quote:
        fee_cost = (
            fee_cost * price
            if currency == (trade.get("symbol") or "").split("/")[0]
            else Decimal(0)
        )
    ts = trade.get("timestamp")
    return Fill(
        fill_id=str(trade.get("id")),
        client_order_id=client_order_id,
        venue=venue,
        symbol=symbol,
        side=Side(str(trade.get("side") or "buy").lower()),
        quantity=dec(trade.get("amount")),
        price=price,
        ts=ts / 1000 if ts else ts_fallback,
        fee=fee_cost,
        liquidity=str(trade.get("takerOrMaker") or ""),
    )


def state_from_order(
    order: dict[str, Any], *, client_order_id: str, symbol: str, fills: tuple[Fill, ...] = ()
) -> OrderState:
    return OrderState(
        client_order_id=client_order_id,
        venue_order_id=str(order.get("id") or ""),
        status=order_status(order),
        filled_qty=dec(order.get("filled")),
        fills=fills,
        reason=str(order.get("status") or ""),
        symbol=symbol,
    )
