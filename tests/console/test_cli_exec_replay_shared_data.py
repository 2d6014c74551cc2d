"""Every algorithm on every shared data set the replay venues read (skipped without ../shared/data)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from console.cli import main

ROOTS = [Path("/work/shared/data"), Path(__file__).resolve().parents[3] / "shared" / "data"]
SHARED = next((p for p in ROOTS if (p / "binance").is_dir()), None)
ALGOS = ["market", "limit", "twap", "passive-twap", "maker", "adaptive", "drl", "sor"]
SETS = {  # files, symbol, quantity
    "binance spot+usdm": (
        [
            "binance/binance_spot_btcusdt_20240808.jsonl.gz",
            "binance/binance_usdm_btcusdt_20240808.jsonl.gz",
        ],
        "BTCUSDT",
        "0.5",
    ),
    "binance usdm 2023 (us clock)": (
        ["binance/binance_usdm_btcusdt_20230404_us.jsonl.gz"],
        "BTCUSDT",
        "0.2",
    ),
    "lobster amzn+goog": (
        [
            "lobster/AMZN_2012-06-21_34200000_57600000_message_5.csv.gz",
            "lobster/GOOG_2012-06-21_34200000_57600000_message_5.csv.gz",
        ],
        "AMZN",
        "300",
    ),
    "lobster goog 10 levels": (
        ["lobster/GOOG_2012-06-21_34200000_57600000_message_10.csv.gz"],
        "GOOG",
        "50",
    ),
    "bitstamp l3 (exact queue)": (
        ["bitstamp/bitstamp_btcusd_20150501_0000_1600.log.gz"],
        "BTCUSD",
        "2",
    ),
    "cme es mbo (exact queue)": (["cme/esh4-glbx-mdp3-20231225.mbo.dbn.zst"], "ESH4", "20"),
}


@pytest.mark.data
@pytest.mark.skipif(SHARED is None, reason="shared data (../shared/data) is absent")
@pytest.mark.parametrize("name", list(SETS))
@pytest.mark.parametrize("algo", ALGOS)
def test_every_algorithm_on_every_shared_data_set(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    algo: str,
) -> None:
    monkeypatch.delenv("TRANCHE_CONFIG", raising=False)
    assert SHARED is not None
    files, symbol, qty = SETS[name]
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "router:\n  twap_num_slices: 3\n  twap_interval_seconds: 10\n"
        f"algos:\n  maker_timeout_s: 3\nreplay:\n  cache_dir: {tmp_path.parent / 'replay-cache'}\n"
    )
    argv = ["exec", "--replay", ",".join(str(SHARED / f) for f in files), "--start", "+3700" if "cme" in name else "+30",
            "--symbol", symbol, "--side", "buy", "--qty", qty, "--algo", algo,
            "--config", str(cfg), "--db", str(tmp_path / "h.db"), "--json", "--quiet"]  # fmt: skip
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 0, err
    d = json.loads(out)
    assert d["status"] == "filled" and Decimal(d["filled_qty"]) == Decimal(qty)
