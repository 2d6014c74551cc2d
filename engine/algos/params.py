"""A leg algorithm's parameters: the ticket's own, else the configuration's; bad ones named."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import Decimal

from engine.config import Settings
from engine.models import AlgoParams, InputError, ParentOrder, Ticket


def check_params(p: AlgoParams, quantity: Decimal | None) -> None:
    """Refuse impossible parameters, naming the field: share > 100%, urgency < 0, display > total."""
    if p.participation_pct is not None:
        _finite(p.participation_pct, "participation")
        if not 0 < p.participation_pct <= 100:
            raise InputError(
                "participation",
                f"must be a share of volume in (0, 100] %, got {p.participation_pct:g}",
            )
    if p.urgency is not None:
        _finite(p.urgency, "urgency")
        if p.urgency < 0:
            raise InputError("urgency", f"must be >= 0 (0 = the TWAP line), got {p.urgency:g}")
    if p.display_qty is not None:
        if not p.display_qty.is_finite() or p.display_qty <= 0:
            raise InputError("display", f"must be > 0, got {p.display_qty}")
        if quantity is not None and p.display_qty > quantity:
            raise InputError("display", f"{p.display_qty:f} is more than the order's {quantity:f}")
    if p.jitter_pct is not None:
        _finite(p.jitter_pct, "jitter")
        if not 0 <= p.jitter_pct <= 50:
            raise InputError("jitter", f"must be within [0, 50] %, got {p.jitter_pct:g}")


def _finite(value: float, name: str) -> None:
    if isinstance(value, bool) or not math.isfinite(value):
        raise InputError(name, f"expected a finite number, got {value!r}")


@dataclass(frozen=True, slots=True)
class LegParams:
    """Every parameter a leg algorithm reads, resolved once when it starts."""

    participation: float  # a fraction in (0, 1]
    urgency: float
    display_qty: Decimal | None
    jitter: float  # a fraction in [0, 0.5]
    horizon_s: float


def resolve(parent: ParentOrder, settings: Settings, *, cap_pct: float | None = None) -> LegParams:
    """The parent's ticket parameters over the configured defaults."""
    return resolve_ticket(parent.ticket, settings, cap_pct=cap_pct)


def resolve_ticket(t: Ticket, settings: Settings, *, cap_pct: float | None = None) -> LegParams:
    """The ticket's parameters over the configured defaults; urgency follows signal strength."""
    p, a, r = t.params, settings.algos, settings.router
    share = p.participation_pct if p.participation_pct is not None else cap_pct
    urgency = p.urgency
    if urgency is None:
        urgency = a.arrival_max_urgency * t.signal.strength
    jitter = p.jitter_pct if p.jitter_pct is not None else a.jitter_pct
    return LegParams(
        participation=(share if share is not None else a.pov_participation_pct) / 100,
        urgency=urgency,
        display_qty=p.display_qty,
        jitter=jitter / 100,
        horizon_s=r.twap_num_slices * r.twap_interval_seconds,
    )


def leg_rng(settings: Settings, parent_id: str, venue: str) -> random.Random:
    """Seeded on simulated venues (a run can be repeated), the OS's randomness anywhere else."""
    if settings.broker.provider == "simulated":
        return random.Random(f"{settings.sim.seed}:{parent_id}:{venue}")
    return random.SystemRandom()
