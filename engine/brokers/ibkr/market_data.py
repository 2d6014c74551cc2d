"""Streaming top of book from IB: one reqMktData subscription per symbol on the data connection.

The first ask for a symbol subscribes and waits (ibkr_timeout_s) for a bid and an ask; later
asks are answered from the live Ticker without a request, and every tick that changes the
two-sided top is pushed to the engine, stamped with when it arrived. A dropped data connection
(or IB error 1101, "data lost") ends every subscription: the symbols that were streamed are
subscribed again as soon as the connection is back; meanwhile the book is reported stale.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from ib_async import IB, Contract, Ticker

from engine.brokers.base import VenueUnavailable
from engine.brokers.ibkr.link import IBLink
from engine.brokers.ibkr.ticks import quote_of, why_ended, why_no_quote
from engine.clock import Clock
from engine.models import Quote

UPSTREAM_LOST, DATA_LOST, DATA_KEPT = 1100, 1101, 1102


@dataclass
class Subscription:
    """One streaming reqMktData: its ticker, the last two-sided quote, or why it has none."""

    symbol: str
    contract: Contract
    ticker: Ticker
    req_id: int
    quote: Quote | None = None
    waited: bool = False  # the first wait ran out: later asks answer at once
    ended: str = ""  # why IB ended it (an error code, a dropped connection)
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class MarketData:
    """Subscriptions by symbol on the data connection, re-made after it reconnects."""

    def __init__(
        self,
        venue: str,
        link: IBLink,
        clock: Clock,
        emit_quote: Callable[[Quote], None],
        emit_feed: Callable[[str, str, str], None],
    ) -> None:
        self.venue = venue
        self.link = link
        self.clock = clock
        self._emit_quote = emit_quote
        self._emit_feed = emit_feed
        self._ib: IB | None = None
        self._subs: dict[str, Subscription] = {}
        self._streamed: dict[str, Contract] = {}  # subscribed before a drop: re-made on reconnect
        self._down = ""  # why the data connection cannot stream, while it cannot
        self._upstream = ""  # why TWS gets no data from IB (error 1100), while it does not
        self._states: dict[str, str] = {}

    # -- the data connection ------------------------------------------------------------
    def wire(self, ib: IB) -> None:
        """A fresh data connection: listen to it and subscribe again what was streamed."""
        self._ib, self._down, self._upstream = ib, "", ""
        ib.pendingTickersEvent += self._on_tickers
        ib.errorEvent += self._on_error
        ib.disconnectedEvent += lambda: self._lost(ib, "data connection lost")
        again, self._streamed = self._streamed, {}
        for symbol, contract in again.items():
            self._subscribe(ib, symbol, contract)

    def _lost(self, ib: IB, why: str) -> None:
        """Subscriptions end with their connection: forget them, re-make them on reconnect."""
        if ib is not self._ib:
            return
        self._ib = None
        self._down = f"{why} at {self.link.where}; re-subscribing on reconnect"
        self._end_all(self._down)

    def _end_all(self, why: str) -> None:
        for symbol, sub in list(self._subs.items()):
            self._streamed[symbol] = sub.contract
            self._end(sub, why)
            self._state(symbol, "stale", why)

    def _end(self, sub: Subscription, why: str) -> None:
        if self._subs.get(sub.symbol) is sub:
            del self._subs[sub.symbol]
        sub.ended = why
        sub.changed.set()

    # -- asks ---------------------------------------------------------------------------
    async def quote(self, symbol: str, contract: Contract) -> Quote:
        """The live quote; the first ask subscribes and waits for a two-sided book."""
        sub = self._subs.get(symbol)
        if sub is None:
            sub = self._subscribe(self.link.data(), symbol, contract)
        timeout = self.link.config.ibkr_timeout_s
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while sub.quote is None and not sub.ended and not sub.waited:
            sub.changed.clear()
            try:
                await asyncio.wait_for(sub.changed.wait(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                sub.waited = True
        if sub.ended:
            raise VenueUnavailable(self.venue, sub.ended)
        if self._upstream:
            raise VenueUnavailable(self.venue, f"no quote for {symbol}: {self._upstream}")
        if sub.quote is None:
            raise VenueUnavailable(self.venue, why_no_quote(symbol, sub.ticker, timeout))
        return sub.quote

    def live(self, symbol: str) -> Quote | None:
        """The quote of a live subscription (current however old: IB sends changes only)."""
        sub = self._subs.get(symbol)
        return sub.quote if sub is not None and not self._upstream else None

    def describe(self) -> str:
        """`stream`, or `poll (why)` while the data connection (or TWS's own link to IB) is down."""
        down = self._down or self._upstream
        return f"poll ({down})" if down else "stream"

    def close(self) -> None:
        """Cancel every subscription at TWS (cancelMktData) before the connection closes."""
        ib, self._ib = self._ib, None
        for sub in list(self._subs.values()):
            if ib is not None and ib.isConnected():
                ib.cancelMktData(sub.contract)
            self._end(sub, f"market data of {sub.symbol} closed")
        self._streamed.clear()

    # -- ib-async events ----------------------------------------------------------------
    def _subscribe(self, ib: IB, symbol: str, contract: Contract) -> Subscription:
        ticker = ib.reqMktData(contract, "", False, False)
        ticker.bid = ticker.ask = ticker.bidSize = ticker.askSize = math.nan  # no earlier values
        req_id = ib.wrapper.ticker2ReqId["mktData"].get(ticker, 0)
        sub = Subscription(symbol, contract, ticker, req_id)
        self._subs[symbol] = sub
        return sub

    def _on_tickers(self, tickers: set[Ticker]) -> None:
        now = self.clock.now()  # when the data arrived: its age is the quote's age
        for sub in list(self._subs.values()):
            if sub.ticker not in tickers:
                continue
            q = quote_of(self.venue, sub.symbol, sub.ticker, now)
            if q is None:
                sub.quote, sub.waited = None, sub.quote is not None or sub.waited
            elif sub.quote is None or _top(q) != _top(sub.quote):
                sub.quote = q
                self._state(sub.symbol, "live", "")
                self._emit_quote(q)
            sub.changed.set()

    def _on_error(self, req_id: int, code: int, message: str, contract: object) -> None:
        if code == UPSTREAM_LOST:
            self._upstream = f"TWS lost its connection to IB (error 1100): {message}"
            for symbol in self._subs:
                self._state(symbol, "stale", self._upstream)
        elif code == DATA_LOST and self._ib is not None:  # TWS is back, subscriptions are not
            ib, self._upstream = self._ib, ""
            self._end_all("TWS reconnected to IB with data lost (1101); re-subscribing")
            again, self._streamed = self._streamed, {}
            for symbol, c in again.items():
                ib.cancelMktData(c)
                self._subscribe(ib, symbol, c)
        elif code == DATA_KEPT:
            self._upstream = ""
            for symbol, sub in self._subs.items():
                if sub.quote is not None:
                    self._state(symbol, "live", "")
        elif not 2100 <= code < 2200:  # 21xx are farm notices, not an end of the stream
            refused = next((s for s in self._subs.values() if s.req_id == req_id), None)
            if refused is not None:
                if self._ib is not None and self._ib.isConnected():
                    self._ib.cancelMktData(refused.contract)
                self._end(refused, why_ended(refused.symbol, code, message))

    def _state(self, symbol: str, state: str, detail: str) -> None:
        if self._states.get(symbol) != state:
            self._states[symbol] = state
            self._emit_feed("book", state, f"{symbol} {detail}".strip())


def _top(q: Quote) -> tuple[object, ...]:
    return (q.bid, q.ask, q.bid_size, q.ask_size)
