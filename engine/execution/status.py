"""Trading state, venue connectivity and store failures: changed in one place, said where the trader looks."""

from __future__ import annotations

import time

from engine.events import AlertRaised, FeedStateChanged, TradingStateChanged, VenueStateChanged
from engine.execution.state import EngineState
from engine.execution.state_restore import TRADING_STATE
from engine.models import InputError, TradingState

STORE_SAY_EVERY_S = 10.0  # a failing store is logged at most this often after the first time


class TradingStatus:
    """HALT and resume, venues coming and going, a history file that will not take a write."""

    def __init__(self, state: EngineState) -> None:
        self.state = state
        self._store_said = 0.0  # monotonic time the last store failure was logged

    def set_state(self, new: TradingState, reason: str, origin: str = "") -> None:
        """`origin`: the session whose kill this follows (another process's), else this one."""
        s = self.state
        old = s.risk.state
        if s.risk.set_state(new, reason):
            s.publish(TradingStateChanged(s.clock.now(), old, new, reason))
            if s.store is not None:
                s.store.record_event(
                    ts=s.clock.now(),
                    kind=TRADING_STATE,
                    payload={
                        "old": old.value,
                        "new": new.value,
                        "reason": reason,
                        "session": s.session,  # other processes on the history tell it apart
                        "origin": origin or s.session,  # whose key it was: never echoed back
                    },
                )

    def reset(self, *, confirm: bool) -> None:
        """Back to ACTIVE from HALTED or REDUCING: only with an explicit confirmation."""
        if not confirm:
            raise InputError("confirm", "returning to ACTIVE needs an explicit confirmation")
        self.set_state(TradingState.ACTIVE, "reset by the trader")

    def store_failed(self, error: BaseException) -> None:
        """The history file would not take a write: said once loudly, then kept as the reason."""
        s = self.state
        first = not s.store_failure
        s.store_failure = s.store_failure or str(error)
        now = time.monotonic()
        if first or now - self._store_said >= STORE_SAY_EVERY_S:  # a full disk fails every batch
            self._store_said = now
            s.log("error", f"store write failed: {error}; rows are kept in memory and retried")
        if first:
            s.publish(AlertRaised(s.clock.now(), "store", f"store write failed: {error}"))

    def venue_state(self, venue: str, connected: bool, detail: str) -> None:
        s = self.state
        if s.venue_connected.get(venue) != connected:
            s.venue_connected[venue] = connected
            s.publish(VenueStateChanged(s.clock.now(), venue, connected, detail))
            s.log(
                "info" if connected else "error",
                f"{venue}: {'connected' if connected else 'disconnected'} {detail}".strip(),
            )

    def feed_state(self, venue: str, capability: str, state: str, detail: str) -> None:
        """A stream went live, resynced, went stale or fell back to polling: on screen and logged."""
        s = self.state
        feeds = s.venue_feeds.setdefault(venue, {})
        if feeds.get(capability) == state:
            return
        feeds[capability] = state
        s.publish(FeedStateChanged(s.clock.now(), venue, capability, state, detail))
        if state != "live":
            s.log("warning", f"{venue}: {capability} feed {state} {detail}".strip())
