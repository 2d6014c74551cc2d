"""Smart order router against the best single venue known beforehand and a naive even split.

On each seeded path of the simulated four-venue market (engine/sim, packaged default params),
the same parent runs four ways, each leg a TWAP: (1) the router's legs (`router.allocator: spread`,
the 1/spread rule), (2) the cost allocator's legs (`router.allocator: cost`), (3) everything on the
venue the router itself ranks best from its own inputs (quotes + venue scores at arrival),
(4) an even split over every venue. Cost = implementation shortfall in bps (fees included).
The same is then run on a stress market where one venue is best on every axis (tightest spread,
deepest book, lowest fees): there the 1/spread rule's share for the other venues is pure cost.

    .venv/bin/python -m bench.algos_router [--paths 100] [--qty 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import time
from decimal import Decimal

from bench.paths import paired, run_path, show, submit_legs, tweak
from engine.algos.slicing import twap_slices
from engine.brokers.base import Broker
from engine.clock import SimClock
from engine.config import Settings
from engine.models import Side, Ticket
from engine.sim.params import MarketParams, VenueParams, load_params
from engine.sim.venues import build_simulated_venues

DOMINATED = dataclasses.replace(
    load_params(None),
    venues=tuple(
        VenueParams(
            spread_mult=sm, depth_mult=dm, volume_share=vs, taker_fee_bps=fee, latency_ms=lat
        )
        for sm, dm, vs, fee, lat in (
            (1.0, 1.2, 0.35, 0.3, 1.0),
            (1.3, 1.0, 0.3, 0.5, 2.5),
            (1.8, 0.7, 0.2, 1.0, 5.0),
            (2.5, 0.5, 0.15, 2.0, 12.0),
        )
    ),
)


def sim_venues(s: Settings, clock: SimClock, seed: int) -> dict[str, Broker]:
    return build_simulated_venues(tweak(s, sim__seed=seed), clock)


def on_market(params: MarketParams):
    def venues(s: Settings, clock: SimClock, seed: int) -> dict[str, Broker]:
        return build_simulated_venues(tweak(s, sim__seed=seed), clock, params)

    return venues


async def main(paths: int, qty: int, symbol: str) -> None:
    settings = tweak(
        Settings(),
        sim__symbols=[symbol],
        sim__starting_cash=Decimal(10**10),
        risk__max_child_notional=Decimal(10**9),
        risk__max_child_quantity=Decimal(10**9),
        risk__max_position_per_symbol=Decimal(10**9),
        execution__default_order_type="twap",  # the legs run as TWAP: the planner knows it
    )
    cost_settings = tweak(settings, router__allocator="cost")
    ticket = Ticket(symbol, Side.BUY, Decimal(qty), algo="sor")

    def arm(kind: str):
        async def act(eng) -> str:
            plan = await eng.plan(ticket)
            if kind in ("router", "cost"):  # the engine's settings say which allocator
                legs = [(leg.venue, leg.quantity) for leg in plan.legs]
            elif kind == "best":
                legs = [(plan.legs[0].venue, Decimal(qty))]
            else:
                venues = sorted(eng.venue_connected)
                legs = list(
                    zip(venues, twap_slices(Decimal(qty), len(venues), Decimal(1)), strict=False)
                )
            arm_legs[kind] = legs
            return await submit_legs(eng, ticket, legs, "twap")

        return act

    arm_legs: dict[str, list[tuple[str, Decimal]]] = {}
    t = time.perf_counter()
    print(
        f"command: .venv/bin/python -m bench.algos_router --paths {paths} --qty {qty} --symbol {symbol}"
    )
    print(f"{symbol} buy {qty} on four simulated venues, TWAP legs, {paths} paired paths")
    for name, venues in (
        ("default market", sim_venues),
        ("stress: one venue best on every axis", on_market(DOMINATED)),
    ):
        costs: dict[str, list[float]] = {"router": [], "cost": [], "best": [], "even": []}
        for seed in range(1, paths + 1):
            for kind in costs:
                arm_settings = cost_settings if kind == "cost" else settings
                rep = await run_path(arm_settings, venues, seed, arm(kind))
                assert rep.shortfall_bps is not None, rep  # an unfilled rest is in the shortfall
                costs[kind].append(rep.shortfall_bps)
        print(f"{name}:")
        print(
            f"  legs {[(v, str(q)) for v, q in arm_legs['router']]}  best {arm_legs['best'][0][0]}"
        )
        print(f"  cost allocator legs {[(v, str(q)) for v, q in arm_legs['cost']]}")
        print("  " + show("router / best single venue", paired(costs["router"], costs["best"])))
        print("  " + show("router / even split      ", paired(costs["router"], costs["even"])))
        print("  " + show("cost allocator / best venue", paired(costs["cost"], costs["best"])))
        print("  " + show("cost allocator / 1/spread  ", paired(costs["cost"], costs["router"])))
    print(f"elapsed {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--paths", type=int, default=100)
    ap.add_argument("--qty", type=int, default=3000)
    ap.add_argument("--symbol", default="AAPL")
    a = ap.parse_args()
    asyncio.run(main(a.paths, a.qty, a.symbol))
