"""Crash recovery: reconcile what the journal says was live with the venues, then resume or cancel.

The journal is written before each send, so a restarted engine knows every parent and child that
may be live. For each live parent: reload it and all its children (ids continue the parent's
numbering, none is reused), ask each child's venue for its status and fills, book every fill
the store lacks (once: the store keys fills on (venue, fill_id)), cancel what is still open,
then resume the remainder over what is left of the horizon, or close the parent. Orders open on
a venue that the journal does not know are orphans: reported, cancelled when configured.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine.brokers.base import BrokerError, OrderNotFound, OrderUpdate
from engine.brokers.ccxt.parse import venue_client_id  # no ccxt import: plain string rules
from engine.events import RecoveryCompleted
from engine.execution.completion import finish_parent
from engine.execution.desk import ChildDesk
from engine.execution.launch import Launcher
from engine.execution.native_exit import is_native_exit
from engine.execution.state import EngineState
from engine.lifecycle import transition
from engine.models import ChildOrder, Fill, InputError, OrderStatus, OrderType, ParentOrder, Side
from engine.recovery.load import load_live, load_parent
from engine.recovery.resume import resume_settings, start_resumed
from engine.store.owner import owned_elsewhere


@dataclass
class RecoveryReport:
    """What recovery found and did; `tranche recover --json` prints it."""

    parents: list[dict[str, Any]] = field(default_factory=list)
    children_reconciled: int = 0
    fills_recovered: int = 0
    resumed: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    orphans: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    # children of finished parents whose row disagreed with the venue (an order still open, fills)
    corrected: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "parents": self.parents,
            "children_reconciled": self.children_reconciled,
            "fills_recovered": self.fills_recovered,
            "resumed": self.resumed,
            "cancelled": self.cancelled,
            "orphans": self.orphans,
            "failed": self.failed,
            "corrected": self.corrected,
        }


OUR_ID = re.compile(r"P[0-9a-f]{8,}-\d{3,}")  # Engine.submit's parent id, then -NNN


@dataclass(frozen=True)
class Parts:
    """What recovery works with: the engine's state, its child-order desk and its launcher."""

    state: EngineState
    desk: ChildDesk
    launcher: Launcher


class _Unreachable(Exception):
    """A venue could not answer for a child: the parent stays live in the journal for next time."""


async def recover(
    p: Parts,
    *,
    on_restart: str | None = None,
    cancel_orphans: bool | None = None,
    at_start: bool = False,
) -> RecoveryReport:
    cfg = p.state.settings.recovery
    mode = on_restart or cfg.on_restart
    if mode not in ("resume", "cancel"):
        raise InputError("on_restart", f"expected resume or cancel, got {mode!r}")
    cancel_orph = cfg.cancel_orphans if cancel_orphans is None else cancel_orphans
    rep = RecoveryReport()
    if p.state.store is None:
        return rep
    live = await load_live(p.state.store)
    known_ids = await _known_ids(p)
    for parent, kids in live:
        _adopt(p, parent, kids)
    for parent, kids in live:
        entry = {
            "parent_id": parent.parent_id,
            "symbol": parent.ticket.symbol,
            "side": parent.ticket.side.value,
            "quantity": str(parent.ticket.quantity),
            "algo": parent.algo,
            "children": len(kids),
        }
        try:
            for c in kids:
                rep.fills_recovered += await _reconcile(p, c)
                rep.children_reconciled += 1
            if is_native_exit(parent):  # its legs protect a position at the venue: they stay
                entry.update(action="kept", filled_qty=str(parent.filled_qty))
                rep.parents.append(entry)
                continue
            for c in kids:
                if c.status.is_open:
                    rep.fills_recovered += await _cancel_open(p, c)
        except _Unreachable as e:
            entry.update(action="failed", filled_qty=str(parent.filled_qty), reason=str(e))
            rep.failed.append({"parent_id": parent.parent_id, "reason": str(e)})
            p.state.stopped.add(parent.parent_id)  # nothing new is sent for it until reconciled
            rep.parents.append(entry)
            continue
        entry["filled_qty"] = str(parent.filled_qty)
        action = await _decide(p, parent, kids, mode)
        entry["action"] = action
        (
            rep.resumed if action == "resumed" else rep.cancelled if action == "cancelled" else []
        ).append(parent.parent_id)
        rep.parents.append(entry)
    # another live engine's parents (one history, several processes): never touched from here
    alive = functools.cache(owned_elsewhere)  # asked once per owner, not once per parent
    others = {r["parent_id"] for r in await p.state.store.parents() if alive(r.get("owner", ""))}
    skip = others | {p.parent_id for p, _ in live}
    for row in await p.state.store.open_children():  # a finished parent's row left open
        if row["parent_id"] not in skip:
            await _correct(p, row["parent_id"], row["client_order_id"], rep)
    if not at_start or live or cancel_orph:  # a clean start does not poll every venue
        rep.orphans = await _orphans(p, known_ids, others, cancel_orph, rep)
    _publish(p, rep)
    return rep


