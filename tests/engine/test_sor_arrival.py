"""A multi-venue parent's children reach their venues together, so no venue's quotes fade first."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from engine.brokers.base import Ack
from engine.config import Settings
from engine.factory import build_engine
from engine.models import ChildOrder, Side, Ticket
from engine.sim.params import VenueParams, load_params
from engine.sim.venues import build_simulated_venues

FAST, SLOW = 1.0, 10.0  # ms, no jitter
PARAMS = dataclasses.replace(
    load_params(None),
    venues=(
        VenueParams(spread_mult=1.0, depth_mult=1.0, latency_ms=FAST, latency_sigma=0.0),
        VenueParams(spread_mult=1.0, depth_mult=1.0, latency_ms=SLOW, latency_sigma=0.0),
    ),
)


def settings(sync: bool, hold_ms: float = 25.0) -> Settings:
    s = Settings()
    return s.model_copy(
        update={
            "sim": s.sim.model_copy(update={"venues": 2, "symbols": ["AAPL"], "starting_cash": Decimal(10**9)}),
            "router": s.router.model_copy(
                update={"sor_sync_arrival": sync, "sor_sync_max_hold_ms": hold_ms, "twap_num_slices": 3, "twap_interval_seconds": 10.0}
            ),
        }
    )  # fmt: skip


async def arrivals(tmp_path, clock, sync: bool, hold_ms: float = 25.0) -> list[dict[str, float]]:
    """Per TWAP slice: venue -> when the slice's first child reached the venue."""
    s = settings(sync, hold_ms)
    venues = build_simulated_venues(s, clock, PARAMS)
    seen: dict[int, dict[str, float]] = {}
    for v in venues.values():
        submit = v.submit

        async def recording(order: ChildOrder, submit=submit, name=v.name) -> Ack:
            ack = await submit(order)
            if "twap_slice" in order.meta and ack.arrived_ts is not None:
                seen.setdefault(int(order.meta["twap_slice"]), {}).setdefault(name, ack.arrived_ts)
            return ack

        v.submit = recording  # type: ignore[method-assign]
    eng = build_engine(s, clock=clock, db_path=tmp_path / f"f{sync}.db", brokers=venues)
    await eng.start()
    try:
        # large against ADV: the order-type rule picks TWAP for every leg
        rep = await eng.wait(await eng.submit(Ticket("AAPL", Side.BUY, Decimal(12000), algo="sor")))
    finally:
        await eng.stop()
    assert {(leg["venue"], leg["algo"]) for leg in rep.legs} == {
        ("SIM-A", "twap"),
        ("SIM-B", "twap"),
    }
    assert rep.filled_qty == Decimal(12000), rep.reason
    return list(seen.values())  # first child of each slice on each venue


@pytest.mark.parametrize("sync", [True, False])
async def test_children_of_one_slice_arrive_together_only_when_synchronised(tmp_path, clock, sync):
    slices = await arrivals(tmp_path, clock, sync)
    gaps = [abs(s["SIM-B"] - s["SIM-A"]) * 1000 for s in slices if len(s) == 2]
    assert len(gaps) == 3  # every slice on both venues
    if sync:
        assert max(gaps) < 0.1  # ms: held by the latency difference, both land at once
    else:
        assert min(gaps) == pytest.approx(SLOW - FAST, abs=0.01)


async def test_a_venue_slower_than_the_hold_cap_is_not_waited_for(tmp_path, clock):
    slices = await arrivals(tmp_path, clock, True, hold_ms=5.0)  # SLOW - FAST = 9 ms > 5 ms
    gaps = [abs(s["SIM-B"] - s["SIM-A"]) * 1000 for s in slices if len(s) == 2]
    assert len(gaps) == 3 and min(gaps) == pytest.approx(SLOW - FAST, abs=0.01)
