"""The arms evaluated side by side in the environment: the learned table and the baselines.

Each arm is a Policy for engine.rl.env.run_episodes; baselines mirror the engine's algorithms:
twap (crossing slices), passive-twap (each slice rests at the touch for its interval),
ac (Almgren-Chriss schedule, crossing), ewma (the spread model that is also the drl fallback).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from engine.learned.ewma import ewma_steps
from engine.learned.spaces import ACTIONS, AGGRESSIVE, PASSIVE
from engine.learned.table import DEFER_PASSIVE, UNVISITED, PolicyTable
from engine.rl.env import Choice, Decisions, Policy
from engine.rl.network import PolicyNet
from engine.rl.paths import MarketPaths

SHARE = np.array([a.share for a in ACTIONS])
AGGR = np.array([a.aggression for a in ACTIONS], dtype=np.int64)
WAIT_MS = np.array([a.wait_ms for a in ACTIONS], dtype=np.int64)


def wait_steps(wait_ms: np.ndarray, step_s: float) -> np.ndarray:
    """Wait 0 is the next grid point; others round to the grid."""
    return np.maximum(1, np.round(wait_ms / 1000.0 / step_s)).astype(np.int64)


def schedule_policy(fractions: np.ndarray, slices: int, aggression: int) -> Policy:
    """Send `fractions[i]` of the parent (cumulative target minus filled) at slice i, every interval."""

    def decide(d: Decisions) -> Choice:
        interval = max(1, d.steps // slices)
        i = min(slices - 1, d.j // interval)
        target = d.qty * fractions[i]
        filled = d.qty - d.remaining
        want = np.clip(target - filled, 0.0, d.remaining)
        share = np.where(d.remaining > 0, want / np.maximum(d.remaining, 1e-12), 0.0)
        n = len(d.idx)
        nxt = (i + 1) * interval - d.j if i < slices - 1 else d.steps - d.j
        return Choice(share, np.full(n, aggression), np.full(n, max(1, nxt)), np.full(n, -1))

    return decide


def twap(slices: int, passive: bool = False) -> Policy:
    return schedule_policy(
        np.arange(1, slices + 1) / slices, slices, PASSIVE if passive else AGGRESSIVE
    )


def almgren_chriss(slices: int, kappa_t: float) -> Policy:
    """Holdings follow sinh(kappa (T - t)) / sinh(kappa T); kappa_t = 0 is TWAP."""
    t = np.arange(1, slices + 1) / slices
    done = t if kappa_t <= 1e-9 else 1 - np.sinh(kappa_t * (1 - t)) / math.sinh(kappa_t)
    return schedule_policy(done, slices, AGGRESSIVE)


def ewma_spread(paths: MarketPaths, half_life_s: float) -> np.ndarray:
    """Causal EWMA of the quoted spread (bps) at every grid point."""
    spread = paths.features()["spread_bps"]
    a = 1 - math.exp(-paths.step_s * math.log(2) / half_life_s)
    out = np.empty_like(spread)
    acc = spread[0]
    for k, x in enumerate(spread):
        acc += a * (x - acc)
        out[k] = acc
    return out


@dataclass(slots=True)
class EwmaArm:
    """TWAP schedule that defers a slice while the spread is wider than `wide_factor` x its EWMA."""

    paths: MarketPaths
    starts: np.ndarray
    slices: int
    wide_factor: float
    half_life_s: float
    retry_s: float = 1.0
    _ewma: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self._ewma = ewma_spread(self.paths, self.half_life_s)

    def decide(self, d: Decisions, passive: np.ndarray | None = None) -> Choice:
        """The engine's ewma_step arithmetic over the batch; `passive` rows rest at the touch."""
        dt = self.paths.step_s
        k = self.starts[d.idx] + d.j
        n = len(d.idx)
        share, aggr, wait_s = ewma_steps(
            spread=d.obs[:, 0],
            expected=self._ewma[k],
            wide_factor=self.wide_factor,
            elapsed=d.j * dt,
            horizon=d.steps * dt,
            slices=self.slices,
            filled_frac=1 - d.remaining / d.qty,
            retry_s=self.retry_s,
            passive=np.zeros(n, dtype=bool) if passive is None else passive,
        )
        wait = np.maximum(1, np.round(wait_s / dt)).astype(np.int64)
        return Choice(share, aggr, wait, np.full(n, -1))


@dataclass(slots=True)
class TableArm:
    """The learned table: an action, a deferral to the baseline schedule (crossing or passive), or
    the EWMA fallback for cells it never learned (the crossing schedule too, counted apart).

    `deviate_at`/`deviate_code` (training only): episode i takes code `deviate_code[i]` at its
    decision number `deviate_at[i]` (0-based) instead of the table's, to measure its advantage.
    """

    table: PolicyTable
    fallback: EwmaArm
    step_s: float
    codes: np.ndarray | None = None  # per-cell codes to follow instead of table.best
    deviate_at: np.ndarray | None = None
    deviate_code: np.ndarray | None = None
    trace: list[tuple[np.ndarray, np.ndarray, np.ndarray]] | None = (
        None  # (episode, decision no., cell)
    )
    used: int = 0
    deferred: int = 0
    fell_back: int = 0
    _count: np.ndarray | None = None

    def decide(self, d: Decisions) -> Choice:
        cells = self.table.cells(d.obs)
        codes = (self.table.best if self.codes is None else self.codes)[cells]
        if self.trace is not None or self.deviate_at is not None:
            if self._count is None:
                self._count = np.zeros(int(d.idx.max()) + 1, dtype=np.int64)
            if len(self._count) <= int(d.idx.max()):
                self._count = np.concatenate(
                    [self._count, np.zeros(int(d.idx.max()) + 1 - len(self._count), dtype=np.int64)]
                )
            if self.trace is not None:
                self.trace.append((d.idx.copy(), self._count[d.idx].copy(), cells))
            if self.deviate_at is not None and self.deviate_code is not None:
                here = self._count[d.idx] == self.deviate_at[d.idx]
                codes = np.where(here, self.deviate_code[d.idx], codes)
            self._count[d.idx] += 1
        known = codes >= 0
        self.used += int(known.sum())
        self.fell_back += int((codes == UNVISITED).sum())
        self.deferred += int((codes < UNVISITED).sum())
        fb = self.fallback.decide(d, codes == DEFER_PASSIVE)
        a = np.where(known, codes, 0)
        return Choice(
            np.where(known, SHARE[a], fb.share),
            np.where(known, AGGR[a], fb.aggression),
            np.where(known, wait_steps(WAIT_MS[a], self.step_s), fb.wait_steps),
            np.where(known, codes, -1),
        )


@dataclass(slots=True)
class NetArm:
    """The PPO network itself (ppo-net): its greedy action at every decision; `seen` collects the
    states it met (the export's samples, the agreement's held-out states)."""

    net: PolicyNet
    step_s: float
    seen: list[np.ndarray] | None = None

    def decide(self, d: Decisions) -> Choice:
        if self.seen is not None:
            self.seen.append(d.obs.copy())
        a = self.net.act(d.obs)
        return Choice(SHARE[a], AGGR[a], wait_steps(WAIT_MS[a], self.step_s), a)
