"""What-if: a finished parent re-run from its arrival on the recording of its market, once per algorithm.

Each algorithm runs through the engine's own path (router, SOR, algos, risk gate) on fresh replay
venues. Replay is deterministic, so the simulation error is measured as the spread of each
algorithm's shortfall over model variants that are equally defensible (risk-averse and
probabilistic queues, doubled latency, arrival one or two seconds later); a difference whose
bands overlap is within simulation error and is called so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine.config import Settings
from engine.factory import build_engine
from engine.models import InputError, OrderStatus, Side, Signal, Ticket

VARIANTS: dict[str, dict[str, Any]] = {
    "risk_averse": {},
    "prob_queue": {"queue_model": "prob"},
    "2x_latency": {"latency_factor": 2.0},
    "arrival_+1s": {"shift_s": 1.0},
    "arrival_+2s": {"shift_s": 2.0},
}


@dataclass(slots=True)
class WhatIfRow:
    algo: str
    shortfall_bps: float | None  # the base variant (risk-averse queue, configured latency)
    low_bps: float | None
    high_bps: float | None
    filled_qty: Decimal
    avg_price: Decimal | None
    fees: Decimal
    status: str
    within_error: bool | None = None  # of the parent's own algorithm re-run


@dataclass(slots=True)
class WhatIf:
    parent_id: str
    symbol: str
    side: str
    quantity: Decimal
    algo: str
    actual_shortfall_bps: float | None
    files: list[str]
    start: float
    rows: list[WhatIfRow] = field(default_factory=list)


def _variant(settings: Settings, files: list[str], start: float, v: dict[str, Any]) -> Settings:
    r = settings.replay
    k = float(v.get("latency_factor", 1.0))
    replay = r.model_copy(
        update={
            "files": files,
            "start": repr(start + float(v.get("shift_s", 0.0))),
            "queue_model": v.get("queue_model", r.queue_model),
            "order_latency_ms": r.order_latency_ms * k,
            "response_latency_ms": r.response_latency_ms * k,
            "feed_latency_ms": None
            if r.feed_latency_ms is None and k == 1
            else (r.feed_latency_ms or 1.0) * k,
        }
    )
    broker = settings.broker.model_copy(update={"provider": "replay"})
    record = settings.record.model_copy(update={"enabled": False})  # re-runs record nothing
    return settings.model_copy(update={"replay": replay, "broker": broker, "record": record})


async def run_once(settings: Settings, ticket: Ticket) -> tuple[float | None, Any]:
    """One parent on fresh replay venues, no history written; its shortfall and report."""
    eng = build_engine(settings, store=False)
    await eng.start()
    try:
        pid = await eng.submit(ticket)
        report = await eng.wait(pid)
    finally:
        await eng.stop()
    return report.shortfall_bps, report


async def what_if(
    settings: Settings, parent: dict[str, Any], files: list[str], algos: list[str]
) -> WhatIf:
    """Every algorithm of `algos` on `files` from the parent's arrival, with its error band."""
    t = parent.get("ticket") or {}
    base = Ticket(
        symbol=str(parent["symbol"]),
        side=Side(parent["side"]),
        quantity=Decimal(str(parent["quantity"])),
        signal=Signal(strength=float(t.get("strength", 0.5))),
        limit_price=Decimal(t["limit_price"]) if t.get("limit_price") else None,
        algo=str(t.get("algo") or parent["algo"]),  # as the trader asked ("auto", "sor", ...)
        venue=t.get("venue"),
    )
    start = float(parent["created_ts"])
    out = WhatIf(
        str(parent["parent_id"]), base.symbol, base.side.value, base.quantity, base.algo,
        parent.get("shortfall_bps"), files, start,
    )  # fmt: skip
    names = list(dict.fromkeys([base.algo, *algos]))
    for algo in names:
        ticket = Ticket(
            base.symbol, base.side, base.quantity, base.signal, base.limit_price, algo,
            None if algo == "sor" else base.venue,
        )  # fmt: skip
        results = []
        for v in VARIANTS.values():
            try:
                results.append(await run_once(_variant(settings, files, start, v), ticket))
            except InputError as e:
                raise InputError(e.field, f"{algo}: {e.message}") from None
        shortfalls = [s for s, _ in results if s is not None]
        _, rep = results[0]
        out.rows.append(
            WhatIfRow(
                algo,
                results[0][0],
                min(shortfalls, default=None),
                max(shortfalls, default=None),
                rep.filled_qty,
                rep.avg_price,
                rep.fees,
                rep.status.value if isinstance(rep.status, OrderStatus) else str(rep.status),
            )  # fmt: skip
        )
    _call_differences(out)
    return out


def _call_differences(w: WhatIf) -> None:
    """Each row within simulation error of the parent's own algorithm (bands overlap) or not."""
    own = w.rows[0]
    if own.low_bps is None or own.high_bps is None:
        return
    for r in w.rows:
        if r.low_bps is not None and r.high_bps is not None:
            r.within_error = r.low_bps <= own.high_bps and own.low_bps <= r.high_bps
