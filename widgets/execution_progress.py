"""Execution progress per parent and leg: slices, a bar, fills, average price, slippage, countdown."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from textual.binding import Binding
from textual.message import Message

from widgets.cell_cache import ContentCachedTable
from widgets.format import Steps, average, bps, no_steps, quantity
from widgets.table_fill import refill


def sent_qty(children: Iterable[Any]) -> Decimal:
    """At the venues or done: filled plus what open children still rest, never re-counted sends."""
    out = Decimal(0)
    for c in children:
        out += Decimal(c.filled_qty)
        if c.status.is_open:
            out += Decimal(c.quantity) - Decimal(c.filled_qty)
    return out


COLUMNS = (
    "parent / leg",
    "algo",
    "slice",
    "progress",
    "sent",
    "filled",
    "qty",
    "avg px",
    "slip",
    "next",
    "decided by",
)

EMPTY = "no parent orders yet"
# a plain letter is safe here: it answers only while this table has focus, never in a text field
WHATIF_KEY, WHATIF_ID = "w", "progress.whatif"


def bar(done: Decimal, total: Decimal, width: int = 6) -> str:
    frac = float(done / total) if total else 0.0
    frac = min(max(frac, 0.0), 1.0)
    full = round(frac * width)
    return "█" * full + "░" * (width - full) + f" {frac:4.0%}"


class ExecutionProgress(ContentCachedTable):
    """Renders `ParentView`s from the console state; newest parent first."""

    BINDINGS = [
        Binding(
            WHATIF_KEY, "whatif", "What-if", id=WHATIF_ID,
            tooltip="Re-run the selected finished parent on its recorded market under each algorithm",
        )
    ]  # fmt: skip
    row_parents: tuple[str | None, ...] = ()  # each row's parent, set by every show()

    class WhatIfRequested(Message):
        """The trader asked for the what-if of the parent under the cursor (None: no parent row)."""

        def __init__(self, parent_id: str | None) -> None:
            super().__init__()
            self.parent_id = parent_id

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.show([], 0.0)

    def action_whatif(self) -> None:
        row = self.cursor_row
        rows = self.row_parents
        self.post_message(self.WhatIfRequested(rows[row] if 0 <= row < len(rows) else None))

    def show(self, parents: Iterable[Any], now: float, steps: Steps = no_steps) -> None:
        newest = sorted(parents, key=lambda p: p.accepted_ts, reverse=True)[:20]
        out: list[tuple[str, ...]] = []
        owners: list[str | None] = []  # the parent each row belongs to (its legs' rows too)
        for p in newest:
            qty = Decimal(p.quantity)
            first = p.leg_plan[0][0] if p.leg_plan else next(iter(p.legs), "")
            tick, lot = steps(first, p.symbol)
            out.append(
                (
                    f"{p.parent_id} {p.side} {p.symbol}",
                    p.algo,
                    p.status_text,
                    bar(Decimal(p.filled_qty), qty),
                    quantity(max(sent_qty(p.children.values()), Decimal(p.filled_qty)), lot),
                    quantity(p.filled_qty, lot),
                    quantity(qty, lot),
                    average(p.avg_price, tick),
                    bps(p.slippage_bps),
                    "",
                    p.reason[:30],
                )
            )
            owners.append(p.parent_id)
            planned = dict(p.leg_plan)
            for venue, ev in p.legs.items():
                leg_qty = Decimal(planned.get(venue, 0))
                kids = [c for c in p.children.values() if c.venue == venue]
                leg_filled = sum((Decimal(c.filled_qty) for c in kids), Decimal(0))
                live = p.working and not 0 < leg_qty <= leg_filled  # this leg still trades
                nxt = (
                    "-"
                    if ev.next_slice_ts is None or not live
                    else f"{max(0.0, ev.next_slice_ts - now):.0f}s"
                )
                # the learned policy's state bucket and action, or which fallback decided; a
                # detail about an order at the venue ("resting at ...") only while the leg trades
                said = ev.detail if live or not ev.live_detail else ""
                who = " ".join(x for x in (ev.decided_by, said) if x)
                out.append(
                    (
                        f"  └ {venue}",
                        ev.algo,
                        f"{ev.slice_index}/{ev.slice_total}"
                        if ev.slice_total
                        else str(ev.slice_index),
                        bar(leg_filled, leg_qty),
                        quantity(sent_qty(kids), lot),
                        quantity(leg_filled, lot),
                        quantity(leg_qty, lot),
                        "",
                        "",
                        nxt,
                        who[:48],
                    )
                )
                owners.append(p.parent_id)
        if not out:
            out.append((EMPTY, *[""] * (len(COLUMNS) - 1)))
            owners.append(None)
        self.row_parents = tuple(owners)
        refill(self, COLUMNS, out)  # in place when the rows are the same ones (table_fill)
