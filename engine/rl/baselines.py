"""Baselines of the conservative policy: which schedule each spread bin defers to at the start, and
whether a bin's learned cells survive validation on later training data (engine/rl/train.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from engine.learned.spaces import FEATURES
from engine.learned.table import (
    DEFER_CODES,
    DEFER_NAMES,
    DEFER_PASSIVE,
    DEFER_TWAP,
    UNVISITED,
    PolicyTable,
)
from engine.rl.arms import EwmaArm, TableArm
from engine.rl.clustered import clustered_mean_se, significantly_negative, window_blocks
from engine.rl.env import EnvConfig, run_episodes
from engine.rl.paths import MarketPaths

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
    significantly: paired parents (same path, start, side), grouped by the spread bin they start in,
    with parents of one horizon-long window counted as one piece of evidence (engine/rl/clustered.py)."""
    j = FEATURES.index("spread_bps")
    sp_edges = table.edges[j]
    diffs, bins, blocks = [], [], []
    n_path = max(2, min(spec.episodes // 10, 20_000) // len(paths))
    for pi, (p, (lo, hi), cfg) in enumerate(zip(paths, ranges, cfgs, strict=True)):
        starts = rng.integers(lo, hi, n_path)
        sides = np.where(rng.random(n_path) < 0.5, 1, -1)
        out = []
        for code in DEFER_CODES:
            ew = ewma_arm(p, starts, spec)
            arm = TableArm(table, ew, p.step_s, codes=np.full(len(table.best), code))
            out.append(run_episodes(p, starts, sides, arm.decide, cfg).is_bps)
        diffs.append(out[0] - out[1])  # > 0: passive cheaper
        bins.append(np.searchsorted(sp_edges, p.features()["spread_bps"][starts], side="right"))
        blocks.append(window_blocks(starts, lo, _steps(p, cfg), pi, len(paths)))
    d, b, w = np.concatenate(diffs), np.concatenate(bins), np.concatenate(blocks)
    per_bin = np.full(len(sp_edges) + 1, DEFER_TWAP, dtype=np.int64)
    said = []
    bounds = np.r_[0.0, sp_edges, np.inf]
    for k in range(len(per_bin)):
        x = d[b == k]
        where = f"spread [{bounds[k]:g}, {bounds[k + 1]:g}) bps"
        if len(x) < 2:
            said.append(f"{where}: twap (no parents)")
            continue
        _, se, n_win = clustered_mean_se(x, w[b == k])
        how = f"passive minus crossing schedule {-x.mean():+.3f} bps (SE {se:.3f}) over {len(x)} paired parents in {n_win} windows"
        if significantly_negative(-x, w[b == k], spec.z):
            per_bin[k] = DEFER_PASSIVE
        said.append(f"{where}: {DEFER_NAMES[int(per_bin[k])]} ({how})")
    cell_bin = np.unravel_index(np.arange(len(table.best)), table.shape)[j]
    return per_bin[cell_bin], said


def _steps(p: MarketPaths, cfg: EnvConfig) -> int:
    return int(round(cfg.horizon_s / p.step_s))


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
    than with the bin's baseline (paired: mean + z SE < 0, SE clustered by horizon-long windows, at
    least MIN_WINDOWS of them); else the bin reverts to its baseline. Guards against a learned edge
    that was a passing regime of the fitting part."""
    j = FEATURES.index("spread_bps")
    cell_bin = np.unravel_index(np.arange(len(codes)), table.shape)[j]
    learned, plain = np.where(visited, codes, UNVISITED), np.where(visited, base, UNVISITED)
    diffs, bins, blocks = [], [], []
    for pi, (p, (lo, hi), cfg) in enumerate(zip(paths, checks, cfgs, strict=True)):
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
        blocks.append(window_blocks(starts, lo, _steps(p, cfg), pi, len(paths)))
        bins.append(
            np.searchsorted(table.edges[j], p.features()["spread_bps"][starts], side="right")
        )
    d = np.concatenate(diffs) if diffs else np.zeros(0)
    b = np.concatenate(bins) if bins else np.zeros(0, dtype=np.int64)
    w = np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.int64)
    out_codes, said = codes.copy(), []
    for k in range(len(table.edges[j]) + 1):
        here = cell_bin == k
        n_learned = int((codes[here] >= 0).sum())
        if n_learned == 0:
            continue
        x = d[b == k]
        _, se, n_win = clustered_mean_se(x, w[b == k]) if len(x) else (0.0, 0.0, 0)
        how = (
            f"{x.mean():+.3f} bps (SE {se:.3f}) vs baseline over {len(x)} parents in {n_win} windows"
            if len(x)
            else "no parents"
        )
        if len(x) > 1 and significantly_negative(x, w[b == k], spec.z):
            said.append(f"spread bin {k}: {n_learned} learned cells kept ({how})")
        else:
            out_codes[here] = base[here]
            said.append(
                f"spread bin {k}: {n_learned} learned cells reverted to the baseline ({how})"
            )
    return out_codes, said
