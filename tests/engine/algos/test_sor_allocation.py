"""Multi-venue allocation: invariants by property test, then each rule on a hand-made market."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.config import RouterConfig
from engine.models import Quote, Side
from engine.routing.sor import VenueScore, allocate

CFG = RouterConfig()


def quote(venue: str, bid: str, ask: str) -> Quote:
    return Quote(venue, "AAPL", Decimal(bid), Decimal(ask), Decimal(100), Decimal(100), 0.0)


def score(venue: str, bps: float) -> VenueScore:
    return VenueScore(venue, bps, 10, "own")


@st.composite
def markets(draw):
    n = draw(st.integers(1, 8))
    quotes, scores, steps = {}, {}, {}
    for i in range(n):
        v = f"V{i}"
        mid_cents = draw(st.integers(9_980, 10_020))  # mids within +-20 bps of 100.00
        half = draw(st.integers(1, 15))  # half-spread in cents
        quotes[v] = Quote(
            v,
            "AAPL",
            Decimal(mid_cents - half) / 100,
            Decimal(mid_cents + half) / 100,
            Decimal(100),
            Decimal(100),
            0.0,
        )
        scores[v] = score(v, draw(st.floats(0, 20)))
        steps[v] = draw(st.sampled_from([Decimal(0), Decimal(1), Decimal("0.001")]))
    qty = Decimal(draw(st.integers(1, 2_000_000))) / draw(st.sampled_from([1, 1000]))
    return quotes, scores, steps, qty, draw(st.sampled_from(list(Side)))


@settings(max_examples=400, deadline=None)
@given(markets())
def test_allocation_invariants_hold_on_any_market(market):
    quotes, scores, steps, qty, side = market
    legs, dropped = allocate(side, qty, quotes, scores, CFG, steps)
    assert legs, "a positive quantity with usable quotes always gets a leg"
    assert sum((leg.quantity for leg in legs), Decimal(0)) == qty  # exactly the parent
    assert len(legs) <= CFG.sor_max_legs
    assert len({leg.venue for leg in legs}) == len(legs)
    if len(legs) > 1:
        assert all(leg.notional >= CFG.sor_min_leg_notional for leg in legs)
    # every venue is either used or dropped with a reason
    assert {leg.venue for leg in legs} | {v for v, _ in dropped} == set(quotes)
    assert all(reason for _, reason in dropped)
    best_cost = min(leg.effective_cost_bps for leg in legs)
    assert all(leg.effective_cost_bps - best_cost <= CFG.sor_max_price_worse_bps for leg in legs)
    assert all(leg.quantity > 0 for leg in legs)


def test_a_venue_more_than_8_bps_worse_in_effective_cost_is_dropped():
    quotes = {
        "A": quote("A", "99.99", "100.01"),
        "B": quote("B", "99.99", "100.01"),
        "C": quote("C", "99.99", "100.01"),
    }
    scores = {
        "A": score("A", 1.0),
        "B": score("B", 9.0),
        "C": score("C", 9.5),
    }  # B: 8.0 worse, C: 8.5
    legs, dropped = allocate(Side.BUY, Decimal(1000), quotes, scores, CFG)
    assert {leg.venue for leg in legs} == {"A", "B"}
    assert [v for v, _ in dropped] == ["C"] and "8.50 bps worse" in dropped[0][1]


def test_a_worse_quoted_price_counts_in_effective_cost():
    quotes = {
        "A": quote("A", "99.99", "100.01"),
        "B": quote("B", "100.09", "100.11"),
    }  # B's ask ~10 bps worse
    scores = {"A": score("A", 2.0), "B": score("B", 2.0)}
    legs, dropped = allocate(Side.BUY, Decimal(1000), quotes, scores, CFG)
    assert [leg.venue for leg in legs] == ["A"] and dropped[0][0] == "B"
    # for a seller B's bid is the better price: the ranking turns round
    legs, dropped = allocate(Side.SELL, Decimal(1000), quotes, scores, CFG)
    assert [leg.venue for leg in legs] == ["B"] and dropped[0][0] == "A"
    assert legs[0].price_worse_bps == 0.0


def test_allocation_is_proportional_to_one_over_spread():
    quotes = {
        "A": quote("A", "99.99", "100.01"),
        "B": quote("B", "99.98", "100.02"),
        "C": quote("C", "99.96", "100.04"),
    }  # 2, 4, 8 bps
    scores = {v: score(v, 1.0) for v in quotes}
    legs, _ = allocate(
        Side.BUY, Decimal(7000), quotes, scores, CFG, {v: Decimal(1) for v in quotes}
    )
    by = {leg.venue: leg.quantity for leg in legs}
    # shares 4/7, 2/7, 1/7; the others round down to the step, the best leg takes the remainder
    assert 0 <= 2000 - by["B"] <= 1 and 0 <= 1000 - by["C"] <= 1
    assert by["A"] == 7000 - by["B"] - by["C"]
    assert [leg.share for leg in legs] == pytest.approx([4 / 7, 2 / 7, 1 / 7], abs=1e-3)


def test_legs_below_the_minimum_notional_go_to_the_best_leg():
    quotes = {
        "A": quote("A", "99.99", "100.01"),
        "B": quote("B", "99.98", "100.02"),
        "C": quote("C", "99.92", "100.08"),
    }  # 2, 4, 16 bps
    scores = {v: score(v, 1.0) for v in quotes}
    legs, dropped = allocate(
        Side.BUY, Decimal(60), quotes, scores, CFG, {v: Decimal(1) for v in quotes}
    )  # ~6,000 notional
    by = {leg.venue: leg.quantity for leg in legs}
    # shares 8:4:1 -> A 36.9, B 18.5, C 4.6; C's 4 shares (400 notional) go to A
    assert by == {"A": 42, "B": 18}
    assert dropped == [("C", dropped[0][1])] and "below minimum 500" in dropped[0][1]


def test_a_small_order_is_one_leg_even_below_the_minimum():
    quotes = {"A": quote("A", "99.99", "100.01"), "B": quote("B", "99.98", "100.02")}
    legs, _ = allocate(Side.BUY, Decimal(3), quotes, {}, CFG, {v: Decimal(1) for v in quotes})
    assert [(leg.venue, leg.quantity) for leg in legs] == [("A", 3)]


def test_at_most_four_legs():
    quotes = {f"V{i}": quote(f"V{i}", "99.99", "100.01") for i in range(6)}
    legs, dropped = allocate(Side.BUY, Decimal(60_000), quotes, {}, CFG)
    assert len(legs) == 4
    assert sorted(v for v, r in dropped if "at most 4 legs" in r) == ["V4", "V5"]


def test_venues_without_a_usable_quote_are_reported():
    quotes = {
        "A": quote("A", "99.99", "100.01"),
        "B": quote("B", "0", "0"),
        "C": quote("C", "100.02", "100.01"),
    }
    legs, dropped = allocate(Side.BUY, Decimal(10), quotes, {}, CFG)
    assert [leg.venue for leg in legs] == ["A"]
    assert {v for v, r in dropped if "no usable quote" in r} == {"B", "C"}


def test_the_best_leg_is_never_left_below_the_minimum_beside_others():
    # A is cheapest by effective cost but quotes a wide spread: its 1/spread share is tiny
    quotes = {"A": quote("A", "99.90", "100.10"), "B": quote("B", "100.00", "100.01")}
    scores = {"A": score("A", 0.0), "B": score("B", 7.0)}
    legs, _ = allocate(Side.BUY, Decimal(50), quotes, scores, CFG, {v: Decimal(1) for v in quotes})
    assert sum(leg.quantity for leg in legs) == 50
    assert len(legs) == 1 or all(leg.notional >= CFG.sor_min_leg_notional for leg in legs)


@pytest.mark.parametrize("qty", ["0", "-5"])
def test_nothing_to_allocate_gives_no_legs(qty):
    legs, _ = allocate(Side.BUY, Decimal(qty), {"A": quote("A", "99.99", "100.01")}, {}, CFG)
    assert legs == []


COST = RouterConfig(allocator="cost")


@settings(max_examples=300, deadline=None)
@given(markets(), st.integers(1, 20))
def test_the_cost_allocator_keeps_every_invariant(market, slices):
    quotes, scores, steps, qty, side = market
    fees = {v: float(i % 3) for i, v in enumerate(quotes)}
    legs, dropped = allocate(side, qty, quotes, scores, COST, steps, fees=fees, slices=slices)
    assert legs and sum((leg.quantity for leg in legs), Decimal(0)) == qty
    assert len(legs) <= COST.sor_max_legs and all(leg.quantity > 0 for leg in legs)
    assert {leg.venue for leg in legs} | {v for v, _ in dropped} == set(quotes)
    if len(legs) > 1:
        assert all(leg.notional >= COST.sor_min_leg_notional for leg in legs)


def test_the_cost_allocator_sends_everything_to_a_venue_best_on_every_axis():
    # A: tightest, deepest, cheapest fee; 1/spread would still give B and C a third of the order
    quotes = {
        "A": Quote(
            "A", "X", Decimal("99.99"), Decimal("100.01"), Decimal(5000), Decimal(5000), 0.0
        ),
        "B": Quote("B", "X", Decimal("99.98"), Decimal("100.02"), Decimal(500), Decimal(500), 0.0),
        "C": Quote("C", "X", Decimal("99.97"), Decimal("100.03"), Decimal(300), Decimal(300), 0.0),
    }
    scores = {v: score(v, 1.0) for v in quotes}
    fees = {"A": 0.3, "B": 1.0, "C": 2.0}
    ticks = dict.fromkeys(quotes, Decimal("0.01"))
    spread_legs, _ = allocate(Side.BUY, Decimal(3000), quotes, scores, CFG)
    assert len(spread_legs) == 3
    legs, dropped = allocate(
        Side.BUY, Decimal(3000), quotes, scores, COST, fees=fees, ticks=ticks, slices=5
    )
    assert [(leg.venue, leg.quantity) for leg in legs] == [("A", Decimal(3000))]
    assert {v for v, _ in dropped} == {"B", "C"}


def test_the_cost_allocator_spreads_an_order_too_big_for_one_venues_book():
    # equal venues with 100 at the touch: 3000 in one child would walk 30 levels on one venue
    quotes = {v: quote(v, "99.99", "100.01") for v in "ABC"}
    scores = {v: score(v, 1.0) for v in quotes}
    ticks = dict.fromkeys(quotes, Decimal("0.01"))
    legs, _ = allocate(Side.BUY, Decimal(3000), quotes, scores, COST, ticks=ticks)
    assert len(legs) == 3  # within one chunk (1/200 of the order) of an even split
    assert all(abs(leg.quantity - 1000) <= Decimal(3000) / 200 for leg in legs)
