"""The Gymnasium face of the execution environment: one parent, one decision per step.

It drives the same coroutine (`engine.rl.env.simulate`) that training and evaluation run
vectorised over thousands of parents, so an agent written against the Gymnasium API sees exactly
the execution model, features, reward and terminal rule the shipped table was trained on.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from engine.learned.spaces import ACTIONS, FEATURES, VOL_WINDOW_S
from engine.rl.arms import wait_steps
from engine.rl.env import Choice, Decisions, EnvConfig, Outcome, Transitions, simulate
from engine.rl.paths import MarketPaths, load_data, synthetic_paths

ENV_ID = "tranche/Execution-v0"
OBS_LOW = np.array([0.0, -1.0, -1.0, 0.0, 0.0, 0.0])
OBS_HIGH = np.array([np.inf, 1.0, 1.0, 1.0, 1.0, np.inf])


class ExecutionEnv(gym.Env[np.ndarray, np.int64]):
    """Work one parent over market paths (replayed data or synthetic) until the horizon.

    Observation: the six features in `spaces.FEATURES` order, signed to the parent's side.
    Action: an index into `spaces.ACTIONS` (share of remaining x aggression x wait).
    Reward: -(slippage + market impact) bps of the interval since the last decision, plus the time
    bonus; over an episode the rewards sum to minus the implementation shortfall plus the bonus.
    Unfilled quantity at the horizon is crossed and charged (the terminal rule of training).
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(
        self,
        paths: MarketPaths | None = None,
        cfg: EnvConfig | None = None,
        start_range: tuple[int, int] | None = None,
    ) -> None:
        self.paths = paths if paths is not None else synthetic_paths("AMZN", 3600.0, seed=0)
        self.cfg = cfg or EnvConfig()
        steps = int(round(self.cfg.horizon_s / self.paths.step_s))
        n = len(self.paths)
        if start_range is None:
            warm = min(int(VOL_WINDOW_S / self.paths.step_s), max(0, (n - steps) // 2))
            start_range = (warm, n - steps - 1)
        if not 0 <= start_range[0] < start_range[1] <= n - steps:
            raise ValueError(
                f"start range {start_range}: needs {steps} grid steps after each start in {n}"
            )
        self.start_range = start_range
        self.observation_space = spaces.Box(OBS_LOW, OBS_HIGH, dtype=np.float64)
        self.action_space = spaces.Discrete(len(ACTIONS))
        self._run: Generator[Decisions, Choice, Outcome] | None = None
        self._record = Transitions()
        self._last_obs = np.zeros(len(FEATURES))

    @classmethod
    def from_data(cls, path: str, cfg: EnvConfig | None = None) -> ExecutionEnv:
        """Replay a Binance capture, LOBSTER message file, Bitstamp L3 log or Databento MBO file (CME)."""
        return cls(load_data(path), cfg)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """A new parent: options may fix `start` (grid index) and `side` (+1 buy, -1 sell)."""
        super().reset(seed=seed)
        opts = options or {}
        start = int(opts.get("start", self.np_random.integers(*self.start_range)))
        side = int(opts.get("side", 1 if self.np_random.random() < 0.5 else -1))
        if side not in (1, -1):
            raise ValueError(f"side {side}: expected 1 (buy) or -1 (sell)")
        self._record = Transitions()
        self._run = simulate(
            self.paths, np.array([start]), np.array([side]), self.cfg, self._record
        )
        first = next(self._run)  # a new parent always decides at once
        self._last_obs = first.obs[0].copy()
        return self._last_obs.copy(), {"start": start, "side": side}

    def step(self, action: np.int64 | int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self._run is None:
            raise RuntimeError("call reset() before step()")
        if not self.action_space.contains(np.int64(action)):
            raise ValueError(f"action {action}: expected 0..{len(ACTIONS) - 1}")
        a = ACTIONS[int(action)]
        choice = Choice(
            np.array([a.share]),
            np.array([a.aggression]),
            wait_steps(np.array([a.wait_ms]), self.paths.step_s),
            np.array([int(action)]),
        )
        seen = len(self._record.r)
        info: dict[str, Any] = {"action": a.label()}
        try:
            self._last_obs = self._run.send(choice).obs[0].copy()
            done = False
        except StopIteration as finished:
            out: Outcome = finished.value
            self._run = None
            self._last_obs = self._record.s2[-1][0].copy()
            done = True
            info |= {"is_bps": float(out.is_bps[0]), "own_fill": float(out.own_fill[0])}
        reward = float(sum(r.sum() for r in self._record.r[seen:]))
        return self._last_obs.copy(), reward, done, False, info


gym.register(ENV_ID, entry_point="engine.rl.gym_env:ExecutionEnv")
