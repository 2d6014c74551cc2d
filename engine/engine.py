"""The execution engine's facade: tickets in, child orders out through the risk gate, fills recorded.

The work is done by the parts in engine/execution/ over one EngineState; this class wires them
together and is the only API the console, the CLI and the benches use. No UI.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
from collections.abc import AsyncIterator, Callable, Sequence
from decimal import Decimal
from typing import Any

from engine.algos.base import LegState
from engine.algos.guardrail import Guardrail
from engine.api import ExecutionReport, Plan, Preview
from engine.brokers.base import Broker, VenueUnavailable
from engine.brokers.native import OCA_GROUP
from engine.clock import Clock
from engine.config import Settings
from engine.events import Event, EventBus, KillReport, ParentCompleted, VenueStateChanged
from engine.execution import reports, views
from engine.execution.control import KillSwitch
from engine.execution.desk import ChildDesk
from engine.execution.exit_pair import ExitPair
from engine.execution.exits import ExitDesk
from engine.execution.fill_follow import follow_fills
from engine.execution.guardrail import restore_switch_off, wire_guardrail
from engine.execution.halt_watch import watch_halts
from engine.execution.journal import Journal
from engine.execution.launch import Launcher
from engine.execution.logfile import LogFile, attach_log_file, log_path_for
from engine.execution.modes import FlattenLine, FlattenReport, TradingModes
from engine.execution.state import EngineState
from engine.execution.state_restore import restore_trading_state
from engine.execution.status import TradingStatus
from engine.fill_cursor import FillCursor
from engine.held_store import HeldStore
from engine.history import RecentHistory, load_positions, load_recent
from engine.models import (
    ChildOrder,
    InputError,
    Instrument,
    NoVenueConnected,
    ParentOrder,
    Quote,
    Ticket,
    TradingState,
)
from engine.positions import PositionBook
from engine.quality import QualityTracker
from engine.quotes import MarketState
from engine.recovery.reconcile import Parts, RecoveryReport, recover
from engine.risk.gate import RiskGate
from engine.routing.plan import plan_ticket, preview_ticket
from engine.routing.plan_check import PlanStale, plan_changes
from engine.sim.data.recorder import RecorderTask, start_recording
from engine.store import Store
from engine.store.owner import owned_elsewhere
from engine.store.writer import StoreError


class Engine:
    """An asyncio object with a small public API; the console and the CLI use nothing else."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        brokers: dict[str, Broker],
        store: Store | None = None,
    ) -> None:
        bus = EventBus()
        held = HeldStore(store, clock) if store is not None else None
        simulated = settings.broker.provider in ("simulated", "paper")
        self.state = s = EngineState(
            settings=settings,
            clock=clock,
            brokers=brokers,
            store=held,
            bus=bus,
            risk=RiskGate(settings.risk, clock),
            market=MarketState(brokers, clock, bus.publish, settings.broker.probe_timeout_s),
            quality=QualityTracker(settings.quality, store, bus.publish, clock),
            venue_connected=dict.fromkeys(brokers, False),
            # quotes kept fresh on a live clock: the simulated symbols, then what the trader asks for
            watched=set(settings.sim.symbols) if simulated else set(),
        )
        self.status = TradingStatus(s)
        if store is not None:
            store.on_error = self.status.store_failed  # said where the trader looks
        self.journal = Journal(s)  # one durable transaction per instant's new orders
        self.desk = ChildDesk(s, self.status, self.journal)
        self.launcher = Launcher(s, self.desk)
        self.kill_switch = KillSwitch(s, self.desk, self.status)
        self.exits = ExitDesk(
            s, self.submit, self.desk, self.journal
        )  # OCO exits: native or emulated
        self.modes = TradingModes(s, self.status, self.kill_switch, self.submit)
        self._sweeps: set[asyncio.Task[object]] = set()
        wire_guardrail(s)
        self.recovery: RecoveryReport | None = None  # the last recovery's report
        self.log_file: LogFile | None = None  # opened by start() when there is a store
        self._poller: asyncio.Task[None] | None = None
        self._halt_watch: asyncio.Task[None] | None = None  # kills from other processes
        self._fill_follow: asyncio.Task[None] | None = None  # their fills, into our positions
        self._fill_cursor = FillCursor()
        self.recorder: RecorderTask | None = None
        self._seq = 0

    # -- the state, read by the console and the CLI ------------------------------------

    @property
    def clock(self) -> Clock:
        return self.state.clock

    @property
    def brokers(self) -> dict[str, Broker]:
        return self.state.brokers

    @property
    def store(self) -> HeldStore | None:
        return self.state.store

    @property
    def bus(self) -> EventBus:
        return self.state.bus

    @property
    def risk(self) -> RiskGate:
        return self.state.risk

    @property
    def market(self) -> MarketState:
        return self.state.market

    @property
    def quality(self) -> QualityTracker:
        return self.state.quality

    @property
    def guardrail(self) -> Guardrail:
        return self.state.guardrail

    @property
    def parents(self) -> dict[str, ParentOrder]:
        return self.state.parents

    @property
    def children(self) -> dict[str, ChildOrder]:
        return self.state.children

    @property
    def legs(self) -> dict[str, list[LegState]]:
        return self.state.legs

    @property
    def positions(self) -> dict[str, Decimal]:
        return self.state.positions

    @property
    def position_book(self) -> PositionBook:
        return self.state.position_book

    @property
    def history(self) -> RecentHistory:
        return self.state.history

    @property
    def venue_connected(self) -> dict[str, bool]:
        return self.state.venue_connected

    @property
    def venue_errors(self) -> dict[str, str]:
        return self.state.venue_errors

    @property
    def venue_latency_s(self) -> dict[str, float]:
        return self.state.venue_latency_s

    @property
    def venue_feeds(self) -> dict[str, dict[str, str]]:
        """Per venue, the state of each streamed capability (live, resync, stale, poll)."""
        return self.state.venue_feeds

    def venue_feed_modes(self) -> dict[str, dict[str, str]]:
        """Per venue, per capability: `stream` or `poll (why)`, as chosen at connect."""
        return {n: b.feeds() for n, b in self.state.brokers.items()}

    def dead_men(self) -> dict[str, str]:
        """Per venue, its dead-man switch ('' when none): the header shows it."""
        return {n: b.dead_man() for n, b in self.state.brokers.items()}

    @property
    def watched(self) -> set[str]:
        return self.state.watched

    @property
    def started(self) -> bool:
        return self.state.started

    @property
    def store_failure(self) -> str:
        return self.state.store_failure

    @property
    def fell_back(self) -> str:
        return self.state.fell_back

    @property
    def fallback(self) -> Callable[[], dict[str, Broker]] | None:
        return self.state.fallback

    @fallback.setter
    def fallback(self, build: Callable[[], dict[str, Broker]] | None) -> None:
        """Paper venues to trade on if no real one connects (broker.fallback: paper)."""
        self.state.fallback = build

    @property
    def trading_state(self) -> TradingState:
        return self.state.risk.state

    # -- events ---------------------------------------------------------------------------
    def subscribe(self) -> asyncio.Queue[Event]:
        return self.state.bus.subscribe()

    def events(self) -> AsyncIterator[Event]:
        return self.state.bus.stream()

    def publish(self, event: Event) -> None:
        self.state.publish(event)

    def log(self, level: str, message: str) -> None:
        self.state.log(level, message)

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        """Open the store and connect every venue concurrently; a venue that fails is reported."""
        s = self.state
        if s.store is not None:
            await s.store.open()
            path = getattr(s.store.inner, "path", None)
            if path is not None:  # reliability: log events to a 0600 file next to the database
                self.log_file = attach_log_file(s, log_path_for(path))
            await self._load_history()
        await self._connect_venues()
        for name, b in s.brokers.items():
            b.on_update(self.desk.on_update)
            b.on_state(functools.partial(self.status.venue_state, name))
            b.on_quote(s.market.push)  # streamed books reach the engine as they change
            b.on_feed(functools.partial(self.status.feed_state, name))
        s.started = True
        await restore_switch_off(s)
        await restore_trading_state(s)  # a kill holds across a restart, before anything resumes
        # reliability: reconcile what the journal says was live before anything new is sent
        if s.store is not None and s.settings.recovery.on_start:
            await self.recover(at_start=True)
        if s.store is not None:
            for pair in await self.exits.restore():
                self.log("warning", f"{pair.exit_id}: protective exit re-armed from the journal")
        if not s.clock.simulated:  # a simulated clock would never stop advancing for a poller
            self._poller = asyncio.get_running_loop().create_task(views.poll_quotes(s))
        if s.store is not None:  # a kill in another process on this history halts this one
            self._halt_watch = asyncio.get_running_loop().create_task(
                watch_halts(s, self.kill), name="halt-watch"
            )
            self._fill_follow = asyncio.get_running_loop().create_task(
                follow_fills(s, self._fill_cursor), name="fill-follow"
            )
        if s.settings.record.enabled:  # every quote received, replayable with --replay
            self.recorder = start_recording(s.settings.record, s.bus)

    async def _connect_venues(self) -> None:
        """Every venue at once; paper if none connects and that is configured; else an error."""
        s = self.state
        limit = s.settings.broker.connect_timeout_s

        async def connect(name: str, b: Broker) -> None:
            try:
                try:
                    await asyncio.wait_for(b.connect(), limit)
                except TimeoutError:
                    raise VenueUnavailable(name, f"no answer within {limit:g} s") from None
                s.venue_connected[name] = True
                s.publish(VenueStateChanged(s.clock.now(), name, True, "connected"))
            except Exception as e:  # a venue that cannot connect must not stop the others
                why = getattr(e, "message", str(e))
                s.venue_connected[name] = False
                s.venue_errors[name] = f"{name}: {why}"
                s.publish(VenueStateChanged(s.clock.now(), name, False, why))
                s.log("error", f"{name}: cannot connect: {why}")

        await asyncio.gather(*(connect(n, b) for n, b in s.brokers.items()))
        if s.fallback is not None and not any(s.venue_connected.values()):
            failed = ", ".join(s.brokers)
            s.brokers.clear()
            s.brokers.update(s.fallback())
            s.venue_connected.clear()
            s.venue_connected.update(dict.fromkeys(s.brokers, False))
            s.log("warning", f"no real venue connected ({failed}): falling back to PAPER trading")
            await asyncio.gather(*(connect(n, b) for n, b in s.brokers.items()))
            s.fell_back = failed
        if s.settings.broker.provider in ("ccxt", "ibkr") and not any(s.venue_connected.values()):
            why = "; ".join(s.venue_errors.get(n, "not connected") for n in s.brokers)
            await self.stop()  # store and sessions closed: the caller gets the error, nothing leaks
            raise NoVenueConnected(
                "broker.venues",
                f"no venue connected ({why or 'none configured'}); nothing was sent. "
                "Set broker.fallback: paper to trade on paper instead",
            )

    async def recover(self, **options: Any) -> RecoveryReport:
        """Reconcile journalled parents and children with their venues; see engine/recovery/."""
        self.recovery = await recover(Parts(self.state, self.desk, self.launcher), **options)
        return self.recovery

    async def _load_history(self) -> None:
        """Positions and recent panes from the store; a history that cannot be read is said, not fatal."""
        s = self.state
        assert s.store is not None
        try:
            s.positions.update(
                await load_positions(s.store, s.position_book, self._fill_cursor, owned_elsewhere)
            )
            s.history = await load_recent(s.store)
        except Exception as e:  # an unreadable history must not stop trading; the log says why
            s.log("error", f"fill history not loaded: {type(e).__name__}: {e}")

    async def stop(self) -> None:
        s = self.state
        s.started = False
        for task in (self._poller, self._halt_watch, self._fill_follow):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if self.recorder is not None:
            await self.recorder.stop()
        await self.kill_switch.close()
        await self.exits.close()  # armed exits stay armed in the journal for the next start
        for t in list(self._sweeps):
            t.cancel()
        await asyncio.gather(*self._sweeps, return_exceptions=True)
        for pid in list(s.tasks):
            s.stopped.add(pid)
        await self._cancel_open_children()
        tasks = [t for t in s.tasks.values() if not t.done()]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for b in s.brokers.values():
            try:
                await b.close()
            except Exception as e:
                s.log("warning", f"{b.name}: close failed: {e}")
        if self.log_file is not None:
            await self.log_file.close()
            self.log_file = None
        if s.store is not None:
            try:
                await s.store.close()
            except StoreError as e:  # the rows are spilled beside the file; the caller says so
                self.status.store_failed(e)
                s.store_failure = str(e)

    async def _cancel_open_children(self) -> None:
        """An orderly stop leaves no order of ours resting unattended on a venue."""
        s = self.state
        live = [c for c in s.children.values() if c.status.is_open and OCA_GROUP not in c.meta]
        if not live:  # a native exit's legs stay: the venue protects the position without us
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*(self.desk.cancel_child(c) for c in live), return_exceptions=True),
                s.settings.broker.submit_timeout_s,
            )
        left = [c.client_order_id for c in live if c.status.is_open]
        s.log(
            "warning" if left else "info",
            f"stop: cancelled {len(live) - len(left)} open orders"
            + (f"; still open (venue did not answer): {', '.join(left)}" if left else ""),
        )

    # -- orders ---------------------------------------------------------------------------
    async def preview(
        self, ticket: Ticket, *, cash: Decimal | None = None, equity: Decimal | None = None
    ) -> Preview:
        """What sending `ticket` now would do; bad fields come back in `errors`, never raised."""
        return await preview_ticket(self.state, ticket, cash=cash, equity=equity)

    async def plan(self, ticket: Ticket) -> Plan:
        """The plan `submit` would run for `ticket` now; raises InputError naming a bad field."""
        return await plan_ticket(self.state, ticket)

    async def submit(self, ticket: Ticket, plan: Plan | None = None) -> str:
        """Accept a parent and start its legs; raises InputError for a ticket that cannot trade.

        With `plan` (a preview's, as the trader confirmed it) the legs are sent exactly as planned;
        if the market moved past tolerance, PlanStale says what changed and nothing is sent.
        """
        s = self.state
        if s.risk.state is TradingState.HALTED:
            raise InputError(
                "trading_state",
                f"trading is HALTED ({s.risk.state_reason}): reset before sending orders "
                "(ctrl+r in the console, or `tranche reset --yes`)",
            )
        if s.risk.state is TradingState.PAUSED:
            raise InputError("trading_state", "trading is PAUSED: resume before sending orders")
        if plan is None:
            plan = await plan_ticket(s, ticket)
        else:
            if plan.ticket != ticket:
                raise InputError("plan", "was made for another ticket: preview this one first")
            changes = await plan_changes(s, plan)
            if changes:
                raise PlanStale(changes)
            if s.risk.state is TradingState.HALTED:  # a kill while the venues were asked
                raise InputError("trading_state", "trading is HALTED: reset before sending orders")
        parent = self._new_parent(plan)
        pid = parent.parent_id
        s.parents[pid] = parent  # a kill while the journal is written stops this parent too
        if s.store is not None:
            try:
                await self.journal.parent(parent)
            except StoreError as e:  # never trade what the history cannot hold
                del s.parents[pid]
                self.status.store_failed(e)
                raise StoreError(
                    f"nothing was sent: the order could not be journalled: {e}"
                ) from None
        self.launcher.launch(
            parent, [(leg.venue, leg.quantity) for leg in plan.legs], plan.leg_algo
        )
        return pid

    async def submit_batch(self, tickets: Sequence[Ticket]) -> list[str]:
        """Several parents at one instant (a basket): every ticket is planned first, so one that
        cannot trade is refused (InputError naming `tickets[i]`) before anything is sent; then
        all are journalled in one durable transaction and started together."""
        s = self.state
        # the first ticket of each symbol alone, so the learned figures it reads are cached
        # before the rest ask for them at once (else every ticket reads the same figures)
        first = list({t.symbol: i for i, t in reversed(list(enumerate(tickets)))}.values())
        results: dict[int, Plan | BaseException] = {}
        for i in first:
            try:
                results[i] = await plan_ticket(s, tickets[i])
            except Exception as e:
                results[i] = e
        rest = [i for i in range(len(tickets)) if i not in results]
        done = await asyncio.gather(
            *(plan_ticket(s, tickets[i]) for i in rest), return_exceptions=True
        )
        results.update(zip(rest, done, strict=True))
        plans: list[Plan] = []
        for i, r in sorted(results.items()):
            if isinstance(r, InputError):
                raise InputError(f"tickets[{i}].{r.field}", r.message) from None
            if isinstance(r, BaseException):
                raise r
            plans.append(r)
        if s.risk.state is TradingState.HALTED:  # also a kill while the venues were asked
            raise InputError("trading_state", "trading is HALTED: reset before sending orders")
        parents = [self._new_parent(p) for p in plans]
        for parent in parents:
            s.parents[parent.parent_id] = parent
        if s.store is not None:
            try:
                await asyncio.gather(*(self.journal.parent(p) for p in parents))
            except StoreError as e:
                for parent in parents:
                    s.parents.pop(parent.parent_id, None)
                self.status.store_failed(e)
                raise StoreError(
                    f"nothing was sent: the batch could not be journalled: {e}"
                ) from None
        for parent, plan in zip(parents, plans, strict=True):
            legs = [(leg.venue, leg.quantity) for leg in plan.legs]
            self.launcher.launch(parent, legs, plan.leg_algo)
        return [p.parent_id for p in parents]

    def _new_parent(self, plan: Plan) -> ParentOrder:
        """A parent with an id unique across processes and restarts."""
        s = self.state
        self._seq += 1
        pid = f"P{int(s.clock.now() * 1000):x}{os.urandom(2).hex()}{self._seq:03d}"
        parent = ParentOrder(pid, plan.ticket, plan.algo, plan.arrival_mid, s.clock.now())
        if plan.estimate is not None:  # kept with the parent: the report checks it afterwards
            e = plan.estimate.chosen
            parent.estimate_bps = (e.mean_bps, e.low_bps, e.high_bps)
        return parent

    async def wait(self, parent_id: str) -> ExecutionReport:
        await self.state.done[parent_id].wait()
        return self.report(parent_id)

    async def cancel(self, parent_id: str) -> None:
        """Stop a parent's algorithms and cancel its open children."""
        s = self.state
        if parent_id not in s.parents:
            raise InputError("parent_id", f"unknown parent {parent_id!r}")
        s.stopped.add(parent_id)
        await asyncio.gather(
            *(
                self.desk.cancel_child(c)
                for c in s.children.values()
                if c.parent_id == parent_id and c.status.is_open
            )
        )

    async def kill(self, reason: str = "kill switch", origin: str = "") -> KillReport:
        """HALT, stop every algorithm, cancel every open order on every venue concurrently;
        protective exits end too (their journal says so). Then (after the report) each venue's
        own open-order list is swept and published (VenuesSwept)."""
        report = await self.kill_switch.kill(reason, origin)  # origin: another process's kill
        await self.exits.cancel(reason)
        task = asyncio.get_running_loop().create_task(self.modes.sweep(), name="kill-sweep")
        self._sweeps.add(task)
        task.add_done_callback(self._sweeps.discard)
        return report

    async def protect(
        self, parent_id: str, *, stop_pct: float | None = None, take_profit_pct: float | None = None
    ) -> ExitPair:
        """Arm an OCO stop-loss / take-profit on what a parent executed (emulated on quotes)."""
        return await self.exits.protect(
            parent_id, stop_pct=stop_pct, take_profit_pct=take_profit_pct
        )

    async def flatten_symbol(self, symbol: str) -> str | None:
        """Exit the symbol's whole position at market through the risk gate; None if flat."""
        return await self.exits.flatten(symbol)

    def pause(self) -> None:
        """PAUSED: nothing new is sent, resting orders stay; `resume()` continues every parent."""
        self.modes.pause()

    def resume(self) -> None:
        self.modes.resume()

    async def flatten_plan(self) -> list[FlattenLine]:
        """What `flatten` would send, with the cost estimate the confirmation shows."""
        return await self.modes.flatten_plan()

    async def flatten(self, *, confirm: bool) -> FlattenReport:
        """Kill, then every position to zero through the risk gate (REDUCING), then HALTED."""
        return await self.modes.flatten(confirm=confirm)

    def reset(self, *, confirm: bool) -> None:
        """Back to ACTIVE from HALTED or REDUCING: only with an explicit confirmation."""
        self.status.reset(confirm=confirm)

    def set_state(self, new: TradingState, reason: str) -> None:
        self.status.set_state(new, reason)

    def watch(self, symbol: str) -> None:
        """Keep this symbol's quotes fresh on every venue that lists it (live clock)."""
        if symbol:
            self.state.watched.add(symbol.strip().upper())

    def watched_symbols(self) -> set[str]:
        return self.state.watched_symbols()

    # -- reads ----------------------------------------------------------------------------
    def is_stopped(self, parent_id: str) -> bool:
        return self.state.is_stopped(parent_id)

    def working_parents(self) -> list[ParentOrder]:
        """Parents whose algorithms still run: a killed or finished parent is not working."""
        return self.state.working_parents()

    async def instrument(self, venue: str, symbol: str) -> Instrument:
        return await self.state.instrument(venue, symbol)

    def steps(self, venue: str, symbol: str) -> tuple[Decimal | None, Decimal | None]:
        """(tick, lot) of an instrument the engine already asked the venue about, else (None, None)."""
        return self.state.steps(venue, symbol)

    def exposure(self, symbol: str) -> Decimal:
        """What the risk gate counts for `symbol`: position plus every open order, signed."""
        return self.state.exposure(symbol)

    def slippage_so_far(self, p: ParentOrder) -> float | None:
        return self.state.slippage_so_far(p)

    def report(self, parent_id: str) -> ExecutionReport:
        return reports.execution_report(self.state, parent_id)

    def position_rows(self) -> dict[str, list[dict[str, Any]]]:
        """The positions pane: per venue and symbol, marked to the engine's latest mid."""
        return reports.position_rows(self.state)

    async def venue_scores(self, symbol: str) -> list[dict[str, Any]]:
        return await views.score_rows(self.state, symbol)

    async def blotter(self, limit: int = 200) -> list[dict[str, Any]]:
        return await views.blotter_rows(self.state, limit)

    async def book(
        self, venue: str, symbol: str, depth: int = 10
    ) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        return await views.book_depth(self.state, venue, symbol, depth)


__all__ = ["Engine", "ParentCompleted", "Quote"]
