"""A protective exit placed at the venue as its own OCO (Binance order list, IB OCA group).

The exit is an `exit` parent whose children are the legs: a stop-limit (triggered at the stop,
no worse than `execution.max_slippage_pct` past it) and, when asked, a take-profit limit; both
pass the risk gate and the journal before the venue sees them, then go in one `submit_oco`.
The venue cancels one leg when the other fills, so the exit protects with the console closed;
the engine only watches the legs (pushed updates, and the venue's status every
`NATIVE_POLL_S`) to say which leg fired. Restarts keep the legs resting (recovery reconciles
them, never cancels them); a clean stop leaves them at the venue.
"""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal

from engine.algos.base import LegState
from engine.brokers.base import BrokerError, OrderUpdate
from engine.brokers.native import EXIT_LEG, EXIT_PATH, OCA_GROUP, STOP_PRICE, ExitLeg, terms
from engine.execution.completion import finish_parent
from engine.execution.desk import ChildDesk
from engine.execution.exit_pair import ExitPair, ExitStatus
from engine.execution.journal import Journal
from engine.execution.state import EngineState
from engine.lifecycle import transition
from engine.models import ChildOrder, OrderStatus, OrderType, ParentOrder, Refusal, Side, Ticket

EXIT_ALGO = "exit"  # the algo name of a native exit's parent: recovery keeps its legs resting
NATIVE_POLL_S = 5.0  # how often the venue is asked about armed legs (pushed updates come sooner)


def is_native_exit(parent: ParentOrder) -> bool:
    return parent.algo == EXIT_ALGO


def stop_limit(pair: ExitPair, slippage_pct: float, tick: Decimal) -> Decimal:
    """The worst price the stop leg may execute at once triggered, on the tick, away from the stop."""
    off = pair.stop_price * Decimal(repr(slippage_pct)) / 100
    px = pair.stop_price - off if pair.side is Side.SELL else pair.stop_price + off
    steps = (px / tick).to_integral_value(
        rounding="ROUND_FLOOR" if pair.side is Side.SELL else "ROUND_CEILING"
    )
    return steps * tick if tick > 0 else px


async def place(state: EngineState, desk: ChildDesk, journal: Journal, pair: ExitPair) -> str:
    """Journal the exit parent and its legs, send them as one OCO; '' when placed, else why not
    (nothing of it rests at the venue then, and the caller emulates the exit instead)."""
    s = state
    try:
        inst = await s.instrument(pair.venue, pair.symbol)
        q = await s.market.quote(pair.venue, pair.symbol)
    except BrokerError as e:
        return e.message
    ticket = Ticket(pair.symbol, pair.side, pair.quantity, algo=EXIT_ALGO, venue=pair.venue)
    parent = ParentOrder(f"{pair.exit_id}N", ticket, EXIT_ALGO, q.mid, s.clock.now())
    leg = LegState(pair.venue, pair.quantity, EXIT_ALGO)
    s.parents[parent.parent_id] = parent
    s.legs[parent.parent_id] = [leg]
    group = pair.exit_id
    specs: list[tuple[Decimal, dict[str, object]]] = [
        (
            stop_limit(pair, s.settings.execution.max_slippage_pct, inst.tick),
            {STOP_PRICE: str(pair.stop_price), EXIT_LEG: ExitLeg.STOP.value},
        )
    ]
    if pair.take_profit is not None:
        specs.append((pair.take_profit, {EXIT_LEG: ExitLeg.TAKE_PROFIT.value}))
    legs = []
    for n, (px, meta) in enumerate(specs, 1):
        c = ChildOrder(
            f"{parent.parent_id}-{n:03d}", parent.parent_id, pair.venue, pair.symbol, pair.side,
            pair.quantity, OrderType.LIMIT, px, created_ts=s.clock.now(),
            meta={**meta, OCA_GROUP: group, EXIT_PATH: "native", "parent_order_id": parent.parent_id},
        )  # fmt: skip
        stop = terms(c).stop_price  # a stop leg executes once the market is at its stop
        denial = s.risk.check(
            c, parent_quantity=pair.quantity,
            best_opposite=stop if stop is not None else q.far(pair.side),
            position=s.positions.get(pair.symbol, Decimal(0)),  # the legs exclude each other
        )  # fmt: skip
        if denial is not None:
            del s.parents[parent.parent_id], s.legs[parent.parent_id]
            return f"risk: {denial.reason}"
        legs.append(c)
    if s.store is not None:
        await journal.parent(parent)
    for c in legs:
        parent.children.append(c.client_order_id)
        s.add_child(c)
        if s.store is not None:
            await journal.child(c)
    try:
        acks = await asyncio.wait_for(
            s.brokers[pair.venue].submit_oco(tuple(legs)), s.settings.broker.submit_timeout_s
        )
    except (BrokerError, TimeoutError) as e:
        why = (
            getattr(e, "message", "")
            or f"no answer within {s.settings.broker.submit_timeout_s:g} s"
        )
        for c in legs:
            with contextlib.suppress(BrokerError):  # a timed-out list may have arrived: never rest
                await s.brokers[pair.venue].cancel(c)
            transition(c, OrderStatus.REJECTED, why)
            c.refused = Refusal.VENUE
            desk.child_changed(c)
        s.stopped.add(parent.parent_id)
        await _finish(s, parent)
        return why
    for c, ack in zip(legs, acks, strict=True):
        c.venue_order_id = ack.venue_order_id
        transition(
            c,
            OrderStatus.REJECTED if ack.status is OrderStatus.REJECTED else OrderStatus.SUBMITTED,
            ack.reason,
        )
        for upd in s.early.pop(c.client_order_id, []):
            desk.apply_update(c, upd)
        desk.child_changed(c)
    pair.legs = tuple(c.client_order_id for c in legs)
    pair.exit_parent = parent.parent_id
    return ""


