"""Any exchange ccxt supports, as one engine venue: markets, books, orders, balances, polled fills."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

import ccxt.async_support as ccxt
import ccxt.pro as ccxtpro

from engine.brokers.base import (
    Broker,
    BrokerError,
    Capabilities,
    Health,
    OrderUpdate,
    UnknownSymbol,
)
from engine.brokers.ccxt.deadman import DeadManSwitch
from engine.brokers.ccxt.errors import (
    REDACTOR,
    install_log_redaction,
    is_rate_limit,
    is_transient,
    to_engine_error,
)
from engine.brokers.ccxt.exchange import make_exchange
from engine.brokers.ccxt.fills import FillPoller
from engine.brokers.ccxt.native import native_capabilities
from engine.brokers.ccxt.orders import CcxtOrders
from engine.brokers.ccxt.parse import (
    dec,
    instrument_from_market,
)
from engine.brokers.ccxt.streams import StreamedBook, VenueStreams
from engine.brokers.ccxt.tape import PublicTape
from engine.clock import Clock, LiveClock
from engine.config import ConfigError, Settings, VenueConfig
from engine.models import (
    Instrument,
    PortfolioSnapshot,
    Position,
    Quote,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


class CcxtBroker(CcxtOrders, Broker):
    """One configured venue over ccxt.async_support; credentials come from the named env vars only."""

    capabilities = Capabilities(fractional_quantities=True, post_only=True, ioc=True)

    def __init__(
        self,
        venue: VenueConfig,
        *,
        environ: Mapping[str, str] | None = None,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        poll_interval_s: float | None = None,
        max_retries: int = 3,
        backoff_s: float = 0.5,
    ) -> None:
        super().__init__(venue.name)
        self.venue = venue
        self.clock: Clock = clock or LiveClock()
        self._sleep: Sleep = sleep or self.clock.sleep
        self.poll_interval_s = venue.poll_interval_s if poll_interval_s is None else poll_interval_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        env = os.environ if environ is None else environ
        self._credential_names = ", ".join(
            n for n in (venue.api_key_env, venue.secret_env, venue.password_env) if n
        )
        secrets = {
            k: env.get(n, "")
            for k, n in (
                ("apiKey", venue.api_key_env),
                ("secret", venue.secret_env),
                ("password", venue.password_env),
            )
            if n
        }
        streaming = venue.stream and hasattr(ccxtpro, venue.exchange)
        self.exchange = make_exchange(
            venue, {k: v for k, v in secrets.items() if v}, streaming=streaming
        )
        self.has_credentials = bool(secrets.get("apiKey") and secrets.get("secret"))
        REDACTOR.register(self, secrets.values())
        install_log_redaction()
        self._symbols: dict[str, str] = {}  # engine symbol -> ccxt symbol
        self._instruments: dict[str, Instrument] = {}
        self._marks: dict[str, Decimal] = {}
        self.fills = FillPoller(self)
        self.tape = PublicTape(self)
        self.streams = VenueStreams(self, enabled=streaming, stale_s=venue.stream_stale_s)
        self.dead_man_switch = DeadManSwitch(self, venue.dead_man_s, venue.dead_man_via)
        self._poll_task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"CcxtBroker(name={self.name!r}, exchange={self.venue.exchange!r}, sandbox={self.venue.sandbox})"

    # -- connection ---------------------------------------------------------------------------

    async def connect(self) -> None:
        """Load markets (syncing time with the venue), then start polling for fills."""
        await self.call("connect", self.exchange.load_markets)
        self._index_markets()
        configured = [m for s in (self.venue.symbols or []) if (m := self._lookup(s)) is not None]
        markets = configured or list((self.exchange.markets or {}).values())
        self.capabilities = native_capabilities(type(self).capabilities, self.exchange, markets)
        await self.streams.start()
        await self.dead_man_switch.start()
        if self.poll_interval_s > 0 and self._poll_task is None:
            self._poll_task = asyncio.get_running_loop().create_task(
                self._poll_loop(), name=f"{self.name}-fills"
            )

    async def close(self) -> None:
        """Stop streams and polling, release the HTTP session and the sockets."""
        await self.tape.close()
        await self.streams.close()
        await self.dead_man_switch.close()
        if self._poll_task is not None:
            self._poll_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._poll_task
            self._poll_task = None
        await self.exchange.close()

    async def _poll_loop(self) -> None:
        while True:
            # while fills stream, the poll is the authoritative reconciliation, at a slower pace
            live = self.streams.user_live
            await self.clock.sleep(
                max(self.poll_interval_s, self.venue.reconcile_interval_s)
                if live
                else self.poll_interval_s
            )
            try:
                await self.fills.poll()
            except BrokerError as e:  # a bad poll must not end polling: the next one catches up
                log.warning("%s: fill poll failed: %s", self.name, e.message)
            except Exception as e:  # nor may anything else: a dead poller would miss every fill
                log.error("%s: fill poll failed: %s: %s", self.name, type(e).__name__, e)

    def _index_markets(self) -> None:
        markets: dict[str, Any] = self.exchange.markets or {}
        wanted = self.venue.symbols or list(markets)
        tick_mode = (
            self.exchange.precisionMode == ccxt.TICK_SIZE if hasattr(ccxt, "TICK_SIZE") else True
        )
        for sym in wanted:
            market = self._lookup(sym)
            if market is None:
                log.warning(
                    "%s: configured symbol %s is not listed by %s",
                    self.name,
                    sym,
                    self.venue.exchange,
                )
                continue
            for alias in {sym, market["symbol"], market["id"]}:
                self._symbols[alias] = market["symbol"]
                self._instruments[alias] = instrument_from_market(alias, market, tick_mode)

    def _lookup(self, symbol: str) -> dict[str, Any] | None:
        markets: dict[str, Any] = self.exchange.markets or {}
        if symbol in markets:
            return dict(markets[symbol])
        by_id = self.exchange.markets_by_id or {}
        found = by_id.get(symbol)
        return dict(found[0]) if found else None

    def ccxt_symbol(self, symbol: str) -> str:
        """The exchange's unified symbol for an engine symbol ('BTCUSDT' or 'BTC/USDT')."""
        try:
            return self._symbols[symbol]
        except KeyError:
            known = ", ".join(sorted({s for s in self._symbols.values()})[:10])
            raise UnknownSymbol(self.name, f"unknown symbol {symbol!r}; known: {known}") from None

    # -- calls with retries -------------------------------------------------------------------

    async def call(
        self,
        during: str,
        fn: Callable[..., Awaitable[T]],
        *args: Any,
        retry_network: bool = True,
        **kwargs: Any,
    ) -> T:
        """Run one ccxt call: back off on rate limits, resync time on a refused nonce, retry network errors."""
        resynced = False
        attempt = 0
        while True:
            try:
                try:
                    result = await fn(*args, **kwargs)
                except (AttributeError, TypeError, KeyError, IndexError, ValueError) as e:
                    # ccxt's parser choking on a body that is not what the venue meant to send
                    raise ccxt.NetworkError(
                        f"the venue's reply was cut off or malformed: {type(e).__name__}: {e}"
                    ) from None
                return result
            except ccxt.InvalidNonce as e:
                if resynced:
                    raise self.error(e, during) from None
                resynced = True
                await self._resync_time()
            except ccxt.BaseError as e:
                if not (
                    (is_rate_limit(e) or (retry_network and is_transient(e)))
                    and attempt < self.max_retries
                ):
                    raise self.error(e, during) from None
                log.info("%s: %s: %s, retry %d", self.name, during, type(e).__name__, attempt + 1)
                await self._sleep(self.backoff_s * 2**attempt * (2 if is_rate_limit(e) else 1))
                attempt += 1

    def error(self, exc: BaseException, during: str) -> BrokerError:
        return to_engine_error(
            self.name, exc, during=during, credential_hint=self._credential_names
        )

    async def _resync_time(self) -> None:
        try:
            await self.exchange.load_time_difference()
        except ccxt.BaseError as e:
            log.warning("%s: time resync failed: %s", self.name, REDACTOR.scrub(str(e)))

    # -- market data --------------------------------------------------------------------------

    async def symbols(self) -> list[str]:
        return sorted(set(self._symbols.values()))

    async def instrument(self, symbol: str) -> Instrument:
        self.ccxt_symbol(symbol)
        return self._instruments[symbol]

    async def book(
        self, symbol: str, depth: int = 10
    ) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        streamed = self.streams.fresh_book(self.ccxt_symbol(symbol))
        if streamed is not None:
            return streamed.bids[:depth], streamed.asks[:depth]
        ob = await self.call(
            f"book {symbol}", self.exchange.fetch_order_book, self.ccxt_symbol(symbol), depth
        )
        bids = [(dec(p), dec(q)) for p, q, *_ in ob.get("bids", [])[:depth]]
        asks = [(dec(p), dec(q)) for p, q, *_ in ob.get("asks", [])[:depth]]
        return bids, asks

    async def top_of_book(self, symbol: str) -> Quote:
        streamed = self.streams.fresh_book(self.ccxt_symbol(symbol))
        if streamed is not None:
            return self._quote(symbol, streamed)
        bids, asks = await self.book(symbol, 5)
        if not bids or not asks:
            raise BrokerError(
                self.name, f"top of book {symbol}: the book has no {'bid' if not bids else 'ask'}"
            )
        q = Quote(
            self.name, symbol, bids[0][0], asks[0][0], bids[0][1], asks[0][1], self.clock.now()
        )
        self._marks[self.ccxt_symbol(symbol)] = q.mid
        return q

    def _quote(self, symbol: str, b: StreamedBook) -> Quote:
        """A streamed book's top, stamped with when it arrived (its age is the data's age)."""
        if not b.bids or not b.asks:
            raise BrokerError(self.name, f"top of book {symbol}: the streamed book is one-sided")
        age = max(0.0, time.monotonic() - b.received)
        q = Quote(
            self.name, symbol, b.bids[0][0], b.asks[0][0], b.bids[0][1], b.asks[0][1],
            self.clock.now() - age,
        )  # fmt: skip
        self._marks[self.ccxt_symbol(symbol)] = q.mid
        return q

    def book_streamed(self, ccxt_symbol: str, book: StreamedBook) -> None:
        """A streamed book changed: its quote goes to the engine now, not at the next poll."""
        if book.bids and book.asks:
            self._emit_quote(self._quote(self._engine_symbol(ccxt_symbol), book))

    def _engine_symbol(self, ccxt_symbol: str) -> str:
        configured = self.venue.symbols or []
        for s in configured:
            if self._symbols.get(s) == ccxt_symbol:
                return s
        return ccxt_symbol

    def say_feed(self, capability: str, state: str, detail: str) -> None:
        self._emit_feed(capability, state, detail)

    def feeds(self) -> dict[str, str]:
        return self.streams.describe()

    def dead_man(self) -> str:
        return self.dead_man_switch.state

    def ccxt_symbols(self) -> list[str]:
        return sorted(set(self._symbols.values()))

    async def traded_volume(self, symbol: str) -> Decimal | None:
        """Others' volume on the public tape since the first ask (engine/brokers/ccxt/tape.py)."""
        return await self.tape.others(self.ccxt_symbol(symbol))

    async def adv(self, symbol: str) -> Decimal | None:
        """The 24-hour base volume from the venue's ticker."""
        t = await self.call(
            f"ticker {symbol}", self.exchange.fetch_ticker, self.ccxt_symbol(symbol)
        )
        return dec(t["baseVolume"]) if t.get("baseVolume") is not None else None

    # -- account ------------------------------------------------------------------------------

    async def _balances(self) -> dict[str, Decimal]:
        bal = await self.call("balances", self.exchange.fetch_balance)
        totals: dict[str, Any] = bal.get("total") or {}
        return {cur: dec(v) for cur, v in totals.items() if v}

    async def positions(self) -> dict[str, Position]:
        """Every non-zero balance other than the cash currency, keyed by currency."""
        cash = self.venue.cash_currency
        return {cur: Position(cur, q) for cur, q in (await self._balances()).items() if cur != cash}

    async def portfolio(self) -> PortfolioSnapshot:
        """Cash in `cash_currency`; other balances marked at the last mid this broker has seen."""
        balances = await self._balances()
        cash = balances.pop(self.venue.cash_currency, Decimal(0))
        positions: dict[str, Position] = {}
        equity = cash
        for cur, q in balances.items():
            mark = self._marks.get(f"{cur}/{self.venue.cash_currency}", Decimal(0))
            positions[cur] = Position(cur, q, mark)
            equity += q * mark
        return PortfolioSnapshot(cash, positions, equity, self.clock.now())

    async def health(self) -> Health:
        """Round trip of a cheap public call; never raises (the error lands in `detail`)."""
        started = time.perf_counter()
        try:
            if self.exchange.has.get("fetchTime"):
                await self.call("health", self.exchange.fetch_time, retry_network=False)
            else:
                await self.call("health", self.exchange.fetch_status, retry_network=False)
        except BrokerError as e:
            return Health(
                False,
                (time.perf_counter() - started) * 1000,
                len(self.exchange.markets or {}),
                e.message,
            )
        return Health(
            True, (time.perf_counter() - started) * 1000, len(self.exchange.markets or {})
        )

    def emit_update(self, update: OrderUpdate) -> None:
        f = update.fill
        if f is not None and f.symbol in self._symbols:  # the public tape shows it too
            self.tape.own_fill(self._symbols[f.symbol], f.quantity, int(f.ts * 1000))
        self._emit(update)


def build_ccxt_venues(
    settings: Settings, environ: Mapping[str, str] | None = None, *, clock: Clock | None = None
) -> dict[str, Broker]:
    """One CcxtBroker per configured venue, not yet connected."""
    venues: dict[str, Broker] = {}
    for v in settings.broker.venues:
        if v.name in venues:
            raise ConfigError(f"broker.venues: duplicate venue name {v.name!r}")
        venues[v.name] = CcxtBroker(v, environ=environ, clock=clock)
    return venues
