"""The signal desk: every signal, from any source, journalled once, then executed, held or refused.

The order of checks is the order of trust: a malformed message is dropped with its reason; a
known id is a duplicate (the journal claims each id once, across restarts) and nothing runs;
a stale signal or one arriving while HALTED is refused; then Half-Kelly sizes it through the
engine's own preview (order type, legs, every planned child through the risk gate) and auto mode
sends it within its limits, or it waits for the trader. Only the engine facade is used.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections import deque
from decimal import Decimal

from engine.api import Preview
from engine.config import SignalsConfig
from engine.engine import Engine
from engine.events import TradingStateChanged
from engine.models import InputError, Signal, Ticket, TradingState
from engine.routing.plan_check import PlanStale
from engine.signals.events import SignalLeg, SignalStatus, SignalUpdated
from engine.signals.journal import Journal, MemoryJournal, claim_row
from engine.signals.limits import AutoLimits
from engine.signals.message import SignalIn, parse_signal
from engine.store.writer import StoreError

S = SignalStatus
CENT = Decimal("0.01")


@dataclasses.dataclass(slots=True)
class Held:
    """A signal waiting for the trader, with the preview it was held on."""

    signal: SignalIn
    source: str
    preview: Preview | None
    view: SignalUpdated


def ticket_for(sig: SignalIn) -> Ticket:
    """The signal as a Kelly-sized ticket: the product's Signal carries the edge."""
    m = sig.metadata
    edge = Signal(sig.strength, m.win_rate, m.avg_win_pct, m.avg_loss_pct)
    return Ticket(sig.symbol, sig.side, Decimal(0), edge, size_by_kelly=True)


def describe(preview: Preview) -> dict[str, object]:
    """The figures the pane and the API show for a previewed signal."""
    route, sizing, plan = preview.route, preview.sizing, preview.plan
    return {
        "quantity": preview.quantity,
        "notional": (preview.quantity * plan.arrival_mid).quantize(CENT) if plan else Decimal(0),
        "kelly_fraction": sizing.kelly_fraction if sizing else None,
        "decision": f"{route.order_type.value.upper()} ({route.rule})" if route else "",
        "legs": tuple(SignalLeg(leg.venue, leg.quantity) for leg in preview.legs),
    }


