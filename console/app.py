"""The Tranche console: renders what the embedded engine says and sends what the trader asks."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App
from textual.css.query import NoMatches
from textual.worker import Worker, WorkerState

from console import gc_policy
from console.bindings import ACTIONS, PANE_ACTIONS, app_bindings, by_id
from console.flatten_text import flatten_text
from console.ingest import (
    BLOTTER,
    HEADER,
    KILL,
    KILL_REPORT,
    LEGS,
    LOG,
    MARKET,
    PROGRESS,
    QUALITY,
    SCORES,
    ConsoleState,
)
from console.palette import TrancheCommands
from console.screens.confirm import ConfirmModal
from console.screens.help import HelpScreen
from console.screens.main import MainScreen
from console.signal_desk import SignalsConsole
from engine.api import Preview
from engine.clock import Clock
from engine.config import Settings
from engine.engine import Engine
from engine.models import InputError, NoVenueConnected, OrderStatus, Ticket, TradingState
from engine.routing.plan_check import PlanStale
from engine.store.writer import StoreError
from themes import THEME_NAMES, THEMES
from widgets.execution_progress import ExecutionProgress
from widgets.kelly_preview import KellyPreview
from widgets.order_ticket import Draft, OrderTicket

ALL_PANES = {HEADER, MARKET, PROGRESS, BLOTTER, SCORES, QUALITY, LOG, KILL, KILL_REPORT, "legs"}


@dataclasses.dataclass(frozen=True, slots=True)
class Toast:
    """One notification as the trader saw it."""

    title: str
    message: str
    severity: str


class TrancheApp(App[None]):
    CSS_PATH = "tranche.tcss"
    TITLE = "Tranche"
    BINDINGS = app_bindings()
    COMMANDS = App.COMMANDS | {TrancheCommands}

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        coalesce: bool = True,
        fetch_interval_s: float = 1.0,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.engine = engine
        self.state = ConsoleState()
        if hasattr(engine, "steps"):
            self.state.steps = engine.steps  # log lines at the venue's tick and lot
        self.draft = Draft(symbol=settings.sim.symbols[0] if settings.sim.symbols else "")
        self.preview: Preview | None = None
        self.preview_ticket: Ticket | None = None
        self.coalesce = coalesce  # False only to measure per-tick repaint against coalesced repaint
        self.fetch_interval_s = fetch_interval_s
        self.book_venue: str | None = None
        self.scores_rows: list[dict[str, Any]] | None = None
        self.engine_started = asyncio.Event()
        self.exit_reason = ""  # why the console closed itself, printed after it leaves the screen
        self.on_paint: Callable[[set[str]], None] | None = None  # benchmark probe
        self._queue = engine.subscribe()  # before start(): venue connection events are not missed
        self._last_fetch = 0.0
        self._quote_timer: asyncio.TimerHandle | None = None  # the market pane's next frame
        self._quotes_painted = 0.0
        self.main: MainScreen | None = None
        self.toasts: deque[Toast] = deque(maxlen=200)  # every notification shown, newest last
        self.signal_desk = SignalsConsole(self)  # signals in (signals.redis_url / http_enabled)

    # -- start-up -------------------------------------------------------------------------
    def on_mount(self) -> None:
        for theme in THEMES:
            self.register_theme(theme)
        wanted = self.settings.console.theme
        self.theme = (
            wanted if wanted in THEME_NAMES or wanted in self.available_themes else THEME_NAMES[0]
        )
        if wanted != self.theme:
            self.state.log(
                0.0, "warning", f"console.theme: unknown theme {wanted!r}; using {self.theme}"
            )
        self.apply_keymap()
        self.state.venues = dict(self.engine.venue_connected)
        self.main = MainScreen(self.draft, signals=self.signal_desk.enabled)
        self.push_screen(self.main)
        self.set_interval(1 / self.settings.console.refresh_hz, self.repaint)
        self.set_interval(1.0, self._tick)
        self.start_engine()
        self.ingest()

    def apply_keymap(self) -> None:
        """The trader's keys from console.keymap; an id no binding has is named, not ignored."""
        known = {a.id for a in (*ACTIONS, *PANE_ACTIONS)}
        wanted = dict(self.settings.console.keymap)
        unknown = sorted(set(wanted) - known)
        if unknown:
            msg = f"console.keymap: unknown binding id(s) {', '.join(unknown)}; see the help screen (?)"
            self.state.log(0.0, "warning", msg)
            self.state.notices.append(("config", msg, "warning"))
        self.set_keymap({k: v for k, v in wanted.items() if k in known})

    def key_for(self, action_id: str, default: str | None = None) -> str:
        """The key an action answers to now: the trader's keymap, else its default."""
        return self.settings.console.keymap.get(action_id, default or by_id(action_id).key)

    @work(group="engine", exit_on_error=False)
    async def start_engine(self) -> None:
        try:
            await self.engine.start()
        except StoreError as e:  # no history to journal into: nothing may be sent; say why, exit 2
            self.exit_reason = f"tranche: store {e}"
            self.exit(return_code=2, message=self.exit_reason)
            return
        except NoVenueConnected as e:  # said on screen; the console stays up, nothing is sent
            self.state.venues = dict(self.engine.venue_connected)
            self.state.log(self.engine.clock.now(), "error", e.message)
            self.notify(e.message, title="No venue connected", severity="error", timeout=3600)
            self.state.dirty.add(HEADER)
            if self.main is not None and self.main.is_mounted:
                self.main.query_one(OrderTicket).set_submittable(False, "no venue connected")
            return
        if self.engine.fell_back:
            self.notify(
                f"{self.engine.fell_back} did not connect: trading on PAPER (broker.fallback: paper)",
                title="PAPER trading",
                severity="warning",
                timeout=3600,
            )
        self.state.venues = dict(self.engine.venue_connected)
        history = getattr(self.engine, "history", None)
        if history is not None:  # charts, alerts and finished parents start from the store
            self.state.load_history(history)
            await self._learn_steps({r["symbol"] for r in history.parents})
        self.state.dirty.add(HEADER)
        gc_policy.settle()  # start-up's objects live as long as the app: no full sweeps over them
        self.engine_started.set()
        self.start_signals()
        self.request_preview()
        self.fetch_tables()

    async def _learn_steps(self, symbols: set[str]) -> None:
        """Ask a connected venue for each symbol's tick and lot, so history shows at the tick."""
        venues = [v for v, ok in self.engine.venue_connected.items() if ok]
        for symbol in sorted(symbols):
            for venue in venues:
                with contextlib.suppress(Exception):  # an unlisted symbol keeps plain figures
                    await self.engine.instrument(venue, symbol)
                    break

    @work(group="ingest", exit_on_error=False)
    async def ingest(self) -> None:
        """Fold engine events into plain dicts; painting happens on the frame timer, not here."""
        q = self._queue
        while True:
            ev = await q.get()
            self.state.apply(ev)
            if not self.coalesce:  # the naive way, kept to measure against: paint every tick
                self.repaint()
                continue
            while not q.empty():
                self.state.apply(q.get_nowait())
            if MARKET in self.state.dirty:
                self._paint_quotes_soon()
            urgent = self.state.dirty & {HEADER, KILL}
            if self.state.trading_state is not TradingState.ACTIVE:
                urgent |= self.state.dirty & {PROGRESS, LEGS}  # halted rows close with the banner
            if urgent:
                self.repaint(urgent)  # a halt is shown at once, not at the next frame

    def _paint_quotes_soon(self) -> None:
        """Quotes reach the screen within one quote frame (console.quote_refresh_hz), not at the
        next pane frame: one repaint of the market pane however many quotes arrive meanwhile."""
        if self._quote_timer is not None:
            return
        frame = 1 / self.settings.console.quote_refresh_hz
        wait = max(0.0, self._quotes_painted + frame - time.monotonic())
        self._quote_timer = asyncio.get_running_loop().call_later(wait, self._paint_quotes)

    def _paint_quotes(self) -> None:
        self._quote_timer = None
        self._quotes_painted = time.monotonic()
        self.repaint({MARKET})

    def _tick(self) -> None:
        self.state.dirty.add(HEADER)  # the clock
        if any(p.working for p in self.state.parents.values()):
            self.state.dirty.add(PROGRESS)  # the countdown to the next slice ticks
        if self.engine_started.is_set():
            self.fetch_tables()
            self.refresh_preview()

    def refresh_preview(self) -> None:
        """The preview follows the market, not only the keys: quotes, split and size as of now."""
        ticket, _ = self.draft.to_ticket()
        busy = any(w.group == "preview" and not w.is_finished for w in self.workers)
        if ticket is not None and not busy:  # a keystroke's preview in flight is never replaced
            self.run_preview(ticket)

    def notify(  # type: ignore[override]
        self, message: str, *, title: str = "", severity: Any = "information", **kw: Any
    ) -> None:
        """Textual's toast, and a record of it the tests and the bench read."""
        self.toasts.append(Toast(title, str(message), str(severity)))
        super().notify(message, title=title, severity=severity, **kw)

    # -- painting ---------------------------------------------------------------------------
    def on_main_screen_shown(self, _: MainScreen.Shown) -> None:
        self.repaint_all()
        self.signal_desk.paint()

    def repaint_all(self) -> None:
        self.state.dirty |= ALL_PANES
        self.repaint()

    def repaint(self, only: set[str] | None = None) -> None:
        """Paint each dirty pane once from the state, however many events arrived since."""
        main = self.main
        if main is None or not main.is_mounted:
            return
        for title, message, severity in self.state.take_notices():
            self.notify(message, title=title, severity=severity)  # type: ignore[arg-type]
        if only is None:
            dirty = self.state.take_dirty()
        else:
            dirty = self.state.dirty & only
            self.state.dirty -= dirty
        if not dirty:
            return
        from console import painter

        try:
            painter.paint(self, main, dirty)
        except NoMatches:  # mid re-layout or shutting down: the next frame paints again
            self.state.dirty |= dirty
            return
        if {BLOTTER, SCORES} & dirty:
            self.fetch_tables()
        if self.on_paint is not None:
            self.on_paint(dirty)

    # -- preview and submit ---------------------------------------------------------------
    def on_order_ticket_changed(self, _: OrderTicket.Changed) -> None:
        self.request_preview()

    def request_preview(self) -> None:
        ticket, local = self.draft.to_ticket()
        main = self.main
        if ticket is None:
            self.preview, self.preview_ticket = None, None
            self.workers.cancel_group(self, "preview")  # an older ticket's preview must not land
            if main is not None and main.is_mounted:
                main.query_one(OrderTicket).show_errors(local)
                main.query_one(OrderTicket).set_submittable(False, "fix the marked fields")
                with contextlib.suppress(NoMatches):  # no figures for a ticket that is not valid
                    main.query_one(KellyPreview).show(None, "no preview: fix the marked fields")
            return
        self.run_preview(ticket)

    @work(group="preview", exclusive=True, exit_on_error=False)
    async def run_preview(self, ticket: Ticket) -> None:
        """A newer keystroke cancels this one: only the latest ticket's preview is shown."""
        await self.engine_started.wait()
        self.engine.watch(ticket.symbol)  # the Market pane follows the ticket on a live clock
        preview = await self.engine.preview(ticket)
        if self.draft.to_ticket()[0] != ticket:
            return  # the trader typed on: this preview is of a ticket no longer on screen
        self.preview, self.preview_ticket = preview, ticket
        from console import painter

        if self.main is not None:
            with contextlib.suppress(NoMatches):
                painter.paint_preview(self, self.main)

    def on_order_ticket_submit_requested(self, _: OrderTicket.SubmitRequested) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        preview, ticket = self.preview, self.preview_ticket
        current, _ = self.draft.to_ticket()
        if preview is None or ticket is None or not preview.ok or current != ticket:
            self.notify("The ticket is not valid yet: see the marked fields.", severity="warning")
            return
        self.confirm_plan(preview)

    def confirm_plan(self, preview: Preview, changed: str = "") -> None:
        """Ask the trader about this exact plan; yes sends it leg for leg, never a re-plan."""
        from console.confirmation import blocked_reason, confirmation_text

        plan = preview.plan
        if plan is None:
            self.notify("This ticket has no plan to send yet.", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.send_plan(preview)

        body = confirmation_text(preview)
        title = "Send this order?"
        if changed:
            title, body = "The market moved: send this new plan?", f"{changed}\n\nNew plan:\n{body}"
        self.push_screen(ConfirmModal(title, body, blocked=blocked_reason(preview)), answered)

    @work(group="submit", exit_on_error=False)
    async def send_plan(self, preview: Preview) -> None:
        """Send the confirmed plan; if it no longer holds, show what changed and ask again."""
        from console.confirmation import changes_text

        plan = preview.plan
        assert plan is not None
        try:
            pid = await self.engine.submit(plan.ticket, plan)
        except PlanStale as stale:
            # the same quantity on today's market: the trader sees the new legs before anything is sent
            fresh = await self.engine.preview(dataclasses.replace(plan.ticket, size_by_kelly=False))
            fresh = dataclasses.replace(
                fresh, sizing=preview.sizing, sized_by_kelly=preview.sized_by_kelly
            )
            if not fresh.ok or fresh.plan is None:
                reasons = "; ".join(f"{f}: {m}" for f, m in fresh.errors)
                self.notify(
                    f"{changes_text(stale.changes)}\nno new plan: {reasons}",
                    title="Not sent",
                    severity="error",
                )
                return
            self.confirm_plan(fresh, changes_text(stale.changes))
            return
        t = plan.ticket
        self.notify(f"Sent {pid}: {t.side.value} {t.quantity} {t.symbol}", title="Order accepted")

    # -- signals in --------------------------------------------------------------------------
    @work(group="signals", exit_on_error=False)
    async def start_signals(self) -> None:
        await self.signal_desk.start()
        if self.signal_desk.service is not None:
            self.follow_signals()

    @work(group="signals-ingest", exit_on_error=False)
    async def follow_signals(self) -> None:
        await self.signal_desk.follow()

    def action_signal_accept(self) -> None:
        self.answer_signal(True)

    def action_signal_reject(self) -> None:
        self.answer_signal(False)

    @work(group="signal-answer", exit_on_error=False)
    async def answer_signal(self, accept: bool) -> None:
        await self.signal_desk.answer(accept)

    # -- kill switch ------------------------------------------------------------------------
    whatif_algos = ""  # the what-if compares these; empty = the CLI's default list

    def action_whatif_last(self) -> None:
        """The newest finished parent re-run under each algorithm (palette)."""
        done = [p for p in self.engine.parents.values() if p.status.parent_finished]
        if not done:
            self.notify(
                "What-if needs a finished parent (none yet) that ran on a recorded market: "
                "tranche console --replay FILE[,FILE], or tranche whatif PARENT_ID --replay FILE",
                severity="warning",
            )
            return
        self.whatif_parent(max(done, key=lambda p: p.created_ts).parent_id)

    def on_execution_progress_what_if_requested(
        self, event: ExecutionProgress.WhatIfRequested
    ) -> None:
        """The what-if key on the Execution progress table: the parent under the cursor."""
        if event.parent_id is None:
            self.notify("What-if: select a parent in Execution progress first", severity="warning")
            return
        self.whatif_parent(event.parent_id)

    def whatif_parent(self, parent_id: str) -> None:
        """Re-run a finished parent of this session on its recording, or say why it cannot be."""
        from console.screens.whatif import WhatIfModal
        from console.whatif_check import whatif_refusal

        parent = self.engine.parents.get(parent_id)
        why = whatif_refusal(parent_id, parent, self.settings.broker.provider)
        if why is not None:
            self.notify(why, title="What-if", severity="warning")
            return
        modal = WhatIfModal(parent_id)
        self.push_screen(modal)
        self._whatif(parent, list(self.settings.replay.files), modal)

    @work(group="whatif", exclusive=True, exit_on_error=False)
    async def _whatif(self, parent: Any, files: list[str], modal: Any) -> None:
        """In a process of its own (console/whatif_job.py): the screen keeps painting meanwhile."""
        from console.commands.whatif import DEFAULT_ALGOS
        from console.whatif_job import parent_row, run_whatif

        algos = (self.whatif_algos or DEFAULT_ALGOS).split(",")
        try:
            ok, out = await run_whatif(self.settings, parent_row(parent), files, algos)
        except Exception as e:  # the child died: shown where the trader looks
            ok, out = False, f"what-if failed: {e}"
        if ok:
            modal.show(out)
        else:
            modal.failed(out)

    def action_kill(self) -> None:
        self.do_kill()

    def on_kill_switch_kill_requested(self) -> None:
        self.do_kill()

    @work(group="kill", exit_on_error=False)
    async def do_kill(self) -> None:
        report = await self.engine.kill()
        self.state.trading_state = self.engine.trading_state
        self.repaint({HEADER, KILL, PROGRESS, LEGS})
        self.fetch_tables(now=True)  # the blotter re-reads the store now, not at the next second
        failed = f", {len(report.failed)} failed" if report.failed else ""
        self.notify(
            f"HALTED: cancelled {report.cancelled}{failed} in {report.elapsed_ms:.0f} ms",
            severity="error",
            title="Kill switch",
        )

    def action_pause(self) -> None:
        try:
            self.engine.pause()
        except InputError as e:
            self.notify(str(e), severity="warning", title="Not paused")
            return
        self.notify("PAUSED: nothing new is sent; resting orders stay.", title="Pause")

    def action_resume(self) -> None:
        try:
            self.engine.resume()
        except InputError as e:
            self.notify(str(e), severity="warning", title="Not resumed")
            return
        self.notify("ACTIVE: parents continue over their remaining horizon.", title="Resume")

    def action_flatten(self) -> None:
        self.ask_flatten()

    @work(group="flatten", exclusive=True, exit_on_error=False)
    async def ask_flatten(self) -> None:
        plan = await self.engine.flatten_plan()
        if not plan:
            self.notify("No position to flatten.", title="Flatten")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.do_flatten()

        self.push_screen(
            ConfirmModal(
                "Flatten every position?", flatten_text(plan), yes="Yes, flatten", danger=True
            ),
            answered,
        )

    @work(group="kill", exit_on_error=False)
    async def do_flatten(self) -> None:
        report = await self.engine.flatten(confirm=True)
        self.fetch_tables(now=True)
        left = ", ".join(f"{k} {v}" for k, v in report.left.items())
        self.notify(
            f"HALTED: {len(report.parents)} closing orders sent; "
            + (f"still open: {left}" if left else "every position is flat"),
            severity="warning" if left else "information",
            title="Flatten",
        )

    def on_kill_switch_reset_requested(self) -> None:
        self.action_reset()

    def action_reset(self) -> None:
        if self.engine.trading_state is TradingState.ACTIVE:
            self.notify("Trading is already ACTIVE.")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.engine.reset(confirm=True)

        body = f"Trading is {self.engine.trading_state.value.upper()}. Return to ACTIVE and allow new orders?"
        self.push_screen(
            ConfirmModal("Reset the kill switch?", body, yes="Yes, resume", danger=True), answered
        )

    def action_protect(self) -> None:
        done = [
            p
            for p in self.engine.parents.values()
            if p.filled_qty > 0 and p.status is not OrderStatus.SUBMITTED  # finished
        ]
        if not done:
            self.notify("No filled parent to protect.")
            return
        self.protect_parent(max(done, key=lambda p: p.created_ts).parent_id)

    @work(group="exits", exit_on_error=False)
    async def protect_parent(self, parent_id: str) -> None:
        try:
            pair = await self.engine.protect(parent_id)
        except InputError as e:
            self.notify(str(e), severity="error")
            return
        self.notify(
            f"{pair.exit_id}: {pair.side.value} {pair.quantity} {pair.symbol} if the quote reaches "
            f"{pair.stop_price} ({pair.note})"
        )

    def action_flatten_symbol(self) -> None:
        symbol = self.draft.symbol.strip().upper()
        pos = self.engine.positions.get(symbol)
        if not pos:
            self.notify(f"No {symbol or 'symbol'} position to flatten.")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.close_symbol(symbol)

        body = f"Send a market order for {abs(pos)} {symbol} to close the position, and end its protective exits?"
        self.push_screen(
            ConfirmModal(f"Flatten {symbol}?", body, yes="Yes, flatten", danger=True), answered
        )

    @work(group="exits", exit_on_error=False)
    async def close_symbol(self, symbol: str) -> None:
        try:
            pid = await self.engine.flatten_symbol(symbol)
        except InputError as e:
            self.notify(str(e), severity="error")
            return
        self.notify(f"Flatten {symbol}: {pid or 'already flat'}")

    def action_cancel_last(self) -> None:
        working = [p for p in self.state.parents.values() if p.working]
        if not working:
            self.notify("No working parent order.")
            return
        self.cancel_parent(max(working, key=lambda p: p.accepted_ts).parent_id)

    @work(group="cancel", exit_on_error=False)
    async def cancel_parent(self, parent_id: str) -> None:
        await self.engine.cancel(parent_id)
        self.notify(f"Cancel sent for {parent_id}")

    # -- tables fetched from the store --------------------------------------------------------
    def fetch_tables(self, *, now: bool = False) -> None:
        """Re-read the store-backed panes at most once a fetch interval; `now` skips the wait."""
        t = time.monotonic()
        if not now and t - self._last_fetch < self.fetch_interval_s:
            return
        self._last_fetch = t
        self.fetch_store()

    @work(group="store", exclusive=True, exit_on_error=False)
    async def fetch_store(self) -> None:
        from console import painter

        with contextlib.suppress(NoMatches):
            await painter.fetch_and_show(self)

    def on_order_book_venue_chosen(self, event: Any) -> None:
        self.book_venue = event.venue
        self.fetch_tables(now=True)

    # -- navigation, themes, help ------------------------------------------------------------
    def action_show_tab(self, tab: str) -> None:
        if self.main is not None:
            self.main.show_tab(tab)

    def action_focus_ticket(self) -> None:
        if self.main is not None:
            self.main.show_tab("ticket")
            symbol = self.main.query_one("#symbol")
            # focus now, not after the queue: keys typed right after ctrl+t (a Tab, a digit) are
            # already queued and must land in the ticket, never in the field focused before
            self.main.set_focus(symbol)
            if self.main.focused is not symbol:  # not focusable until the tab switch lays out
                symbol.focus()

    def action_toggle_theme(self) -> None:
        self.theme = THEME_NAMES[1] if self.theme == THEME_NAMES[0] else THEME_NAMES[0]

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        """Leaving with parents working asks first: they are cancelled with their open orders."""
        working = self.engine.working_parents()  # a killed parent is closed, not working
        if not working or isinstance(self.screen, ConfirmModal):
            self.exit()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()

        ids = ", ".join(p.parent_id for p in working[:3]) + (" ..." if len(working) > 3 else "")
        body = (
            f"{len(working)} parent order(s) still working ({ids}). Quitting stops their algorithms"
            " and cancels their open orders on every venue."
        )
        self.push_screen(
            ConfirmModal(
                "Quit and cancel working orders?", body, yes="Yes, cancel and quit", danger=True
            ),
            answered,
        )

    async def on_unmount(self) -> None:
        gc_policy.release()
        try:
            await self.signal_desk.stop()
            await self.engine.stop()
        except Exception as e:  # leaving must never print a traceback over the terminal
            self.log.error(f"engine stop failed: {e}")

    # -- errors -------------------------------------------------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Every background failure ends here: a notification and a log line, never a traceback."""
        if event.state is not WorkerState.ERROR:
            return
        err = event.worker.error
        text = (
            f"{err.field}: {err.message}"
            if isinstance(err, InputError)
            else f"{type(err).__name__}: {err}"
        )
        where = event.worker.group or event.worker.name
        if where == "preview":  # a ticket whose preview failed must not stay armed
            self.preview, self.preview_ticket = None, None
            if self.main is not None and self.main.is_mounted:
                with contextlib.suppress(NoMatches):
                    self.main.query_one(OrderTicket).set_submittable(False, "preview failed")
        self.state.log(self.engine.clock.now(), "error", f"{where}: {text}")
        self.notify(text, title=f"{where} failed", severity="error")
        self.state.dirty.add(LOG)


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    clock: Clock | None = None,
    db_path: str | Path | None = None,
    coalesce: bool = True,
) -> TrancheApp:
    """The console on `engine`, or on a fresh engine from settings (simulated venues, live clock)."""
    if engine is None:
        from engine.factory import build_engine, live_clock

        engine = build_engine(settings, clock=clock or live_clock(settings), db_path=db_path)
    return TrancheApp(settings, engine, coalesce=coalesce)
