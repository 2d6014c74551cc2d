"""The arms evaluated side by side in the environment: the learned table and the baselines.

Each arm is a Policy for engine.rl.env.run_episodes; baselines mirror the engine's algorithms:
twap (crossing slices), passive-twap (each slice rests at the touch for its interval),
ac (Almgren-Chriss schedule, crossing), ewma (the spread model that is also the drl fallback).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from engine.algos.ewma import ewma_step
from engine.rl.env import Choice, Decisions, Policy
from engine.rl.paths import MarketPaths
from engine.rl.spaces import ACTIONS, AGGRESSIVE, PASSIVE
from engine.rl.table import PolicyTable

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

    def decide(self, d: Decisions) -> Choice:
        dt = self.paths.step_s
        k = self.starts[d.idx] + d.j
        n = len(d.idx)
        share, wait = np.zeros(n), np.ones(n, dtype=np.int64)
        for m in range(n):  # the same arithmetic as the engine's run_ewma, decision by decision
            e = ewma_step(
                spread=float(d.obs[m, 0]),
                expected=float(self._ewma[k[m]]),
                wide_factor=self.wide_factor,
                elapsed=d.j * dt,
                horizon=d.steps * dt,
                slices=self.slices,
                filled_frac=1 - float(d.remaining[m]) / d.qty,
                retry_s=self.retry_s,
            )
            share[m] = e.share
            wait[m] = max(1, round(e.wait_s / dt))
        return Choice(share, np.full(n, AGGRESSIVE), wait, np.full(n, -1))


@dataclass(slots=True)
class TableArm:
    """The learned table; cells it never learned are decided by the EWMA fallback."""

    table: PolicyTable
    fallback: EwmaArm
    step_s: float
    used: int = 0
    fell_back: int = 0

    def decide(self, d: Decisions) -> Choice:
        best = self.table.best[self.table.cells(d.obs)]
        known = best >= 0
        self.used += int(known.sum())
        self.fell_back += int((~known).sum())
        fb = self.fallback.decide(d)
        a = np.where(known, best, 0)
        return Choice(
            np.where(known, SHARE[a], fb.share),
            np.where(known, AGGR[a], fb.aggression),
            np.where(known, wait_steps(WAIT_MS[a], self.step_s), fb.wait_steps),
            np.where(known, best, -1),
        )
