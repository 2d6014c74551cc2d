"""Which engine algorithm runs each evaluation arm, with what ticket parameters and policy table."""

from __future__ import annotations

from dataclasses import dataclass

from engine.config import Settings
from engine.models import AlgoParams


@dataclass(frozen=True, slots=True)
class EngineArm:
    """An arm as a ticket: the algorithm, its parameters, and the table `drl` reads (if any)."""

    arm: str
    algo: str
    params: AlgoParams
    policy_path: str | None = None


# Arms the engine cannot run, and why (shown next to the figures instead of a number).
NOT_ON_ENGINE = {
    "ppo-net": "no engine algorithm runs the network; ppo-table is its export and runs as drl",
}
ABLATION_NOTE = "the ablated table was not saved for the engine to read"


def engine_arm(
    arm: str,
    settings: Settings,
    policy: str | None,
    ppo: str | None,
    ablated: dict[str, str] | None = None,
) -> EngineArm | str:
    """The engine's version of `arm`, or the reason there is none. `ablated`: the file each
    drl-no-* table was saved to (the engine's drl reads a table from a path)."""
    if arm in NOT_ON_ENGINE:
        return NOT_ON_ENGINE[arm]
    if arm.startswith("drl-no-"):
        path = (ablated or {}).get(arm)
        return EngineArm(arm, "drl", AlgoParams(), path) if path else ABLATION_NOTE
    if arm == "ac":  # Almgren-Chriss holdings at the same urgency, no participation cap
        return EngineArm(
            arm, "arrival", AlgoParams(participation_pct=100.0, urgency=settings.rl.ac_kappa_t)
        )
    if arm == "drl":
        return EngineArm(arm, "drl", AlgoParams(), policy or settings.algos.policy_path)
    if arm == "ppo-table":
        return EngineArm(arm, "drl", AlgoParams(), ppo)
    return EngineArm(arm, arm, AlgoParams())  # twap, passive-twap, ewma: the same names
