"""Others' traded volume on a ccxt venue since we started watching: the public trades, less ours.

POV and the arrival cap read differences of this running total. Where the venue streams public
trades (ccxt.pro `watch_trades`, the `trades` feed), a watcher per symbol adds each new trade as
it arrives (de-duplicated by id); if the stream fails the tape goes on over REST from then on.
Over REST, `fetch_trades` is read each time the total is asked for: on Binance page by page from
the last aggregate trade id seen (`fromId`: nothing missed or counted twice, however busy the
millisecond), elsewhere from the last timestamp seen, de-duplicated by trade id. The public tape
includes our own executions, so the quantity of our own fills (as this adapter reports them)
since the start is taken off. A venue whose public trades cannot be read gives no figure (None):
POV then refuses with the reason rather than guess.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from engine.brokers.base import BrokerError
from engine.brokers.ccxt.parse import dec

if TYPE_CHECKING:
    from engine.brokers.ccxt.broker import CcxtBroker

log = logging.getLogger(__name__)
PAGE = 1000  # Binance's largest aggTrades page
MAX_PAGES = 20  # per call; the rest is read on the next call
FROM_ID_EXCHANGES = frozenset({"binance"})
SEEN_IDS = 10_000  # streamed trade ids remembered for de-duplication


@dataclass
class _Tape:
    start_ms: int
    next_id: int | None = None  # REST: fromId paging
    since_ms: int | None = None  # REST: timestamp paging
    seen: set[str] = field(default_factory=set)  # REST: ids at `since_ms`
    rest_ready: bool = False  # REST position known (else it is found at the next read)
    streamed: deque[str] = field(default_factory=lambda: deque(maxlen=SEEN_IDS))
    streamed_ids: set[str] = field(default_factory=set)
    watcher: asyncio.Task[None] | None = None
    public: Decimal = Decimal(0)
    own: Decimal = Decimal(0)


class PublicTape:
    """One running total per symbol, started at the first ask."""

    def __init__(self, broker: CcxtBroker) -> None:
        self.broker = broker
        self._tapes: dict[str, _Tape] = {}

    async def others(self, ccxt_symbol: str) -> Decimal | None:
        tape = self._tapes.get(ccxt_symbol)
        try:
            if tape is None:
                tape = self._tapes[ccxt_symbol] = await self._start(ccxt_symbol)
                return Decimal(0)
            if tape.watcher is None or tape.watcher.done():
                await self._read(ccxt_symbol, tape)
        except BrokerError as e:
            log.warning("%s: public trades of %s: %s", self.broker.name, ccxt_symbol, e.message)
            if tape is None:
                return None  # no trade feed to measure from
        return max(Decimal(0), tape.public - tape.own)

    def own_fill(self, ccxt_symbol: str, quantity: Decimal, ts_ms: int) -> None:
        """One of our executions: the public tape shows it too, so it is not others' volume."""
        tape = self._tapes.get(ccxt_symbol)
        if tape is not None and ts_ms >= tape.start_ms:
            tape.own += quantity

    async def close(self) -> None:
        for tape in self._tapes.values():
            if tape.watcher is not None:
                tape.watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await tape.watcher

    # -- start --------------------------------------------------------------------------------
    async def _start(self, symbol: str) -> _Tape:
        if self.broker.streams.mode.get("trades") == "stream":
            tape = _Tape(int(self.broker.clock.now() * 1000))
            tape.watcher = asyncio.get_running_loop().create_task(
                self._watch(symbol, tape), name=f"{self.broker.name}-tape-{symbol}"
            )
            return tape
        tape = _Tape(0)
        await self._rest_position(symbol, tape)
        return tape

    async def _rest_position(self, symbol: str, tape: _Tape) -> None:
        """Where REST reading starts: after the newest public trade now (nothing before counts)."""
        ex = self.broker.exchange
        last = await self.broker.call(f"public trades {symbol}", ex.fetch_trades, symbol, None, 1)
        newest = last[-1] if last else None
        newest_ms = int(newest["timestamp"]) if newest else int(self.broker.clock.now() * 1000)
        if ex.id in FROM_ID_EXCHANGES:
            tape.next_id = int(newest["id"]) + 1 if newest else 0
        else:
            tape.since_ms = newest_ms + 1
        tape.start_ms = newest_ms + 1
        tape.rest_ready = True

    # -- streamed -----------------------------------------------------------------------------
    async def _watch(self, symbol: str, tape: _Tape) -> None:
        try:
            while True:
                for t in await self.broker.exchange.watch_trades(symbol):
                    tid = str(t.get("id"))
                    if tid in tape.streamed_ids or int(t.get("timestamp") or 0) < tape.start_ms:
                        continue
                    if len(tape.streamed) == tape.streamed.maxlen:
                        tape.streamed_ids.discard(tape.streamed[0])
                    tape.streamed.append(tid)
                    tape.streamed_ids.add(tid)
                    tape.public += dec(t.get("amount"))
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - any stream failure: REST from here on
            log.warning(
                "%s: public trade stream of %s ended (%s: %s); reading them over REST",
                self.broker.name, symbol, type(e).__name__, e,
            )  # fmt: skip

    # -- REST ---------------------------------------------------------------------------------
    async def _fetch(self, symbol: str, since: int | None, params: dict[str, Any]) -> list[Any]:
        ex = self.broker.exchange
        return list(
            await self.broker.call(
                f"public trades {symbol}", ex.fetch_trades, symbol, since, PAGE, params
            )
        )

    async def _read(self, symbol: str, tape: _Tape) -> None:
        if not tape.rest_ready:  # the stream ended: REST from now (what fell between is lost)
            await self._rest_position(symbol, tape)
            return
        for _ in range(MAX_PAGES):
            if tape.next_id is not None:
                page = await self._fetch(symbol, None, {"fromId": tape.next_id})
                for t in page:
                    tape.public += dec(t.get("amount"))
                if page:
                    tape.next_id = max(int(t["id"]) for t in page) + 1
            else:
                page = await self._fetch(symbol, tape.since_ms, {})
                fresh = [t for t in page if str(t.get("id")) not in tape.seen]
                for t in fresh:
                    tape.public += dec(t.get("amount"))
                if not fresh:
                    return
                newest = max(int(t.get("timestamp") or 0) for t in fresh)
                if tape.since_ms is None or newest > tape.since_ms:
                    tape.since_ms, tape.seen = newest, set()
                at_newest = (
                    str(t.get("id")) for t in fresh if int(t.get("timestamp") or 0) == newest
                )
                tape.seen |= set(at_newest)
            if len(page) < PAGE:
                return
