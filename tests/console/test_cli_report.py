"""`tranche report`: JSON, CSV, tables and charts, an empty or missing history, bad --since."""

from __future__ import annotations

import asyncio
import csv
import json
import time
from decimal import Decimal

import pytest

from console.cli import main
from console.commands.report import parse_since
from engine.models import Fill, Side
from engine.quality import FillMetrics
from engine.store import Store


def seed(path, rows):
    """(venue, slippage bps, latency ms, age s) rows as fills in a real file."""

    async def go():
        async with Store(path) as s:
            now = time.time()
            for i, (venue, slip, lat, age) in enumerate(rows):
                f = Fill(
                    f"F{i}",
                    f"C{i}",
                    venue,
                    "AAPL",
                    Side.BUY,
                    Decimal(2),
                    Decimal("100.5"),
                    now - age,
                )
                s.record_fill(
                    f,
                    parent_id="P1",
                    algo="twap",
                    metrics=FillMetrics(slip, slip + 1, lat, Decimal(0), Decimal("201")),
                )
            s.record_alert(ts=now - 5, kind="slippage", message="m", value=12, threshold=10)

    asyncio.run(go())


ROWS = [
    ("V1", 1.0, 100.0, 60),
    ("V1", 3.0, 300.0, 3600),
    ("V2", 12.0, 6000.0, 86400 * 2),
    ("V2", 50.0, 10.0, 86400 * 40),
]


def run_cli(capsys, *argv):
    code = main(["report", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_groups_by_venue_within_the_window(tmp_path, capsys):
    db = tmp_path / "fills.db"
    seed(db, ROWS)
    code, out, _ = run_cli(capsys, "--db", str(db), "--json")
    data = json.loads(out)
    assert code == 0 and data["fills"] == 3  # the 40-day-old fill is outside 30d
    v1, v2 = data["groups"]
    assert (
        v1["key"],
        v1["fills"],
        v1["notional"],
        v1["mean_slippage_bps"],
        v1["median_slippage_bps"],
    ) == ("V1", 2, 402.0, 2.0, 2.0)
    assert v1["p90_slippage_bps"] == pytest.approx(2.8) and v1["mean_arrival_slippage_bps"] == 3.0
    assert v1["p50_latency_ms"] == 200.0 and v1["p99_latency_ms"] == pytest.approx(298.0)
    assert (v2["key"], v2["fills"], v2["p50_latency_ms"]) == ("V2", 1, 6000.0)
    assert data["alerts"]["total"] == 1
    short = json.loads(
        run_cli(capsys, "--db", str(db), "--json", "--since", "1d", "--by", "hour")[1]
    )
    assert short["fills"] == 2 and all(isinstance(g["key"], int) for g in short["groups"])


def test_csv_writes_one_row_per_group(tmp_path, capsys):
    db, out_csv = tmp_path / "fills.db", tmp_path / "report.csv"
    seed(db, ROWS)
    code, out, _ = run_cli(capsys, "--db", str(db), "--csv", str(out_csv), "--since", "90d")
    rows = list(csv.DictReader(out_csv.open()))
    assert code == 0 and "wrote 2 groups" in out
    assert [(r["key"], r["fills"]) for r in rows] == [("V1", "2"), ("V2", "2")]
    assert float(rows[1]["mean_slippage_bps"]) == 31.0


def test_human_output_has_tables_and_both_charts(tmp_path, capsys):
    db = tmp_path / "fills.db"
    seed(db, ROWS)
    code, out, _ = run_cli(capsys, "--db", str(db), "--by", "venue")
    assert code == 0
    assert "venue" in out and "V1" in out and "V2" in out and "alerts: 1 (slippage 1)" in out
    assert "mean slippage per day" in out and "fill latency distribution" in out
    assert "\x1b[" not in out  # headless: no terminal colour codes


def test_an_empty_history_says_no_fills_yet(tmp_path, capsys):
    db = tmp_path / "fills.db"
    asyncio.run(_open_close(db))
    code, out, _ = run_cli(capsys, "--db", str(db))
    assert code == 0 and "no fills yet" in out
    code, out, _ = run_cli(capsys, "--db", str(db), "--json")
    data = json.loads(out)
    assert code == 0 and data["groups"] == [] and data["fills"] == 0


async def _open_close(db):
    async with Store(db):
        pass


def test_a_missing_database_is_no_fills_yet_and_is_not_created(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TRANCHE_STORE__PATH", str(tmp_path / "nowhere" / "fills.db"))
    code, out, err = run_cli(capsys)
    assert code == 0 and "no fills yet" in out and err == ""
    assert not (tmp_path / "nowhere").exists()
    code, out, _ = run_cli(capsys, "--json")
    assert code == 0 and json.loads(out)["groups"] == []


@pytest.mark.parametrize("bad", ["30", "3x", "-1d", "0d", "d", "1.5w"])
def test_a_bad_since_exits_2_naming_the_flag(tmp_path, capsys, bad):
    code, out, err = run_cli(capsys, "--db", str(tmp_path / "x.db"), f"--since={bad}")
    assert code == 2 and "--since" in err and out == ""


def test_since_units():
    assert (
        parse_since("30d") == 30 * 86400
        and parse_since("12h") == 43200
        and parse_since("90m") == 5400
    )


def test_a_file_that_is_not_a_database_exits_2_naming_db(tmp_path, capsys):
    db = tmp_path / "notes.db"
    db.write_text("not sqlite at all" * 200)
    code, _, err = run_cli(capsys, "--db", str(db))
    assert code == 2 and "--db" in err and "Traceback" not in err
