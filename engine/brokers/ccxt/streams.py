"""A ccxt venue streamed over ccxt.pro: books per symbol, our orders and our trades; REST polling
per capability where the exchange has no stream, streaming is off, or the stream will not connect.

Books follow ccxt's own sync (snapshot, numbered diffs, a gap raises and the next watch resyncs);
a book with no update within `stream_stale_s` is stale: quotes come from REST meanwhile and the
market sockets are closed so the next watch starts over with a fresh snapshot. Fills from the user
stream are the fast path; the REST reconciliation (fills.FillPoller) keeps running, and both
report a venue trade id once, so a dropped message never loses a fill nor doubles one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import ccxt.async_support as ccxt

from engine.brokers.ccxt.parse import dec

if TYPE_CHECKING:
    from engine.brokers.ccxt.broker import CcxtBroker

log = logging.getLogger(__name__)
HAS = {
    "book": "watchOrderBook",
    "trades": "watchTrades",
    "orders": "watchOrders",
    "my_trades": "watchMyTrades",
}
USER_PROBE_S = 3.0  # the user stream must log in within this at connect, else fills are polled
GIVE_UP_AFTER = 5  # consecutive failures of a stream that never delivered: poll instead
Levels = list[tuple[Decimal, Decimal]]


@dataclass(slots=True)
class StreamedBook:
    bids: Levels
    asks: Levels
    received: float  # time.monotonic() of the newest update
    nonce: int | None


class VenueStreams:
    """The streams of one CcxtBroker; `mode` says, per capability, stream or poll (and why)."""

    def __init__(self, broker: CcxtBroker, *, enabled: bool, stale_s: float) -> None:
        self.broker = broker
        self.enabled = enabled
        self.stale_s = stale_s
        self.mode: dict[str, str] = {}
        self.why: dict[str, str] = {}
        self.books: dict[str, StreamedBook] = {}
        self.book_state: dict[str, str] = {}  # ccxt symbol -> live | resync | stale | poll
        self.resyncs = 0
        self.user_live = False
        self.user_seen = 0.0  # monotonic time of the newest user-stream message
        self._tasks: dict[str, asyncio.Task[None]] = {}

    @property
    def exchange(self) -> Any:
        return self.broker.exchange

    async def start(self) -> None:
        """Choose stream or poll per capability; log in to the user stream now if it is streamed."""
        has = self.exchange.has or {}
        for cap, flag in HAS.items():
            if not self.enabled:
                self._poll(cap, "streaming off (stream: false)")
            elif not has.get(flag):
                self._poll(cap, f"{self.exchange.id} has no {flag}")
            else:
                self.mode[cap] = "stream"
        user = [c for c in ("orders", "my_trades") if self.mode.get(c) == "stream"]
        if not user or not self.broker.has_credentials:
            for c in user:
                self._poll(c, "no credentials")
            return
        try:
            if hasattr(self.exchange, "authenticate"):
                await asyncio.wait_for(self.exchange.authenticate(), USER_PROBE_S)
        except Exception as e:  # noqa: BLE001 - any failure means: poll for fills
            for c in user:
                self._poll(c, f"user stream did not log in: {_short(e)}")
            log.warning(
                "%s: user stream unavailable, fills are polled: %s", self.broker.name, _short(e)
            )
            return
        self.user_live = True
        self.user_seen = time.monotonic()
        if self.mode.get("my_trades") == "stream":
            self._spawn("my_trades", self._watch_my_trades())
        if self.mode.get("orders") == "stream":
            self._spawn("orders", self._watch_orders())

    def _poll(self, cap: str, why: str) -> None:
        old = self.mode.get(cap)
        self.mode[cap], self.why[cap] = "poll", why
        if old == "stream":
            self.broker.say_feed(cap, "poll", why)

    def _spawn(self, key: str, coro: Any) -> None:
        self._tasks[key] = asyncio.get_running_loop().create_task(
            coro, name=f"{self.broker.name}-{key}"
        )

    async def close(self) -> None:
        for t in self._tasks.values():
            t.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()

    def describe(self) -> dict[str, str]:
        """Per capability: `stream`, or `poll (why)`; shown by `tranche venues --check`."""
        return {
            c: m if m == "stream" else f"poll ({self.why.get(c, '')})" for c, m in self.mode.items()
        }

    # -- books -----------------------------------------------------------------------------------
    def fresh_book(self, ccxt_symbol: str) -> StreamedBook | None:
        """The streamed book if it is live and younger than `stale_s`; starts its stream if needed."""
        if self.mode.get("book") != "stream":
            return None
        key = f"book:{ccxt_symbol}"
        if key not in self._tasks:
            self._spawn(key, self._watch_book(ccxt_symbol))
            return None
        b = self.books.get(ccxt_symbol)
        if b is None or time.monotonic() - b.received > self.stale_s:
            return None
        return b

    async def _watch_book(self, symbol: str) -> None:
        ex = self.exchange
        failures, delivered = 0, False
        pending: asyncio.Future[Any] | None = None
        while True:
            if pending is None:
                pending = asyncio.ensure_future(ex.watch_order_book(symbol))
            done, _ = await asyncio.wait({pending}, timeout=self.stale_s)
            if not done:  # a stalled stream: nothing within stale_s, the socket still open
                self._book_state(symbol, "stale", f"no book update within {self.stale_s:g} s")
                await self._reconnect_market()
                continue
            fut, pending = pending, None
            try:
                ob = fut.result()
            except asyncio.CancelledError:  # ccxt cancelled it: we closed the socket to resync
                continue
            except ccxt.BaseError as e:
                failures += 1
                self.resyncs += 1
                self._book_state(symbol, "resync", _short(e))
                if not delivered and failures >= GIVE_UP_AFTER:
                    self._poll("book", f"book stream failed: {_short(e)}")
                    self._book_state(symbol, "poll", _short(e))
                    return
                await asyncio.sleep(min(2.0, 0.05 * 2 ** min(failures, 6)))
                continue
            failures, delivered = 0, True
            book = StreamedBook(
                [(dec(p), dec(q)) for p, q, *_ in ob["bids"][:20]],
                [(dec(p), dec(q)) for p, q, *_ in ob["asks"][:20]],
                time.monotonic(),
                ob.get("nonce"),
            )
            self.books[symbol] = book
            self._book_state(symbol, "live", "")
            self.broker.book_streamed(symbol, book)

    def _book_state(self, symbol: str, state: str, detail: str) -> None:
        if self.book_state.get(symbol) != state:
            self.book_state[symbol] = state
            if state != "live" or detail:
                log.info("%s: %s book %s %s", self.broker.name, symbol, state, detail)
            self.broker.say_feed("book", state, f"{symbol} {detail}".strip())

    async def _reconnect_market(self) -> None:
        """Close the market-data sockets: the next watch reconnects and takes a fresh snapshot."""
        clients = getattr(self.exchange, "clients", None) or {}
        for url, client in list(clients.items()):
            if "ws-api" in url or "listenKey" in url:
                continue
            with contextlib.suppress(Exception):
                await client.close()
            clients.pop(url, None)

    # -- the user stream -------------------------------------------------------------------------
    async def _watch_my_trades(self) -> None:
        while True:
            try:
                trades = await self.exchange.watch_my_trades()
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 - reconciliation polling covers the gap
                self._user_down(e)
                await asyncio.sleep(0.5)
                continue
            self._user_up()
            self.broker.fills.streamed_trades(list(trades))

    async def _watch_orders(self) -> None:
        while True:
            try:
                orders = await self.exchange.watch_orders()
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001
                self._user_down(e)
                await asyncio.sleep(0.5)
                continue
            self._user_up()
            self.broker.fills.streamed_orders(list(orders))

    def _user_up(self) -> None:
        self.user_seen = time.monotonic()
        if not self.user_live:
            self.user_live = True
            self.broker.say_feed("orders", "live", "user stream back")

    def _user_down(self, e: BaseException) -> None:
        if self.user_live:
            self.user_live = False  # fills are polled at the full rate until it is back
            self.broker.say_feed("orders", "resync", f"user stream: {_short(e)}")


def _short(e: BaseException) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {text}"[:160]
