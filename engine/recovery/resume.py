"""Resuming a recovered parent: the remaining quantity over what is left of its original horizon."""

from __future__ import annotations

import math
from dataclasses import replace

from engine.config import Settings
from engine.execution.launch import Launcher
from engine.execution.state import EngineState
from engine.models import ChildOrder, ParentOrder
from engine.routing.plan import ALGOS, plan_ticket

NO_HORIZON = ("market",)  # algorithms that act at once: always time left


def schedule(settings: Settings, kids: list[ChildOrder]) -> tuple[int, float]:
    """(slices, interval) the parent was started with: from its children's metadata, else config."""
    for c in kids:
        n, dt = c.meta.get("twap_total_slices"), c.meta.get("twap_interval_seconds")
        if isinstance(n, int | float) and isinstance(dt, int | float) and n > 0 and dt > 0:
            return int(n), float(dt)
    r = settings.router
    return r.twap_num_slices, r.twap_interval_seconds


def resume_settings(
    state: EngineState, parent: ParentOrder, kids: list[ChildOrder]
) -> tuple[Settings, str] | None:
    """Settings whose TWAP schedule covers the rest of the horizon, and the algorithm to run.

    None: the horizon ended longer ago than `recovery.resume_grace_s` (or crossing the rest is
    not wanted), so the parent is cancelled instead.
    """
    s = state.settings
    algo = parent.algo if parent.algo in ALGOS and parent.algo != "auto" else parent.ticket.algo
    if algo in NO_HORIZON:
        return s, algo
    n, interval = schedule(s, kids)
    left = parent.created_ts + n * interval - state.clock.now()
    if left <= 0:
        if -left > s.recovery.resume_grace_s or not s.execution.complete_with_cross:
            return None
        return s, "market"  # what the algorithm's completion would have done: cross the rest
    slices = max(1, min(n, math.ceil(left / interval - 1e-9)))
    router = s.router.model_copy(
        update={"twap_num_slices": slices, "twap_interval_seconds": left / slices}
    )
    return s.model_copy(update={"router": router}), algo


async def start_resumed(
    state: EngineState, launcher: Launcher, parent: ParentOrder, settings: Settings, algo: str
) -> None:
    """Plan the remainder on today's quotes and run it as the same parent (same id, numbering goes on)."""
    ticket = replace(parent.ticket, quantity=parent.remaining, algo=algo)
    plan = await plan_ticket(state, ticket, parent.remaining)
    leg_algo = plan.leg_algo if algo == "sor" else algo
    launcher.launch(
        parent, [(leg.venue, leg.quantity) for leg in plan.legs], leg_algo, settings=settings
    )
