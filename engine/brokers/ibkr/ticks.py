"""What an IB Ticker says about the top of book: a two-sided quote, or why there is none."""

from __future__ import annotations

from ib_async import Ticker

from engine.brokers.ibkr.mapping import to_decimal
from engine.models import Quote

DELAYED = frozenset({3, 4})  # marketDataType: delayed, delayed-frozen
NO_DATA = {
    200: "IB does not know the contract",
    354: "market data not subscribed",
    10089: "the API needs an additional market data subscription",
    10090: "part of the market data is not subscribed",
    10167: "delayed data only: no real-time subscription",
    10168: "not subscribed, and delayed data is not enabled",
    10186: "not subscribed, and delayed data is not available",
    10197: "market data goes to a competing live session (TWS logged in elsewhere)",
}
"""IB error codes that end a market data request, and what each means for the trader."""


def valid(price: float, size: float) -> bool:
    """IB sends NaN (no value) or -1 (no quote, e.g. market closed) for an empty side."""
    return price == price and price > 0 and size == size and size > 0


def quote_of(venue: str, symbol: str, t: Ticker, ts: float) -> Quote | None:
    """The live two-sided top of book, stamped `ts` (when it arrived); None if it is not one."""
    if t.marketDataType in DELAYED:
        return None
    if not (valid(t.bid, t.bidSize) and valid(t.ask, t.askSize)):
        return None
    return Quote(
        venue,
        symbol,
        to_decimal(t.bid),
        to_decimal(t.ask),
        to_decimal(t.bidSize),
        to_decimal(t.askSize),
        ts,
    )


def why_no_quote(symbol: str, t: Ticker, waited_s: float) -> str:
    """The reason a subscribed symbol has no quote, from what its ticker holds."""
    if t.marketDataType in DELAYED:
        return (
            f"no quote for {symbol}: IB sends only delayed market data (no real-time subscription)"
        )
    has_bid, has_ask = valid(t.bid, t.bidSize), valid(t.ask, t.askSize)
    if has_bid != has_ask:
        side, other = (
            ("ask", f"bid {to_decimal(t.bid)}") if has_bid else ("bid", f"ask {to_decimal(t.ask)}")
        )
        return f"no quote for {symbol}: one-sided book, no {side} ({other})"
    return (
        f"no quote for {symbol}: no bid or ask within {waited_s:g}s "
        "(market closed or market data not subscribed)"
    )


def why_ended(symbol: str, code: int, message: str) -> str:
    """An IB error on a market data request, named by code and meaning."""
    meaning = NO_DATA.get(code, "market data request refused")
    return f"no quote for {symbol}: IB error {code}, {meaning}: {message}"
