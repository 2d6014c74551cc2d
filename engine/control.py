"""Trading-state control of the Engine: the kill switch, reset, state changes, venue connectivity."""

from __future__ import annotations

import asyncio
import contextlib
import time

from engine.child_orders import ChildOrders
from engine.events import AlertRaised, KillReport, TradingStateChanged, VenueStateChanged
from engine.models import InputError, OrderStatus, TradingState
from engine.risk.killswitch import cancel_everywhere
from engine.stops import StopSet

KILL_SETTLE_S = 0.05  # wall time the kill waits for stopped parents to close; never blocks longer
KILL_RETRY_S = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)  # waits between follow-up rounds, then 30 s
KILL_RETRY_FOR_S = 600.0  # after this the trader is told what is still unconfirmed
STORE_SAY_EVERY_S = 10.0  # a failing store is logged at most this often after the first time


class TradingControl(ChildOrders):
    """HALT and resume; split out of the Engine so the kill path reads on its own."""

    venue_connected: dict[str, bool]
    _tasks: dict[str, asyncio.Task[None]]
    _stopped: StopSet
    _kill_followup: asyncio.Task[None] | None
    store_failure: str
    _store_said: float = 0.0  # monotonic time the last store failure was logged

    async def kill(self) -> KillReport:
        """HALT, stop every algorithm, cancel every open order on every venue concurrently."""
        t0 = time.perf_counter()
        self.set_state(TradingState.HALTED, "kill switch")
        running = [pid for pid, t in self._tasks.items() if not t.done()]
        for pid in running:
            self.parents[pid].reason = self.parents[pid].reason or "halted by kill switch"
        self._stopped.mark(self.parents)  # every parent is stopped from here on
        open_children = [
            c
            for c in self.children.values()
            if c.status
            in (OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_FILLED, OrderStatus.PENDING)
        ]
        for c in open_children:
            c.cancel_requested = True  # a submit still in flight stops retrying and is cancelled
        # the algorithms are woken after the venues have the cancels, so 1,000 legs cancelling
        # their own children one by one never crowd out the venue-wide cancel
        cancelled, failed = await cancel_everywhere(self.brokers, open_children)
        cancel_ms = (time.perf_counter() - t0) * 1000
        self._stopped.wake(self.parents)  # every sleeping leg: no slice interval to wait out
        for c in cancelled:
            self._mark_cancelled(c, "kill switch")
        # each parent closes (status stored, ParentCompleted published) before the report
        if running:
            await asyncio.wait([self._tasks[pid] for pid in running], timeout=KILL_SETTLE_S)
        report = KillReport(
            self.clock.now(),
            len(cancelled),
            tuple(failed),
            (time.perf_counter() - t0) * 1000,
            len(running),
            cancel_ms=cancel_ms,
        )
        self._said(report)
        if self.store is not None:
            with contextlib.suppress(Exception):  # a failed write is reported by the store itself
                await self.store.flush()  # the history says halted as soon as the screen does
        if failed:
            if self._kill_followup is not None:
                self._kill_followup.cancel()
            self._kill_followup = asyncio.get_running_loop().create_task(
                self._follow_up(failed), name="kill-follow-up"
            )
        return report

    async def _follow_up(self, failed: list[tuple[str, str]]) -> None:
        """Keep cancelling what the kill could not confirm, venue by venue, while HALTED."""
        t0, rounds = time.monotonic(), 0
        while failed and self.risk.state is TradingState.HALTED:
            if time.monotonic() - t0 > KILL_RETRY_FOR_S:
                self.log("error", f"kill: still unconfirmed after {KILL_RETRY_FOR_S:g} s: {failed}")
                return
            await asyncio.sleep(KILL_RETRY_S[min(rounds, len(KILL_RETRY_S) - 1)])
            rounds += 1
            venues = self._venues_of(failed)
            live = [c for c in self.children.values() if c.status.is_open and c.venue in venues]
            t1 = time.perf_counter()
            cancelled, failed = await cancel_everywhere(
                {v: b for v, b in self.brokers.items() if v in venues}, live
            )
            for c in cancelled:
                self._mark_cancelled(c, "kill switch (confirmed on retry)")
            self._said(
                KillReport(
                    self.clock.now(),
                    len(cancelled),
                    tuple(failed),
                    (time.perf_counter() - t1) * 1000,
                    followup=rounds,
                )
            )

    def _venues_of(self, failed: list[tuple[str, str]]) -> set[str]:
        """The venues to ask again: a child's, a named venue, or every venue for an order the
        sweep found whose venue the engine does not know."""
        venues: set[str] = set()
        for who, _ in failed:
            c = self.children.get(who)
            venues |= {c.venue} if c else {who} if who in self.brokers else set(self.brokers)
        return venues

    def _said(self, report: KillReport) -> None:
        """A kill or a follow-up round: on screen, in the log file and in the history."""
        self.publish(report)
        if self.store is not None:
            self.store.record_event(
                ts=self.clock.now(),
                kind="kill_followup" if report.followup else "kill",
                payload={
                    "round": report.followup,
                    "cancelled": report.cancelled,
                    "failed": list(report.failed),
                    "elapsed_ms": report.elapsed_ms,
                },
            )

    def _store_failed(self, error: BaseException) -> None:
        """The history file would not take a write: said once loudly, then kept as the reason."""
        first = not self.store_failure
        self.store_failure = self.store_failure or str(error)
        now = time.monotonic()
        if first or now - self._store_said >= STORE_SAY_EVERY_S:  # a full disk fails every batch
            self._store_said = now
            self.log("error", f"store write failed: {error}; rows are kept in memory and retried")
        if first:
            self.publish(AlertRaised(self.clock.now(), "store", f"store write failed: {error}"))

    def reset(self, *, confirm: bool) -> None:
        """Back to ACTIVE from HALTED or REDUCING: only with an explicit confirmation."""
        if not confirm:
            raise InputError("confirm", "returning to ACTIVE needs an explicit confirmation")
        self.set_state(TradingState.ACTIVE, "reset by the trader")

    def set_state(self, new: TradingState, reason: str) -> None:
        old = self.risk.state
        if self.risk.set_state(new, reason):
            self.publish(TradingStateChanged(self.clock.now(), old, new, reason))
            if self.store is not None:
                self.store.record_event(
                    ts=self.clock.now(),
                    kind="trading_state",
                    payload={"old": old.value, "new": new.value, "reason": reason},
                )

    def _venue_state(self, venue: str, connected: bool, detail: str) -> None:
        if self.venue_connected.get(venue) != connected:
            self.venue_connected[venue] = connected
            self.publish(VenueStateChanged(self.clock.now(), venue, connected, detail))
            self.log(
                "info" if connected else "error",
                f"{venue}: {'connected' if connected else 'disconnected'} {detail}".strip(),
            )
