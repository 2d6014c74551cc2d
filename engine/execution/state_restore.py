"""A kill survives a restart: the history's last trading state holds until the trader resets."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from engine.events import TradingStateChanged
from engine.execution.state import EngineState
from engine.held_store import HeldStore
from engine.models import TradingState
from engine.store import Store

TRADING_STATE = "trading_state"  # the store's event kind for every state change


async def last_state(store: Store | HeldStore) -> dict[str, Any]:
    """The last recorded state change ({old, new, reason, ts, id}), by write order: a simulated
    clock may stamp a kill later than the wall-clock reset that followed it. Empty if none."""
    found = await store.events_after(TRADING_STATE)
    if not found:
        return {}
    last = found[-1]
    payload = last.get("payload")
    return {**payload, "ts": last["ts"], "id": last["id"]} if isinstance(payload, dict) else {}


async def restore_trading_state(state: EngineState) -> None:
    """HALTED, PAUSED or REDUCING as the history last recorded it; ACTIVE needs a reset, never a restart."""
    if state.store is None:
        return
    try:
        payload = await last_state(state.store)
    except Exception as e:  # an unreadable history is said; the engine starts as configured
        state.log("error", f"last trading state not read: {type(e).__name__}: {e}")
        return
    if not payload:
        return
    try:
        new = TradingState(str(payload.get("new", "")))
    except ValueError:
        state.log("warning", f"unknown trading state in the history: {payload.get('new')!r}")
        return
    if new is TradingState.ACTIVE:
        return
    when = datetime.fromtimestamp(float(payload["ts"]), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    reason = f"{payload.get('reason') or new.value} at {when}, still in force after the restart"
    old = state.risk.state
    if state.risk.set_state(new, reason):
        state.publish(TradingStateChanged(state.clock.now(), old, new, reason))
        state.log("warning", f"trading {new.value}: {reason}")
