"""Training: Monte Carlo control over a binned state space, with epsilon-greedy data collection rounds.

Every transition of every round is kept and the table is refitted on all of them after each round
(Q(s, a) = mean return-to-go after taking a in s), then the next round explores around the new
greedy policy. Tabular Q-learning and fitted Q iteration were tried first and diverged (see
`_fit`); Monte Carlo is unbiased for the behaviour policy and exactly reproducible under a seed.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from engine.rl.arms import AGGR, SHARE, WAIT_MS, wait_steps
from engine.rl.env import Choice, Decisions, EnvConfig, Transitions, run_episodes
from engine.rl.paths import MarketPaths
from engine.rl.spaces import ABLATABLE, ACTIONS, FEATURES
from engine.rl.table import PolicyTable, best_actions

TIME_EDGES = np.arange(1, 8) / 8
FILLED_EDGES = np.arange(1, 6) / 6
IMBALANCE_EDGES = np.array([-1 / 3, 1 / 3])

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class TrainSpec:
    episodes: int = 60_000
    rounds: int = 12
    seed: int = 7
    min_visits: int = 3
    ablate: tuple[str, ...] = ()


def bin_edges(paths: list[MarketPaths], ablate: tuple[str, ...] = ()) -> list[NDArray[np.float64]]:
    """Quantile edges for spread and volatility from the training data; fixed edges for the rest."""
    f = [p.features() for p in paths]
    spread = np.concatenate([x["spread_bps"] for x in f])
    vol = np.concatenate([x["vol_5m_bps"] for x in f])
    edges = {
        "spread_bps": np.unique(np.round(np.quantile(spread, [0.25, 0.5, 0.75]), 6)),
        "depth_imbalance": IMBALANCE_EDGES,
        "flow_imbalance": IMBALANCE_EDGES,
        "time_remaining": TIME_EDGES,
        "fraction_filled": FILLED_EDGES,
        "vol_5m_bps": np.unique(np.round(np.quantile(vol, [1 / 3, 2 / 3]), 6)),
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


def train(
    paths: list[MarketPaths],
    ranges: list[tuple[int, int]],
    cfg: EnvConfig,
    spec: TrainSpec,
    meta: dict[str, object],
    progress: Progress | None = None,
) -> PolicyTable:
    """Learn a table from parents started uniformly inside `ranges` (grid index bounds per path)."""
    rng = np.random.default_rng(spec.seed)
    edges = bin_edges(paths, spec.ablate)
    table = PolicyTable(
        FEATURES,
        edges,
        np.full((0, 0), np.nan),
        np.zeros((0, 0), dtype=np.int64),
        np.zeros(0, dtype=np.int64),
        ACTIONS,
    )
    n_cells = int(np.prod(table.shape))
    n_act = len(ACTIONS)
    q = np.zeros((n_cells, n_act))
    visits = np.zeros((n_cells, n_act), dtype=np.int64)
    buf = Transitions()
    per_round = max(1, spec.episodes // spec.rounds)
    marks = [0]
    for rnd in range(spec.rounds):
        eps = max(0.1, 1.0 - rnd / max(1, spec.rounds - 1) * 1.2)
        greedy = best_actions(q, visits, 1)
        for pi, (p, (lo, hi)) in enumerate(zip(paths, ranges, strict=True)):
            n = max(1, per_round * (hi - lo) // sum(h - lo_ for lo_, h in ranges))
            starts = rng.integers(lo, hi, n)
            sides = np.where(rng.random(n) < 0.5, 1, -1)
            explore = np.random.default_rng(rng.integers(1 << 62))
            run_episodes(
                p, starts, sides, _behaviour(table, greedy, eps, explore, p.step_s), cfg, buf
            )
            if progress:
                progress(
                    f"round {rnd + 1}/{spec.rounds} path {pi + 1}/{len(paths)}: {n} episodes, epsilon {eps:.2f}"
                )
        marks.append(len(buf.r))
        # fit on the recent half of the rounds: early, near-random behaviour makes every return look bad
        keep = marks[rnd // 2]
        recent = Transitions(
            buf.s[keep:],
            buf.a[keep:],
            buf.r[keep:],
            buf.s2[keep:],
            buf.done[keep:],
            buf.episode[keep:],
        )
        q, visits = _fit(table, recent)
        if progress:
            progress(
                f"round {rnd + 1}/{spec.rounds}: {sum(len(x) for x in buf.r)} transitions, {int((visits.sum(1) > 0).sum())}/{n_cells} cells visited"
            )
    table.q = np.where(visits > 0, q, np.nan)
    table.visits = visits
    table.best = best_actions(q, visits, spec.min_visits)
    table.ablated = spec.ablate
    table.meta = {
        **meta,
        "seed": spec.seed,
        "episodes": spec.episodes,
        "rounds": spec.rounds,
        "min_visits": spec.min_visits,
        "method": "every-visit Monte Carlo control, binned states, epsilon-greedy rounds",
        "horizon_s": cfg.horizon_s,
        "qty": cfg.qty,
        "env": {k: getattr(cfg, k) for k in cfg.__slots__},
        "code_version": code_version(),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    return table


def _behaviour(
    table: PolicyTable,
    greedy: NDArray[np.int64],
    eps: float,
    rng: np.random.Generator,
    step_s: float,
) -> Callable[[Decisions], Choice]:
    def decide(d: Decisions) -> Choice:
        g = greedy[table.cells(d.obs)]
        rand = rng.integers(0, len(ACTIONS), len(d.idx))
        a = np.where((rng.random(len(d.idx)) < eps) | (g < 0), rand, g)
        return Choice(SHARE[a], AGGR[a], wait_steps(WAIT_MS[a], step_s), a)

    return decide


def _fit(table: PolicyTable, buf: Transitions) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Every-visit Monte Carlo: Q(s, a) = mean return-to-go (minus the rest of the shortfall) after (s, a).

    Bootstrapping (Q-learning, FQI) diverged here: binned time lets a wait land in its own cell, and
    with undiscounted returns a loop whose noisy mean reward is positive grows without bound.
    Returns-to-go need no bootstrap, so nothing can loop; exploration is annealed over rounds.
    """
    s = table.cells(np.concatenate(buf.s))
    a, r = np.concatenate(buf.a), np.concatenate(buf.r)
    ep = np.concatenate(buf.episode)
    order = np.argsort(ep, kind="stable")  # within an episode, recording order is time order
    r_sorted, ep_sorted = r[order], ep[order]
    csum = np.cumsum(r_sorted)
    last = np.r_[np.flatnonzero(np.diff(ep_sorted)), len(ep_sorted) - 1]
    end_of = np.repeat(last, np.diff(np.r_[-1, last]))
    g_sorted = csum[end_of] - csum + r_sorted
    g = np.empty_like(g_sorted)
    g[order] = g_sorted
    n_act = len(table.actions)
    n_cells = int(np.prod(table.shape))
    sa = s * n_act + a
    counts = np.bincount(sa, minlength=n_cells * n_act).reshape(n_cells, n_act)
    q = np.bincount(sa, weights=g, minlength=n_cells * n_act).reshape(n_cells, n_act) / np.maximum(
        counts, 1
    )
    return q, counts.astype(np.int64)