async def watch(state: EngineState, desk: ChildDesk, pair: ExitPair) -> ExitStatus | None:
    """Until a leg fills (which fired) or every leg ended unfilled (None); the venue's own status
    is asked every NATIVE_POLL_S, so a fill is seen even where the venue pushes nothing."""
    s = state
    legs = [s.children[c] for c in pair.legs if c in s.children]
    while pair.status is ExitStatus.ARMED:
        fired = next((c for c in legs if c.filled_qty > 0), None)
        if fired is not None:
            return (
                ExitStatus.TOOK_PROFIT
                if terms(fired).exit_leg is ExitLeg.TAKE_PROFIT
                else ExitStatus.STOPPED_OUT
            )
        if legs and all(c.status.is_terminal for c in legs):
            return None
        await _changed_or_poll(s, legs)
        for c in legs:
            if c.status.is_open:
                await refresh(s, desk, c)
    return None


async def refresh(state: EngineState, desk: ChildDesk, c: ChildOrder) -> None:
    """The venue's word on one leg: its fills and whether it still rests."""
    with contextlib.suppress(BrokerError):
        found = await state.brokers[c.venue].order_status(c)
        for f in found.fills:
            desk.apply_update(c, OrderUpdate(c.client_order_id, found.status, f))
        if found.status in (OrderStatus.CANCELLED, OrderStatus.REJECTED) and c.status.is_open:
            desk.apply_update(
                c, OrderUpdate(c.client_order_id, OrderStatus.CANCELLED, None, found.reason)
            )
        desk.child_changed(c)


async def settle(state: EngineState, desk: ChildDesk, pair: ExitPair) -> None:
    """After a leg fired: the other leg is the venue's to cancel (checked, cancelled here only if
    it still rests), then the exit parent is finished once its legs are done."""
    s = state
    legs = [s.children[c] for c in pair.legs if c in s.children]
    for c in legs:
        if c.filled_qty == 0 and c.status.is_open:
            await refresh(s, desk, c)
            if c.status.is_open:
                s.log(
                    "warning",
                    f"{c.client_order_id}: {c.venue} left the other OCO leg resting; cancelling it",
                )
                await desk.cancel_child(c, "the other OCO leg filled")
    while any(c.status.is_open for c in legs):  # the fired leg part-filled: it works on
        await _changed_or_poll(s, legs)
        for c in legs:
            if c.status.is_open:
                await refresh(s, desk, c)
    parent = s.parents.get(pair.exit_parent)
    if parent is not None:
        await _finish(s, parent)


async def _changed_or_poll(s: EngineState, legs: list[ChildOrder]) -> None:
    """Until a leg changes (a pushed update) or NATIVE_POLL_S of engine time passes."""
    waits: list[asyncio.Future[object]] = [
        asyncio.ensure_future(s.child_event(c.client_order_id).wait()) for c in legs
    ]
    waits.append(asyncio.ensure_future(s.clock.sleep(NATIVE_POLL_S)))
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()
    for c in legs:
        s.child_event(c.client_order_id).clear()


async def cancel_legs(state: EngineState, desk: ChildDesk, pair: ExitPair, why: str) -> None:
    legs = [state.children[c] for c in pair.legs if c in state.children]
    for c in legs:
        await desk.cancel_child(c, why)
    parent = state.parents.get(pair.exit_parent)
    if parent is not None:
        state.stopped.add(parent.parent_id)
        await _finish(state, parent)


async def _finish(state: EngineState, parent: ParentOrder) -> None:
    if parent.status.is_terminal:
        return
    await finish_parent(state, parent)
