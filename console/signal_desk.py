"""The console's side of signals in: starts the engine's signal service, keeps the Signals pane and
answers the trader's accept / reject keys. Trading decisions stay in engine/signals/."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from textual.css.query import NoMatches

from engine.models import InputError
from engine.signals.events import SignalStatus, SignalUpdated
from engine.signals.quotes import take_quotes_from_redis
from engine.signals.service import SignalService
from widgets.signals_pane import SignalsPane

if TYPE_CHECKING:
    from console.app import TrancheApp

RECENT = 50  # outcomes kept on screen below the held signals
OFF = "Signals are off: set signals.redis_url or signals.http_enabled in the configuration"


class SignalsConsole:
    """One per app; `service` exists only when the configuration enables a signal source."""

    def __init__(self, app: TrancheApp) -> None:
        self.app = app
        self.enabled = app.settings.signals.enabled
        self.service: SignalService | None = None
        self.recent: deque[SignalUpdated] = deque(maxlen=RECENT)
        self._queue = app.engine.subscribe() if self.enabled else None
        try:  # before the engine starts: those venues' quotes come from Redis
            take_quotes_from_redis(app.engine.brokers, app.settings.signals)
        except InputError as e:
            app.state.notices.append(("Signals", f"{e.field}: {e.message}", "error"))

    async def start(self) -> None:
        """After the engine started; a source that may not start is said, the console goes on."""
        if not self.enabled:
            return
        service = SignalService(self.app.engine, self.app.settings.signals)
        try:
            await service.start()
        except InputError as e:
            self.app.notify(
                f"{e.field}: {e.message}",
                title="Signals not started",
                severity="error",
                timeout=3600,
            )
            await service.stop()
            return
        self.service = service
        self.paint()

    async def follow(self) -> None:
        """Fold signal events in; a newly held signal is announced with the keys that answer it."""
        assert self._queue is not None
        while True:
            ev = await self._queue.get()
            if not isinstance(ev, SignalUpdated):
                continue
            if ev.status is not SignalStatus.HELD:
                self.recent.appendleft(ev)
            else:
                accept = self.app.key_for("tranche.signal_accept")
                reject = self.app.key_for("tranche.signal_reject")
                self.app.notify(
                    f"{ev.direction} {ev.symbol} {ev.quantity} ({ev.decision}): {ev.reason}\n"
                    f"{accept} accepts, {reject} rejects (Signals tab)",
                    title=f"Signal {ev.signal_id} held",
                )
            self.paint()

    def held(self) -> list[SignalUpdated]:
        return [h.view for h in self.service.desk.held.values()] if self.service else []

    def paint(self) -> None:
        main = self.app.main
        if main is None or not main.is_mounted:
            return
        try:
            main.query_one(SignalsPane).show(self.held(), list(self.recent))
        except NoMatches:  # mid re-layout: the next event paints again
            return

    def target(self) -> str | None:
        """The held signal under the pane's cursor, else the oldest held one."""
        main = self.app.main
        if main is not None:
            try:
                chosen = main.query_one(SignalsPane).selected_id()
            except NoMatches:
                chosen = None
            if chosen:
                return chosen
        held = self.held()
        return held[0].signal_id if held else None

    async def answer(self, accept: bool) -> None:
        if self.service is None:
            self.app.notify(OFF, severity="warning")
            return
        sid = self.target()
        if sid is None:
            self.app.notify("No signal is waiting for confirmation.")
            return
        desk = self.service.desk
        done = await (desk.accept(sid) if accept else desk.reject(sid))
        what = f"{done.status.value}" + (f" as {done.parent_id}" if done.parent_id else "")
        severity = (
            "error" if done.status in (SignalStatus.REFUSED, SignalStatus.FAILED) else "information"
        )
        self.app.notify(
            f"{sid} {what}" + (f": {done.reason}" if done.reason else ""),
            title="Signal",
            severity=severity,
        )
        self.paint()

    async def stop(self) -> None:
        if self.service is not None:
            await self.service.stop()
