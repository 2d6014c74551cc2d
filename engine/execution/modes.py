"""The kill switch's other modes over the same state: pause (nothing new is sent, resting orders
stay), resume, flatten (halt, then each position to zero through the risk gate with a marketable,
bounded-slippage order), and the sweep that confirms, per venue, that nothing of ours is open."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

from engine.events import KillReport, VenuesSwept
from engine.execution.control import KillSwitch
from engine.execution.state import EngineState
from engine.execution.status import TradingStatus
from engine.models import InputError, Side, Ticket, TradingState, round_price
from engine.risk.killswitch import sweep_open

FLATTEN_WAIT_S = 60.0  # wall seconds flatten waits for its orders before it says what is left


@dataclass(frozen=True, slots=True)
class FlattenLine:
    """One order flatten would send: the venue's position, the far touch, the cost estimate."""

    symbol: str
    venue: str
    side: Side
    quantity: Decimal
    mid: Decimal | None
    price: Decimal | None  # the far touch it would cross at
    limit: Decimal | None  # the bound: no fill beyond max_slippage_pct past the touch
    est_cost: Decimal | None  # quantity x |touch - mid|: half the spread
    worst_cost: Decimal | None  # quantity x |limit - mid|: the most the bound allows
    tick: Decimal | None = None  # the venue's price and quantity steps, for display
    lot: Decimal | None = None


@dataclass(frozen=True, slots=True)
class FlattenReport:
    kill: KillReport
    lines: tuple[FlattenLine, ...]
    parents: tuple[str, ...]
    left: dict[str, Decimal]  # symbol -> position still open after the wait


class TradingModes:
    """Pause, resume, flatten; every change of state goes through TradingStatus (an event)."""

    def __init__(
        self,
        state: EngineState,
        status: TradingStatus,
        kill_switch: KillSwitch,
        submit: Callable[[Ticket], Awaitable[str]],
    ) -> None:
        self.state = state
        self.status = status
        self.kill_switch = kill_switch
        self.submit = submit

    def pause(self, reason: str = "paused by the trader") -> None:
        """Stop sending: working parents keep their resting orders and wait at their next send."""
        s = self.state
        if s.risk.state is TradingState.HALTED:
            raise InputError("trading_state", "trading is HALTED: nothing is working to pause")
        s.unpaused.clear()
        self.status.set_state(TradingState.PAUSED, reason)

    def resume(self) -> None:
        """PAUSED -> ACTIVE: every paused leg sends again, catching up over its remaining horizon."""
        s = self.state
        if s.risk.state is not TradingState.PAUSED:
            raise InputError(
                "trading_state",
                f"trading is {s.risk.state.value.upper()}: only PAUSED resumes "
                "(HALTED returns to ACTIVE with reset)",
            )
        self.status.set_state(TradingState.ACTIVE, "resumed by the trader")
        s.unpaused.set()

    async def flatten_plan(self) -> list[FlattenLine]:
        """Per venue and symbol, the order that brings the engine's position there to zero."""
        s = self.state
        net = s.position_book.net()
        lines: list[FlattenLine] = []
        for (symbol, venue), h in sorted(s.position_book.holdings.items()):
            qty = h.quantity
            total = net.get(symbol, Decimal(0))
            if qty == 0 or total == 0 or (qty > 0) != (total > 0):
                continue  # flat, or held against the net: selling it would grow the exposure
            qty = min(abs(qty), abs(total))
            side = Side.SELL if h.quantity > 0 else Side.BUY
            lines.append(await self._line(symbol, venue, side, qty))
        return lines

    async def _line(self, symbol: str, venue: str, side: Side, qty: Decimal) -> FlattenLine:
        s = self.state
        try:
            q = await asyncio.wait_for(
                s.market.quote(venue, symbol), s.settings.broker.probe_timeout_s
            )
        except Exception:  # noqa: BLE001 - no quote: the line says it cannot estimate
            return FlattenLine(symbol, venue, side, qty, None, None, None, None, None)
        touch = q.bid if side is Side.SELL else q.ask
        room = Decimal(str(s.settings.execution.max_slippage_pct)) / 100
        limit = touch * (1 - room) if side is Side.SELL else touch * (1 + room)
        tick, lot = s.steps(venue, symbol)
        if tick is not None:  # on the tick, never beyond the bound
            limit = round_price(limit, tick, side)
        return FlattenLine(
            symbol, venue, side, qty, q.mid, touch, limit,
            qty * abs(touch - q.mid), qty * abs(limit - q.mid), tick, lot,
        )  # fmt: skip

    async def flatten(self, *, confirm: bool) -> FlattenReport:
        """Kill (HALT, cancel everything), then REDUCING: one marketable order per line, then HALTED."""
        if not confirm:
            raise InputError("confirm", "flatten sends orders: it needs an explicit confirmation")
        s = self.state
        lines = await self.flatten_plan()
        kill = await self.kill_switch.kill()
        self.status.set_state(TradingState.REDUCING, "flatten: only orders that reduce a position")
        s.unpaused.set()
        pids: list[str] = []
        for line in lines:
            ticket = Ticket(line.symbol, line.side, line.quantity, algo="market", venue=line.venue)
            try:
                pids.append(await self.submit(ticket))
            except InputError as e:
                s.log("error", f"flatten {line.symbol} on {line.venue}: {e}")
        if pids:
            waits = [asyncio.ensure_future(s.done[p].wait()) for p in pids if p in s.done]
            if waits:
                await asyncio.wait(waits, timeout=FLATTEN_WAIT_S)
        self.status.set_state(TradingState.HALTED, "flattened")
        left = {k: v for k, v in s.position_book.net().items() if v != 0}
        s.log(
            "info" if not left else "warning",
            f"flatten: {len(pids)} orders; left open: {left or 'none'}",
        )
        await self.sweep()
        return FlattenReport(kill, tuple(lines), tuple(pids), left)

    async def sweep(self) -> VenuesSwept:
        """Ask every venue for its own open orders: the kill's proof, not our memory's."""
        s = self.state
        rows = await sweep_open(s.brokers)
        ev = VenuesSwept(
            s.clock.now(), tuple((v, said) for v, said, _ in rows), all(n == 0 for *_, n in rows)
        )
        s.publish(ev)
        if s.store is not None:
            s.store.record_event(
                ts=s.clock.now(), kind="kill_sweep", payload={"venues": dict(ev.venues)}
            )
        return ev
