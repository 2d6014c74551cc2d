"""Training: conservative policy improvement over a baseline, from paired one-step deviations.

The policy starts as the baseline everywhere (every cell defers to the EWMA spread model's crossing
TWAP schedule). Each round runs sampled parents twice on the same path, start and side (common
random numbers; the environment is deterministic): once following the current policy, once taking
one other column (an action, or a deferral to the crossing or the passive schedule) at one random
decision and following the current policy after it. The paired difference of the two shortfalls is
an unbiased sample of that column's advantage in the cell the decision fell in (the time bonus is
left out: the target is shortfall). A cell switches to a column only when at least `min_visits`
samples put the lower bound mean - z x standard error of its advantage above 0; otherwise it keeps
what it had. With no signal nothing passes, so the policy stays the baseline: it cannot beat it by
chance. Columns significantly worse than the cell's current choice are not sampled again there.
Statistics of a cell are kept across rounds until its choice changes (then its advantages are
measured against the new choice). Tabular Q-learning and fitted Q iteration were tried first and
diverged, and plain Monte Carlo control chased noise (it lost to TWAP on a no-signal market).
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from engine.learned.spaces import ABLATABLE, ACTIONS, FEATURES
from engine.learned.table import (
    DEFER_CODES,
    DEFER_TWAP,
    UNVISITED,
    PolicyTable,
    code_column,
    column_code,
    conservative_choice,
)
from engine.rl.arms import TableArm
from engine.rl.baselines import ewma_arm, initial_baseline, validate
from engine.rl.env import EnvConfig, run_episodes
from engine.rl.paths import MarketPaths

TIME_EDGES = np.arange(1, 4) / 4
FILLED_EDGES = np.arange(1, 4) / 4
IMBALANCE_EDGES = np.array([-1 / 3, 1 / 3])

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class TrainSpec:
    episodes: int = 200_000  # deviation samples; each costs two simulated parents
    rounds: int = 4
    seed: int = 7
    min_visits: int = 30
    z: float = 2.0
    ablate: tuple[str, ...] = ()
    slices: int = 12  # the baseline TWAP schedule's slices (as evaluated)
    ewma_wide_factor: float = 1.5
    ewma_half_life_s: float = 60.0
    ewma_retry_s: float = 1.0
    validate: float = 0.25  # last share of each training range (by time) that checks learned cells


def spread_edges(spreads: list[NDArray[np.float64]]) -> NDArray[np.float64]:
    """Spread bin edges from the training data: each instrument's quartiles where its spread varies,
    and between instruments whose spread ranges do not overlap, the geometric mean of their medians.

    The lowest bin reaches down to zero: a spread narrower than any trained on shares the narrowest
    trained regime (crossing only gets cheaper there); a table trained on one multi-tick instrument
    thus puts a one-tick market in its narrowest quartile, so train on a one-tick market too.
    """
    qs = []
    for s in spreads:
        s = s[np.isfinite(s) & (s > 0)]
        if len(s):
            qs.append(np.quantile(s, [0.25, 0.5, 0.75]))
    out: list[float] = []
    for q in qs:
        if q[2] > q[0] * 1.05:  # a spread that varies; a one-tick market's quartiles are one value
            out.extend(q)
    by_median = sorted(qs, key=lambda q: q[1])
    for lo, hi in zip(by_median, by_median[1:], strict=False):
        if lo[2] < hi[0]:
            out.append(float(np.sqrt(lo[1] * hi[1])))
    return np.unique(np.round(np.asarray(out, dtype=np.float64), 6))


def bin_edges(
    paths: list[MarketPaths],
    ablate: tuple[str, ...] = (),
    spans: list[tuple[int, int]] | None = None,
) -> list[NDArray[np.float64]]:
    """Spread edges per `spread_edges` and the median volatility, both over the grid points training
    sees (`spans`, default all: never the held-out part of a file); fixed edges for the rest."""
    f = [p.features() for p in paths]
    cut = spans or [(0, len(p)) for p in paths]
    spreads = [x["spread_bps"][a:b] for x, (a, b) in zip(f, cut, strict=True)]
    vol = np.concatenate([x["vol_5m_bps"][a:b] for x, (a, b) in zip(f, cut, strict=True)])
    edges = {
        "spread_bps": spread_edges(spreads),
        "depth_imbalance": IMBALANCE_EDGES,
        "flow_imbalance": IMBALANCE_EDGES,
        "time_remaining": TIME_EDGES,
        "fraction_filled": FILLED_EDGES,
        "vol_5m_bps": np.unique(np.round(np.quantile(vol, [0.5]), 6)),
    }
    dropped = {ABLATABLE[a] for a in ablate}
    return [
        np.zeros(0) if name in dropped else np.asarray(edges[name], dtype=np.float64)
        for name in FEATURES
    ]


def code_version() -> str:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


@dataclass(slots=True)
class Stats:
    """Running count, sum and sum of squares of paired advantages per (cell, column)."""

    n: NDArray[np.int64]
    s: NDArray[np.float64]
    ss: NDArray[np.float64]

    def add(self, cell: NDArray[np.int64], col: NDArray[np.int64], x: NDArray[np.float64]) -> None:
        np.add.at(self.n, (cell, col), 1)
        np.add.at(self.s, (cell, col), x)
        np.add.at(self.ss, (cell, col), x * x)

    def mean_sd(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        n = np.maximum(self.n, 1)
        mean = np.where(self.n > 0, self.s / n, np.nan)
        var = np.where(self.n > 1, (self.ss - self.s * self.s / n) / np.maximum(self.n - 1, 1), 0.0)
        return mean, np.sqrt(np.maximum(var, 0.0))

    def reset(self, cells: NDArray[np.bool_]) -> None:
        self.n[cells] = 0
        self.s[cells] = 0.0
        self.ss[cells] = 0.0


def train(
    paths: list[MarketPaths],
    ranges: list[tuple[int, int]],
    cfg: EnvConfig | list[EnvConfig],
    spec: TrainSpec,
    meta: dict[str, object],
    progress: Progress | None = None,
) -> PolicyTable:
    """Learn a table from parents started uniformly inside `ranges` (grid index bounds per path).

    `cfg` may be one per path (parent sizes differ between instruments). Each path gets an equal
    share of the samples, so a short capture of another instrument is not drowned by a long one."""
    rng = np.random.default_rng(spec.seed)
    cfgs = cfg if isinstance(cfg, list) else [cfg] * len(paths)
    spans = [
        (lo, min(len(p), hi + int(round(c.horizon_s / p.step_s)) + 1))
        for p, (lo, hi), c in zip(paths, ranges, cfgs, strict=True)
    ]
    edges = bin_edges(paths, spec.ablate, spans)
    n_act = len(ACTIONS)
    cols = n_act + len(DEFER_CODES)
    n_cells = int(np.prod([len(e) + 1 for e in edges]))
    table = PolicyTable(
        FEATURES,
        edges,
        np.full((n_cells, cols), np.nan),
        np.zeros((n_cells, cols), dtype=np.int64),
        np.full(n_cells, DEFER_TWAP, dtype=np.int64),
        ACTIONS,
    )
    fit = [(lo, lo + max(1, int((hi - lo) * (1 - spec.validate)))) for lo, hi in ranges]
    checks = [(f, hi) for (_, f), (_, hi) in zip(fit, ranges, strict=True)]
    base, chosen = initial_baseline(paths, fit, cfgs, table, spec, rng)
    codes = base.copy()
    if progress:
        for line in chosen:
            progress(f"baseline: {line}")
    stats = Stats(
        np.zeros((n_cells, cols), dtype=np.int64),
        np.zeros((n_cells, cols)),
        np.zeros((n_cells, cols)),
    )
    alive = np.ones((n_cells, cols), dtype=bool)
    visited = np.zeros(n_cells, dtype=bool)
    per_path = max(1, spec.episodes // spec.rounds // len(paths))
    for rnd in range(spec.rounds):
        for pi, (p, (lo, hi), c) in enumerate(zip(paths, fit, cfgs, strict=True)):
            starts = rng.integers(lo, hi, per_path)
            sides = np.where(rng.random(per_path) < 0.5, 1, -1)
            pick, key = rng.random(per_path), rng.random((per_path, cols))
            seen = _sample(p, starts, sides, table, codes, stats, alive, c, spec, pick, key)
            visited[seen] = True
            if progress:
                progress(
                    f"round {rnd + 1}/{spec.rounds} path {pi + 1}/{len(paths)}: {per_path} samples"
                )
        mean, sd = stats.mean_sd()
        se = sd / np.sqrt(np.maximum(stats.n, 1))
        alive &= ~((stats.n >= spec.min_visits) & (mean + spec.z * se < 0))
        new = conservative_choice(mean, sd, stats.n, codes, spec.min_visits, spec.z)
        changed = new != codes
        stats.reset(changed)
        alive[changed] = True
        codes = new
        if progress:
            progress(
                f"round {rnd + 1}/{spec.rounds}: {int(changed.sum())} cells changed; "
                f"{int((codes >= 0).sum())} act, {int((codes == DEFER_TWAP).sum())} defer to twap, "
                f"{int((codes < DEFER_TWAP).sum())} to passive, of {n_cells}"
            )
    codes, kept = validate(paths, checks, cfgs, table, spec, codes, base, visited)
    if progress:
        for line in kept:
            progress(f"validation: {line}")
    mean, sd = stats.mean_sd()
    table.q, table.sd, table.visits = mean, sd, stats.n.copy()
    table.best, table.reference = np.where(visited, codes, UNVISITED), codes.copy()
    table.ablated = spec.ablate
    table.meta = {
        **meta,
        "seed": spec.seed,
        "episodes": spec.episodes,
        "rounds": spec.rounds,
        "min_visits": spec.min_visits,
        "z": spec.z,
        "baseline": {
            "start": "; ".join(chosen),
            "slices": spec.slices,
            "ewma_wide_factor": spec.ewma_wide_factor,
            "ewma_half_life_s": spec.ewma_half_life_s,
            "ewma_retry_s": spec.ewma_retry_s,
        },
        "validation": kept,
        "source": "tabular",
        "method": "conservative policy improvement over the TWAP/passive baseline (chosen per spread bin) from paired one-step deviations",
        "horizon_s": cfgs[0].horizon_s,
        "qty": cfgs[0].qty,
        "qty_per_path": [c.qty for c in cfgs],
        "env": {k: getattr(cfgs[0], k) for k in cfgs[0].__slots__},
        "code_version": code_version(),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    return table


def _sample(
    p: MarketPaths,
    starts: NDArray[np.int64],
    sides: NDArray[np.int64],
    table: PolicyTable,
    codes: NDArray[np.int64],
    stats: Stats,
    alive: NDArray[np.bool_],
    cfg: EnvConfig,
    spec: TrainSpec,
    pick: NDArray[np.float64],
    key: NDArray[np.float64],
) -> NDArray[np.int64]:
    """One paired sample per parent: the policy as is, and with one decision replaced.

    Returns the cells the policy visited (cells never visited become UNVISITED in the table)."""
    ew = ewma_arm(p, starts, spec)
    trace: list[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]] = []
    base_arm = TableArm(table, ew, p.step_s, codes=codes, trace=trace)
    base = run_episodes(p, starts, sides, base_arm.decide, cfg)
    at = np.minimum((pick * base.decisions).astype(np.int64), base.decisions.astype(np.int64) - 1)
    idx, count, cell = (np.concatenate(x) for x in zip(*trace, strict=True))
    hit = count == at[idx]
    cell_at = np.zeros(len(starts), dtype=np.int64)
    cell_at[idx[hit]] = cell[hit]
    own = code_column(codes[cell_at], len(ACTIONS))
    ok = alive[cell_at].copy()
    ok[np.arange(len(starts)), own] = False
    col = np.argmax(np.where(ok, key, -1.0), axis=1)
    use = ok.any(axis=1)
    if not use.any():
        return cell
    ew2 = ewma_arm(p, starts[use], spec)
    dev_arm = TableArm(
        table,
        ew2,
        p.step_s,
        codes=codes,
        deviate_at=at[use],
        deviate_code=column_code(col[use], len(ACTIONS)),
    )
    dev = run_episodes(p, starts[use], sides[use], dev_arm.decide, cfg)
    stats.add(cell_at[use], col[use], base.is_bps[use] - dev.is_bps)
    return cell
