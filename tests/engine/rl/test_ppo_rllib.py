"""PPO on a real local Ray (started once for this module, 2 CPUs): RLlib trains a tiny environment,
the numpy actor is RLlib's module, checkpoints resume, a seed repeats, the export decides, and
Ray fan-out of `evaluate` equals the sequential path."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

ray = pytest.importorskip("ray")
torch = pytest.importorskip("torch")

from console.cli import main  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.learned.table import load_table  # noqa: E402
from engine.rl.evaluate import evaluate, sequential, synthetic_markets  # noqa: E402
from engine.rl.network import load_net, net_obs, net_path  # noqa: E402
from engine.rl.ppo.env import source  # noqa: E402
from engine.rl.ppo.fanout import ray_mapper  # noqa: E402
from engine.rl.ppo.train import CheckpointMismatch, PpoSpec, train_ppo  # noqa: E402

TINY = PpoSpec(iterations=1, seed=5, hidden=(16, 16), batch=300, minibatch=150, epochs=2)
ENV = {
    "sources": [source("linear", "LINEAR", 100, 900, 1.0, seed=3, seconds=600)],
    "env": {"horizon_s": 20.0},
    "step_s": 0.5,
}


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def first_run(local_ray, tmp_path_factory):
    ckpt = tmp_path_factory.mktemp("ckpt")
    lines: list[str] = []
    net = train_ppo(TINY, ENV, ckpt, progress=lines.append)
    return ckpt, net, lines


def test_rllib_trains_and_reports_iteration_reward_episodes_and_eta(first_run):
    ckpt, net, lines = first_run
    assert len(lines) == 1 and lines[0].startswith("iteration 1/1: mean reward ")
    assert "episodes, ETA" in lines[0]
    assert json.loads((ckpt / "latest.json").read_text())["iteration"] == 1
    assert [w.shape for w in net.weights] == [(16, 6), (16, 16), (64, 16)]
    assert net.meta["episodes"] > 0


def test_the_numpy_actor_computes_the_rllib_modules_logits(first_run):
    from ray.rllib.algorithms.algorithm import Algorithm

    ckpt, net, _ = first_run
    algo = Algorithm.from_checkpoint(str((ckpt / "iter_0001").resolve()))
    try:
        module = algo.get_module()
        x = np.random.default_rng(0).normal(size=(50, 6)) * [5, 1, 1, 1, 1, 20]
        out = module.forward_inference({"obs": torch.tensor(net_obs(np.abs(x)))})
        want = out["action_dist_inputs"].detach().numpy()
        assert np.allclose(net.logits(np.abs(x)), want, atol=1e-5)
    finally:
        algo.stop()


def test_the_same_seed_gives_the_same_weights(first_run, tmp_path):
    _, net, _ = first_run
    again = train_ppo(TINY, ENV, tmp_path)
    for a, b in zip(net.weights + net.biases, again.weights + again.biases, strict=True):
        assert np.array_equal(a, b)


def test_a_rerun_resumes_from_the_last_checkpoint_and_refuses_other_settings(first_run):
    ckpt, net, _ = first_run
    with pytest.raises(CheckpointMismatch, match="other settings"):
        train_ppo(replace(TINY, lr=1e-3), ENV, ckpt)
    lines: list[str] = []
    longer = train_ppo(replace(TINY, iterations=2), ENV, ckpt, progress=lines.append)
    assert lines[0].startswith("resumed from") and "(iteration 1)" in lines[0]
    assert [line.split(":")[0] for line in lines[1:]] == ["iteration 2/2"]
    assert not np.array_equal(longer.weights[0], net.weights[0])  # it trained on from there


def test_train_and_evaluate_from_the_command_line_with_ray_fanout(local_ray, tmp_path, capsys):
    out = tmp_path / "ppo.npz"
    argv = ["train", "--agent", "ppo", "--synthetic", "--market", "linear", "--paths", "1"]
    argv += ["--horizon", "20", "--iterations", "1", "--batch", "300", "--seed", "4"]
    assert main([*argv, "--out", str(out), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["agent"] == "ppo" and 0 <= got["agreement_validation"] <= 1
    table, net = load_table(out), load_net(net_path(out))
    assert net.meta["seed"] == 4
    assert (
        table.meta["source"] == "ppo"
        and table.meta["agreement_validation"] == got["agreement_validation"]
    )
    _, action = table.decide([1.0, 0.0, 0.0, 0.5, 0.2, 10.0])
    assert action is not None  # every cell of an exported table acts
    ev = [
        "evaluate",
        "--synthetic",
        "2",
        "--market",
        "linear",
        "--ppo",
        str(out),
        "--horizon",
        "20",
    ]
    ev += ["--arms", "ppo-table,ppo-net,twap,ac", "--orders", "30", "--json"]
    assert main(ev) == 0
    seq = json.loads(capsys.readouterr().out)
    assert main([*ev, "--workers", "2"]) == 0
    fanned = json.loads(capsys.readouterr().out)
    assert fanned == seq
    assert seq["arms"]["ppo-net"]["n"] == 30 and "ppo-table_vs_twap" in seq["paired"]
    assert 0 <= seq["ppo_agreement"]["share"] <= 1 and seq["ppo_agreement"]["states"] > 30


def test_ray_fanout_on_two_workers_equals_the_sequential_path(first_run):
    _, net, _ = first_run
    markets = synthetic_markets(3, "AMZN", 1_000_321, 0.5, 20.0, "linear", seconds=400)
    kw = dict(
        orders=24, qty=1.0, horizon_s=20.0, seed=3, settings=Settings(), ablate=[], ppo_net=net
    )
    arms = ["ppo-net", "twap", "passive-twap", "ewma"]
    seq = evaluate(markets, None, arms, mapper=sequential, **kw)
    fanned = evaluate(markets, None, arms, mapper=ray_mapper(2, None), **kw)
    assert fanned == seq
    assert seq["arms"]["ppo-net"]["n"] == 24 and seq["blocks"] == 24


def test_training_seeds_fan_out_on_two_workers_to_the_same_tables(local_ray, tmp_path, capsys):
    argv = ["train", "--synthetic", "--market", "linear", "--paths", "1", "--episodes", "3000"]
    argv += ["--horizon", "20", "--seeds", "3,4", "--json"]
    assert main([*argv, "--out", str(tmp_path / "seq.npz")]) == 0
    seq = json.loads(capsys.readouterr().out)["tables"]
    assert main([*argv, "--out", str(tmp_path / "ray.npz"), "--workers", "2"]) == 0
    fanned = json.loads(capsys.readouterr().out)["tables"]
    assert [t["seed"] for t in fanned] == [3, 4]
    for a, b in zip(seq, fanned, strict=True):
        ta, tb = load_table(a["out"]), load_table(b["out"])
        assert ta.meta["seed"] == tb.meta["seed"] == a["seed"]
        assert np.array_equal(ta.best, tb.best) and np.array_equal(ta.visits, tb.visits)
        assert np.allclose(ta.q, tb.q, equal_nan=True)
    one, two = load_table(seq[0]["out"]), load_table(seq[1]["out"])
    assert not np.array_equal(one.visits, two.visits)  # the seeds really differ
