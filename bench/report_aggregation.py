"""A 30-day execution-quality report over 1,000,000 stored fills, on SQLite and PostgreSQL,
against pandas in memory.

`build_report` reads the window's packed columns and aggregates with numpy, on SQLite
(engine/store/fill_blocks.py: blobs read with numpy, plus the rows not packed yet) and on
PostgreSQL (engine/store/pg_blocks.py: bytea blocks the server encodes, plus the rows not packed
yet, encoded the same way); the earlier PostgreSQL path, grouping in SQL (percentile_cont) with
only the groups coming back, is timed once as the reference it replaced. pandas computes every
figure the report has (per group and over all fills, the latency histogram, the daily series)
on a DataFrame already in memory (no I/O at all, its best case); the figures the bench compared
before (per group only) are timed too. All run in the same process, interleaved, best of N;
the report's first run on each backend, which packs the columns of a history written without
them, is timed on its own. Prints the time ratios, every figure checked against pandas', the ratio against
pandas reading the same window from the same file with read_sql, and each report's peak traced
memory (Python objects and numpy arrays; a separate run, tracemalloc slows it). The PostgreSQL
server is a throwaway one on loopback (fsync off) unless --pg URL is given.
`--cli-rss` instead writes a history of --fills fills ending now and runs `tranche report
--json` on it twice in its own process under /usr/bin/time -v (wall time, peak RSS).
Run: python -m bench.report_aggregation [--fills 1000000] [--by venue] [--pg URL | --no-pg]
     python -m bench.report_aggregation --cli-rss --fills 10000000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import tracemalloc
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import asyncpg
import numpy as np
import pandas as pd

from bench.servers import fresh_schema, postgres
from engine.quality import build_report
from engine.quality.report import day_label, report_in_sql
from engine.store import Store

NOW = 1_700_000_000.0
VENUES = ["binance", "kraken", "coinbase", "okx", "SIM0", "SIM1"]
SYMBOLS = ["AAPL", "MSFT", "GOOG", "BTCUSDT", "ETHUSDT"]
ALGOS = ["market", "limit", "twap", "adaptive", "maker", "drl"]
FIGURES = (
    "notional", "mean_slippage_bps", "median_slippage_bps", "p90_slippage_bps",
    "mean_arrival_slippage_bps", "median_arrival_slippage_bps", "p50_latency_ms", "p99_latency_ms",
)  # fmt: skip
FILL_COLUMNS = [
    "venue", "fill_id", "client_order_id", "parent_id", "algo", "symbol", "side", "quantity",
    "price", "fee", "liquidity", "ts", "notional", "slippage_bps", "arrival_slippage_bps",
    "latency_ms", "hour",
]  # fmt: skip


CHUNK = 1_000_000  # fills generated and inserted at a time: 10 M never sit in memory at once


def generate(
    path: Path, n: int, seed: int = 1, now: float = NOW, keep: bool = True
) -> pd.DataFrame | None:
    """`n` fills over the 45 days before `now`, in time order, written with executemany in chunks;
    returns the same rows as one frame when `keep` (the pandas reference's input)."""
    asyncio.run(_create(path))
    rng = np.random.default_rng(seed)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = OFF")
    frames = []
    span = 45 * 86400
    for start in range(0, n, CHUNK):
        m = min(CHUNK, n - start)
        lo = now - span + span * start / n
        hi = now - span + span * (start + m) / n
        df = _chunk(rng, m, lo, hi)
        con.execute("BEGIN")
        rows = zip(
            df["venue"], (f"F{i}" for i in range(start, start + m)),
            (f"C{i // 5}" for i in range(start, start + m)), (f"P{i // 50}" for i in range(start, start + m)),
            df["algo"], df["symbol"], ["buy"] * m, ["1"] * m, ["100"] * m, ["0"] * m, [""] * m,
            df["ts"].tolist(), df["notional"].tolist(), df["slippage_bps"].tolist(),
            df["arrival_slippage_bps"].tolist(), df["latency_ms"].tolist(), df["hour"].tolist(),
            strict=True,
        )  # fmt: skip
        con.executemany(
            f"INSERT INTO fills ({', '.join(FILL_COLUMNS)}) VALUES ({', '.join('?' * 17)})", rows
        )
        con.execute("COMMIT")
        if keep:
            frames.append(df)
    con.close()
    return pd.concat(frames, ignore_index=True) if keep else None


def _chunk(rng: np.random.Generator, m: int, lo: float, hi: float) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "venue": np.array(VENUES)[rng.integers(0, len(VENUES), m)],
            "symbol": np.array(SYMBOLS)[rng.integers(0, len(SYMBOLS), m)],
            "algo": np.array(ALGOS)[rng.integers(0, len(ALGOS), m)],
            "ts": np.sort(rng.uniform(lo, hi, m)),  # stored as they happen: in time order
            "notional": rng.uniform(100, 50_000, m).round(2),
            "slippage_bps": rng.normal(2, 6, m).round(4),
            "arrival_slippage_bps": rng.normal(4, 8, m).round(4),
            "latency_ms": rng.lognormal(6, 1, m).round(3),
        }
    )
    df["hour"] = (df["ts"] // 3600 % 24).astype(int)
    return df


async def _create(path: Path) -> None:
    async with Store(path):
        pass


def pandas_groups(df: pd.DataFrame, since_ts: float, by: str) -> pd.DataFrame:
    """The figures this bench compared before: per-group only (less than the report computes)."""
    w = df[df["ts"] >= since_ts]
    g = w.groupby((w["ts"] // 86400).astype("int64") if by == "day" else w[by])
    return pd.DataFrame(
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


def pandas_report(df: pd.DataFrame, since_ts: float, by: str) -> dict[str, Any]:
    """Every figure build_report computes from the fills, the pandas way: per group and over all
    fills (counts, notional, mean/median/p90 slippage, mean/median arrival slippage, p50/p99
    latency), the 20-bin latency histogram, and fills / mean slippage / notional per UTC day."""
    w = df[df["ts"] >= since_ts]
    key = (w["ts"] // 86400).astype("int64") if by == "day" else w[by]
    g = w.groupby(key)
    slip, lat = g["slippage_bps"], g["latency_ms"]
    groups = pd.DataFrame(
        {
            "fills": g.size(),
            "notional": g["notional"].sum(),
            "mean_slippage_bps": slip.mean(),
            "median_slippage_bps": slip.median(),
            "p90_slippage_bps": slip.quantile(0.9),
            "mean_arrival_slippage_bps": g["arrival_slippage_bps"].mean(),
            "median_arrival_slippage_bps": g["arrival_slippage_bps"].median(),
            "p50_latency_ms": lat.quantile(0.5),
            "p99_latency_ms": lat.quantile(0.99),
        }
    )
    total = {
        "fills": len(w),
        "notional": w["notional"].sum(),
        "mean_slippage_bps": w["slippage_bps"].mean(),
        "median_slippage_bps": w["slippage_bps"].median(),
        "p90_slippage_bps": w["slippage_bps"].quantile(0.9),
        "mean_arrival_slippage_bps": w["arrival_slippage_bps"].mean(),
        "median_arrival_slippage_bps": w["arrival_slippage_bps"].median(),
        "p50_latency_ms": w["latency_ms"].quantile(0.5),
        "p99_latency_ms": w["latency_ms"].quantile(0.99),
    }
    counts, edges = np.histogram(w["latency_ms"].to_numpy(), bins=20)
    d = w.groupby((w["ts"] // 86400).astype("int64"))
    daily = pd.DataFrame(
        {
            "fills": d.size(),
            "mean_slippage_bps": d["slippage_bps"].mean(),
            "notional": d["notional"].sum(),
        }
    )
    return {"groups": groups, "total": total, "histogram": (counts, edges), "daily": daily}


async def sql_report(target: str, since_ts: float, by: str) -> float:
    """The earlier PostgreSQL path: every figure grouped by the server (reference, timed once)."""
    async with Store(target) as store:
        t0 = time.perf_counter()
        await report_in_sql(store, since_ts, by)
        return time.perf_counter() - t0


async def store_report(target: Path | str, since_ts: float, by: str) -> tuple[float, dict]:
    async with Store(target) as store:
        t0 = time.perf_counter()
        report = await build_report(store, since_ts=since_ts, by=by)
        return time.perf_counter() - t0, report


def peak_memory(target: Path | str, since_ts: float, by: str) -> int:
    """Peak bytes traced while the report runs (numpy reports its buffers to tracemalloc)."""
    tracemalloc.start()
    asyncio.run(store_report(target, since_ts, by))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


async def load_postgres(url: str, df: pd.DataFrame) -> str:
    """The same fills in a fresh schema on the server, by COPY (setup, not timed)."""
    target = await fresh_schema(url)
    async with Store(target):
        pass
    base, _, query = target.partition("?")
    conn = await asyncpg.connect(base, server_settings=dict([query.split("=", 1)]))
    n = len(df)
    records = zip(
        df["venue"], (f"F{i}" for i in range(n)), (f"C{i // 5}" for i in range(n)), (f"P{i // 50}" for i in range(n)),
        df["algo"], df["symbol"], ["buy"] * n, ["1"] * n, ["100"] * n, ["0"] * n, [""] * n,
        df["ts"].tolist(), df["notional"].tolist(), df["slippage_bps"].tolist(),
        df["arrival_slippage_bps"].tolist(), df["latency_ms"].tolist(), df["hour"].tolist(),
        strict=True,
    )  # fmt: skip
    await conn.copy_records_to_table("fills", records=records, columns=FILL_COLUMNS)
    await conn.execute("ANALYZE fills")
    await conn.close()
    return target


def agrees(report: dict, want: dict) -> bool:
    """Every figure of the report equals pandas' (per group, all fills, histogram, daily)."""

    def same(got: dict, row: Any) -> bool:
        return int(got["fills"]) == int(row["fills"]) and all(
            abs(got[f] - row[f]) <= 1e-9 * max(1.0, abs(row[f])) for f in FIGURES
        )

    groups, daily = want["groups"], want["daily"]
    by_key = {day_label(int(k)) if report["by"] == "day" else k: k for k in groups.index}
    counts, edges = want["histogram"]
    return (
        sorted(by_key) == [g["key"] for g in report["groups"]]
        and all(same(g, groups.loc[by_key[g["key"]]]) for g in report["groups"])
        and same(report["total"], want["total"])
        and report["latency_histogram"]["counts"] == counts.tolist()
        and np.allclose(report["latency_histogram"]["edges_ms"], edges, rtol=1e-12)
        and [d["fills"] for d in report["daily"]] == daily["fills"].tolist()
        and np.allclose(
            [d["mean_slippage_bps"] for d in report["daily"]], daily["mean_slippage_bps"]
        )
        and np.allclose([d["notional"] for d in report["daily"]], daily["notional"])
    )


def cli_run(path: Path) -> tuple[float, int, int]:
    """`tranche report --json` on `path` in its own process under /usr/bin/time -v:
    (wall seconds, peak resident set in kB, fills in the window)."""
    tranche = Path(sys.executable).with_name("tranche")
    cmd = [
        "/usr/bin/time",
        "-v",
        str(tranche),
        "report",
        "--db",
        str(path),
        "--since",
        "30d",
        "--json",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    stats = dict(line.strip().rsplit(": ", 1) for line in out.stderr.splitlines() if ": " in line)
    h, _, rest = stats["Elapsed (wall clock) time (h:mm:ss or m:ss)"].rpartition(":")
    wall = float(rest) + 60 * sum(int(x) * 60**i for i, x in enumerate(reversed(h.split(":"))) if x)
    return wall, int(stats["Maximum resident set size (kbytes)"]), json.loads(out.stdout)["fills"]


def big_run(n: int, keep: Path | None) -> None:
    """The history of `n` fills ending now, then `tranche report` twice in a fresh process each:
    the first packs the history's columns, the second reads them; wall time and peak RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        path = keep or Path(tmp, "fills.db")
        t0 = time.perf_counter()
        generate(path, n, now=time.time(), keep=False)
        print(
            f"generated {n:,} fills in {time.perf_counter() - t0:.0f} s ({path.stat().st_size / 2**30:.2f} GB file)"
        )
        for what in ("first report (packs the history)", "second report (packed columns)"):
            wall, rss_kb, fills = cli_run(path)
            print(
                f"tranche report --json, {what}: {wall:6.1f} s   peak RSS {rss_kb / 1024:7.0f} MB   ({fills:,} fills in the 30-day window)"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fills", type=int, default=1_000_000)
    ap.add_argument("--by", default="venue", choices=["venue", "symbol", "algo", "hour", "day"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pg", metavar="URL", help="PostgreSQL to use (default: a throwaway one)")
    ap.add_argument("--no-pg", action="store_true", help="SQLite and pandas only")
    ap.add_argument(
        "--cli-rss",
        action="store_true",
        help="only `tranche report` on --fills fills: time and peak RSS",
    )
    ap.add_argument("--keep", type=Path, help="with --cli-rss: write the history here and keep it")
    args = ap.parse_args()
    if args.cli_rss:
        big_run(args.fills, args.keep)
        return
    since = NOW - 30 * 86400
    server_cm = nullcontext(None) if args.no_pg else postgres(args.pg)
    with tempfile.TemporaryDirectory() as tmp, server_cm as server:
        path = Path(tmp, "fills.db")
        t0 = time.perf_counter()
        df = generate(path, args.fills)
        assert df is not None
        print(f"generated {args.fills:,} fills in {time.perf_counter() - t0:.1f} s")
        pg = asyncio.run(load_postgres(server, df)) if server else None
        cold, report = asyncio.run(store_report(path, since, args.by))  # packs the history once
        pg_cold = asyncio.run(store_report(pg, since, args.by))[0] if pg else 0.0
        ours = theirs = narrow = on_pg = float("inf")
        pg_report: dict = {}
        for _ in range(args.repeat):  # interleaved, best of N
            t, report = asyncio.run(store_report(path, since, args.by))
            ours = min(ours, t)
            if pg is not None:
                t, pg_report = asyncio.run(store_report(pg, since, args.by))
                on_pg = min(on_pg, t)
            t0 = time.perf_counter()
            want = pandas_report(df, since, args.by)
            theirs = min(theirs, time.perf_counter() - t0)
            t0 = time.perf_counter()
            pandas_groups(df, since, args.by)
            narrow = min(narrow, time.perf_counter() - t0)
        in_sql = asyncio.run(sql_report(pg, since, args.by)) if pg is not None else 0.0
        lite_mem = peak_memory(path, since, args.by)
        pg_mem = peak_memory(pg, since, args.by) if pg is not None else 0
        t0 = time.perf_counter()  # pandas reading the same window from the same file (once)
        with sqlite3.connect(path) as con:
            frame = pd.read_sql_query(
                "SELECT venue, symbol, algo, hour, ts, notional, slippage_bps, arrival_slippage_bps,"
                " latency_ms FROM fills WHERE ts >= ?",
                con,
                params=(since,),
            )
        pandas_report(frame, since, args.by)
        from_disk = time.perf_counter() - t0

    mb = 1 / 2**20
    print(f"30-day report over {report['fills']:,} fills in the window, by {args.by}")
    print(
        f"build_report on SQLite, first run (packs the columns of all {args.fills:,} fills once): {cold * 1000:8.1f} ms"
    )
    print(
        f"build_report on SQLite (packed columns):  {ours * 1000:8.1f} ms   peak {lite_mem * mb:7.1f} MB   (every figure equals pandas': {agrees(report, want)})"
    )
    if pg is not None:
        print(
            f"build_report on PostgreSQL, first run (packs the columns of all {args.fills:,} fills once): {pg_cold * 1000:8.1f} ms"
        )
        print(
            f"build_report on PostgreSQL (packed columns): {on_pg * 1000:8.1f} ms   peak {pg_mem * mb:7.1f} MB   (every figure equals pandas': {agrees(pg_report, want)}; identical to the SQLite report: {pg_report == report})"
        )
        print(f"PostgreSQL grouped in SQL (the path it replaced): {in_sql * 1000:8.1f} ms")
    print(
        f"pandas on an in-memory frame, every figure of the report: {theirs * 1000:8.1f} ms   (the frame itself: {df.memory_usage(deep=True).sum() * mb:.0f} MB)"
    )
    print(f"pandas on an in-memory frame, per-group figures only:    {narrow * 1000:8.1f} ms")
    print(f"pandas read_sql + every figure:           {from_disk * 1000:8.1f} ms")
    print(
        f"ratio report on SQLite / pandas in-memory, same figures: {ours / theirs:.2f}  (goal <= 1.5)"
    )
    print(f"ratio report on SQLite / pandas in-memory, per-group figures only: {ours / narrow:.2f}")
    print(f"ratio first report (packing 1x) / pandas in-memory, same figures: {cold / theirs:.2f}")
    if pg is not None:
        print(
            f"ratio report on PostgreSQL / pandas in-memory, same figures: {on_pg / theirs:.2f}  (goal <= 1.5)"
        )
        print(f"ratio first report on PostgreSQL (packing 1x) / pandas: {pg_cold / theirs:.2f}")
        print(f"ratio PostgreSQL grouped in SQL / pandas in-memory: {in_sql / theirs:.2f}")
        print(f"ratio PostgreSQL / SQLite report time: {on_pg / ours:.2f}")
    print(f"ratio report on SQLite / pandas-from-the-same-file time: {ours / from_disk:.2f}")
    print(
        f"max resident set of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
