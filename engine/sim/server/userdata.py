"""Binance's user-data stream for the simulated venue: executionReport payloads, listen keys, and the
WebSocket API's `userDataStream.subscribe.signature` check (what ccxt.pro's spot client sends)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from decimal import Decimal
from typing import Any
from urllib.parse import unquote, urlencode

from engine.sim.server.api import ApiError, check_timestamp, fmt


def execution_report(
    order: Any, exec_type: str, trade: dict[str, Any] | None, now_ms: int
) -> dict[str, Any]:
    """One executionReport as Binance spot sends it (field letters as in its documentation).

    `order` is a RestOrder; for a TRADE, `trade` is the myTrades row (same trade id), and the
    cumulative figures are those right after that trade."""
    r = order.req
    last_qty = Decimal(trade["qty"]) if trade else Decimal(0)
    last_px = Decimal(trade["price"]) if trade else Decimal(0)
    cum_qty = Decimal(trade["cum_qty"]) if trade else order.executed
    cum_quote = Decimal(trade["cum_quote"]) if trade else order.quote_qty
    status = trade["status"] if trade else order.status
    return {
        "e": "executionReport",
        "E": now_ms,
        "s": r.symbol,
        "c": order.client_order_id,
        "S": r.side,
        "o": r.type,
        "f": r.time_in_force or "GTC",
        "q": fmt(r.quantity),
        "p": fmt(r.price),
        "P": fmt(Decimal(0)),
        "F": fmt(Decimal(0)),
        "g": -1,
        "C": order.client_order_id if exec_type in ("CANCELED", "EXPIRED") else "",
        "x": exec_type,
        "X": status,
        "r": "NONE",
        "i": order.order_id,
        "l": fmt(last_qty),
        "z": fmt(cum_qty),
        "L": fmt(last_px),
        "n": trade["commission"] if trade else "0",
        "N": trade["commissionAsset"] if trade else None,
        "T": trade["time"] if trade else now_ms,
        "t": trade["id"] if trade else -1,
        "I": 0,
        "w": status in ("NEW", "PARTIALLY_FILLED"),
        "m": bool(trade["isMaker"]) if trade else False,
        "M": False,
        "O": order.time_ms,
        "Z": fmt(cum_quote),
        "Y": fmt(last_qty * last_px),
        "Q": fmt(Decimal(0)),
        "W": order.time_ms,
        "V": "NONE",
    }


class ListenKeys:
    """Listen keys per venue (POST/PUT/DELETE /api/v3/userDataStream): the older user-stream login."""

    def __init__(self) -> None:
        self.keys: dict[str, str] = {}  # listen key -> venue

    def create(self, venue: str) -> str:
        for k, v in self.keys.items():
            if v == venue:
                return k  # Binance: one key per account, the same key until it expires
        key = secrets.token_urlsafe(45)[:60]
        self.keys[key] = venue
        return key

    def venue_of(self, key: str) -> str | None:
        return self.keys.get(key)

    def close(self, key: str) -> None:
        self.keys.pop(key, None)


def check_ws_signature(params: dict[str, Any], api_key: str, api_secret: str, now_ms: int) -> None:
    """WebSocket API request signing: HMAC-SHA256 of the other params, sorted, URL-encoded."""
    if not isinstance(params, dict):
        raise ApiError(
            -1102, "Mandatory parameter 'params' was not sent, was empty/null, or malformed."
        )
    got = str(params.get("signature") or "")
    key = str(params.get("apiKey") or "")
    if not key or not got:
        raise ApiError(
            -1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed."
        )
    if not hmac.compare_digest(key.encode(), api_key.encode()):
        raise ApiError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
    rest = {k: params[k] for k in sorted(params) if k != "signature"}
    payload = unquote(urlencode({k: _text(v) for k, v in rest.items()}))
    want = hmac.new(api_secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(got.encode(), want.encode()):
        raise ApiError(-1022, "Signature for this request is not valid.", 401)
    check_timestamp({k: _text(v) for k, v in rest.items()}, now_ms)


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)
