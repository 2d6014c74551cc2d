"""The order state machine: legal transitions only, no overfills, each venue fill counted once."""

from __future__ import annotations

from decimal import Decimal

from engine.models import ChildOrder, Fill, OrderStatus

S = OrderStatus
LEGAL: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PENDING: frozenset({S.SUBMITTED, S.CANCELLED, S.REJECTED}),
    S.SUBMITTED: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED, S.REJECTED}),
    S.PARTIALLY_FILLED: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED}),
    S.FILLED: frozenset(),
    S.CANCELLED: frozenset(),
    S.REJECTED: frozenset(),
}


class IllegalTransition(Exception):
    """An order was asked to move to a state its current state does not allow."""


class Overfill(Exception):
    """A fill would take an order past its quantity."""


def transition(order: ChildOrder, new: OrderStatus, reason: str = "") -> None:
    """Move `order` to `new` or raise without changing anything."""
    if new not in LEGAL[order.status]:
        raise IllegalTransition(
            f"order {order.client_order_id}: {order.status.value} -> {new.value} is not allowed"
        )
    order.status = new
    if reason:
        order.reason = reason


def apply_fill(order: ChildOrder, fill: Fill) -> bool:
    """Book a fill on its order; False if this venue fill id was already counted."""
    if fill.fill_id in order.fill_ids:
        return False
    if order.status not in (S.SUBMITTED, S.PARTIALLY_FILLED):
        raise IllegalTransition(
            f"order {order.client_order_id}: fill {fill.fill_id} arrived in state {order.status.value}"
        )
    _add(order, fill, "fill")
    order.status = S.FILLED if order.filled_qty == order.quantity else S.PARTIALLY_FILLED
    return True


def apply_late_fill(order: ChildOrder, fill: Fill) -> bool:
    """A fill the venue made before a cancel took effect: count it, keep the order CANCELLED.

    Venues report such fills after the cancel's acknowledgement; refusing them would lose
    executions that really happened. False if this fill id was already counted.
    """
    if fill.fill_id in order.fill_ids:
        return False
    _add(order, fill, "late fill")
    return True


def _add(order: ChildOrder, fill: Fill, what: str) -> None:
    """Quantity, average price, fees and fill id of one fill, or Overfill with nothing changed."""
    new_filled = order.filled_qty + fill.quantity
    if fill.quantity <= 0 or new_filled > order.quantity:
        raise Overfill(
            f"order {order.client_order_id}: {what} {fill.fill_id} of {fill.quantity} would make "
            f"{new_filled} > ordered {order.quantity}"
        )
    prev_notional = (order.avg_price or Decimal(0)) * order.filled_qty
    order.avg_price = (prev_notional + fill.price * fill.quantity) / new_filled
    order.filled_qty = new_filled
    order.fees += fill.fee
    order.fill_ids.add(fill.fill_id)
