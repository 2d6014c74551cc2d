"""Binance spot REST wire format for the simulated venue server: request parsing, errors, payloads.

Pure functions, no I/O: every bad request becomes an `ApiError` with Binance's own code and
message (https://developers.binance.com/docs/binance-spot-api-docs/errors), never an exception
that escapes as HTTP 500.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

DECIMAL_RE = re.compile(r"^([0-9]{1,20})(\.[0-9]{1,20})?$")
INT_RE = re.compile(r"^-?[0-9]{1,20}$")
CLIENT_ID_RE = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")
ORDER_TYPES = ("LIMIT", "MARKET", "LIMIT_MAKER")
TIME_IN_FORCE = ("GTC", "IOC", "FOK")
DEPTH_LIMITS = (5, 10, 20, 50, 100, 500, 1000, 5000)
MAX_RECV_WINDOW = 60_000


class ApiError(Exception):
    """A request the venue refuses: Binance's JSON error body `{"code": ..., "msg": ...}`."""

    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg
        self.status = status

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "msg": self.msg}


def mandatory(name: str) -> ApiError:
    return ApiError(
        -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def require(params: dict[str, str], name: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise mandatory(name)
    return value


def decimal_param(params: dict[str, str], name: str, *, required: bool = True) -> Decimal | None:
    """A positive decimal in Binance's accepted lexical form (no sign, no exponent, no NaN)."""
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise mandatory(name)
        return None
    if not DECIMAL_RE.match(raw):
        raise ApiError(
            -1100,
            f"Illegal characters found in parameter '{name}'; legal range is "
            f"'{DECIMAL_RE.pattern}'.",
        )
    try:
        value = Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        raise mandatory(name) from None
    if value <= 0:
        raise ApiError(-1013, f"Invalid {name}.")
    return value


def int_param(
    params: dict[str, str], name: str, *, default: int | None = None, required: bool = False
) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise mandatory(name)
        return default
    if not INT_RE.match(raw):
        raise ApiError(
            -1100,
            f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'.",
        )
    return int(raw)


def check_timestamp(params: dict[str, str], now_ms: int) -> None:
    """Binance's recvWindow rule: not more than 1 s ahead of the server, not older than the window."""
    ts = int_param(params, "timestamp", required=True)
    window = int_param(params, "recvWindow", default=5000)
    assert ts is not None and window is not None
    if window <= 0 or window > MAX_RECV_WINDOW:
        raise ApiError(-1131, "recvWindow must be less than 60000")
    if ts >= now_ms + 1000:
        raise ApiError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    if now_ms - ts > window:
        raise ApiError(-1021, "Timestamp for this request is outside of the recvWindow.")


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """A validated POST /api/v3/order."""

    symbol: str
    side: str  # BUY | SELL
    type: str  # LIMIT | MARKET | LIMIT_MAKER
    time_in_force: str  # GTC | IOC | FOK ("" for MARKET and LIMIT_MAKER)
    quantity: Decimal
    price: Decimal | None
    client_order_id: str | None


def parse_order(params: dict[str, str]) -> OrderRequest:
    symbol = require(params, "symbol")
    side = require(params, "side")
    if side not in ("BUY", "SELL"):
        raise ApiError(-1117, "Invalid side.")
    kind = require(params, "type")
    if kind not in ORDER_TYPES:
        raise ApiError(-1116, "Invalid orderType.")
    tif = params.get("timeInForce", "")
    if kind == "LIMIT":
        if not tif:
            raise mandatory("timeInForce")
        if tif not in TIME_IN_FORCE:
            raise ApiError(-1115, "Invalid timeInForce.")
    else:
        tif = ""  # Binance ignores it here; so do we (ccxt may pass IOC with a market order)
    if params.get("quoteOrderQty"):
        raise ApiError(-1106, "Parameter 'quoteOrderQty' sent when not required.")
    qty = decimal_param(params, "quantity")
    price = decimal_param(params, "price", required=kind != "MARKET")
    if kind == "MARKET":
        price = None
    cid = params.get("newClientOrderId") or None
    if cid is not None and not CLIENT_ID_RE.match(cid):
        raise ApiError(
            -1100,
            "Illegal characters found in parameter 'newClientOrderId'; legal range is "
            f"'{CLIENT_ID_RE.pattern}'.",
        )
    assert qty is not None
    return OrderRequest(symbol, side, kind, tif, qty, price, cid)


def order_lookup(params: dict[str, str]) -> tuple[int | None, str | None]:
    """(orderId, origClientOrderId) of a query or cancel; one of them is mandatory."""
    require(params, "symbol")
    oid = int_param(params, "orderId")
    cid = params.get("origClientOrderId") or None
    if oid is None and cid is None:
        raise ApiError(
            -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"
        )
    return oid, cid


def depth_limit(params: dict[str, str]) -> int:
    n = int_param(params, "limit", default=100)
    assert n is not None
    if n <= 0:
        raise ApiError(
            -1100, "Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,20}$'."
        )
    return min(n, DEPTH_LIMITS[-1])


# -- payloads ---------------------------------------------------------------------------------


def fmt(value: Decimal | None) -> str:
    return f"{(value or Decimal(0)):.8f}"


def split_symbol(symbol: str, quote: str = "USDT") -> tuple[str, str]:
    """(base, quote): BTCUSDT -> (BTC, USDT); a stock symbol trades against the cash currency."""
    if symbol.endswith(quote) and len(symbol) > len(quote):
        return symbol[: -len(quote)], quote
    return symbol, quote


def symbol_info(symbol: str, tick: Decimal, step: Decimal, min_qty: Decimal) -> dict[str, Any]:
    """One exchangeInfo entry with the filters ccxt reads (PRICE_FILTER tick, LOT_SIZE step)."""
    base, quote = split_symbol(symbol)
    return {
        "symbol": symbol,
        "status": "TRADING",
        "baseAsset": base,
        "baseAssetPrecision": 8,
        "quoteAsset": quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": list(ORDER_TYPES),
        "icebergAllowed": False,
        "ocoAllowed": False,
        "quoteOrderQtyMarketAllowed": False,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": fmt(tick),
                "maxPrice": "10000000.00000000",
                "tickSize": fmt(tick),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": fmt(min_qty),
                "maxQty": "9000000.00000000",
                "stepSize": fmt(step),
            },
        ],
        "permissions": ["SPOT"],
    }


def exchange_info(symbols: list[dict[str, Any]], server_ms: int) -> dict[str, Any]:
    return {
        "timezone": "UTC",
        "serverTime": server_ms,
        "rateLimits": [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": 6000,
            },
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
        ],
        "exchangeFilters": [],
        "symbols": symbols,
    }
