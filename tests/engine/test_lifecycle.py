"""Order lifecycle: every legal and illegal transition, overfills, duplicate fills."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from engine.lifecycle import IllegalTransition, Overfill, apply_fill, transition
from engine.models import ChildOrder, Fill, OrderStatus, OrderType, Side

S = OrderStatus
# Written from the issue, not imported from the module, so a change to LEGAL must be deliberate.
EXPECTED_LEGAL = {
    (S.PENDING, S.SUBMITTED),
    (S.PENDING, S.CANCELLED),
    (S.PENDING, S.REJECTED),
    (S.SUBMITTED, S.PARTIALLY_FILLED),
    (S.SUBMITTED, S.FILLED),  # filled in one go
    (S.SUBMITTED, S.CANCELLED),
    (S.SUBMITTED, S.REJECTED),
    (S.PARTIALLY_FILLED, S.PARTIALLY_FILLED),  # another partial fill
    (S.PARTIALLY_FILLED, S.FILLED),
    (S.PARTIALLY_FILLED, S.CANCELLED),
}
ALL_PAIRS = list(itertools.product(OrderStatus, OrderStatus))


def order(status: OrderStatus = S.PENDING, qty: str = "10") -> ChildOrder:
    o = ChildOrder(
        "C-1", "P-1", "V1", "AAPL", Side.BUY, Decimal(qty), OrderType.LIMIT, Decimal(100)
    )
    o.status = status
    return o


def fill(fid: str, qty: str, price: str = "100") -> Fill:
    return Fill(fid, "C-1", "V1", "AAPL", Side.BUY, Decimal(qty), Decimal(price), 0.0)


@pytest.mark.parametrize(("old", "new"), [p for p in ALL_PAIRS if p in EXPECTED_LEGAL])
def test_legal_transition_moves_the_order(old: OrderStatus, new: OrderStatus) -> None:
    o = order(old)
    transition(o, new, "why")
    assert o.status is new and o.reason == "why"


@pytest.mark.parametrize(("old", "new"), [p for p in ALL_PAIRS if p not in EXPECTED_LEGAL])
def test_illegal_transition_raises_and_changes_nothing(old: OrderStatus, new: OrderStatus) -> None:
    o = order(old)
    o.reason = "before"
    with pytest.raises(IllegalTransition) as e:
        transition(o, new, "after")
    assert o.status is old and o.reason == "before"
    assert old.value in str(e.value) and new.value in str(e.value) and "C-1" in str(e.value)


def test_terminal_states_have_no_way_out() -> None:
    for s in (S.FILLED, S.CANCELLED, S.REJECTED):
        assert s.is_terminal
        assert not any((s, n) in EXPECTED_LEGAL for n in OrderStatus)


def test_fills_accumulate_to_filled_with_volume_weighted_price() -> None:
    o = order(S.SUBMITTED)
    assert apply_fill(o, fill("f1", "4", "100"))
    assert (o.status, o.filled_qty) == (S.PARTIALLY_FILLED, Decimal(4))
    assert apply_fill(o, fill("f2", "6", "105"))
    assert (o.status, o.filled_qty, o.remaining) == (S.FILLED, Decimal(10), Decimal(0))
    assert o.avg_price == Decimal(103)


def test_overfill_is_refused_and_changes_nothing() -> None:
    o = order(S.SUBMITTED)
    apply_fill(o, fill("f1", "7"))
    with pytest.raises(Overfill):
        apply_fill(o, fill("f2", "4"))
    assert (o.status, o.filled_qty, o.avg_price, o.fill_ids) == (
        S.PARTIALLY_FILLED, Decimal(7), Decimal(100), {"f1"},
    )  # fmt: skip


@pytest.mark.parametrize("qty", ["0", "-1"])
def test_non_positive_fill_is_refused(qty: str) -> None:
    o = order(S.SUBMITTED)
    with pytest.raises(Overfill):
        apply_fill(o, fill("f1", qty))
    assert o.filled_qty == 0 and o.status is S.SUBMITTED


def test_the_same_venue_fill_id_is_counted_once() -> None:
    o = order(S.SUBMITTED)
    assert apply_fill(o, fill("f1", "3")) is True
    assert apply_fill(o, fill("f1", "3")) is False
    assert (o.filled_qty, o.status, len(o.fill_ids)) == (Decimal(3), S.PARTIALLY_FILLED, 1)


def test_duplicate_of_the_final_fill_after_filled_is_harmless() -> None:
    o = order(S.SUBMITTED)
    apply_fill(o, fill("f1", "10"))
    assert apply_fill(o, fill("f1", "10")) is False
    assert (o.status, o.filled_qty) == (S.FILLED, Decimal(10))


@pytest.mark.parametrize("status", [S.PENDING, S.CANCELLED, S.REJECTED, S.FILLED])
def test_never_filled_without_submitted(status: OrderStatus) -> None:
    o = order(status)
    with pytest.raises(IllegalTransition):
        apply_fill(o, fill("f1", "10"))
    assert o.status is status and o.filled_qty == 0
    if status is S.PENDING:
        with pytest.raises(IllegalTransition):
            transition(o, S.FILLED)
