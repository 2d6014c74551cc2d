"""Shared pieces of the algorithm benchmarks: one parent per fresh engine on a seeded simulated
path, a frozen fill history, explicit venue legs, and paired 95% intervals."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from statistics import fmean, stdev
from typing import Any

from engine.api import ExecutionReport
from engine.brokers.base import Broker
from engine.clock import SimClock
from engine.config import Settings
from engine.engine import Engine
from engine.factory import build_engine
from engine.models import ParentOrder, Ticket
from engine.store import Store

T0 = 1_700_000_000.0  # every path starts here: same hour of day, so history buckets line up

Brokers = Callable[[Settings, SimClock, int], dict[str, Broker]]


def tweak(settings: Settings, **kw: Any) -> Settings:
    """Settings with `section__key=value` replaced."""
    sections: dict[str, dict[str, Any]] = {}
    for key, value in kw.items():
        sec, field = key.split("__")
        sections.setdefault(sec, {})[field] = value
    return settings.model_copy(
        update={s: getattr(settings, s).model_copy(update=v) for s, v in sections.items()}
    )


class FrozenHistory:
    """A store that answers the learned queries from a snapshot and writes nothing, so both arms
    of a pair see exactly the same evidence however the other arm traded."""

    def __init__(
        self,
        medians: dict[Any, Any],
        venue: dict[str, tuple[float, int]],
        glob: tuple[float, int] | None,
    ) -> None:
        self.medians, self.venue, self.glob = medians, venue, glob

    @classmethod
    async def snapshot(
        cls, path: Path, settings: Settings, symbol: str, now: float
    ) -> FrozenHistory:
        from engine.routing.scores import hour_bucket

        since = now - settings.router.lookback_days * 86400
        async with Store(path) as st:
            med = await st.slippage_medians(
                since_ts=since,
                size_edges=settings.algos.adaptive_size_edges,
                min_samples=settings.algos.adaptive_min_samples,
            )
            ven = await st.venue_slippage(
                symbol=symbol, hour_bucket=hour_bucket(now), since_ts=since
            )
            glob = await st.global_slippage(symbol=symbol, since_ts=since)
        return cls(med, ven, glob)

    async def slippage_medians(self, **_: Any) -> dict[Any, Any]:
        return self.medians

    async def venue_slippage(self, **_: Any) -> dict[str, tuple[float, int]]:
        return self.venue

    async def global_slippage(self, **_: Any) -> tuple[float, int] | None:
        return self.glob

    def __getattr__(self, name: str) -> Any:  # journal, record_*, flush, open, close: no-ops
        async def async_noop(*a: Any, **k: Any) -> None:
            return None

        def noop(*a: Any, **k: Any) -> None:
            return None

        return (
            async_noop
            if name
            in (
                "open",
                "close",
                "flush",
                "journal_parent",
                "journal_child",
                "journal_orders",
                "events",
            )
            else noop
        )


async def submit_legs(
    eng: Engine, ticket: Ticket, legs: Sequence[tuple[str, Decimal]], algo: str
) -> str:
    """Like Engine.submit, but with the venue legs given (an arm the router would not choose)."""
    plan = await eng.plan(ticket)
    pid = f"B{len(eng.parents) + 1:04d}"
    parent = ParentOrder(pid, ticket, algo, plan.arrival_mid, eng.clock.now())
    eng.launcher.launch(parent, legs, algo)
    return pid


async def run_path(
    settings: Settings,
    brokers: Brokers,
    seed: int,
    act: Callable[[Engine], Any],
    *,
    db: Path | None = None,
    store: Any = None,
    start: float = T0,
) -> ExecutionReport:
    """One parent on a fresh engine over the path `seed`; `act(engine)` submits it and returns its id."""
    clock = SimClock(start=start)
    if store is not None:  # a frozen history has no journal to recover from
        settings = tweak(settings, recovery__on_start=False)
    eng = build_engine(
        settings,
        clock=clock,
        db_path=db,
        brokers=brokers(settings, clock, seed),
        store=db is not None,
    )
    if store is not None:
        eng.state.store = store  # read by the router and the algorithms; nothing is written
    await eng.start()
    try:
        pid = await act(eng)
        rep = await eng.wait(pid)
        if rep.reason.startswith("algorithm error"):  # a broken arm must not be measured as free
            raise RuntimeError(f"seed {seed}: {rep.reason}")
        return rep
    finally:
        await eng.stop()


def paired(
    a: Sequence[float], b: Sequence[float], *, boot: int = 2000, seed: int = 0
) -> dict[str, float]:
    """Mean of a / mean of b with a paired bootstrap 95% interval, and the paired mean difference."""
    n = len(a)
    rng = random.Random(seed)
    ratios = []
    for _ in range(boot):
        idx = [rng.randrange(n) for _ in range(n)]
        mb = fmean(b[i] for i in idx)
        if mb != 0:
            ratios.append(fmean(a[i] for i in idx) / mb)
    ratios.sort()
    diffs = [x - y for x, y in zip(a, b, strict=True)]
    half = 1.96 * stdev(diffs) / n**0.5 if n > 1 else float("nan")
    return {
        "ratio": fmean(a) / fmean(b),
        "ratio_lo": ratios[int(0.025 * len(ratios))],
        "ratio_hi": ratios[int(0.975 * len(ratios)) - 1],
        "diff": fmean(diffs),
        "diff_lo": fmean(diffs) - half,
        "diff_hi": fmean(diffs) + half,
        "a": fmean(a),
        "b": fmean(b),
    }


def show(name: str, r: dict[str, float], unit: str = "bps") -> str:
    return f"{name}: ratio {r['ratio']:.3f} [95% {r['ratio_lo']:.3f}, {r['ratio_hi']:.3f}]  means {r['a']:.2f} vs {r['b']:.2f} {unit}  paired diff {r['diff']:+.2f} [{r['diff_lo']:+.2f}, {r['diff_hi']:+.2f}]"
