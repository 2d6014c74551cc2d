"""The report's figures equal a direct computation over the stored fills, on both backends, and
the two backends give the same report for the same fills."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from engine.models import InputError
from engine.quality import build_report
from engine.store import Store
from tests.fakes.histories import fresh_history, read_elsewhere
from tests.fakes.history import T0, seed_history

SINCE = T0 - 30 * 86400


def store_url(store: Store) -> str:
    """The URL another connection reaches this history by (the fixture notes it)."""
    return store.opened_as  # type: ignore[attr-defined]


@pytest.fixture
async def history(history_url):
    s = Store(history_url)
    s.opened_as = history_url  # type: ignore[attr-defined]
    await s.open()
    await seed_history(s, 2000)
    for i, kind in enumerate(["slippage", "slippage", "latency", "guardrail"]):
        s.record_alert(ts=SINCE + 10 + i, kind=kind, message="m", value=1, threshold=0)
    s.record_alert(ts=SINCE - 10, kind="latency", message="old", value=1, threshold=0)
    await s.flush()
    yield s
    await s.close()


COLUMNS = ["venue", "symbol", "algo", "ts", "quantity", "price", "slippage_bps",
           "arrival_slippage_bps", "latency_ms"]  # fmt: skip


async def stored_frame(store) -> pd.DataFrame:
    rows = await read_elsewhere(
        store_url(store), f"SELECT {', '.join(COLUMNS)} FROM fills WHERE ts >= ?", (SINCE,)
    )
    df = pd.DataFrame(rows, columns=COLUMNS)
    df["day"] = [datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d") for t in df["ts"]]
    df["hour"] = (df["ts"] // 3600 % 24).astype(int)
    df["notional"] = [float(q) * float(p) for q, p in zip(df["quantity"], df["price"], strict=True)]
    return df


@pytest.mark.parametrize("by", ["venue", "symbol", "algo", "hour", "day"])
async def test_group_figures_equal_pandas_over_the_stored_fills(history, by):
    report = await build_report(history, since_ts=SINCE, by=by)
    df = await stored_frame(history)
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
    parents = pd.DataFrame(
        await read_elsewhere(
            store_url(history),
            "SELECT algo, shortfall_bps, CAST(filled_qty AS REAL) / CAST(quantity AS REAL) FROM parents",
        ),
        columns=["algo", "shortfall_bps", "rate"],
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
    df = await stored_frame(history)
    means = df.groupby("day")["slippage_bps"].mean()
    assert [d["day"] for d in report["daily"]] == list(means.index)
    assert [d["mean_slippage_bps"] for d in report["daily"]] == pytest.approx(list(means))


async def test_an_empty_history_is_an_empty_report(history_url):
    async with Store(history_url) as s:
        report = await build_report(s, since_ts=0, by="hour")
    assert report["groups"] == [] and report["fills"] == 0 and report["total"] is None
    assert report["alerts"] == {"total": 0, "by_kind": {}}


async def test_an_unknown_grouping_names_the_field(tmp_path):
    async with Store(tmp_path / "x.db") as s:
        with pytest.raises(InputError, match="by"):
            await build_report(s, since_ts=0, by="weekday")


@pytest.mark.parametrize("by", ["venue", "day"])
async def test_both_backends_give_the_same_report_for_the_same_fills(tmp_path, pg_url, by):
    reports = []
    for kind in ("sqlite", "postgresql"):
        async with fresh_history(kind, tmp_path, pg_url) as url, Store(url) as s:
            await seed_history(s, 1500)
            reports.append(await build_report(s, since_ts=SINCE, by=by))
    lite, pg = reports
    assert lite["fills"] == pg["fills"] > 0
    assert [g["key"] for g in lite["groups"]] == [g["key"] for g in pg["groups"]]
    for a, b in zip([*lite["groups"], lite["total"]], [*pg["groups"], pg["total"]], strict=True):
        assert a["fills"] == b["fills"]
        for name in a:
            if name not in ("key", "fills"):
                assert a[name] == pytest.approx(b[name], rel=1e-12, abs=1e-9), (a["key"], name)
    assert lite["latency_histogram"]["counts"] == pg["latency_histogram"]["counts"]
    assert lite["latency_histogram"]["edges_ms"] == pytest.approx(
        pg["latency_histogram"]["edges_ms"]
    )
    assert [(d["day"], d["fills"]) for d in lite["daily"]] == [
        (d["day"], d["fills"]) for d in pg["daily"]
    ]
    assert [s["algo"] for s in lite["shortfall"]] == [s["algo"] for s in pg["shortfall"]]
    for a, b in zip(lite["shortfall"], pg["shortfall"], strict=True):
        assert a == pytest.approx(b, rel=1e-12), a["algo"]
