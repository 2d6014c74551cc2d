"""What an algorithm may do with one leg: quote, send, cancel, wait, report; nothing else."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from engine.algos.guardrail import Guardrail
from engine.algos.slicing import twap_slices
from engine.brokers.base import Capabilities
from engine.clock import Clock
from engine.config import Settings
from engine.models import ChildOrder, Instrument, OrderType, ParentOrder, Quote, Side, TimeInForce


class LegStatus(enum.Enum):
    """Where one venue leg stands; a re-routed leg names its target in `LegState.rerouted_to`."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    INCOMPLETE = "incomplete"  # the algorithm ended with quantity left (no completion cross)
    STOPPED = "stopped"  # killed, cancelled or quit
    HELD = "held"  # what is left is executed at the venue, its fills not yet seen
    REROUTED = "re-routed"
    PAUSED = "paused"  # its venue failed and no other venue can take the rest


@dataclass(slots=True)
class SliceRecord:
    """One slice (or one learned decision) of a leg: what was due and what it filled."""

    index: int
    total: int  # 0: the policy decides as it goes, no count is known in advance
    quantity: Decimal
    filled: Decimal
    decided_by: str = ""
    path: str = ""  # adaptive TWAP: the guardrail path ("adaptive" or "baseline")


@dataclass(slots=True)
class LegState:
    """Progress of one venue leg, shared by the algorithm and the engine's reports."""

    venue: str
    quantity: Decimal
    algo: str
    filled: Decimal = Decimal(0)
    notional: Decimal = Decimal(0)
    slice_index: int = 0
    slice_total: int = 0
    status: LegStatus = LegStatus.PENDING
    rerouted_to: str = ""
    venue_lost: bool = False  # its venue failed: the engine re-routes or pauses the rest
    reason: str = ""
    slices: list[SliceRecord] = field(default_factory=list)

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.filled

    def lose_venue(self, why: str) -> None:
        """The venue cannot take more of this leg: said in `reason`, flagged for the engine."""
        self.venue_lost = True
        self.reason = f"venue unavailable: {why}"

    @property
    def status_text(self) -> str:
        """As the report shows it: "re-routed to B" names the venue."""
        if self.status is LegStatus.REROUTED:
            return f"re-routed to {self.rerouted_to}"
        return self.status.value


class FillHistory(Protocol):
    """The reads of the trader's own fill history an algorithm may make."""

    async def slippage_medians(
        self, *, since_ts: float, size_edges: tuple[float, float], min_samples: int
    ) -> dict[tuple[str, int, str], tuple[float, int]]: ...


class LegContext(Protocol):
    """The engine's services for one leg; every child still passes the risk gate."""

    parent: ParentOrder
    leg: LegState
    settings: Settings
    clock: Clock
    instrument: Instrument
    guardrail: Guardrail  # the engine's one adaptive-TWAP guardrail, shared by every parent
    history: FillHistory | None  # None without a store

    def log(self, level: str, message: str) -> None: ...

    @property
    def side(self) -> Side: ...

    @property
    def stopped(self) -> bool: ...

    async def quote(self) -> Quote: ...

    async def traded_volume(self) -> Decimal | None:
        """Others' running traded volume on the leg's venue (its trade feed); None if it has none."""
        ...

    async def adv(self) -> Decimal | None:
        """The symbol's average daily volume where the venue knows it."""
        ...

    @property
    def capabilities(self) -> Capabilities:
        """What the leg's venue does natively (iceberg display, OCO): the algorithm's choice of path."""
        ...

    async def send(
        self,
        quantity: Decimal,
        *,
        order_type: OrderType,
        limit_price: Decimal | None = None,
        tif: TimeInForce = TimeInForce.GTC,
        post_only: bool = False,
        meta: dict[str, Any] | None = None,
    ) -> ChildOrder: ...

    async def cancel(self, child: ChildOrder) -> ChildOrder: ...

    async def wait(self, child: ChildOrder, timeout_s: float) -> ChildOrder: ...

    async def sleep(self, seconds: float) -> bool:
        """Sleep on the engine clock; False if the parent was stopped meanwhile."""
        ...

    def progress(
        self,
        *,
        next_slice_ts: float | None = None,
        decided_by: str = "",
        detail: str = "",
        live: bool = False,
    ) -> None:
        """`live`: the detail describes an order now at the venue ("resting at ..."): true only
        while the leg trades. Otherwise it says why (a policy's state and action) and stays."""


Algo = Callable[[LegContext], Awaitable[None]]


def venue_gone(ctx: LegContext) -> bool:
    """The leg's venue failed: stop slicing so the engine can re-route or pause the rest."""
    return ctx.leg.venue_lost


def slice_schedule(
    ctx: LegContext, slices: int | None, interval_s: float | None
) -> tuple[list[Decimal], float]:
    """Exact slice sizes and the interval, from the arguments or the configured TWAP defaults."""
    cfg = ctx.settings.router
    sizes = twap_slices(ctx.leg.quantity, slices or cfg.twap_num_slices, ctx.instrument.step)
    ctx.leg.slice_total = len(sizes)
    return sizes, interval_s if interval_s is not None else cfg.twap_interval_seconds
