"""Baselines of the conservative policy: which schedule each spread bin defers to at the start, and
whether a bin's learned cells survive validation on later training data (engine/rl/train.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from engine.rl.arms import EwmaArm, TableArm
from engine.rl.env import EnvConfig, run_episodes
from engine.rl.paths import MarketPaths
from engine.rl.spaces import FEATURES
from engine.rl.table import (
    DEFER_CODES,
    DEFER_NAMES,
    DEFER_PASSIVE,
    DEFER_TWAP,
    UNVISITED,
    PolicyTable,
)

if TYPE_CHECKING:
    from engine.rl.train import TrainSpec


def initial_baseline(
    paths: list[MarketPaths],
    ranges: list[tuple[int, int]],
    cfgs: list[EnvConfig],
    table: PolicyTable,
    spec: TrainSpec,
    rng: np.random.Generator,
) -> tuple[NDArray[np.int64], list[str]]:
    """Per spread bin, start from the passive schedule only where it beats the crossing one
    significantly: paired parents (same path, start, side), grouped by the spread bin they start in."""
    j = FEATURES.index("spread_bps")
    sp_edges = table.edges[j]
    diffs, bins = [], []
    n_path = max(2, min(spec.episodes // 10, 20_000) // len(paths))
    for p, (lo, hi), cfg in zip(paths, ranges, cfgs, strict=True):
        starts = rng.integers(lo, hi, n_path)
        sides = np.where(rng.random(n_path) < 0.5, 1, -1)
        out = []
        for code in DEFER_CODES:
            ew = ewma_arm(p, starts, spec)
            arm = TableArm(table, ew, p.step_s, codes=np.full(len(table.best), code))
            out.append(run_episodes(p, starts, sides, arm.decide, cfg).is_bps)
        diffs.append(out[0] - out[1])  # > 0: passive cheaper
        bins.append(np.searchsorted(sp_edges, p.features()["spread_bps"][starts], side="right"))
    d, b = np.concatenate(diffs), np.concatenate(bins)
    per_bin = np.full(len(sp_edges) + 1, DEFER_TWAP, dtype=np.int64)
    said = []
    bounds = np.r_[0.0, sp_edges, np.inf]
    for k in range(len(per_bin)):
        x = d[b == k]
        where = f"spread [{bounds[k]:g}, {bounds[k + 1]:g}) bps"
        if len(x) < 2:
            said.append(f"{where}: twap (no parents)")
            continue
        lcb = float(x.mean() - spec.z * x.std(ddof=1) / np.sqrt(len(x)))
        how = f"passive minus crossing schedule {-x.mean():+.3f} bps over {len(x)} paired parents"
        if lcb > 0:
            per_bin[k] = DEFER_PASSIVE
        said.append(f"{where}: {DEFER_NAMES[int(per_bin[k])]} ({how})")
    cell_bin = np.unravel_index(np.arange(len(table.best)), table.shape)[j]
    return per_bin[cell_bin], said


def ewma_arm(p: MarketPaths, starts: NDArray[np.int64], spec: TrainSpec) -> EwmaArm:
    """The EWMA spread model over these parents: what a deferring or unvisited cell follows."""
    return EwmaArm(
        p, starts, spec.slices, spec.ewma_wide_factor, spec.ewma_half_life_s, spec.ewma_retry_s
    )


def validate(
    paths: list[MarketPaths],
    checks: list[tuple[int, int]],
    cfgs: list[EnvConfig],
    table: PolicyTable,
    spec: TrainSpec,
    codes: NDArray[np.int64],
    base: NDArray[np.int64],
    visited: NDArray[np.bool_],
) -> tuple[NDArray[np.int64], list[str]]:
    """Keep a spread bin's learned cells only if, on the validation part of the training data (later
    in time than all it learned from), parents starting in that bin cost significantly less with them
    than with the bin's baseline (paired, mean + z SE < 0); else the bin reverts to its baseline. Guards against a learned edge that
    was a passing regime of the fitting part."""
    j = FEATURES.index("spread_bps")
    cell_bin = np.unravel_index(np.arange(len(codes)), table.shape)[j]
    learned, plain = np.where(visited, codes, UNVISITED), np.where(visited, base, UNVISITED)
    diffs, bins = [], []
    for p, (lo, hi), cfg in zip(paths, checks, cfgs, strict=True):
        if hi - lo < 2 or spec.validate <= 0:
            continue
        starts = np.unique(np.linspace(lo, hi - 1, min(hi - lo, 2000)).round().astype(np.int64))
        sides = np.where(np.arange(len(starts)) % 2 == 0, 1, -1)
        out = []
        for c in (learned, plain):
            ew = ewma_arm(p, starts, spec)
            out.append(
                run_episodes(
                    p, starts, sides, TableArm(table, ew, p.step_s, codes=c).decide, cfg
                ).is_bps
            )
        diffs.append(out[0] - out[1])
        bins.append(
            np.searchsorted(table.edges[j], p.features()["spread_bps"][starts], side="right")
        )
    d = np.concatenate(diffs) if diffs else np.zeros(0)
    b = np.concatenate(bins) if bins else np.zeros(0, dtype=np.int64)
    out_codes, said = codes.copy(), []
    for k in range(len(table.edges[j]) + 1):
        here = cell_bin == k
        n_learned = int((codes[here] >= 0).sum())
        if n_learned == 0:
            continue
        x = d[b == k]
        if len(x) > 1 and x.mean() + spec.z * x.std(ddof=1) / np.sqrt(len(x)) < 0:
            said.append(
                f"spread bin {k}: {n_learned} learned cells kept ({x.mean():+.3f} bps vs baseline over {len(x)} parents)"
            )
        else:
            out_codes[here] = base[here]
            how = (
                f"{x.mean():+.3f} bps vs baseline over {len(x)} parents" if len(x) else "no parents"
            )
            said.append(
                f"spread bin {k}: {n_learned} learned cells reverted to the baseline ({how})"
            )
    return out_codes, said
