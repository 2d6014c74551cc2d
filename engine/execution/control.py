"""The kill switch as the engine runs it: HALT, stop every algorithm, cancel everywhere, follow up."""

from __future__ import annotations

import asyncio
import contextlib
import time

from engine.events import KillReport
from engine.execution.desk import ChildDesk
from engine.execution.state import EngineState
from engine.execution.status import TradingStatus
from engine.models import OrderStatus, TradingState
from engine.risk.killswitch import cancel_everywhere

KILL_SETTLE_S = 0.05  # wall time the kill waits for stopped parents to close; never blocks longer
KILL_RETRY_S = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)  # waits between follow-up rounds, then 30 s
KILL_RETRY_FOR_S = 600.0  # after this the trader is told what is still unconfirmed


class KillSwitch:
    """One key away: what it cancelled is said at once; what it could not is retried until confirmed."""

    def __init__(self, state: EngineState, desk: ChildDesk, status: TradingStatus) -> None:
        self.state = state
        self.desk = desk
        self.status = status
        self.followup: asyncio.Task[None] | None = None

    async def kill(self, reason: str = "kill switch", origin: str = "") -> KillReport:
        """HALT, stop every algorithm, cancel every open order on every venue concurrently."""
        s = self.state
        t0 = time.perf_counter()
        self.status.set_state(TradingState.HALTED, reason, origin)
        running = [pid for pid, t in s.tasks.items() if not t.done()]
        for pid in running:
            s.parents[pid].reason = s.parents[pid].reason or f"halted by {reason}"
        s.stopped.mark(s.parents)  # every parent is stopped from here on
        open_children = [
            c
            for c in s.children.values()
            if c.status
            in (OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_FILLED, OrderStatus.PENDING)
        ]
        for c in open_children:
            c.cancel_requested = True  # a submit still in flight stops retrying and is cancelled
        # the algorithms are woken after the venues have the cancels, so 1,000 legs cancelling
        # their own children one by one never crowd out the venue-wide cancel
        cancelled, failed = await cancel_everywhere(s.brokers, open_children)
        cancel_ms = (time.perf_counter() - t0) * 1000
        s.stopped.wake(s.parents)  # every sleeping leg: no slice interval to wait out
        for c in cancelled:
            self.desk.mark_cancelled(c, "kill switch")
        # each parent closes (status stored, ParentCompleted published) before the report
        if running:
            await asyncio.wait([s.tasks[pid] for pid in running], timeout=KILL_SETTLE_S)
        report = KillReport(
            s.clock.now(),
            len(cancelled),
            tuple(failed),
            (time.perf_counter() - t0) * 1000,
            len(running),
            cancel_ms=cancel_ms,
        )
        self._said(report)
        if s.store is not None:
            with contextlib.suppress(Exception):  # a failed write is reported by the store itself
                await s.store.flush()  # the history says halted as soon as the screen does
        if failed:
            if self.followup is not None:
                self.followup.cancel()
            self.followup = asyncio.get_running_loop().create_task(
                self._follow_up(failed), name="kill-follow-up"
            )
        return report

    async def close(self) -> None:
        if self.followup is not None:
            self.followup.cancel()
            await asyncio.gather(self.followup, return_exceptions=True)

    async def _follow_up(self, failed: list[tuple[str, str]]) -> None:
        """Keep cancelling what the kill could not confirm, venue by venue, while HALTED."""
        s = self.state
        t0, rounds = time.monotonic(), 0
        while failed and s.risk.state is TradingState.HALTED:
            if time.monotonic() - t0 > KILL_RETRY_FOR_S:
                s.log("error", f"kill: still unconfirmed after {KILL_RETRY_FOR_S:g} s: {failed}")
                return
            await asyncio.sleep(KILL_RETRY_S[min(rounds, len(KILL_RETRY_S) - 1)])
            rounds += 1
            venues = self._venues_of(failed)
            live = [c for c in s.children.values() if c.status.is_open and c.venue in venues]
            t1 = time.perf_counter()
            cancelled, failed = await cancel_everywhere(
                {v: b for v, b in s.brokers.items() if v in venues}, live
            )
            for c in cancelled:
                self.desk.mark_cancelled(c, "kill switch (confirmed on retry)")
            self._said(
                KillReport(
                    s.clock.now(),
                    len(cancelled),
                    tuple(failed),
                    (time.perf_counter() - t1) * 1000,
                    followup=rounds,
                )
            )

    def _venues_of(self, failed: list[tuple[str, str]]) -> set[str]:
        """The venues to ask again: a child's, a named venue, or every venue for an order the
        sweep found whose venue the engine does not know."""
        s = self.state
        venues: set[str] = set()
        for who, _ in failed:
            c = s.children.get(who)
            venues |= {c.venue} if c else {who} if who in s.brokers else set(s.brokers)
        return venues

    def _said(self, report: KillReport) -> None:
        """A kill or a follow-up round: on screen, in the log file and in the history."""
        s = self.state
        s.publish(report)
        if s.store is not None:
            s.store.record_event(
                ts=s.clock.now(),
                kind="kill_followup" if report.followup else "kill",
                payload={
                    "round": report.followup,
                    "cancelled": report.cancelled,
                    "failed": list(report.failed),
                    "elapsed_ms": report.elapsed_ms,
                },
            )
