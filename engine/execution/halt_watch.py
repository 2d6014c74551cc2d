"""A kill in any process on the history halts this one too: the kill key means every order.

A console and a `tranche listen` (or two consoles) often share one history. Each engine stores its
state changes tagged with its session; this watcher reads the ones other sessions wrote and runs
this engine's own kill on a HALTED it has not seen. A reset elsewhere does not resume this
process: each process is reset where it runs (a restart starts from the history's last state).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from engine.execution.state import EngineState
from engine.execution.state_restore import TRADING_STATE, last_state
from engine.models import TradingState

HALT_POLL_S = 0.5  # wall seconds between reads of the history's newest state changes


async def watch_halts(
    state: EngineState, kill: Callable[[str, str], Awaitable[object]], poll_s: float = HALT_POLL_S
) -> None:
    """Until cancelled: every HALTED another session stores becomes this engine's kill."""
    store = state.store
    if store is None:
        return
    seen = 0  # unreadable now: read from the start; the loop says why
    with contextlib.suppress(Exception):
        seen = int((await last_state(store)).get("id", 0))
    failing = False
    while True:
        await asyncio.sleep(poll_s)  # wall time: a simulated clock must not wait on this
        try:
            rows = await store.events_after(TRADING_STATE, seen)
        except Exception as e:  # a history that cannot be read is said once, then retried
            if not failing:
                state.log("error", f"kills from other processes not read: {type(e).__name__}: {e}")
            failing = True
            continue
        failing = False
        for row in rows:
            seen = max(seen, int(row["id"]))
            found = row.get("payload")
            payload: dict[str, Any] = found if isinstance(found, dict) else {}
            origin = str(payload.get("origin") or payload.get("session") or "")
            if not origin or state.session in (origin, payload.get("session")):
                continue  # ours, another's echo of our own kill, or not written by an engine
            if payload.get("new") == TradingState.HALTED and (
                state.risk.state is not TradingState.HALTED
            ):
                why = str(payload.get("reason") or "kill switch").split(" (from ")[0]
                await kill(f"{why} (from {origin} on this history)", origin)
