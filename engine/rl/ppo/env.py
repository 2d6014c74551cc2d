"""The environment RLlib samples: `tranche/Execution-v0` over several market paths, one per episode.

Each episode picks one source (a training range of a data file, or a synthetic path) with equal
chance, or in proportion to the sources' `weight` (several short captures of one venue can share
one source's chance), so a short capture is not drowned by a long one, then runs one parent of that source's
size through `ExecutionEnv` unchanged. The observation is `net_obs` of the six features (what the
exported network sees); action, reward and terminal rule are ExecutionEnv's. Plain Gymnasium: Ray
workers build it from `env_config` (a dict of plain values, so it crosses to a cluster).
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from engine.learned.spaces import ACTIONS, FEATURES
from engine.rl.env import EnvConfig
from engine.rl.gym_env import ExecutionEnv
from engine.rl.network import net_obs
from engine.rl.paths import MarketPaths, linear_paths, load_data, synthetic_paths


@lru_cache(maxsize=16)
def source_paths(kind: str, name: str, seed: int, seconds: float, step_s: float) -> MarketPaths:
    """Paths of one source, loaded once per worker process."""
    if kind == "file":
        return load_data(name, step_s)
    if kind == "linear":
        return linear_paths(seconds, seed, step_s)
    return synthetic_paths(name, seconds, seed, step_s)


def source(
    kind: str,
    name: str,
    lo: int,
    hi: int,
    qty: float,
    *,
    seed: int = 0,
    seconds: float = 0.0,
    horizon_s: float | None = None,
    weight: float = 1.0,
) -> dict[str, Any]:
    """One training source as plain values: kind file|synthetic|linear, start range [lo, hi), the
    parent's size and horizon there (None: the env config's horizon), its chance relative to the
    others'."""
    return {
        "weight": weight,
        "horizon_s": horizon_s,
        "kind": kind,
        "name": name,
        "lo": lo,
        "hi": hi,
        "qty": qty,
        "seed": seed,
        "seconds": seconds,
    }


class PpoEnv(gym.Env[np.ndarray, np.int64]):
    """ExecutionEnv over `config["sources"]` (see `source`), observations through `net_obs`;
    `config["env"]` holds EnvConfig fields, `config["masked"]` feature names an ablation hides."""

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        config = dict(config or {})
        if not config.get("sources"):
            raise ValueError("env_config needs at least one source")
        step_s = float(config.get("step_s", 0.5))
        cfg = EnvConfig(**config.get("env", {}))
        self.envs = []
        for s in config["sources"]:
            p = source_paths(s["kind"], s["name"], int(s["seed"]), float(s["seconds"]), step_s)
            here = replace(
                cfg, qty=float(s["qty"]), horizon_s=float(s.get("horizon_s") or cfg.horizon_s)
            )
            self.envs.append(ExecutionEnv(p, here, (s["lo"], s["hi"])))
        self.observation_space = spaces.Box(-np.inf, np.inf, (len(FEATURES),), dtype=np.float32)
        self.action_space = spaces.Discrete(len(ACTIONS))
        self._env = self.envs[0]
        self.masked = tuple(config.get("masked", ()))  # ablation: features the network reads as 0
        w = np.array([float(s.get("weight", 1.0)) for s in config["sources"]])
        if not np.all(w > 0):
            raise ValueError("every source needs a positive weight")
        self.chance = None if np.all(w == w[0]) else w / w.sum()  # None: equal, as before weights

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        if self.chance is None:
            i = int(self.np_random.integers(len(self.envs)))
        else:
            i = int(self.np_random.choice(len(self.envs), p=self.chance))
        self._env = self.envs[i]
        obs, info = self._env.reset(seed=int(self.np_random.integers(2**31)), options=options)
        return net_obs(obs, self.masked)[0], {**info, "source": i}

    def step(self, action: np.int64 | int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        obs, reward, done, truncated, info = self._env.step(action)
        return net_obs(obs, self.masked)[0], reward, done, truncated, info
