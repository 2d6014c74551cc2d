"""`tranche evaluate --engine`: every arm through the real engine on a replay venue agrees with the
vectorised environment on the same parents, within the stated tolerance (simulated time)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import numpy as np
import pytest

from console.cli import main
from engine.config import load_settings
from engine.crosscheck.compare import agreement, engine_check
from engine.crosscheck.run import replay_origin
from engine.learned.table import load_table
from engine.models import InputError
from engine.rl.evaluate import data_markets, evaluate
from engine.rl.paths import load_data

EXCERPT = Path(__file__).parents[2] / "data" / "binance" / "spot_btcusdt_excerpt.jsonl.gz"
ARMS = ["drl", "twap", "passive-twap", "ac", "ewma"]
PAIRED_BOUND_BPS = 0.25  # the model gap, parent by parent: stated in README


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("TRANCHE_CONFIG", raising=False)
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"replay:\n  cache_dir: {tmp_path / 'cache'}\n")
    return load_settings(str(cfg))


def test_every_arm_on_the_engine_agrees_with_the_environment_on_the_same_parents(settings) -> None:
    markets = data_markets([str(EXCERPT)], 0.5, 4.0, 0.6, {})
    kw = {"orders": 12, "qty": None, "horizon_s": 4.0, "slices": 4, "settings": settings}
    env = evaluate(markets, load_table(None), ARMS, seed=7, ablate=[], keep_parents=True, **kw)
    out = asyncio.run(engine_check(markets, [str(EXCERPT)], env, policy=None, ppo=None, **kw))
    assert set(out["arms"]) == set(ARMS)
    for name, a in out["arms"].items():
        assert a["n"] == 12 and a["windows"] >= 5, name
        assert a["engine_completion"] == 1.0, name
        assert a["env_mean_is_bps"] == pytest.approx(env["arms"][name]["mean_is_bps"], abs=1e-3)
        assert a["agree"] is True, (name, a)  # within the combined clustered 95% interval
        assert abs(a["paired_diff_bps"]) <= PAIRED_BOUND_BPS, (name, a)
    # the engine's figures are its own (fills at its own prices), not the environment's copied
    assert any(a["paired_diff_bps"] != 0 for a in out["arms"].values())
    assert out["all_agree"] is True


def test_a_venue_charging_another_fee_than_the_environment_is_caught(
    settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check has teeth on the real path: Binance spot's 10 bps taker fee on the venue, the
    environment's 0.3 in the environment, and crossing TWAP no longer agrees."""
    import engine.crosscheck.compare as compare

    real = compare.like_for_like

    def spot_fees(*args, **kw):
        s = real(*args, **kw)
        return s.model_copy(update={"replay": s.replay.model_copy(update={"taker_fee_bps": 10.0})})

    monkeypatch.setattr(compare, "like_for_like", spot_fees)
    markets = data_markets([str(EXCERPT)], 0.5, 4.0, 0.6, {})
    kw = {"orders": 12, "qty": None, "horizon_s": 4.0, "slices": 4, "settings": settings}
    env = evaluate(markets, None, ["twap"], seed=7, ablate=[], keep_parents=True, **kw)
    out = asyncio.run(engine_check(markets, [str(EXCERPT)], env, policy=None, ppo=None, **kw))
    twap = out["arms"]["twap"]
    assert twap["agree"] is False and out["all_agree"] is False
    assert twap["paired_diff_bps"] == pytest.approx(9.7, abs=0.3)  # the fee gap, crossing only


def test_the_agreement_call_says_no_when_the_means_are_apart_beyond_their_intervals() -> None:
    rng = np.random.default_rng(1)
    blocks = np.repeat(np.arange(10), 4)
    env = rng.normal(2.0, 0.5, 40)
    same = agreement(env, env + rng.normal(0.0, 0.05, 40), blocks)
    apart = agreement(env, env + 3.0, blocks)  # e.g. a 3 bps fee the environment does not charge
    assert same["agree"] is True
    assert apart["agree"] is False and apart["diff_bps"] == pytest.approx(3.0)
    assert apart["paired_ci95"][0] == pytest.approx(3.0)  # a constant gap: no spread at all
    one_window = agreement(env[:4], env[:4] + 3.0, blocks[:4])
    assert one_window["agree"] is None and one_window["tolerance_bps"] is None  # cannot tell


def test_evaluate_engine_prints_one_json_object_with_both_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TRANCHE_CONFIG", raising=False)
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"replay:\n  cache_dir: {tmp_path / 'cache'}\n")
    argv = ["evaluate", "--config", str(cfg), "--data", str(EXCERPT), "--arms", "twap"]
    flags = ["--orders", "6", "--horizon", "4", "--slices", "2", "--engine"]
    assert main([*argv, "--ablate", "spread", *flags, "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    ablated = d["engine"]["arms"]["drl-no-spread"]  # saved for the engine's drl to read
    assert ablated["engine_algo"] == "drl" and ablated["agree"] is True
    twap = d["engine"]["arms"]["twap"]
    assert twap["env_mean_is_bps"] == pytest.approx(d["arms"]["twap"]["mean_is_bps"], abs=1e-3)
    assert twap["engine_algo"] == "twap" and twap["n"] == 6
    assert "tolerance" in d["engine"] and "per_parent" not in d
    assert main([*argv, *flags]) == 0
    text = capsys.readouterr().out
    assert "engine (ticket, router, algo, risk gate, replay venue) vs environment" in text


def test_evaluate_engine_without_recorded_data_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["evaluate", "--synthetic", "1", "--engine"]) == 2
    err = capsys.readouterr().err
    assert "--engine" in err and "--data" in err and "Traceback" not in err


def test_a_grid_and_a_recording_on_different_clocks_is_an_error_naming_the_file() -> None:
    paths = load_data(EXCERPT, 0.5)
    start = paths.origin_ts
    assert replay_origin(str(EXCERPT), paths, start - 1.0, start + 60.0) == start
    with pytest.raises(InputError, match="do not share a clock"):
        replay_origin(str(EXCERPT), paths, start + 86_400.0, start + 90_000.0)
