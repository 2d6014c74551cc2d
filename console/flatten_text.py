"""The flatten confirmation: every position it would close, where, at what price, at what cost."""

from __future__ import annotations

from decimal import Decimal

from engine.execution.modes import FlattenLine
from widgets.format import money, price, quantity


def flatten_text(plan: list[FlattenLine]) -> str:
    """One line per venue position, then the totals: what the trader confirms is what is sent."""
    lines = ["HALT, cancel every open order, then close:"]
    est = worst = Decimal(0)
    for p in plan:
        if p.price is None:
            lines.append(
                f"  {p.side.value.upper()} {quantity(p.quantity, p.lot)} {p.symbol} on {p.venue}: "
                "no quote now (sent at the touch when one arrives)"
            )
            continue
        est += p.est_cost or 0
        worst += p.worst_cost or 0
        lines.append(
            f"  {p.side.value.upper()} {quantity(p.quantity, p.lot)} {p.symbol} on {p.venue} "
            f"at ~{price(p.price, p.tick)} (no worse than {price(p.limit, p.tick)}), "
            f"est. cost {money(p.est_cost)} (at most {money(p.worst_cost)})"
        )
    lines.append(f"Estimated cost {money(est)}, at most {money(worst)} (before fees).")
    lines.append("Trading stays HALTED afterwards (ctrl+r resets).")
    return "\n".join(lines)
