"""`tranche size` and `tranche route`: JSON contract, human output, bad input -> exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from console.cli import main

ROOT = Path(__file__).resolve().parents[2]
REF = ["--price", "150", "--cash", "50000", "--equity", "100000"]
EDGE = ["--win-rate", "0.55", "--avg-win", "2", "--avg-loss", "1"]
QUOTE = ["--bid", "100.00", "--ask", "100.05", "--adv", "1000000"]


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.count("\n") == 1  # one JSON object
    return json.loads(out)


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRANCHE_CONFIG", raising=False)


def test_size_reference_example_json(capsys: pytest.CaptureFixture[str]) -> None:
    d = run_json(capsys, "size", *REF, *EDGE)
    assert d["kelly_fraction"] == 0.325
    assert d["half_kelly_fraction"] == 0.1625
    assert d["uncapped_quantity"] == "54"
    assert d["quantity"] == "33"
    assert d["notional"] == "4950"
    assert d["capped"] is True and "max_position_pct" in d["cap_reason"]
    assert float(d["stop_price"]) == 147.0
    assert float(d["limit_price"]) == 149.925


def test_size_sell_with_step_and_human_output(capsys: pytest.CaptureFixture[str]) -> None:
    d = run_json(capsys, "size", *REF, *EDGE, "--side", "sell", "--step", "10")
    assert (d["side"], d["quantity"], d["uncapped_quantity"]) == ("sell", "30", "50")
    assert float(d["stop_price"]) == 153.0
    assert main(["size", *REF, *EDGE]) == 0
    out = capsys.readouterr().out
    assert "buy 33 @ 150" in out and "capped" in out and "stop 147" in out


def test_size_without_edge_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    d = run_json(capsys, "size", *REF, "--win-rate", "0.3", "--avg-win", "1", "--avg-loss", "1")
    assert d["quantity"] == "0" and "no edge" in d["reason"]


def test_size_mode_comes_from_config_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cfg = tmp_path / "fixed.yaml"
    cfg.write_text("execution:\n  position_sizing: fixed\n  fixed_quantity: 12\n")
    d = run_json(capsys, "size", *REF, *EDGE, "--config", str(cfg))
    assert (d["mode"], d["quantity"]) == ("fixed", "12")


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--price", "0"),
        ("--price", "-150"),
        ("--price", "nan"),
        ("--cash", "-1"),
        ("--equity", "0"),
        ("--win-rate", "1.5"),
        ("--avg-loss", "0"),
        ("--avg-win", "-2"),
        ("--side", "hold"),
    ],
)
def test_size_bad_input_exits_2_naming_the_flag(
    capsys: pytest.CaptureFixture[str], flag: str, value: str
) -> None:
    argv = ["size", *REF, *EDGE, "--json"]
    if flag in argv:
        argv[argv.index(flag) + 1] = value
    else:
        argv += [flag, value]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"tranche size: {flag}: ") and err.count("\n") == 1


def test_route_rules_from_flags(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["route", "--symbol", "AAPL", "--side", "buy", *QUOTE]
    small = run_json(capsys, *base, "--qty", "100", "--strength", "0.5")
    assert (small["order_type"], small["rule"], small["limit_price"]) == (
        "limit",
        "small_vs_adv",
        "100.00",
    )
    assert (small["slices"], small["interval_s"], small["market_source"]) == (1, 0.0, "flags")
    assert small["spread_bps"] == pytest.approx(4.9988, abs=1e-3)
    big = run_json(capsys, *base, "--qty", "20000", "--strength", "0.5")
    assert (big["order_type"], big["rule"], big["slices"], big["interval_s"]) == (
        "twap",
        "large_vs_adv",
        5,
        60.0,
    )
    assert big["limit_price"] is None
    strong = run_json(capsys, *base, "--qty", "20000", "--strength", "0.95")
    assert (strong["order_type"], strong["rule"]) == ("market", "strong_signal")
    assert "0.9" in strong["why"]


def test_route_thresholds_follow_env_overrides(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRANCHE_ROUTER__TWAP_NUM_SLICES", "10")
    d = run_json(capsys, "route", "--symbol", "AAPL", "--side", "sell", "--qty", "20000", *QUOTE)
    assert (d["order_type"], d["slices"], d["side"]) == ("twap", 10, "sell")


def test_route_reads_the_configured_market_without_quotes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    d = run_json(capsys, "route", "--symbol", "AAPL", "--side", "buy", "--qty", "10")
    assert d["market_source"] != "flags"
    assert 0 < float(d["bid"]) < float(d["ask"]) and float(d["adv"]) > 0
    assert d["rule"] in ("small_vs_adv", "default", "wide_spread")


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["--qty", "0", *QUOTE], "--qty"),
        (["--qty", "-3", *QUOTE], "--qty"),
        (["--qty", "10", "--strength", "2", *QUOTE], "--strength"),
        (["--qty", "10", "--bid", "0", "--ask", "1", "--adv", "5"], "--bid"),
        (["--qty", "10", "--bid", "101", "--ask", "100", "--adv", "5"], "--ask"),
        (["--qty", "10", "--bid", "100", "--ask", "101", "--adv", "nan"], "--adv"),
        (["--qty", "10", "--side", "up", *QUOTE], "--side"),
    ],
)
def test_route_bad_input_exits_2_naming_the_flag(
    capsys: pytest.CaptureFixture[str], argv: list[str], flag: str
) -> None:
    full = ["route", "--symbol", "AAPL", "--side", "buy", *argv, "--json"]
    assert main(full) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"tranche route: {flag}: ")


def test_route_unknown_symbol_on_the_market_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["route", "--symbol", "NOPE", "--side", "buy", "--qty", "1", "--json"]) == 2
    assert capsys.readouterr().err.startswith("tranche route: --symbol: ")


def test_size_via_the_installed_console_script() -> None:
    exe = Path(sys.executable).parent / "tranche"
    if not exe.exists():
        exe = ROOT / ".venv" / "bin" / "tranche"
    proc = subprocess.run(
        [str(exe), "size", *REF, *EDGE, "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["quantity"] == "33"
    bad = subprocess.run(
        [str(exe), "route", "--symbol", "AAPL", "--side", "buy", "--qty", "x", *QUOTE],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert bad.returncode == 2 and bad.stderr.startswith("tranche route: --qty: ")
    assert "Traceback" not in bad.stderr
