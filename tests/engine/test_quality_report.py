"""The report's figures equal a direct computation over the stored fills."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pandas as pd
import pytest

from engine.models import InputError
from engine.quality import build_report
from engine.store import Store
from tests.fakes.history import T0, seed_history

SINCE = T0 - 30 * 86400


@pytest.fixture
async def history(tmp_path):
    s = Store(tmp_path / "fills.db")
    await s.open()
    await seed_history(s, 2000)
    for i, kind in enumerate(["slippage", "slippage", "latency", "guardrail"]):
        s.record_alert(ts=SINCE + 10 + i, kind=kind, message="m", value=1, threshold=0)
    s.record_alert(ts=SINCE - 10, kind="latency", message="old", value=1, threshold=0)
    await s.flush()
    yield s
    await s.close()


def stored_frame(path) -> pd.DataFrame:
    con = sqlite3.connect(path)
    df = pd.read_sql_query("SELECT * FROM fills WHERE ts >= ?", con, params=(SINCE,))
    df["day"] = [datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d") for t in df["ts"]]
    df["hour"] = (df["ts"] // 3600 % 24).astype(int)
    df["notional"] = [float(q) * float(p) for q, p in zip(df["quantity"], df["price"], strict=True)]
    return df


@pytest.mark.parametrize("by", ["venue", "symbol", "algo", "hour", "day"])
async def test_group_figures_equal_pandas_over_the_stored_fills(history, by):
    report = await build_report(history, since_ts=SINCE, by=by)
    df = stored_frame(history.path)
    g = df.groupby(by)
    want = pd.DataFrame(
        {
            "fills": g.size(),
            "notional": g["notional"].sum(),
            "mean_slippage_bps": g["slippage_bps"].mean(),
            "median_slippage_bps": g["slippage_bps"].median(),
            "p90_slippage_bps": g["slippage_bps"].quantile(0.9),
            "mean_arrival_slippage_bps": g["arrival_slippage_bps"].mean(),
            "p50_latency_ms": g["latency_ms"].quantile(0.5),
            "p99_latency_ms": g["latency_ms"].quantile(0.99),
        }
    )
    assert [grp["key"] for grp in report["groups"]] == list(want.index)
    for grp in report["groups"]:
        row = want.loc[grp["key"]]
        for col in want.columns:
            assert grp[col] == pytest.approx(float(row[col]), rel=1e-9), (grp["key"], col)
    assert report["fills"] == len(df) == sum(grp["fills"] for grp in report["groups"])
    assert report["total"]["p99_latency_ms"] == pytest.approx(df["latency_ms"].quantile(0.99))
    assert sum(report["latency_histogram"]["counts"]) == len(df)


async def test_shortfall_per_algorithm_and_alert_counts(history):
    report = await build_report(history, since_ts=SINCE - 20 * 86400, by="algo")
    con = sqlite3.connect(history.path)
    parents = pd.read_sql_query(
        "SELECT algo, shortfall_bps, CAST(filled_qty AS REAL) / CAST(quantity AS REAL) AS rate FROM parents",
        con,
    )
    g = parents.groupby("algo")
    assert [s["algo"] for s in report["shortfall"]] == list(g.groups)
    for s in report["shortfall"]:
        assert s["parents"] == g.size()[s["algo"]]
        assert s["mean_shortfall_bps"] == pytest.approx(g["shortfall_bps"].mean()[s["algo"]])
        assert s["median_shortfall_bps"] == pytest.approx(g["shortfall_bps"].median()[s["algo"]])
        assert s["mean_fill_rate"] == pytest.approx(g["rate"].mean()[s["algo"]])
    recent = await build_report(history, since_ts=SINCE, by="venue")
    assert recent["alerts"] == {
        "total": 4,
        "by_kind": {"guardrail": 1, "latency": 1, "slippage": 2},
    }
    assert recent["shortfall"] == []  # every parent started 40 days ago


async def test_daily_series_matches_the_stored_fills(history):
    report = await build_report(history, since_ts=SINCE, by="day")
    df = stored_frame(history.path)
    means = df.groupby("day")["slippage_bps"].mean()
    assert [d["day"] for d in report["daily"]] == list(means.index)
    assert [d["mean_slippage_bps"] for d in report["daily"]] == pytest.approx(list(means))


async def test_an_empty_history_is_an_empty_report(tmp_path):
    async with Store(tmp_path / "empty.db") as s:
        report = await build_report(s, since_ts=0, by="hour")
    assert report["groups"] == [] and report["fills"] == 0 and report["total"] is None
    assert report["alerts"] == {"total": 0, "by_kind": {}}


async def test_an_unknown_grouping_names_the_field(tmp_path):
    async with Store(tmp_path / "x.db") as s:
        with pytest.raises(InputError, match="by"):
            await build_report(s, since_ts=0, by="weekday")
