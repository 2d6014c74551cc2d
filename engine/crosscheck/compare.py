"""Every arm's parents through the engine next to the environment's figures, with the agreement test.

Tolerance (stated and tested): the two means agree when their difference is within the combined
95% interval of the two, each clustered by horizon-long windows as the evaluation's intervals are:
|mean_engine - mean_env| <= 1.96 * sqrt(se_engine^2 + se_env^2). The paired difference (engine minus
environment, parent by parent, same clusters) is reported beside it: it shows the model gap itself,
free of the market's moves that both share.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.config import Settings
from engine.crosscheck.arms import EngineArm, engine_arm
from engine.crosscheck.run import ParentResult, like_for_like, replay_origin, run_parent
from engine.rl.clustered import clustered_mean_se
from engine.rl.env import EnvConfig
from engine.rl.evaluate import Market, market_parents, parents_per_market
from engine.sim.data.cache import load

Z95 = 1.96
TOLERANCE = (
    "|engine - env| <= 1.96 x sqrt(se_engine^2 + se_env^2), standard errors clustered by "
    "horizon-long windows (the combined 95% interval)"
)


def _ci(mean: float, se: float) -> list[float] | None:
    return None if not math.isfinite(se) else [round(mean - Z95 * se, 4), round(mean + Z95 * se, 4)]


def agreement(
    env: NDArray[np.float64], eng: NDArray[np.float64], blocks: NDArray[np.int64]
) -> dict[str, Any]:
    """Means, their clustered intervals, the difference against the tolerance, and the paired gap."""
    m_env, se_env, n_blocks = clustered_mean_se(env, blocks)
    m_eng, se_eng, _ = clustered_mean_se(eng, blocks)
    m_d, se_d, _ = clustered_mean_se(eng - env, blocks)
    tol = Z95 * math.sqrt(se_env**2 + se_eng**2)
    diff = m_eng - m_env
    return {
        "env_mean_is_bps": round(m_env, 4),
        "env_ci95": _ci(m_env, se_env),
        "engine_mean_is_bps": round(m_eng, 4),
        "engine_ci95": _ci(m_eng, se_eng),
        "diff_bps": round(diff, 4),
        "tolerance_bps": round(tol, 4) if math.isfinite(tol) else None,
        "agree": bool(abs(diff) <= tol) if math.isfinite(tol) else None,
        "paired_diff_bps": round(m_d, 4),
        "paired_ci95": _ci(m_d, se_d),
        "n": len(env),
        "windows": n_blocks,
    }


async def engine_check(
    markets: list[Market],
    files: list[str],
    env_result: dict[str, Any],
    *,
    orders: int,
    qty: float | None,
    horizon_s: float,
    slices: int,
    settings: Settings,
    policy: str | None,
    ppo: str | None,
    ablated: dict[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the arms of `env_result` (an evaluate(..., keep_parents=True)) through the engine on the
    same parents, market by market, and compare."""
    per_parent: dict[str, NDArray[np.float64]] = env_result["per_parent"]
    blocks: NDArray[np.int64] = env_result["block_ids"]
    shown = list(env_result["arms"])
    plan: dict[str, EngineArm | str] = {
        a: engine_arm(a, settings, policy, ppo, ablated) for a in shown
    }
    runs: dict[str, list[ParentResult]] = {a: [] for a, e in plan.items() if not isinstance(e, str)}
    counts = parents_per_market(markets, orders)
    for m, f, n in zip(markets, files, counts, strict=True):
        starts, sides, q = market_parents(m, n, qty, horizon_s, settings)
        steps = int(round(horizon_s / m.paths.step_s))
        like = like_for_like(settings, f, slices, horizon_s)
        rec = load(f, settings.replay.cache_dir or None).recording
        lot, origin = Decimal(rec.lot), replay_origin(f, m.paths, rec.first_ts, rec.last_ts)
        for arm, out in runs.items():
            ea = plan[arm]
            assert not isinstance(ea, str)
            for k, s in zip(starts.tolist(), sides.tolist(), strict=True):
                out.append(await run_parent(like, ea, m.paths, origin, k, steps, s, q, lot))
            if progress:
                progress(f"engine: {arm} on {m.paths.source}: {n} parents")
    arms: dict[str, Any] = {}
    for arm in shown:
        ea = plan[arm]
        if isinstance(ea, str):
            arms[arm] = {"skipped": ea}
            continue
        eng = np.array([r.is_bps for r in runs[arm]])
        arms[arm] = agreement(per_parent[arm], eng, blocks) | {
            "engine_algo": ea.algo,
            "engine_completion": round(float(np.mean([r.filled_share for r in runs[arm]])), 4),
        }
    env = EnvConfig()
    return {
        "tolerance": TOLERANCE,
        "like_for_like": {
            "latency_ms": 0.0,
            "maker_fee_bps": settings.rl.maker_fee_bps,
            "taker_fee_bps": settings.rl.taker_fee_bps,
            "queue_model": "risk_averse",
            "refill_s": env.refill_s,
            "impact": {
                "y": env.impact_y,
                "permanent_fraction": env.permanent_fraction,
                "temp_half_life_s": env.temp_half_life_s,
            },
        },
        "arms": arms,
        "all_agree": all(a.get("agree") is not False for a in arms.values()),
    }
