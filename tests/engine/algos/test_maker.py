"""Maker-first slice loop: touch, mid, cross; bounded reprices; cancel before replace."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.algos.maker import stage_names
from engine.models import OrderStatus, Side, TimeInForce
from tests.engine.algos.conftest import kids, ticket, with_algos
from tests.fakes.faulty_broker import FaultyBroker
from tests.fakes.static_venue import StaticVenue


def by_slice(children):
    out: dict[int, list] = {}
    for c in children:
        if "twap_slice" in c.meta:
            out.setdefault(c.meta["twap_slice"], []).append(c)
    return out


@pytest.mark.parametrize(
    ("reprices", "ladder"),
    [
        (0, ["touch"]),
        (1, ["touch", "cross"]),
        (2, ["touch", "mid", "cross"]),
        (3, ["touch", "mid", "mid", "cross"]),
    ],
)
def test_the_ladder_has_one_stage_per_allowed_reprice(reprices, ladder):
    assert stage_names(reprices) == ladder


async def test_each_slice_rests_at_the_bid_then_mid_then_crosses(run_engine, clock):
    venue = StaticVenue("X", clock, bid="99.90", ask="100.10")  # nothing passive ever fills
    eng = await run_engine({"X": venue})
    pid = await eng.submit(ticket("300", "maker"))
    rep = await eng.wait(pid)
    assert rep.status is OrderStatus.FILLED and rep.filled_qty == 300
    slices = by_slice(kids(eng, pid))
    assert sorted(slices) == [1, 2, 3, 4, 5]
    for children in slices.values():
        touch, mid, cross = children
        assert [c.meta["maker_stage"] for c in children] == ["touch", "mid", "cross"]
        assert (
            touch.limit_price == Decimal("99.90")
            and touch.post_only
            and touch.tif is TimeInForce.GTC
        )
        assert mid.limit_price == Decimal("100.00") and mid.post_only
        assert (
            cross.tif is TimeInForce.IOC
            and cross.limit_price >= Decimal("100.10")
            and not cross.post_only
        )
        assert mid.created_ts - touch.created_ts == pytest.approx(10.0)
        assert cross.created_ts - mid.created_ts == pytest.approx(10.0)
        assert touch.status is OrderStatus.CANCELLED and mid.status is OrderStatus.CANCELLED
        assert all(c.quantity == 60 for c in children)


async def test_a_sell_rests_at_the_ask(run_engine, clock):
    venue = StaticVenue("X", clock, bid="99.90", ask="100.10")
    eng = await run_engine({"X": venue})
    pid = await eng.submit(ticket("100", "maker", side=Side.SELL))
    await eng.wait(pid)
    touch = by_slice(kids(eng, pid))[1][0]
    assert touch.limit_price == Decimal("100.10") and touch.side is Side.SELL


async def test_a_slice_filled_at_the_touch_never_reprices(run_engine, clock):
    venue = StaticVenue("X", clock, bid="99.90", ask="100.10", passive_fill_after_s=3.0)
    eng = await run_engine({"X": venue})
    pid = await eng.submit(ticket("300", "maker"))
    rep = await eng.wait(pid)
    assert rep.filled_qty == 300 and rep.avg_price == Decimal("99.90")
    assert all(
        len(c) == 1 and c[0].meta["maker_stage"] == "touch"
        for c in by_slice(kids(eng, pid)).values()
    )


async def test_never_two_live_children_of_one_slice_at_the_venue(run_engine, clock):
    # cancels take a second of venue time: a loop that did not wait for them would overlap
    venue = StaticVenue("X", clock, bid="99.90", ask="100.10", latency_s=1.0)
    eng = await run_engine({"X": venue})
    pid = await eng.submit(ticket("300", "maker"))
    await eng.wait(pid)
    slice_of = {c.client_order_id: c.meta.get("twap_slice") for c in kids(eng, pid)}
    assert len(venue.open_at_submit) == 15
    for cid, open_ids in venue.open_at_submit:
        assert not [o for o in open_ids if slice_of[o] == slice_of[cid]], (
            f"{cid} sent while {open_ids} still live"
        )


async def test_reprices_are_bounded_and_the_rest_carries_to_the_next_slice(run_engine, clock):
    venue = StaticVenue("X", clock, bid="99.90", ask="100.10")
    eng = await run_engine({"X": venue}, with_algos(algos__maker_max_reprices=0))
    pid = await eng.submit(ticket("300", "maker"))
    rep = await eng.wait(pid)
    slices = by_slice(kids(eng, pid))
    assert [[c.meta["maker_stage"] for c in slices[i]] for i in range(1, 6)] == [["touch"]] * 5
    # nothing filled passively: each slice asks for everything scheduled so far
    assert [slices[i][0].quantity for i in range(1, 6)] == [60, 120, 180, 240, 300]
    completion = [c for c in kids(eng, pid) if c.meta.get("completion")]
    assert len(completion) == 1 and completion[0].filled_qty == 300
    assert rep.filled_qty == 300


async def test_a_maker_leg_whose_venue_goes_down_is_rerouted(run_engine, clock):
    down = FaultyBroker(StaticVenue("X", clock, bid="99.90", ask="100.10"), fail_after=2)
    spare = StaticVenue("Y", clock, bid="99.90", ask="100.10")
    eng = await run_engine({"X": down, "Y": spare})
    rep = await eng.wait(await eng.submit(ticket("300", "maker")))
    legs = {leg["venue"]: leg for leg in rep.legs}
    assert legs["X"]["status"] == "re-routed to Y"
    assert rep.filled_qty == 300 and Decimal(legs["Y"]["filled"]) == 300
    assert spare.sent[0].meta["maker_stage"] == "touch"
