"""Others' traded volume on IB since we started watching: tick-by-tick AllLast trades, less ours.

POV and the arrival cap read differences of this running total. The first ask for a symbol
subscribes `reqTickByTickData(contract, "AllLast")` on the data connection: every print, odd lots
included, each with its own size (IB's `volume` tick is in round lots and its snapshot lags); the
sizes of the prints that arrive afterwards are summed. After the data connection is re-made the
symbol is subscribed again (prints in the gap are not counted: others' volume errs low, POV stays
under its cap). Our own executions print on the tape too, so our fills since the start are taken off.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ib_async import IB, Contract, TickByTickAllLast, Ticker

from engine.brokers.ibkr.link import IBLink
from engine.brokers.ibkr.mapping import to_decimal


@dataclass
class _Tape:
    ticker: Ticker
    contract: Contract
    ib: IB  # the data connection it streams on: a reconnect makes a new one
    start_ts: float
    public: Decimal = Decimal(0)
    own: Decimal = Decimal(0)


class TradeTape:
    """One tick-by-tick subscription and running total per symbol."""

    def __init__(self, link: IBLink) -> None:
        self.link = link
        self._tapes: dict[str, _Tape] = {}

    def others(self, symbol: str, contract: Contract, now: float) -> Decimal:
        ib = self.link.data()
        tape = self._tapes.get(symbol)
        if tape is None:
            tape = self._tapes[symbol] = _Tape(self._subscribe(ib, contract), contract, ib, now)
            return Decimal(0)
        return max(Decimal(0), tape.public - tape.own)

    def rewire(self, ib: IB) -> None:
        """A fresh data connection (its subscriptions are gone): every tape again, totals kept
        (the prints while it was down are not counted)."""
        for tape in self._tapes.values():
            tape.ticker, tape.ib = self._subscribe(ib, tape.contract), ib

    def _subscribe(self, ib: IB, contract: Contract) -> Ticker:
        ticker = ib.reqTickByTickData(contract, "AllLast")
        ticker.updateEvent += lambda t: self._add(t)
        return ticker

    def _add(self, ticker: Ticker) -> None:
        for tape in self._tapes.values():
            if tape.ticker is ticker:
                _add(tape, ticker)

    def own_fill(self, symbol: str, quantity: Decimal, ts: float) -> None:
        """One of our executions: the tape shows it too, so it is not others' volume."""
        tape = self._tapes.get(symbol)
        # IB stamps executions to the second: one in the subscription's first second counts as
        # ours (others' volume understated a little: POV stays under its cap, never over)
        if tape is not None and ts >= tape.start_ts - 1.0:
            tape.own += quantity

    def close(self) -> None:
        for tape in self._tapes.values():
            try:
                self.link.data().cancelTickByTickData(tape.contract, "AllLast")
            except Exception:  # the data connection is gone: nothing to cancel
                break
        self._tapes.clear()


def _add(tape: _Tape, ticker: Ticker) -> None:
    for tick in ticker.tickByTicks:
        if isinstance(tick, TickByTickAllLast) and tick.size == tick.size and tick.size > 0:
            tape.public += to_decimal(tick.size)