async def _known_ids(p: Parts) -> dict[str, str]:
    """Every child the journal holds, client order id -> parent id."""
    assert p.state.store is not None
    rows = await p.state.store.query("SELECT client_order_id, parent_id FROM children")
    return {str(r[0]): str(r[1]) for r in rows}


def _adopt(p: Parts, parent: ParentOrder, kids: list[ChildOrder]) -> None:
    """Put the parent and its children back in the engine, positions included."""
    p.state.parents[parent.parent_id] = parent
    for c in kids:
        p.state.children[c.client_order_id] = c
    p.state.legs.setdefault(parent.parent_id, [])
    sym = parent.ticket.symbol
    p.state.positions[sym] = (
        p.state.positions.get(sym, Decimal(0)) + parent.ticket.side.sign * parent.filled_qty
    )


async def _reconcile(p: Parts, c: ChildOrder) -> int:
    """The venue's word on one child: its status and any fill the store lacks; returns fills booked."""
    broker = p.state.brokers.get(c.venue)
    if broker is None:
        if c.status.is_terminal:
            return 0
        raise _Unreachable(f"{c.client_order_id}: venue {c.venue} is not configured")
    try:
        state = await broker.order_status(c)
    except OrderNotFound:
        if c.status is OrderStatus.PENDING:
            transition(c, OrderStatus.REJECTED, "never reached the venue (found on restart)")
        elif c.status.is_open:
            transition(c, OrderStatus.CANCELLED, "the venue no longer knows this order")
        p.desk.child_changed(c)
        return 0
    except BrokerError as e:
        if c.status.is_terminal and c.status is not OrderStatus.CANCELLED:
            return 0  # filled or rejected: nothing more can come of it
        raise _Unreachable(f"{c.client_order_id} on {c.venue}: {e.message}") from None
    if c.status is OrderStatus.PENDING:
        transition(c, OrderStatus.SUBMITTED, "found on the venue after a restart")
    c.venue_order_id = state.venue_order_id or c.venue_order_id
    booked = _book(p, c, state.fills, state.status)
    _executed_is_seen(c, state.filled_qty)
    if state.status in (OrderStatus.CANCELLED, OrderStatus.REJECTED) and c.status.is_open:
        new = state.status if c.status is OrderStatus.SUBMITTED else OrderStatus.CANCELLED
        transition(c, new, state.reason or f"{new.value} at the venue")
    p.desk.child_changed(c)
    return booked


def _executed_is_seen(c: ChildOrder, executed: Decimal) -> None:
    """The order's own executed figure is the authority: if its trade history shows less, the
    parent is not resumed on the difference (it would trade twice); it stays live for next time."""
    if executed > c.filled_qty:
        raise _Unreachable(
            f"{c.client_order_id} on {c.venue}: the venue executed {executed}, its trade history "
            f"shows {c.filled_qty}; run `tranche recover` again once it shows the rest"
        )


def _book(p: Parts, c: ChildOrder, fills: Iterable[Fill], status: OrderStatus) -> int:
    booked = 0
    for f in fills:
        if f.fill_id in c.fill_ids:
            continue
        p.desk.apply_update(c, OrderUpdate(c.client_order_id, status, f))
        if f.fill_id in c.fill_ids:
            booked += 1
            p.state.log(
                "warning", f"recovered fill {f.fill_id} of {c.client_order_id} on {c.venue}"
            )
    return booked


async def _cancel_open(p: Parts, c: ChildOrder, *, force: bool = False) -> int:
    """Cancel a child still working from before the crash; fills that raced the cancel are booked."""
    broker = p.state.brokers.get(c.venue)
    if broker is None:
        raise _Unreachable(f"{c.client_order_id}: venue {c.venue} is not configured")
    if force and c.status.is_terminal and c.status is not OrderStatus.CANCELLED:
        return 0  # filled or rejected: nothing rests
    try:
        await broker.cancel(c)
    except OrderNotFound:
        pass  # done at the venue meanwhile: its status says how
    except BrokerError as e:
        raise _Unreachable(f"cannot cancel {c.client_order_id} on {c.venue}: {e.message}") from None
    try:
        state = await broker.order_status(c)
    except BrokerError as e:
        raise _Unreachable(f"{c.client_order_id} on {c.venue}: {e.message}") from None
    booked = _book(p, c, state.fills, state.status)
    _executed_is_seen(c, state.filled_qty)
    if c.status.is_open:
        transition(c, OrderStatus.CANCELLED, "cancelled on restart")
    p.desk.child_changed(c)
    return booked


async def _decide(p: Parts, parent: ParentOrder, kids: list[ChildOrder], mode: str) -> str:
    if parent.remaining <= 0:
        await finish_parent(p.state, parent)
        return "finished"
    plan = resume_settings(p.state, parent, kids) if mode == "resume" else None
    if plan is not None:
        try:
            await start_resumed(p.state, p.launcher, parent, *plan)
            p.state.log("info", f"{parent.parent_id}: resumed {parent.remaining} with {plan[1]}")
            return "resumed"
        except InputError as e:
            parent.reason = f"could not resume: {e}"
    else:
        why = "cancel" if mode == "cancel" else "horizon passed while the engine was down"
        parent.reason = parent.reason or f"cancelled on restart ({why})"
    p.state.stopped.add(parent.parent_id)
    await finish_parent(p.state, parent)
    return "cancelled"


