"""Every algorithm a leg can run, by the name a ticket gives: one static table, no plug-in strings."""

from __future__ import annotations

from engine.algos.adaptive import run_adaptive
from engine.algos.arrival import run_arrival
from engine.algos.base import Algo, LegContext
from engine.algos.basic import run_limit, run_market
from engine.algos.iceberg import run_iceberg
from engine.algos.maker import run_maker
from engine.algos.policy import run_ewma, run_policy
from engine.algos.pov import run_pov
from engine.algos.twap import run_twap
from engine.algos.vwap import run_vwap
from engine.models import InputError


async def _passive_twap(ctx: LegContext) -> None:
    await run_twap(ctx, passive=True)


ALGORITHMS: dict[str, Algo] = {
    "market": run_market,
    "limit": run_limit,
    "twap": run_twap,
    "passive-twap": _passive_twap,
    "maker": run_maker,
    "adaptive": run_adaptive,
    "drl": run_policy,
    "ewma": run_ewma,
    "vwap": run_vwap,
    "pov": run_pov,
    "arrival": run_arrival,
    "iceberg": run_iceberg,
}
# what a ticket may name: an algorithm, "auto" (the engine decides) or "sor" (split, then decide)
TICKET_ALGOS = ("auto", *ALGORITHMS, "sor")


def resolve_algo(name: str) -> Algo:
    """The algorithm a leg runs; InputError names an unknown one."""
    try:
        return ALGORITHMS[name]
    except KeyError:
        raise InputError(
            "algo", f"unknown algorithm {name!r}; expected one of {', '.join(ALGORITHMS)}"
        ) from None
