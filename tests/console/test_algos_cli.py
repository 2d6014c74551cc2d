"""The new algorithms from the command line: `exec --algo vwap|pov|arrival|iceberg` with their flags,
the `estimate` object of `tranche route --json`, and the estimate's calibration in `tranche report`."""

from __future__ import annotations

import json

import pytest

from console.cli import main


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRANCHE_CONFIG", raising=False)


def test_route_json_carries_the_estimate_for_the_chosen_and_the_other_algorithms(tmp_path, capsys):
    argv = ["route", "--symbol", "AAPL", "--side", "buy", "--qty", "3000", "--algo", "vwap"]
    assert main([*argv, "--db", str(tmp_path / "none.db"), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    e = d["estimate"]
    assert d["algo"] == "vwap" and e["algo"] == "vwap" and e["level"] == 0.9
    assert e["low_bps"] <= e["mean_bps"] <= e["high_bps"]
    assert float(e["low"]) <= float(e["mean"]) <= float(e["high"])
    assert e["duration_s"] > 0 and e["source"] == "model" and e["samples"] == 0
    assert "simulated market parameters" in e["inputs"]
    assert [a["algo"] for a in e["alternatives"]] == ["market", "twap", "arrival", "pov", "limit"]
    market = e["alternatives"][0]
    assert (
        market["duration_s"] == 0
        and market["high_bps"] - market["low_bps"] < e["high_bps"] - e["low_bps"]
    )
    assert not (tmp_path / "none.db").exists()  # a read: no history file is created


def test_route_human_output_lists_every_estimate(tmp_path, capsys):
    argv = [
        "route",
        "--symbol",
        "AAPL",
        "--side",
        "buy",
        "--qty",
        "3000",
        "--db",
        str(tmp_path / "n.db"),
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "estimate (90% interval; simulated market parameters" in out
    for algo in ("market", "twap", "vwap", "arrival", "pov"):
        assert f" {algo} " in out


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (
            ["--algo", "pov", "--participation", "150"],
            "--participation: must be a share of volume in (0, 100] %",
        ),
        (["--algo", "arrival", "--urgency", "-1"], "--urgency: must be >= 0"),
        (
            ["--algo", "iceberg", "--display", "500"],
            "--display: 500 is more than the order's 100",
        ),
        (["--algo", "twap", "--jitter", "abc"], "--jitter: expected a number"),
    ],
)
def test_bad_algorithm_parameters_exit_2_naming_the_flag(flags, named, tmp_path, capsys):
    for cmd in ("exec", "route"):
        argv = [
            cmd,
            "--symbol",
            "AAPL",
            "--side",
            "buy",
            "--qty",
            "100",
            *flags,
            "--db",
            str(tmp_path / "f.db"),
        ]
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert named in err and "Traceback" not in err
    assert not (tmp_path / "f.db").exists()  # refused before anything was opened or sent


def test_exec_runs_each_new_algorithm_and_report_checks_the_estimates(tmp_path, capsys):
    db = str(tmp_path / "f.db")
    runs = [
        ["--algo", "vwap", "--jitter", "20"],
        ["--algo", "pov", "--participation", "30"],
        ["--algo", "arrival", "--urgency", "4", "--participation", "100"],
        ["--algo", "iceberg", "--display", "100"],
    ]
    for flags in runs:
        argv = [
            "exec",
            "--symbol",
            "AAPL",
            "--side",
            "buy",
            "--qty",
            "600",
            *flags,
            "--db",
            db,
            "--json",
            "--quiet",
        ]
        assert main(argv) in (0, 1)
        d = json.loads(capsys.readouterr().out)
        assert d["algo"] == flags[1] and float(d["filled_qty"]) > 0
    assert main(["report", "--db", db, "--json"]) == 0
    c = json.loads(capsys.readouterr().out)["estimate_calibration"]
    assert c["parents"] == 4 and {g["algo"] for g in c["by_algo"]} == {
        "vwap",
        "pov",
        "arrival",
        "iceberg",
    }
    for p in c["newest"]:
        assert p["inside"] == (p["low_bps"] <= p["realised_bps"] <= p["high_bps"])
    assert c["share_inside"] == sum(p["inside"] for p in c["newest"]) / 4
    assert main(["report", "--db", db]) == 0
    assert "pre-trade estimate vs realised" in capsys.readouterr().out


def test_exec_protect_arms_a_journalled_stop_and_take_profit(tmp_path, capsys):
    db = str(tmp_path / "f.db")
    argv = ["exec", "--symbol", "AAPL", "--side", "buy", "--qty", "100", "--algo", "market"]
    assert main([*argv, "--protect", "--take-profit", "3", "--db", db, "--json", "--quiet"]) == 0
    d = json.loads(capsys.readouterr().out)
    x = d["protective_exit"]
    avg = float(d["avg_price"])
    assert x["status"] == "armed" and x["side"] == "sell" and x["quantity"] == "100"
    assert abs(float(x["stop_price"]) - avg * 0.98) <= 0.01  # execution.stop_loss_pct: 2%
    assert abs(float(x["take_profit"]) - avg * 1.03) <= 0.01
    assert main([*argv, "--take-profit", "3", "--db", db]) == 2  # without --protect: refused first
    assert "--take-profit: needs --protect" in capsys.readouterr().err
