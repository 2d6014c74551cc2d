"""Building the ccxt exchange object of one configured venue: options, credentials, URL override."""

from __future__ import annotations

import re
from typing import Any

import ccxt.async_support as ccxt
import ccxt.pro as ccxtpro

from engine.brokers.ccxt.parse import rewrite_urls
from engine.config import ConfigError, VenueConfig

# Binance would otherwise also call margin and currency endpoints in load_markets, and refuse
# fetchOpenOrders without a symbol (the kill switch needs every open order).
DEFAULT_OPTIONS: dict[str, dict[str, Any]] = {
    "binance": {
        "fetchMarkets": {"types": ["spot"]},
        "fetchCurrencies": False,
        "fetchMargins": False,
        "warnOnFetchOpenOrdersWithoutSymbol": False,
    },
}


def make_exchange(
    venue: VenueConfig, credentials: dict[str, str], *, streaming: bool = False
) -> Any:
    """ccxt's REST client, or with `streaming` its WebSocket one (ccxt.pro, the same REST calls too)."""
    cls = getattr(ccxtpro if streaming else ccxt, venue.exchange, None)
    if cls is None or not isinstance(cls, type):
        raise ConfigError(
            f"broker.venues[{venue.name}].exchange: unknown ccxt exchange {venue.exchange!r}"
        )
    options = {
        **DEFAULT_OPTIONS.get(venue.exchange, {}),
        **venue.options,
        "adjustForTimeDifference": True,
    }
    exchange = cls(
        {
            **credentials,
            "timeout": venue.timeout_ms,
            "enableRateLimit": venue.rate_limit,
            "options": options,
        }
    )
    exchange.parse_json = _strict_json(exchange)
    if venue.sandbox:
        exchange.set_sandbox_mode(True)
    if venue.base_url:
        ws = exchange.urls["api"].get("ws")
        exchange.urls["api"] = rewrite_urls(exchange.urls["api"], venue.base_url)
        if isinstance(ws, dict):  # the streams: same host and path prefix, ws scheme
            exchange.urls["api"]["ws"] = rewrite_urls(ws, re.sub(r"^http", "ws", venue.base_url))
        if venue.base_url.startswith("http://"):
            exchange.timeout_on_exit = (
                0  # ccxt waits 250 ms on close for TLS shutdown; plain HTTP has none
            )
    return exchange


def _strict_json(exchange: Any) -> Any:
    """ccxt's own parse, except that a body which starts as JSON and does not parse is an error.

    ccxt returns such a body as text, and its parsers then read it character by character: a
    half-sent trade history becomes a short one (filtered to nothing by `since`), a filled order
    looks unfilled. A cut-off reply is a network failure, retried like one."""
    own = exchange.parse_json

    def parse(http_response: Any) -> Any:
        parsed = own(http_response)
        if parsed is None and exchange.is_json_encoded_object(http_response):
            raise ccxt.NetworkError(
                f"{exchange.id}: the venue's reply was cut off or malformed "
                f"({len(http_response)} bytes, not valid JSON)"
            )
        return parsed

    return parse
