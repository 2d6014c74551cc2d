"""Protective exits: an OCO stop-loss / take-profit, venue-native where the venue has OCO orders,
else emulated locally on the venue's quotes.

Native (`Capabilities.native_oco`: IB OCA groups, Binance order lists): both legs rest at the
venue, which cancels one when the other fills (engine/execution/native_exit.py); the exit holds
with this process closed. Emulated: the engine watches the quote itself, so the exit needs this
process running (the console), and says so. Each pair is journalled (the store's events) with
its path when it is armed and when it ends, so one leg firing ends the other also across a
restart, and a restart re-arms (re-watches) what was armed. The kill switch cancels every armed
pair; `flatten` exits a symbol's whole position through the risk gate.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from decimal import Decimal

from engine.execution import native_exit
from engine.execution.desk import ChildDesk
from engine.execution.exit_pair import EVENT_KIND, ExitPair, ExitStatus
from engine.execution.journal import Journal
from engine.execution.state import EngineState
from engine.models import InputError, Side, Ticket

POLL_S = 0.5  # how often an armed pair looks at the quote (engine time)
Submit = Callable[[Ticket], Awaitable[str]]


class ExitDesk:
    """Arms, watches, fires and cancels protective exits; `submit` sends the exit parent."""

    def __init__(
        self, state: EngineState, submit: Submit, desk: ChildDesk, journal: Journal
    ) -> None:
        self.state = state
        self.submit = submit
        self.desk = desk
        self.journal = journal
        self.pairs: dict[str, ExitPair] = {}
        self._watchers: dict[str, asyncio.Task[None]] = {}

    async def protect(
        self, parent_id: str, *, stop_pct: float | None = None, take_profit_pct: float | None = None
    ) -> ExitPair:
        """Arm a stop (the sizing's `stop_loss_pct` by default) and an optional take-profit on
        what the parent executed, at its average price."""
        s = self.state
        parent = s.parents.get(parent_id)
        if parent is None or parent.avg_price is None or parent.filled_qty <= 0:
            raise InputError("parent", f"{parent_id}: nothing executed to protect")
        stop = s.settings.execution.stop_loss_pct if stop_pct is None else stop_pct
        if not 0 < stop < 100:
            raise InputError("stop", f"must be within (0, 100) %, got {stop:g}")
        if take_profit_pct is not None and not take_profit_pct > 0:
            raise InputError("take_profit", f"must be > 0 %, got {take_profit_pct:g}")
        entry, sign = parent.avg_price, parent.ticket.side.sign
        venue = max(s.legs.get(parent_id, []), key=lambda leg: leg.filled).venue
        tick = (await s.instrument(venue, parent.ticket.symbol)).tick
        pair = ExitPair(
            f"{parent_id}-X",
            parent_id,
            parent.ticket.symbol,
            venue,
            parent.ticket.side.opposite,
            parent.filled_qty,
            _on_tick(entry * (1 - sign * Decimal(repr(stop)) / 100), tick),
            None
            if take_profit_pct is None
            else _on_tick(entry * (1 + sign * Decimal(repr(take_profit_pct)) / 100), tick),
        )
        how = " (emulated: needs this process running)"
        if s.brokers[venue].capabilities.native_oco:
            why = await native_exit.place(s, self.desk, self.journal, pair)
            if why:
                how = f" (emulated: {venue} refused the native OCO: {why})"
            else:
                pair.path, how = (
                    "native",
                    f" (native OCO at {venue}: holds with this process closed)",
                )
        await self._journal(pair)
        self._arm(pair)
        s.log(
            "info",
            f"{pair.exit_id}: protective exit armed, {pair.side.value} {pair.quantity:f} "
            f"{pair.symbol} stop {pair.stop_price}"
            + (f" take-profit {pair.take_profit}" if pair.take_profit is not None else "")
            + how,
        )
        return pair

    async def restore(self) -> list[ExitPair]:
        """Re-arm every pair the journal left armed; pairs that ended stay ended."""
        store = self.state.store
        if store is None:
            return []
        newest: dict[str, ExitPair] = {}
        for ev in await store.events(kind=EVENT_KIND) or []:  # a read-only history may hold none
            pair = ExitPair.from_payload(ev["payload"])
            newest[pair.exit_id] = pair
        armed = [p for p in newest.values() if p.status is ExitStatus.ARMED]
        self.pairs.update(newest)
        for p in newest.values():  # fired natively, its exit parent not yet done: see it through
            parent = self.state.parents.get(p.exit_parent)
            if p.path == "native" and p not in armed and parent and not parent.status.is_terminal:
                task = asyncio.get_running_loop().create_task(
                    native_exit.settle(self.state, self.desk, p), name=p.exit_id
                )
                self._watchers[p.exit_id] = task
        for p in armed:
            if p.path == "native" and not all(c in self.state.children for c in p.legs):
                self.state.log(
                    "warning",
                    f"{p.exit_id}: its native legs rest at {p.venue} but were not reconciled "
                    "(start-up recovery is off): run `tranche recover` to watch them again",
                )
                continue
            self._arm(p)
        return armed

    def _arm(self, pair: ExitPair) -> None:
        self.pairs[pair.exit_id] = pair
        watch = self._watch_native if pair.path == "native" else self._watch
        task = asyncio.get_running_loop().create_task(watch(pair), name=pair.exit_id)
        self._watchers[pair.exit_id] = task

    async def _watch_native(self, pair: ExitPair) -> None:
        """The venue fires a native pair: say which leg did, journal it, let the venue's cancel
        of the other leg be checked, and finish the exit parent."""
        fired = await native_exit.watch(self.state, self.desk, pair)
        if pair.status is not ExitStatus.ARMED:
            return  # cancelled meanwhile (kill switch, flatten)
        if fired is None:
            pair.status, pair.reason = ExitStatus.CANCELLED, "both legs ended at the venue unfilled"
        else:
            pair.status, pair.reason = fired, "filled at the venue (native OCO)"
        await self._journal(pair)
        await native_exit.settle(self.state, self.desk, pair)
        self.state.log("warning", f"{pair.exit_id}: {pair.status.value} ({pair.reason})")

    async def _watch(self, pair: ExitPair) -> None:
        s = self.state
        while pair.status is ExitStatus.ARMED:
            with contextlib.suppress(Exception):  # a quote the venue could not give: look again
                q = await s.market.quote(pair.venue, pair.symbol)
                fired = pair.triggered(q)
                if fired is not None:
                    await self._fire(pair, fired, q.far(pair.side))
                    return
            await s.clock.sleep(POLL_S)

    async def _fire(self, pair: ExitPair, fired: ExitStatus, px: Decimal) -> None:
        """One leg fires: the pair ends (journalled first, so the other leg can never fire too),
        then the exit goes out as a market parent through the risk gate."""
        pair.status = fired
        pair.reason = f"quote {px} went through"
        await self._journal(pair)
        ticket = Ticket(pair.symbol, pair.side, pair.quantity, algo="market", venue=pair.venue)
        try:
            pair.exit_parent = await self.submit(ticket)
        except InputError as e:  # the gate or a halted engine refused it: said, never silent
            pair.reason += f"; exit refused: {e}"
        await self._journal(pair)
        self.state.log("warning", f"{pair.exit_id}: {fired.value} ({pair.reason})")

    async def cancel(self, why: str, symbol: str | None = None) -> list[ExitPair]:
        """End every armed pair (of `symbol`); the kill switch calls this with every symbol."""
        ended = []
        for pair in self.pairs.values():
            if pair.status is ExitStatus.ARMED and (symbol is None or pair.symbol == symbol):
                pair.status, pair.reason = ExitStatus.CANCELLED, why
                await self._journal(pair)
                if pair.path == "native":  # its legs rest at the venue: cancel them there
                    await native_exit.cancel_legs(self.state, self.desk, pair, why)
                ended.append(pair)
        return ended

    async def flatten(self, symbol: str) -> str | None:
        """Exit the symbol's whole position at market through the risk gate; its exits end first."""
        await self.cancel("flatten", symbol)
        pos = self.state.positions.get(symbol, Decimal(0))
        if pos == 0:
            return None
        side = Side.SELL if pos > 0 else Side.BUY
        return await self.submit(Ticket(symbol, side, abs(pos), algo="market"))

    async def close(self) -> None:
        for t in self._watchers.values():
            t.cancel()
        for t in self._watchers.values():
            with contextlib.suppress(asyncio.CancelledError):
                await t

    async def _journal(self, pair: ExitPair) -> None:
        store = self.state.store
        if store is not None:
            store.record_event(ts=self.state.clock.now(), kind=EVENT_KIND, payload=pair.payload())
            await store.flush()


def _on_tick(price: Decimal, tick: Decimal) -> Decimal:
    return (price / tick).to_integral_value() * tick if tick > 0 else price
