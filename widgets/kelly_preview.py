"""The engine's preview of the ticket: Kelly sizing, the binding cap, notional, stop, order type."""

from __future__ import annotations

from decimal import Decimal

from rich.table import Table
from textual.widgets import Static

from engine.api import Plan, Preview
from widgets.format import figure


def order_label(plan: Plan) -> str:
    """The order type the legs will run, and who chose it (the trader or a router rule)."""
    if plan.algo == "sor":
        return f"SOR, legs {plan.leg_algo.upper()} ({plan.decision.rule})"
    if plan.ticket.algo == "auto":
        return f"{plan.algo.upper()} (auto: {plan.decision.rule})"
    return f"{plan.algo.upper()} (chosen)"


class KellyPreview(Static):
    """Shows exactly what `engine.preview` returned; nothing here is computed from the ticket."""

    def on_mount(self) -> None:
        self.show(None)

    def show(self, preview: Preview | None, empty: str = "no data yet: type a ticket") -> None:
        if preview is None:
            self.update(empty)
            return
        t = Table.grid(padding=(0, 1))
        t.add_column(style="dim", no_wrap=True)
        t.add_column()
        r = preview.route  # the decision first: it must stay visible in a short pane
        if r is not None:
            price = f" @ {figure(r.limit_price)}" if r.limit_price is not None else ""
            slices = f" {r.slices} x {r.interval_s:g} s" if r.slices > 1 else ""
            if preview.plan is not None and preview.plan.ticket.algo != "auto":
                t.add_row("order", order_label(preview.plan))  # the trader's choice, not a rule's
            else:
                t.add_row("order", f"{r.order_type.value.upper()}{price}{slices}  rule {r.rule}")
        s = preview.sizing
        if s is not None:
            t.add_row("sizing", s.mode)
            t.add_row(
                "f*",
                f"{figure(s.kelly_fraction, 4)}  half-Kelly {figure(s.half_kelly_fraction, 4)}",
            )
            t.add_row("qty", f"{figure(s.quantity)} (uncapped {figure(s.uncapped_quantity)})")
            t.add_row("cap", s.cap_reason if s.capped else "none binds")
            t.add_row("notional", figure(s.notional))
            t.add_row("stop", figure(s.stop_price))
            if s.reason:
                t.add_row("no order", s.reason)
        else:
            t.add_row("sizing", "typed quantity (Kelly off)")
        t.add_row("quantity", figure(preview.quantity))
        if preview.legs:
            t.add_row("notional", figure(sum((leg.notional for leg in preview.legs), Decimal(0))))
        if preview.legs:
            t.add_row("venues", ", ".join(f"{leg.venue} {leg.share:.0%}" for leg in preview.legs))
        est = preview.plan.estimate if preview.plan is not None else None
        if est is not None:  # the pre-trade estimate of the order as sent
            c = est.chosen
            t.add_row(
                "est.cost",
                f"{figure(c.mean_bps, 2)} bps [{figure(c.low_bps, 2)}, {figure(c.high_bps, 2)}] 90%"
                f" = {figure(c.mean_money, 2)}, {c.duration_s:g} s ({c.source})",
            )
            t.add_row(
                "vs", "  ".join(f"{a.algo} {figure(a.mean_bps, 1)}" for a in est.alternatives)
            )
        if preview.errors:
            t.add_row("invalid", "; ".join(f"{f}: {m}" for f, m in preview.errors))
        self.update(t)
