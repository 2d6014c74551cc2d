"""The execution report of one parent: what the CLI prints and the console's report pane shows."""

from __future__ import annotations

from typing import Any

from engine.api import ExecutionReport, SliceReport
from engine.execution.state import EngineState
from engine.models import average


def execution_report(state: EngineState, parent_id: str) -> ExecutionReport:
    p = state.parents[parent_id]
    kids = [state.children[c] for c in p.children]
    legs = state.legs.get(parent_id, [])
    slices = tuple(
        SliceReport(leg.venue, s.index, s.total, s.quantity, s.filled, None, s.decided_by)
        for leg in legs
        for s in leg.slices
    )
    leg_rows: tuple[dict[str, object], ...] = tuple(
        {
            "venue": leg.venue,
            "algo": leg.algo,
            "quantity": str(leg.quantity),
            "filled": str(leg.filled),
            "avg_price": str(average(leg.notional / leg.filled)) if leg.filled else None,
            "status": leg.status_text,
            "reason": leg.reason,
        }
        for leg in legs
    )
    return ExecutionReport(
        parent_id,
        p.status,
        p.ticket.symbol,
        p.ticket.side,
        p.ticket.quantity,
        p.filled_qty,
        average(p.avg_price) if p.avg_price is not None else None,
        sum(len(c.fill_ids) for c in kids),
        state.slippage_so_far(p),
        p.shortfall_bps,
        state.clock.now() - p.created_ts,
        p.fees,
        p.algo,
        leg_rows,
        slices,
        p.reason,
    )


def position_rows(state: EngineState) -> dict[str, list[dict[str, Any]]]:
    """The positions pane: per venue and symbol, marked to the engine's latest mid."""
    marks = {k: q.mid for k, q in state.market.quotes.items()}
    data = state.position_book.rows(marks, state.exposure)
    by_symbol = {sym: i for (_, sym), i in sorted(state.instruments.items())}
    for r in data["positions"]:
        # the venue's own steps; another venue's for the symbol when this one was never asked
        inst = state.instruments.get((r["venue"], r["symbol"])) or by_symbol.get(r["symbol"])
        r["tick"], r["lot"] = (inst.tick, inst.step) if inst is not None else (None, None)
    return data
