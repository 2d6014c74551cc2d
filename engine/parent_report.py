"""The execution report of one parent: what the CLI prints and the console's report pane shows."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from engine.api import ExecutionReport, SliceReport
from engine.models import average

if TYPE_CHECKING:
    from engine.engine import Engine


def execution_report(self: Engine, parent_id: str) -> ExecutionReport:
    p = self.parents[parent_id]
    kids = [self.children[c] for c in p.children]
    legs = self.legs.get(parent_id, [])
    slices = tuple(
        SliceReport(
            leg.venue,
            s["index"],
            s["total"],
            Decimal(s["quantity"]),
            Decimal(s["filled"]),
            None,
            s.get("decided_by", ""),
        )
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
            "status": leg.status,
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
        self.slippage_so_far(p),
        p.shortfall_bps,
        self.clock.now() - p.created_ts,
        p.fees,
        p.algo,
        leg_rows,
        slices,
        p.reason,
    )