class SignalDesk:
    """Decides every incoming signal; `accept` / `reject` answer the held ones."""

    def __init__(self, engine: Engine, cfg: SignalsConfig, *, mode: str | None = None) -> None:
        self.engine = engine
        self.cfg = cfg
        self.mode = mode or cfg.mode
        self.limits = AutoLimits(cfg, engine.clock)
        self.journal: Journal = engine.store if engine.store is not None else MemoryJournal()  # type: ignore[assignment]
        self.held: dict[str, Held] = {}
        self.recent: deque[SignalUpdated] = deque(maxlen=500)  # newest last
        self._watch: asyncio.Task[None] | None = None

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        """After the engine started: held signals come back; interrupted ones are said, not re-run."""
        for row in await self.journal.signal_rows(status=S.RECEIVED.value, limit=10_000):
            why = "interrupted by a restart before its outcome was journalled (see the blotter)"
            await self._journal(row["signal_id"], S.FAILED, why)
        for row in reversed(await self.journal.signal_rows(status=S.HELD.value, limit=10_000)):
            sig = parse_signal(row["payload"])
            preview = await self._preview(sig)
            held = Held(
                sig,
                row["source"],
                preview,
                self._view(sig, row["source"], S.HELD, row["reason"], preview),
            )
            self.held[sig.id] = held
            self._publish(held.view)
        self._watch = asyncio.get_running_loop().create_task(self._refuse_held_on_halt())

    async def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch

    # -- signals in -----------------------------------------------------------------------
    async def receive(self, raw: str | bytes | dict[str, object], source: str) -> SignalUpdated:
        """One message from a strategy; never raises for bad input (the outcome says why)."""
        now = self.engine.clock.now()
        try:
            sig = parse_signal(raw)
        except InputError as e:
            return self.drop(source, str(e))
        claim = claim_row(sig, source=source, received_ts=now)
        row = await self.journal.claim_signal(**claim)
        if row["claim"] != claim["claim"]:  # someone journalled this id first: never run it again
            why = f"id already received from {row['source']} ({row['status']})"
            return self._publish(self._view(sig, source, S.DUPLICATE, why))
        try:
            return await self._decide(sig, source)
        except Exception as e:  # the id is claimed: a redelivery is a duplicate, so say it here
            why = f"not decided: {type(e).__name__}: {e} (the id will not run again)"
            return await self._final(sig, source, S.FAILED, why)

    def drop(self, source: str, reason: str) -> SignalUpdated:
        """A message that is not a signal: logged with its reason, nothing else happens."""
        self.engine.log("warning", f"signal from {source} dropped: malformed: {reason}")
        return self._publish(
            SignalUpdated(self.engine.clock.now(), "", S.MALFORMED, source, reason=reason)
        )

    async def _decide(self, sig: SignalIn, source: str) -> SignalUpdated:
        refusal = self._refusal(sig)
        if refusal:
            return await self._final(sig, source, S.REFUSED, refusal)
        preview = await self._preview(sig)
        refusal = self._preview_refusal(preview)
        if refusal:
            return await self._final(sig, source, S.REFUSED, refusal, preview)
        figures = describe(preview)
        hold = "awaiting confirmation (signals.mode: confirm)"
        if self.mode == "auto":
            hold = self.limits.hold_reason(sig.symbol, Decimal(str(figures["notional"])))
            if not hold:
                self.limits.executed()  # counted now: concurrent signals cannot all slip under it
                return await self._send(sig, source, preview)
        held = Held(sig, source, preview, self._view(sig, source, S.HELD, hold, preview))
        self.held[sig.id] = held
        await self._journal(sig.id, S.HELD, hold)
        return self._publish(held.view)

    # -- the trader's answers -------------------------------------------------------------
    async def accept(self, signal_id: str) -> SignalUpdated:
        """Send a held signal: still fresh, not HALTED, on its confirmed plan (or a new one to review)."""
        held = self.held.pop(signal_id, None)
        if held is None:
            raise InputError("signal_id", f"no held signal {signal_id!r}")
        sig, source = held.signal, held.source
        refusal = self._refusal(sig)
        if refusal:
            return await self._final(sig, source, S.REFUSED, refusal, held.preview)
        preview = held.preview if held.preview is not None else await self._preview(sig)
        refusal = self._preview_refusal(preview)
        if refusal:
            return await self._final(sig, source, S.REFUSED, refusal, preview)
        return await self._send(sig, source, preview)

    async def reject(self, signal_id: str, reason: str = "rejected by the trader") -> SignalUpdated:
        held = self.held.pop(signal_id, None)
        if held is None:
            raise InputError("signal_id", f"no held signal {signal_id!r}")
        return await self._final(held.signal, held.source, S.REJECTED, reason, held.preview)

    # -- the steps ------------------------------------------------------------------------
    def _refusal(self, sig: SignalIn) -> str:
        """Why no order may come of this signal now, before any sizing."""
        age = self.engine.clock.now() - sig.ts
        limit = self.cfg.max_age_s
        if age > limit:
            return f"stale: {age:.1f} s old (signals.max_age_s {limit:g})"
        if age < -limit:
            return f"ts is {-age:.1f} s in the future: check the strategy's clock"
        if self.engine.trading_state is TradingState.HALTED:
            return "trading is HALTED (kill switch): reset before signals can trade"
        return ""

    async def _preview(self, sig: SignalIn) -> Preview:
        self.engine.watch(sig.symbol)
        return await self.engine.preview(ticket_for(sig))

    @staticmethod
    def _preview_refusal(preview: Preview) -> str:
        if preview.errors:
            return "; ".join(f"{f}: {m}" for f, m in preview.errors)
        if preview.plan is None or preview.quantity <= 0:
            return "Half-Kelly sizes this signal at 0"
        for c in preview.denied:
            return f"risk gate would deny {c.venue} child {c.index}: {c.denied_check}: {c.denied_reason}"
        return ""

    async def _send(self, sig: SignalIn, source: str, preview: Preview) -> SignalUpdated:
        plan = preview.plan
        assert plan is not None
        try:
            pid = await self.engine.submit(plan.ticket, plan)
        except PlanStale as stale:
            fresh = await self._preview(sig)
            why = "the market moved since the preview: " + "; ".join(map(str, stale.changes))
            held = Held(sig, source, fresh, self._view(sig, source, S.HELD, why, fresh))
            self.held[sig.id] = held
            await self._journal(sig.id, S.HELD, why)
            return self._publish(held.view)
        except (InputError, StoreError) as e:
            return await self._final(sig, source, S.FAILED, f"not sent: {e}", preview)
        view = self._view(sig, source, S.EXECUTED, "", preview, parent_id=pid)
        await self._journal(sig.id, S.EXECUTED, "", pid)
        return self._publish(view)

    async def _final(
        self,
        sig: SignalIn,
        source: str,
        status: SignalStatus,
        reason: str,
        preview: Preview | None = None,
    ) -> SignalUpdated:
        level = "warning" if status in (S.REFUSED, S.FAILED) else "info"
        self.engine.log(level, f"signal {sig.id} {status.value}: {reason}")
        await self._journal(sig.id, status, reason)
        return self._publish(self._view(sig, source, status, reason, preview))

    async def _journal(
        self, signal_id: str, status: SignalStatus, reason: str, pid: str = ""
    ) -> None:
        try:
            await self.journal.update_signal(
                signal_id,
                status=status.value,
                reason=reason,
                parent_id=pid,
                ts=self.engine.clock.now(),
            )
        except StoreError as e:  # the claim is durable: the id can never run twice either way
            self.engine.log("error", f"signal {signal_id}: outcome not journalled: {e}")

    def _view(
        self,
        sig: SignalIn,
        source: str,
        status: SignalStatus,
        reason: str,
        preview: Preview | None = None,
        parent_id: str = "",
    ) -> SignalUpdated:
        figures = describe(preview) if preview is not None else {}
        return SignalUpdated(
            self.engine.clock.now(),
            sig.id,
            status,
            source,
            sig.symbol,
            sig.direction,
            sig.strength,
            reason=reason,
            parent_id=parent_id,
            signal_ts=sig.ts,
            **figures,  # type: ignore[arg-type]
        )

    def _publish(self, view: SignalUpdated) -> SignalUpdated:
        self.recent.append(view)
        self.engine.publish(view)
        return view

    async def _refuse_held_on_halt(self) -> None:
        """A kill refuses every held signal: nothing queued before a halt trades after it."""
        queue = self.engine.subscribe()
        while True:
            ev = await queue.get()
            if isinstance(ev, TradingStateChanged) and ev.new is TradingState.HALTED:
                for sid in list(self.held):
                    held = self.held.pop(sid)
                    why = f"trading HALTED while it waited: {ev.reason}"
                    await self._final(held.signal, held.source, S.REFUSED, why, held.preview)
