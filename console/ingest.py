"""What the console knows, kept in plain dicts and bounded deques; panes repaint from it on a timer."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine.events import (
    AlertRaised,
    ChildUpdated,
    Event,
    FeedStateChanged,
    FillRecorded,
    KillReport,
    LogMessage,
    ParentAccepted,
    ParentCompleted,
    ParentProgress,
    QuoteUpdated,
    RecoveryCompleted,
    RiskDenied,
    TradingStateChanged,
    VenuesSwept,
    VenueStateChanged,
)
from engine.history import RecentHistory
from engine.models import OrderStatus, Quote, TradingState
from engine.numbers import Steps, average, no_steps, quantity

# the kill pane's report and venue sweep: painted at the pane frame, not at once like the state
# (their extra lines re-lay out the screen, which held the frame showing the rows closed)
KILL_REPORT = "kill_report"
# pane names: each event marks the panes that must repaint on the next frame
HEADER, MARKET, PROGRESS, LEGS, SCORES, QUALITY, BLOTTER, LOG, KILL = (
    "header",
    "market",
    "progress",
    "legs",
    "scores",
    "quality",
    "blotter",
    "log",
    "kill",
)


@dataclass(slots=True)
class ParentView:
    """One parent as the engine last described it; leg rows keyed by venue."""

    parent_id: str
    symbol: str
    side: str
    quantity: Any
    algo: str
    arrival_mid: Any
    accepted_ts: float
    status: OrderStatus = OrderStatus.SUBMITTED  # the engine's status; SUBMITTED while working
    filled_qty: Any = 0
    avg_price: Any = None
    slippage_bps: float | None = None
    shortfall_bps: float | None = None
    reason: str = ""
    legs: dict[str, ParentProgress] = field(default_factory=dict)
    leg_plan: tuple[tuple[str, Any], ...] = ()
    children: dict[str, ChildUpdated] = field(default_factory=dict)
    done: bool = False  # the engine said it finished: a partial fill is final then, not working

    @property
    def working(self) -> bool:
        """Its algorithms still run: not finished, filled, cancelled or rejected yet."""
        return not self.done and not self.status.is_terminal

    @property
    def status_text(self) -> str:
        return "working" if self.working else self.status.value


@dataclass(slots=True)
class ConsoleState:
    """Everything the panes render; `apply` is cheap so a burst of events costs no painting."""

    trading_state: TradingState = TradingState.ACTIVE
    state_reason: str = ""
    venues: dict[str, bool] = field(default_factory=dict)
    venue_detail: dict[str, str] = field(default_factory=dict)
    quotes: dict[tuple[str, str], Quote] = field(default_factory=dict)
    quote_seen: dict[tuple[str, str], float] = field(default_factory=dict)  # perf_counter at ingest
    parents: dict[str, ParentView] = field(default_factory=dict)
    fills: deque[FillRecorded] = field(default_factory=lambda: deque(maxlen=2000))
    alerts: deque[AlertRaised] = field(default_factory=lambda: deque(maxlen=200))
    denials: deque[RiskDenied] = field(default_factory=lambda: deque(maxlen=200))
    logs: deque[tuple[float, str, str]] = field(default_factory=lambda: deque(maxlen=1000))
    log_seq: int = 0  # total log lines ever appended, so the log pane writes only new ones
    last_kill: KillReport | None = None
    last_sweep: VenuesSwept | None = None  # each venue's own open-order list after a kill
    feeds: dict[str, str] = field(default_factory=dict)  # venue -> book feed state
    last_recovery: RecoveryCompleted | None = None
    notices: deque[tuple[str, str, str]] = field(default_factory=lambda: deque(maxlen=50))
    engine_now: float = 0.0
    dirty: set[str] = field(default_factory=set)
    steps: Steps = no_steps  # (venue, symbol) -> (tick, lot), the engine's once it runs

    def figures(self, p: ParentView, qty: Any, avg: Any = None) -> str:
        """`qty @ avg` at the parent's lot and tick, for log lines."""
        venue = p.leg_plan[0][0] if p.leg_plan else next(iter(p.legs), "")
        tick, lot = self.steps(venue, p.symbol)
        return quantity(qty, lot) + (f" @ {average(avg, tick)}" if avg is not None else "")

    def log(self, ts: float, level: str, message: str) -> None:
        self.logs.append((ts, level, message))
        self.log_seq += 1
        self.dirty.add(LOG)

    def apply(self, ev: Event) -> None:
        """Fold one engine event into the state and mark the panes it touches."""
        self.engine_now = max(self.engine_now, ev.ts)
        if isinstance(ev, QuoteUpdated):
            key = (ev.quote.venue, ev.quote.symbol)
            self.quotes[key] = ev.quote
            self.quote_seen[key] = time.perf_counter()
            self.dirty.add(MARKET)
        elif isinstance(ev, ParentProgress):
            p = self.parents.get(ev.parent_id)
            if p is not None:
                p.legs[ev.leg or "-"] = (
                    ev  # the figures are the parent's; slice counters are the leg's
                )
                p.filled_qty, p.avg_price, p.slippage_bps = (
                    ev.filled_qty,
                    ev.avg_price,
                    ev.slippage_bps,
                )
                self.dirty.add(PROGRESS)
        elif isinstance(ev, ChildUpdated):
            p = self.parents.get(ev.parent_id)
            if p is not None:
                p.children[ev.client_order_id] = ev
            self.dirty.update((PROGRESS, BLOTTER))
        elif isinstance(ev, FillRecorded):
            self.fills.append(ev)
            p = self.parents.get(ev.parent_id)
            if p is not None:  # the parent row moves on every fill, not at the next slice
                before = Decimal(p.filled_qty)
                filled = before + ev.quantity
                paid = (
                    Decimal(p.avg_price) * before if p.avg_price is not None else 0
                ) + ev.quantity * ev.price
                p.filled_qty, p.avg_price = filled, paid / filled
                p.slippage_bps = slippage_bps(p.side, p.avg_price, p.arrival_mid)
            self.dirty.update((QUALITY, SCORES, BLOTTER, PROGRESS))
        elif isinstance(ev, ParentAccepted):
            self.parents[ev.parent_id] = ParentView(
                ev.parent_id,
                ev.symbol,
                ev.side.value,
                ev.quantity,
                ev.algo,
                ev.arrival_mid,
                ev.ts,
                leg_plan=ev.legs,
            )
            qty = self.figures(self.parents[ev.parent_id], ev.quantity)
            self.log(
                ev.ts,
                "info",
                f"accepted {ev.parent_id}: {ev.side.value} {qty} {ev.symbol} ({ev.algo})",
            )
            self.dirty.update((PROGRESS, BLOTTER))
        elif isinstance(ev, ParentCompleted):
            p = self.parents.get(ev.parent_id)
            if p is not None:
                p.status, p.filled_qty, p.avg_price, p.reason = (
                    ev.status,
                    ev.filled_qty,
                    ev.avg_price,
                    ev.reason,
                )
                p.shortfall_bps = ev.shortfall_bps
                p.done = True
            done = self.figures(p, ev.filled_qty, ev.avg_price) if p is not None else ""
            self.log(
                ev.ts,
                "info",
                f"{ev.parent_id} {ev.status.value}: filled {done}"
                + (f": {ev.reason}" if ev.reason else ""),
            )
            self.dirty.update((PROGRESS, BLOTTER, QUALITY))
        elif isinstance(ev, TradingStateChanged):
            self.trading_state, self.state_reason = ev.new, ev.reason
            self.log(
                ev.ts,
                "warning",
                f"trading state {ev.old.value.upper()} -> {ev.new.value.upper()}: {ev.reason}",
            )
            self.dirty.update((HEADER, KILL))
        elif isinstance(ev, KillReport):
            self.last_kill = ev
            failed = "; ".join(f"{who}: {why}" for who, why in ev.failed) or "none"
            self.log(
                ev.ts,
                "warning",
                (f"kill retry {ev.followup}: confirmed" if ev.followup else "kill: cancelled")
                + f" {ev.cancelled}, failed {failed}, {ev.elapsed_ms:.1f} ms",
            )
            self.dirty.add(KILL_REPORT)
        elif isinstance(ev, FeedStateChanged):
            if ev.capability == "book":
                self.feeds[ev.venue] = ev.state
                self.dirty.add(MARKET)
            if ev.state != "live":
                self.log(
                    ev.ts, "warning", f"{ev.venue}: {ev.capability} feed {ev.state} {ev.detail}"
                )
        elif isinstance(ev, VenuesSwept):
            self.last_sweep = ev
            said = "; ".join(f"{v}: {why}" for v, why in ev.venues)
            self.log(ev.ts, "info" if ev.clean else "error", f"venues swept: {said}")
            self.dirty.add(KILL_REPORT)
        elif isinstance(ev, VenueStateChanged):
            self.venues[ev.venue] = ev.connected
            self.venue_detail[ev.venue] = ev.detail
            self.dirty.add(HEADER)
        elif isinstance(ev, AlertRaised):
            self.alerts.append(ev)
            self.log(ev.ts, "warning", f"alert {ev.kind}: {ev.message}")
            self.notices.append((f"alert: {ev.kind}", ev.message, "warning"))
            self.dirty.add(QUALITY)
        elif isinstance(ev, RecoveryCompleted):
            self.last_recovery = ev
            if ev.parents or ev.orphans or ev.failed:
                text = recovery_summary(ev)
                bad = bool(ev.orphans or ev.failed)
                self.log(ev.ts, "warning" if bad else "info", f"recovered: {text}")
                self.notices.append(
                    ("recovered after restart", text, "warning" if bad else "information")
                )
        elif isinstance(ev, RiskDenied):
            self.denials.append(ev)
            self.log(
                ev.ts,
                "warning",
                f"risk denied {ev.client_order_id} on {ev.venue}: {ev.check}: {ev.reason}",
            )
        elif isinstance(ev, LogMessage):
            self.log(ev.ts, ev.level, ev.message)

    def load_history(self, hist: RecentHistory) -> None:
        """The store's recent fills, alerts and finished parents, behind anything already live."""
        self.fills = deque([*hist.fills, *self.fills], maxlen=self.fills.maxlen)
        self.alerts = deque([*hist.alerts, *self.alerts], maxlen=self.alerts.maxlen)
        for row, done in zip(hist.parents, hist.completions, strict=True):
            if done.parent_id in self.parents:
                continue  # recovered or already reported in this session
            self.parents[done.parent_id] = ParentView(
                done.parent_id,
                row["symbol"],
                row["side"],
                row["quantity"],
                row["algo"],
                row["arrival_mid"],
                float(row["created_ts"]),
                status=done.status,
                filled_qty=done.filled_qty,
                avg_price=done.avg_price,
                slippage_bps=slippage_bps(row["side"], done.avg_price, row["arrival_mid"]),
                shortfall_bps=done.shortfall_bps,
                reason=done.reason,
                done=True,
            )
        self.dirty.update((QUALITY, PROGRESS, SCORES))

    def take_notices(self, most: int = 3) -> list[tuple[str, str, str]]:
        """Pending toasts, at most `most`: a burst folds its rest into one line, never a wall."""
        out = [self.notices.popleft() for _ in range(min(most, len(self.notices)))]
        if self.notices:
            rest = len(self.notices)
            self.notices.clear()
            out.append((f"{rest} more", "see the alert list and the log pane", "warning"))
        return out

    def take_dirty(self) -> set[str]:
        out, self.dirty = self.dirty, set()
        return out

    def open_children(self) -> list[ChildUpdated]:
        return [
            c
            for p in self.parents.values()
            for c in p.children.values()
            if c.status.is_open or c.status is OrderStatus.PENDING
        ]


def slippage_bps(side: str, avg: Any, mid: Any) -> float | None:
    """Average fill against the arrival mid, bps, positive = worse for the side."""
    if avg is None or not mid:
        return None
    sign = 1 if side == "buy" else -1
    return float((Decimal(avg) - Decimal(mid)) / Decimal(mid) * 10000) * sign


def recovery_summary(ev: RecoveryCompleted) -> str:
    """One line a trader reads after a restart: what was live, what was found, what was done."""
    parts = [
        f"{ev.parents} live parents",
        f"{ev.children_reconciled} children reconciled",
        f"{ev.fills_recovered} missed fills recorded",
        f"resumed {', '.join(ev.resumed) or 'none'}",
        f"cancelled {', '.join(ev.cancelled) or 'none'}",
    ]
    if ev.orphans:
        parts.append("orphan orders " + ", ".join(f"{cid} on {v}" for v, cid in ev.orphans))
    if ev.failed:
        parts.append("not reconciled " + "; ".join(f"{who}: {why}" for who, why in ev.failed))
    return "; ".join(parts)
