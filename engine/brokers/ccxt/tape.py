"""Others' traded volume on a ccxt venue since we started watching: the public trades, less ours.

POV and the arrival cap read differences of this running total. Public trades are read with
ccxt's `fetch_trades` each time the total is asked for: on Binance page by page from the last
aggregate trade id seen (`fromId`: no trade is missed or counted twice, however busy the
millisecond), elsewhere from the last timestamp seen, de-duplicated by trade id. The venue's
public tape includes our own executions, so the quantity of our own fills (as this adapter
reports them) since the start is taken off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from engine.brokers.ccxt.parse import dec

if TYPE_CHECKING:
    from engine.brokers.ccxt.broker import CcxtBroker

PAGE = 1000  # Binance's largest aggTrades page
MAX_PAGES = 20  # per call; the rest is read on the next call
FROM_ID_EXCHANGES = frozenset({"binance"})


@dataclass
class _Tape:
    start_ms: int
    next_id: int | None = None  # fromId paging
    since_ms: int | None = None  # timestamp paging
    seen: set[str] = field(default_factory=set)  # ids at `since_ms`, for timestamp paging
    public: Decimal = Decimal(0)
    own: Decimal = Decimal(0)


class PublicTape:
    """One running total per symbol, started at the first ask."""

    def __init__(self, broker: CcxtBroker) -> None:
        self.broker = broker
        self._tapes: dict[str, _Tape] = {}

    async def others(self, ccxt_symbol: str) -> Decimal:
        tape = self._tapes.get(ccxt_symbol)
        if tape is None:
            tape = self._tapes[ccxt_symbol] = await self._start(ccxt_symbol)
            return Decimal(0)
        await self._read(ccxt_symbol, tape)
        return max(Decimal(0), tape.public - tape.own)

    def own_fill(self, ccxt_symbol: str, quantity: Decimal, ts_ms: int) -> None:
        """One of our executions: the public tape shows it too, so it is not others' volume."""
        tape = self._tapes.get(ccxt_symbol)
        if tape is not None and ts_ms >= tape.start_ms:
            tape.own += quantity

    async def _fetch(self, symbol: str, since: int | None, params: dict[str, Any]) -> list[Any]:
        ex = self.broker.exchange
        return list(
            await self.broker.call(
                f"public trades {symbol}", ex.fetch_trades, symbol, since, PAGE, params
            )
        )

    async def _start(self, symbol: str) -> _Tape:
        """Where the tape starts: after the newest public trade now (nothing before counts)."""
        ex = self.broker.exchange
        last = await self.broker.call(f"public trades {symbol}", ex.fetch_trades, symbol, None, 1)
        newest = last[-1] if last else None
        start_ms = int(newest["timestamp"]) if newest else int(self.broker.clock.now() * 1000)
        tape = _Tape(start_ms + 1)
        if ex.id in FROM_ID_EXCHANGES:
            tape.next_id = int(newest["id"]) + 1 if newest else 0
        else:
            tape.since_ms = start_ms + 1
        return tape

    async def _read(self, symbol: str, tape: _Tape) -> None:
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
                if fresh:
                    newest = max(int(t.get("timestamp") or 0) for t in fresh)
                    if tape.since_ms is None or newest > tape.since_ms:
                        tape.since_ms, tape.seen = newest, set()
                    tape.seen |= {
                        str(t.get("id")) for t in fresh if int(t.get("timestamp") or 0) == newest
                    }
                if not fresh:
                    return
            if len(page) < PAGE:
                return
