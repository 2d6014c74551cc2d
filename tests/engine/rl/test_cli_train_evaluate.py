"""`tranche train` and `tranche evaluate` end to end: the table written, the report's keys, pairing,
held-out enforcement, and bad input named."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from console.cli import main
from engine.learned.table import UNVISITED, load_table

EXCERPT = Path(__file__).parents[2] / "data" / "binance" / "spot_btcusdt_excerpt.jsonl.gz"
ARMS = "drl,twap,passive-twap,ac,ewma"


@pytest.fixture(scope="module")
def linear_table(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("t") / "linear.npz"
    argv = ["train", "--synthetic", "--market", "linear", "--paths", "1", "--episodes", "4000"]
    assert main([*argv, "--horizon", "30", "--seed", "3", "--out", str(out), "--json"]) == 0
    return out


def test_train_writes_a_table_with_edges_values_visits_and_metadata(linear_table, capsys):
    t = load_table(linear_table)
    assert len(t.edges) == 6 and t.q.shape[0] == len(t.best) == t.visits.shape[0]
    assert t.visits.sum() > 0 and (t.best != UNVISITED).any()
    for key in ("seed", "code_version", "date", "synthetic", "episodes", "horizon_s"):
        assert key in t.meta
    assert t.meta["seed"] == 3 and t.meta["synthetic"]["market"] == "linear"


def test_train_shows_progress_on_stderr(tmp_path, capsys):
    out = tmp_path / "p.npz"
    argv = ["train", "--synthetic", "--market", "linear", "--paths", "1", "--episodes", "2000"]
    assert main([*argv, "--horizon", "30", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "round 1/4" in err and "round 4/4" in err and out.exists()


def evaluate(capsys, *argv: str) -> tuple[int, dict, str]:
    code = main(["evaluate", *argv, "--json"])
    got = capsys.readouterr()
    return code, json.loads(got.out) if code == 0 else {}, got.err


def test_evaluate_reports_every_arm_and_paired_intervals_on_the_same_paths(linear_table, capsys):
    code, d, _ = evaluate(
        capsys,
        *("--synthetic", "1", "--market", "linear", "--policy", str(linear_table)),
        *("--arms", ARMS, "--orders", "40", "--horizon", "30", "--ablate", "spread,vol"),
    )
    assert code == 0
    for arm in [*ARMS.split(","), "drl-no-spread", "drl-no-vol"]:
        a = d["arms"][arm]
        assert a["n"] == 40 and a["completion"] == 1.0
        assert a["median_is_bps"] <= a["p90_is_bps"]
    for arm in ["drl", "passive-twap", "ac", "ewma"]:
        pr = d["paired"][f"{arm}_vs_twap"]
        lo, hi = pr["ci95"]
        assert lo <= pr["mean_diff_bps"] <= hi
        want = d["arms"][arm]["mean_is_bps"] - d["arms"]["twap"]["mean_is_bps"]
        assert pr["mean_diff_bps"] == pytest.approx(want, abs=2e-4)
    # common random numbers: on a no-signal market the spread model never waits, so it IS twap,
    # parent for parent: the paired difference is exactly zero, not merely small on average
    ew = d["paired"]["ewma_vs_twap"]
    assert ew["mean_diff_bps"] == 0.0 and ew["ci95"] == [0.0, 0.0]
    # parents further apart than a horizon share no window: each is its own resampling block
    assert ew["blocks"] == d["blocks"] == 40
    assert d["paired"]["passive-twap_vs_twap"]["ci95"][0] > 0  # resting never fills there


def test_evaluating_on_data_the_policy_trained_on_in_full_is_refused(tmp_path, capsys):
    table = tmp_path / "whole.npz"
    assert (
        main(
            [
                "train",
                "--whole",
                str(EXCERPT),
                "--episodes",
                "500",
                "--horizon",
                "10",
                "--out",
                str(table),
            ]
        )
        == 0
    )
    capsys.readouterr()
    code, _, err = evaluate(
        capsys, "--data", str(EXCERPT), "--policy", str(table), "--horizon", "10"
    )
    assert code == 2 and "trained on all of it" in err


def test_evaluate_after_a_time_split_uses_only_the_held_out_part(tmp_path, capsys):
    table = tmp_path / "split.npz"
    assert (
        main(
            [
                "train",
                "--data",
                str(EXCERPT),
                "--episodes",
                "500",
                "--horizon",
                "5",
                "--out",
                str(table),
            ]
        )
        == 0
    )
    trained_until = load_table(table).meta["data"][0]["train_range"][1]
    capsys.readouterr()
    code, d, _ = evaluate(
        capsys, "--data", str(EXCERPT), "--policy", str(table), "--horizon", "5", "--orders", "20"
    )
    assert code == 0
    start_s = d["markets"][0]["start_range_s"][0]
    assert (
        start_s >= trained_until * 0.5 and "after the training part" in d["markets"][0]["heldout"]
    )


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--synthetic", "1", "--arms", "drl,vwap"], "vwap"),
        (["--synthetic", "1", "--ablate", "colour"], "colour"),
        (["--data", "/nonexistent/capture.jsonl.gz"], "capture.jsonl.gz"),
        (["--synthetic", "1", "--orders", "0"], "--orders"),
    ],
)
def test_bad_evaluate_input_is_named_without_a_traceback(argv, named, capsys):
    assert main(["evaluate", *argv]) == 2
    err = capsys.readouterr().err
    assert named in err and "Traceback" not in err


def test_a_corrupt_policy_file_is_named(tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a table")
    assert main(["evaluate", "--synthetic", "1", "--policy", str(bad)]) == 2
    assert "bad.npz" in capsys.readouterr().err


def test_linear_table_defers_everywhere_it_visited(linear_table):
    t = load_table(linear_table)
    visited = t.best != UNVISITED
    assert np.all(t.best[visited] < 0)  # no signal: no learned action passes the test


def test_evaluate_says_how_many_independent_windows_its_intervals_rest_on(capsys):
    argv = ("--data", str(EXCERPT), "--arms", "twap,ac", "--orders", "40", "--horizon", "30")
    code, d, _ = evaluate(capsys, *argv)
    assert code == 0 and 1 <= d["blocks"] < 10  # a short capture: 40 parents, a few windows
    assert main(["evaluate", *argv]) == 0
    text = capsys.readouterr().out
    assert f"intervals resample {d['blocks']} horizon-long windows" in text
    assert "not reliable" in text
