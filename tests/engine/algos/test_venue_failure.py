"""A venue that errors, times out, refuses orders or loses market data mid-execution:
its leg is re-routed, or paused with an event, never silently dropped."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.events import LogMessage, ParentCompleted
from engine.models import OrderStatus
from tests.engine.algos.conftest import ticket
from tests.fakes.static_venue import StaticVenue

FAILURES = ["error", "timeout", "reject", "quote"]


def drain(q):
    return [q.get_nowait() for _ in range(q.qsize())]


@pytest.mark.parametrize("failure", FAILURES)
@pytest.mark.parametrize("algo", ["twap", "maker", "adaptive"])
async def test_the_leg_moves_to_another_venue(run_engine, clock, failure, algo):
    bad = StaticVenue("X", clock, fail_after=2, failure=failure)
    good = StaticVenue("Y", clock, bid="99.98", ask="100.02")
    eng = await run_engine({"X": bad, "Y": good})
    events = eng.subscribe()
    rep = await eng.wait(await eng.submit(ticket("300", algo)))
    legs = {leg["venue"]: leg for leg in rep.legs}
    assert legs["X"]["status"] == "re-routed to Y", legs
    assert rep.status is OrderStatus.FILLED and rep.filled_qty == 300
    assert Decimal(legs["X"]["filled"]) + Decimal(legs["Y"]["filled"]) == 300
    if algo != "maker":  # the maker's first two orders only rested
        assert Decimal(legs["X"]["filled"]) > 0  # the first slices did fill on X
    logs = [e for e in drain(events) if isinstance(e, LogMessage)]
    assert any("re-routed" in e.message and "X" in e.message for e in logs)


@pytest.mark.parametrize("failure", FAILURES)
async def test_with_no_other_venue_the_leg_pauses_with_an_event(run_engine, clock, failure):
    bad = StaticVenue("X", clock, fail_after=2, failure=failure)
    eng = await run_engine({"X": bad})
    events = eng.subscribe()
    rep = await eng.wait(await eng.submit(ticket("300", "twap")))
    assert rep.legs[0]["status"] == "paused"
    filled = 180 if failure == "quote" else 120  # market data goes only at the fourth slice's quote
    assert rep.status is OrderStatus.PARTIALLY_FILLED and rep.filled_qty == filled
    seen = drain(events)
    assert any(
        isinstance(e, LogMessage)
        and e.level == "error"
        and f"paused with {300 - filled}" in e.message
        for e in seen
    )
    assert any(isinstance(e, ParentCompleted) and e.filled_qty == filled for e in seen)


async def test_a_failing_leg_of_a_split_order_does_not_stop_the_others(run_engine, clock):
    venues = {
        "X": StaticVenue("X", clock, bid="99.99", ask="100.01", fail_after=0, failure="error"),
        "Y": StaticVenue("Y", clock, bid="99.98", ask="100.02"),
        "Z": StaticVenue("Z", clock, bid="99.97", ask="100.03"),
    }
    eng = await run_engine(venues)
    rep = await eng.wait(await eng.submit(ticket("600", "sor", venue=None)))
    legs = {leg["venue"]: leg for leg in rep.legs}
    assert set(legs) == {"X", "Y", "Z"}
    assert legs["Y"]["status"] == legs["Z"]["status"] == "done"
    assert legs["X"]["status"] == "paused"  # every other venue already runs a leg of this parent
    assert rep.filled_qty == sum(Decimal(leg["filled"]) for leg in rep.legs)
    assert rep.status is OrderStatus.PARTIALLY_FILLED and "left unfilled" in rep.reason
