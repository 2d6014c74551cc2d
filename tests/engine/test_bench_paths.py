"""The benchmark harness: an arm with explicit venue legs really trades, and a broken arm is loud."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bench.algos_router import sim_venues
from bench.paths import FrozenHistory, run_path, submit_legs, tweak
from engine.config import Settings
from engine.models import Side, Ticket

SETTINGS = tweak(
    Settings(),
    sim__symbols=["AAPL"],
    sim__starting_cash=Decimal(10**9),
    router__twap_num_slices=2,
    router__twap_interval_seconds=5.0,
)
TICKET = Ticket("AAPL", Side.BUY, Decimal(300), algo="sor")


async def test_explicit_legs_fill_on_their_venues() -> None:
    legs = [("SIM-A", Decimal(200)), ("SIM-B", Decimal(100))]
    rep = await run_path(
        SETTINGS, sim_venues, 1, lambda eng: submit_legs(eng, TICKET, legs, "twap")
    )
    assert rep.filled_qty == Decimal(300)
    assert {(leg["venue"], leg["filled"]) for leg in rep.legs} == {
        ("SIM-A", "200"),
        ("SIM-B", "100"),
    }
    assert rep.shortfall_bps is not None and rep.shortfall_bps > 0  # crossing a spread costs


async def test_an_arm_whose_algorithm_fails_raises_instead_of_scoring_zero() -> None:
    legs = [("SIM-A", Decimal(300))]
    with pytest.raises(RuntimeError, match="algorithm error"):
        await run_path(
            SETTINGS, sim_venues, 1, lambda eng: submit_legs(eng, TICKET, legs, "no-such-algo")
        )


async def test_a_frozen_history_decides_the_legs_of_the_router() -> None:
    """The learned-scores bench hands the engine a snapshot: its venue figures steer the split."""
    frozen = FrozenHistory({}, {"SIM-A": (50.0, 100), "SIM-B": (0.0, 100)}, None)

    async def act(eng):  # type: ignore[no-untyped-def]
        return await eng.submit(TICKET)

    rep = await run_path(SETTINGS, sim_venues, 1, act, store=frozen)
    legs = {leg["venue"]: Decimal(leg["quantity"]) for leg in rep.legs}
    assert rep.filled_qty == Decimal(300)
    assert "SIM-A" not in legs or legs["SIM-A"] < legs.get("SIM-B", Decimal(0))
