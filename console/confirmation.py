"""The words of the confirm dialog: the frozen plan as it will be sent, its risk view, what changed."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from engine.api import PlanChange, Preview
from widgets.format import figure
from widgets.kelly_preview import order_label


def size_label(pv: Preview) -> str:
    """Where the quantity came from, so a Kelly size is never mistaken for the typed one."""
    if pv.sized_by_kelly and pv.sizing is not None:
        return f"size: Half-Kelly ({pv.sizing.mode}, {pv.sizing.cap_reason or 'no cap'})"
    return "size: the typed quantity"


def limit_label(pv: Preview) -> str:
    """Whose limit price applies: the trader's, the router's at the touch, or none (market)."""
    assert pv.plan is not None
    t = pv.plan.ticket
    if t.limit_price is not None:
        return f"limit {figure(t.limit_price)} (yours)"
    r = pv.route
    if r is not None and r.limit_price is not None and pv.plan.algo != "market":
        return f"no limit from you: children priced at the touch (now {figure(r.limit_price)})"
    return "no limit price"


def confirmation_text(pv: Preview) -> str:
    """Exactly what submit(plan) sends: side, quantity, order type, limit, each venue leg."""
    plan = pv.plan
    assert plan is not None  # only a planned preview can be confirmed
    t = plan.ticket
    notional = sum((leg.notional for leg in plan.legs), Decimal(0))
    lines = [
        f"{t.side.value.upper()} {figure(plan.quantity)} {t.symbol}   order {order_label(plan)}",
        size_label(pv),
        f"notional {figure(notional)}   {limit_label(pv)}",
        "venues (sent as shown):",
    ]
    lines += [
        f"  {leg.venue:<10} {figure(leg.quantity)} ({leg.share:.0%})  ~{figure(leg.notional)}"
        for leg in plan.legs
    ]
    if plan.estimate is not None:  # what it is expected to cost, said before it is sent
        e = plan.estimate.chosen
        lines.append(
            f"expected cost {figure(e.mean_bps, 2)} bps ({figure(e.mean_money, 2)}), 90% within "
            f"[{figure(e.low_bps, 2)}, {figure(e.high_bps, 2)}] bps, about {e.duration_s:g} s"
        )
    lines += risk_lines(pv)
    if pv.funding:  # said before it is sent: the venue would refuse what its cash does not cover
        lines += ["cash: NOT covered on some venues:"] + [f"  {line}" for line in pv.funding]
    return "\n".join(lines)


def risk_lines(pv: Preview) -> list[str]:
    """The risk gate's verdict on every planned child: the denied ones by venue, with the reason."""
    denied = pv.denied
    if not denied:
        return [f"risk: all {len(pv.children)} planned child orders pass the gate"]
    out = [f"risk: {len(denied)} of {len(pv.children)} planned child orders would be DENIED:"]
    out += [
        f"  {c.venue} #{c.index} {figure(c.quantity)} [{c.denied_check}] {c.denied_reason}"
        for c in denied[:6]
    ]
    if len(denied) > 6:
        out.append(f"  ... and {len(denied) - 6} more")
    return out


def blocked_reason(pv: Preview) -> str:
    """Non-empty when the plan must not be sent: some child would be refused by the risk gate."""
    if not pv.denied:
        return ""
    return "Blocked: the risk gate would deny part of this plan. Change the ticket."


def changes_text(changes: Iterable[PlanChange]) -> str:
    """What moved between the confirmation and the send, one line per venue and reason."""
    return "\n".join(
        ["Not sent: the market changed since you confirmed:"] + [f"  {c}" for c in changes]
    )
