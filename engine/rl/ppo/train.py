"""PPO on Ray RLlib (new API stack) over `tranche/Execution-v0`, with resumable checkpoints.

Why PPO: the action set is discrete (64 actions), episodes are short and on-policy sampling from a
cheap simulator is plentiful; PPO is RLlib's best-supported algorithm on the new stack and its
clipped updates are stable on the noisy, small rewards here. (DQN would also fit a discrete set;
its replay of one-step transitions was what diverged in the tabular attempts, engine/rl/train.py.)

Checkpoints: after every iteration the algorithm's full state goes to `<dir>/iter_NNNN`, then
`<dir>/latest.json` is replaced atomically to point at it (a crash mid-save leaves the previous
checkpoint in force); a rerun with the same settings resumes from there. Determinism: the seed
goes to RLlib (`debugging(seed=...)`: torch, numpy and every env runner's environments); with the
same seed, number of env runners and machine, two runs give the same weights (tested with 0 env
runners); across machines or torch builds, floating point may differ.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import ray
import torch
from ray.rllib.algorithms.algorithm import Algorithm
from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig

from engine.rl.network import OBS_VERSION, PolicyNet
from engine.rl.ppo.env import PpoEnv

Progress = Callable[[str], None]


class CheckpointMismatch(ValueError):
    """The checkpoint directory holds a run with other settings."""


@dataclass(frozen=True, slots=True)
class PpoSpec:
    """What a PPO run is: resuming needs the same spec (iterations may grow)."""

    iterations: int = 20
    seed: int = 7
    num_env_runners: int = 0
    envs_per_runner: int = (
        8  # one batched forward pass per step of 8 parents: RLlib's per-step cost shared
    )
    hidden: tuple[int, ...] = (64, 64)
    lr: float = 3e-4
    batch: int = 4000  # environment steps per iteration
    minibatch: int = 500
    epochs: int = 6
    gamma: float = 1.0  # the target is the undiscounted shortfall of the whole parent
    lambda_: float = 0.95
    entropy: float = 0.01
    masked: tuple[str, ...] = ()  # ablation: features the network never sees

    def identity(self) -> dict[str, Any]:
        """Everything but the iteration count: what a checkpoint must match to resume."""
        d = asdict(self)
        d.pop("iterations")
        d["hidden"], d["masked"] = list(self.hidden), list(self.masked)
        d["obs"] = OBS_VERSION  # a checkpoint trained on other observations is not resumed
        return d


def ensure_ray(address: str | None, num_env_runners: int) -> bool:
    """Connect to `address`, or start a local Ray of at least 2 CPUs; True if this call started it."""
    if ray.is_initialized():
        return False
    if address:
        ray.init(address=address, log_to_driver=False)
    else:
        ray.init(
            num_cpus=max(2, num_env_runners + 1),
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
    return True


def ppo_config(spec: PpoSpec, env_config: dict[str, Any]) -> PPOConfig:
    return (
        PPOConfig()
        .api_stack(enable_rl_module_and_learner=True, enable_env_runner_and_connector_v2=True)
        .environment(env=PpoEnv, env_config={**env_config, "masked": list(spec.masked)})
        .env_runners(
            num_env_runners=spec.num_env_runners, num_envs_per_env_runner=spec.envs_per_runner
        )
        .learners(num_learners=0)
        .training(
            lr=spec.lr,
            train_batch_size_per_learner=spec.batch,
            minibatch_size=spec.minibatch,
            num_epochs=spec.epochs,
            gamma=spec.gamma,
            lambda_=spec.lambda_,
            entropy_coeff=spec.entropy,
        )
        .rl_module(
            model_config=DefaultModelConfig(
                fcnet_hiddens=list(spec.hidden), fcnet_activation="tanh", vf_share_layers=False
            )
        )
        .debugging(seed=spec.seed, log_level="ERROR")
    )


@dataclass(slots=True)
class Checkpoints:
    """`<dir>/iter_NNNN` checkpoints and the `latest.json` pointer to the last complete one."""

    root: Path
    kept: int = 2
    _latest: dict[str, Any] = field(default_factory=dict)

    def latest(self) -> dict[str, Any] | None:
        f = self.root / "latest.json"
        if not f.exists():
            return None
        try:
            data: dict[str, Any] = json.loads(f.read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise CheckpointMismatch(f"{f}: unreadable ({e}); remove it to start afresh") from None
        return data

    def save(self, algo: Algorithm, iteration: int, identity: dict[str, Any]) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / f"iter_{iteration:04d}"
        if path.exists():
            shutil.rmtree(path)
        algo.save_to_path(str(path.resolve()))
        tmp = self.root / "latest.json.tmp"
        tmp.write_text(json.dumps({"iteration": iteration, "path": path.name, "spec": identity}))
        os.replace(tmp, self.root / "latest.json")
        old = sorted(self.root.glob("iter_*"))[: -self.kept]
        for p in old:
            shutil.rmtree(p, ignore_errors=True)
        return path


def network_of(algo: Algorithm, masked: tuple[str, ...], meta: dict[str, Any]) -> PolicyNet:
    """The actor (encoder then policy head) of the trained module, copied out as numpy arrays."""
    module = algo.get_module()
    assert module is not None
    state = module.get_state(inference_only=True)
    weights, biases = [], []
    for prefix in ("encoder.actor_encoder.", "pi."):
        keys = [k for k in state if k.startswith(prefix) and k.endswith(".weight")]
        for k in sorted(keys, key=_layer_order):
            weights.append(np.asarray(state[k], dtype=np.float32))
            biases.append(np.asarray(state[k.removesuffix("weight") + "bias"], dtype=np.float32))
    return PolicyNet(weights, biases, "tanh", meta, masked)


def _layer_order(key: str) -> tuple[int, ...]:
    """Sort `...mlp.0.weight`, `...mlp.2.weight`, `...mlp.10.weight` by their layer numbers."""
    return tuple(int(p) for p in key.split(".") if p.isdigit())


def train_ppo(
    spec: PpoSpec,
    env_config: dict[str, Any],
    checkpoint_dir: str | Path,
    *,
    ray_address: str | None = None,
    progress: Progress | None = None,
    meta: dict[str, Any] | None = None,
) -> PolicyNet:
    """Train (or resume) to `spec.iterations` and return the actor network.

    Progress lines name the iteration, the mean episode reward (minus the shortfall plus the time
    bonus, bps), episodes so far and the ETA."""
    torch.set_num_threads(1)  # 2 shared cores; and one thread keeps the learner deterministic
    started = ensure_ray(ray_address, spec.num_env_runners)
    ckpts = Checkpoints(Path(checkpoint_dir))
    latest = ckpts.latest()
    if latest is not None and latest.get("spec") != spec.identity():
        raise CheckpointMismatch(
            f"{checkpoint_dir}: holds a run with other settings ({latest.get('spec')}); "
            "give another checkpoint directory or remove it"
        )
    algo = ppo_config(spec, env_config).build_algo()
    try:
        done, episodes = 0, 0
        if latest is not None:
            algo.restore_from_path(str((ckpts.root / latest["path"]).resolve()))
            done = int(latest["iteration"])
            if progress:
                progress(f"resumed from {ckpts.root / latest['path']} (iteration {done})")
        t0 = time.monotonic()
        for it in range(done, spec.iterations):
            res = algo.train()
            env = res.get("env_runners", {})
            episodes = int(env.get("num_episodes_lifetime", episodes))
            ckpts.save(algo, it + 1, spec.identity())
            if progress:
                per = (time.monotonic() - t0) / (it + 1 - done)
                eta = per * (spec.iterations - it - 1)
                progress(
                    f"iteration {it + 1}/{spec.iterations}: mean reward "
                    f"{float(env.get('episode_return_mean', float('nan'))):+.3f} bps, "
                    f"{episodes} episodes, ETA {eta:.0f} s"
                )
        info = {
            **(meta or {}),
            "iterations": spec.iterations,
            "episodes": episodes,
            **spec.identity(),
        }
        return network_of(algo, spec.masked, info)
    finally:
        algo.stop()
        if started:
            ray.shutdown()
