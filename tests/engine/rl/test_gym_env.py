"""The Gymnasium environment: API conformance, and the same execution model as training."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from engine.learned.spaces import ACTIONS, AGGRESSIVE, PASSIVE, Action
from engine.rl.env import Choice, Decisions, EnvConfig, _g, run_episodes
from engine.rl.gym_env import ENV_ID, ExecutionEnv
from engine.rl.paths import linear_paths, synthetic_paths

CFG = EnvConfig(horizon_s=30, qty=200, time_bonus_bps=0.0)


def index(share: float, aggression: int, wait_ms: int) -> int:
    return ACTIONS.index(Action(share, aggression, wait_ms))


@pytest.fixture(scope="module")
def book():
    return synthetic_paths("AMZN", 600.0, seed=3)


@pytest.mark.filterwarnings("ignore:.*infinity")
def test_passes_gymnasium_env_checker(book):
    check_env(ExecutionEnv(book, CFG), skip_render_check=True)


def test_registered_id_makes_the_environment():
    env = gym.make(ENV_ID, paths=linear_paths(300, seed=1), cfg=CFG)
    obs, _ = env.reset(seed=1)
    assert obs.shape == (6,) and env.action_space.n == len(ACTIONS)


def test_an_episode_costs_what_the_vectorised_run_charges_for_the_same_actions(book):
    """Rest 20% at the touch, then cross a third, alternately: the step rewards sum to minus the
    shortfall that run_episodes charges the same parent for the same decisions."""
    plan = [index(0.2, PASSIVE, 1000), index(1 / 3, AGGRESSIVE, 2500)]
    env = ExecutionEnv(book, CFG)
    obs, info = env.reset(seed=5, options={"start": 400, "side": -1})
    total, n, done = 0.0, 0, False
    while not done:
        obs, r, done, truncated, step_info = env.step(plan[n % 2])
        assert not truncated and env.observation_space.contains(obs)
        total, n = total + r, n + 1

    def same_plan(d: Decisions) -> Choice:
        a = ACTIONS[plan[(n_vec[0]) % 2]]
        n_vec[0] += 1
        steps = max(1, round(a.wait_ms / 1000 / book.step_s))
        return Choice(
            np.array([a.share]), np.array([a.aggression]), np.array([steps]), np.array([-1])
        )

    n_vec = [0]
    out = run_episodes(book, np.array([400]), np.array([-1]), same_plan, CFG)
    assert n == n_vec[0] > 2
    assert step_info["is_bps"] == pytest.approx(out.is_bps[0])
    assert total == pytest.approx(-out.is_bps[0])


def test_unfilled_quantity_is_crossed_at_the_horizon_and_charged(book):
    env = ExecutionEnv(book, CFG)
    env.reset(options={"start": 300, "side": 1})
    done, info = False, {}
    while not done:
        _, _, done, _, info = env.step(index(0.0, PASSIVE, 5000))  # never trade
    assert info["own_fill"] == 0.0
    end, a0 = 300 + env_steps(CFG, book), book.mid[300]
    far = (book.ask[end] - a0) / a0 * 1e4  # all of it walks the ask at the horizon, fee on top
    level = book.ask_size[end]
    walk = book.tick / a0 * 1e4 * float(_g(np.array([200.0]), np.array([level]))[0]) / 200
    assert info["is_bps"] == pytest.approx(far + walk + CFG.taker_fee_bps)


def env_steps(cfg: EnvConfig, paths) -> int:
    return int(round(cfg.horizon_s / paths.step_s))


def test_bad_actions_and_options_are_named():
    env = ExecutionEnv(linear_paths(300, seed=1), CFG)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action 999"):
        env.step(999)
    with pytest.raises(ValueError, match="side 0"):
        env.reset(options={"side": 0})
    with pytest.raises(ValueError, match="start range"):
        ExecutionEnv(linear_paths(20, seed=1), CFG)
