"""From training markets to the shipped artefacts: PPO on the first part of each training range,
then the network exported to the lookup table from the states it meets there, and the table's
agreement with the network measured on the states it meets in the validation part (the last
`validate` share of each range, never trained on)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.learned.spaces import ABLATABLE
from engine.learned.table import PolicyTable
from engine.rl.arms import NetArm
from engine.rl.env import EnvConfig, run_episodes
from engine.rl.evaluate import Market
from engine.rl.export import agreement, export_table
from engine.rl.network import PolicyNet
from engine.rl.ppo.env import source
from engine.rl.ppo.train import PpoSpec, Progress, train_ppo
from engine.rl.train import bin_edges

SAMPLE_PARENTS = 400  # per market, for the export's states and for the agreement


@dataclass(slots=True)
class Trained:
    table: PolicyTable
    net: PolicyNet
    agreement: float  # table vs network on validation states


def split(m: Market, validate: float) -> tuple[tuple[int, int], tuple[int, int]]:
    """(training starts, validation starts) of one market: the last `validate` share validates."""
    cut = m.lo + max(1, int((m.hi - m.lo) * (1 - validate)))
    return (m.lo, cut), (cut, m.hi)


def market_source(
    m: Market, lo: int, hi: int, cfg: EnvConfig, origin: tuple[str, str, int], weight: float = 1.0
) -> dict[str, Any]:
    """What a Ray worker needs to rebuild the market: (kind, file path or symbol, seed)."""
    kind, name, seed = origin
    secs = len(m.paths) * m.paths.step_s
    return source(
        kind, name, lo, hi, cfg.qty, seed=seed, seconds=secs, horizon_s=cfg.horizon_s, weight=weight
    )


def visited_states(
    m: Market, lo: int, hi: int, net: PolicyNet, cfg: EnvConfig, n: int, seed: int
) -> NDArray[np.float64]:
    """The states the network meets working `n` parents started uniformly in [lo, hi)."""
    rng = np.random.default_rng(seed)
    starts = rng.integers(lo, max(hi, lo + 1), n)
    sides = np.where(rng.random(n) < 0.5, 1, -1)
    arm = NetArm(net, m.paths.step_s, seen=[])
    run_episodes(m.paths, starts, sides, arm.decide, cfg)
    assert arm.seen is not None
    return np.concatenate(arm.seen) if arm.seen else np.zeros((0, 6))


def train_and_export(
    markets: list[Market],
    cfgs: list[EnvConfig],
    origins: list[tuple[str, str, int]],  # per market: file|synthetic|linear, path or symbol, seed
    spec: PpoSpec,
    checkpoint_dir: str | Path,
    meta: dict[str, Any],
    *,
    validate: float = 0.25,
    ray_address: str | None = None,
    progress: Progress | None = None,
    weights: list[float] | None = None,  # per market: its chance of an episode (None: equal)
) -> Trained:
    parts = [split(m, validate) for m in markets]
    ws = weights or [1.0] * len(markets)
    env_config = {
        "sources": [
            market_source(m, a, b, c, o, w)
            for m, ((a, b), _), c, o, w in zip(markets, parts, cfgs, origins, ws, strict=True)
        ],
        "env": {k: getattr(cfgs[0], k) for k in cfgs[0].__slots__ if k != "qty"},
        "step_s": markets[0].paths.step_s,
    }
    net = train_ppo(
        spec, env_config, checkpoint_dir, ray_address=ray_address, progress=progress, meta=meta
    )
    fit, check = [], []
    for i, (m, ((a, b), (c, d)), cfg) in enumerate(zip(markets, parts, cfgs, strict=True)):
        fit.append(visited_states(m, a, b, net, cfg, SAMPLE_PARENTS, spec.seed + i))
        check.append(visited_states(m, c, d, net, cfg, SAMPLE_PARENTS, spec.seed + 1000 + i))
    ablate = tuple(k for k, v in ABLATABLE.items() if v in spec.masked)
    steps = [int(round(c.horizon_s / m.paths.step_s)) for m, c in zip(markets, cfgs, strict=True)]
    spans = [
        (a, min(len(m.paths), b + s + 1))
        for m, ((a, b), _), s in zip(markets, parts, steps, strict=True)
    ]
    edges = bin_edges([m.paths for m in markets], ablate, spans)
    table = export_table(net.logits, edges, np.concatenate(fit), {}, ablate)
    held = np.concatenate(check)
    agree = agreement(table, net.logits, held)
    table.meta |= {
        **meta,
        **net.meta,
        "method": "PPO (Ray RLlib, new API stack), exported per cell as the network's majority greedy action",
        "horizon_s": cfgs[0].horizon_s,
        "qty": cfgs[0].qty,
        "qty_per_path": [c.qty for c in cfgs],
        "env": {k: getattr(cfgs[0], k) for k in cfgs[0].__slots__},
        "agreement_validation": round(agree, 4),
        "validation_states": len(held),
    }
    if progress:
        progress(
            f"exported: {table.meta['cells_met']}/{len(table.best)} cells met, agreement with the network on validation states {agree:.3f}"
        )
    return Trained(table, net, agree)
