"""TWAP end to end in simulated time: child metadata, carry-forward, completion of the last slice."""

from __future__ import annotations

from decimal import Decimal

from engine.models import OrderStatus
from tests.engine.algos.conftest import kids, ticket, with_algos
from tests.fakes.static_venue import StaticVenue


async def test_each_child_carries_its_slice_the_total_the_interval_and_the_parent(
    run_engine, clock
):
    eng = await run_engine({"X": StaticVenue("X", clock)})
    pid = await eng.submit(ticket("300", "twap"))
    rep = await eng.wait(pid)
    assert rep.status is OrderStatus.FILLED
    children = kids(eng, pid)
    assert [c.meta["twap_slice"] for c in children] == [1, 2, 3, 4, 5]
    assert all(c.meta["twap_total_slices"] == 5 for c in children)
    assert all(c.meta["twap_interval_seconds"] == 60.0 for c in children)
    assert all(c.meta["parent_order_id"] == pid for c in children)
    assert [c.quantity for c in children] == [Decimal(60)] * 5
    assert [round(c.created_ts - children[0].created_ts) for c in children] == [
        0,
        60,
        120,
        180,
        240,
    ]


async def test_an_unfilled_slice_carries_its_remainder_into_the_next(run_engine, clock):
    venue = StaticVenue("X", clock, depth="40")  # each IOC takes at most 40 at the ask
    eng = await run_engine({"X": venue}, with_algos(execution__complete_with_cross=False))
    pid = await eng.submit(ticket("300", "twap"))
    rep = await eng.wait(pid)
    children = kids(eng, pid)
    # wanted 60, got 40 -> next slice asks 60 + 20, and so on
    assert [c.quantity for c in children] == [
        Decimal(60),
        Decimal(80),
        Decimal(100),
        Decimal(120),
        Decimal(140),
    ]
    assert all(c.filled_qty == 40 for c in children)
    assert rep.filled_qty == Decimal(200)
    assert rep.status is OrderStatus.PARTIALLY_FILLED
    assert "100 left unfilled" in rep.reason
    assert [s.filled for s in rep.slices] == [Decimal(40)] * 5


async def test_the_last_slice_completes_the_parent_by_crossing(run_engine, clock):
    venue = StaticVenue("X", clock)  # resting orders never fill on their own
    eng = await run_engine({"X": venue})
    pid = await eng.submit(ticket("300", "passive-twap"))
    rep = await eng.wait(pid)
    assert rep.status is OrderStatus.FILLED and rep.filled_qty == Decimal(300)
    children = kids(eng, pid)
    passive = [c for c in children if "twap_slice" in c.meta]
    assert all(c.limit_price == venue.bid and c.filled_qty == 0 for c in passive)
    completion = [c for c in children if c.meta.get("completion")]
    assert (
        len(completion) == 1
        and completion[0].filled_qty == 300
        and completion[0].limit_price >= venue.ask
    )


async def test_without_complete_with_cross_the_rest_is_left_and_reported(run_engine, clock):
    venue = StaticVenue("X", clock)
    eng = await run_engine({"X": venue}, with_algos(execution__complete_with_cross=False))
    pid = await eng.submit(ticket("300", "passive-twap"))
    rep = await eng.wait(pid)
    assert not any(c.meta.get("completion") for c in kids(eng, pid))
    assert rep.filled_qty == 0 and rep.status is OrderStatus.CANCELLED
    assert rep.legs[0]["status"] == "incomplete" and rep.legs[0]["filled"] == "0"
    assert all(o.status is OrderStatus.CANCELLED for o in venue.orders.values())


async def test_a_slice_filled_at_the_touch_is_not_sent_again(run_engine, clock):
    venue = StaticVenue("X", clock, passive_fill_after_s=5.0)
    eng = await run_engine({"X": venue})
    pid = await eng.submit(ticket("300", "passive-twap"))
    rep = await eng.wait(pid)
    children = kids(eng, pid)
    assert len(children) == 5 and all(c.filled_qty == 60 for c in children)
    assert rep.filled_qty == 300 and rep.avg_price == venue.bid
