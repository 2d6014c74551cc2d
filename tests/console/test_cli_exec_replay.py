"""`tranche exec --replay`: every algorithm through the engine's own path on two recorded Binance venues."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from console.cli import main
from engine.config import load_settings
from engine.factory import build_engine
from engine.models import Side, Signal, Ticket
from engine.sim.replay.session import with_replay

ROOT = Path(__file__).resolve().parents[2]
SPOT = ROOT / "tests" / "data" / "binance" / "spot_btcusdt_excerpt.jsonl.gz"
USDM = ROOT / "tests" / "data" / "binance" / "usdm_btcusdt_excerpt.jsonl.gz"
ALGOS = [
    "market",
    "limit",
    "twap",
    "passive-twap",
    "maker",
    "adaptive",
    "drl",
    "ewma",
    "sor",
    "auto",
]


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Schedules short enough for the excerpts' 52 seconds; the cache in the test's directory."""
    monkeypatch.delenv("TRANCHE_CONFIG", raising=False)
    f = tmp_path / "config.yaml"
    f.write_text(
        "router:\n  twap_num_slices: 3\n  twap_interval_seconds: 5\n"
        "algos:\n  maker_timeout_s: 2\n"
        f"replay:\n  cache_dir: {tmp_path / 'cache'}\n"
    )
    return f


def exec_json(
    capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path, *argv: str
) -> tuple[int, dict]:
    code = main(
        [
            "exec",
            "--replay",
            f"{SPOT},{USDM}",
            "--config",
            str(config),
            "--db",
            str(tmp_path / "h.db"),
            "--json",
            "--quiet",
            *argv,
        ]
    )
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else {"stderr": err}


@pytest.mark.parametrize("algo", ALGOS)
def test_every_algorithm_runs_on_the_replay_venues(
    capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path, algo: str
) -> None:
    code, d = exec_json(
        capsys,
        config,
        tmp_path,
        "--symbol",
        "BTCUSDT",
        "--side",
        "buy",
        "--qty",
        "0.2",
        "--algo",
        algo,
    )
    assert code == 0, d
    assert d["status"] == "filled" and Decimal(d["filled_qty"]) == Decimal("0.2")
    assert {leg["venue"] for leg in d["legs"]} <= {"BINANCE-SPOT", "BINANCE-USDM"}
    # the recorded market of 2024-08-08: BTC between 61,500 and 62,000
    assert Decimal("61500") < Decimal(d["avg_price"]) < Decimal("62000")
    assert Decimal(d["fees"]) > 0


def test_sor_splits_across_two_instruments_of_one_clock(
    capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path
) -> None:
    code, d = exec_json(
        capsys,
        config,
        tmp_path,
        "--symbol",
        "BTCUSDT",
        "--side",
        "sell",
        "--qty",
        "1",
        "--algo",
        "sor",
        "--start",
        "+5",
    )
    assert code == 0
    assert {leg["venue"] for leg in d["legs"]} == {"BINANCE-SPOT", "BINANCE-USDM"}
    assert sum(Decimal(leg["filled"]) for leg in d["legs"]) == Decimal("1")


def test_bad_replay_input_is_one_line_on_stderr(
    capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path
) -> None:
    base = [
        "exec",
        "--config",
        str(config),
        "--db",
        str(tmp_path / "h.db"),
        "--symbol",
        "BTCUSDT",
        "--side",
        "buy",
        "--qty",
        "1",
    ]
    assert main([*base, "--replay", str(tmp_path / "missing.gz")]) == 2
    assert capsys.readouterr().err.strip().endswith("missing.gz: no such file")
    assert main([*base, "--replay", str(SPOT), "--start", "+9999"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "start: '+9999' is outside" in err
    assert main([*base, "--start", "+1"]) == 2
    assert "--start needs --replay" in capsys.readouterr().err


async def test_the_history_holds_exactly_what_the_replay_venues_executed(
    config: Path, tmp_path: Path
) -> None:
    settings = with_replay(load_settings(str(config)), f"{SPOT},{USDM}", None)
    eng = build_engine(settings, db_path=tmp_path / "h.db")
    await eng.start()
    try:
        pid = await eng.submit(Ticket("BTCUSDT", Side.BUY, Decimal("0.5"), Signal(0.5), algo="sor"))
        report = await eng.wait(pid)
        await eng.store.flush()
        stored = await eng.store.fills()
    finally:
        await eng.stop()
    venue_fills = [f for b in eng.brokers.values() for f in b.executed_fills()]  # type: ignore[attr-defined]
    assert len(venue_fills) == report.fills > 0
    assert {(f["venue"], f["fill_id"]) for f in stored} == {
        (f.venue, f.fill_id) for f in venue_fills
    }
    assert sum(f.quantity for f in venue_fills) == report.filled_qty == Decimal("0.5")


def test_one_file_without_start_trades_from_the_first_quote(
    capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path
) -> None:
    """The default start is the first instant a quote exists (the snapshot, one feed latency old),
    not the snapshot itself, where the venue had no bid yet and the plainest command failed."""
    code = main(
        ["exec", "--replay", str(SPOT), "--config", str(config), "--db", str(tmp_path / "h.db"),
         "--json", "--quiet", "--symbol", "BTCUSDT", "--side", "buy", "--qty", "0.01",
         "--algo", "market"]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["status"] == "filled"