async def _correct(p: Parts, parent_id: str, cid: str, rep: RecoveryReport) -> None:
    """A child of a finished parent whose row is open, or whose order the venue still lists:
    cancel it there, book the fills the store lacks, and make its row the venue's figures."""
    assert p.state.store is not None
    if cid not in p.state.children:
        rows = [r for r in await p.state.store.parents() if r["parent_id"] == parent_id]
        if not rows or owned_elsewhere(rows[0].get("owner", "")):
            return  # unknown, or another live engine's (it journalled this after we looked)
        parent, kids = await load_parent(p.state.store, rows[0])
        parent.status = OrderStatus(rows[0]["status"])
        p.state.parents.setdefault(parent_id, parent)
        for k in kids:  # positions already hold these fills (engine/history.py): not re-added
            p.state.children.setdefault(k.client_order_id, k)
    c, parent = p.state.children[cid], p.state.parents[parent_id]
    before = (c.status, c.filled_qty)
    try:
        booked = await _reconcile(p, c)
        if c.status.is_open or before[0].is_terminal:
            booked += await _cancel_open(p, c, force=True)
    except _Unreachable as e:
        rep.failed.append({"parent_id": parent_id, "reason": str(e)})
        return
    rep.fills_recovered += booked
    rep.corrected.append(
        {
            "client_order_id": cid,
            "venue": c.venue,
            "was": f"{before[0].value} {before[1]}",
            "now": f"{c.status.value} {c.filled_qty}",
            "fills_recovered": booked,
        }
    )
    if booked:
        p.state.store.update_parent(parent)
    p.state.log("warning", f"recovery corrected {cid}: was {before[0].value} {before[1]}, "
               f"venue says {c.status.value} {c.filled_qty}")  # fmt: skip


async def _orphans(
    p: Parts, known: dict[str, str], others: set[str], cancel: bool, rep: RecoveryReport
) -> list[dict[str, Any]]:
    """Orders a venue lists that this engine does not run; another live engine's are left alone."""
    out: list[dict[str, Any]] = []
    for name, broker in p.state.brokers.items():
        if not p.state.venue_connected.get(name):
            continue
        exchange = getattr(getattr(broker, "venue", None), "exchange", None)
        ours = {k: k for k in known}  # the venue's form of our id -> our id
        if exchange:
            ours.update({venue_client_id(exchange, k): k for k in known})
        try:
            states = await broker.open_orders()
        except BrokerError as e:
            rep.failed.append({"venue": name, "reason": f"cannot list open orders: {e.message}"})
            continue
        if any(s.client_order_id not in ours for s in states):  # journalled since `known` was read?
            known = await _known_ids(p)
            ours.update({k: k for k in known})
            if exchange:
                ours.update({venue_client_id(exchange, k): k for k in known})
        for s in states:
            if s.client_order_id in ours:
                cid = ours[s.client_order_id]
                if known[cid] in others:
                    continue  # another live engine's child: it is that engine's to manage
                child = p.state.children.get(cid)
                if child is None or not child.status.is_open:  # the journal says it ended
                    await _correct(p, known[cid], cid, rep)
                continue
            row = {
                "venue": name,
                "client_order_id": s.client_order_id,
                "venue_order_id": s.venue_order_id,
                "symbol": s.symbol,
                "filled_qty": str(s.filled_qty),
                "cancelled": False,
                # our id pattern, but not in this history: another history's order
                "tranche_id": bool(OUR_ID.fullmatch(s.client_order_id)),
            }
            if cancel:
                stub = ChildOrder(
                    s.client_order_id, "", name, s.symbol, Side.BUY, s.filled_qty,
                    OrderType.LIMIT, venue_order_id=s.venue_order_id,
                )  # fmt: skip
                try:
                    await broker.cancel(stub)
                    row["cancelled"] = True
                except BrokerError as e:
                    row["error"] = e.message
            out.append(row)
    return out


def _publish(p: Parts, rep: RecoveryReport) -> None:
    ev = RecoveryCompleted(
        p.state.clock.now(),
        len(rep.parents),
        rep.children_reconciled,
        rep.fills_recovered,
        tuple(rep.resumed),
        tuple(rep.cancelled),
        tuple((o["venue"], o["client_order_id"]) for o in rep.orphans),
        tuple((f.get("parent_id") or f.get("venue", ""), f["reason"]) for f in rep.failed),
    )
    p.state.publish(ev)
    if rep.parents or rep.orphans or rep.failed:
        p.state.log(
            "warning" if rep.orphans or rep.failed else "info",
            f"recovery: {len(rep.parents)} live parents, {rep.children_reconciled} children "
            f"reconciled, {rep.fills_recovered} missed fills recorded, {len(rep.resumed)} resumed, "
            f"{len(rep.cancelled)} cancelled, {len(rep.orphans)} orphan orders, "
            f"{len(rep.failed)} not reconcilable",
        )
    if p.state.store is not None:
        p.state.store.record_event(ts=p.state.clock.now(), kind="recovery", payload=rep.as_dict())
