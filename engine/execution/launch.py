"""Starting a parent's legs: one `launch()` that submit, recovery resume and the benches all use.

Each leg runs its algorithm; a leg whose venue fails moves what is left to the best other venue
(or pauses); once every leg ended, children the venue executed without showing fills are waited
for, and the parent is finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from decimal import Decimal

from engine.algos.base import LegState, LegStatus
from engine.algos.registry import resolve_algo
from engine.brokers.base import BrokerError
from engine.config import Settings
from engine.events import ParentAccepted
from engine.execution.completion import finish_parent
from engine.execution.desk import ChildDesk
from engine.execution.leg import LegRunner
from engine.execution.state import EngineState
from engine.models import ParentOrder, Refusal


class Launcher:
    """Runs parents: their legs, re-routes and completion, as tasks the engine can stop."""

    def __init__(self, state: EngineState, desk: ChildDesk) -> None:
        self.state = state
        self.desk = desk

    def launch(
        self,
        parent: ParentOrder,
        legs: Sequence[tuple[str, Decimal]],
        leg_algo: str,
        *,
        settings: Settings | None = None,
    ) -> asyncio.Task[None]:
        """Register the parent and its (venue, quantity) legs, say so, and start them; `settings`
        carries a resumed parent's shortened schedule."""
        s, pid = self.state, parent.parent_id
        s.parents[pid] = parent
        s.legs[pid] = [LegState(v, q, leg_algo) for v, q in legs if q > 0]
        s.done[pid] = asyncio.Event()
        s.publish(
            ParentAccepted(
                s.clock.now(),
                pid,
                parent.ticket.symbol,
                parent.ticket.side,
                parent.ticket.quantity,
                parent.algo,
                parent.arrival_mid,
                tuple(legs),
            )
        )
        task = asyncio.get_running_loop().create_task(self._run_parent(parent, settings), name=pid)
        s.tasks[pid] = task
        return task

    async def _run_parent(self, parent: ParentOrder, settings: Settings | None) -> None:
        """Run every leg, then finish; an algorithm's bug closes its parent, never the engine."""
        s = self.state
        try:
            await asyncio.gather(
                *(self._run_leg(parent, leg, settings) for leg in s.legs[parent.parent_id])
            )
        except asyncio.CancelledError:
            parent.reason = "stopped"
        except Exception as e:  # an algorithm bug must not take the engine down with it
            parent.reason = f"algorithm error: {type(e).__name__}: {e}"
            s.log("error", f"{parent.parent_id}: {parent.reason}")
        finally:
            with contextlib.suppress(asyncio.CancelledError):
                await self._settle_held(parent)  # executed at a venue, fills not yet seen
            await finish_parent(s, parent)
            s.done[parent.parent_id].set()

    async def _run_leg(self, parent: ParentOrder, leg: LegState, settings: Settings | None) -> None:
        """Run one leg; if its venue goes away, move the rest to the best other venue or pause it."""
        s = self.state
        symbol = parent.ticket.symbol
        inst = await s.instrument(leg.venue, symbol)
        leg.status = LegStatus.RUNNING
        runner = LegRunner(s, self.desk, parent, leg, inst)
        if settings is not None:  # reliability: a resumed parent slices what is left of its horizon
            runner.settings = settings
        try:
            await resolve_algo(leg.algo)(runner)
        except BrokerError as e:  # a quote or cancel the venue could not answer: leg cannot go on
            leg.lose_venue(e.message)
        if s.is_stopped(parent.parent_id):
            leg.status = LegStatus.STOPPED
            return
        if leg.remaining > 0 and (leg.venue_lost or self._venue_refused(parent, leg)):
            await self._reroute(parent, leg, settings)
            return
        leg.status = LegStatus.DONE if leg.remaining == 0 else LegStatus.INCOMPLETE

    async def _reroute(self, parent: ParentOrder, leg: LegState, settings: Settings | None) -> None:
        """The rest of a failed leg to the connected venue with the best far touch, else paused."""
        s = self.state
        symbol = parent.ticket.symbol
        taken = {x.venue for x in s.legs[parent.parent_id]}
        others = [
            v for v, ok in s.venue_connected.items() if ok and v != leg.venue and v not in taken
        ]
        quotes, _ = await s.market.probe(symbol, others) if others else ({}, [])
        if not quotes:
            leg.status = LegStatus.PAUSED
            s.log(
                "error",
                f"{parent.parent_id}: leg {leg.venue} paused with {leg.remaining} left: {leg.reason}; no other venue",
            )
            return
        side = parent.ticket.side
        target = min(quotes.values(), key=lambda q: q.far(side) * side.sign).venue
        kids = [s.children[c] for c in parent.children]
        held = sum(
            (k.remaining for k in kids if k.venue == leg.venue and k.status.is_open), Decimal(0)
        )  # still live or held on the old venue: moving it would trade it twice
        if leg.remaining - held <= 0:
            leg.status = LegStatus.HELD
            return
        moved = LegState(target, leg.remaining - held, leg.algo)
        leg.quantity = leg.filled
        leg.status, leg.rerouted_to = LegStatus.REROUTED, target
        s.legs[parent.parent_id].append(moved)
        s.log(
            "warning",
            f"{parent.parent_id}: leg {leg.venue} re-routed {moved.quantity} to {target} ({leg.reason})",
        )
        await self._run_leg(parent, moved, settings)

    def _venue_refused(self, parent: ParentOrder, leg: LegState) -> bool:
        """The leg's last order was refused by the venue itself (not the risk gate, not a post-only)."""
        s = self.state
        mine = [s.children[c] for c in parent.children if s.children[c].venue == leg.venue]
        last = mine[-1] if mine else None
        if last is None or last.refused is not Refusal.VENUE or last.post_only:
            return False
        leg.lose_venue(f"refused {last.client_order_id}: {last.reason}")
        return True

    async def _settle_held(self, parent: ParentOrder) -> None:
        """Wait (wall time, bounded) for children a venue executed but has not yet shown fills for."""
        s = self.state
        limit = s.settings.broker.held_settle_s
        held = [
            s.children[c]
            for c in parent.children
            if s.children[c].meta.get("held") is not None and s.children[c].status.is_open
        ]
        deadline = time.monotonic() + limit
        for child in held:
            ev = s.child_event(child.client_order_id)
            while child.status.is_open and (left := deadline - time.monotonic()) > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(ev.wait(), min(left, 0.5))
                ev.clear()
        still = [c.client_order_id for c in held if c.status.is_open]
        if still:
            parent.reason = (
                f"{', '.join(still)}: the venue executed more than it has reported fills for "
                f"after {limit:g} s; run `tranche recover` to book them"
            )
            s.log("error", f"{parent.parent_id}: {parent.reason}")
