"""Building the ccxt exchange object of one configured venue: options, credentials, URL override."""

from __future__ import annotations

from typing import Any

import ccxt.async_support as ccxt

from engine.brokers.ccxt_parse import rewrite_urls
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


def make_exchange(venue: VenueConfig, credentials: dict[str, str]) -> Any:
    cls = getattr(ccxt, venue.exchange, None)
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
    if venue.sandbox:
        exchange.set_sandbox_mode(True)
    if venue.base_url:
        exchange.urls["api"] = rewrite_urls(exchange.urls["api"], venue.base_url)
        if venue.base_url.startswith("http://"):
            exchange.timeout_on_exit = (
                0  # ccxt waits 250 ms on close for TLS shutdown; plain HTTP has none
            )
    return exchange
