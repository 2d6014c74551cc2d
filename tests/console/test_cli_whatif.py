"""`tranche whatif`: a finished replay parent re-run under other algorithms, its own algorithm reproducing it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from console.cli import main
from tests.console.test_cli_exec_replay import SPOT, USDM


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("TRANCHE_CONFIG", raising=False)
    f = tmp_path / "config.yaml"
    f.write_text(
        "router:\n  twap_num_slices: 3\n  twap_interval_seconds: 4\n"
        "algos:\n  maker_timeout_s: 2\n"
        f"replay:\n  cache_dir: {tmp_path / 'cache'}\n"
    )
    return f


def test_whatif_reproduces_the_parent_and_compares_algorithms(
    capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path
) -> None:
    db = str(tmp_path / "h.db")
    common = ["--config", str(config), "--db", db, "--json"]
    assert main(["exec", "--replay", f"{SPOT},{USDM}", "--start", "+2", "--symbol", "BTCUSDT",
                 "--side", "buy", "--qty", "0.3", "--algo", "twap", "--quiet", *common]) == 0  # fmt: skip
    parent = json.loads(capsys.readouterr().out)
    assert main(["whatif", parent["parent_id"], "--algos", "maker,sor", *common]) == 0
    d = json.loads(capsys.readouterr().out)
    assert [r["algo"] for r in d["rows"]] == ["twap", "maker", "sor"]
    own = d["rows"][0]
    # replay is deterministic: the parent's own algorithm on its own recording gives its shortfall
    assert own["shortfall_bps"] == pytest.approx(parent["shortfall_bps"], abs=1e-3)
    assert d["actual_shortfall_bps"] == pytest.approx(parent["shortfall_bps"], abs=1e-3)
    assert own["within_error"] is True
    for r in d["rows"]:
        assert r["low_bps"] <= r["shortfall_bps"] <= r["high_bps"]
        assert r["status"] == "filled"
    assert (
        main(
            ["whatif", parent["parent_id"], "--algos", "maker", "--config", str(config), "--db", db]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "within simulation error" in out or "better" in out or "worse" in out


def test_whatif_names_what_is_missing(
    capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path
) -> None:
    db = tmp_path / "h.db"
    assert main(["whatif", "P-nope", "--config", str(config), "--db", str(db)]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["exec", "--symbol", "BTCUSDT", "--side", "buy", "--qty", "0.01", "--algo", "market",
                 "--quiet", "--json", "--config", str(config), "--db", str(db)]) == 0  # fmt: skip
    pid = json.loads(capsys.readouterr().out)["parent_id"]
    assert main(["whatif", "P-nope", "--config", str(config), "--db", str(db)]) == 2
    assert "no parent 'P-nope'" in capsys.readouterr().err
    assert main(["whatif", pid, "--config", str(config), "--db", str(db)]) == 2
    assert "did not run on recorded files" in capsys.readouterr().err
