"""Fills another process writes into this history reach this engine's positions and risk gate.

A console and a `tranche exec` (or `tranche listen`) on one history trade one account: the
positions pane, `flatten` and the risk gate's position limits must count both, now and not only
after a restart (which books every stored fill). Our own fills are booked as they happen; this
reads the others in write order, once each (engine/fill_cursor.py).
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from engine.execution.state import EngineState
from engine.fill_cursor import FillCursor
from engine.positions import sign_of

FOLLOW_POLL_S = 1.0  # wall seconds between reads of the history's newest fills
PAGE = 5000


async def follow_fills(
    state: EngineState, cursor: FillCursor, poll_s: float = FOLLOW_POLL_S
) -> None:
    """Until cancelled: book every fill of a parent this engine does not run."""
    failing = False
    while True:
        await asyncio.sleep(poll_s)  # wall time: a simulated clock must not wait on this
        try:
            booked = await follow_once(state, cursor)
        except Exception as e:  # a history that cannot be read is said once, then retried
            if not failing:
                state.log("error", f"fills from other processes not read: {type(e).__name__}: {e}")
            failing = True
            continue
        failing = False
        if booked:
            said = ", ".join(f"{sym} {qty:+f}" for sym, qty in sorted(booked.items()))
            state.log("info", f"booked fills from another process on this history: {said}")


async def follow_once(state: EngineState, cursor: FillCursor) -> dict[str, Decimal]:
    """One read of the fills written since the cursor; returns the quantity booked per symbol."""
    assert state.store is not None
    booked: dict[str, Decimal] = {}
    while True:
        rows = await state.store.fills_after(cursor.read_from, PAGE)
        fresh = [r for r in rows if cursor.saw(str(r["venue"]), str(r["fill_id"]), int(r["seq"]))]
        for r in fresh:
            if r["parent_id"] in state.parents:
                continue  # ours: booked when the venue reported it
            qty, symbol = Decimal(r["quantity"]), str(r["symbol"])
            state.position_book.add(symbol, r["venue"], r["side"], qty, r["price"], r["fee"])
            signed = sign_of(r["side"]) * qty
            state.positions[symbol] = state.positions.get(symbol, Decimal(0)) + signed
            booked[symbol] = booked.get(symbol, Decimal(0)) + signed
        cursor.prune()
        if len(rows) < PAGE or not fresh:
            await _learn_steps(state, booked)
            return booked


async def _learn_steps(state: EngineState, symbols: dict[str, Decimal]) -> None:
    """A symbol new to this engine gets its tick and lot, so its position shows at the tick."""
    known = {sym for _, sym in state.instruments}
    for symbol in sorted(set(symbols) - known):
        for venue in state.brokers:
            try:
                await state.instrument(venue, symbol)
                break
            except Exception:  # not listed there: the next venue, else plain figures
                continue
